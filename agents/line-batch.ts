/**
 * A batch of one file's lines as a source hands it over, and its encoding for the wire: each line built
 * into a record (the source's builder: parse, severity, redaction) and written as JSON (or OTLP
 * protobuf) into one buffer, with where each record starts and ends, its key and its Kafka timestamp.
 * The same code runs on a record thread (record-pool.ts, record-thread.ts) and, for small batches or
 * when threads fail, on the main thread, so both give the same bytes as the sink's record-by-record
 * path (`logWire`).
 */
import type { RecordBuilder } from './record-builder.ts';
import { BatchKeys, LogPacker, logWire, ownTraceparent, recordTimeMs, type KeyStrategy } from './sinks/log-wire.ts';
import type { LogRecord, RecordOrigin } from '../core/contracts/records.ts';
import type { RawLine } from './source.ts';
import { ProtoWriter, writeOtlpLog } from '../core/contracts/otlp-log.ts';
import type { LogEncoding } from '../core/contracts/topics.ts';

/** Lines of one file read in one go, as a source hands them to the pool. */
export interface LineBatch {
  /** Which registered builder (the source's parser and time zone). */
  builder: number;
  /**
   * The lines' texts one after another (`joinLines`), and where each ends in it. One string crosses to
   * a thread as one copy, where thousands would each be cloned; and while the batch is under way, the
   * source keeps one string, not thousands that outlive the young generation and are promoted.
   */
  text: string;
  textEnds: Uint32Array;
  /**
   * Instead of `text` (then '' with no `textEnds`): the file's bytes of the lines, back to back from
   * the first one's start, UTF-8; each line's text is made from them on the thread (`batchTexts`).
   * Cloned to the thread as one block of memory, where a string cost the main thread a join and a
   * serialisation of its characters (agents/PERFORMANCE.md, "Lines cross to the record thread as the file's
   * bytes": the main thread 0.15 µs per line cheaper).
   */
  bytes?: Uint8Array;
  /** Byte offset of each line in its file (the record's origin.offset); a sequence number for other kinds. */
  starts: number[];
  /** Where the lines came from when not a file (`syslog`, `gelf`): origin `{ kind, offset }`, no path. */
  kind?: Exclude<RecordOrigin['kind'], 'file'>;
  /** When the source names no service: the attribute whose value, when a record has it, is its service (syslog's APP-NAME). */
  serviceFrom?: string | readonly string[];
  /** Attributes of single lines (long-line marks; an intake's per-message fields), by index. */
  lineAttributes?: Array<[number, Record<string, string>]>;
  /** The directives in force at the first line (a W3C or Zeek header; parsers/w3c.ts), when its file has them; the lines' own directives follow. */
  header?: string;
  /** Each line's event time as its transport gave it, in milliseconds (NaN: none): it wins over a time the parser reads (Fluent Forward). */
  lineTimes?: Float64Array;
  /** `lineTimes` stand only for lines without a time of their own (`RawLine.fallbackTimeMs`: a shipper's time of reading). */
  lineTimesFallback?: boolean;
  /** The source's own attributes, on every record. */
  attributes?: Record<string, string>;
  path: string;
  fingerprint: string;
  service: string;
  host: string;
  observedMs: number;
}

/** A batch's records, encoded for the wire. */
export interface EncodedLogs {
  count: number;
  /** Every record's value in order (JSON in UTF-8 with separators between them, or OTLP protobuf). */
  values: Buffer;
  /** Where each value starts and ends in `values`. */
  starts: Uint32Array;
  ends: Uint32Array;
  /** Distinct keys, and each record's index into them. */
  keys: string[];
  keyOf: Uint32Array;
  /** Kafka timestamp of each record. */
  times: Float64Array;
  /** Records that carry their own trace: index and W3C traceparent. */
  traces: Array<[number, string]>;
  /** Records whose body was cut to fit: who, and the JSON length before the cut. */
  truncated: Array<{ service: string; origin: RawLine['origin']; bytes: number }>;
  /** With several log records to a message (`otlp_proto`, `recordsPerMessage` above 1): how many each message holds. */
  lines?: Uint32Array;
  /**
   * Hands `values`' memory back for a later batch (a record thread writes into it again). Call it only
   * once nothing reads `values` any more (every record acknowledged); a second call does nothing.
   */
  release?: () => void;
}


