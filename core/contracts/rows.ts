/**
 * Rows as they land in ClickHouse: one interface per table, keyed by column name. The DDL lives in
 * `core/storage/migrations/`; these types are what the worker inserts (JSONEachRow) and what the
 * dashboards read. Times are strings ClickHouse parses (`2026-11-24 10:00:00.123456789`, UTC) or
 * epoch milliseconds where noted; UInt64 values travel as strings.
 */

export interface LogRow {
  time: string;
  observed_time: string;
  service: string;
  host: string;
  severity_text: string;
  severity_number: number;
  body: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
  trace_id: string;
  span_id: string;
  /** 16 hex characters, from the pattern miner; empty before mining. */
  pattern_id: string;
  source_kind: string;
  source_path: string;
  /** File identity of the origin (`dev:ino:headHash:headLen`), empty for other sources. */
  source_fingerprint: string;
  source_offset: number;
  /** Where the record sat in Kafka: with these, a duplicate is recognisable. */
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

export interface MetricRow {
  time: string;
  service: string;
  host: string;
  name: string;
  kind: string;
  value: number;
  unit: string;
  labels: Record<string, string>;
  kafka_partition: number;
  kafka_offset: string;
}

/** A closed tumbling window of one service's logs. Key: (service, window_size_s, window_start); `version` grows when a late record re-emits it. */
export interface ServiceWindowRow {
  service: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  version: number;
  count: number;
  count_trace: number;
  count_debug: number;
  count_info: number;
  count_warn: number;
  count_error: number;
  count_fatal: number;
  error_ratio: number;
  /** Records per second over the window. */
  rate: number;
  distinct_patterns: number;
  new_patterns: number;
  /** Latency quantiles in milliseconds from `duration_ms`-like attributes; 0 when latency_count is 0. */
  latency_count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  late_count: number;
  /** Model output; `scored` is 0 when no model could score the row. */
  score: number;
  threshold: number;
  anomaly: number;
  model: string;
  model_version: string;
  scored: number;
}

/** A closed tumbling window of one metric series (service, host, name). */
export interface MetricWindowRow {
  service: string;
  host: string;
  name: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  version: number;
  count: number;
  min: number;
  max: number;
  mean: number;
  last: number;
  p95: number;
  score: number;
  threshold: number;
  anomaly: number;
  model: string;
  model_version: string;
  scored: number;
}

/** A pattern seen in a batch: `count` is the number of records in that batch (summed by the table). */
export interface PatternRow {
  pattern_id: string;
  service: string;
  template: string;
  first_seen: string;
  last_seen: string;
  count: number;
}

/**
 * A pattern id the miner merged into another (`merged_into`), or, when `merged_into` is the id itself,
 * an id that is a pattern of its own again. The newest row per id (by `merged_at`) is the one that holds.
 */
export interface PatternMergeRow {
  pattern_id: string;
  merged_into: string;
  merged_at: string;
}

export interface AnomalyRow {
  /** `service` (log windows) or `host` (metric windows). */
  kind: string;
  service: string;
  host: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  score: number;
  threshold: number;
  model: string;
  model_version: string;
  /** The features that stood out most, as `name=value (z=..)` strings, most unusual first. */
  top_features: string[];
  detected_at: string;
}

/**
 * One model's score of one closed window (`model_scores`): every model that scored the window has a
 * row, shadow models included, so that a new model can be compared with the current one on live traffic.
 */
export interface ModelScoreRow {
  /** `service` (log windows) or `host` (metric windows). */
  kind: string;
  service: string;
  host: string;
  window_start: string;
  window_size_s: number;
  /** The window row's version (records included): a rebuilt window's score replaces the older one. */
  window_version: number;
  model: string;
  model_version: string;
  score: number;
  threshold: number;
  /** score >= threshold: an anomaly for a live model, what would have been one for a shadow model. */
  over_threshold: number;
  /** 1 when the model runs in shadow mode (it raised no anomaly). */
  shadow: number;
}

/** The pipeline's own counters, written by workers every few seconds. */
export interface PipelineStatRow {
  time: string;
  instance: string;
  stage: string;
  name: string;
  value: number;
}

/** What a model said about one closed window of a feature view (`predictions`, read with FINAL). */
export interface PredictionRow {
  view: string;
  view_version: number;
  model: string;
  model_version: string;
  key: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  /** The window row's version (events included). */
  version: number;
  output_kind: 'regression' | 'binary' | 'multiclass';
  score: number;
  label: string;
  class_probabilities: Record<string, number>;
  threshold: number;
  anomaly: number;
  shadow: number;
  top_features: string[];
}

/** A feature view's entry in `feature_views`. */
export interface FeatureViewRow {
  view: string;
  view_version: number;
  table_name: string;
  source: string;
  key_fields: string[];
  features: string[];
  window_size_s: number;
  hop_s: number;
  definition: string;
  updated_at: string;
}
