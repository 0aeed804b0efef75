/**
 * The wire contract between agents and workers: what a record on `logs.v1` and `metrics.v1` holds.
 * Values are UTF-8 JSON, one object per Kafka record; the Kafka timestamp is the event time.
 * The shape follows the OpenTelemetry log data model, flattened so that a consumer that is not ours
 * (kcat, Kafka's console consumer) can read it.
 */

export const SCHEMA_VERSION = 1;

/** Where a log record came from, so that a replayed record can be recognised as a duplicate. */
export interface RecordOrigin {
  /** `file`, `stdin`, `otlp`, `pino`, `generator`, `syslog`, `gelf`, `forward`, `splunk_hec` and `elasticsearch` (network intakes), `journald`. */
  kind: 'file' | 'stdin' | 'otlp' | 'pino' | 'generator' | 'syslog' | 'gelf' | 'forward' | 'splunk_hec' | 'elasticsearch' | 'journald';
  /** Path of the file, for `file`. */
  path?: string;
  /** File identity (device, inode and a hash of the first bytes), for `file`. */
  fingerprint?: string;
  /** Byte offset of the first byte of the record in the file, for `file`; a sequence number otherwise. */
  offset?: number;
}

/** One log record, as it travels on `logs.v1`. */
export interface LogRecord {
  /** Schema version of this record (`SCHEMA_VERSION`). */
  v: number;
  /** Event time, RFC 3339 in UTC with up to nine fractional digits. */
  time: string;
  /** When the agent read the record, RFC 3339 in UTC. */
  observed_time: string;
  service: string;
  host: string;
  /** Severity as written by the source (`ERROR`, `warn`, ...), upper-cased; `UNSPECIFIED` when unknown. */
  severity_text: string;
  /** OpenTelemetry severity number, 1 (TRACE) to 24 (FATAL4); 0 when unknown. */
  severity_number: number;
  body: string;
  attributes: Record<string, string>;
  /** Resource attributes; an agent leaves the field out when there are none (readers take `{}`). */
  resource?: Record<string, string>;
  /** W3C trace id (32 hex); left out (or empty) when the record has none. */
  trace_id?: string;
  /** W3C span id (16 hex); left out (or empty) when the record has none. */
  span_id?: string;
  origin: RecordOrigin;
}

export type MetricKind = 'gauge' | 'counter' | 'histogram';

/** One metric point, as it travels on `metrics.v1`. */
export interface MetricPoint {
  v: number;
  /** Event time, RFC 3339 in UTC. */
  time: string;
  service: string;
  host: string;
  name: string;
  kind: MetricKind;
  value: number;
  unit: string;
  labels: Record<string, string>;
}

/** What a record on `dlq.v1` holds: the reason, where it came from, and the original bytes. */
export interface DeadLetter {
  v: number;
  reason: string;
  /** Stage that refused it: `decode`, `validate`, `store`, ... */
  stage: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  /** The original value, base64. */
  original_base64: string;
  /** The original key, base64, or null. */
  original_key_base64: string | null;
  time: string;
}

/**
 * Kafka record keys. `logKey` is the agent's `service` key strategy (one service on one partition);
 * its default is `service|host` (agents/sinks/kafka.ts `logKeyFor`), since the worker merges a
 * service's windows across partitions. Metrics: `service|host`, one series ordered on one partition.
 */
export function logKey(record: Pick<LogRecord, 'service'>): string {
  return record.service;
}

export function metricKey(point: Pick<MetricPoint, 'service' | 'host'>): string {
  return `${point.service}|${point.host}`;
}

/** OpenTelemetry severity numbers for the usual severity words (the first number of each range). */
export const SEVERITY_NUMBERS: Readonly<Record<string, number>> = {
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  NOTICE: 10,
  WARN: 13,
  WARNING: 13,
  ERROR: 17,
  ERR: 17,
  CRITICAL: 21,
  CRIT: 21,
  ALERT: 22,
  EMERG: 23,
  FATAL: 21,
  PANIC: 21,
};

/** Maps a severity word to its OpenTelemetry number; 0 (unspecified) when unknown. */
export function severityNumber(text: string): number {
  return SEVERITY_NUMBERS[text.toUpperCase()] ?? 0;
}

/** The canonical severity word for an OpenTelemetry severity number. */
export function severityText(n: number): string {
  if (n <= 0) return 'UNSPECIFIED';
  if (n <= 4) return 'TRACE';
  if (n <= 8) return 'DEBUG';
  if (n <= 12) return 'INFO';
  if (n <= 16) return 'WARN';
  if (n <= 20) return 'ERROR';
  return 'FATAL';
}