/** The texts of a batch's lines as one string and where each ends (`LineBatch.text`, `textEnds`). */
export function joinLines(texts: readonly string[]): { text: string; textEnds: Uint32Array } {
  const textEnds = new Uint32Array(texts.length);
  let end = 0;
  for (let i = 0; i < texts.length; i++) textEnds[i] = end += texts[i]!.length;
  return { text: texts.join(''), textEnds };
}

/** The text of a batch's line `i` (a batch with `text`). */
export function lineText(b: Pick<LineBatch, 'text' | 'textEnds'>, i: number): string {
  return b.text.slice(i === 0 ? 0 : b.textEnds[i - 1]!, b.textEnds[i]!);
}

/**
 * The texts of a batch's lines (or multiline records) `from` to `to` (all by default), from `text`, or
 * from `bytes`: line i is the bytes from its start to the next one's (the last: to the end), made into
 * text as the line splitter and the multiline assembler make it (`bytesText`). Decoded at once; when
 * every byte is one character (ASCII, as most logs are) each text is a slice of that string, else each
 * is decoded on its own. `encodeLines` asks for a run's lines at a time, so a batch's texts are never
 * one string of hundreds of KB (V8's large-object pages) and die with their run's records.
 */
export function batchTexts(b: Pick<LineBatch, 'text' | 'textEnds' | 'bytes' | 'starts'>, from = 0, to = b.starts.length): string[] {
  const out = new Array<string>(to - from);
  if (!b.bytes) {
    for (let i = from; i < to; i++) out[i - from] = lineText(b, i);
    return out;
  }
  const n = b.starts.length;
  const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  const base = b.starts[0] ?? 0;
  const endOf = (i: number) => (i + 1 < n ? b.starts[i + 1]! - base : buf.length);
  const first = from < to ? b.starts[from]! - base : 0;
  const last = from < to ? endOf(to - 1) : 0;
  const all = buf.toString('utf8', first, last);
  // UTF-8 never makes more characters than bytes, and a character of several bytes (or a broken one)
  // makes fewer: equal lengths mean each byte is one character, so byte offsets are string offsets.
  const oneByteEach = all.length === last - first;
  for (let i = from; i < to; i++) {
    const start = b.starts[i]! - base;
    const end = endOf(i);
    out[i - from] = bytesText(oneByteEach ? all.slice(start - first, end - first) : buf.toString('utf8', start, end));
  }
  return out;
}

/**
 * A line's (or multiline record's) text from its bytes as decoded: what `LineSplitter` and
 * `MultilineAssembler` make of them. The final `\n` and a `\r` before it go; a record of several
 * lines loses each line's final `\r` and its blank first and last lines, and keeps `\n` between its lines.
 */
export function bytesText(raw: string): string {
  let end = raw.length;
  if (end > 0 && raw.charCodeAt(end - 1) === 10) end--;
  const nl = raw.indexOf('\n');
  if (nl < 0 || nl >= end) {
    if (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
    return end === raw.length ? raw : raw.slice(0, end);
  }
  const lines = raw.slice(0, end).split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]!.charCodeAt(lines[i]!.length - 1) === 13) lines[i] = lines[i]!.slice(0, -1);
  let k = lines.length;
  while (k > 1 && lines[k - 1] === '') k--;
  let f = 0;
  while (f < k - 1 && lines[f] === '') f++;
  return k - f === 1 ? lines[f]! : lines.slice(f, k).join('\n');
}

