/**
 * A log record as it goes on the wire: its key (which picks the partition), its value (JSON, or OTLP
 * protobuf with `kafka.encoding: otlp_proto`; cut to `maxRecordBytes` when larger), and its Kafka
 * timestamp. One definition shared by the sink (records built on the main thread) and the record
 * threads (records built and encoded off it), so both produce the same bytes.
 */
import { logKey, type LogRecord } from '../../core/contracts/records.ts';
import { closeOtlpRequest, encodeOtlpLog, openOtlpRequest, ProtoWriter, writeOtlpLogRecord, type OtlpRequestMarks } from '../../core/contracts/otlp-log.ts';
import type { LogEncoding } from '../../core/contracts/topics.ts';

/**
 * The key of a log record, which picks its partition. `service_host` (the default) spreads a busy
 * service over partitions by host, keeping each host's records in order; `source` spreads it by host
 * and file (or source) identity; `service` keeps one service on one partition. The worker merges a
 * service's windows from every partition (pipeline/README.md, "Windows past one partition"), so all
 * three give the same window rows.
 */
export type KeyStrategy = 'service' | 'service_host' | 'source';

/** The W3C traceparent of a record that carries its own trace (its header continues that trace); undefined otherwise. */
export function ownTraceparent(r: LogRecord): string | undefined {
  return r.trace_id && r.span_id ? `00-${r.trace_id}-${r.span_id}-01` : undefined;
}

/** A log record's key under a strategy. */
export function logKeyFor(strategy: KeyStrategy, r: LogRecord): string {
  if (strategy === 'service') return logKey(r);
  if (strategy === 'service_host') return `${r.service}|${r.host}`;
  const o = r.origin;
  return `${r.service}|${r.host}|${o.kind === 'file' ? (o.path ?? '') : o.kind}`;
}

/**
 * A batch's distinct keys, and the index of each record's key among them. Neighbouring records mostly
 * share their key (one file's lines, one source's events), so it is worked out again only when what
 * it is made of changes: service or host, and for `source` the origin's file or kind.
 */
export class BatchKeys {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  private lastService = '';
  private lastHost = '';
  private lastOrigin: string | undefined;
  private last = -1;

  constructor(private readonly strategy: KeyStrategy) {}

  of(r: LogRecord): number {
    const origin = this.strategy === 'source' ? (r.origin.kind === 'file' ? (r.origin.path ?? '') : r.origin.kind) : undefined;
    if (r.service === this.lastService && r.host === this.lastHost && origin === this.lastOrigin && this.last >= 0) return this.last;
    this.lastService = r.service;
    this.lastHost = r.host;
    this.lastOrigin = origin;
    const key = logKeyFor(this.strategy, r);
    let k = this.index.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.index.set(key, k);
    }
    return (this.last = k);
  }
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

/** Whether two resources hold the same attributes (none and empty alike); most often the one object a builder shares. */
function sameAttributes(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  let n = 0;
  if (a) for (const k in a) {
    if (!b || b[k] !== a[k]) return false;
    n++;
  }
  if (b) for (const _ in b) n--;
  return n === 0;
}

/** What a `LogPacker` wrote: messages back to back in `values`, and for each its bounds, key, Kafka timestamp and log records. */
export interface PackedLogs {
  count: number;
  values: ArrayBuffer;
  starts: Uint32Array;
  ends: Uint32Array;
  keys: string[];
  keyOf: Uint32Array;
  times: Float64Array;
  lines: Uint32Array;
  /** Records whose body was cut to fit (each then alone in its message): who, and the length before the cut. */
  truncated: Array<{ service: string; origin: LogRecord['origin']; bytes: number }>;
}

/**
 * Writes log records as `otlp_proto` messages of up to `perMessage` records each (`kafka.records_per_message`):
 * one OTLP request per run of neighbouring records that share their key and resource (service, host,
 * resource attributes), at most `maxRecordBytes`. A message's Kafka timestamp is its newest record's
 * time, so retention deletes none of its records early. A record past `maxRecordBytes` on its own is
 * cut as `logWire` cuts it and goes alone. Used by the record threads (`encodeLines`) and by the sink
 * for records built on the main thread, so both write the same messages.
 */
