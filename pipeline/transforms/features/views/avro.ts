/**
 * Avro event sources: a record's bytes decoded with its writer schema into the object the light schema
 * (schema.ts) then checks like a JSON event. `format: avro` reads Confluent's wire format (magic byte 0,
 * the schema's registry id as 4 bytes, then the Avro binary: what the schema registry's serializers,
 * Kafka Connect's AvroConverter and Debezium write); `format: avro_raw` reads plain Avro binary
 * written with one schema and no frame.
 *
 * The writer schemas come from files (or inline in the config): `avro_schema` for every record, and/or
 * `avro_schemas` by registry id, so records written by several versions of a producer are each read with
 * the schema they were written with. With a schema registry (registry.ts) an id avro_schemas does not
 * name is fetched from it (its references' named types first) before the batch is decoded. A record
 * whose id has no schema is refused naming the id (an id is never guessed: Avro binary read with
 * another schema is garbage, not an error).
 *
 * Values: a decimal (bytes or fixed) is the number it spells; enums are their symbol; a union with null
 * is its value or null; records nest (`merchant.id`); timestamp-millis and -micros stay the numbers
 * they are, which the time field reads by their size (schema.ts, `auto`). A payload that is cut short,
 * has bytes left over, or does not fit the schema is refused with Avro's reason.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { TributaryError } from '../../../../core/errors.ts';
import { confluentSchemaId, type Decoded, type PayloadDecoder } from './formats.ts';
import { fetchSchemas, type RegisteredSchema, type SchemaRegistry } from './registry.ts';

/** A schema as a path to its `.avsc` file (absolute once the worker's config is loaded) or inline. */
export type AvroSchemaRef = string | Record<string, unknown>;

export interface AvroSourceConfig {
  avro_schema?: AvroSchemaRef;
  avro_schemas?: Record<string, AvroSchemaRef>;
}

/** Avro's decimal logical type, read as the JavaScript number it spells (the nearest double). */
class DecimalAsNumber extends avro.types.LogicalType {
  private readonly scale: number;

  constructor(attrs: Record<string, unknown>, opts?: object) {
    super(attrs as unknown as avro.Schema, opts);
    this.scale = typeof attrs.scale === 'number' ? attrs.scale : 0;
  }

  // The unscaled value is a big-endian two's-complement integer of the bytes' length.
  protected override _fromValue(value: unknown): number {
    const buf = value as Buffer;
    let n = 0n;
    for (const b of buf) n = (n << 8n) | BigInt(b);
    if (buf.length > 0 && buf[0]! & 0x80) n -= 1n << BigInt(buf.length * 8);
    return Number(n) / 10 ** this.scale;
  }

  protected override _toValue(value: unknown): unknown {
    return value;
  }

  protected override _resolve(): undefined {
    return undefined;
  }
}

interface Writer {
  type: avro.Type;
  /** `id 7 (shop.payments.Payment)`, for reasons. */
  label: string;
}

export class AvroDecoder implements PayloadDecoder {
  private readonly fallback?: Writer;
  private readonly byId = new Map<number, Writer>();
  private readonly fromRegistry = new Map<number, Writer | { reason: string }>();

  /** `where`: the config path of the source (`sources.payments`), for errors. */
  constructor(
    readonly format: 'avro' | 'avro_raw',
    config: AvroSourceConfig,
    where: string,
    private readonly registry?: SchemaRegistry,
  ) {
    if (config.avro_schema === undefined && (config.avro_schemas === undefined || Object.keys(config.avro_schemas).length === 0) && !(registry && format === 'avro')) {
      throw new TributaryError('CONFIG_INVALID', `${where}: format ${format} needs the writer schema: avro_schema (a .avsc file, or the schema inline)${format === 'avro' ? ', avro_schemas by registry id, or schema_registry.url to fetch each id\'s schema' : ''}`);
    }
    if (format === 'avro_raw' && config.avro_schemas !== undefined) {
      throw new TributaryError('CONFIG_INVALID', `${where}.avro_schemas: plain Avro (avro_raw) carries no schema id; give its one schema as avro_schema`);
    }
    if (config.avro_schema !== undefined) this.fallback = compile(config.avro_schema, `${where}.avro_schema`, 'any id');
    for (const [id, ref] of Object.entries(config.avro_schemas ?? {})) {
      const n = Number(id);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TributaryError('CONFIG_INVALID', `${where}.avro_schemas: "${id}" is not a schema registry id (a whole number)`);
      this.byId.set(n, compile(ref, `${where}.avro_schemas.${id}`, `id ${n}`));
    }
  }

  /**
   * Fetches the writer schemas of the batch's ids that avro_schemas does not give (with a registry).
   * Throws REGISTRY_UNAVAILABLE or REGISTRY_AUTH; an id the registry lacks is remembered with why.
   */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    if (!this.registry || this.format !== 'avro') return;
    await fetchSchemas(this.registry, values, this.fromRegistry, (id) => this.byId.has(id), 'AVRO', fromRegistry);
  }

  /** The record's value as an object, or why it is not one. Never throws. */
  decode(bytes: Buffer): Decoded {
    let writer = this.fallback;
    let payload = bytes;
    if (this.format === 'avro') {
      const id = confluentSchemaId(bytes, 5, '', 'avro_raw');
      if (typeof id !== 'number') return id;
      const registered = this.fromRegistry.get(id);
      writer = this.byId.get(id) ?? (registered && 'type' in registered ? registered : undefined) ?? this.fallback;
      if (writer === undefined) {
        if (registered) return { ok: false, field: '', reason: (registered as { reason: string }).reason };
        return { ok: false, field: '', reason: `written with schema id ${id}, which has no schema in avro_schemas (known: ${[...this.byId.keys()].join(', ')}); add that version's schema${this.registry ? '' : ', or set schema_registry.url'}` };
      }
      payload = bytes.subarray(5);
    }
    try {
      return { value: writer!.type.fromBuffer(payload) };
    } catch (err) {
      return { ok: false, field: '', reason: `not Avro of the writer schema (${writer!.label}): ${(err as Error).message}` };
    }
  }
}

const LOGICAL_TYPES = { decimal: DecimalAsNumber as unknown as new (...args: unknown[]) => avro.types.LogicalType };

/** A registry schema with its references: each referenced schema's named types first, in one avsc registry. */
function fromRegistry(id: number, s: RegisteredSchema): Writer {
  const registry: Record<string, avro.Type> = {};
  for (const r of s.references) avro.Type.forSchema(JSON.parse(r.schema) as avro.Schema, { registry, logicalTypes: LOGICAL_TYPES });
  const type = avro.Type.forSchema(JSON.parse(s.schema) as avro.Schema, { registry, logicalTypes: LOGICAL_TYPES });
  return { type, label: `id ${id} from the registry, ${type.name ?? type.typeName}` };
}

function compile(ref: AvroSchemaRef, where: string, label: string): Writer {
  let schema: unknown = ref;
  if (typeof ref === 'string') {
    try {
      schema = JSON.parse(readFileSync(ref, 'utf8'));
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `${where}: cannot read the Avro schema ${ref}: ${(err as Error).message}`);
    }
  }
  try {
    const type = avro.Type.forSchema(schema as avro.Schema, { logicalTypes: LOGICAL_TYPES });
    return { type, label: `${label}, ${type.name ?? type.typeName}` };
  } catch (err) {
    throw new TributaryError('CONFIG_INVALID', `${where}: not an Avro schema: ${(err as Error).message}`);
  }
}
