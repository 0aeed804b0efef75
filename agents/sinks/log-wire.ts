/**
 * A log record as it goes on the wire: its key (which picks the partition), its value (JSON, or OTLP
 * protobuf with `kafka.encoding: otlp_proto`; cut to `maxRecordBytes` when larger), and its Kafka
 * timestamp. One definition shared by the sink (records built on the main thread) and the record
 * threads (records built and encoded off it), so both produce the same bytes.
 */
import { logKey, type LogRecord } from '../../core/contracts/records.ts';
import { encodeOtlpLog } from '../../core/contracts/otlp-log.ts';
import { type LogEncoding } from '../../core/contracts/topics.ts';

/**
 * The key of a log record, which picks its partition. `service_host` (the default) spreads a busy
 * service over partitions by host, keeping each host's records in order; `source` spreads it by host
 * and file (or source) identity; `service` keeps one service on one partition. The worker merges a
 * service's windows from every partition (pipeline/README.md, "Windows past one partition"), so all
 * three give the same window rows.
 */
export type KeyStrategy = 'service' | 'service_host' | 'source';

/** A log record's key under a strategy. */
export function logKeyFor(strategy: KeyStrategy, r: LogRecord): string {
  if (strategy === 'service') return logKey(r);
  if (strategy === 'service_host') return `${r.service}|${r.host}`;
  const o = r.origin;
  return `${r.service}|${r.host}|${o.kind === 'file' ? (o.path ?? '') : o.kind}`;
}

let lastSecondText = '';
let lastSecondMs = NaN;

/**
 * `Date.parse` of a record's time, fast for what `isoOf` writes (`YYYY-MM-DDTHH:MM:SS[.fff...]Z`):
 * records of one second share its parse and only the millis are read. Anything else goes to `Date.parse`.
 */
export function recordTimeMs(time: string): number {
  const n = time.length;
  if (n < 20 || time.charCodeAt(n - 1) !== 90 /* Z */) return Date.parse(time);
  const dot = time.charCodeAt(19);
  if (dot !== 46 /* . */ && n !== 20) return Date.parse(time);
  if (!time.startsWith(lastSecondText) || lastSecondText.length !== 19) {
    // Date.parse takes 24:00:00 but not with a fraction: left to it.
    if (time.startsWith('24', 11)) return Date.parse(time);
    const second = time.slice(0, 19);
    const ms = Date.parse(second + 'Z');
    if (!Number.isFinite(ms) || ms % 1000 !== 0) return Date.parse(time);
    lastSecondText = second;
    lastSecondMs = ms;
  }
  if (n === 20) return lastSecondMs;
  // '.' then 1 to 9 digits then 'Z'; Date.parse reads the first three as millis.
  if (n > 30) return Date.parse(time);
  let millis = 0;
  for (let i = 20; i < n - 1; i++) {
    const d = time.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Date.parse(time);
    if (i < 23) millis = millis * 10 + d;
  }
  if (n - 1 === 20) return Date.parse(time);
  for (let i = n - 1; i < 23; i++) millis *= 10;
  return lastSecondMs + millis;
}

export interface LogWire {
  key: string;
  /** JSON text, or the OTLP protobuf bytes (`otlp_proto`). */
  value: string | Buffer;
  /** Kafka timestamp: the record's time, or now when it has none that parses. */
  timestampMs: number;
  /** Set when the value was cut to fit: the encoded length before the cut. */
  truncatedFrom?: number;
}

/** Key, value (JSON, or OTLP protobuf) and timestamp of one log record; a record past `maxRecordBytes` has its body cut (marked `tributary.truncated`). */
export function logWire(r: LogRecord, key: KeyStrategy, maxRecordBytes: number, encoding: LogEncoding = 'json'): LogWire {
  const encode: (r: LogRecord) => string | Buffer = encoding === 'otlp_proto' ? encodeOtlpLog : (r) => JSON.stringify(r);
  let value: string | Buffer = encode(r);
  let truncatedFrom: number | undefined;
  if (value.length > maxRecordBytes) {
    truncatedFrom = value.length;
    value = truncateRecord(r, value.length, maxRecordBytes, encode);
  }
  const wire: LogWire = { key: key === 'service' ? logKey(r) : logKeyFor(key, r), value, timestampMs: recordTimeMs(r.time) || Date.now() };
  if (truncatedFrom !== undefined) wire.truncatedFrom = truncatedFrom;
  return wire;
}

/** Cuts a record's body (and, when needed, its attributes) so its encoding fits; the cut is marked in `tributary.truncated`. */
function truncateRecord(r: LogRecord, length: number, maxRecordBytes: number, encode: (r: LogRecord) => string | Buffer): string | Buffer {
  const over = length - maxRecordBytes;
  // JSON escaping can make a character up to 6 bytes long, hence the generous cut.
  const keep = Math.max(0, r.body.length - over * 6 - 1024);
  const cut: LogRecord = { ...r, body: r.body.slice(0, keep), attributes: { ...r.attributes, 'tributary.truncated': String(r.body.length) } };
  let value = encode(cut);
  if (value.length > maxRecordBytes) {
    cut.attributes = { 'tributary.truncated': String(r.body.length) };
    cut.body = cut.body.slice(0, Math.floor(maxRecordBytes / 8));
    value = encode(cut);
  }
  return value;
}
