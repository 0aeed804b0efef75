/**
 * Exponential histogram buckets (OpenTelemetry's ExponentialHistogram, whose layout Prometheus' native
 * histograms share) as Prometheus' classic cumulative buckets by upper bound `le`, so that one quantile
 * query (the Hosts dashboard's, histogram_quantile's rule) reads every histogram alike.
 *
 * At scale s a bucket's base is 2^(2^-s); positive bucket index i holds the values in (base^i, base^(i+1)],
 * negative index i the values in [-base^(i+1), -base^i), the zero bucket those in [-threshold, threshold].
 * An SDK picks its scale from the range it has seen (OpenTelemetry starts at 20 and lowers it as values
 * spread; Prometheus' client_golang uses 3 by default), so its bucket bounds are not stable labels. Buckets
 * are therefore merged down to `LE_SCALE` (exactly: 2^d neighbours become one bucket when the scale
 * drops by d), which gives the same `le` values whatever scale a sender used, as long as it used at least
 * that one; a coarser sender's bounds are kept as they are.
 */

/**
 * The finest scale written: 4 buckets per doubling (base 2^(1/4), about 1.19), so a quantile interpolated
 * within a bucket is off by at most about 19 % of its value, at 4 `le` series per doubling of the
 * range seen (a latency histogram over 1 ms to 10 s: about 53). Prometheus' default classic buckets are
 * a doubling or more apart; Micrometer's percentile histograms are about 70 series.
 */
export const LE_SCALE = 2;

/**
 * One side's buckets: counts by index, lowest index first (OpenTelemetry sends a run from an offset;
 * Prometheus spans of runs with gaps between them).
 */
export type ExponentialBuckets = ReadonlyArray<readonly [index: number, count: number]>;

export interface ExponentialPoint {
  scale: number;
  /** Every value the point holds (the +Inf bucket's count). */
  count: number;
  zeroCount: number;
  /** The zero bucket's upper bound (0 when the sender gives none). */
  zeroThreshold: number;
  positive?: ExponentialBuckets;
  negative?: ExponentialBuckets;
}

/** OpenTelemetry's run of counts from `offset` as buckets by index. */
export function fromOffset(offset: number, counts: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let k = 0; k < counts.length; k++) out.push([offset + k, counts[k]!]);
  return out;
}

/**
 * Counts by bucket index once merged down by `shift` (index floor(i / 2^shift)), lowest index first,
 * the empty ones left out, and those whose bound is no number (past a double's range, which only a
 * forged index reaches) dropped: so the indices left span a few thousand at most.
 */
function merged(b: ExponentialBuckets | undefined, shift: number, bound: (i: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!b) return out;
  const width = 2 ** shift;
  for (const [i, c] of b) {
    if (!(c > 0)) continue;
    const index = Math.floor(i / width);
    const upper = bound(index + 1);
    if (!(upper > 0 && upper < Infinity && bound(index) > 0)) continue;
    const last = out[out.length - 1];
    if (last && last[0] === index) last[1] += c;
    else if (last && last[0] > index) throw new Error(`exponential histogram buckets out of order (index ${i} after ${last[0]})`);
    else out.push([index, c]);
  }
  return out;
}

/**
 * The point's buckets as cumulative counts by upper bound, ascending, the last one +Inf (`Infinity`)
 * holding `count`. Only buckets from the lowest to the highest that holds values are written (an
 * empty bucket in between is written, with the count below it), plus the zero bucket when it, or a
 * negative bucket, holds any.
 */
export function exponentialToLe(p: ExponentialPoint, maxScale = LE_SCALE): Array<[le: number, count: number]> {
  const shift = Math.max(0, p.scale - maxScale);
  const scale = p.scale - shift;
  // 2^(i * 2^-scale): exact for the powers of two, and the same number for the same (i, scale) every time.
  const bound = (i: number) => 2 ** (i / 2 ** scale);
  const out: Array<[number, number]> = [];
  let below = 0;
  const negative = merged(p.negative, shift, bound);
  // Most negative first: values at or below -base^i are those of negative buckets i and up.
  for (let k = negative.length - 1; k >= 0; k--) {
    const [index, c] = negative[k]!;
    const next = k > 0 ? negative[k - 1]![0] : undefined;
    below += c;
    out.push([-bound(index), below]);
    // Empty buckets between two that hold values, so each series keeps its bound from one point to the next.
    if (next !== undefined) for (let i = index - 1; i > next; i--) out.push([-bound(i), below]);
  }
  if (p.zeroCount > 0 || negative.length > 0) {
    below += Math.max(0, p.zeroCount);
    out.push([Math.max(0, p.zeroThreshold), below]);
  }
  const positive = merged(p.positive, shift, bound);
  for (let k = 0; k < positive.length; k++) {
    const [index, c] = positive[k]!;
    const previous = k > 0 ? positive[k - 1]![0] : undefined;
    if (previous !== undefined) for (let i = previous + 1; i < index; i++) out.push([bound(i + 1), below]);
    below += c;
    out.push([bound(index + 1), below]);
  }
  out.push([Infinity, Math.max(p.count, below)]);
  return out;
}