/** Line `i` of a batch, whose text is `text`, built into its record (the source's builder: parse, severity, redaction). */
function buildLine(build: RecordBuilder, b: LineBatch, i: number, text: string, own: Record<string, string> | undefined): LogRecord {
  const r = build({
    text,
    origin: b.kind ? { kind: b.kind, offset: b.starts[i]! } : { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! },
    service: b.service,
    host: b.host,
    observedMs: b.observedMs,
    // Read, never written, by the builder (it adds them to the parser's own object): shared by the batch's lines.
    attributes: own ? { ...b.attributes, ...own } : b.attributes,
    timeMs: b.lineTimesFallback ? undefined : b.lineTimes?.[i],
    fallbackTimeMs: b.lineTimesFallback ? b.lineTimes?.[i] : undefined,
    // The batch's header at its first line; the builder follows the lines' directives from there.
    header: i === 0 ? b.header ?? '' : undefined,
  });
  if (b.serviceFrom !== undefined) serviceFrom(r, b.serviceFrom, b.service);
  return r;
}

/** A record still of its source's service takes the value of attribute `from` (the first of them it has) when it has one (syslog's APP-NAME, a container's name). */
export function serviceFrom(r: LogRecord, from: string | readonly string[], sourceService: string): void {
  if (r.service !== sourceService) return;
  if (typeof from === 'string') {
    const named = r.attributes[from];
    if (named) r.service = named;
    return;
  }
  for (const name of from) {
    const named = r.attributes[name];
    if (named) {
      r.service = named;
      return;
    }
  }
}

// Between two records in the JSON of an array of them. It cannot occur inside a record: inside a
// string a quote is always escaped, so `{"` appears only where an object starts, and within a record
// an object follows a colon, never a comma.
const BETWEEN_TEXT = '},{"v":';
const BETWEEN = Buffer.from(BETWEEN_TEXT);

/**
 * Records built and serialised together in `encodeLines`. Building a whole batch before serialising
 * it kept thousands of records alive through every young-generation collection on the way (each
 * copied, many promoted), and made the batch's JSON one string of hundreds of KB, which V8 puts on
 * pages of its own (mapped, first touched, unmapped). A run of 128 records is serialised as soon as it
 * is built and its records die young; its JSON (about 66 KB of the bench's lines) stays in the young
 * generation.
 */
export const SERIALISE_RUN = 128;

/**
 * Builds and encodes one batch (on a thread, or on the main thread in tests and fallbacks): in runs of
 * `SERIALISE_RUN` records, each run's records serialised together (one `JSON.stringify`, each value
 * found between the separators), or, for a run with a record past `maxRecordBytes`, record by record
 * (`logWire`, which cuts what is too large). `otlp_proto` batches are built whole, then encoded.
 */
