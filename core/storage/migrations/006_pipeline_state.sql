-- Small durable state of the workers, one row per key (newest `updated_at` wins; readers use argMax):
--   miner/<group>                   the pattern miner's snapshot (JSON), so patterns survive a restart
--   intent/<topic>/<partition>      the offset range (`first-last`) of the raw batch being landed, written
--                                   before its inserts, so that a worker taking over the partition after a
--                                   crash cuts its first batch at the same place and re-uses the same
--                                   deduplication tokens (nothing doubled, nothing lost).
-- Kept in ClickHouse rather than a local folder so that any worker of the group, on any host, finds it.
CREATE TABLE IF NOT EXISTS pipeline_state (
  key String,
  value String CODEC(ZSTD(3)),
  updated_at DateTime64(6, 'UTC'),
  writer LowCardinality(String)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key
SETTINGS non_replicated_deduplication_window = 100000;
