/**
 * Light schema of an event source (`payments.v1`, `sensors.v1`), JSON, Avro or Protobuf (formats.ts): the bytes of one Kafka record
 * flow in, and either a checked event (event time plus the declared fields, typed) or the field and
 * the reason it does not fit flow out. Rejected records go to `dlq.v1` with that reason; the stream
 * goes on.
 *
 * Rules:
 * - Declared fields are read by name; a dotted name (`device.id`) is looked up through nested objects
 *   (and, failing that, as a flat key with a dot in it).
 * - Types: `string`, `number` (finite), `integer` (a safe integer), `boolean`. No coercion unless the
 *   field says `from_text: true`: then a number written as text (`"12.50"`, as Debezium writes
 *   decimals and protobuf's JSON mapping 64-bit integers) is read as the number it spells, and text
 *   that spells none is refused, naming it.
 * - A field is required unless `optional: true`; an optional field that is absent (or null) is null
 *   in the event, or its `default` when one is declared.
 * - The event time is the record's Kafka timestamp when `time_field` is `$kafka_timestamp` (the
 *   producer's CreateTime, or the broker's LogAppendTime when the topic says so), for events that carry
 *   none of their own. Otherwise the event-time field is required: epoch seconds, milliseconds, microseconds or nanoseconds
 *   (`epoch_s`, `epoch_ms`, `epoch_us`, `epoch_ns`), or an ISO-8601 string with a zone (`iso8601`);
 *   `auto` reads strings of digits as numbers and tells the unit of a number by its size, as the four
 *   units' years 2000-2200 do not overlap (a time in seconds is never a plausible one in ms).
 * - An ISO-8601 time without a zone (Python's `datetime.isoformat()` of a naive time) is refused
 *   unless the source names its `time_zone` (IANA: `UTC`, `Europe/Berlin`), in which it is then read.
 * - A record framed by a schema registry (Confluent's wire format: byte 0, a 4-byte schema id, then
 *   the payload) is read when its payload is JSON (the JSON Schema serializer); with `format: avro`
 *   its Avro payload is read with the writer schema of its id (avro.ts), with `format: protobuf` its
 *   protobuf payload with the producer's .proto (protobuf.ts); otherwise a payload that is not JSON
 *   is refused, naming the framing and the schema id.
 * - A record holding a JSON list holds several events (a collector's batch): each is checked alone,
 *   and one that does not fit is refused naming its place in the list while the others go on.
 * - A record without a value (a tombstone: compaction's, or Debezium's after a delete) holds no event.
 * - Fields not declared are ignored (they still land in the raw table's JSON when one is configured).
 */
import { TributaryError } from '../../../../core/errors.ts';
import { type AvroSchemaRef } from './avro.ts';
import { EVENT_FORMATS, payloadDecoder, type EventFormat, type PayloadDecoder } from './formats.ts';
import { type SchemaRegistry } from './registry.ts';
// The agent's reading of stamps and zones, so a time without a zone means the same on both sides.
import { isValidTimeZone, parseIso } from '../../../../agents/transforms/timestamp.ts';

