/**
 * Decode and validate: Kafka record bytes -> a checked LogRecord or MetricPoint, or the reason it
 * is not one. Never throws: what fails here goes to the dead-letter topic with that reason.
 */
import { type LogRecord, type MetricPoint, SCHEMA_VERSION } from '../../core/contracts/records.ts';
import { decodeOtlpLogs, type OtlpDecoded } from '../../core/contracts/otlp-log.ts';
import { CONTENT_TYPE_PROTOBUF } from '../../core/contracts/topics.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; stage: 'decode' | 'validate'; reason: string };

/** One Kafka value that held several records (an OTLP request from another producer): the readable ones, and why each other one is not. */
export interface DecodedSeveral<T> {
  several: T[];
  refused: Array<{ stage: 'decode' | 'validate'; reason: string }>;
}

const MAX_FUTURE_MS = 24 * 3600 * 1000;

function parseObject(bytes: Buffer | null): Decoded<Record<string, unknown>> {
  if (!bytes || bytes.length === 0) return { ok: false, stage: 'decode', reason: 'empty record value' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, stage: 'decode', reason: 'record value is not valid UTF-8' };
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { ok: false, stage: 'decode', reason: `record value is not JSON: ${(err as Error).message}` };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, stage: 'decode', reason: 'record value is not a JSON object' };
  return { ok: true, value: obj as Record<string, unknown> };
}

function invalid(reason: string): { ok: false; stage: 'validate'; reason: string } {
  return { ok: false, stage: 'validate', reason };
}

function checkTime(value: unknown, field: string, nowMs: number): string | undefined {
  if (typeof value !== 'string') return `${field} must be an RFC 3339 string`;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return `${field} is not a valid time: ${JSON.stringify(value).slice(0, 60)}`;
  if (ms > nowMs + MAX_FUTURE_MS) return `${field} is more than a day in the future: ${value}`;
  return undefined;
}

function stringMap(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return `${field} must be an object of strings`;
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') return `${field}.${k} must be a string`;
  return undefined;
}

/**
 * A log record from its Kafka value: JSON (`records.ts`), or OTLP protobuf (`otlp-log.ts`) when the
 * record's `content-type` header says `application/x-protobuf`. Without the header (another
 * producer) a value that is not JSON and starts as an OTLP request does is read as OTLP. A value that
 * must be one record: an OTLP request with several is refused (`decodeLogs` reads them all).
 */
export function decodeLog(bytes: Buffer | null, nowMs = Date.now(), contentType?: string): Decoded<LogRecord> {
  const d = decodeLogs(bytes, nowMs, contentType);
  if (!('several' in d)) return d;
  return { ok: false, stage: 'decode', reason: `the OTLP request holds ${d.several.length + d.refused.length} log records, not one` };
}

/** As `decodeLog`, but an OTLP request holding several records (the Collector's kafka exporter writes batches) gives them all. */
export function decodeLogs(bytes: Buffer | null, nowMs = Date.now(), contentType?: string): Decoded<LogRecord> | DecodedSeveral<LogRecord> {
  if (contentType === CONTENT_TYPE_PROTOBUF && bytes && bytes.length > 0) return otlpLogs(bytes, nowMs);
  const parsed = parseObject(bytes);
  if (!parsed.ok) {
    // 0x0a: field 1 (resource_logs), length-delimited: how every ExportLogsServiceRequest starts.
    if (contentType === undefined && bytes && bytes[0] === 0x0a) {
      const otlp = otlpLogs(bytes, nowMs);
      return 'several' in otlp || otlp.ok ? otlp : { ok: false, stage: 'decode', reason: `${parsed.reason}; read as OTLP protobuf (no content-type header): ${otlp.reason}` };
    }
    return parsed;
  }
  return jsonLog(parsed.value, nowMs);
}

