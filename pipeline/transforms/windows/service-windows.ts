/**
 * Service windows: log records (already given their pattern by the miner) flow in, and one
 * `ServiceWindowRow` per service, window size and window start flows out when the watermark passes
 * the window's end: counts per severity, error ratio, rate, distinct and new patterns, latency
 * quantiles from a DDSketch, and late records. Timing, lateness, versions and offsets follow the
 * rules stated in `tumbling.ts`; the worker (Kafka) and `tributary detect` (a file) both feed it.
 *
 * Field rules:
 * - Severity buckets follow `severityText` (OpenTelemetry ranges 1-4 trace, 5-8 debug, 9-12 info,
 *   13-16 warn, 17-20 error, 21-24 fatal). A record with severity 0 (unspecified) counts in `count`
 *   only, so the six buckets can sum to less than `count`.
 * - `error_ratio` = (error + fatal) / count; `rate` = count / window seconds.
 * - `distinct_patterns` counts distinct non-empty pattern ids; `new_patterns` counts distinct pattern
 *   ids of records the miner marked new (`pattern_is_new`) within the window.
 * - Latency: the first of `latencyAttributes` (default duration_ms, latency_ms, elapsed_ms) present on
 *   a record whose value is a plain finite number >= 0 (attribute strings are parsed with `Number`, so
 *   "12.5" counts and "12ms" does not). p50/p95/p99 are within the sketch's relative accuracy
 *   (default 1%) of the exact lower quantiles of those values; all three are 0 when latency_count is 0.
 * - Score fields are left for the scorer: score 0, threshold 0, anomaly 0, model '', model_version '', scored 0.
 */

import { type ServiceWindowRow } from '../../../core/contracts/rows.ts';
import { DDSketch, type DDSketchJson } from './ddsketch.ts';
import { formatWindowTime, TumblingWindows, type TumblingOptions, type WindowKind, type WindowMeta } from './tumbling.ts';

/**
 * The minimal record the service aggregator reads. The worker builds it from a decoded `LogRecord`
 * plus the miner's answer and the Kafka position; `tributary detect` builds it from a JSON line
 * (partition 0, offset = line number).
 */
export interface ServiceWindowInput {
  /** Event time, epoch milliseconds. */
  time: number;
  service: string;
  /** OpenTelemetry severity number, 0 when unknown. */
  severity_number: number;
  /** Pattern id from the miner; empty when the record was not mined. */
  pattern_id: string;
  /** Whether the miner created this pattern for this record. */
  pattern_is_new: boolean;
  /** Record attributes; strings as on the wire, numbers accepted too. */
  attributes: Readonly<Record<string, string | number | undefined>>;
  /** Kafka partition (0 for a file). */
  partition: number;
  /** Kafka offset (line number for a file). */
  offset: number;
}

export interface ServiceWindowOptions extends TumblingOptions {
  /** Attribute names read for latency, first match wins. Default ['duration_ms', 'latency_ms', 'elapsed_ms']. */
  latencyAttributes?: string[];
  /** DDSketch relative accuracy. Default 0.01. */
  alpha?: number;
  /** DDSketch bucket limit. Default 2048. */
  maxBuckets?: number;
}

export const DEFAULT_LATENCY_ATTRIBUTES: readonly string[] = ['duration_ms', 'latency_ms', 'elapsed_ms'];

/** Index into the six severity buckets for an OpenTelemetry severity number; -1 for unspecified. */
export function severityBucket(n: number): number {
  if (!(n >= 1)) return -1;
  if (n <= 4) return 0;
  if (n <= 8) return 1;
  if (n <= 12) return 2;
  if (n <= 16) return 3;
  if (n <= 20) return 4;
  return 5;
}