export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
/** `time_field` naming the record's Kafka timestamp instead of a field of the event. */
export const KAFKA_TIMESTAMP = '$kafka_timestamp';
export type FieldType = (typeof FIELD_TYPES)[number];
export const TIME_FORMATS = ['auto', 'epoch_ms', 'epoch_s', 'epoch_us', 'epoch_ns', 'iso8601'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export interface FieldSpec {
  type: FieldType;
  optional?: boolean;
  /** Value of an absent optional field; without it the field is null. */
  default?: string | number | boolean;
  /** A number or integer field also takes the number written as text (`"12.50"`). */
  from_text?: boolean;
}

/** A source as declared in config (snake_case keys, as in YAML). */
export interface SourceConfig {
  name: string;
  topic: string;
  description?: string;
  /** Field holding the event time. */
  time_field: string;
  time_format?: TimeFormat;
  /** IANA zone of ISO-8601 times written without one; without it such times are refused. */
  time_zone?: string;
  /** Field name -> type, or a full spec. */
  fields: Record<string, FieldType | FieldSpec>;
  /** Land every valid event in this table too (raw history for backfill from ClickHouse). */
  raw_table?: string;
  /** How a record's bytes are written: json (the default), avro (Confluent-framed) or avro_raw. */
  format?: EventFormat;
  /** The Avro writer schema: a .avsc file (relative to the worker's config) or the schema inline. */
  avro_schema?: AvroSchemaRef;
  /** Avro writer schemas by schema registry id, for records of several versions. */
  avro_schemas?: Record<string, AvroSchemaRef>;
  /** The producer's .proto (relative to the worker's config), for protobuf and protobuf_raw. */
  proto_file?: string;
  /** The message of proto_file the records are (full name, `shop.Payment`). */
  proto_message?: string;
}

export const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'topic', 'time_field', 'fields'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'Name views refer to (lower-case letters, digits, _).' },
    topic: { type: 'string', minLength: 1, description: 'Kafka topic of the events, one event (or a JSON list of them) per record.' },
    format: { enum: [...EVENT_FORMATS], default: 'json', description: 'How the records are written: json; avro (Confluent\'s wire format, as the schema registry\'s serializers, Kafka Connect\'s AvroConverter and Debezium write it; each record read with the writer schema of its id); avro_raw (plain Avro binary of one schema, no frame); protobuf (Confluent\'s wire format with its message indexes, as the ProtobufSerializer writes it); protobuf_raw (plain protobuf payloads of proto_message).' },
    avro_schema: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }], description: 'For avro and avro_raw: the writer schema, a .avsc file (relative to this config file) or the schema inline; with avro, for records of any id not in avro_schemas.' },
    proto_file: { type: 'string', minLength: 1, description: 'For protobuf and protobuf_raw: the producer\'s .proto (relative to this config file; its imports beside it, google/protobuf/* built in).' },
    proto_message: { type: 'string', minLength: 1, description: 'The message the records are (full name, shop.Payment): required for protobuf_raw; for protobuf, records of another message (by their message indexes) are refused.' },
    avro_schemas: { type: 'object', additionalProperties: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] }, description: 'For avro: writer schemas by schema registry id ({ "7": payment-v1.avsc, "8": payment-v2.avsc }), for topics written by several versions of a producer; a record of an id with none (and no avro_schema) is refused naming the id.' },
    description: { type: 'string', description: 'What the events are.' },
    time_field: { type: 'string', minLength: 1, description: 'Field holding the event time; windows run on it. $kafka_timestamp: the record\'s Kafka timestamp instead (events without a time of their own).' },
    time_format: { enum: [...TIME_FORMATS], default: 'auto', description: 'epoch_s, epoch_ms, epoch_us, epoch_ns, iso8601, or auto (a number, or a string of digits, in the unit its size says; other strings ISO-8601).' },
    time_zone: { type: 'string', minLength: 1, description: 'IANA zone (UTC, Europe/Berlin) of ISO-8601 times written without an offset; without it such times are refused.' },
    fields: {
      type: 'object',
      minProperties: 1,
      description: 'Declared fields: name -> type (string, number, integer, boolean) or { type, optional, default, from_text }.',
      additionalProperties: {
        anyOf: [
          { enum: [...FIELD_TYPES] },
          {
            type: 'object',
            additionalProperties: false,
            required: ['type'],
            properties: {
              type: { enum: [...FIELD_TYPES] },
              optional: { type: 'boolean', description: 'Absent or null is allowed (the field is then null, or its default).' },
              default: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], description: 'Value of the field when absent (makes it optional).' },
              from_text: { type: 'boolean', description: 'For number and integer fields: also take the number written as text ("12.50", as Debezium writes decimals and protobuf JSON 64-bit integers).' },
            },
          },
        ],
      },
    },
    raw_table: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'Also land every valid event in this ClickHouse table (for backfill from ClickHouse).' },
  },
} as const;

