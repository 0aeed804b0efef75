/** Topic names, their layout, and the headers every record carries. */

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Replication factor on a real cluster; the local single broker always uses 1. */
  replicationFactor: number;
  retentionMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPICS = {
  logs: { name: 'logs.v1', partitions: 6, replicationFactor: 3, retentionMs: 7 * DAY_MS },
  metrics: { name: 'metrics.v1', partitions: 3, replicationFactor: 3, retentionMs: 7 * DAY_MS },
  dlq: { name: 'dlq.v1', partitions: 1, replicationFactor: 3, retentionMs: 30 * DAY_MS },
} as const satisfies Record<string, TopicSpec>;

export const HEADERS = {
  traceparent: 'traceparent',
  contentType: 'content-type',
  schemaVersion: 'tributary-schema',
} as const;

export const CONTENT_TYPE_JSON = 'application/json';
/** A log record in the `otlp_proto` encoding (`otlp-log.ts`): an OTLP ExportLogsServiceRequest. */
export const CONTENT_TYPE_PROTOBUF = 'application/x-protobuf';

/** How an agent writes log records: JSON (`records.ts`, the default) or OTLP protobuf (`otlp-log.ts`). */
export type LogEncoding = 'json' | 'otlp_proto';
