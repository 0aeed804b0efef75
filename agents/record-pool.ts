/**
 * Record threads: the transform chain (parse, severity, redact) and the wire encoding (JSON, key,
 * timestamp) of file lines, run on worker threads so the main thread only reads, splits and sends.
 * A batch of lines goes to the least busy thread as one string; its records come back as one buffer of
 * their JSON (transferred, not copied), where each starts and ends, keys, timestamps and the counters
 * they moved. Batches may finish out of order; each source hands them to the sink in the order read.
 *
 * A thread that dies fails its batches (the source builds those on the main thread instead, so
 * nothing is lost) and is replaced; after three deaths the pool stops and every batch is built on the
 * main thread.
 */
import { type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { BufferPool } from '../core/buffer-pool.ts';
import type { Logger } from '../core/log.ts';
import { createRecordBuilder, type BuiltCounters, type RecordBuilder, type RecordBuilderOptions } from './record-builder.ts';
import { logKeyFor, logWire, recordTimeMs, type KeyStrategy } from './sinks/log-wire.ts';
import { type LogRecord } from '../core/contracts/records.ts';
import { type RawLine } from './source.ts';
import { ProtoWriter, writeOtlpLog } from '../core/contracts/otlp-log.ts';
import { type LogEncoding } from '../core/contracts/topics.ts';

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
   * serialisation of its characters (README, "Performance": 0.15 µs per line less on the main thread).
   */
  bytes?: Uint8Array;
  /** Byte offset of each line in its file (the record's origin.offset). */
  starts: number[];
  /** Attributes of single lines (long-line marks), by index. */
  lineAttributes?: Array<[number, Record<string, string>]>;
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
  /**
   * Hands `values`' memory back for a later batch (a record thread writes into it again). Call it only
   * once nothing reads `values` any more (every record acknowledged); a second call does nothing.
   */
  release?: () => void;
}

/** What a thread sends back (ArrayBuffers transferred). */
interface ThreadReply {
  id: number;
  error?: string;
  count?: number;
  values?: ArrayBuffer;
  starts?: Uint32Array;
  ends?: Uint32Array;
  keys?: string[];
  keyOf?: Uint32Array;
  times?: Float64Array;
  traces?: Array<[number, string]>;
  truncated?: EncodedLogs['truncated'];
  counters?: BuiltCounters;
}

