-- The file identity of a log line's origin (device, inode and a hash of the first bytes, as the agent
-- fingerprints files), next to `source_offset`. With it the worker recognises a line an agent sent
-- twice (a kill -9 between Kafka's acknowledgement and the checkpoint) and lands it once; a worker
-- taking a partition over rebuilds that knowledge from these two columns (pipeline/stages/origin.ts).
ALTER TABLE logs ADD COLUMN IF NOT EXISTS source_fingerprint String CODEC(ZSTD(1)) AFTER source_path;
