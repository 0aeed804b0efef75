/**
 * Service-window features: a closed `ServiceWindowRow` plus the service's recent baseline go in, a
 * fixed-order numeric vector comes out (then the window joins the baseline). Every feature is relative
 * to the service's own past or a ratio, so one model fits services of any volume and window size.
 *
 * The set is declared in the feature views' terms (`SERVICE_FEATURE_SET`): the window's columns are its
 * inputs (what a view's aggregations are), its features are derived features of `views/derived.ts` with
 * the config a view in worker.yaml takes, so adding one is one entry there (and a retrained model).
 */
import { type ServiceWindowRow } from '../../../core/contracts/rows.ts';
import { RollingBaseline } from './baseline.ts';
import { FeatureSet, type FeatureSetDefinition } from './feature-set.ts';

/**
 * Feature names, in the order of the vector (and of every model manifest that reads them). Features
 * built on counts are damped by how much evidence the window holds (pseudo-counts), so that a
 * service writing ten lines a minute does not swing as wildly as one writing ten thousand.
 */
export const SERVICE_FEATURES = [
  /** ln((count + 10) / (baseline rate x window seconds + 10)): drops, surges and silence. */
  'log_rate_ratio',
  /** (errors + fatals) / count (absolute; not read by the shipped model). */
  'error_ratio',
  /** (errors - baseline error ratio x count) / (count + 20): error ratio change, damped for small windows. */
  'error_ratio_delta',
  /** Poisson z-score of the error count: (errors - expected) / sqrt(expected + 1), expected = baseline ratio x count. */
  'error_count_z',
  /** (warnings - baseline warn ratio x count) / (count + 20). */
  'warn_ratio_delta',
  /** Poisson z-score of the warning count, as for errors. */
  'warn_count_z',
  /**
   * Robust z of ln(p50 + 1) against the service's own history: (x - median) / spread, spread =
   * max(1.4826 MAD, 0.05, a 1 ms step) x (1 + 4 / baseline windows); 0 without latency data.
   */
  'p50_z',
  /** Same for p95. */
  'p95_z',
  /** Same for p99. */
  'p99_z',
  /** ln(1 + patterns first seen in this window). */
  'log_new_patterns',
  /** (distinct patterns - baseline median) / sqrt(baseline median + 1). */
  'distinct_patterns_delta',
] as const;

export type ServiceFeatureName = (typeof SERVICE_FEATURES)[number];

export interface ServiceFeatureOptions {
  /** Windows kept in each service's baseline (default 60: an hour of 1-minute windows). */
  history?: number;
  /** Windows a baseline needs before its features are called warm (default 5). */
  warmAfter?: number;
}

export interface FeatureVector {
  /** Values in the order of the feature list. */
  values: number[];
  /** Whether the baseline held enough windows for the comparison to mean something. */
  warm: boolean;
}

/** Pseudo-counts: how many records a window needs before a count feature speaks fully. */
const RATE_PSEUDO = 10;
const RATIO_PSEUDO = 20;
/** Latency z-scores never divide by less than this spread of ln(latency) (5 %). */
const LATENCY_Z_FLOOR = 0.05;
const HISTORY = 60;
const past = { history: HISTORY, min_history: 1, default: 0 };
const latencyZ = (of: string) => ({ fn: 'robust_z', of, min_spread: LATENCY_Z_FLOOR, unit_step: true, widen: 4, ...past });

