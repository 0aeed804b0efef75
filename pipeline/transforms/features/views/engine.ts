/**
 * The feature view engine: checked events of the view's source (with their Kafka partition and
 * offset) flow in through `add`; rows, one per key and window with every feature of the view, flow out
 * of `advance(now)` when the watermark passes a window's end (and again, with a higher version, when a
 * late event reaches a closed window). The worker and `tributary backfill` both run this code.
 *
 * Windows, lateness, versions and held offsets follow `windows/tumbling.ts` (the same engine runs
 * underneath). A hopping window of size S and hop H is S/H tumbling lanes of size S shifted by 0, H,
 * 2H, ...: lane k sees event time t - kH and its windows are shifted back on the way out, so every
 * lane keeps the tumbling engine's rules unchanged. An event too late for any lane is counted in none.
 *
 * Determinism: no wall clock is read; the same events and `now` values in the same order give the
 * same rows in the same order (by window start, then key). Derived features compare a window with
 * the key's windows that started before it (see derived.ts), so rebuilt windows agree.
 */
import { formatWindowTime, TumblingWindows, windowStart, type AddStatus, type WindowKind, type WindowMeta, type WindowsSnapshot } from '../../windows/tumbling.ts';
import { type AggInput } from './aggregations.ts';
import { type CompiledView } from './definition.ts';
import { type SourceEvent } from './schema.ts';

/** One row of a view table. Feature values are numbers or null (missing). */
export interface ViewRow {
  view: string;
  view_version: number;
  /** Key fields joined with `|` (the single field's value when there is one). */
  key: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  hop_s: number;
  /** Events included; a late event re-emits the row with a higher version. */
  version: number;
  count: number;
  late_count: number;
  /** Key field values by name, then features by name. */
  [column: string]: string | number | null;
}

/** A row with its features as an array in view order, for the scorer. */
export interface ViewEmission {
  row: ViewRow;
  /** Feature values in `view.features` order (defaults applied; null where still missing). */
  values: (number | null)[];
  /** Window start, epoch ms. */
  start: number;
}

interface LaneInput extends AggInput {
  key: string;
  keyValues: string[];
}

interface Acc {
  keyValues: string[];
  states: unknown[];
}

export type ViewAddStatus = AddStatus | 'filtered' | 'no_key';

export interface ViewCounters {
  events: number;
  filtered: number;
  noKey: number;
  late: number;
  tooLate: number;
  future: number;
  rows: number;
  /** Windows rebuilt by a replay after a restart or take-over that had landed before (not emitted again). */
  landedBefore: number;
  /** Events of a key first seen on another partition (see `owners`). */
  splitKeys: number;
}

export interface ViewEngineOptions {
  /** Refuse events more than this far ahead of processing time (see tumbling.ts); default none. */
  maxFutureMs?: number;
  /** Baselines shared with other engines of the same view (one engine per input partition, keys on one partition each). */
  baselines?: Map<string, KeyBaseline>;
  /**
   * The partition each key was first seen on, shared by the engines of one view: an event of a key
   * from another partition breaks the contract (a key's events share a partition) and is reported
   * to `onSplitKey` (it is still counted, into that partition's own window of the key).
   */
  owners?: Map<string, number>;
  onSplitKey?(key: string, first: number, now: number): void;
}

export interface ViewSnapshot {
  v: 1;
  lanes: WindowsSnapshot<LaneInput>[];
  /** [key, [feature, [window start, value, row version][]][]]. */
  baselines: [string, [string, [number, number, number][]][]][];
  counters: ViewCounters;
}

/**
 * Per key and baselined feature: [window start, value, row version] ascending by start. The version
 * keeps a partial rebuild of an old window (a replay that starts inside it, lower version) from
 * overwriting the complete window's value, exactly as the table keeps the higher version.
 * Under `EMITTED` every window of the key emitted lately ([start, 0, version], values or not): what
 * tells a window rebuilt by a replay from one never emitted (see `finish`).
 */
export type KeyBaseline = Map<string, [number, number, number][]>;

/** The baseline entry of emitted windows (feature names are [a-z0-9_], so it cannot clash). */
export const EMITTED = '#emitted';

