-- Rollups for long ranges: materialised views turn each insert into `logs`/`metrics` into partial
-- aggregate states (-State) in AggregatingMergeTree tables, and readers finish them with -Merge.
-- A 30-day panel reads ~43k minute rows or ~720 hour rows per service instead of every log line.
-- Severity is folded into the canonical level words (as `severityText` in core/contracts/records.ts)
-- so that a key stays small whatever the sources wrote. Latency comes from the `duration_ms`
-- attribute when a record has one.
CREATE TABLE IF NOT EXISTS logs_1m (
  service LowCardinality(String),
  level LowCardinality(String),
  minute DateTime('UTC'),
  records AggregateFunction(count),
  body_bytes AggregateFunction(sum, UInt64),
  hosts AggregateFunction(uniq, String),
  latency_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (service, level, minute)
TTL minute + INTERVAL {{logs_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS logs_1m_mv TO logs_1m AS
SELECT
  service,
  multiIf(severity_number = 0, 'UNSPECIFIED', severity_number <= 4, 'TRACE', severity_number <= 8, 'DEBUG',
          severity_number <= 12, 'INFO', severity_number <= 16, 'WARN', severity_number <= 20, 'ERROR', 'FATAL') AS level,
  toStartOfMinute(time) AS minute,
  countState() AS records,
  sumState(toUInt64(length(body))) AS body_bytes,
  uniqState(toString(host)) AS hosts,
  quantilesTDigestStateIf(0.5, 0.95, 0.99)(toFloat64OrZero(attributes['duration_ms']), mapContains(attributes, 'duration_ms')) AS latency_ms
FROM logs
GROUP BY service, level, minute;

CREATE TABLE IF NOT EXISTS logs_1h (
  service LowCardinality(String),
  level LowCardinality(String),
  hour DateTime('UTC'),
  records AggregateFunction(count),
  body_bytes AggregateFunction(sum, UInt64),
  hosts AggregateFunction(uniq, String),
  latency_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (service, level, hour)
TTL hour + INTERVAL {{rollup_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS logs_1h_mv TO logs_1h AS
SELECT
  service,
  multiIf(severity_number = 0, 'UNSPECIFIED', severity_number <= 4, 'TRACE', severity_number <= 8, 'DEBUG',
          severity_number <= 12, 'INFO', severity_number <= 16, 'WARN', severity_number <= 20, 'ERROR', 'FATAL') AS level,
  toStartOfHour(time) AS hour,
  countState() AS records,
  sumState(toUInt64(length(body))) AS body_bytes,
  uniqState(toString(host)) AS hosts,
  quantilesTDigestStateIf(0.5, 0.95, 0.99)(toFloat64OrZero(attributes['duration_ms']), mapContains(attributes, 'duration_ms')) AS latency_ms
FROM logs
GROUP BY service, level, hour;

-- Pattern trend: how often each pattern occurs per hour, for "top patterns" and "new patterns" over weeks.
CREATE TABLE IF NOT EXISTS log_patterns_1h (
  service LowCardinality(String),
  pattern_id String,
  hour DateTime('UTC'),
  records AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (service, pattern_id, hour)
TTL hour + INTERVAL {{rollup_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS log_patterns_1h_mv TO log_patterns_1h AS
SELECT service, pattern_id, toStartOfHour(time) AS hour, countState() AS records
FROM logs
WHERE pattern_id != ''
GROUP BY service, pattern_id, hour;

CREATE TABLE IF NOT EXISTS metrics_1h (
  service LowCardinality(String),
  host LowCardinality(String),
  name LowCardinality(String),
  hour DateTime('UTC'),
  points AggregateFunction(count),
  min_value AggregateFunction(min, Float64),
  max_value AggregateFunction(max, Float64),
  avg_value AggregateFunction(avg, Float64),
  last_value AggregateFunction(argMax, Float64, DateTime64(9, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (service, name, host, hour)
TTL hour + INTERVAL {{rollup_ttl_days}} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS metrics_1h_mv TO metrics_1h AS
SELECT
  service, host, name, toStartOfHour(time) AS hour,
  countState() AS points, minState(value) AS min_value, maxState(value) AS max_value,
  avgState(value) AS avg_value, argMaxState(value, time) AS last_value
FROM metrics
GROUP BY service, host, name, hour;
