/**
 * Test fixtures for the window modules: a seeded random source, exact quantiles, a stand-in for the
 * ReplacingMergeTree that keeps the highest version per window key (later insert wins a tie), and a
 * brute-force reference for service windows that integration tests can compare stored rows with.
 */
import { severityText } from '../../../../core/contracts/records.ts';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';
import { formatWindowTime, windowStart } from '../../../../pipeline/transforms/windows/tumbling.ts';
import { type ServiceWindowInput } from '../../../../pipeline/transforms/windows/service-windows.ts';

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

/** One reference window: the exact fields, and the sorted latencies its quantiles must approximate. */
export interface ServiceWindowExpectation {
  row: Pick<ServiceWindowRow, 'count' | 'version' | 'count_trace' | 'count_debug' | 'count_info' | 'count_warn' | 'count_error' | 'count_fatal' | 'error_ratio' | 'rate' | 'distinct_patterns' | 'new_patterns' | 'latency_count'>;
  latencies: number[];
}

/**
 * Service windows computed directly from the records, keyed `service|window_size_s|window_start`
 * (window_start as `YYYY-MM-DD hh:mm:ss.sss`). Records must be the ones the aggregator accepted.
 */
export function serviceWindowReference(
  records: readonly ServiceWindowInput[],
  sizesMs: readonly number[] = [10_000, 60_000],
  latencyAttributes: readonly string[] = ['duration_ms', 'latency_ms', 'elapsed_ms'],
): Map<string, ServiceWindowExpectation> {
  const groups = new Map<string, ServiceWindowInput[]>();
  for (const r of records) {
    for (const size of sizesMs) {
      const k = `${r.service}|${size / 1000}|${formatWindowTime(windowStart(r.time, size))}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(r);
    }
  }
  const out = new Map<string, ServiceWindowExpectation>();
  for (const [k, rs] of groups) {
    const sev = (name: string): number => rs.filter((r) => severityText(r.severity_number) === name).length;
    const latencies: number[] = [];
    for (const r of rs) {
      for (const a of latencyAttributes) {
        const v = r.attributes[a];
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (Number.isFinite(n) && n >= 0) {
          latencies.push(n);
          break;
        }
      }
    }
    const count = rs.length;
    const size = Number(k.split('|')[1]);
    const ids = rs.map((r) => r.pattern_id).filter((p) => p !== '');
    out.set(k, {
      row: {
        count,
        version: count,
        count_trace: sev('TRACE'),
        count_debug: sev('DEBUG'),
        count_info: sev('INFO'),
        count_warn: sev('WARN'),
        count_error: sev('ERROR'),
        count_fatal: sev('FATAL'),
        error_ratio: (sev('ERROR') + sev('FATAL')) / count,
        rate: count / size,
        distinct_patterns: new Set(ids).size,
        new_patterns: new Set(rs.filter((r) => r.pattern_is_new && r.pattern_id !== '').map((r) => r.pattern_id)).size,
        latency_count: latencies.length,
      },
      latencies: latencies.sort((a, b) => a - b),
    });
  }
  return out;
}