/** The service features as a feature set: window columns in, SERVICE_FEATURES out (a test holds the two lists equal). */
export const SERVICE_FEATURE_SET: FeatureSetDefinition = {
  name: 'service',
  description: 'Per service and window: volume, errors, warnings, latency and patterns against the service\'s own past.',
  inputs: [
    { name: 'count', description: 'Records in the window.' },
    { name: 'errors', description: 'ERROR and FATAL records.' },
    { name: 'warns', description: 'WARN records.' },
    { name: 'rate', description: 'Records per second.' },
    { name: 'window_s', description: 'Window length, seconds.' },
    { name: 'error_share', description: 'errors / count; missing in an empty window (its past skips it).' },
    { name: 'warn_share', description: 'warns / count; missing in an empty window.' },
    { name: 'ln_p50', description: 'ln(p50 latency ms + 1); missing without latency data.' },
    { name: 'ln_p95', description: 'ln(p95 latency ms + 1).' },
    { name: 'ln_p99', description: 'ln(p99 latency ms + 1).' },
    { name: 'new_patterns', description: 'Log patterns first seen in this window.' },
    { name: 'distinct', description: 'Distinct log patterns in the window.' },
  ],
  derived: [
    { name: 'log_rate_ratio', fn: 'log_ratio', of: 'count', past_of: 'rate', per: 'window_s', offset: RATE_PSEUDO, ...past },
    { name: 'error_ratio', fn: 'ratio', of: ['errors', 'count'], default: 0 },
    { name: 'error_ratio_delta', fn: 'excess', of: ['errors', 'count', 'error_share'], as: 'damped', pseudo_count: RATIO_PSEUDO, history: HISTORY, default: 0 },
    { name: 'error_count_z', fn: 'excess', of: ['errors', 'count', 'error_share'], as: 'poisson', history: HISTORY, default: 0 },
    { name: 'warn_ratio_delta', fn: 'excess', of: ['warns', 'count', 'warn_share'], as: 'damped', pseudo_count: RATIO_PSEUDO, history: HISTORY, default: 0 },
    { name: 'warn_count_z', fn: 'excess', of: ['warns', 'count', 'warn_share'], as: 'poisson', history: HISTORY, default: 0 },
    { name: 'p50_z', ...latencyZ('ln_p50') },
    { name: 'p95_z', ...latencyZ('ln_p95') },
    { name: 'p99_z', ...latencyZ('ln_p99') },
    { name: 'log_new_patterns', fn: 'log1p', of: 'new_patterns', default: 0 },
    { name: 'distinct_patterns_delta', fn: 'change', of: 'distinct', scale: 'poisson', ...past },
  ],
  outputs: SERVICE_FEATURES,
};

const serviceSet = new FeatureSet(SERVICE_FEATURE_SET);

interface ServiceBaseline {
  rate: RollingBaseline;
  errorRatio: RollingBaseline;
  warnRatio: RollingBaseline;
  /** ln(p + 1) of each window with latency data. */
  p50: RollingBaseline;
  p95: RollingBaseline;
  p99: RollingBaseline;
  distinct: RollingBaseline;
  windows: number;
}

export type ServiceFeatureSnapshot = Record<string, { windows: number } & Record<Exclude<keyof ServiceBaseline, 'windows'>, number[]>>;

/** Per-service baselines and the feature computation; one instance per worker (or `detect` run). */
export class ServiceFeatures {
  readonly names: readonly string[] = SERVICE_FEATURES;
  private readonly history: number;
  private readonly warmAfter: number;
  private readonly baselines = new Map<string, ServiceBaseline>();

  constructor(options: ServiceFeatureOptions = {}) {
    this.history = options.history ?? 60;
    this.warmAfter = options.warmAfter ?? 5;
  }

  /** Services seen so far. */
  services(): string[] {
    return [...this.baselines.keys()];
  }

  /** Features of a closed window against the service's baseline, without changing the baseline. */
  peek(row: ServiceWindowRow): FeatureVector {
    const b = this.baselines.get(row.service);
    const n = row.count;
    const lat = (p: number): number | null => (row.latency_count > 0 ? Math.log(p + 1) : null);
    const series: Record<string, RollingBaseline | undefined> = {
      rate: b?.rate, error_share: b?.errorRatio, warn_share: b?.warnRatio, ln_p50: b?.p50, ln_p95: b?.p95, ln_p99: b?.p99, distinct: b?.distinct,
    };
    const values = serviceSet.compute(
      {
        count: n, errors: errorsOf(row), warns: row.count_warn, rate: row.rate, window_s: row.window_size_s,
        error_share: n > 0 ? errorsOf(row) / n : null, warn_share: n > 0 ? row.count_warn / n : null,
        ln_p50: lat(row.p50_ms), ln_p95: lat(row.p95_ms), ln_p99: lat(row.p99_ms), new_patterns: row.new_patterns, distinct: row.distinct_patterns,
      },
      (feature, limit) => series[feature]?.toJSON().slice(-limit) ?? [],
    );
    return { values, warm: (b?.windows ?? 0) >= this.warmAfter };
  }

