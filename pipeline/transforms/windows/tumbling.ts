/**
 * The event-time engine shared by service and metric windows: records (event time, Kafka partition and
 * offset) flow in through `add`, are counted into one tumbling window per configured size, and closed
 * windows flow out of `advance(now)` as rows once the watermark (see `watermark.ts`) passes their end.
 *
 * Late records: the rule. A record is LATE when the window it falls in has already closed (window end
 * <= the watermark of the last `advance`). Such a record is counted into that window (and into its
 * `late_count`) and the window is emitted again by the next `advance`, with a higher version. Closed
 * windows keep their state for `retentionMs` of event time after their end (default: the larger of 10
 * windows of the smallest size and 2 windows of the largest, 120 s for 10 s + 60 s). A record whose
 * window (for any size) has ended `retentionMs` or more before the watermark is TOO LATE: it is counted
 * in no window, `add` returns 'too_late', `counters.droppedTooLate` grows, and the caller must route
 * the record on (the worker sends it to `dlq.v1`). Nothing is dropped silently.
 *
 * Versions. A row's `version` is the number of records it includes. A re-emission happens only because
 * records were added, so each re-emission has a strictly higher version (one late record: version + 1),
 * and the table (ReplacingMergeTree on version) keeps the most complete row. Unlike an emission
 * counter, this is stable under replay: a rebuilt window that holds the same records gets the same
 * version and the same bytes, a partial rebuild gets a lower one and loses, and a late record arriving
 * after a restart still produces a version higher than the row already stored.
 *
 * Offsets and restart (exactly-once landing). Each window remembers, per input partition, the lowest
 * offset it holds. `lowestHeldOffsets()` returns, per partition, the lowest offset of any record still
 * in window state; the worker commits, per partition, `safeCommitOffset(next offset to read,
 * lowestHeldOffsets().get(p), lowest offset in its not-yet-durable insert batches)`, and only once the
 * rows returned so far by `advance` are durable. By default retained (closed) windows count as held
 * too, so after a crash the worker re-reads from the committed offset and every window that could
 * still take a late record is rebuilt in full from the replayed records; the rebuilt rows carry the
 * same key (series, size, window start) and the same version, so the replay changes nothing (only
 * `late_count` may differ, since which records count as late depends on how partitions interleave).
 * `{ includeClosed: false }` answers the narrower question "lowest offset held only in windows not yet
 * emitted": commits run further ahead (less replay, by up to `retentionMs` of data), but a late record
 * arriving after a restart then meets a partial rebuild of its window, whose lower version loses to
 * the stored row, so that record is lost. The default is the correct one without snapshots. A worker
 * that stores `snapshot()` atomically with its commits can commit the next offset to read instead and
 * `restore()` on start; it then replays nothing.
 * Known limit: after a restart the watermark starts over. A replayed record whose window was already
 * beyond retention before the crash then rebuilds a partial window that loses to the stored row
 * (harmless: it was stored or dead-lettered before), but a NEW record for such a window arriving in the
 * same stretch is absorbed by that losing row rather than returned as too late. Passing
 * `initialWatermark` (saved with the commit) keeps the too-late rule exact across restarts, at the
 * price of dead-lettering replayed too-late records twice (recognisable by source partition and offset).
 * Memory: open windows plus `retentionMs` of closed ones, per series and size; the series list itself
 * grows with the number of distinct series seen.
 *
 * Determinism: no wall clock is read; the same records and `now` values in the same order give
 * byte-identical rows, emitted in order of window size, window start, then first appearance of the series.
 */

import { TributaryError } from '../../../core/errors.ts';
import { WatermarkTracker, type WatermarkOptions, type WatermarkSnapshot } from './watermark.ts';

/** What the engine needs from any input record. */
export interface WindowedInput {
  /** Event time, epoch milliseconds. */
  time: number;
  /** Kafka partition the record was read from (0 for a file). */
  partition: number;
  /** Kafka offset within that partition (the line number for a file); must be below 2^53. */
  offset: number;
}

/** Facts about one window that every row carries. */
export interface WindowMeta {
  sizeMs: number;
  start: number;
  end: number;
  /** Records included in the window; also the row version. */
  count: number;
  /** Records that arrived after the window had closed. */
  lateCount: number;
  /** The series key (`WindowKind.key`). */
  key: string;
}

