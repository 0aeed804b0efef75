/**
 * The windows stage: records of one stream flow into one event-time window engine per input
 * partition (`transforms/windows`). On every tick the windows that closed flow out as PARTIALS (that
 * partition's share of each window) to the group's partials topic (`sinks/repartition.ts`), followed
 * by each assigned partition's watermark; the merge stage (`merge.ts`) brings the partials of a series
 * together, so a series may be spread over any number of partitions and workers. A partition idle past
 * its timeout does not hold its windows open (its watermark is moved to the lowest watermark of this
 * worker's active partitions of the stream). A record too late for its windows is still passed on (it
 * is stored raw) and goes to the dead-letter topic too.
 */
import { TumblingWindows, type AddStatus, type TumblingOptions, type WindowKind, type WindowMeta, type WindowedInput } from '../transforms/windows/tumbling.ts';
import { type SourceMark, type WindowPartial } from '../transforms/windows/merge.ts';
import { type RepartitionSink } from '../sinks/repartition.ts';
import { type RecordContext, type Stage, type TickRows } from '../stage.ts';
import { type StatSample } from '../stats.ts';

export interface WindowCounts {
  /** Records counted into a window that had already closed (its partial is sent again). */
  late: number;
  /** Records beyond the windows' retention (stored raw, and sent to the dead-letter topic). */
  tooLate: number;
  /** Partials sent. */
  partials: number;
}

/** A window kind whose rows are partials: the accumulator saved, with the window's facts. */
export function partialKind<In extends WindowedInput, Acc>(kind: WindowKind<In, Acc, unknown>): WindowKind<In, Acc, WindowPartial> {
  const save = kind.save;
  if (!save) throw new Error('this kind of window cannot be sent as partials (no save)');
  return {
    ...kind,
    row: (acc: Acc, m: WindowMeta): WindowPartial => ({ src: '', key: m.key, sizeMs: m.sizeMs, start: m.start, count: m.count, lateCount: m.lateCount, acc: save(acc) }),
  };
}

export class WindowStage<In extends WindowedInput> implements Stage<In, In> {
  readonly name = 'windows';
  readonly counts: WindowCounts = { late: 0, tooLate: 0, partials: 0 };
  private readonly engines = new Map<number, TumblingWindows<In, unknown, WindowPartial>>();
  private readonly assigned = new Set<number>();
  /** Partials closed but not yet acknowledged by Kafka: sent again on the next tick. */
  private unsent: WindowPartial[] = [];
  private readonly kind: WindowKind<In, unknown, WindowPartial>;

  constructor(
    /** Short name of the window kind on the partials topic (`service`, `metric`). */
    readonly kindName: string,
    readonly topic: string,
    kind: WindowKind<In, unknown, unknown>,
    private readonly options: TumblingOptions,
    private readonly sink: () => RepartitionSink,
  ) {
    this.kind = partialKind(kind);
    // Fail at start-up, not on the first record, when window settings are wrong.
    this.create();
  }

  /** Event time a closed window is kept for late records (the merge side keeps merged windows as long). */
  get retentionMs(): number {
    return this.create().retentionMs;
  }

  assign(partition: number, now: number): void {
    this.assigned.add(partition);
    this.engine(partition).assignPartition(partition, now);
  }

  push(record: In, ctx: RecordContext): In {
    const status = this.engine(ctx.partition).add(record, ctx.now);
    if (status === 'late') this.counts.late++;
    else if (status !== 'on_time' && !ctx.replay) this.tooLate(ctx, status);
    return record;
  }

  async flush(now: number): Promise<TickRows> {
    let minActive = Infinity;
    const idle: TumblingWindows<In, unknown, WindowPartial>[] = [];
    for (const w of this.engines.values()) {
      const info = w.watermarks.partitions(now)[0];
      if (!info || info.idle) idle.push(w);
      else minActive = Math.min(minActive, w.watermarks.compute(now));
    }
    if (Number.isFinite(minActive)) for (const w of idle) w.watermarks.forceTo(minActive);
    const marks: SourceMark[] = [];
    const partitions = this.sink().partitionsOf(this.topic);
    for (const p of this.assigned) {
      const w = this.engines.get(p);
      if (w) for (const part of w.advance(now)) this.unsent.push({ ...part, src: `${this.topic}/${p}` });
      const info = w?.watermarks.partitions(now)[0];
      const wm = w?.watermark ?? -Infinity;
      marks.push({ topic: this.topic, partition: p, partitions, watermark: Number.isFinite(wm) ? wm : null, idle: !info || info.idle });
    }
    const partials = this.unsent;
    await this.sink().send(this.kindName, partials, marks);
    this.counts.partials += partials.length;
    this.unsent = [];
    return new Map();
  }

  heldOffsets(): ReadonlyMap<number, number> {
    const out = new Map<number, number>();
    for (const [p, w] of this.engines) {
      const held = w.lowestHeldOffsets().get(p);
      if (held !== undefined) out.set(p, held);
    }
    return out;
  }

  revoke(partition: number): void {
    this.engines.delete(partition);
    this.assigned.delete(partition);
    this.unsent = this.unsent.filter((u) => u.src !== `${this.topic}/${partition}`);
  }

  /** Windows held in memory (open and retained). */
  get heldWindows(): number {
    let n = 0;
    for (const w of this.engines.values()) n += w.heldWindows;
    return n;
  }

  samples(): StatSample[] {
    return [{ stage: 'windows', name: 'held_windows', value: this.heldWindows, kind: 'gauge' }];
  }

  private create(): TumblingWindows<In, unknown, WindowPartial> {
    return new TumblingWindows(this.kind, this.options);
  }

  private engine(partition: number): TumblingWindows<In, unknown, WindowPartial> {
    let w = this.engines.get(partition);
    if (!w) this.engines.set(partition, (w = this.create()));
    return w;
  }

  private tooLate(ctx: RecordContext, status: Exclude<AddStatus, 'on_time' | 'late'>): void {
    this.counts.tooLate++;
    const w = this.engine(ctx.partition);
    const reason = status === 'too_late'
      ? `too late for its windows: event time is more than the retention (${w.retentionMs} ms) behind the watermark ${new Date(w.watermark).toISOString()}`
      : status === 'future'
        ? 'too far ahead of processing time for its windows'
        : 'cannot be windowed';
    ctx.out.dead('windows', reason);
  }
}