export interface ThreadInit {
  builders: RecordBuilderOptions[];
  key: KeyStrategy;
  maxRecordBytes: number;
  encoding: LogEncoding;
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
 * lines loses each line's final `\r` and its blank last lines, and keeps `\n` between its lines.
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
  return k === 1 ? lines[0]! : lines.slice(0, k).join('\n');
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
export function encodeLines(build: RecordBuilder, b: LineBatch, key: KeyStrategy, maxRecordBytes: number, encoding: LogEncoding = 'json', alloc?: (bytes: number) => ArrayBuffer): Omit<EncodedLogs, 'values'> & { values: ArrayBuffer } {
  const n = b.starts.length;
  const times = new Float64Array(n);
  const keyOf = new Uint32Array(n);
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const traces: Array<[number, string]> = [];
  const extra = b.lineAttributes ? new Map(b.lineAttributes) : undefined;
  let lastService = '';
  let lastHost = '';
  let lastKey = -1;
  // A run's texts (`texts[i - textsFrom]`), made as the run starts.
  let texts: string[] = [];
  let textsFrom = 0;
  const record = (i: number): LogRecord => {
    const own = extra?.get(i);
    const r = build({
      text: texts[i - textsFrom]!,
      origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! },
      service: b.service,
      host: b.host,
      observedMs: b.observedMs,
      attributes: own ? { ...b.attributes, ...own } : b.attributes ? { ...b.attributes } : undefined,
    });
    times[i] = (build.lastTimeMs ?? recordTimeMs(r.time)) || Date.now();
    // A batch is one file's lines, so the key changes only with a line's own service or host.
    if (r.service !== lastService || r.host !== lastHost || lastKey < 0) {
      lastService = r.service;
      lastHost = r.host;
      const k0 = logKeyFor(key, r);
      let k = keyIndex.get(k0);
      if (k === undefined) {
        k = keys.length;
        keys.push(k0);
        keyIndex.set(k0, k);
      }
      lastKey = k;
    }
    keyOf[i] = lastKey;
    if (r.trace_id && r.span_id) traces.push([i, `00-${r.trace_id}-${r.span_id}-01`]);
    return r;
  };
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  const truncated: EncodedLogs['truncated'] = [];
  // otlp_proto: each record written as soon as it is built (protobuf needs no run to find where a
  // record ends), so no record outlives its turn (building the whole batch first kept thousands alive
  // through the young generation's collections: 5.83 against 5.54 µs per line in bench:agent).
  const proto = encoding === 'otlp_proto' ? new ProtoWriter(Math.max(1024, estimateJsonBytes(b))) : undefined;
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
        starts[i] = writeOtlpLog(proto, r);
        if (proto.pos - starts[i]! > maxRecordBytes) {
          // Written again cut, as the sink cuts a record on its own (`logWire`).
          proto.pos = starts[i]!;
          const cut = logWire(r, key, maxRecordBytes, encoding);
          truncated.push({ service: r.service, origin: r.origin, bytes: cut.truncatedFrom! });
          proto.raw(cut.value as Buffer);
        }
        ends[i] = proto.pos;
      }
      continue;
    }
    for (let i = from; i < to; i++) run.push(record(i));
    if (writeRun(out!, run, maxRecordBytes, starts, ends, from)) continue;
    // A record too large (or separators that do not count out): this run record by record.
    for (let j = 0; j < run.length; j++) {
      const r = run[j]!;
      const w = logWire(r, key, maxRecordBytes, 'json');
      if (w.truncatedFrom !== undefined) truncated.push({ service: r.service, origin: r.origin, bytes: w.truncatedFrom });
      starts[from + j] = out!.pos;
      out!.write(w.value as string);
      ends[from + j] = out!.pos;
    }
  }
  // The protobuf writer's buffer is an ArrayBuffer of its own (transferable); far larger than used, it is cut.
  const protoBuffer = proto?.buf.buffer as ArrayBuffer | undefined;
  const values = protoBuffer ? (proto!.pos < protoBuffer.byteLength * 0.75 ? protoBuffer.slice(0, proto!.pos) : protoBuffer) : out!.values;
  return { count: n, values, starts, ends, keys, keyOf, times, traces, truncated };
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

/** Adds a batch's counter moves into the agent's counters. */
export function addCounters(into: BuiltCounters, d: BuiltCounters): void {
  into.records += d.records;
  into.severityInferred += d.severityInferred;
  for (const [k, v] of Object.entries(d.redactions)) into.redactions[k] = (into.redactions[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.unmatched)) into.unmatched[k] = (into.unmatched[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.badTime)) into.badTime[k] = (into.badTime[k] ?? 0) + v;
}

export interface RecordPoolOptions {
  /** Threads to run (at least 1). */
  threads: number;
  key: KeyStrategy;
  maxRecordBytes: number;
  /** How log records are encoded (`json` by default). */
  encoding?: LogEncoding;
  /** The agent's counters, which every batch's counters are added to. */
  counters: BuiltCounters;
  log: Logger;
}

interface Thread {
  worker: Worker;
  busy: number;
  dead: boolean;
  /** Event-loop utilisation at the last `busy()` look. */
  elu?: EventLoopUtilization;
}

const MAX_DEATHS = 3;