/** How one kind of window (service logs, metric series) keys, accumulates and renders its records. */
export interface WindowKind<In extends WindowedInput, Acc, Row> {
  /** Series key: windows are per (key, size, start). */
  key(record: In): string;
  /** Whether a record can be windowed at all (e.g. a finite metric value); invalid ones are returned, not counted. */
  valid?(record: In): boolean;
  /** A fresh, empty accumulator for the series of `record` (identity only; `add` follows). */
  create(record: In): Acc;
  add(acc: Acc, record: In): void;
  row(acc: Acc, meta: WindowMeta): Row;
  /** JSON-safe form of an accumulator, for `snapshot()`. */
  save?(acc: Acc): unknown;
  /** Inverse of `save`, for `restore()`. */
  load?(data: unknown): Acc;
  /**
   * Adds `from` into `into`: the accumulator of the union of both windows' records (partial windows of
   * one series computed on several partitions are merged this way; see `merge.ts`).
   */
  merge?(into: Acc, from: Acc): void;
}

/**
 * JSON-safe state of a `TumblingWindows` (see `snapshot()`): a worker that stores it atomically with
 * its committed offsets can restart from it instead of replaying the retained windows' records.
 */
export interface WindowsSnapshot<In> {
  v: 1;
  sizesMs: number[];
  watermark: number | null;
  tracker: WatermarkSnapshot;
  nextSeriesIndex: number;
  /** [key, index, sample record, partition, [cursor, lastDataEnd] per size]. */
  series: [string, number, In, number, [number, number][]][];
  /** [size index, start, key, series index, count, late count, emitted, dirty, [partition, offset][], accumulator]. */
  windows: [number, number, string, number, number, number, boolean, boolean, [number, number][], unknown][];
  counters: WindowCounters;
}

export interface TumblingOptions extends WatermarkOptions {
  /** Window sizes in ms; each record is counted once per size. Default [10000, 60000]. */
  sizesMs?: number[];
  /** How long (event time) a closed window's state is kept for late records after its end, in ms. */
  retentionMs?: number;
  /**
   * After a series' last record, emit up to this many rows with count 0 for the following windows of
   * each size (a service that went silent is then visible to the scorer). Default 0 (none).
   */
  emptyWindows?: number;
  /**
   * Refuse records whose event time is more than this many ms ahead of processing time `now`
   * (`add` returns 'future'): one record from a host with a wrong clock would otherwise push the
   * watermark ahead and turn everything after it into too-late records. Default: no limit (offline
   * callers pass event time as `now`; the worker should set it, e.g. 10 minutes).
   */
  maxFutureMs?: number;
}

export const DEFAULT_SIZES_MS: readonly number[] = [10_000, 60_000];

/** Outcome of `add`: `too_late`, `future` and `invalid` records are in no window; the caller routes them on. */
export type AddStatus = 'on_time' | 'late' | 'too_late' | 'future' | 'invalid';

export interface WindowCounters {
  /** Records counted into windows (on time or late). */
  records: number;
  /** Records that arrived after their window closed (counted per record, not per size). */
  late: number;
  /** Records beyond retention, returned to the caller. */
  droppedTooLate: number;
  /** Records refused by `valid` or with a non-finite time, returned to the caller. */
  invalid: number;
  /** Records more than `maxFutureMs` ahead of processing time, returned to the caller. */
  future: number;
  /** Rows emitted for the first time. */
  rowsEmitted: number;
  /** Rows emitted again because of late records. */
  rowsReEmitted: number;
  /** Count-0 rows emitted for silent series. */
  rowsEmpty: number;
}

interface WindowState<Acc> {
  key: string;
  seriesIndex: number;
  acc: Acc;
  start: number;
  count: number;
  lateCount: number;
  emitted: boolean;
  dirty: boolean;
  offsets: Map<number, number>;
}

interface SeriesLane {
  /** Start of the next window the empty-window filler looks at. */
  cursor: number;
  /** End of the last window with records that the filler passed. */
  lastDataEnd: number;
}

interface Series<In> {
  index: number;
  sample: In;
  /** Partition of the series' latest record. */
  partition: number;
  lanes: SeriesLane[];
}

interface Lane<Acc> {
  sizeMs: number;
  /** Window starts that have state, ascending. */
  starts: number[];
  buckets: Map<number, Map<string, WindowState<Acc>>>;
}