export class ViewEngine {
  readonly counters: ViewCounters = { events: 0, filtered: 0, noKey: 0, late: 0, tooLate: 0, future: 0, rows: 0, landedBefore: 0, splitKeys: 0 };
  private readonly lanes: TumblingWindows<LaneInput, Acc, ViewEmission>[] = [];
  private readonly shifts: number[] = [];
  private readonly baselines: Map<string, KeyBaseline>;
  private readonly baselined: { feature: string; index: number; history: number }[] = [];
  private readonly featureIndex = new Map<string, number>();

  private readonly maxFutureMs: number;
  private readonly owners: Map<string, number> | undefined;
  private readonly onSplitKey: ((key: string, first: number, now: number) => void) | undefined;

  constructor(readonly view: CompiledView, options: ViewEngineOptions = {}) {
    this.baselines = options.baselines ?? new Map();
    this.owners = options.owners;
    this.onSplitKey = options.onSplitKey;
    this.maxFutureMs = options.maxFutureMs ?? Infinity;
    view.features.forEach((f, i) => this.featureIndex.set(f.name, i));
    const keep = new Map<string, number>();
    for (const d of view.derived) for (const b of d.baseline) keep.set(b.feature, Math.max(keep.get(b.feature) ?? 0, b.history));
    for (const [feature, history] of keep) this.baselined.push({ feature, index: this.featureIndex.get(feature)!, history });
    const n = view.sizeMs / view.hopMs;
    for (let k = 0; k < n; k++) {
      const shift = k * view.hopMs;
      this.shifts.push(shift);
      this.lanes.push(new TumblingWindows(this.kind(shift), {
        sizesMs: [view.sizeMs],
        allowedLatenessMs: view.allowedLatenessMs,
        idleTimeoutMs: view.idleTimeoutMs,
        retentionMs: view.retentionMs,
        ...(options.maxFutureMs !== undefined ? { maxFutureMs: options.maxFutureMs } : {}),
      }));
    }
  }

  private kind(shift: number): WindowKind<LaneInput, Acc, ViewEmission> {
    const aggs = this.view.aggregators;
    return {
      key: (r) => r.key,
      create: (r) => ({ keyValues: r.keyValues, states: aggs.map((a) => a.init()) }),
      add: (acc, r) => {
        for (let i = 0; i < aggs.length; i++) acc.states[i] = aggs[i]!.add(acc.states[i], r);
      },
      row: (acc, meta) => this.render(acc, meta, shift),
      save: (acc) => ({ k: acc.keyValues, s: acc.states.map((s, i) => aggs[i]!.save(s)) }),
      load: (d) => {
        const j = d as { k: string[]; s: unknown[] };
        return { keyValues: j.k, states: j.s.map((s, i) => aggs[i]!.load(s)) };
      },
    };
  }

  /** Aggregated values only; derived features are filled in `advance`, in window order. */
  private render(acc: Acc, meta: WindowMeta, shift: number): ViewEmission {
    const v = this.view;
    const start = meta.start + shift;
    const row: ViewRow = {
      view: v.name, view_version: v.version, key: acc.keyValues.join('|'),
      window_start: formatWindowTime(start), window_end: formatWindowTime(start + v.sizeMs),
      window_size_s: v.sizeMs / 1000, hop_s: v.hopMs / 1000, version: meta.count, count: meta.count, late_count: meta.lateCount,
    };
    v.keyFields.forEach((k, i) => (row[k] = acc.keyValues[i]!));
    const aggMeta = { sizeMs: v.sizeMs, count: meta.count };
    const values: (number | null)[] = v.aggregators.map((a, i) => {
      const x = a.value(acc.states[i], aggMeta);
      return x === null || !Number.isFinite(x) ? v.features[i]!.default : x;
    });
    return { row, values, start };
  }

