/**
 * The landing protocol, in one place: a partition's raw batch (rows per table, aggregate rows, dead
 * letters) flows in, and lands in ClickHouse exactly once, with these rules:
 *
 * 1. Before any of a batch's inserts, its offset range is written as an INTENT
 *    (`pipeline_state`, key `intent/<topic>/<partition>`, value `first-last`).
 * 2. Then, in this order: the dead letters (to `dlq.v1`), every other table of the batch (token
 *    `<table>/<topic>/<partition>/<first>-<last>`), and the stream's raw table LAST (token
 *    `<topic>/<partition>/<first>-<last>`): its highest `kafka_offset` is what a take-over trusts.
 * 3. One batch per partition is in flight at a time, so intents and landings stay in offset order.
 * 4. A worker taking a partition over (`resumePoint`) reads the last intent and the highest landed
 *    offset: records at or below what landed are replayed into state only; if the intent's batch may
 *    have half-landed, the first new batch is cut at exactly that range, so it carries the same tokens
 *    and ClickHouse drops what had already landed.
 * 5. Rows that become final on a tick (closed windows, anomalies) land under a token derived from
 *    their content, so a repeat of the same rows is dropped and a changed row replaces by its key.
 *
 * Every insert retries while ClickHouse is unreachable (`sink.ts`); nothing here commits offsets.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger } from '../../../core/log.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { type Store } from '../../../core/storage/store.ts';
import { type BatchWriter } from '../../stage.ts';
import { type DeadRecord, type DlqSink } from '../dlq.ts';
import { type ClickHouseSink } from './sink.ts';
import { type PipelineState } from './state.ts';

export type Heartbeat = () => Promise<void>;

/** A Kafka record as the batch needs it for a dead letter. */
export interface SourceRecord {
  key: Buffer | null;
  value: Buffer | null;
}

interface Aggregate {
  acc: unknown;
  update: (acc: never) => void;
  finish?: (acc: never) => object;
}

/** One raw batch of one partition: a contiguous offset range and everything its records wrote. */
export class Batch {
  last: number;
  records = 0;
  readonly tables = new Map<string, object[]>();
  readonly aggregates = new Map<string, Map<string, Aggregate>>();
  readonly dead: DeadRecord[] = [];
  intentWritten = false;
  deadSent = false;
  /** Tables already landed (a batch retried after a failure skips them; the tokens would too). */
  readonly landed = new Set<string>();

  constructor(readonly first: number) {
    this.last = first;
  }

  get rowCount(): number {
    let n = 0;
    for (const rows of this.tables.values()) n += rows.length;
    return n;
  }
}

/** Where a partition's records are written while its current batch is being built. */
export class BatchCursor implements BatchWriter {
  batch!: Batch;
  topic = '';
  partition = 0;
  offset = 0;
  record: SourceRecord = { key: null, value: null };

  row(table: string, row: object): void {
    let rows = this.batch.tables.get(table);
    if (!rows) this.batch.tables.set(table, (rows = []));
    rows.push(row);
  }

  aggregate<A>(table: string, key: string, create: () => A, update: (acc: A) => void, finish?: (acc: A) => object): void {
    let byKey = this.batch.aggregates.get(table);
    if (!byKey) this.batch.aggregates.set(table, (byKey = new Map()));
    let a = byKey.get(key);
    if (!a) byKey.set(key, (a = { acc: create(), update: update as (acc: never) => void, finish: finish as ((acc: never) => object) | undefined }));
    update(a.acc as A);
  }

  dead(stage: string, reason: string): void {
    this.batch.dead.push({ reason, stage, topic: this.topic, partition: this.partition, offset: String(this.offset), key: this.record.key, value: this.record.value });
  }
}

/** A writer that drops everything: what replayed records are given. */
export const NO_WRITES: BatchWriter = { row: () => undefined, aggregate: () => undefined, dead: () => undefined };

/** A partition's landing lane: the batch being built, the one in flight, and its landing. */
export interface Lane {
  /** `topic/partition`. */
  key: string;
  topic: string;
  partition: number;
  rawTable?: string;
  /** The range end of a batch that may have half-landed before: the first batch is cut there. */
  forcedEnd?: number;
  building?: Batch;
  inflight?: Batch;
  landing?: Promise<void>;
  /** False once the partition is revoked: its counters stop counting. */
  live: boolean;
}