function jsonLog(o: Record<string, unknown>, nowMs: number): Decoded<LogRecord> {
  if (o.v !== SCHEMA_VERSION) return invalid(`unsupported schema version ${JSON.stringify(o.v)} (this worker reads ${SCHEMA_VERSION})`);
  const timeError = checkTime(o.time, 'time', nowMs);
  if (timeError) return invalid(timeError);
  if (typeof o.service !== 'string' || o.service === '') return invalid('service must be a non-empty string');
  if (typeof o.body !== 'string') return invalid('body must be a string');
  if (o.severity_number !== undefined && (typeof o.severity_number !== 'number' || o.severity_number < 0 || o.severity_number > 24)) {
    return invalid('severity_number must be a number from 0 to 24');
  }
  const mapError = stringMap(o.attributes, 'attributes') ?? stringMap(o.resource, 'resource');
  if (mapError) return invalid(mapError);
  const record: LogRecord = {
    v: SCHEMA_VERSION,
    time: o.time as string,
    observed_time: typeof o.observed_time === 'string' && (o.observed_time === o.time || !Number.isNaN(Date.parse(o.observed_time))) ? o.observed_time : (o.time as string),
    service: o.service,
    host: typeof o.host === 'string' ? o.host : '',
    severity_text: typeof o.severity_text === 'string' ? o.severity_text : 'UNSPECIFIED',
    severity_number: typeof o.severity_number === 'number' ? Math.trunc(o.severity_number) : 0,
    body: o.body,
    attributes: (o.attributes as Record<string, string>) ?? {},
    resource: (o.resource as Record<string, string>) ?? {},
    trace_id: typeof o.trace_id === 'string' ? o.trace_id : '',
    span_id: typeof o.span_id === 'string' ? o.span_id : '',
    origin: o.origin && typeof o.origin === 'object' ? (o.origin as LogRecord['origin']) : { kind: 'stdin' },
  };
  return { ok: true, value: record };
}

function otlpLogs(bytes: Buffer, nowMs: number): Decoded<LogRecord> | DecodedSeveral<LogRecord> {
  const d = decodeOtlpLogs(bytes);
  if (!d.ok) return { ok: false, stage: 'decode', reason: d.reason };
  if (d.records.length === 1) return checkOtlp(d.records[0]!, nowMs);
  const out: DecodedSeveral<LogRecord> = { several: [], refused: [] };
  d.records.forEach((r, i) => {
    const c = checkOtlp(r, nowMs);
    if (c.ok) out.several.push(c.value);
    else out.refused.push({ stage: c.stage, reason: `log record ${i + 1} of ${d.records.length}: ${c.reason}` });
  });
  return out;
}

function checkOtlp(d: OtlpDecoded, nowMs: number): Decoded<LogRecord> {
  if (!d.ok) return { ok: false, stage: 'decode', reason: d.reason };
  const timeError = checkTime(d.value.time, 'time_unix_nano', nowMs);
  if (timeError) return invalid(timeError);
  if (d.value.severity_number > 24) return invalid('severity_number must be a number from 0 to 24');
  return d;
}

const KINDS = new Set(['gauge', 'counter', 'histogram']);

export function decodeMetric(bytes: Buffer | null, nowMs = Date.now()): Decoded<MetricPoint> {
  const parsed = parseObject(bytes);
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  if (o.v !== SCHEMA_VERSION) return invalid(`unsupported schema version ${JSON.stringify(o.v)} (this worker reads ${SCHEMA_VERSION})`);
  const timeError = checkTime(o.time, 'time', nowMs);
  if (timeError) return invalid(timeError);
  if (typeof o.service !== 'string' || o.service === '') return invalid('service must be a non-empty string');
  if (typeof o.name !== 'string' || o.name === '') return invalid('name must be a non-empty string');
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) return invalid('value must be a finite number');
  if (typeof o.kind !== 'string' || !KINDS.has(o.kind)) return invalid('kind must be gauge, counter or histogram');
  const mapError = stringMap(o.labels, 'labels');
  if (mapError) return invalid(mapError);
  return {
    ok: true,
    value: {
      v: SCHEMA_VERSION,
      time: o.time as string,
      service: o.service,
      host: typeof o.host === 'string' ? o.host : '',
      name: o.name,
      kind: o.kind as MetricPoint['kind'],
      value: o.value,
      unit: typeof o.unit === 'string' ? o.unit : '',
      labels: (o.labels as Record<string, string>) ?? {},
    },
  };
}

/** RFC 3339 -> the `YYYY-MM-DD hh:mm:ss.fffffffff` form DateTime64(9) reads, keeping nanoseconds. */
export function toClickHouseTime(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/.exec(rfc3339);
  if (m && (m[4] === undefined || m[4] === 'Z' || m[4] === '+00:00' || m[4] === '+0000')) {
    return `${m[1]} ${m[2]}${(m[3] ?? '.0').padEnd(10, '0')}`;
  }
  const ms = Date.parse(rfc3339);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000000');
}
