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
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { BufferPool } from '../core/buffer-pool.ts';
import type { Logger } from '../core/log.ts';
import { createRecordBuilder, type BuiltCounters, type RecordBuilder, type RecordBuilderOptions } from './record-builder.ts';
import type { KeyStrategy } from './sinks/log-wire.ts';
import type { LogEncoding } from '../core/contracts/topics.ts';
import { encodeLines, type EncodedLogs, type LineBatch } from './line-batch.ts';

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
  lines?: Uint32Array;
  counters?: BuiltCounters;
  /** The answer to a `heaps()` request: the thread's V8 heap spaces and their sizes in bytes. */
  heap?: Record<string, number>;
}

export interface ThreadInit {
  builders: RecordBuilderOptions[];
  key: KeyStrategy;
  maxRecordBytes: number;
  encoding: LogEncoding;
  recordsPerMessage: number;
}

/** Adds a batch's counter moves into the agent's counters. */
export function addCounters(into: BuiltCounters, d: BuiltCounters): void {
  into.records += d.records;
  into.severityInferred += d.severityInferred;
  for (const [k, v] of Object.entries(d.redactions)) into.redactions[k] = (into.redactions[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.unmatched)) into.unmatched[k] = (into.unmatched[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.badTime)) into.badTime[k] = (into.badTime[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.filtered)) into.filtered[k] = (into.filtered[k] ?? 0) + v;
  for (const [k, v] of Object.entries(d.throttled)) into.throttled[k] = (into.throttled[k] ?? 0) + v;
}

export interface RecordPoolOptions {
  /**
   * Threads to run. 0 runs none: every batch is built on the caller's thread by `encodeHere`, the same
   * batch encoding as a thread's, which costs a quarter less CPU per line than building records one by
   * one for the sink (agents/PERFORMANCE.md, "2026-12-06, morning").
   */
  threads: number;
  key: KeyStrategy;
  maxRecordBytes: number;
  /** How log records are encoded (`json` by default). */
  encoding?: LogEncoding;
  /** Most log records in one Kafka message (`otlp_proto` only; 1 by default). */
  recordsPerMessage?: number;
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
 * thread, the agent's bottleneck, scavenged more often). Figures in agents/PERFORMANCE.md, "Memory".
 * `tributary agent` starts Node with `--max-semi-space-size=4` (bin/tributary), which V8 applies to
 * every isolate ahead of this limit (halves of 4 MB, 12 MB in all); the limit holds where the agent runs
 * in a Node started otherwise. Letting it hold under the launcher too (the flag set back to 0 before a
 * thread is made) was measured on 2026-12-01 and not kept: agents/PERFORMANCE.md, "2026-12-01, evening".
 */
export const RECORD_THREAD_YOUNG_MB = 24;

/**
 * A batch of at most this many lines is built on the main thread when nothing of its source is on a
 * record thread (`RecordPool.encodeHere`): at the rates most hosts have, a poll finds a few dozen
 * lines, and the hop to a thread and back (two structured clones, a wake-up of each thread) costs more
 * than building them. Measured side by side (agents/PERFORMANCE.md): at 100 lines/s the
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
 * bench:agent, a few MB of peak RSS (agents/PERFORMANCE.md, "Memory"). Buffers under `SPARE_MIN_BYTES`
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
  private readonly heapWaiting = new Map<number, { thread: Thread; resolve: (heap: Record<string, number> | undefined) => void }>();

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

  /** Whether batches go to threads at all (none with `threads: 0`: the caller builds them with `encodeHere`). */
  get threaded(): boolean {
    return this.o.threads > 0 && this.usable;
  }

  encode(batch: LineBatch): Promise<EncodedLogs> {
    if (this.o.threads === 0) return Promise.reject(new Error('record pool: no threads (threads: 0); build batches with encodeHere'));
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
    const e = encodeLines(build, batch, this.o.key, this.o.maxRecordBytes, this.o.encoding ?? 'json', undefined, this.o.recordsPerMessage ?? 1);
    return { ...e, values: Buffer.from(e.values) };
  }

  /**
   * Each live thread's V8 heap: its spaces (`new_space`, `old_space`, ...) and their sizes in bytes, as
   * the thread sees them (undefined for a thread that died meanwhile). For memory figures (bench:agent's
   * BENCH_MEM) and the test of what sizes its young generation.
   */
  heaps(): Promise<Array<Record<string, number> | undefined>> {
    const live = this.threads.filter((t) => !t.dead);
    return Promise.all(live.map((t) => new Promise<Record<string, number> | undefined>((resolve) => {
      const id = this.nextId++;
      this.heapWaiting.set(id, { thread: t, resolve });
      t.worker.ref();
      t.worker.postMessage({ id, heap: true });
    })));
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
    const init: ThreadInit = { builders: this.builders, key: this.o.key, maxRecordBytes: this.o.maxRecordBytes, encoding: this.o.encoding ?? 'json', recordsPerMessage: this.o.recordsPerMessage ?? 1 };
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
    const heap = this.heapWaiting.get(m.id);
    if (heap) {
      this.heapWaiting.delete(m.id);
      if (thread.busy === 0) thread.worker.unref();
      return heap.resolve(m.heap);
    }
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
    w.resolve({ count: m.count!, values: Buffer.from(values), starts: m.starts!, ends: m.ends!, keys: m.keys!, keyOf: m.keyOf!, times: m.times!, traces: m.traces!, truncated: m.truncated!, ...(m.lines ? { lines: m.lines } : {}), release });
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
    for (const [id, h] of this.heapWaiting) {
      if (thread && h.thread !== thread) continue;
      this.heapWaiting.delete(id);
      h.resolve(undefined);
    }
  }
}

/** The counters a thread keeps between replies, and how to hand them over (then start again from zero). */
export function takeCounters(c: BuiltCounters): BuiltCounters {
  const out = { ...c };
  c.records = 0;
  c.severityInferred = 0;
  c.redactions = {};
  c.unmatched = {};
  c.badTime = {};
  c.filtered = {};
  c.throttled = {};
  return out;
}

