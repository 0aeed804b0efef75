-- Closed event-time windows. A late record re-emits its window with `version + 1`; the replacing
-- engine keeps the highest version of each key on merge, but merges are eventual, so every reader
-- must use FINAL (or argMax(..., version)) to see exactly one row per window.
CREATE TABLE IF NOT EXISTS service_windows (
  service LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  window_size_s UInt32,
  version UInt32,
  count UInt64,
  count_trace UInt64,
  count_debug UInt64,
  count_info UInt64,
  count_warn UInt64,
  count_error UInt64,
  count_fatal UInt64,
  error_ratio Float64,
  rate Float64,
  distinct_patterns UInt32,
  new_patterns UInt32,
  latency_count UInt64,
  p50_ms Float64,
  p95_ms Float64,
  p99_ms Float64,
  late_count UInt64,
  score Float64,
  threshold Float64,
  anomaly UInt8,
  model LowCardinality(String),
  model_version LowCardinality(String),
  scored UInt8
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toDate(window_start)
ORDER BY (service, window_size_s, window_start)
TTL toDateTime(window_start) + INTERVAL {{windows_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS metric_windows (
  service LowCardinality(String),
  host LowCardinality(String),
  name LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  window_size_s UInt32,
  version UInt32,
  count UInt64,
  min Float64,
  max Float64,
  mean Float64,
  last Float64,
  p95 Float64,
  score Float64,
  threshold Float64,
  anomaly UInt8,
  model LowCardinality(String),
  model_version LowCardinality(String),
  scored UInt8
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toDate(window_start)
ORDER BY (service, host, name, window_size_s, window_start)
TTL toDateTime(window_start) + INTERVAL {{windows_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