  /**
   * Counts one checked event into its windows at processing time `now`. Never throws; statuses other
   * than on_time and late mean the event is in no window (the caller counts or routes it).
   */
  add(event: SourceEvent, partition: number, offset: number, now: number): ViewAddStatus {
    const v = this.view;
    if (!v.filter(event.fields)) {
      this.counters.filtered++;
      this.observe(event.time, partition, now);
      return 'filtered';
    }
    const keyValues: string[] = [];
    for (const k of v.keyFields) {
      const x = event.fields[k];
      if (x === null || x === undefined) {
        this.counters.noKey++;
        this.observe(event.time, partition, now);
        return 'no_key';
      }
      keyValues.push(String(x));
    }
    const key = keyValues.join('\u0000');
    if (this.owners) {
      const first = this.owners.get(key);
      if (first === undefined) this.owners.set(key, partition);
      else if (first !== partition) {
        this.counters.splitKeys++;
        this.onSplitKey?.(keyValues.join('|'), first, partition);
      }
    }
    // All or nothing across lanes, as across sizes in the tumbling engine.
    for (let k = 0; k < this.lanes.length; k++) {
      const lane = this.lanes[k]!;
      const t = event.time - this.shifts[k]!;
      if (windowStart(t, v.sizeMs) + v.sizeMs + lane.retentionMs <= lane.watermark) {
        this.counters.tooLate++;
        return 'too_late';
      }
    }
    let status: AddStatus = 'on_time';
    for (let k = 0; k < this.lanes.length; k++) {
      const s = this.lanes[k]!.add({ time: event.time - this.shifts[k]!, partition, offset, fields: event.fields, key, keyValues }, now - this.shifts[k]!);
      if (s === 'future') {
        this.counters.future++;
        return s;
      }
      if (s === 'late') status = 'late';
    }
    this.counters.events++;
    if (status === 'late') this.counters.late++;
    return status;
  }

  /**
   * An event the view does not window still says that event time moved on in its partition: without
   * this, a selective filter would hold every window of the partition open.
   */
  private observe(time: number, partition: number, now: number): void {
    if (!Number.isFinite(time) || time - now > this.maxFutureMs) return;
    this.lanes.forEach((l, k) => l.watermarks.observe(partition, time - this.shifts[k]!, now - this.shifts[k]!));
  }

  /** Rows of windows closed (or re-emitted) since the last call, with derived features filled. */
  advance(now: number): ViewEmission[] {
    return this.finish(this.lanes.flatMap((lane, k) => lane.advance(now - this.shifts[k]!)));
  }

  /** End of input (backfill): closes every window and returns their rows. */
  flush(): ViewEmission[] {
    return this.finish(this.lanes.flatMap((lane) => lane.flush()));
  }

  /**
   * Derived features and baselines, in window order. A replay after a restart or a take-over starts at
   * the last commit, which a slow view (or another stage) can hold far behind: it rebuilds windows
   * that landed before, some only in part (the replay starts inside them). Computing those again would
   * compare them with a baseline that has meanwhile moved on (trimmed to the newest windows) and land
   * other derived values under the same version. So a window the restored baseline knows as emitted
   * with at least this version, or one too old for any late record (older than the newest emitted
   * window by more than size + retention), landed before: it is dropped here, and the stored row
   * stands. A late record's higher version still re-emits its window.
   */
  private finish(out: ViewEmission[]): ViewEmission[] {
    out.sort((a, b) => a.start - b.start || (a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0));
    const v = this.view;
    const nAgg = v.aggregators.length;
    const kept: ViewEmission[] = [];
    for (const e of out) {
      let base = this.baselines.get(e.row.key);
      if (!base && this.baselined.length > 0) this.baselines.set(e.row.key, (base = new Map()));
      if (base) {
        let emitted = base.get(EMITTED);
        if (!emitted) base.set(EMITTED, (emitted = []));
        if (landedBefore(emitted, e.start, e.row.version, v.sizeMs + v.retentionMs)) {
          this.counters.landedBefore++;
          continue;
        }
        upsert(emitted, e.start, 0, e.row.version);
        const cap = Math.ceil((v.sizeMs + v.retentionMs) / v.hopMs) + 2;
        if (emitted.length > cap) emitted.splice(0, emitted.length - cap);
      }
      const past = (feature: string, limit: number): number[] => {
        const entries = base?.get(feature);
        if (!entries) return [];
        let hi = entries.length;
        while (hi > 0 && entries[hi - 1]![0] >= e.start) hi--;
        return entries.slice(Math.max(0, hi - limit), hi).map((x) => x[1]);
      };
      const valueOf = (name: string): number | null => e.values[this.featureIndex.get(name)!] ?? null;
      for (let j = 0; j < v.derived.length; j++) {
        const x = v.derived[j]!.compute(valueOf, past);
        e.values[nAgg + j] = x === null || !Number.isFinite(x) ? v.features[nAgg + j]!.default : x;
      }
      if (base) {
        for (const b of this.baselined) {
          const x = e.values[b.index];
          if (x === null || x === undefined) continue;
          let entries = base.get(b.feature);
          if (!entries) base.set(b.feature, (entries = []));
          upsert(entries, e.start, x, e.row.version);
          // Keep the history plus the windows still open to late records, which compare with older ones.
          const cap = b.history + Math.ceil(v.retentionMs / v.hopMs) + v.sizeMs / v.hopMs;
          if (entries.length > cap) entries.splice(0, entries.length - cap);
        }
      }
      v.features.forEach((f, i) => (e.row[f.name] = e.values[i] ?? null));
      this.counters.rows++;
      kept.push(e);
    }
    return kept;
  }

