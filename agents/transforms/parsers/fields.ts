/**
 * Shared by the structured parsers (json, logfmt, regex): a map of named values in, ParsedFields out.
 * Well-known names become the record's time, severity, body, trace/span ids and service/host;
 * everything else becomes a string attribute.
 */
import { severityFromValue } from '../severity.ts';
import { NAMED_FORMATS, parseTimestamp } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

export interface FieldNameOptions {
  /** Keys holding the message, first present wins. */
  messageKeys: string[];
  /** Keys holding the severity (a word or a pino number). */
  levelKeys: string[];
  /** Keys holding the event time. */
  timeKeys: string[];
  /** Format of the time field (`auto`, a named format or a strftime-like pattern). */
  timeFormat: string;
  /** IANA zone for times without an offset; falls back to the context's zone. */
  timeZone?: string;
}

// Last in each list, keys of particular loggers: structlog's `event`, Serilog's compact JSON (`@t`,
// `@m`, the template `@mt`, `@l`) and its older JsonFormatter (`RenderedMessage`, else `MessageTemplate`;
// `Timestamp` and `Level` are among the keys already), Log4j2's JsonLayout (`timeMillis`; its `instant` in json.ts), AWS
// CloudTrail's and Kubernetes events' `eventTime`, the Kubernetes audit log's
// `requestReceivedTimestamp`, Envoy's JSON access log's `start_time`, python-json-logger's `asctime` (Python's
// `%(asctime)s`, the host's local time), Grafana's logfmt `t` (a date
// only: `DATE_ONLY_TIME_KEYS`), .NET's JSON console formatter's `LogLevel`, PostgreSQL's jsonlog's `error_severity`.
export const DEFAULT_FIELD_NAMES: FieldNameOptions = {
  messageKeys: ['msg', 'message', 'body', 'log', 'Message', 'MESSAGE', '@m', '@mt', 'event', 'RenderedMessage', 'MessageTemplate'],
  levelKeys: ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'levelname', 'severity_text', 'severityText', 'SeverityText', 'Level', '@l', 'LogLevel', 'error_severity'],
  timeKeys: ['time', 'timestamp', 'ts', '@timestamp', 'Timestamp', 'datetime', '@t', 'timeMillis', 'eventTime', 'requestReceivedTimestamp', 'start_time', 'asctime', 't'],
  timeFormat: 'auto',
};

/** Time keys too short to trust with any value (`t=3` is a count): they count only when they hold a written date. */
const DATE_ONLY_TIME_KEYS = new Set(['t']);

/** `2026-11-24...` or `2026/11/24...`: a written date, not a number that could be read as an epoch. */
function looksLikeDate(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 10) return false;
  const c = v.charCodeAt(4);
  return (c === 45 || c === 47) && v.charCodeAt(0) >= 48 && v.charCodeAt(0) <= 57;
}

// Google Cloud's structured logging: `logging.googleapis.com/trace` holds `projects/<p>/traces/<id>`;
// Serilog's compact JSON (3.1 and later) writes `@tr` and `@sp`.
const GCP_TRACE = 'logging.googleapis.com/trace';
const TRACE_KEYS = new Set(['trace_id', 'traceId', 'traceid', 'trace.id', 'TraceId', 'dd.trace_id_hex', 'trace', GCP_TRACE, '@tr']);
const SPAN_KEYS = new Set(['span_id', 'spanId', 'spanid', 'span.id', 'SpanId', 'logging.googleapis.com/spanId', '@sp']);
const SERVICE_KEYS = new Set(['service', 'service.name', 'service_name', 'serviceName']);
// Not plain `host`: JSON access logs use it for the request's Host header.
const HOST_KEYS = new Set(['hostname', 'host.name', 'host_name']);

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;

/** A W3C trace id, or a 64-bit (Jaeger/Zipkin) one padded to 128 bits; undefined when invalid or all zero. */
export function normaliseTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let v = value;
  // Google Cloud's resource name of a trace, `projects/<project>/traces/<id>`.
  if (v.length > 32 && v.charCodeAt(0) === 112 /* p */ && v.startsWith('projects/')) {
    const at = v.lastIndexOf('/traces/');
    if (at !== -1) v = v.slice(at + 8);
  }
  const id = HEX32.test(v) ? v.toLowerCase() : HEX16.test(v) ? '0000000000000000' + v.toLowerCase() : undefined;
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

