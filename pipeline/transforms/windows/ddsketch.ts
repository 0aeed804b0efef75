/**
 * DDSketch: a mergeable quantile sketch. Numbers (latencies, metric values) flow in through `add`,
 * sketches of the same accuracy combine with `merge`, and `quantile(q)` answers from log-spaced buckets.
 *
 * Guarantee (Masson, Rim & Lee, "DDSketch", VLDB 2019): with relative accuracy `alpha` (default 0.01),
 * for every q in [0, 1], `quantile(q)` returns v with |v - x| <= alpha * |x|, where x is the exact
 * lower q-quantile of everything added, x = sorted[floor(q * (count - 1))]. The bound holds for any
 * input distribution and is preserved exactly by `merge` (merging adds bucket counts, so the merged
 * sketch equals the sketch of the union). Values with |x| < MIN_INDEXABLE (1e-9) are counted as 0, so
 * for them the error is absolute (below 1e-9) rather than relative.
 *
 * Bounded memory: each sign has at most `maxBuckets` buckets (default 2048, which at alpha = 0.01
 * spans values over a ratio of about 1e17, so typical latency data never collapses). Past the limit
 * the lowest-magnitude buckets are collapsed into the lowest kept one. Then the guarantee above still
 * holds for every quantile whose exact value lies in a kept (not collapsed) bucket; quantiles that fall
 * in the collapsed range are over-estimated in magnitude (never more than the smallest kept bucket's
 * value). `collapsed` says whether that ever happened.
 */

import { TributaryError } from '../../../core/errors.ts';

export const MIN_INDEXABLE = 1e-9;
export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_MAX_BUCKETS = 2048;

/** Dense counts over consecutive bucket indexes, collapsing the lowest indexes past `maxBuckets`. */
class DenseStore {
  counts: number[] = [];
  offset = 0;
  total = 0;
  collapsed = false;

  constructor(readonly maxBuckets: number) {}

  add(index: number, weight: number): void {
    const len = this.counts.length;
    if (len === 0) {
      this.offset = index;
      this.counts.push(weight);
      this.total += weight;
      return;
    }
    const hi = Math.max(index, this.offset + len - 1);
    let lo = Math.min(index, this.offset);
    if (hi - lo + 1 > this.maxBuckets) {
      lo = hi - this.maxBuckets + 1;
      this.collapsed = true;
    }
    if (lo !== this.offset || hi !== this.offset + len - 1) this.reshape(lo, hi);
    const at = Math.max(index, lo) - this.offset;
    this.counts[at] = (this.counts[at] ?? 0) + weight;
    this.total += weight;
  }

  /** Re-bases the store on [lo, hi]; buckets below `lo` fold into `lo` (the collapse). */
  private reshape(lo: number, hi: number): void {
    if (lo === this.offset) {
      for (let i = this.offset + this.counts.length; i <= hi; i++) this.counts.push(0);
      return;
    }
    const next = new Array<number>(hi - lo + 1).fill(0);
    for (let k = 0; k < this.counts.length; k++) {
      const c = this.counts[k]!;
      if (c === 0) continue;
      const idx = Math.max(this.offset + k, lo);
      if (idx > hi) continue;
      next[idx - lo] = next[idx - lo]! + c;
    }
    this.counts = next;
    this.offset = lo;
  }
}

/** Compact wire form: JSON-safe, stable key order, so equal sketches serialise to equal bytes. */
export interface DDSketchJson {
  a: number;
  b: number;
  n: number;
  s: number;
  lo: number | null;
  hi: number | null;
  z: number;
  /** Positive store: first index and counts. */
  p: [number, number[]];
  /** Negative store (magnitudes): first index and counts. */
  m: [number, number[]];
  c: number;
}

export interface DDSketchOptions {
  /** Relative accuracy, in (0, 1). Default 0.01 (quantiles within 1% of the exact value). */
  alpha?: number;
  /** Bucket limit per sign before the lowest buckets collapse. Default 2048. */
  maxBuckets?: number;
}

