/**
 * JSON lines (pino, bunyan, zap, logrus, ECS, Docker's json-file driver, GELF) in, ParsedFields out.
 * Only an object counts; nested objects become dotted attribute keys.
 */
import { clefFields, isClef } from './clef.ts';
import { FIELD_NAME_CONFIG_PROPERTIES, fieldsFromMap, flattenInto, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import { gelfFields, isGelf } from './gelf.ts';
import { tracingJson } from './rust.ts';
import type { LineParser, ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export interface JsonParserOptions extends FieldNameOptions {
  /** How many levels of nested objects become dotted keys; deeper values stay JSON strings. */
  flattenDepth: number;
}

export const jsonDefaults: JsonParserOptions = { ...withFieldDefaults({}), flattenDepth: 3 };

export function createJsonParser(options: Partial<JsonParserOptions> = {}): LineParser {
  const names = withFieldDefaults(options);
  const depth = options.flattenDepth ?? jsonDefaults.flattenDepth;
  return (line, ctx) => {
    // Cheap rejection before JSON.parse: it must look like an object.
    let i = 0;
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (line.charCodeAt(i) !== 123 /* { */) return null;
    let value: unknown;
    // A multiline record is either pretty-printed JSON (parses whole) or a JSON line with a stack
    // trace under it (the first line parses; the rest stays with the message).
    let rest = '';
    try {
      value = JSON.parse(line);
    } catch {
      const nl = line.indexOf('\n');
      if (nl === -1) return null;
      try {
        value = JSON.parse(line.slice(0, nl));
        rest = line.slice(nl);
      } catch {
        return null;
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    return fieldsFromObject(value as Record<string, unknown>, line, rest, names, depth, ctx);
  };
}

/** A parsed JSON object (and the text that followed its first line, if any) to ParsedFields. */
export function fieldsFromObject(value: Record<string, unknown>, line: string, rest: string, names: FieldNameOptions, depth: number, ctx: ParseContext): ParsedFields {
  if (value.short_message !== undefined && isGelf(value)) return gelfFields(value, line, names, ctx);
  // Rust's tracing-subscriber: the message and fields under `fields`, the spans beside them (rust.ts).
  if (value.fields !== undefined && value.target !== undefined) {
    const tracing = tracingJson(value);
    if (tracing !== undefined) value = tracing;
  }
  let flat = epochObject(value, 'instant', 'epochSecond', 'nanoOfSecond', false);
  const instant = flat !== value;
  if (!instant) flat = epochObject(value, 'timestamp', 'seconds', 'nanos', true);
  if (depth > 0) {
    for (const k in flat) {
      const v = flat[k];
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const out: Record<string, unknown> = {};
        flattenInto(out, flat, '', depth);
        flat = out;
        break;
      }
    }
  }
  const mongo = isMongoLog(value);
  const out = fieldsFromMap(flat, line, mongo ? namesFor(names, 'mongo') : instant ? namesFor(names, 'log4j') : names, ctx);
  // Serilog's compact JSON: its template rendered, its exception read (clef.ts).
  if (value['@t'] !== undefined && isClef(value)) clefFields(value, out);
  if (rest !== '' && out.body !== line) out.body += rest;
  return out;
}

/**
 * MongoDB's structured log (4.4 and later): `{"t":{"$date":"..."},"s":"I","c":"NETWORK","id":22943,
 * "ctx":"listener","msg":"..."}`. Its time and severity keys are too short to be well-known everywhere
 * (`s` holds anything in other logs): they count only in an object of this shape.
 */
function isMongoLog(value: Record<string, unknown>): boolean {
  const t = value.t;
  return typeof value.s === 'string' && t !== null && typeof t === 'object' && typeof (t as Record<string, unknown>).$date === 'string';
}

/**
 * An epoch time written as an object of seconds and nanoseconds, under `key`, as one number of epoch
 * milliseconds (a copy of the object; the original is not touched), or the object unchanged. Log4j2's
 * JsonLayout writes `"instant":{"epochSecond":...,"nanoOfSecond":...}` (made the time by
 * `namesFor(names, 'log4j')`); Google Cloud's structured logging `"timestamp":{"seconds":...,"nanos":...}`
 * (its seconds may be a string of digits), which `timestamp`, a time key everywhere, then reads.
 */
function epochObject(value: Record<string, unknown>, key: string, secondsKey: string, nanosKey: string, digitStrings: boolean): Record<string, unknown> {
  const o = value[key];
  if (o === null || typeof o !== 'object') return value;
  const seconds = (o as Record<string, unknown>)[secondsKey];
  const nanos = (o as Record<string, unknown>)[nanosKey];
  const s = digitStrings && typeof seconds === 'string' && /^\d{1,12}$/.test(seconds) ? Number(seconds) : seconds;
  if (typeof s !== 'number' || !Number.isFinite(s)) return value;
  const n = typeof nanos === 'number' && Number.isFinite(nanos) ? nanos : 0;
  return { ...value, [key]: s * 1000 + n / 1e6 };
}

/** Keys that count only in a particular shape of object (`isMongoLog`, Log4j2's `instant` in `epochObject`), last in their lists. */
const SHAPE_KEYS = {
  mongo: { levelKeys: ['s'], timeKeys: ['t.$date'] },
  log4j: { levelKeys: [], timeKeys: ['instant'] },
} as const;
type Shape = keyof typeof SHAPE_KEYS;

const shapedNames = new WeakMap<FieldNameOptions, Partial<Record<Shape, FieldNameOptions>>>();

/** The field names with a shape's own keys after the configured ones, made once per names and shape. */
function namesFor(names: FieldNameOptions, shape: Shape): FieldNameOptions {
  let byShape = shapedNames.get(names);
  if (byShape === undefined) shapedNames.set(names, (byShape = {}));
  const extra = SHAPE_KEYS[shape];
  return (byShape[shape] ??= { ...names, levelKeys: [...names.levelKeys, ...extra.levelKeys], timeKeys: [...names.timeKeys, ...extra.timeKeys] });
}

export const jsonParser: ParserDefinition<JsonParserOptions> = {
  name: 'json',
  description: 'One JSON object per line; msg/message/body, level (words or pino numbers), time/timestamp/ts/@timestamp, trace_id/span_id, service and host are recognised, and the keys of structlog, Serilog (compact JSON), Log4j2 (JsonLayout), MongoDB and GELF.',
  defaults: jsonDefaults,
  configProperties: {
    ...FIELD_NAME_CONFIG_PROPERTIES,
    flatten_depth: { type: 'integer', minimum: 0, maximum: 10, description: 'Levels of nested objects turned into dotted attribute keys (default 3).' },
  },
  create: createJsonParser,
};