  /** Per partition, the lowest offset still held in any window (see tumbling.ts); commits stay at or below it. */
  lowestHeldOffsets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const lane of this.lanes) {
      for (const [p, o] of lane.lowestHeldOffsets()) {
        const cur = out.get(p);
        if (cur === undefined || o < cur) out.set(p, o);
      }
    }
    return out;
  }

  /** Whether every partition this engine has seen is idle at processing time `now` (or none was seen). */
  isIdle(now: number): boolean {
    return this.lanes[0]!.watermarks.partitions(now).every((p) => p.idle);
  }

  /** The watermark at processing time `now` (event time, ms). */
  computeWatermark(now: number): number {
    return this.lanes[0]!.watermarks.compute(now);
  }

  /** Moves the watermark to at least `t` (an idle partition's engine follows the active ones). */
  forceWatermark(t: number): void {
    this.lanes.forEach((l, k) => l.watermarks.forceTo(t - this.shifts[k]!));
  }

  assignPartition(partition: number, now: number): void {
    this.lanes.forEach((l, k) => l.assignPartition(partition, now - this.shifts[k]!));
  }

  revokePartition(partition: number): void {
    for (const l of this.lanes) l.revokePartition(partition);
  }

  /** Windows held (open and retained) over all lanes. */
  get heldWindows(): number {
    return this.lanes.reduce((n, l) => n + l.heldWindows, 0);
  }

  /** Keys with a baseline. */
  get baselineKeys(): number {
    return this.baselines.size;
  }

  /** Windows and baselines, JSON-safe; `restore` on a fresh engine of the same view continues from it. */
  snapshot(): ViewSnapshot {
    return {
      v: 1,
      lanes: this.lanes.map((l) => l.snapshot()),
      baselines: [...this.baselines].map(([k, b]) => [k, [...b].map(([f, e]) => [f, e.map((x) => [x[0], x[1], x[2]] as [number, number, number])])]),
      counters: { ...this.counters },
    };
  }

  /** Baselines only (what a restart needs when windows are rebuilt by replay). */
  snapshotBaselines(): ViewSnapshot['baselines'] {
    return this.snapshot().baselines;
  }

  restoreBaselines(b: ViewSnapshot['baselines']): void {
    this.baselines.clear();
    for (const [k, feats] of b) this.baselines.set(k, new Map(feats.map(([f, e]) => [f, e.map((x) => [x[0], x[1], x[2]] as [number, number, number])])));
  }

  restore(s: ViewSnapshot): void {
    s.lanes.forEach((l, k) => this.lanes[k]!.restore(l));
    this.restoreBaselines(s.baselines);
    Object.assign(this.counters, s.counters);
  }
}

/** Whether a window (start, version) was emitted before with at least this version, or is too old to be new. */
function landedBefore(emitted: readonly [number, number, number][], start: number, version: number, horizonMs: number): boolean {
  const newest = emitted[emitted.length - 1];
  if (!newest) return false;
  if (start + horizonMs <= newest[0]) return true;
  for (let i = emitted.length - 1; i >= 0 && emitted[i]![0] >= start; i--) if (emitted[i]![0] === start) return emitted[i]![2] >= version;
  return false;
}

function upsert(entries: [number, number, number][], start: number, value: number, version: number): void {
  let i = entries.length;
  while (i > 0 && entries[i - 1]![0] > start) i--;
  const at = entries[i - 1];
  if (at && at[0] === start) {
    if (version >= at[2]) {
      at[1] = value;
      at[2] = version;
    }
  } else entries.splice(i, 0, [start, value, version]);
}
