-- Raw metric points (host metrics and the agents' own counters, service `tributary-agent`). Ordered
-- by series then time, because every panel reads one series (or a few) over a time range.
CREATE TABLE IF NOT EXISTS metrics (
  time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
  service LowCardinality(String),
  host LowCardinality(String),
  name LowCardinality(String),
  kind LowCardinality(String),
  value Float64 CODEC(Gorilla, ZSTD(1)),
  unit LowCardinality(String),
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  kafka_partition UInt16,
  kafka_offset UInt64
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (service, name, host, time)
TTL toDateTime(time) + INTERVAL {{metrics_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
