/**
 * OTLP sums sent with delta temporality, made cumulative. On `metrics.v1` a `counter` point is a running
 * total (as a Prometheus page and the agent's own counters give it) and a rate is read from consecutive
 * totals (the Hosts dashboard's *Counters per second*); an SDK exporting with delta temporality sends each
 * interval's increase instead, which read as totals would be nonsense. So the intake keeps a total per
 * series, as the Collector's `deltatocumulative` processor does, and both kinds read alike downstream.
 * A total starts from the first delta the intake sees: after an agent restart, or for a series pushed out
 * beyond `maxSeries` (the least recently updated goes first), it starts again, which a rate reads as a
 * restart of the counted process: the new delta is its increase, exact whenever the new total is below the
 * old one.
 */
export class CumulativeTotals {
  private readonly totals = new Map<string, number>();
  /** Series whose total was dropped to stay within `maxSeries`. */
  evicted = 0;

  constructor(readonly maxSeries = 100_000) {}

  /** Adds one delta to its series' total and returns the new total. */
  add(key: string, delta: number): number {
    const total = (this.totals.get(key) ?? 0) + delta;
    // Deleted and set again, so the map's order is least recently updated first.
    this.totals.delete(key);
    this.totals.set(key, total);
    if (this.totals.size > this.maxSeries) {
      this.totals.delete(this.totals.keys().next().value!);
      this.evicted++;
    }
    return total;
  }

  get size(): number {
    return this.totals.size;
  }
}

/** One series: its service, host, name and labels (in any order). */
export function seriesKey(service: string, host: string, name: string, labels: Readonly<Record<string, string>>): string {
  // JSON, so that no name or value can run into the next.
  const parts: string[] = [service, host, name];
  for (const k of Object.keys(labels).sort()) parts.push(k, labels[k]!);
  return JSON.stringify(parts);
}

/** Whether an OTLP `aggregationTemporality` (the number, or its name in OTLP/JSON) is DELTA. */
export function isDelta(temporality: unknown): boolean {
  return temporality === 1 || temporality === 'AGGREGATION_TEMPORALITY_DELTA';
}
