/**
 * Protobuf event sources: a record's bytes decoded with the producer's `.proto` into the object the
 * light schema (schema.ts) then checks like a JSON event. `format: protobuf` reads Confluent's wire
 * format (magic byte 0, the schema id, the message indexes that say which message of the schema's file
 * the payload is, then the payload: what the schema registry's ProtobufSerializer writes);
 * `format: protobuf_raw` reads plain payloads of one message (`proto_message`).
 *
 * Without `proto_file`, each schema id's file comes from the schema registry (registry.ts) with the files
 * it imports (its references), as .proto text or base64 FileDescriptorProtos.
 *
 * The message indexes pick the message in `proto_file` (the first message is index 0, a nested one a
 * path like [1, 0]); when `proto_message` is given too, a record of another message is refused naming
 * both. Field names are as written in the `.proto`; enums are their names; 64-bit integers are numbers
 * (exact up to 2^53); `google.protobuf.Timestamp` is epoch ms (so a time field reads it); wrapper types
 * (`google.protobuf.BoolValue`...) are their value, or null when absent; an absent message is null and
 * an absent scalar its proto3 default. Protobuf skips fields it does not know, so one `.proto` reads the
 * records of older and newer versions alike (new fields are simply not there).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { TributaryError } from '../../../../core/errors.ts';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { confluentSchemaId, type Decoded, type PayloadDecoder } from './formats.ts';
import { fetchSchemas, type RegisteredSchema, type SchemaRegistry } from './registry.ts';

export interface ProtobufSourceConfig {
  proto_file?: string;
  proto_message?: string;
}

const WRAPPERS = new Set(['BoolValue', 'StringValue', 'BytesValue', 'DoubleValue', 'FloatValue', 'Int32Value', 'Int64Value', 'UInt32Value', 'UInt64Value'].map((n) => `.google.protobuf.${n}`));
const TIMESTAMP = '.google.protobuf.Timestamp';
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: String, defaults: true, arrays: true, objects: true };

/** One schema's messages in the order its file declares them: what message indexes count. */
interface ProtoFile {
  messages: protobuf.Type[];
  /** `proto_file x.proto`, `schema id 5`: for reasons. */
  label: string;
}

export class ProtobufDecoder implements PayloadDecoder {
  /** proto_file's messages, for every record; without it each id's file comes from the registry. */
  private readonly local?: ProtoFile;
  /** With proto_message: the full name (`.shop.Payment`) a record's message must have. */
  private readonly fixedName?: string;
  private readonly fixed?: protobuf.Type;
  private readonly fromRegistry = new Map<number, ProtoFile | { reason: string }>();

  /** `where`: the config path of the source (`sources.payments`), for errors. */
  constructor(
    readonly format: 'protobuf' | 'protobuf_raw',
    config: ProtobufSourceConfig,
    where: string,
    private readonly registry?: SchemaRegistry,
  ) {
    if (config.proto_file === undefined) {
      if (format === 'protobuf_raw') throw new TributaryError('CONFIG_INVALID', `${where}: format protobuf_raw needs proto_file (the producer's .proto) and proto_message`);
      if (!registry) throw new TributaryError('CONFIG_INVALID', `${where}: format protobuf needs proto_file (the producer's .proto), or schema_registry.url to fetch each id's schema`);
      if (config.proto_message !== undefined) this.fixedName = `.${config.proto_message.replace(/^\./, '')}`;
      return;
    }
    let root: protobuf.Root;
    try {
      readFileSync(config.proto_file);
      // keepCase: field names as the .proto writes them (the names the source's fields declare).
      root = new protobuf.Root().loadSync(config.proto_file, { keepCase: true });
      root.resolveAll();
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `${where}.proto_file: cannot read ${config.proto_file}: ${(err as Error).message}`);
    }
    this.local = { messages: ownMessages(root, root.files[0]!), label: `proto_file ${config.proto_file}` };
    if (config.proto_message !== undefined) {
      const t = root.lookup(config.proto_message);
      if (!(t instanceof protobuf.Type)) {
        throw new TributaryError('CONFIG_INVALID', `${where}.proto_message: ${config.proto_message} is not a message of ${config.proto_file} (it has ${names(this.local.messages)})`);
      }
      this.fixed = t;
      this.fixedName = t.fullName;
    } else if (format === 'protobuf_raw') {
      throw new TributaryError('CONFIG_INVALID', `${where}: format protobuf_raw needs proto_message (plain payloads do not say which message they are)`);
    }
  }

  /** Fetches the schemas of the batch's ids not seen before (without proto_file). Throws REGISTRY_UNAVAILABLE or REGISTRY_AUTH. */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    if (this.local || !this.registry || this.format !== 'protobuf') return;
    await fetchSchemas(this.registry, values, this.fromRegistry, () => false, 'PROTOBUF', registryFile);
  }

  /** The record's value as an object, or why it is not one. Never throws. */
  decode(bytes: Buffer): Decoded {
    let type = this.fixed!;
    let payload = bytes;
    if (this.format === 'protobuf') {
      const id = confluentSchemaId(bytes, 6, ', message indexes', 'protobuf_raw');
      if (typeof id !== 'number') return id;
      const file = this.local ?? this.fromRegistry.get(id) ?? { reason: `schema id ${id} was not fetched from the registry` };
      if ('reason' in file) return { ok: false, field: '', reason: file.reason };
      const read = messageIndexes(bytes, 5);
      if (typeof read === 'string') return { ok: false, field: '', reason: `schema id ${id}: ${read}` };
      const found = byIndexes(file.messages, read.indexes);
      if (found === undefined) return { ok: false, field: '', reason: `schema id ${id}: message index [${read.indexes.join(', ')}] names no message of the ${file.label} (it has ${names(file.messages)})` };
      if (this.fixedName !== undefined && found.fullName !== this.fixedName) {
        return { ok: false, field: '', reason: `a ${found.fullName.slice(1)} (message index [${read.indexes.join(', ')}]), not the ${this.fixedName.slice(1)} proto_message names` };
      }
      type = found;
      payload = bytes.subarray(read.next);
    }
    try {
      return { value: plain(type, type.toObject(type.decode(payload), TO_OBJECT)) };
    } catch (err) {
      return { ok: false, field: '', reason: `not a protobuf ${type.fullName.slice(1)}: ${(err as Error).message}` };
    }
  }
}