export function encodeLines(build: RecordBuilder, b: LineBatch, key: KeyStrategy, maxRecordBytes: number, encoding: LogEncoding = 'json', alloc?: (bytes: number) => ArrayBuffer, recordsPerMessage = 1): Omit<EncodedLogs, 'values'> & { values: ArrayBuffer } {
  const n = b.starts.length;
  if (encoding === 'otlp_proto' && recordsPerMessage > 1) return encodePacked(build, b, key, maxRecordBytes, recordsPerMessage, alloc);
  const times = new Float64Array(n);
  const keyOf = new Uint32Array(n);
  const keys = new BatchKeys(key);
  const traces: Array<[number, string]> = [];
  const extra = b.lineAttributes ? new Map(b.lineAttributes) : undefined;
  // The filter's verdict on each record; the kept ones take the next index (`count`), so a batch
  // with dropped lines is a shorter batch and its arrays' tails go unused.
  const keep = build.keep;
  let count = 0;
  // A run's texts (`texts[i - textsFrom]`), made as the run starts.
  let texts: string[] = [];
  let textsFrom = 0;
  const record = (i: number): LogRecord | undefined => {
    const r = buildLine(build, b, i, texts[i - textsFrom]!, extra?.get(i));
    if (keep !== undefined && !keep(r)) return undefined;
    const k = count++;
    times[k] = (build.lastTimeMs ?? recordTimeMs(r.time)) || Date.now();
    keyOf[k] = keys.of(r);
    const own = ownTraceparent(r);
    if (own !== undefined) traces.push([k, own]);
    return r;
  };
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const truncated: EncodedLogs['truncated'] = [];
  // otlp_proto: each record written as soon as it is built (protobuf needs no run to find where a
  // record ends), so no record outlives its turn (building the whole batch first kept thousands alive
  // through the young generation's collections: 5.83 against 5.54 µs per line in bench:agent).
  const proto = encoding === 'otlp_proto' ? new ProtoWriter(Math.max(1024, estimateJsonBytes(b)), alloc) : undefined;
  const out = proto ? undefined : new ValuesWriter(alloc ?? ((bytes) => new ArrayBuffer(bytes)), estimateJsonBytes(b));
  const run: LogRecord[] = [];
  for (let from = 0; from < n; from += SERIALISE_RUN) {
    run.length = 0;
    const to = Math.min(n, from + SERIALISE_RUN);
    texts = batchTexts(b, from, to);
    textsFrom = from;
    if (proto) {
      for (let i = from; i < to; i++) {
        const r = record(i);
        if (r === undefined) continue;
        const k = count - 1;
        starts[k] = writeOtlpLog(proto, r, build.lastTime, build.lastObserved);
        if (proto.pos - starts[k]! > maxRecordBytes) {
          // Written again cut, as the sink cuts a record on its own (`logWire`).
          proto.pos = starts[k]!;
          const cut = logWire(r, key, maxRecordBytes, encoding);
          truncated.push({ service: r.service, origin: r.origin, bytes: cut.truncatedFrom! });
          proto.raw(cut.value as Buffer);
        }
        ends[k] = proto.pos;
      }
      continue;
    }
    const first = count;
    for (let i = from; i < to; i++) {
      const r = record(i);
      if (r !== undefined) run.push(r);
    }
    if (run.length === 0 || writeRun(out!, run, maxRecordBytes, starts, ends, first)) continue;
    // A record too large (or separators that do not count out): this run record by record.
    for (let j = 0; j < run.length; j++) {
      const r = run[j]!;
      const w = logWire(r, key, maxRecordBytes, 'json');
      if (w.truncatedFrom !== undefined) truncated.push({ service: r.service, origin: r.origin, bytes: w.truncatedFrom });
      starts[first + j] = out!.pos;
      out!.write(w.value as string);
      ends[first + j] = out!.pos;
    }
  }
  // The protobuf writer's buffer is an ArrayBuffer of its own (transferable): one from `alloc` goes
  // back whole (it is reused); a fresh one far larger than used is cut.
  const protoBuffer = proto?.buf.buffer as ArrayBuffer | undefined;
  const values = protoBuffer ? (!alloc && proto!.pos < protoBuffer.byteLength * 0.75 ? protoBuffer.slice(0, proto!.pos) : protoBuffer) : out!.values;
  return { count, values, starts, ends, keys: keys.keys, keyOf, times, traces, truncated };
}

/** `encodeLines` for `otlp_proto` with up to `perMessage` log records in a message (`LogPacker`). */
function encodePacked(build: RecordBuilder, b: LineBatch, key: KeyStrategy, maxRecordBytes: number, perMessage: number, alloc?: (bytes: number) => ArrayBuffer): Omit<EncodedLogs, 'values'> & { values: ArrayBuffer } {
  const n = b.starts.length;
  const extra = b.lineAttributes ? new Map(b.lineAttributes) : undefined;
  const packer = new LogPacker(key, maxRecordBytes, perMessage, n, estimateJsonBytes(b), alloc);
  for (let from = 0; from < n; from += SERIALISE_RUN) {
    const to = Math.min(n, from + SERIALISE_RUN);
    const texts = batchTexts(b, from, to);
    for (let i = from; i < to; i++) {
      const r = buildLine(build, b, i, texts[i - from]!, extra?.get(i));
      if (build.keep !== undefined && !build.keep(r)) continue;
      packer.add(r, (build.lastTimeMs ?? recordTimeMs(r.time)) || Date.now(), build.lastTime, build.lastObserved);
    }
  }
  // Packed messages carry the batch's header; records keep their own trace ids in their fields.
  return { ...packer.finish(alloc !== undefined), traces: [] };
}

