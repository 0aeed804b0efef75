-- The pattern miner's merges: rows landed before a merge keep the id they were given, and readers
-- resolve it through this table to the id it stands for now (one look-up: the worker writes every id
-- that a merge moves, so no chains). merged_into = pattern_id says an id is a pattern of its own again.
-- Small: one row per merge, and merges stop once a service's patterns are learned.
CREATE TABLE IF NOT EXISTS pattern_merges (
  pattern_id String,
  merged_into String,
  merged_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(merged_at)
ORDER BY pattern_id
SETTINGS non_replicated_deduplication_window = 100000;
