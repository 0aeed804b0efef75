/**
 * The feature view stage: checked events of a source flow into the view's engine
 * (`transforms/features/views/engine.ts`); on every tick the rows of windows that closed flow out to
 * the view's own table, scored by the models bound to the view in one `session.run` per model
 * (`transforms/scoring/view-models.ts`), with their `predictions` and, for alerting, `anomalies` rows.
 *
 * One engine per input partition, as for the built-in windows: a partition that is behind (a backlog
 * read one partition at a time) never turns another's events late. So a key's events must share a
 * partition: produce with the view's key (or one of its fields) as the Kafka key, as logs are keyed
 * by service. A partition idle past the view's idle timeout follows the lowest watermark of the
 * active ones. The derived features' baselines are shared by the engines (a key lives on one partition).
 *
 * State across workers: the derived features' baselines are saved (`Stateful`, one copy per worker)
 * and merged on restore. For a replay to rebuild byte-identical rows, the baselines a rebuilt window
 * compares with must be in the restored snapshot or rebuilt by the replay itself; so the stage holds
 * back commits to the offsets it held when the last snapshot was taken (`heldOffsets`): every window
 * that closed after that snapshot is re-read and rebuilt, in order, after a crash. A snapshot is taken
 * only after the tick's rows landed, so a window it knows as emitted landed; the replay (which starts
 * at the slowest stage's commit, often far behind this view's newest windows) does not emit such a
 * window again (see `finish` in the engine).
 */
import { log } from '../../core/log.ts';
import { type CompiledView } from '../transforms/features/views/definition.ts';
import { ViewEngine, type KeyBaseline, type ViewEmission, type ViewSnapshot } from '../transforms/features/views/engine.ts';
import { type SourceEvent } from '../transforms/features/views/schema.ts';
import { type ViewModels } from '../transforms/scoring/view-models.ts';
import { PipelineStat } from '../../core/contracts/pipeline-stats.ts';
import { type StatSample } from '../stats.ts';
import { type RecordContext, type Stage, type Stateful, type TickRows } from '../stage.ts';

export interface ViewStageCounts {
  events: number;
  filtered: number;
  noKey: number;
  late: number;
  tooLate: number;
  rows: number;
  predictions: number;
  scoringFailures: number;
  /** Events of a key that arrived on a second partition: the producer did not key by the view's key. */
  splitKeys: number;
}

export class ViewStage implements Stage<SourceEvent, SourceEvent>, Stateful {
  readonly name = 'views';
  private readonly engines = new Map<number, ViewEngine>();
  private readonly baselines = new Map<string, KeyBaseline>();
  private readonly maxFutureMs: number;
  readonly stateKey: string;
  readonly perWorker = true;
  readonly counts: ViewStageCounts = { events: 0, filtered: 0, noKey: 0, late: 0, tooLate: 0, rows: 0, predictions: 0, scoringFailures: 0, splitKeys: 0 };
  private floor = new Map<number, number>();
  private readonly owners = new Map<string, number>();
  private readonly logger = log('views');

  constructor(
    readonly view: CompiledView,
    private readonly models: ViewModels | undefined,
    group: string,
    options: { maxFutureMs?: number } = {},
  ) {
    this.maxFutureMs = options.maxFutureMs ?? 10 * 60_000;
    this.stateKey = `views/${group}/${view.table}`;
  }

  private engine(partition: number): ViewEngine {
    let e = this.engines.get(partition);
    if (!e) {
      e = new ViewEngine(this.view, { maxFutureMs: this.maxFutureMs, baselines: this.baselines, owners: this.owners, onSplitKey: (key, first, p) => this.splitKey(key, first, p) });
      this.engines.set(partition, e);
    }
    return e;
  }

  /**
   * A key on a second partition: each partition's engine holds its own part of the key's window, and
   * the table keeps one of the parts (the higher version), so the row undercounts. Said once per view
   * with what to do; counted always.
   */
  private splitKey(key: string, first: number, partition: number): void {
    if (this.counts.splitKeys++ > 0) return;
    this.logger.warn(
      { view: this.view.name, key, partitions: [first, partition], topic: this.view.source.topic },
      `View ${this.view.name}: events of key "${key}" arrive on partitions ${first} and ${partition} of ${this.view.source.topic}; a key's events must share a partition, or its windows are computed in parts and one part wins. Produce with the view's key (${this.view.keyFields.join(', ')}) as the Kafka key.`,
    );
  }

  /** A detached engine sharing the baselines, for snapshots (windows are not part of them). */
  private get any(): ViewEngine {
    return this.engines.values().next().value ?? new ViewEngine(this.view, { baselines: this.baselines });
  }

  assign(partition: number, now: number): void {
    this.engine(partition).assignPartition(partition, now);
  }