/** A guess at a batch's JSON size, so its buffer is rarely grown: each record's fields and origin around its line. */
function estimateJsonBytes(b: LineBatch): number {
  const lineBytes = b.bytes ? b.bytes.byteLength : Buffer.byteLength(b.text);
  return lineBytes + b.starts.length * (320 + b.path.length + b.fingerprint.length + b.service.length + b.host.length);
}

/** Values written back to back into one ArrayBuffer, grown (copied to one twice as large) when a write would not fit. */
class ValuesWriter {
  values: ArrayBuffer;
  buf: Buffer;
  pos = 0;

  constructor(alloc: (bytes: number) => ArrayBuffer, bytes: number) {
    this.values = alloc(bytes);
    this.buf = Buffer.from(this.values);
  }

  /** Room for `bytes` more. */
  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = new ArrayBuffer(Math.max(this.buf.length * 2, this.pos + bytes));
    const buf = Buffer.from(next);
    this.buf.copy(buf, 0, 0, this.pos);
    this.values = next;
    this.buf = buf;
  }

  /**
   * Writes `text` as UTF-8 at `pos` without moving it; returns its bytes. Written first and measured by
   * what was written: counting the bytes beforehand (Buffer.byteLength) is a pass of its own over every
   * character. Room for the ASCII case and a character more, so a write that stopped short is told
   * apart: it stops only where the next character (at most 4 bytes) does not fit; then it is counted
   * and done again. UTF-8 writes at least one byte per character, so bytes equal to `text.length`
   * mean one byte each (ASCII).
   */
  writeAt(text: string): number {
    this.ensure(text.length + 4);
    const bytes = this.buf.write(text, this.pos, 'utf8');
    if (bytes === text.length || bytes <= this.buf.length - this.pos - 4) return bytes;
    const whole = Buffer.byteLength(text);
    if (whole === bytes) return bytes;
    this.ensure(whole);
    return this.buf.write(text, this.pos, 'utf8');
  }

  write(text: string): void {
    this.pos += this.writeAt(text);
  }
}

/**
 * One run's JSON written at `out.pos` (the array's brackets included, as written), and where each of
 * its records starts and ends (from index `first`). False, with nothing kept, when a record is past
 * `maxRecordBytes` or the separators do not count out.
 */
function writeRun(out: ValuesWriter, run: LogRecord[], maxRecordBytes: number, starts: Uint32Array, ends: Uint32Array, first: number): boolean {
  const json = JSON.stringify(run);
  const at = out.pos;
  const bytes = out.writeAt(json);
  // All ASCII (as most log lines are): a character's index is its byte's, and the string's own search
  // is about twice as fast as the buffer's.
  const ascii = bytes === json.length;
  const n = run.length;
  let found = 0;
  let pos = 1;
  while (found < n) {
    const sep = found === n - 1 ? bytes - 1 : ascii ? json.indexOf(BETWEEN_TEXT, pos) : out.buf.indexOf(BETWEEN, at + pos) - at;
    if (sep < 0) break;
    const end = found === n - 1 ? sep : sep + 1;
    if (end - pos > maxRecordBytes) return false;
    starts[first + found] = at + pos;
    ends[first + found] = at + end;
    pos = end + 1;
    found++;
  }
  if (found !== n) return false;
  // The last record holds no separator (else the count above was off).
  const lastStart = starts[first + n - 1]! - at;
  if ((ascii ? json.indexOf(BETWEEN_TEXT, lastStart) : out.buf.subarray(at, at + bytes).indexOf(BETWEEN, lastStart)) >= 0) return false;
  out.pos = at + bytes;
  return true;
}

