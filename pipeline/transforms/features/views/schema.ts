/**
 * Light schema of a JSON event source (`payments.v1`, `sensors.v1`): the bytes of one Kafka record
 * flow in, and either a checked event (event time plus the declared fields, typed) or the field and
 * the reason it does not fit flow out. Rejected records go to `dlq.v1` with that reason; the stream
 * goes on.
 *
 * Rules:
 * - Declared fields are read by name; a dotted name (`device.id`) is looked up through nested objects
 *   (and, failing that, as a flat key with a dot in it).
 * - Types: `string`, `number` (finite), `integer` (a safe integer), `boolean`. No coercion: `"12"`
 *   is not a number (producers that send numbers as text should say `string`).
 * - A field is required unless `optional: true`; an optional field that is absent (or null) is null
 *   in the event, or its `default` when one is declared.
 * - The event-time field is required: epoch milliseconds (a number), epoch seconds (`epoch_s`), or an
 *   ISO-8601 string with a zone (`iso8601`); `auto` takes numbers as milliseconds and strings as ISO.
 * - Fields not declared are ignored (they still land in the raw table's JSON when one is configured).
 */
import { TributaryError } from '../../../../core/errors.ts';

export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const TIME_FORMATS = ['auto', 'epoch_ms', 'epoch_s', 'iso8601'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export interface FieldSpec {
  type: FieldType;
  optional?: boolean;
  /** Value of an absent optional field; without it the field is null. */
  default?: string | number | boolean;
}

/** A source as declared in config (snake_case keys, as in YAML). */
export interface SourceConfig {
  name: string;
  topic: string;
  description?: string;
  /** Field holding the event time. */
  time_field: string;
  time_format?: TimeFormat;
  /** Field name -> type, or a full spec. */
  fields: Record<string, FieldType | FieldSpec>;
  /** Land every valid event in this table too (raw history for backfill from ClickHouse). */
  raw_table?: string;
}

export const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'topic', 'time_field', 'fields'],
  properties: {
    name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'Name views refer to (lower-case letters, digits, _).' },
    topic: { type: 'string', minLength: 1, description: 'Kafka topic of JSON events, one event per record.' },
    description: { type: 'string', description: 'What the events are.' },
    time_field: { type: 'string', minLength: 1, description: 'Field holding the event time; windows run on it.' },
    time_format: { enum: [...TIME_FORMATS], default: 'auto', description: 'epoch_ms, epoch_s, iso8601, or auto (numbers are ms, strings ISO-8601).' },
    fields: {
      type: 'object',
      minProperties: 1,
      description: 'Declared fields: name -> type (string, number, integer, boolean) or { type, optional, default }.',
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

interface CompiledField {
  name: string;
  path: string[];
  type: FieldType;
  optional: boolean;
  fallback: string | number | boolean | null;
}

/** The compiled schema of one source. */
export class EventSchema {
  readonly name: string;
  readonly topic: string;
  readonly timeField: string;
  readonly timeFormat: TimeFormat;
  readonly fields: readonly CompiledField[];
  private readonly timePath: string[];

  constructor(readonly config: SourceConfig) {
    this.name = config.name;
    this.topic = config.topic;
    this.timeField = config.time_field;
    this.timeFormat = config.time_format ?? 'auto';
    this.timePath = config.time_field.split('.');
    this.fields = Object.entries(config.fields).map(([name, spec]) => {
      const s: FieldSpec = typeof spec === 'string' ? { type: spec } : spec;
      if (!FIELD_TYPES.includes(s.type)) throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.fields.${name}: unknown type "${s.type}" (known: ${FIELD_TYPES.join(', ')})`);
      if (s.default !== undefined && typeOf(s.default, s.type) !== undefined) {
        throw new TributaryError('CONFIG_INVALID', `sources.${config.name}.fields.${name}.default: ${typeOf(s.default, s.type)}`);
      }
      return { name, path: name.split('.'), type: s.type, optional: s.optional ?? s.default !== undefined, fallback: s.default ?? null };
    });
  }

  /** Type of a declared field, or undefined. */
  typeOf(field: string): FieldType | undefined {
    return this.fields.find((f) => f.name === field)?.type;
  }

  /** Parses and checks one record's bytes. Never throws. */
  decode(bytes: Buffer | string | null): CheckResult {
    if (bytes === null || bytes.length === 0) return { ok: false, field: '', reason: 'the record is empty' };
    let obj: unknown;
    try {
      obj = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
    } catch (err) {
      return { ok: false, field: '', reason: `not JSON: ${(err as Error).message}` };
    }
    return this.check(obj);
  }

  /** Checks a parsed JSON value against the schema. Never throws. */
  check(obj: unknown): CheckResult {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, field: '', reason: 'the event is not a JSON object' };
    const rec = obj as Record<string, unknown>;
    const rawTime = lookup(rec, this.timePath, this.timeField);
    const time = parseTime(rawTime, this.timeFormat);
    if (typeof time === 'string') return { ok: false, field: this.timeField, reason: time };
    const fields: SourceEvent['fields'] = {};
    for (const f of this.fields) {
      const v = lookup(rec, f.path, f.name);
      if (v === undefined || v === null) {
        if (!f.optional) return { ok: false, field: f.name, reason: 'is required and missing' };
        fields[f.name] = f.fallback;
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

/** Epoch ms, or the reason the value is not a time in that format. */
export function parseTime(v: unknown, format: TimeFormat): number | string {
  if (v === undefined || v === null) return 'is required and missing (it is the event-time field)';
  const numeric = format === 'epoch_ms' || format === 'epoch_s' || (format === 'auto' && typeof v === 'number');
  if (numeric) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `should be epoch ${format === 'epoch_s' ? 'seconds' : 'milliseconds'} (a number), got ${JSON.stringify(v)}`;
    const ms = format === 'epoch_s' ? v * 1000 : v;
    // Years 2000-2200 in ms: seconds sent where ms are expected land in 1970 and would be "too late" for every window.
    if (ms < 946_684_800_000 || ms > 7_258_118_400_000) return `${v} is not a plausible epoch time in ${format === 'epoch_s' ? 'seconds' : 'milliseconds'} (years 2000-2200)`;
    return ms;
  }
  if (typeof v !== 'string') return `should be an ISO-8601 time string, got ${JSON.stringify(v)}`;
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) return `should be an ISO-8601 time with a zone (2026-11-29T10:00:00Z), got "${v.slice(0, 40)}"`;
  const ms = Date.parse(v.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : `is not a valid date: "${v}"`;
}
