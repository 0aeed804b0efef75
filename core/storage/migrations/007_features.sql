-- Feature views and model predictions on any stream.
--
-- Each feature view lands in a table of its own, `view_<name>_v<version>`, created by the worker from
-- the view's definition (its columns are the view's features; see
-- pipeline/transforms/features/views/table.ts). This registry lists them, so that dashboards and tools
-- can find a view's table and features without reading the worker's config. One row per view version;
-- the newest `updated_at` wins.
CREATE TABLE IF NOT EXISTS feature_views (
  view LowCardinality(String),
  view_version UInt32,
  table_name String,
  source LowCardinality(String),
  key_fields Array(String),
  features Array(String),
  window_size_s Float64,
  hop_s Float64,
  definition String CODEC(ZSTD(3)),
  updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (view, view_version)
SETTINGS non_replicated_deduplication_window = 100000;

-- What models said about each closed window of a view. One row per (view, model, model version, key,
-- window); `version` is the window row's version (events included), so a window re-emitted by a late
-- event replaces its prediction, and a replay after a crash writes the same row again. Nothing here is
-- taken from a clock, so replays are byte-identical. Read with FINAL.
--   score: regression output; binary: probability of the positive class; multi-class: probability of `label`.
--   label: binary/multi-class class name (empty for regression); class_probabilities: every class (multi-class and binary).
--   anomaly: score >= threshold (regression, binary) or label among the manifest's alert labels (multi-class);
--   always 0 for shadow models. top_features: the inputs that stood out most, `name=value (z=..)`.
CREATE TABLE IF NOT EXISTS predictions (
  view LowCardinality(String),
  view_version UInt32,
  model LowCardinality(String),
  model_version LowCardinality(String),
  key String,
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  window_size_s Float64,
  version UInt32,
  output_kind LowCardinality(String),
  score Float64,
  label LowCardinality(String),
  class_probabilities Map(LowCardinality(String), Float64),
  threshold Float64,
  anomaly UInt8,
  shadow UInt8,
  top_features Array(String)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (view, model, model_version, key, window_start)
TTL toDateTime(window_start) + INTERVAL {{windows_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
