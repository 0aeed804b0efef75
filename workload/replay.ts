/**
 * Runs a generated workload through the worker's own transforms without Kafka: log records go through
 * the pattern miner and the service windows, metric points through the metric windows, and closed
 * window rows come out in event-time order with the incident label of each window. Training data,
 * the evaluation and the benchmarks all read windows this way, so none reimplements a transform.
 */
import { type MetricWindowRow, type ServiceWindowRow } from '../core/contracts/rows.ts';
import { severityNumber } from '../core/contracts/records.ts';
import { PatternMiner } from '../pipeline/transforms/patterns/miner.ts';
import { ServiceWindows } from '../pipeline/transforms/windows/service-windows.ts';
import { MetricWindows } from '../pipeline/transforms/windows/metric-windows.ts';
import { groupHostWindows, type HostWindow } from '../pipeline/transforms/features/host.ts';
import { HOST_INCIDENT_KINDS, LOG_INCIDENT_KINDS, type IncidentKind, type LabelledIncident, type Workload } from './generator.ts';

export interface ReplayOptions {
  windowMs?: number;
  /** Host metric interval (default 10 s). */
  metricIntervalMs?: number;
  /** Count-0 windows emitted after a service's last record (default 60), so silence is scored. */
  emptyWindows?: number;
}

/** A window's ground truth: 1 incident, 0 normal, -1 ambiguous (only partly inside an incident, or another family's). */
export interface WindowLabel {
  label: 1 | 0 | -1;
  kind: IncidentKind | '';
}

export { windowTimeMs } from '../pipeline/transforms/scoring/scorer.ts';

function overlap(inc: LabelledIncident, start: number, end: number): number {
  return Math.max(0, Math.min(end, inc.endMs) - Math.max(start, inc.startMs));
}

/**
 * Label of a service window: positive when at least half of it lies in a log incident of the
 * service, ambiguous when less than half does.
 */
export function serviceWindowLabel(incidents: readonly LabelledIncident[], service: string, start: number, end: number): WindowLabel {
  let ambiguous = false;
  for (const inc of incidents) {
    if (inc.service !== service || !LOG_INCIDENT_KINDS.includes(inc.kind)) continue;
    const o = overlap(inc, start, end);
    if (o >= 0.5 * (end - start)) return { label: 1, kind: inc.kind };
    if (o > 0) ambiguous = true;
  }
  return ambiguous ? { label: -1, kind: '' } : { label: 0, kind: '' };
}

/**
 * Label of a host window: positive when at least half of it lies in a host incident of that host;
 * ambiguous when partly inside one, or inside a log incident of the host's service (a traffic drop
 * moves CPU and network too, but it is the service model's to find).
 */
export function hostWindowLabel(incidents: readonly LabelledIncident[], service: string, host: string, start: number, end: number): WindowLabel {
  let ambiguous = false;
  for (const inc of incidents) {
    if (!HOST_INCIDENT_KINDS.includes(inc.kind) || !inc.hosts.includes(host)) continue;
    const o = overlap(inc, start, end);
    if (o >= 0.5 * (end - start)) return { label: 1, kind: inc.kind };
    if (o > 0) ambiguous = true;
  }
  for (const inc of incidents) {
    if (inc.service === service && LOG_INCIDENT_KINDS.includes(inc.kind) && overlap(inc, start, end) > 0) ambiguous = true;
  }
  return ambiguous ? { label: -1, kind: '' } : { label: 0, kind: '' };
}

/** Closed service windows of the workload's logs, in the order the aggregator closes them. */
export function* replayServiceWindows(w: Workload, opts: ReplayOptions = {}): Generator<ServiceWindowRow[]> {
  const windowMs = opts.windowMs ?? 60_000;
  const miner = new PatternMiner();
  // Lateness 0: generated logs arrive in order, and `now` is the event time itself.
  const windows = new ServiceWindows({ sizesMs: [windowMs], allowedLatenessMs: 0, emptyWindows: opts.emptyWindows ?? 60 });
  let offset = 0;
  let nextAdvance = w.startMs + 1000;
  for (const log of w.logs()) {
    if (log.timeMs >= nextAdvance) {
      const rows = windows.advance(log.timeMs);
      if (rows.length > 0) yield rows;
      nextAdvance = log.timeMs + 1000;
    }
    const m = miner.match(log.body);
    windows.add({
      time: log.timeMs, service: log.service, severity_number: severityNumber(log.severity_text),
      pattern_id: m.patternId, pattern_is_new: m.isNew, attributes: log.attributes, partition: 0, offset: offset++,
    }, log.timeMs);
  }
  const rest = windows.flush();
  if (rest.length > 0) yield rest;
}

/** Closed host windows (metric rows grouped per host and window) of the workload's metrics. */
export function* replayHostWindows(w: Workload, opts: ReplayOptions = {}): Generator<HostWindow[]> {
  const windowMs = opts.windowMs ?? 60_000;
  const windows = new MetricWindows({ sizesMs: [windowMs], allowedLatenessMs: 0 });
  let offset = 0;
  let last = -Infinity;
  const out = (rows: MetricWindowRow[]): HostWindow[] => groupHostWindows(rows);
  for (const { point } of w.metrics(opts.metricIntervalMs ?? 10_000)) {
    const t = Date.parse(point.time);
    if (t > last && last !== -Infinity) {
      const rows = windows.advance(t);
      if (rows.length > 0) yield out(rows);
    }
    last = t;
    windows.add({ time: t, service: point.service, host: point.host, name: point.name, value: point.value, partition: 0, offset: offset++ }, t);
  }
  const rest = windows.flush();
  if (rest.length > 0) yield out(rest);
}