export interface LandingCounts {
  /** Rows landed per raw table. */
  stored: Map<string, number>;
  dead: number;
  batches: number;
  /** Records of batches not yet landed. */
  pending: number;
  /** Aggregate rows landed (pattern deltas and merges). */
  aggregateRows: number;
  /** Rows landed per tick table. */
  tickRows: Map<string, number>;
  lastBatch: { ms: number; size: number };
  /** Intents found unreadable on take-over (ignored, said, counted). */
  badIntents: number;
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The deduplication token of a table's part of a batch (the raw table keeps the bare range). */
export function batchToken(table: string, lane: Lane, b: Batch): string {
  const range = `${lane.key}/${b.first}-${b.last}`;
  return table === lane.rawTable ? range : `${table === 'log_patterns' ? 'patterns' : table}/${range}`;
}

/** The deduplication token of rows landed on a tick: their content (a detection time does not count). */
export function tickToken(table: string, rows: readonly object[]): string {
  const text = JSON.stringify(rows, (k, v: unknown) => (k === 'detected_at' ? '' : v));
  return `${table}/${sha1(text)}`;
}

export class Landing {
  readonly counts: LandingCounts = { stored: new Map(), dead: 0, batches: 0, pending: 0, aggregateRows: 0, tickRows: new Map(), lastBatch: { ms: 0, size: 0 }, badIntents: 0 };

  constructor(
    private readonly store: Store,
    readonly sink: ClickHouseSink,
    private readonly state: PipelineState,
    private readonly dlq: DlqSink,
    private readonly log: Logger,
  ) {}

  // ---------------------------------------------------------------- taking a partition over

  /**
   * Where to resume a partition: offsets at or below `resumeAfter` were landed (replay them into state
   * only), and `forcedEnd`, when set, is where the first batch must end (its intent may have half-landed).
   */
  async resumePoint(topic: string, partition: number, raw: { table: string; hasTopicColumn: boolean } | undefined, keepAlive: Heartbeat): Promise<{ resumeAfter: number; forcedEnd?: number }> {
    if (!raw) return { resumeAfter: -1 };
    const key = `${topic}/${partition}`;
    const intent = await this.retrying(() => this.state.get(`intent/${key}`), keepAlive);
    const stored = await this.retrying(() => this.storedUpTo(raw, topic, partition), keepAlive);
    const m = intent ? /^(\d+)-(\d+)$/.exec(intent) : null;
    if (intent !== undefined && (!m || Number(m[1]) > Number(m[2]))) {
      // A half-written or garbled intent cannot say which batch may have half-landed: the raw table's
      // highest offset is the truth for raw rows; the batch after it lands under fresh tokens.
      this.counts.badIntents++;
      this.log.error({ topic, partition, intent: intent.slice(0, 100), resumeAfter: stored }, 'The landing intent of this partition is unreadable; it was ignored and the partition resumes after the highest landed offset (a batch that half-landed before may repeat its pattern counts, never its raw rows).');
      return { resumeAfter: stored };
    }
    if (!m) return { resumeAfter: stored };
    const [a, b] = [Number(m[1]), Number(m[2])];
    // That batch may have half-landed (patterns without raw rows): redo it with the same tokens.
    if (stored < b) return { resumeAfter: a - 1, forcedEnd: b };
    return { resumeAfter: Math.max(stored, b) };
  }

