-- Every model's score of every window it scored, shadow models included (`shadow` = 1): a new model
-- can be compared with the current one on live traffic without raising anomalies. A window rebuilt
-- after a crash is scored again with the same key; the row of the most complete window wins.
CREATE TABLE IF NOT EXISTS model_scores (
  kind LowCardinality(String),
  service LowCardinality(String),
  host LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  window_size_s UInt32,
  window_version UInt64,
  model LowCardinality(String),
  model_version LowCardinality(String),
  score Float64,
  threshold Float64,
  over_threshold UInt8,
  shadow UInt8
)
ENGINE = ReplacingMergeTree(window_version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (kind, service, host, window_size_s, window_start, model, model_version)
TTL toDateTime(window_start) + INTERVAL {{windows_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