export class LogPacker {
  private readonly w: ProtoWriter;
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly keyOf: Uint32Array;
  private readonly times: Float64Array;
  private readonly lines: Uint32Array;
  private readonly keys: BatchKeys;
  private readonly truncated: PackedLogs['truncated'] = [];
  private m = 0;
  private open: OtlpRequestMarks | undefined;
  private openKey = -1;
  private openService = '';
  private openHost = '';
  private openResource: LogRecord['resource'];
  private lastKey = -1;

  /** `most`: the records to come, at most (one message each at worst); `bytes`: a guess at their size; `alloc` gives the buffer. */
  constructor(
    private readonly key: KeyStrategy,
    private readonly maxRecordBytes: number,
    private readonly perMessage: number,
    most: number,
    bytes: number,
    alloc?: (bytes: number) => ArrayBuffer,
  ) {
    this.keys = new BatchKeys(key);
    this.w = new ProtoWriter(Math.max(1024, bytes), alloc);
    this.starts = new Uint32Array(most);
    this.ends = new Uint32Array(most);
    this.keyOf = new Uint32Array(most);
    this.times = new Float64Array(most);
    this.lines = new Uint32Array(most);
  }

  /**
   * Adds a record: `timeMs` is its Kafka timestamp; `exactTime` and `exactObserved`, when known, its
   * times in milliseconds as written (`RecordBuilder.lastTime`), which spares reading the texts back.
   */
  add(r: LogRecord, timeMs: number, exactTime = NaN, exactObserved = NaN): void {
    this.lastKey = this.keys.of(r);
    const w = this.w;
    const m = this.m;
    if (this.open && (this.lines[m] === this.perMessage || this.lastKey !== this.openKey || r.service !== this.openService || r.host !== this.openHost || !sameAttributes(r.resource, this.openResource))) this.close();
    for (let attempt = 0; ; attempt++) {
      if (!this.open) this.begin(r);
      const at = w.pos;
      writeOtlpLogRecord(w, r, exactTime, exactObserved);
      if (w.pos - this.starts[this.m]! <= this.maxRecordBytes) break;
      w.pos = at;
      if (this.lines[this.m]! > 0 && attempt === 0) {
        this.close();
        continue;
      }
      // Too large on its own: cut as the sink cuts a record, and sent alone.
      w.pos = this.starts[this.m]!;
      this.open = undefined;
      const cut = logWire(r, this.key, this.maxRecordBytes, 'otlp_proto');
      this.truncated.push({ service: r.service, origin: r.origin, bytes: cut.truncatedFrom! });
      w.raw(cut.value as Buffer);
      this.ends[this.m] = w.pos;
      this.times[this.m] = timeMs;
      this.lines[this.m] = 1;
      this.m++;
      return;
    }
    this.lines[this.m]++;
    if (timeMs > this.times[this.m]!) this.times[this.m] = timeMs;
  }

  private begin(r: LogRecord): void {
    const m = this.m;
    this.starts[m] = this.w.pos;
    this.keyOf[m] = this.lastKey;
    this.times[m] = -Infinity;
    this.lines[m] = 0;
    // Lengths up to 2 MB take 3 bytes; max_record_bytes (at most 900 KiB) stays within them.
    this.open = openOtlpRequest(this.w, r, 3);
    this.openKey = this.lastKey;
    this.openService = r.service;
    this.openHost = r.host;
    this.openResource = r.resource;
  }

  private close(): void {
    closeOtlpRequest(this.w, this.open!);
    this.ends[this.m] = this.w.pos;
    this.m++;
    this.open = undefined;
  }

  /** The messages written. A buffer from `alloc` goes back whole (it is reused); a fresh one far larger than used is cut. */
  finish(reused: boolean): PackedLogs {
    if (this.open) this.close();
    const m = this.m;
    const whole = this.w.buf.buffer as ArrayBuffer;
    const values = !reused && this.w.pos < whole.byteLength * 0.75 ? whole.slice(0, this.w.pos) : whole;
    return { count: m, values, starts: this.starts.subarray(0, m), ends: this.ends.subarray(0, m), keys: this.keys.keys, keyOf: this.keyOf.subarray(0, m), times: this.times.subarray(0, m), lines: this.lines.subarray(0, m), truncated: this.truncated };
  }
}