  private async storedUpTo(raw: { table: string; hasTopicColumn: boolean }, topic: string, partition: number): Promise<number> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.table)) throw new Error(`not a table name: ${raw.table}`);
    const rows = await this.store.query<{ m: string; c: string | number }>(
      `SELECT toString(max(kafka_offset)) AS m, count() AS c FROM ${raw.table} WHERE ${raw.hasTopicColumn ? 'kafka_topic = {topic:String} AND ' : ''}kafka_partition = {partition:UInt16}`,
      { topic, partition },
    );
    return rows.length > 0 && Number(rows[0]!.c) > 0 ? Number(rows[0]!.m) : -1;
  }

  // ---------------------------------------------------------------- raw batches

  /** A recovery batch waits until it reaches the range end of the batch it redoes. */
  held(lane: Lane): boolean {
    return lane.forcedEnd !== undefined && lane.building !== undefined && lane.building.last < lane.forcedEnd;
  }

  /** The lane's batch being built, started at `offset` if there is none; counts one record into it. */
  batchFor(lane: Lane, offset: number): Batch {
    let b = lane.building;
    if (!b) lane.building = b = new Batch(offset);
    b.last = offset;
    b.records++;
    this.counts.pending++;
    return b;
  }

  /**
   * Hands the lane's current batch over to landing. Its intent is written here, before the caller
   * returns to the consumer (so that a worker taking the partition over in a rebalance sees it);
   * the inserts run in the background while the next batch is built.
   */
  async dispatch(lane: Lane, keepAlive?: Heartbeat): Promise<void> {
    await this.settle(lane, keepAlive);
    const b = lane.building;
    if (!b) return;
    if (!b.intentWritten && lane.rawTable) {
      const range = `${b.first}-${b.last}`;
      await this.state.put(`intent/${lane.key}`, range, keepAlive, `intent/${lane.key}/${range}`);
    }
    b.intentWritten = true;
    lane.building = undefined;
    if (lane.forcedEnd !== undefined && b.last >= lane.forcedEnd) lane.forcedEnd = undefined;
    lane.inflight = b;
    const landing = this.landBatch(lane, b).then(
      () => {
        if (lane.inflight === b) lane.inflight = undefined;
      },
      (err: unknown) => {
        // Kept in flight: the next batch of the partition (or the next tick) lands it again, same tokens.
        this.log.warn({ topic: lane.topic, partition: lane.partition, err: (err as Error).message }, 'Landing a batch failed; it is retried.');
      },
    );
    lane.landing = landing;
    void landing.finally(() => {
      if (lane.landing === landing) lane.landing = undefined;
    });
  }

  /** Dispatches the lane's batch unless it is a recovery batch still short of its range; else settles. */
  async step(lane: Lane, keepAlive?: Heartbeat, wait = false): Promise<void> {
    if (lane.building && !this.held(lane)) await this.dispatch(lane, keepAlive);
    else await this.settle(lane, keepAlive, wait);
  }

  /**
   * Waits for the lane's batch in flight (heartbeating meanwhile); one that failed in the background
   * is landed again here. With `wait` false, only a failed one is handled.
   */
  async settle(lane: Lane, keepAlive?: Heartbeat, wait = true): Promise<void> {
    const p = lane.landing;
    if (p && wait) {
      let done = false;
      void p.finally(() => (done = true));
      while (!done) {
        await Promise.race([p, sleep(1000)]);
        if (!done && keepAlive) await keepAlive();
      }
    }
    const b = lane.inflight;
    if (b && !lane.landing) {
      await this.landBatch(lane, b, keepAlive);
      if (lane.inflight === b) lane.inflight = undefined;
    }
  }

  /** Drops a revoked lane's batches from the counters (its new owner re-reads them). */
  drop(lane: Lane): void {
    lane.live = false;
    this.counts.pending -= (lane.building?.records ?? 0) + (lane.inflight?.records ?? 0);
  }

  /** Lands a batch whose intent is written: dead letters, other tables, the raw table last. */
  private async landBatch(lane: Lane, b: Batch, keepAlive?: Heartbeat): Promise<void> {
    const started = performance.now();
    if (!b.deadSent && b.dead.length > 0) {
      await this.dlq.send(b.dead);
      this.counts.dead += b.dead.length;
      this.log.warn({ topic: lane.topic, partition: lane.partition, count: b.dead.length, reason: b.dead[0]!.reason }, 'Sent records to the dead-letter topic.');
    }
    b.deadSent = true;
    for (const [table, byKey] of b.aggregates) {
      if (b.landed.has(table)) continue;
      const rows = [...byKey.values()].map((a) => (a.finish ? a.finish(a.acc as never) : (a.acc as object)));
      await this.sink.insert(table, rows, batchToken(table, lane, b), keepAlive);
      this.counts.aggregateRows += rows.length;
      b.landed.add(table);
    }
    const tables = [...b.tables.keys()].filter((t) => t !== lane.rawTable);
    if (lane.rawTable) tables.push(lane.rawTable);
    for (const table of tables) {
      if (b.landed.has(table)) continue;
      const rows = b.tables.get(table) ?? [];
      await this.sink.insert(table, rows, batchToken(table, lane, b), keepAlive);
      this.counts.stored.set(table, (this.counts.stored.get(table) ?? 0) + rows.length);
      b.landed.add(table);
    }
    this.counts.batches++;
    if (lane.live) this.counts.pending -= b.records;
    this.counts.lastBatch = { ms: performance.now() - started, size: b.records };
  }

  // ---------------------------------------------------------------- rows of a tick

  /** Lands rows that became final on a tick; the caller keeps them until this resolves. */
  async landTick(table: string, rows: readonly object[], keepAlive?: Heartbeat): Promise<void> {
    if (rows.length === 0) return;
    await this.sink.insert(table, rows, tickToken(table, rows), keepAlive);
    this.counts.tickRows.set(table, (this.counts.tickRows.get(table) ?? 0) + rows.length);
  }

  /** Runs a read until it succeeds, backing off while the store is unreachable. */
  async retrying<T>(fn: () => Promise<T>, keepAlive?: Heartbeat): Promise<T> {
    let backoff = 200;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!isTributaryError(err) || !err.canRetry) throw err;
        await keepAlive?.();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
