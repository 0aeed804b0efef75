/**
 * The names workers write into `pipeline_stats` (PipelineStatRow) and the Pipeline health dashboard
 * and alert rules read. A counter row holds what happened since the instance's previous row (a
 * delta, so sums over any range are right across restarts); a gauge row holds the value at `time`.
 */

/** Stages of the worker, in the order records pass them. */
/** (`views`: the feature views of `features:` sources, each view's counters summed over the views.) */
export const STAGES = ['consume', 'decode', 'patterns', 'windows', 'views', 'score', 'store'] as const;
export type Stage = (typeof STAGES)[number];

export const PipelineStat = {
  /** Counter: records that entered the stage. */
  recordsIn: 'records_in',
  /** Counter: records (or rows) the stage handed on. */
  recordsOut: 'records_out',
  /** Counter: records the stage sent to `dlq.v1`. */
  dlqRecords: 'dlq_records',
  /** Counter, stage `decode`: log records dropped because their origin (file and byte offset) had already landed. */
  duplicateRecords: 'duplicate_records',
  /** Counter: records that arrived after their window closed. */
  lateRecords: 'late_records',
  /**
   * Counter, stage `consume`: records Kafka deleted (retention) after the group's last read or commit
   * and before it read them: lost to the pipeline. Time retention counts from each record's timestamp,
   * the event time, so old lines shipped late can expire on arrival.
   */
  recordsDeletedUnread: 'records_deleted_unread',
  /** Gauge, stage `consume`: records between the committed offset and the log end, summed over the instance's partitions. */
  consumerLag: 'consumer_lag',
  /** Gauge: duration of the stage's last batch, milliseconds. */
  batchMs: 'batch_ms',
  /** Gauge: records in the stage's last batch. */
  batchSize: 'batch_size',
  /** Gauge, stage `score`: duration of the last `session.run`, milliseconds. */
  modelMs: 'model_ms',
  /** Counter, stage `views`: events a view's `filter` left out. */
  filteredRecords: 'filtered_records',
  /** Counter, stage `views`: events without a value for the view's key. */
  unkeyedRecords: 'unkeyed_records',
  /** Counter, stage `views`: events of a key that came on a second partition (the producer does not key by the view's key; see pipeline/README.md). */
  splitKeys: 'split_keys',
  /** Counter, stage `views`: prediction rows of the models bound to a view. */
  predictions: 'predictions',
  /** Counter, stage `views`: ticks whose windows could not be scored (stored without predictions). */
  scoringFailures: 'scoring_failures',
} as const;

/** The service name under which agents send their own counters as metric points on `metrics.v1`. */
export const AGENT_SERVICE = 'tributary-agent';