/** Epoch ms as a ClickHouse DateTime64(3) literal in UTC: `YYYY-MM-DD hh:mm:ss.sss`. */
export function formatWindowTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Inverse of `formatWindowTime`: epoch ms from `YYYY-MM-DD hh:mm:ss.sss` (UTC); NaN when malformed. */
export function parseWindowTime(text: string): number {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$/.test(text) ? Date.parse(`${text.replace(' ', 'T')}Z`) : NaN;
}

/** Start of the tumbling window of size `sizeMs` holding event time `t` (windows align to the epoch). */
export function windowStart(t: number, sizeMs: number): number {
  return Math.floor(t / sizeMs) * sizeMs;
}

/**
 * The offset a worker may commit for one partition. Kafka's committed offset is the next one to read,
 * so it is the lowest of: the next offset to read, the lowest offset still held in windows
 * (`lowestHeldOffsets().get(p)`), and the lowest offset in insert batches not yet durable. Holds that
 * are undefined (nothing held) are ignored.
 */
export function safeCommitOffset(nextToRead: number, ...held: (number | undefined)[]): number {
  let out = nextToRead;
  for (const h of held) if (h !== undefined && h < out) out = h;
  return out;
}

interface Emission<Row> {
  sizeMs: number;
  start: number;
  seriesIndex: number;
  row: Row;
}

export class TumblingWindows<In extends WindowedInput, Acc, Row> {
  readonly sizesMs: readonly number[];
  readonly retentionMs: number;
  readonly emptyWindows: number;
  readonly maxFutureMs: number;
  readonly counters: WindowCounters = {
    records: 0, late: 0, droppedTooLate: 0, invalid: 0, future: 0, rowsEmitted: 0, rowsReEmitted: 0, rowsEmpty: 0,
  };
  private readonly tracker: WatermarkTracker;
  private readonly lanes: Lane<Acc>[];
  private readonly series = new Map<string, Series<In>>();
  private nextSeriesIndex = 0;
  private dirty: WindowState<Acc>[] = [];
  /** Lane index of each dirty state, parallel to `dirty`. */
  private dirtyLane: number[] = [];
  private wm: number;

