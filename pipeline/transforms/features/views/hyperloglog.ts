/**
 * HyperLogLog: a mergeable distinct-count estimator. Values flow in through `add`, sketches of the same
 * precision combine with `merge` (register-wise max, so the merged sketch equals the sketch of the
 * union), and `estimate()` answers.
 *
 * Stated error (Flajolet et al. 2007): the relative standard error is 1.04 / sqrt(2^precision), 1.63 %
 * at the default precision 12 (4096 registers); about 95 % of estimates fall within twice that. Small
 * cardinalities use linear counting (exact for a handful of values in practice: with 4096 registers, 10
 * distinct values almost never collide). Hashes are 32-bit (MurmurHash3), which keeps the bound for
 * counts up to about 10^8 per window; beyond that the large-range correction applies.
 *
 * Memory: sparse until a sketch holds `2^precision / 16` registers (a small map, about 30 bytes per
 * distinct value), then a dense byte per register; a window of a few values costs a few hundred bytes,
 * not 4 KiB.
 */
import { TributaryError } from '../../../../core/errors.ts';

export const DEFAULT_PRECISION = 12;

/** MurmurHash3 x86 32-bit of a string's UTF-16 code units (stable across processes and versions). */
export function murmur3(text: string, seed = 0x9747b28c): number {
  let h = seed >>> 0;
  const n = text.length;
  let i = 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  // Two UTF-16 code units per 32-bit block.
  for (; i + 1 < n; i += 2) {
    let k = (text.charCodeAt(i) & 0xffff) | ((text.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = text.charCodeAt(i) & 0xffff;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface HyperLogLogJson {
  p: number;
  /** Sparse: [register, rank] pairs; dense: base64 of the registers. */
  s?: [number, number][];
  d?: string;
}

export class HyperLogLog {
  readonly precision: number;
  private readonly m: number;
  private sparse: Map<number, number> | undefined = new Map();
  private dense: Uint8Array | undefined;

  constructor(precision = DEFAULT_PRECISION) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 16) {
      throw new TributaryError('CONFIG_INVALID', `HyperLogLog precision must be a whole number from 4 to 16, got ${precision}`);
    }
    this.precision = precision;
    this.m = 1 << precision;
  }

  /** The relative standard error of `estimate()` at this precision. */
  static standardError(precision = DEFAULT_PRECISION): number {
    return 1.04 / Math.sqrt(1 << precision);
  }

  add(value: string): void {
    this.addHash(murmur3(value));
  }

  addHash(hash: number): void {
    const p = this.precision;
    const idx = hash >>> (32 - p);
    const rest = (hash << p) >>> 0;
    // Rank: position of the first 1 bit in the remaining 32 - p bits (1-based), capped when all zero.
    const rank = rest === 0 ? 32 - p + 1 : Math.clz32(rest) + 1;
    this.set(idx, rank);
  }

  private set(idx: number, rank: number): void {
    if (this.dense) {
      if (rank > this.dense[idx]!) this.dense[idx] = rank;
      return;
    }
    const sp = this.sparse!;
    const cur = sp.get(idx);
    if (cur === undefined || rank > cur) sp.set(idx, rank);
    if (sp.size > this.m >>> 4) this.densify();
  }

  private densify(): void {
    const d = new Uint8Array(this.m);
    for (const [i, r] of this.sparse!) d[i] = r;
    this.dense = d;
    this.sparse = undefined;
  }

  merge(other: HyperLogLog): this {
    if (other.precision !== this.precision) {
      throw new TributaryError('USAGE', `cannot merge HyperLogLogs of different precision (${this.precision} and ${other.precision})`);
    }
    if (other.dense) {
      for (let i = 0; i < this.m; i++) if (other.dense[i]! > 0) this.set(i, other.dense[i]!);
    } else {
      for (const [i, r] of other.sparse!) this.set(i, r);
    }
    return this;
  }

  estimate(): number {
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    if (this.dense) {
      for (let i = 0; i < m; i++) sum += 2 ** -this.dense[i]!;
      for (let i = 0; i < m; i++) if (this.dense[i] === 0) zeros++;
    } else {
      zeros = m - this.sparse!.size;
      sum = zeros;
      for (const r of this.sparse!.values()) sum += 2 ** -r;
    }
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    let e = (alpha * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
    return e;
  }

  toJSON(): HyperLogLogJson {
    if (this.dense) return { p: this.precision, d: Buffer.from(this.dense).toString('base64') };
    return { p: this.precision, s: [...this.sparse!].sort((a, b) => a[0] - b[0]) };
  }

  static fromJSON(j: HyperLogLogJson): HyperLogLog {
    const h = new HyperLogLog(j.p);
    if (j.d !== undefined) {
      h.dense = new Uint8Array(Buffer.from(j.d, 'base64'));
      h.sparse = undefined;
      if (h.dense.length !== h.m) throw new TributaryError('DECODE', `HyperLogLog registers: ${h.dense.length} bytes for precision ${j.p}`);
    } else {
      for (const [i, r] of j.s ?? []) h.set(i, r);
    }
    return h;
  }
}