/** A checked event: event time and the declared fields (absent optional fields are null). */
export interface SourceEvent {
  time: number;
  fields: Record<string, string | number | boolean | null>;
}

export type CheckResult = { ok: true; event: SourceEvent } | { ok: false; field: string; reason: string };

/** What one record holds: its events, and why each of the others is not one; `list` when the record was a JSON list. */
export interface RecordEvents {
  list: boolean;
  events: SourceEvent[];
  refused: Array<{ field: string; reason: string }>;
}

interface CompiledField {
  name: string;
  path: string[];
  type: FieldType;
  optional: boolean;
  fromText: boolean;
  fallback: string | number | boolean | null;
}

/** The compiled schema of one source. */
export class EventSchema {
  readonly name: string;
  readonly topic: string;
  readonly timeField: string;
  readonly timeFormat: TimeFormat;
  readonly timeZone: string | undefined;
  readonly fields: readonly CompiledField[];
  readonly format: EventFormat;
  private readonly timePath: string[];
  private readonly payload?: PayloadDecoder;

  constructor(readonly config: SourceConfig, registry?: SchemaRegistry) {
    this.name = config.name;
    this.topic = config.topic;
    this.timeField = config.time_field;
    this.timeFormat = config.time_format ?? 'auto';
    if (config.time_zone !== undefined && !isValidTimeZone(config.time_zone)) {
      throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.time_zone: "${config.time_zone}" is not an IANA time zone (UTC, Europe/Berlin, America/New_York)`);
    }
    this.timeZone = config.time_zone;
    this.format = config.format ?? 'json';
    this.payload = payloadDecoder(this.format, config, `sources.${config.name}`, registry);
    this.timePath = config.time_field.split('.');
    this.fields = Object.entries(config.fields).map(([name, spec]) => {
      const s: FieldSpec = typeof spec === 'string' ? { type: spec } : spec;
      if (!FIELD_TYPES.includes(s.type)) throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.fields.${name}: unknown type "${s.type}" (known: ${FIELD_TYPES.join(', ')})`);
      if (s.default !== undefined && typeOf(s.default, s.type) !== undefined) {
        throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.fields.${name}.default: ${typeOf(s.default, s.type)}`);
      }
      if (s.from_text && s.type !== 'number' && s.type !== 'integer') {
        throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.fields.${name}.from_text: only number and integer fields read numbers from text (this one is ${s.type})`);
      }
      return { name, path: name.split('.'), type: s.type, optional: s.optional ?? s.default !== undefined, fromText: s.from_text ?? false, fallback: s.default ?? null };
    });
  }

  /** Type of a declared field, or undefined. */
  typeOf(field: string): FieldType | undefined {
    return this.fields.find((f) => f.name === field)?.type;
  }

  /**
   * Before a batch's records are decoded: fetches the writer schemas of schema ids met for the first
   * time (Avro and protobuf with a schema registry). Throws REGISTRY_UNAVAILABLE (retriable) or
   * REGISTRY_AUTH; records of an id the registry lacks are refused when decoded.
   */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    await this.payload?.prepare?.(values);
  }

  /** Whether decoding may need `prepare` first. */
  get needsPrepare(): boolean {
    return this.payload?.prepare !== undefined;
  }

  /** Parses and checks one record's bytes as one event (`timestamp`: the record's Kafka timestamp). Never throws. */
  decode(bytes: Buffer | string | null, timestamp?: number): CheckResult {
    const parsed = this.parse(bytes);
    return 'reason' in parsed ? parsed : this.check(parsed.value, timestamp);
  }

  /** The events one record holds: none for a tombstone, each element of a JSON list, else the one. Never throws. */
  decodeAll(bytes: Buffer | string | null, timestamp?: number): RecordEvents {
    if (bytes === null) return { list: false, events: [], refused: [] };
    const parsed = this.parse(bytes);
    if ('reason' in parsed) return { list: false, events: [], refused: [{ field: parsed.field, reason: parsed.reason }] };
    const out: RecordEvents = { list: Array.isArray(parsed.value), events: [], refused: [] };
    const items = Array.isArray(parsed.value) ? (parsed.value as unknown[]) : [parsed.value];
    items.forEach((item, i) => {
      const r = this.check(item, timestamp);
      if (r.ok) out.events.push(r.event);
      else out.refused.push(out.list ? { field: r.field, reason: `(event ${i + 1} of the record's ${items.length}) ${r.reason}` } : r);
    });
    return out;
  }

  private parse(bytes: Buffer | string | null): { value: unknown } | { ok: false; field: string; reason: string } {
    if (bytes === null || bytes.length === 0) return { ok: false, field: '', reason: 'the record is empty' };
    if (this.payload) return this.payload.decode(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    let obj: unknown;
    // Confluent's wire format: magic byte 0 and a 4-byte schema id before the payload (JSON never starts with 0).
    const framed = typeof bytes !== 'string' && bytes[0] === 0 && bytes.length >= 5;
    try {
      obj = JSON.parse(typeof bytes === 'string' ? bytes : framed ? bytes.toString('utf8', 5) : bytes.toString('utf8'));
    } catch (err) {
      if (framed) {
        const id = (bytes as Buffer).readUInt32BE(1);
        return { ok: false, field: '', reason: `framed by a schema registry (magic byte 0, schema id ${id}), and the payload after the 5-byte header is not JSON: Avro and Protobuf payloads are read with format: avro or protobuf and the producer's schema (${(err as Error).message})` };
      }
      return { ok: false, field: '', reason: `not JSON: ${(err as Error).message}` };
    }
    return { value: obj };
  }

  /** Checks a parsed JSON value against the schema (`timestamp`: the record's Kafka timestamp). Never throws. */
  check(obj: unknown, timestamp?: number): CheckResult {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, field: '', reason: `the event is not ${this.payload ? `a ${this.format.replace(/_raw$/, '')} record` : 'a JSON object'}` };
    const rec = obj as Record<string, unknown>;
    const time = this.timeField === KAFKA_TIMESTAMP
      ? timestamp !== undefined && Number.isFinite(timestamp) && timestamp >= 0 ? timestamp : 'the record has no Kafka timestamp (time_field is $kafka_timestamp)'
      : parseTime(lookup(rec, this.timePath, this.timeField), this.timeFormat, this.timeZone);
    if (typeof time === 'string') return { ok: false, field: this.timeField, reason: time };
    const fields: SourceEvent['fields'] = {};
    for (const f of this.fields) {
      const v = lookup(rec, f.path, f.name);
      if (v === undefined || v === null) {
        if (!f.optional) return { ok: false, field: f.name, reason: 'is required and missing' };
        fields[f.name] = f.fallback;
        continue;
      }
      if (f.fromText && typeof v === 'string') {
        const x = numberFromText(v);
        if (x === undefined) return { ok: false, field: f.name, reason: `should be a number (or one written as text), got text ${JSON.stringify(v.slice(0, 40))}${BASE64.test(v) ? BASE64_HINT : ''}` };
        const bad = typeOf(x, f.type);
        if (bad !== undefined) return { ok: false, field: f.name, reason: `${bad} (read from text ${JSON.stringify(v.slice(0, 40))})` };
        fields[f.name] = x;
        continue;
      }
      const bad = typeOf(v, f.type);
      if (bad !== undefined) return { ok: false, field: f.name, reason: bad };
      fields[f.name] = v as string | number | boolean;
    }
    return { ok: true, event: { time, fields } };
  }
}