/**
 * A record thread's young generation (V8's new space, where a batch's strings and records live and
 * die). V8 lets it grow to 48 MB under steady allocation. Capped at 24 MB the agent peaks about 25 MB
 * lower in bench:agent; 12 MB saved no more and, in one of three side-by-side runs, cost lines/s (the
 * thread, the agent's bottleneck, scavenged more often). Figures in agents/README.md, "Memory".
 * `tributary agent` starts Node with `--max-semi-space-size=4` (bin/tributary), which V8 applies to
 * every isolate ahead of this limit; the limit holds where the agent runs in a Node started otherwise.
 */
export const RECORD_THREAD_YOUNG_MB = 24;

/**
 * A batch of at most this many lines is built on the main thread when nothing of its source is on a
 * record thread (`RecordPool.encodeHere`): at the rates most hosts have, a poll finds a few dozen
 * lines, and the hop to a thread and back (two structured clones, a wake-up of each thread) costs more
 * than building them. Measured side by side (agents/README.md, "Performance"): at 100 lines/s the
 * agent's CPU fell from 1.12 to 0.95 % of a core (medians of six rounds); at 256 lines the main thread
 * took 1,000 lines/s' batches too, and cost more than the thread did (+13 %). Larger batches, and all
 * of them at full speed, stay on threads.
 */
export const INLINE_MAX_LINES = 32;

/**
 * Values buffers kept for reuse: a batch's buffer, once its records are acknowledged, goes back to a
 * record thread with the next batch (`EncodedLogs.release`) instead of waiting for the main thread's
 * garbage collector. V8 frees an ArrayBuffer's memory only when its holder is collected; these outlive
 * the young generation (a batch is in flight for a while), so they waited for a full collection. Reuse
 * saves allocating and first touching about 0.5 MB per 1,000 lines: a little CPU per line in
 * bench:agent, a few MB of peak RSS (agents/README.md, "Memory"). Buffers under `SPARE_MIN_BYTES`
 * (small batches) are not worth the trip.
 */
export const SPARE_BUFFERS = 8;
export const SPARE_MIN_BYTES = 64 * 1024;

/** A record thread's buffers handed back for reuse, and a values allocator that takes from them. */
export class ThreadBuffers extends BufferPool {
  constructor() {
    super(SPARE_BUFFERS, SPARE_MIN_BYTES);
  }
}

export class RecordPool {
  private readonly builders: RecordBuilderOptions[] = [];
  /** The builders for batches built here, made on first use (the same options as the threads'). */
  private local?: RecordBuilder[];
  private readonly threads: Thread[] = [];
  private readonly waiting = new Map<number, { thread: Thread; resolve: (e: EncodedLogs) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private deaths = 0;
  private closed = false;
  /** Acknowledged batches' buffers, to go to a thread with the next batch (see SPARE_BUFFERS). */
  private readonly spares: ArrayBuffer[] = [];

  constructor(private readonly o: RecordPoolOptions) {}

  get size(): number {
    return this.o.threads;
  }

  /** Registers a source's builder options (before the first batch); returns its id. */
  addBuilder(options: RecordBuilderOptions): number {
    if (this.threads.length > 0) throw new Error('record pool: builders must be added before the first batch');
    this.builders.push(options);
    return this.builders.length - 1;
  }

  /** Whether batches still go to threads (false after repeated thread deaths, or once closed). */
  get usable(): boolean {
    return !this.closed && this.deaths < MAX_DEATHS;
  }

  encode(batch: LineBatch): Promise<EncodedLogs> {
    if (!this.usable) return Promise.reject(new Error(this.closed ? 'record pool is closed' : 'record threads kept dying; building on the main thread'));
    const thread = this.pick();
    const id = this.nextId++;
    thread.busy++;
    thread.worker.ref();
    return new Promise<EncodedLogs>((resolve, reject) => {
      this.waiting.set(id, { thread, resolve, reject });
      const spares = this.spares.splice(0);
      thread.worker.postMessage({ id, batch, spares }, spares);
    });
  }

  /** Builds a batch on this thread, as a record thread would (same builders, same encoding, counters added). */
  encodeHere(batch: LineBatch): EncodedLogs {
    this.local ??= this.builders.map((options) => createRecordBuilder(this.o.counters, options));
    const build = this.local[batch.builder];
    if (!build) throw new Error(`record pool: no builder ${batch.builder}`);
    const e = encodeLines(build, batch, this.o.key, this.o.maxRecordBytes, this.o.encoding ?? 'json');
    return { ...e, values: Buffer.from(e.values) };
  }

  /** Average share of time the live threads were busy since the last call (undefined before any ran). */
  busy(): number | undefined {
    const live = this.threads.filter((t) => !t.dead);
    if (live.length === 0) return undefined;
    let sum = 0;
    for (const t of live) {
      const now = t.worker.performance.eventLoopUtilization();
      sum += t.elu ? t.worker.performance.eventLoopUtilization(now, t.elu).utilization : now.utilization;
      t.elu = now;
    }
    return sum / live.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    for (const t of threads) t.dead = true;
    await Promise.all(threads.map((t) => t.worker.terminate()));
    this.failAll(undefined, new Error('record pool closed'));
  }

  private pick(): Thread {
    for (let i = this.threads.length - 1; i >= 0; i--) if (this.threads[i]!.dead) this.threads.splice(i, 1);
    while (this.threads.length < this.o.threads) this.threads.push(this.spawn());
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.busy < best.busy) best = t;
    return best;
  }