export class DDSketch {
  readonly alpha: number;
  readonly maxBuckets: number;
  private readonly gamma: number;
  private readonly lnGamma: number;
  private positive: DenseStore;
  private negative: DenseStore;
  private zero = 0;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(options: DDSketchOptions = {}) {
    const alpha = options.alpha ?? DEFAULT_ALPHA;
    const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!(alpha > 0 && alpha < 1)) throw new TributaryError('USAGE', `DDSketch alpha must be in (0, 1), got ${alpha}`);
    if (!Number.isInteger(maxBuckets) || maxBuckets < 1) {
      throw new TributaryError('USAGE', `DDSketch maxBuckets must be a positive integer, got ${maxBuckets}`);
    }
    this.alpha = alpha;
    this.maxBuckets = maxBuckets;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.lnGamma = Math.log(this.gamma);
    this.positive = new DenseStore(maxBuckets);
    this.negative = new DenseStore(maxBuckets);
  }

  /** Number of values added (sum of weights). */
  get count(): number {
    return this.n;
  }

  get sum(): number {
    return this.total;
  }

  /** Exact smallest value added, or NaN when empty. */
  get min(): number {
    return this.n === 0 ? NaN : this.lo;
  }

  /** Exact largest value added, or NaN when empty. */
  get max(): number {
    return this.n === 0 ? NaN : this.hi;
  }

  /** Whether the bucket limit was ever hit (the guarantee then excludes the collapsed range). */
  get collapsed(): boolean {
    return this.positive.collapsed || this.negative.collapsed;
  }

  /** Bucket index of a magnitude >= MIN_INDEXABLE: bucket i covers (gamma^(i-1), gamma^i]. */
  private index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.lnGamma);
  }

  /** The value reported for bucket i: equidistant in relative terms from both bucket bounds. */
  private value(index: number): number {
    return (2 * Math.pow(this.gamma, index)) / (this.gamma + 1);
  }

  /** Adds a value `weight` times. Non-finite values and non-positive weights are ignored (returns false). */
  add(value: number, weight = 1): boolean {
    if (!Number.isFinite(value) || !(weight > 0) || !Number.isFinite(weight)) return false;
    if (value >= MIN_INDEXABLE) this.positive.add(this.index(value), weight);
    else if (value <= -MIN_INDEXABLE) this.negative.add(this.index(-value), weight);
    else this.zero += weight;
    this.n += weight;
    this.total += value * weight;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    return true;
  }

  /** Adds another sketch's contents into this one. Both must have the same alpha. */
  merge(other: DDSketch): this {
    if (other.alpha !== this.alpha) {
      throw new TributaryError('USAGE', `cannot merge DDSketches of different accuracy (${this.alpha} and ${other.alpha})`);
    }
    if (other.n === 0) return this;
    mergeStore(this.positive, other.positive);
    mergeStore(this.negative, other.negative);
    this.zero += other.zero;
    this.n += other.n;
    this.total += other.total;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    return this;
  }

  /**
   * The q-quantile (q in [0, 1]) within the relative error stated in the header; NaN when empty.
   * The answer is clamped to the exact [min, max], which can only bring it closer to the truth.
   */
  quantile(q: number): number {
    if (this.n === 0 || !(q >= 0 && q <= 1)) return NaN;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const rank = q * (this.n - 1);
    let v: number;
    let seen = 0;
    const neg = this.negative;
    let found = false;
    v = 0;
    // Most negative first: the negative store holds magnitudes, so walk it from its highest index down.
    for (let k = neg.counts.length - 1; k >= 0; k--) {
      seen += neg.counts[k]!;
      if (seen > rank) {
        v = -this.value(neg.offset + k);
        found = true;
        break;
      }
    }
    if (!found) {
      seen += this.zero;
      if (seen > rank) {
        v = 0;
        found = true;
      }
    }
    if (!found) {
      const pos = this.positive;
      v = this.hi;
      for (let k = 0; k < pos.counts.length; k++) {
        seen += pos.counts[k]!;
        if (seen > rank) {
          v = this.value(pos.offset + k);
          break;
        }
      }
    }
    return Math.min(Math.max(v, this.lo), this.hi);
  }

  toJSON(): DDSketchJson {
    return {
      a: this.alpha,
      b: this.maxBuckets,
      n: this.n,
      s: this.total,
      lo: this.n === 0 ? null : this.lo,
      hi: this.n === 0 ? null : this.hi,
      z: this.zero,
      p: normalised(this.positive),
      m: normalised(this.negative),
      c: this.collapsed ? 1 : 0,
    };
  }

  /** Compact JSON text of the sketch. */
  serialize(): string {
    return JSON.stringify(this.toJSON());
  }

  /** Rebuilds a sketch from `serialize()` output (or its parsed object); throws TributaryError on malformed input. */
  static deserialize(input: string | DDSketchJson): DDSketch {
    let j: DDSketchJson;
    try {
      j = typeof input === 'string' ? (JSON.parse(input) as DDSketchJson) : input;
    } catch (err) {
      throw new TributaryError('DECODE', 'DDSketch text is not JSON', { cause: err });
    }
    if (
      !j || typeof j !== 'object' || typeof j.a !== 'number' || typeof j.b !== 'number' || typeof j.n !== 'number' ||
      typeof j.s !== 'number' || typeof j.z !== 'number' || !isStoreJson(j.p) || !isStoreJson(j.m)
    ) {
      throw new TributaryError('DECODE', 'DDSketch JSON does not have the expected fields');
    }
    const sk = new DDSketch({ alpha: j.a, maxBuckets: j.b });
    loadStore(sk.positive, j.p, j.c === 1);
    loadStore(sk.negative, j.m, j.c === 1);
    sk.zero = j.z;
    sk.n = j.n;
    sk.total = j.s;
    sk.lo = j.n === 0 || j.lo === null ? Infinity : j.lo;
    sk.hi = j.n === 0 || j.hi === null ? -Infinity : j.hi;
    return sk;
  }
}

function mergeStore(into: DenseStore, from: DenseStore): void {
  if (from.collapsed) into.collapsed = true;
  // Highest index first, so the store grows to its final upper bound once and collapses at most once.
  for (let k = from.counts.length - 1; k >= 0; k--) {
    const c = from.counts[k]!;
    if (c !== 0) into.add(from.offset + k, c);
  }
}

/** Drops zero buckets at both ends so equal contents give equal bytes regardless of how the store grew. */
function normalised(store: DenseStore): [number, number[]] {
  const counts = store.counts;
  let end = counts.length;
  while (end > 0 && counts[end - 1] === 0) end--;
  let start = 0;
  while (start < end && counts[start] === 0) start++;
  if (start === end) return [0, []];
  return [store.offset + start, counts.slice(start, end)];
}

function isStoreJson(v: unknown): v is [number, number[]] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && Array.isArray(v[1]) &&
    (v[1] as unknown[]).every((c) => typeof c === 'number' && c >= 0);
}

function loadStore(store: DenseStore, [offset, counts]: [number, number[]], collapsed: boolean): void {
  store.offset = offset;
  store.counts = counts.slice();
  store.total = counts.reduce((a, b) => a + b, 0);
  store.collapsed = collapsed;
}