/** Parses a latency attribute: a finite number >= 0, or undefined. */
export function parseLatency(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

interface ServiceAcc {
  service: string;
  severities: [number, number, number, number, number, number];
  patterns: Set<string>;
  newPatterns: Set<string>;
  latency: DDSketch | null;
}

export class ServiceWindows extends TumblingWindows<ServiceWindowInput, ServiceAcc, ServiceWindowRow> {
  constructor(options: ServiceWindowOptions = {}) {
    super(serviceKind(options), options);
  }
}

export function serviceKind(options: ServiceWindowOptions = {}): WindowKind<ServiceWindowInput, ServiceAcc, ServiceWindowRow> {
  const attrs = [...(options.latencyAttributes ?? DEFAULT_LATENCY_ATTRIBUTES)];
  const sketchOptions = { alpha: options.alpha, maxBuckets: options.maxBuckets };
  // Validate the sketch options at start-up rather than on the first latency value.
  new DDSketch(sketchOptions);
  return {
    key: (r) => r.service,
    valid: (r) => typeof r.service === 'string',
    create: (r) => ({ service: r.service, severities: [0, 0, 0, 0, 0, 0], patterns: new Set(), newPatterns: new Set(), latency: null }),
    add(acc, r) {
      const b = severityBucket(r.severity_number);
      if (b >= 0) acc.severities[b]++;
      if (r.pattern_id) {
        acc.patterns.add(r.pattern_id);
        if (r.pattern_is_new) acc.newPatterns.add(r.pattern_id);
      }
      const a = r.attributes;
      if (a) {
        for (const name of attrs) {
          const v = parseLatency(a[name]);
          if (v === undefined) continue;
          (acc.latency ??= new DDSketch(sketchOptions)).add(v);
          break;
        }
      }
    },
    merge(into, from) {
      for (let i = 0; i < 6; i++) into.severities[i]! += from.severities[i]!;
      for (const p of from.patterns) into.patterns.add(p);
      for (const p of from.newPatterns) into.newPatterns.add(p);
      if (from.latency) {
        if (into.latency) into.latency.merge(from.latency);
        else into.latency = DDSketch.deserialize(from.latency.toJSON());
      }
    },
    save: (acc) => ({
      service: acc.service,
      severities: [...acc.severities],
      patterns: [...acc.patterns],
      newPatterns: [...acc.newPatterns],
      latency: acc.latency ? acc.latency.toJSON() : null,
    }),
    load(data) {
      const d = data as { service: string; severities: ServiceAcc['severities']; patterns: string[]; newPatterns: string[]; latency: DDSketchJson | null };
      return {
        service: d.service,
        severities: [...d.severities],
        patterns: new Set(d.patterns),
        newPatterns: new Set(d.newPatterns),
        latency: d.latency ? DDSketch.deserialize(d.latency) : null,
      };
    },
    row(acc, m: WindowMeta): ServiceWindowRow {
      const [trace, debug, info, warn, error, fatal] = acc.severities;
      const lat = acc.latency;
      const hasLatency = lat !== null && lat.count > 0;
      return {
        service: acc.service,
        window_start: formatWindowTime(m.start),
        window_end: formatWindowTime(m.end),
        window_size_s: m.sizeMs / 1000,
        version: m.count,
        count: m.count,
        count_trace: trace,
        count_debug: debug,
        count_info: info,
        count_warn: warn,
        count_error: error,
        count_fatal: fatal,
        error_ratio: m.count === 0 ? 0 : (error + fatal) / m.count,
        rate: m.count / (m.sizeMs / 1000),
        distinct_patterns: acc.patterns.size,
        new_patterns: acc.newPatterns.size,
        latency_count: hasLatency ? lat.count : 0,
        p50_ms: hasLatency ? lat.quantile(0.5) : 0,
        p95_ms: hasLatency ? lat.quantile(0.95) : 0,
        p99_ms: hasLatency ? lat.quantile(0.99) : 0,
        late_count: m.lateCount,
        score: 0,
        threshold: 0,
        anomaly: 0,
        model: '',
        model_version: '',
        scored: 0,
      };
    },
  };
}
