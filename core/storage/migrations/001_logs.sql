-- Raw log records. Ordered by (service, time) because every dashboard query filters a service and a
-- time range; partitioned by day so that retention drops whole parts. Inserts carry a deduplication
-- token (topic/partition/offset range), which the deduplication window below honours.
CREATE TABLE IF NOT EXISTS logs (
  time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
  observed_time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
  service LowCardinality(String),
  host LowCardinality(String),
  severity_text LowCardinality(String),
  severity_number UInt8,
  -- The canonical level word (as severityText in core/contracts/records.ts), whatever the source wrote.
  level LowCardinality(String) ALIAS multiIf(severity_number = 0, 'UNSPECIFIED', severity_number <= 4, 'TRACE',
    severity_number <= 8, 'DEBUG', severity_number <= 12, 'INFO', severity_number <= 16, 'WARN', severity_number <= 20, 'ERROR', 'FATAL'),
  body String CODEC(ZSTD(1)),
  attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  resource Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  trace_id String CODEC(ZSTD(1)),
  span_id String CODEC(ZSTD(1)),
  pattern_id String CODEC(ZSTD(1)),
  source_kind LowCardinality(String),
  source_path String CODEC(ZSTD(1)),
  source_offset UInt64,
  kafka_topic LowCardinality(String),
  kafka_partition UInt16,
  kafka_offset UInt64,
  INDEX idx_body body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1,
  INDEX idx_attr_keys mapKeys(attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_attr_values mapValues(attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
  INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (service, toStartOfMinute(time), severity_number, time)
TTL toDateTime(time) + INTERVAL {{logs_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;
