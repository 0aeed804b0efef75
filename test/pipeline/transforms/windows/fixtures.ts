/**
 * Test fixtures for the window modules: a seeded random source, exact quantiles, and a stand-in for
 * the ReplacingMergeTree that keeps the highest version per window key (later insert wins a tie).
 */

/** mulberry32: a small seeded generator, so every generated input is reproducible. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact lower q-quantile, the one DDSketch's guarantee is stated against. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** |estimate - exact| <= alpha * |exact|, with a little room for floating-point rounding. */
export function withinRelative(estimate: number, exact: number, alpha: number): boolean {
  return Math.abs(estimate - exact) <= alpha * Math.abs(exact) * (1 + 1e-9) + 1e-12;
}

/** Keeps, per key, the row with the highest version; on equal versions the later insert wins. */
export class ReplacingTable<R extends { version: number }> {
  readonly rows = new Map<string, R>();
  constructor(private readonly keyOf: (r: R) => string) {}

  insert(rows: readonly R[]): void {
    for (const r of rows) {
      const k = this.keyOf(r);
      const cur = this.rows.get(k);
      if (!cur || r.version >= cur.version) this.rows.set(k, r);
    }
  }

  sorted(): R[] {
    return [...this.rows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
  }
}