  /** Features of a closed window, then the window joins its service's baseline. */
  next(row: ServiceWindowRow): FeatureVector {
    const out = this.peek(row);
    this.observe(row);
    return out;
  }

  /** Adds a window to its service's baseline. */
  observe(row: ServiceWindowRow): void {
    let b = this.baselines.get(row.service);
    if (!b) {
      const mk = (): RollingBaseline => new RollingBaseline(this.history);
      b = { rate: mk(), errorRatio: mk(), warnRatio: mk(), p50: mk(), p95: mk(), p99: mk(), distinct: mk(), windows: 0 };
      this.baselines.set(row.service, b);
    }
    b.windows++;
    b.rate.push(row.rate);
    b.distinct.push(row.distinct_patterns);
    if (row.count > 0) {
      b.errorRatio.push(errorsOf(row) / row.count);
      b.warnRatio.push(row.count_warn / row.count);
    }
    if (row.latency_count > 0) {
      b.p50.push(Math.log(row.p50_ms + 1));
      b.p95.push(Math.log(row.p95_ms + 1));
      b.p99.push(Math.log(row.p99_ms + 1));
    }
  }

  snapshot(): ServiceFeatureSnapshot {
    const out: ServiceFeatureSnapshot = {};
    for (const [service, b] of this.baselines) {
      out[service] = {
        windows: b.windows, rate: b.rate.toJSON(), errorRatio: b.errorRatio.toJSON(), warnRatio: b.warnRatio.toJSON(),
        p50: b.p50.toJSON(), p95: b.p95.toJSON(), p99: b.p99.toJSON(), distinct: b.distinct.toJSON(),
      };
    }
    return out;
  }

  static restore(snapshot: ServiceFeatureSnapshot, options: ServiceFeatureOptions = {}): ServiceFeatures {
    const f = new ServiceFeatures(options);
    f.adopt(snapshot);
    return f;
  }

  /** Takes the baselines of services this instance has not seen (a partition taken over); returns how many. */
  adopt(snapshot: ServiceFeatureSnapshot): number {
    let n = 0;
    for (const [service, s] of Object.entries(snapshot)) {
      if (this.baselines.has(service)) continue;
      const r = (xs: number[]): RollingBaseline => RollingBaseline.from(this.history, xs);
      this.baselines.set(service, {
        windows: s.windows, rate: r(s.rate), errorRatio: r(s.errorRatio), warnRatio: r(s.warnRatio),
        p50: r(s.p50), p95: r(s.p95), p99: r(s.p99), distinct: r(s.distinct),
      });
      n++;
    }
    return n;
  }
}

function errorsOf(row: ServiceWindowRow): number {
  return row.count_error + row.count_fatal;
}

/**
 * A count-0 window row, as the aggregator emits for a silent service when its `emptyWindows` option is
 * set (without it, silence never closes a window and is never scored). For tests and tools.
 */
export function emptyServiceWindow(service: string, windowStart: string, windowEnd: string, windowSizeS: number): ServiceWindowRow {
  return {
    service, window_start: windowStart, window_end: windowEnd, window_size_s: windowSizeS, version: 1,
    count: 0, count_trace: 0, count_debug: 0, count_info: 0, count_warn: 0, count_error: 0, count_fatal: 0,
    error_ratio: 0, rate: 0, distinct_patterns: 0, new_patterns: 0, latency_count: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0,
    late_count: 0, score: 0, threshold: 0, anomaly: 0, model: '', model_version: '', scored: 0,
  };
}
