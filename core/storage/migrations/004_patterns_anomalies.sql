-- Log patterns, one row per (service, pattern) once merged. Workers insert per-batch deltas: the
-- engine sums `count`, keeps the earliest `first_seen` and latest `last_seen`, and keeps the template
-- of the last inserted row (anyLast: a miner refines a template over time, the newest is the best).
-- Merges are eventual, so readers aggregate again (sum/min/max/anyLast ... GROUP BY).
CREATE TABLE IF NOT EXISTS log_patterns (
  service LowCardinality(String),
  pattern_id String,
  template SimpleAggregateFunction(anyLast, String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (service, pattern_id)
SETTINGS non_replicated_deduplication_window = 100000;

-- Windows the models flagged, with the features that stood out. Small: one row per anomalous window.
CREATE TABLE IF NOT EXISTS anomalies (
  kind LowCardinality(String),
  service LowCardinality(String),
  host LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  window_size_s UInt32,
  score Float64,
  threshold Float64,
  model LowCardinality(String),
  model_version LowCardinality(String),
  top_features Array(String),
  detected_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(window_start)
ORDER BY (kind, service, host, window_size_s, window_start, model)
TTL toDateTime(window_start) + INTERVAL {{windows_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

-- The workers' own counters (records in/out per stage, lag, batch and model latency, DLQ counts).
CREATE TABLE IF NOT EXISTS pipeline_stats (
  time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
  instance LowCardinality(String),
  stage LowCardinality(String),
  name LowCardinality(String),
  value Float64 CODEC(Gorilla, ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (stage, name, instance, time)
TTL toDateTime(time) + INTERVAL {{metrics_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
