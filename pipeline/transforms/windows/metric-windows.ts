/**
 * Metric windows: metric points flow in, and one `MetricWindowRow` per (service, host, name), window
 * size and window start flows out when the watermark passes the window's end, with count, min, max,
 * mean, last (the value with the highest event time; on a tie the later arrival) and p95 (DDSketch,
 * within its relative accuracy, default 1%). Timing, lateness, versions and offsets follow `tumbling.ts`.
 * Points with a non-finite value are refused (`add` returns 'invalid') so the worker routes them on.
 */

import { type MetricWindowRow } from '../../../core/contracts/rows.ts';
import { DDSketch, type DDSketchJson } from './ddsketch.ts';
import { formatWindowTime, TumblingWindows, type TumblingOptions, type WindowKind, type WindowMeta } from './tumbling.ts';

/** The minimal metric point the metric aggregator reads (a `MetricPoint` plus its Kafka position). */
export interface MetricWindowInput {
  /** Event time, epoch milliseconds. */
  time: number;
  service: string;
  host: string;
  name: string;
  value: number;
  partition: number;
  offset: number;
}

export interface MetricWindowOptions extends TumblingOptions {
  /** DDSketch relative accuracy for p95. Default 0.01. */
  alpha?: number;
  /** DDSketch bucket limit. Default 2048. */
  maxBuckets?: number;
}

interface MetricAcc {
  service: string;
  host: string;
  name: string;
  min: number;
  max: number;
  sum: number;
  last: number;
  lastTime: number;
  sketch: DDSketch;
}

export class MetricWindows extends TumblingWindows<MetricWindowInput, MetricAcc, MetricWindowRow> {
  constructor(options: MetricWindowOptions = {}) {
    super(metricKind(options), options);
  }
}

export function metricKind(options: MetricWindowOptions = {}): WindowKind<MetricWindowInput, MetricAcc, MetricWindowRow> {
  const sketchOptions = { alpha: options.alpha, maxBuckets: options.maxBuckets };
  new DDSketch(sketchOptions);
  return {
    // NUL cannot appear in a sensible name; it keeps (a|b, c) and (a, b|c) apart.
    key: (p) => `${p.service}\u0000${p.host}\u0000${p.name}`,
    valid: (p) => Number.isFinite(p.value),
    create: (p) => ({
      service: p.service, host: p.host, name: p.name,
      min: Infinity, max: -Infinity, sum: 0, last: 0, lastTime: -Infinity, sketch: new DDSketch(sketchOptions),
    }),
    add(acc, p) {
      const v = p.value;
      if (v < acc.min) acc.min = v;
      if (v > acc.max) acc.max = v;
      acc.sum += v;
      if (p.time >= acc.lastTime) {
        acc.lastTime = p.time;
        acc.last = v;
      }
      acc.sketch.add(v);
    },
    merge(into, from) {
      if (from.min < into.min) into.min = from.min;
      if (from.max > into.max) into.max = from.max;
      into.sum += from.sum;
      // The value with the highest event time; on a tie, the one merged later (partials merge in a fixed order).
      if (from.lastTime >= into.lastTime) {
        into.lastTime = from.lastTime;
        into.last = from.last;
      }
      into.sketch.merge(from.sketch);
    },
    // Saved accumulators always hold at least one point, so min, max and lastTime are finite.
    save: (acc) => ({ ...acc, sketch: acc.sketch.toJSON() }),
    load(data) {
      const d = data as Omit<MetricAcc, 'sketch'> & { sketch: DDSketchJson };
      return { ...d, sketch: DDSketch.deserialize(d.sketch) };
    },
    row(acc, m: WindowMeta): MetricWindowRow {
      const empty = m.count === 0;
      return {
        service: acc.service,
        host: acc.host,
        name: acc.name,
        window_start: formatWindowTime(m.start),
        window_end: formatWindowTime(m.end),
        window_size_s: m.sizeMs / 1000,
        version: m.count,
        count: m.count,
        min: empty ? 0 : acc.min,
        max: empty ? 0 : acc.max,
        mean: empty ? 0 : acc.sum / m.count,
        last: empty ? 0 : acc.last,
        p95: empty ? 0 : acc.sketch.quantile(0.95),
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