  private spawn(): Thread {
    const init: ThreadInit = { builders: this.builders, key: this.o.key, maxRecordBytes: this.o.maxRecordBytes, encoding: this.o.encoding ?? 'json' };
    const worker = new Worker(new URL('./record-thread.mjs', import.meta.url), { workerData: init, name: 'tributary-records', resourceLimits: { maxYoungGenerationSizeMb: RECORD_THREAD_YOUNG_MB } });
    const thread: Thread = { worker, busy: 0, dead: false };
    worker.unref();
    worker.on('message', (m: ThreadReply) => this.reply(thread, m));
    const died = (why: string) => {
      if (thread.dead) return;
      thread.dead = true;
      this.deaths++;
      this.o.log.error({ reason: why, deaths: this.deaths, threads: this.o.threads }, this.usable ? 'A record thread died; its batches are built on the main thread and the thread is replaced.' : 'Record threads kept dying; every batch is now built on the main thread.');
      this.failAll(thread, new Error(`record thread died: ${why}`));
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    return thread;
  }

  private reply(thread: Thread, m: ThreadReply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (--thread.busy === 0) thread.worker.unref();
    if (m.error !== undefined) return w.reject(new Error(m.error));
    addCounters(this.o.counters, m.counters!);
    const values = m.values!;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.recycle(values);
    };
    w.resolve({ count: m.count!, values: Buffer.from(values), starts: m.starts!, ends: m.ends!, keys: m.keys!, keyOf: m.keyOf!, times: m.times!, traces: m.traces!, truncated: m.truncated!, release });
  }

  /** Keeps an acknowledged batch's buffer for a thread (it is detached here when it goes). */
  private recycle(buffer: ArrayBuffer): void {
    // A detached buffer has no bytes; a pool closed or without threads sends no more batches.
    if (!this.usable || buffer.byteLength < SPARE_MIN_BYTES || this.spares.length >= SPARE_BUFFERS) return;
    this.spares.push(buffer);
  }

  private failAll(thread: Thread | undefined, err: Error): void {
    for (const [id, w] of this.waiting) {
      if (thread && w.thread !== thread) continue;
      this.waiting.delete(id);
      w.reject(err);
    }
  }
}

/** The counters a thread keeps between replies, and how to hand them over (then start again from zero). */
export function takeCounters(c: BuiltCounters): BuiltCounters {
  const out = { ...c, redactions: c.redactions, unmatched: c.unmatched, badTime: c.badTime };
  c.records = 0;
  c.severityInferred = 0;
  c.redactions = {};
  c.unmatched = {};
  c.badTime = {};
  return out;
}