function lookup(rec: Record<string, unknown>, path: string[], name: string): unknown {
  if (path.length === 1) return rec[name];
  let cur: unknown = rec;
  for (const part of path) {
    if (typeof cur !== 'object' || cur === null) {
      cur = undefined;
      break;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur !== undefined ? cur : rec[name];
}

/** Undefined when `v` has type `type`; otherwise the reason it does not. */
function typeOf(v: unknown, type: FieldType): string | undefined {
  const got = Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : `should be a string, got ${got}`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `should be a finite number, got ${got}`;
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? undefined : `should be an integer, got ${got}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `should be true or false, got ${got}`;
  }
}

// Kafka Connect writes a DECIMAL in its default (precise) mode as the unscaled number's bytes in base64
// (Debezium's `decimal.handling.mode: precise`): text no number spells, which deserves its own hint.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;
const BASE64_HINT = ' (base64? Kafka Connect writes decimals so in its precise mode: have the connector write them as text or double, e.g. Debezium\'s decimal.handling.mode string)';

/** A decimal number spelt in full (`12.50`, `-3`, `1e-3`), as JSON would write it; undefined for other text (blank, `0x1F`, `12abc`, `NaN`). */
function numberFromText(v: string): number | undefined {
  if (!/^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return undefined;
  const x = Number(v);
  return Number.isFinite(x) ? x : undefined;
}

const UNIT_MS = { epoch_s: 1000, epoch_ms: 1, epoch_us: 1e-3, epoch_ns: 1e-6 } as const;
const UNIT_NAME = { epoch_s: 'seconds', epoch_ms: 'milliseconds', epoch_us: 'microseconds', epoch_ns: 'nanoseconds' } as const;
// Years 2000-2200 in ms: a time outside them was most likely sent in another unit (seconds read as
// ms land in 1970 and would be "too late" for every window).
const MIN_MS = 946_684_800_000;
const MAX_MS = 7_258_118_400_000;

/** The unit whose years 2000-2200 hold `v`: they do not overlap, so the size of a number tells its unit. */
function unitBySize(v: number): keyof typeof UNIT_MS | undefined {
  for (const unit of ['epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns'] as const) {
    const ms = v * UNIT_MS[unit];
    if (ms >= MIN_MS && ms <= MAX_MS) return unit;
  }
  return undefined;
}

const NAIVE_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?$/;

/** Epoch ms, or the reason the value is not a time in that format (`timeZone`: of times written without one). */
export function parseTime(v: unknown, format: TimeFormat, timeZone?: string): number | string {
  if (v === undefined || v === null) return 'is required and missing (it is the event-time field)';
  // Digits in a string are a number (protobuf's JSON mapping writes 64-bit integers so: OTLP's timeUnixNano).
  const digits = typeof v === 'string' && /^\d{9,19}(\.\d+)?$/.test(v);
  if (format === 'auto' && (typeof v === 'number' || digits)) {
    const x = Number(v);
    const unit = Number.isFinite(x) ? unitBySize(x) : undefined;
    if (unit === undefined) return `${JSON.stringify(v)} is not a plausible epoch time in seconds, milliseconds, microseconds or nanoseconds (years 2000-2200)`;
    return x * UNIT_MS[unit];
  }
  if (format !== 'auto' && format !== 'iso8601') {
    const x = digits ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x)) return `should be epoch ${UNIT_NAME[format]} (a number), got ${JSON.stringify(v)}`;
    const ms = x * UNIT_MS[format];
    if (ms < MIN_MS || ms > MAX_MS) {
      const other = unitBySize(x);
      return `${x} is not a plausible epoch time in ${UNIT_NAME[format]} (years 2000-2200)${other ? `; in ${UNIT_NAME[other]} it would be (time_format: ${other}, or auto)` : ''}`;
    }
    return ms;
  }
  if (typeof v !== 'string') return `should be an ISO-8601 time string, got ${JSON.stringify(v)}`;
  if (timeZone !== undefined && NAIVE_ISO.test(v)) {
    const ms = parseIso(v, timeZone);
    return ms !== undefined && Number.isFinite(ms) ? ms : `is not a valid date: "${v.slice(0, 40)}"`;
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const hint = NAIVE_ISO.test(v) ? ' (a time without a zone: set the source\'s time_zone to read it)' : '';
    return `should be an ISO-8601 time with a zone (2026-11-29T10:00:00Z), got "${v.slice(0, 40)}"${hint}`;
  }
  const ms = Date.parse(v.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : `is not a valid date: "${v}"`;
}
