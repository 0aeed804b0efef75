/**
 * The windows stage: records of one stream flow into one event-time window engine per input
 * partition (`transforms/windows`), and on every tick the rows of windows that closed flow out to the
 * stream's window table. A partition idle past its timeout does not hold its windows open (its
 * watermark is moved to the lowest watermark of the stream's active partitions). A record too late for
 * its windows is still passed on (it is stored raw) and goes to the dead-letter topic too.
 */
import { type AddStatus, type TumblingWindows, type WindowedInput } from '../transforms/windows/tumbling.ts';
import { type RecordContext, type Stage, type TickRows } from '../stage.ts';
import { type StatSample } from '../stats.ts';

export interface WindowCounts {
  /** Records counted into a window that had already closed (its row is re-emitted). */
  late: number;
  /** Records beyond the windows' retention (stored raw, and sent to the dead-letter topic). */
  tooLate: number;
  /** Window rows emitted. */
  rows: number;
}

export class WindowStage<In extends WindowedInput, Row> implements Stage<In, In> {
  readonly name = 'windows';
  readonly counts: WindowCounts = { late: 0, tooLate: 0, rows: 0 };
  private readonly engines = new Map<number, TumblingWindows<In, unknown, Row>>();

  constructor(
    /** The table closed windows land in. */
    readonly table: string,
    private readonly create: () => TumblingWindows<In, unknown, Row>,
  ) {
    // Fail at start-up, not on the first record, when window settings are wrong.
    create();
  }

  assign(partition: number, now: number): void {
    this.engine(partition).assignPartition(partition, now);
  }

  push(record: In, ctx: RecordContext): In {
    const status = this.engine(ctx.partition).add(record, ctx.now);
    if (status === 'late') this.counts.late++;
    else if (status !== 'on_time' && !ctx.replay) this.tooLate(ctx, status);
    return record;
  }

  flush(now: number): TickRows {
    let minActive = Infinity;
    const idle: TumblingWindows<In, unknown, Row>[] = [];
    for (const w of this.engines.values()) {
      const info = w.watermarks.partitions(now)[0];
      if (!info || info.idle) idle.push(w);
      else minActive = Math.min(minActive, w.watermarks.compute(now));
    }
    if (Number.isFinite(minActive)) for (const w of idle) w.watermarks.forceTo(minActive);
    const rows: Row[] = [];
    for (const w of this.engines.values()) rows.push(...w.advance(now));
    this.counts.rows += rows.length;
    return new Map(rows.length > 0 ? [[this.table, rows as object[]]] : []);
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

  private engine(partition: number): TumblingWindows<In, unknown, Row> {
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