const names = (messages: protobuf.Type[]): string => messages.map((m) => m.fullName.slice(1)).join(', ') || 'no messages';

/** The messages declared in `file`, nested ones under theirs, in the order written. */
function ownMessages(root: protobuf.Root, file: string): protobuf.Type[] {
  return root.nestedArray.flatMap(function own(n): protobuf.Type[] {
    if (n instanceof protobuf.Type) return n.filename === file ? [n] : [];
    return n instanceof protobuf.Namespace ? n.nestedArray.flatMap(own) : [];
  });
}

function byIndexes(messages: protobuf.Type[], indexes: number[]): protobuf.Type | undefined {
  let t: protobuf.Type | undefined = messages[indexes[0]!];
  for (const i of indexes.slice(1)) t = t?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[i];
  return t;
}

/** A base64 FileDescriptorProto (how some clients register and some registries serve a schema), not .proto text. */
const isDescriptor = (schema: string): boolean => /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/.test(schema) && !/\bsyntax\b|\bmessage\b/.test(schema);

/**
 * A registry schema and its references as one set of types: .proto text loaded as files named by the
 * references (the import paths), google/protobuf/* from protobufjs's own copies; or base64
 * FileDescriptorProtos.
 */
async function registryFile(id: number, s: RegisteredSchema): Promise<ProtoFile> {
  const label = `schema id ${id}`;
  if (isDescriptor(s.schema)) {
    const decode = (text: string) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(Buffer.from(text, 'base64')));
    const main = decode(s.schema) as { package?: string; messageType?: Array<{ name: string }> };
    const files = [...s.references.filter((r) => isDescriptor(r.schema)).map((r) => decode(r.schema)), main];
    const root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor(descriptor.FileDescriptorSet.fromObject({ file: files }));
    root.resolveAll();
    const prefix = main.package ? `.${main.package}.` : '.';
    return { messages: (main.messageType ?? []).map((m) => root.lookupType(prefix + m.name)), label };
  }
  const mainName = `registry-schema-${id}.proto`;
  const sources = new Map(s.references.filter((r) => !r.name.startsWith('google/protobuf/')).map((r) => [r.name, r.schema]));
  sources.set(mainName, s.schema);
  const root = new protobuf.Root();
  // Imports are looked up by the names the references give them, as written in the import.
  root.resolvePath = (_origin: string, target: string) => target;
  // Answered on a later turn, as a real fetch is: protobufjs counts files still to come and would
  // finish when a synchronous answer brought that count to 0 with the bundled google/* files still queued.
  (root as unknown as { fetch: (name: string, cb: (err: Error | null, text?: string) => void) => void }).fetch = (name, cb) => {
    const text = sources.get(name);
    setImmediate(() => {
      if (text === undefined) cb(new Error(`it imports ${name}, which is none of its references (${[...sources.keys()].filter((n) => n !== mainName).join(', ') || 'none'})`));
      else cb(null, text);
    });
  };
  await root.load(mainName, { keepCase: true });
  root.resolveAll();
  return { messages: ownMessages(root, mainName), label };
}

/** Confluent's message indexes at `at`: a zigzag varint count, then that many zigzag varints; a count of 0 means [0]. */
export function messageIndexes(buf: Buffer, at: number): { indexes: number[]; next: number } | string {
  let pos = at;
  const varint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    }
    return undefined;
  };
  const count = varint();
  if (count === undefined || count < 0 || count > 32) return 'the message indexes after the schema id are cut short or malformed';
  if (count === 0) return { indexes: [0], next: pos };
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = varint();
    if (x === undefined || x < 0) return 'the message indexes after the schema id are cut short or malformed';
    indexes.push(x);
  }
  return { indexes, next: pos };
}

/** Well-known types as plain values: a Timestamp as epoch ms, a wrapper as its value (null when absent). */
function plain(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const t = field.resolvedType;
    if (!(t instanceof protobuf.Type)) continue;
    const v = obj[field.name];
    const one = (x: unknown): unknown => {
      if (x === null || x === undefined) return null;
      if (t.fullName === TIMESTAMP) {
        const ts = x as { seconds?: number; nanos?: number };
        return (ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
      }
      if (WRAPPERS.has(t.fullName)) return (x as { value?: unknown }).value ?? null;
      return plain(t, x as Record<string, unknown>);
    };
    obj[field.name] = Array.isArray(v) ? v.map(one) : one(v);
  }
  return obj;
}
