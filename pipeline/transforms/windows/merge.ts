/**
 * Merging partial windows: windows of one series computed on several input partitions (a service
 * whose records are spread over every partition) flow in as PARTIALS (the accumulator of one
 * partition's records of one window) with the Kafka offset they were read from, each source
 * partition's watermark flows in as MARKS, and whole windows flow out as rows, exactly as one engine
 * over all the records would give them (counts exact; quantiles from merged DDSketches, within the
 * sketch's relative accuracy).
 *
 * The rules:
 * - A source partition sends a window's partial when its own watermark passes the window's end, and
 *   again (with more records) when late records reach it; a repeat replaces the previous partial of
 *   that source (the one with more records wins, so a replay after a crash changes nothing).
 * - Each source sends its watermark after the partials it closed (in order, on the same Kafka
 *   partition), with `idle` when it has had no records for its idle timeout (an idle mark does not
 *   raise the source's watermark: it promises nothing about partials). The merged watermark is
 *   the lowest watermark of the sources that are not idle (the highest of all when every one is
 *   idle), of every partition the source topic has (a partition never heard of holds it back), and
 *   it never goes back. A window closes when the merged watermark passes its end: every non-idle
 *   source has sent its partial by then.
 * - A partial that reaches a window already emitted (late records, or an idle source waking up)
 *   re-emits it with the higher version; version = records included, as for a single engine.
 * - Windows are kept `retentionMs` of merged watermark after their end for such partials; a partial
 *   for a window older than that is refused (`too_late`): it could only lose to the stored row.
 * - `heldOffsets` is the lowest offset of a partial still held, so the partials topic is never
 *   committed past a window that could still change.
 */
import { type WindowKind, type WindowMeta } from './tumbling.ts';

export interface WindowPartial {
  /** Source `topic/partition`. */
  src: string;
  key: string;
  sizeMs: number;
  start: number;
  count: number;
  lateCount: number;
  /** The accumulator as `WindowKind.save` gave it. */
  acc: unknown;
}

export interface SourceMark {
  /** Source topic and partition. */
  topic: string;
  partition: number;
  /** Partitions the source topic has. */
  partitions: number;
  /** The source partition's watermark (-Infinity as null). */
  watermark: number | null;
  idle: boolean;
}

interface Merged<Acc> {
  key: string;
  sizeMs: number;
  start: number;
  parts: Map<string, { count: number; lateCount: number; acc: Acc; offset: number }>;
  emitted: boolean;
  dirty: boolean;
}

export interface MergeCounters {
  partials: number;
  /** Partials that replaced an equal one (replays). */
  repeats: number;
  /** Partials that reached an emitted window (it is re-emitted). */
  late: number;
  tooLate: number;
  rows: number;
}

export class WindowMerger<Acc, Row> {
  readonly counters: MergeCounters = { partials: 0, repeats: 0, late: 0, tooLate: 0, rows: 0 };
  private readonly windows = new Map<string, Merged<Acc>>();
  private readonly marks = new Map<string, { watermark: number; idle: boolean }>();
  private readonly expected = new Map<string, number>();
  private wm = -Infinity;

  constructor(
    private readonly kind: WindowKind<never, Acc, Row>,
    private readonly retentionMs: number,
  ) {
    if (!kind.load || !kind.merge) throw new Error('this kind of window cannot be merged (no load/merge)');
  }

  get watermark(): number {
    return this.wm;
  }