/**
 * The JSON of records already built, in one buffer, and where each starts and ends: written as
 * `encodeLines` writes a batch (runs of `SERIALISE_RUN`, `writeRun`). Undefined when a record is past
 * `maxRecordBytes`. `alloc` gives the buffer (at least the bytes asked for).
 */
export function serialiseRecords(records: LogRecord[], maxRecordBytes: number, alloc: (bytes: number) => ArrayBuffer = (n) => new ArrayBuffer(n)): { values: ArrayBuffer; starts: Uint32Array; ends: Uint32Array } | undefined {
  const n = records.length;
  let guess = 0;
  for (let i = 0; i < n; i++) guess += records[i]!.body.length;
  const out = new ValuesWriter(alloc, guess + n * 400);
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  for (let from = 0; from < n; from += SERIALISE_RUN) {
    if (!writeRun(out, records.slice(from, from + SERIALISE_RUN), maxRecordBytes, starts, ends, from)) return undefined;
  }
  return { values: out.values, starts, ends };
}

/**
 * The `otlp_proto` values of a batch's records (`core/contracts/otlp-log.ts`) in one buffer, and where
 * each starts and ends. Undefined when a record is past `maxRecordBytes`.
 */
export function serialiseOtlp(records: LogRecord[], maxRecordBytes: number): { values: ArrayBuffer; starts: Uint32Array; ends: Uint32Array } | undefined {
  const n = records.length;
  let guess = 0;
  for (let i = 0; i < n; i++) guess += records[i]!.body.length;
  const w = new ProtoWriter(Math.max(1024, guess + n * 400));
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = writeOtlpLog(w, records[i]!);
    ends[i] = w.pos;
    if (w.pos - starts[i]! > maxRecordBytes) return undefined;
  }
  // The writer's buffer is an ArrayBuffer of its own (transferable); far larger than used, it is cut.
  const whole = w.buf.buffer as ArrayBuffer;
  return { values: w.pos < whole.byteLength * 0.75 ? whole.slice(0, w.pos) : whole, starts, ends };
}

/**
 * Log records already built (stdin's and OTLP's, pino's, a batch a record thread failed) encoded as a
 * record thread encodes a batch of lines: their values in one buffer (`serialiseRecords`, or
 * `serialiseOtlp`), keys, Kafka timestamps and own traces in columns. The sink then sends them as it
 * sends a thread's batch, where one message object and one value string per record cost about a third
 * more CPU per line (agents/PERFORMANCE.md, "2026-12-06, morning"). The same bytes, keys and
 * timestamps as `logWire` record by record (line-batch.test.ts). Undefined when a record is past
 * `maxRecordBytes`: the sink then goes record by record, which cuts it.
 */
export function encodeRecords(records: LogRecord[], key: KeyStrategy, maxRecordBytes: number, encoding: LogEncoding = 'json'): EncodedLogs | undefined {
  const s = encoding === 'otlp_proto' ? serialiseOtlp(records, maxRecordBytes) : serialiseRecords(records, maxRecordBytes);
  if (!s) return undefined;
  const n = records.length;
  const times = new Float64Array(n);
  const keyOf = new Uint32Array(n);
  const keys = new BatchKeys(key);
  const traces: Array<[number, string]> = [];
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    times[i] = recordTimeMs(r.time) || Date.now();
    keyOf[i] = keys.of(r);
    const own = ownTraceparent(r);
    if (own !== undefined) traces.push([i, own]);
  }
  return { count: n, values: Buffer.from(s.values), starts: s.starts, ends: s.ends, keys: keys.keys, keyOf, times, traces, truncated: [] };
}