export function normaliseSpanId(v: unknown): string | undefined {
  if (typeof v !== 'string' || !HEX16.test(v) || /^0+$/.test(v)) return undefined;
  return v.toLowerCase();
}

/** A value as an attribute string: strings as they are, everything else as JSON. */
export function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/**
 * Sets `out[key]`, also for a key named `__proto__` (an own property, as JSON.parse makes one; a plain
 * assignment would try to set the object's prototype and the key would be lost).
 */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Flattens nested objects into dotted keys, up to `depth` levels; arrays stay JSON. */
export function flattenInto(out: Record<string, unknown>, value: Record<string, unknown>, prefix: string, depth: number): void {
  for (const key of Object.keys(value)) {
    const v = value[key];
    const k = prefix === '' ? key : `${prefix}.${key}`;
    if (depth > 0 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      flattenInto(out, v as Record<string, unknown>, k, depth - 1);
    } else {
      setOwn(out, k, v);
    }
  }
}

/**
 * What a key can be, worked out once per set of field names: its rank among the message, level and
 * time keys (-1: not one) and whether it may hold a trace id, span id, service or host. One look-up
 * per key instead of up to seven; most keys of a line have no role and go straight to the attributes.
 */
interface KeyRole {
  message: number;
  level: number;
  time: number;
  /** A time key only when its value is a written date (`DATE_ONLY_TIME_KEYS`). */
  dateOnly: boolean;
  trace: boolean;
  span: boolean;
  service: boolean;
  host: boolean;
}

const roleCache = new WeakMap<FieldNameOptions, Map<string, KeyRole>>();

function keyRoles(names: FieldNameOptions): Map<string, KeyRole> {
  let roles = roleCache.get(names);
  if (!roles) {
    roles = new Map();
    const all = [...names.messageKeys, ...names.levelKeys, ...names.timeKeys, 'traceparent', ...TRACE_KEYS, ...SPAN_KEYS, ...SERVICE_KEYS, ...HOST_KEYS];
    for (const k of all) {
      roles.set(k, {
        message: names.messageKeys.indexOf(k),
        level: names.levelKeys.indexOf(k),
        time: names.timeKeys.indexOf(k),
        dateOnly: DATE_ONLY_TIME_KEYS.has(k),
        trace: TRACE_KEYS.has(k),
        span: SPAN_KEYS.has(k),
        service: SERVICE_KEYS.has(k),
        host: HOST_KEYS.has(k),
      });
    }
    roleCache.set(names, roles);
  }
  return roles;
}

/**
 * The role of the key at each position in the last line sorted (with these roles): a logger writes
 * its keys in the same order, and JSON.parse and the logfmt splitter hand over the very same key
 * strings again, so a comparison (of two pointers, mostly) replaces a Map look-up. Only a key equal
 * to the one remembered gets its role.
 */
const MEMO_KEYS = 64;
// Longer keys may be slices that keep their whole line alive: not remembered (V8 copies up to 12).
const MEMO_KEY_CHARS = 12;
let memoRoles: Map<string, KeyRole> | undefined;
const memoKeys: string[] = [];
const memoRole: Array<KeyRole | undefined> = [];

/**
 * Sorts named values into ParsedFields. `line` becomes the body when no message key is present.
 * A well-known value that does not parse (a time that is not a time) is kept as an attribute.
 */
export function fieldsFromMap(values: Record<string, unknown>, line: string, names: FieldNameOptions, ctx: ParseContext): ParsedFields {
  const keys = Object.keys(values);
  return fieldsFromPairs(keys, Object.values(values), keys.length, line, names, ctx);
}

/**
 * fieldsFromMap over the first `count` keys and their values, given as two arrays in the order an
 * object with them would list them (each key once): the logfmt parser hands its pairs over this
 * way, without building an object of them first.
 */