  /** One partial, read at `offset` of the partials topic. */
  add(p: WindowPartial, offset: number): 'on_time' | 'late' | 'too_late' | 'repeat' {
    if (p.start + p.sizeMs + this.retentionMs <= this.wm) {
      this.counters.tooLate++;
      return 'too_late';
    }
    const id = `${p.sizeMs}\u0000${p.start}\u0000${p.key}`;
    let w = this.windows.get(id);
    if (!w) this.windows.set(id, (w = { key: p.key, sizeMs: p.sizeMs, start: p.start, parts: new Map(), emitted: false, dirty: false }));
    this.counters.partials++;
    const prev = w.parts.get(p.src);
    if (prev && prev.count >= p.count) {
      // A replay (same records) or an older partial arriving after a newer one: nothing changes.
      this.counters.repeats++;
      prev.offset = Math.min(prev.offset, offset);
      return 'repeat';
    }
    w.parts.set(p.src, { count: p.count, lateCount: p.lateCount, acc: this.kind.load!(p.acc), offset: Math.min(prev?.offset ?? offset, offset) });
    if (w.emitted) {
      w.dirty = true;
      this.counters.late++;
      return 'late';
    }
    return 'on_time';
  }

  mark(m: SourceMark): void {
    const src = `${m.topic}/${m.partition}`;
    this.expected.set(m.topic, Math.max(this.expected.get(m.topic) ?? 0, m.partitions));
    const prev = this.marks.get(src);
    // Only a source that is reading promises that its partials below its watermark were sent; an idle
    // one (its watermark moved up by the others) promises nothing and keeps the watermark it had.
    const watermark = m.idle ? -Infinity : m.watermark ?? -Infinity;
    this.marks.set(src, { watermark: Math.max(prev?.watermark ?? -Infinity, watermark), idle: m.idle });
  }

  /** The merged watermark now (see the header); never lower than before. */
  private compute(): number {
    if (this.expected.size === 0) return this.wm;
    let minActive = Infinity;
    let maxAll = -Infinity;
    for (const [topic, n] of this.expected) {
      for (let p = 0; p < n; p++) {
        const m = this.marks.get(`${topic}/${p}`);
        // A partition never heard of may hold records of any window: wait for it.
        if (!m) return this.wm;
        maxAll = Math.max(maxAll, m.watermark);
        if (!m.idle) minActive = Math.min(minActive, m.watermark);
      }
    }
    return Math.max(this.wm, minActive === Infinity ? maxAll : minActive);
  }

  /** Rows of windows the merged watermark passed, and of emitted windows that got a new partial. */
  advance(): Row[] {
    this.wm = this.compute();
    const out: Array<{ w: Merged<Acc>; row: Row }> = [];
    for (const [id, w] of this.windows) {
      const end = w.start + w.sizeMs;
      if ((!w.emitted && end <= this.wm) || w.dirty) {
        out.push({ w, row: this.row(w) });
        w.emitted = true;
        w.dirty = false;
      }
      if (w.emitted && end + this.retentionMs <= this.wm) this.windows.delete(id);
    }
    out.sort((a, b) => a.w.sizeMs - b.w.sizeMs || a.w.start - b.w.start || (a.w.key < b.w.key ? -1 : a.w.key > b.w.key ? 1 : 0));
    this.counters.rows += out.length;
    return out.map((o) => o.row);
  }

  /** Lowest offset of a partial still held (undefined when none is). */
  lowestHeldOffset(): number | undefined {
    let low: number | undefined;
    for (const w of this.windows.values()) for (const p of w.parts.values()) if (low === undefined || p.offset < low) low = p.offset;
    return low;
  }

  get heldWindows(): number {
    return this.windows.size;
  }

  private row(w: Merged<Acc>): Row {
    // Sources in a fixed order, so that ties (a metric's last value) resolve the same way every time.
    const srcs = [...w.parts.keys()].sort();
    let acc: Acc | undefined;
    let count = 0;
    let lateCount = 0;
    for (const s of srcs) {
      const p = w.parts.get(s)!;
      count += p.count;
      lateCount += p.lateCount;
      if (acc === undefined) acc = this.kind.load!(this.kind.save!(p.acc));
      else this.kind.merge!(acc, p.acc);
    }
    const meta: WindowMeta = { sizeMs: w.sizeMs, start: w.start, end: w.start + w.sizeMs, count, lateCount, key: w.key };
    return this.kind.row(acc!, meta);
  }
}