  constructor(private readonly kind: WindowKind<In, Acc, Row>, options: TumblingOptions = {}) {
    const sizes = options.sizesMs ?? DEFAULT_SIZES_MS;
    if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new TributaryError('CONFIG_INVALID', `window sizes must be positive whole milliseconds, got [${sizes.join(', ')}]`);
    }
    if (new Set(sizes).size !== sizes.length) {
      throw new TributaryError('CONFIG_INVALID', `window sizes must be distinct, got [${sizes.join(', ')}]`);
    }
    this.sizesMs = [...sizes].sort((a, b) => a - b);
    const smallest = this.sizesMs[0]!;
    const largest = this.sizesMs[this.sizesMs.length - 1]!;
    this.retentionMs = options.retentionMs ?? Math.max(10 * smallest, 2 * largest);
    if (!(this.retentionMs >= 0) || !Number.isFinite(this.retentionMs)) {
      throw new TributaryError('CONFIG_INVALID', `window retention must be a finite number >= 0, got ${this.retentionMs}`);
    }
    this.emptyWindows = options.emptyWindows ?? 0;
    if (!Number.isInteger(this.emptyWindows) || this.emptyWindows < 0) {
      throw new TributaryError('CONFIG_INVALID', `emptyWindows must be a whole number >= 0, got ${this.emptyWindows}`);
    }
    this.maxFutureMs = options.maxFutureMs ?? Infinity;
    if (!(this.maxFutureMs >= 0)) {
      throw new TributaryError('CONFIG_INVALID', `maxFutureMs must be >= 0, got ${this.maxFutureMs}`);
    }
    this.tracker = new WatermarkTracker(options);
    this.wm = this.tracker.current;
    this.lanes = this.sizesMs.map((sizeMs) => ({ sizeMs, starts: [], buckets: new Map() }));
  }

  /** The watermark windows were last closed at (-Infinity before the first `advance`). */
  get watermark(): number {
    return this.wm;
  }

  /** The watermark tracker, for partition assignment and inspection. */
  get watermarks(): WatermarkTracker {
    return this.tracker;
  }

  /** Announces an assigned partition before its first record (see `WatermarkTracker.assign`). */
  assignPartition(partition: number, now: number): void {
    this.tracker.assign(partition, now);
  }

  /**
   * A partition was revoked in a rebalance: it stops holding the watermark back, and windows whose
   * records all came from it are dropped (their new owner re-reads them from the committed offset and
   * rebuilds them). Windows that also hold other partitions' records are kept. Returns how many
   * windows were dropped. The series last seen on it are forgotten too (no empty rows for them here).
   * Series are expected to live on one partition (the topics are keyed by
   * service, and service|host for metrics); if one did not, a row rebuilt by the new owner from a
   * different subset of records could replace this worker's row.
   */
  revokePartition(partition: number): number {
    this.tracker.revoke(partition);
    let dropped = 0;
    for (const lane of this.lanes) {
      for (const [start, bucket] of lane.buckets) {
        for (const [key, st] of bucket) {
          if (st.offsets.size === 1 && st.offsets.has(partition)) {
            bucket.delete(key);
            st.dirty = false;
            dropped++;
          }
        }
        if (bucket.size === 0) {
          lane.buckets.delete(start);
          lane.starts.splice(lane.starts.indexOf(start), 1);
        }
      }
    }
    // The new owner fills this series' empty windows from now on.
    for (const [key, series] of this.series) if (series.partition === partition) this.series.delete(key);
    if (dropped > 0) {
      // A dropped window must not be re-emitted from the dirty list.
      const keep = this.dirty.map((st, i) => [st, this.dirtyLane[i]!] as const).filter(([st]) => st.dirty);
      this.dirty = keep.map(([st]) => st);
      this.dirtyLane = keep.map(([, l]) => l);
    }
    return dropped;
  }

  /**
   * Counts one record into its windows at processing time `now`. Never throws for bad data: returns
   * `too_late`, `future` or `invalid` for a record that went into no window, which the caller must route on.
   */
  add(record: In, now: number): AddStatus {
    const t = record.time;
    if (!Number.isFinite(t) || (this.kind.valid && !this.kind.valid(record))) {
      this.counters.invalid++;
      return 'invalid';
    }
    if (t - now > this.maxFutureMs) {
      this.counters.future++;
      return 'future';
    }
    this.tracker.observe(record.partition, t, now);
    const wm = this.wm;
    // All or nothing: a record too late for one size is counted in none, so every row stays consistent.
    for (const lane of this.lanes) {
      if (windowStart(t, lane.sizeMs) + lane.sizeMs + this.retentionMs <= wm) {
        this.counters.droppedTooLate++;
        return 'too_late';
      }
    }
    const key = this.kind.key(record);
    let series = this.series.get(key);
    if (!series) {
      series = {
        index: this.nextSeriesIndex++,
        sample: record,
        partition: record.partition,
        lanes: this.lanes.map((l) => {
          const s = windowStart(t, l.sizeMs);
          return { cursor: s, lastDataEnd: s + l.sizeMs };
        }),
      };
      this.series.set(key, series);
    }
    series.partition = record.partition;
    let late = false;
    for (let li = 0; li < this.lanes.length; li++) {
      const lane = this.lanes[li]!;
      const start = windowStart(t, lane.sizeMs);
      let bucket = lane.buckets.get(start);
      if (!bucket) {
        bucket = new Map();
        lane.buckets.set(start, bucket);
        insertSorted(lane.starts, start);
      }
      let st = bucket.get(key);
      if (!st) {
        st = {
          key, seriesIndex: series.index, acc: this.kind.create(record), start,
          count: 0, lateCount: 0, emitted: false, dirty: false, offsets: new Map(),
        };
        bucket.set(key, st);
      }
      this.kind.add(st.acc, record);
      st.count++;
      const held = st.offsets.get(record.partition);
      if (held === undefined || record.offset < held) st.offsets.set(record.partition, record.offset);
      if (start + lane.sizeMs <= wm) {
        late = true;
        st.lateCount++;
        if (!st.dirty) {
          st.dirty = true;
          this.dirty.push(st);
          this.dirtyLane.push(li);
        }
      }
    }
    this.counters.records++;
    if (late) this.counters.late++;
    return late ? 'late' : 'on_time';
  }

  /**
   * Recomputes the watermark at processing time `now` and returns the rows of windows that closed
   * since the last call, plus windows re-emitted because late records reached them.
   */
  advance(now: number): Row[] {
    const next = this.tracker.compute(now);
    return this.closeTo(next, () => next);
  }

  /**
   * End of input (offline detection on a file): closes every window holding records and returns their
   * rows. Empty windows (if enabled) are filled only up to the window holding the highest event time.
   */
  flush(): Row[] {
    const maxT = this.tracker.maxEventTime;
    if (maxT === -Infinity) return this.closeTo(this.wm, () => this.wm);
    let target = this.wm;
    for (const lane of this.lanes) target = Math.max(target, windowStart(maxT, lane.sizeMs) + lane.sizeMs);
    this.tracker.forceTo(target);
    return this.closeTo(target, (sizeMs) => windowStart(maxT, sizeMs) + sizeMs);
  }

  /**
   * Per partition, the lowest offset of a record still held in window state (see header). With
   * `includeClosed: false`, only windows not yet emitted count. Partitions holding nothing are absent.
   */
  lowestHeldOffsets(options: { includeClosed?: boolean } = {}): Map<number, number> {
    const includeClosed = options.includeClosed ?? true;
    const out = new Map<number, number>();
    for (const lane of this.lanes) {
      for (const bucket of lane.buckets.values()) {
        for (const st of bucket.values()) {
          if (!includeClosed && st.emitted && !st.dirty) continue;
          for (const [p, o] of st.offsets) {
            const cur = out.get(p);
            if (cur === undefined || o < cur) out.set(p, o);
          }
        }
      }
    }
    return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
  }

  /**
   * The whole state as a JSON-safe object. Restoring it into a fresh instance with the same options
   * and feeding the same further records gives the same rows as never having stopped.
   */
  snapshot(): WindowsSnapshot<In> {
    const save = this.kind.save;
    if (!save) throw new TributaryError('USAGE', 'this kind of window cannot be snapshotted (no save/load)');
    const windows: WindowsSnapshot<In>['windows'] = [];
    this.lanes.forEach((lane, li) => {
      for (const start of lane.starts) {
        for (const st of lane.buckets.get(start)!.values()) {
          windows.push([li, st.start, st.key, st.seriesIndex, st.count, st.lateCount, st.emitted, st.dirty, [...st.offsets], save(st.acc)]);
        }
      }
    });
    return {
      v: 1,
      sizesMs: [...this.sizesMs],
      watermark: Number.isFinite(this.wm) ? this.wm : null,
      tracker: this.tracker.snapshot(),
      nextSeriesIndex: this.nextSeriesIndex,
      series: [...this.series].map(([key, s]) => [key, s.index, s.sample, s.partition, s.lanes.map((l) => [l.cursor, l.lastDataEnd])]),
      windows,
      counters: { ...this.counters },
    };
  }

  /** Loads a snapshot into this instance, which must be fresh and configured with the same sizes. */
  restore(snap: WindowsSnapshot<In>): void {
    const load = this.kind.load;
    if (!load) throw new TributaryError('USAGE', 'this kind of window cannot be restored (no save/load)');
    if (this.series.size > 0 || this.tracker.maxEventTime !== -Infinity || Number.isFinite(this.wm)) {
      throw new TributaryError('USAGE', 'restore() needs a fresh window aggregator');
    }
    if (snap.v !== 1 || snap.sizesMs.join(',') !== this.sizesMs.join(',')) {
      throw new TributaryError('USAGE', `snapshot window sizes [${snap.sizesMs}] differ from the configured [${this.sizesMs.join(', ')}]`);
    }
    this.wm = snap.watermark ?? -Infinity;
    this.tracker.restore(snap.tracker);
    this.nextSeriesIndex = snap.nextSeriesIndex;
    for (const [key, index, sample, partition, lanes] of snap.series) {
      this.series.set(key, { index, sample, partition, lanes: lanes.map(([cursor, lastDataEnd]) => ({ cursor, lastDataEnd })) });
    }
    for (const [li, start, key, seriesIndex, count, lateCount, emitted, dirty, offsets, acc] of snap.windows) {
      const lane = this.lanes[li]!;
      let bucket = lane.buckets.get(start);
      if (!bucket) {
        bucket = new Map();
        lane.buckets.set(start, bucket);
        insertSorted(lane.starts, start);
      }
      const st: WindowState<Acc> = { key, seriesIndex, acc: load(acc), start, count, lateCount, emitted, dirty, offsets: new Map(offsets) };
      bucket.set(key, st);
      if (dirty) {
        this.dirty.push(st);
        this.dirtyLane.push(li);
      }
    }
    Object.assign(this.counters, snap.counters);
  }

  /** Number of windows held in memory (open and retained), for the pipeline's own gauges. */
  get heldWindows(): number {
    let n = 0;
    for (const lane of this.lanes) for (const b of lane.buckets.values()) n += b.size;
    return n;
  }

  private closeTo(next: number, emptyLimit: (sizeMs: number) => number): Row[] {
    const prev = this.wm;
    this.wm = next;
    const out: Emission<Row>[] = [];
    // Late records first reached windows that closed earlier; re-emit each once.
    for (let i = 0; i < this.dirty.length; i++) {
      const st = this.dirty[i]!;
      const lane = this.lanes[this.dirtyLane[i]!]!;
      this.emit(st, lane.sizeMs, out);
    }
    this.dirty = [];
    this.dirtyLane = [];
    if (next > prev) {
      for (const lane of this.lanes) {
        const size = lane.sizeMs;
        for (let i = firstEndAbove(lane.starts, size, prev); i < lane.starts.length; i++) {
          const start = lane.starts[i]!;
          if (start + size > next) break;
          for (const st of lane.buckets.get(start)!.values()) if (!st.emitted || st.dirty) this.emit(st, size, out);
        }
      }
    }
    if (this.emptyWindows > 0) this.fillEmpty(emptyLimit, out);
    this.prune();
    out.sort((a, b) => a.sizeMs - b.sizeMs || a.start - b.start || a.seriesIndex - b.seriesIndex);
    return out.map((e) => e.row);
  }

  private emit(st: WindowState<Acc>, sizeMs: number, out: Emission<Row>[]): void {
    if (st.emitted) this.counters.rowsReEmitted++;
    else this.counters.rowsEmitted++;
    st.emitted = true;
    st.dirty = false;
    const meta: WindowMeta = { sizeMs, start: st.start, end: st.start + sizeMs, count: st.count, lateCount: st.lateCount, key: st.key };
    out.push({ sizeMs, start: st.start, seriesIndex: st.seriesIndex, row: this.kind.row(st.acc, meta) });
  }

  /** Count-0 rows for up to `emptyWindows` windows after each stretch of a series' records. */
  private fillEmpty(limit: (sizeMs: number) => number, out: Emission<Row>[]): void {
    for (const [key, series] of this.series) {
      for (let li = 0; li < this.lanes.length; li++) {
        const lane = this.lanes[li]!;
        const size = lane.sizeMs;
        const sl = series.lanes[li]!;
        const until = Math.min(this.wm, limit(size));
        while (sl.cursor + size <= until) {
          if (lane.buckets.get(sl.cursor)?.has(key)) {
            sl.lastDataEnd = sl.cursor + size;
            sl.cursor += size;
            continue;
          }
          if (sl.cursor >= sl.lastDataEnd + this.emptyWindows * size) {
            // Silent past the budget: jump to this series' next window with records, if any.
            const jump = nextStartWithKey(lane, key, sl.cursor);
            if (jump === undefined) break;
            sl.cursor = jump;
            continue;
          }
          const meta: WindowMeta = { sizeMs: size, start: sl.cursor, end: sl.cursor + size, count: 0, lateCount: 0, key };
          out.push({ sizeMs: size, start: sl.cursor, seriesIndex: series.index, row: this.kind.row(this.kind.create(series.sample), meta) });
          this.counters.rowsEmpty++;
          sl.cursor += size;
        }
      }
    }
  }

  private prune(): void {
    for (const lane of this.lanes) {
      let drop = 0;
      while (drop < lane.starts.length && lane.starts[drop]! + lane.sizeMs + this.retentionMs <= this.wm) {
        lane.buckets.delete(lane.starts[drop]!);
        drop++;
      }
      if (drop > 0) lane.starts.splice(0, drop);
    }
  }
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0;
  let hi = arr.length;
  // Most inserts are at the end (event time moves forward): check that first.
  if (hi === 0 || arr[hi - 1]! < v) {
    arr.push(v);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, v);
}

/** Index of the first start whose window end (start + size) is above `t`. */
function firstEndAbove(starts: number[], size: number, t: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! + size <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nextStartWithKey<Acc>(lane: Lane<Acc>, key: string, after: number): number | undefined {
  for (let i = firstEndAbove(lane.starts, 0, after); i < lane.starts.length; i++) {
    const s = lane.starts[i]!;
    if (lane.buckets.get(s)!.has(key)) return s;
  }
  return undefined;
}