  push(event: SourceEvent, ctx: RecordContext): SourceEvent {
    // Nothing read since the last snapshot may be committed past before the next one (see the header).
    if (!this.floor.has(ctx.partition)) this.floor.set(ctx.partition, ctx.offset);
    const status = this.engine(ctx.partition).add(event, ctx.partition, ctx.offset, ctx.now);
    switch (status) {
      case 'on_time':
        this.counts.events++;
        break;
      case 'late':
        this.counts.events++;
        this.counts.late++;
        break;
      case 'filtered':
        this.counts.filtered++;
        break;
      case 'no_key':
        this.counts.noKey++;
        break;
      default:
        if (ctx.replay) break;
        this.counts.tooLate++;
        ctx.out.dead('windows', status === 'too_late'
          ? `view ${this.view.name}: too late for its windows (event time more than the retention of ${this.view.retentionMs} ms behind the watermark)`
          : `view ${this.view.name}: event time too far ahead of processing time`);
    }
    return event;
  }

  async flush(now: number): Promise<TickRows> {
    let minActive = Infinity;
    const idle: ViewEngine[] = [];
    for (const e of this.engines.values()) {
      if (e.isIdle(now)) idle.push(e);
      else minActive = Math.min(minActive, e.computeWatermark(now));
    }
    if (Number.isFinite(minActive)) for (const e of idle) e.forceWatermark(minActive);
    const closed: ViewEmission[] = [];
    for (const e of this.engines.values()) closed.push(...e.advance(now));
    const out: TickRows = new Map();
    if (closed.length === 0) return out;
    this.counts.rows += closed.length;
    out.set(this.view.table, closed.map((e) => e.row));
    if (this.models && this.models.forView(this.view.name).length > 0) {
      try {
        const { predictions, anomalies } = await this.models.score(this.view, closed);
        if (predictions.length > 0) out.set('predictions', predictions);
        if (anomalies.length > 0) out.set('anomalies', anomalies);
        this.counts.predictions += predictions.length;
      } catch (err) {
        this.counts.scoringFailures++;
        this.logger.warn({ err: (err as Error).message, view: this.view.name, windows: closed.length }, 'Scoring a view failed; its rows are stored without predictions.');
      }
    }
    return out;
  }

  heldOffsets(): ReadonlyMap<number, number> {
    const out = this.held();
    for (const [p, o] of this.floor) if (!out.has(p) || o < out.get(p)!) out.set(p, o);
    return out;
  }

  private held(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [p, e] of this.engines) {
      const h = e.lowestHeldOffsets().get(p);
      if (h !== undefined) out.set(p, h);
    }
    return out;
  }

  revoke(partition: number): void {
    this.engines.delete(partition);
    this.floor.delete(partition);
  }

  /**
   * Counters for `pipeline_stats`, stage `views` (the worker sums them over its views): what came in,
   * what the view left out and why, window rows and predictions out.
   */
  samples(): StatSample[] {
    const c = this.counts;
    const counter = (name: string, value: number): StatSample => ({ stage: 'views', name, value, kind: 'counter' });
    return [
      counter(PipelineStat.recordsIn, c.events + c.filtered + c.noKey + c.tooLate),
      counter(PipelineStat.filteredRecords, c.filtered),
      counter(PipelineStat.unkeyedRecords, c.noKey),
      counter(PipelineStat.lateRecords, c.late),
      counter(PipelineStat.dlqRecords, c.tooLate),
      counter(PipelineStat.splitKeys, c.splitKeys),
      counter(PipelineStat.recordsOut, c.rows),
      counter(PipelineStat.predictions, c.predictions),
      counter(PipelineStat.scoringFailures, c.scoringFailures),
      { stage: 'views', name: 'held_windows', value: this.heldWindows, kind: 'gauge' },
    ];
  }

  /** Windows held in memory (open and retained) over every partition. */
  get heldWindows(): number {
    let n = 0;
    for (const e of this.engines.values()) n += e.heldWindows;
    return n;
  }

  snapshot(): unknown {
    // What this snapshot covers: every window closed so far. Commits may pass these offsets only
    // once a later snapshot is taken (see the header).
    this.floor = this.held();
    return { v: 1, baselines: this.any.snapshotBaselines() };
  }

  restore(saved: readonly unknown[]): void {
    const merged = new Map<string, Map<string, Map<number, [number, number, number]>>>();
    const add = (b: ViewSnapshot['baselines']): void => {
      for (const [key, feats] of b) {
        let m = merged.get(key);
        if (!m) merged.set(key, (m = new Map()));
        for (const [f, entries] of feats) {
          let byStart = m.get(f);
          if (!byStart) m.set(f, (byStart = new Map()));
          for (const e of entries) {
            const cur = byStart.get(e[0]);
            if (!cur || e[2] >= cur[2]) byStart.set(e[0], [e[0], e[1], e[2]]);
          }
        }
      }
    };
    add(this.any.snapshotBaselines());
    for (const s of saved) {
      const j = s as { v?: number; baselines?: ViewSnapshot['baselines'] };
      if (j?.v === 1 && Array.isArray(j.baselines)) add(j.baselines);
    }
    this.any.restoreBaselines([...merged].map(([k, m]) => [k, [...m].map(([f, byStart]) => [f, [...byStart.values()].sort((a, b) => a[0] - b[0])])]));
  }
}