export function fieldsFromPairs(keys: readonly string[], vals: readonly unknown[], count: number, line: string, names: FieldNameOptions, ctx: ParseContext): ParsedFields {
  const roles = keyRoles(names);
  const attributes: Record<string, string> = {};
  // Where the message, level and time were found (-1: not yet), and the rank of their key.
  let msgAt = -1, msgRank = Infinity;
  let lvlAt = -1, lvlRank = Infinity;
  let timeAt = -1, timeRank = Infinity;
  const out: ParsedFields = { body: line, attributes };
  if (roles !== memoRoles) {
    memoRoles = roles;
    memoKeys.length = 0;
  }
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    const v = vals[i];
    if (v === undefined) continue;
    let role: KeyRole | undefined;
    if (i < MEMO_KEYS && memoKeys[i] === key) {
      role = memoRole[i];
    } else {
      role = roles.get(key);
      if (i < MEMO_KEYS && key.length <= MEMO_KEY_CHARS) {
        memoKeys[i] = key;
        memoRole[i] = role;
      }
    }
    if (role === undefined) {
      const c = key.charCodeAt(0);
      if ((c === 99 /* c */ || c === 115 /* s */ || c === 102 /* f */) && (typeof v === 'string' || typeof v === 'number') && codeAttribute(attributes, key, v)) continue;
      setOwn(attributes, key, stringify(v));
      continue;
    }
    // A well-known key that loses to a better-ranked one (both `msg` and `message`) stays an attribute.
    if (role.message >= 0 && role.message < msgRank && (typeof v === 'string' || typeof v === 'number')) {
      if (msgAt !== -1) setOwn(attributes, keys[msgAt]!, stringify(vals[msgAt]));
      msgAt = i; msgRank = role.message; continue;
    }
    if (role.level >= 0 && role.level < lvlRank) {
      if (lvlAt !== -1) setOwn(attributes, keys[lvlAt]!, stringify(vals[lvlAt]));
      lvlAt = i; lvlRank = role.level; continue;
    }
    if (role.time >= 0 && role.time < timeRank && (!role.dateOnly || looksLikeDate(v))) {
      if (timeAt !== -1) setOwn(attributes, keys[timeAt]!, stringify(vals[timeAt]));
      timeAt = i; timeRank = role.time; continue;
    }
    if (key === 'traceparent' && typeof v === 'string' && out.traceId === undefined) {
      // W3C trace context: version-traceid-spanid-flags.
      const parts = v.split('-');
      const traceId = normaliseTraceId(parts[1]);
      const spanId = normaliseSpanId(parts[2]);
      if (parts.length === 4 && traceId !== undefined && spanId !== undefined && HEX32.test(parts[1]!)) {
        out.traceId = traceId;
        out.spanId = spanId;
        continue;
      }
    }
    if (out.traceId === undefined && role.trace) {
      const id = normaliseTraceId(v);
      if (id !== undefined) { out.traceId = id; continue; }
    } else if (out.spanId === undefined && role.span) {
      const id = normaliseSpanId(v);
      if (id !== undefined) { out.spanId = id; continue; }
    } else if (out.service === undefined && role.service && typeof v === 'string' && v !== '') {
      out.service = v;
      continue;
    } else if (out.host === undefined && role.host && typeof v === 'string' && v !== '') {
      out.host = v;
      continue;
    }
    setOwn(attributes, key, stringify(v));
  }
  if (msgAt !== -1) out.body = stringify(vals[msgAt]);
  if (lvlAt !== -1) {
    const sev = severityFromValue(vals[lvlAt]);
    if (sev !== undefined) {
      out.severityText = sev.text;
      out.severityNumber = sev.number;
    } else {
      setOwn(attributes, keys[lvlAt]!, stringify(vals[lvlAt]));
    }
  } else if (timeAt !== -1 && msgAt !== -1 && keys[timeAt] === '@t' && keys[msgAt]!.charCodeAt(0) === 64 /* @ */) {
    // Serilog's compact JSON (CLEF) leaves `@l` out at its default level, Information.
    const sev = severityFromValue('Information')!;
    out.severityText = sev.text;
    out.severityNumber = sev.number;
  }
  if (timeAt !== -1) {
    const t = parseTimestamp(vals[timeAt], { format: names.timeFormat, timeZone: names.timeZone ?? ctx.timeZone, now: ctx.now });
    if (t !== undefined) out.time = t;
    else setOwn(attributes, keys[timeAt]!, stringify(vals[timeAt]));
  }
  return out;
}

