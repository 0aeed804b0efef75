/**
 * A series' recent past: the last N values of one quantity of one service or host, and their median
 * and spread. Feature code compares a closed window with it, then pushes the window's value in.
 */

/** Fixed-size ring of recent values with robust summaries (median, median absolute deviation). */
export class RollingBaseline {
  private readonly values: number[] = [];
  private next = 0;
  // Summaries are read several times per window and change only on push: computed once, then kept.
  private cachedMedian: number | undefined;
  private cachedMad: number | undefined;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`baseline capacity must be >= 1, got ${capacity}`);
  }

  get size(): number {
    return this.values.length;
  }

  push(value: number): void {
    if (!Number.isFinite(value)) return;
    this.cachedMedian = undefined;
    this.cachedMad = undefined;
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Median of the values held; `fallback` when empty. */
  median(fallback: number): number {
    if (this.values.length === 0) return fallback;
    this.cachedMedian ??= medianOf([...this.values]);
    return this.cachedMedian;
  }

  /** Median absolute deviation around the median; 0 when fewer than two values. */
  mad(): number {
    if (this.values.length < 2) return 0;
    if (this.cachedMad === undefined) {
      const m = this.median(0);
      this.cachedMad = medianOf(this.values.map((v) => Math.abs(v - m)));
    }
    return this.cachedMad;
  }

  /** The values, oldest first, for snapshots. */
  toJSON(): number[] {
    const n = this.values.length;
    if (n < this.capacity) return [...this.values];
    return [...this.values.slice(this.next), ...this.values.slice(0, this.next)];
  }

  static from(capacity: number, values: readonly number[]): RollingBaseline {
    const b = new RollingBaseline(capacity);
    for (const v of values.slice(-capacity)) b.push(v);
    return b;
  }
}

function medianOf(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}