/**
 * A source file of a language that logs its location, and a line: `app.py:12`, `pkg/main.go:42`
 * (not `example.com:443`, `db.internal:5432` or `10.0.0.1:8080`): the header's code location and a
 * structured logger's caller alike. Groups: the file, the line.
 */
export const SOURCE_LOCATION = /^([\w./-]+\.(?:py|java|go|js|mjs|cjs|mts|ts|jsx|tsx|rb|php|cs|fs|c|cc|cpp|cxx|h|hpp|m|mm|rs|kt|scala|groovy|ex|exs|erl|swift|lua|pl|pm|clj|dart|zig)):(\d{1,6})$/;

/**
 * A structured logger's code location under OpenTelemetry's names, as the text parsers give one:
 * zap's and zerolog's `caller` and slog's text `source` (`file.go:42`), slog's JSON `source` object
 * (`source.file`, `source.line`, `source.function`), logrus's `file` (`file.go:42`) and, after it, `func`.
 * Only a value of that shape counts for `caller`, `source` and `file` (a `file` of `report.pdf` stays
 * an attribute). Returns whether the value was taken.
 */
function codeAttribute(attributes: Record<string, string>, key: string, v: string | number): boolean {
  switch (key) {
    case 'caller':
    case 'source':
    case 'file': {
      const m = typeof v === 'string' && attributes['code.file.path'] === undefined ? SOURCE_LOCATION.exec(v) : null;
      if (m === null) return false;
      attributes['code.file.path'] = m[1]!;
      attributes['code.line.number'] = m[2]!;
      return true;
    }
    case 'func':
      if (attributes['code.file.path'] === undefined || attributes['code.function.name'] !== undefined || typeof v !== 'string') return false;
      attributes['code.function.name'] = v;
      return true;
    case 'source.file':
      if (attributes['code.file.path'] !== undefined) return false;
      attributes['code.file.path'] = String(v);
      return true;
    case 'source.line':
      if (attributes['code.line.number'] !== undefined) return false;
      attributes['code.line.number'] = String(v);
      return true;
    case 'source.function':
      if (attributes['code.function.name'] !== undefined) return false;
      attributes['code.function.name'] = String(v);
      return true;
    default:
      return false;
  }
}

/** Config schema of the field-name options, shared by json, logfmt and regex. */
export const FIELD_NAME_CONFIG_PROPERTIES: Record<string, object> = {
  message_keys: { type: 'array', items: { type: 'string' }, description: 'Keys holding the message; the first present wins.' },
  level_keys: { type: 'array', items: { type: 'string' }, description: 'Keys holding the severity (a word or a pino number).' },
  time_keys: { type: 'array', items: { type: 'string' }, description: 'Keys holding the event time.' },
  time_format: { type: 'string', description: `Format of the time field: ${NAMED_FORMATS.join(', ')}, or a strftime-like pattern such as "%Y-%m-%d %H:%M:%S.%f".` },
  time_zone: { type: 'string', description: 'IANA time zone for times written without an offset (default: the source time zone, else UTC).' },
};

/** Options with defaults filled in; the field-name part is shared by reference when unchanged so its key sets are cached once. */
export function withFieldDefaults<O extends Partial<FieldNameOptions>>(options: O): FieldNameOptions {
  const { messageKeys, levelKeys, timeKeys, timeFormat, timeZone } = options;
  if (messageKeys === undefined && levelKeys === undefined && timeKeys === undefined && timeFormat === undefined && timeZone === undefined) {
    return DEFAULT_FIELD_NAMES;
  }
  return {
    messageKeys: messageKeys ?? DEFAULT_FIELD_NAMES.messageKeys,
    levelKeys: levelKeys ?? DEFAULT_FIELD_NAMES.levelKeys,
    timeKeys: timeKeys ?? DEFAULT_FIELD_NAMES.timeKeys,
    timeFormat: timeFormat ?? DEFAULT_FIELD_NAMES.timeFormat,
    ...(timeZone !== undefined ? { timeZone } : {}),
  };
}
