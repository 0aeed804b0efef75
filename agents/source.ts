/**
 * The contract between the agent's sources and its sink. A source turns what it reads into events
 * and hands them over in batches; `emit` resolves when the sink has room (that is the backpressure),
 * and `onDelivered` runs once Kafka acknowledged every event of the batch, which is when a source may
 * move its checkpoint.
 */
import type { Logger } from '../core/log.ts';
import type { LogRecord, MetricPoint, RecordOrigin } from '../core/contracts/records.ts';
import type { EncodedLogs } from './line-batch.ts';

export type AgentEvent = { type: 'log'; record: LogRecord } | { type: 'metric'; point: MetricPoint };

/** How a batch ended: every event durable (acknowledged by Kafka, or fsynced to the disk buffer), except `failed` ones Kafka refused for good (dropped, logged and counted). */
export interface DeliveryStatus {
  failed: number;
}

export interface EventBatch {
  events: AgentEvent[];
  /** Log records a record thread already built and encoded (agents/line-batch.ts, on a record thread: agents/record-pool.ts); sent instead of `events`. */
  encoded?: EncodedLogs;
  /** Called once, after Kafka acknowledged every event of the batch (or refused some for good: `status.failed`). */
  onDelivered?: (status?: DeliveryStatus) => void;
}

/** A raw line and where it came from, before parsing. */
export interface RawLine {
  text: string;
  origin: RecordOrigin;
  /** Service and host of this source; a parsed field may override them. */
  service: string;
  host: string;
  observedMs: number;
  /** The event time its transport gave (milliseconds; Fluent Forward's): wins over the time the parser reads, as a wrapper's does. */
  timeMs?: number;
  /** A time its transport gave that stands only where the line has none of its own (a shipper's time of reading: Filebeat's `@timestamp`). */
  fallbackTimeMs?: number;
  /**
   * The directives in force above this line in its file (W3C's `#Fields:`, Zeek's header; '' for none),
   * when the source knows them; otherwise the builder follows the directive lines it is given.
   */
  header?: string;
  /** The source's own attributes, added to the record's (a source's value wins over the line's); read, never written, so one object may serve many lines. */
  attributes?: Record<string, string>;
}

export interface SourceContext {
  emit(batch: EventBatch): Promise<void>;
  /** Parses, redacts and shapes one line into a log record (the agent's transform chain). */
  toRecord(line: RawLine): LogRecord;
  /** Redacts a record that arrived already structured (OTLP, pino); returns it. */
  redact(record: LogRecord): LogRecord;
  log: Logger;
}

export interface Source {
  readonly name: string;
  /** Starts reading; resolves once the source is running (not when it ends). */
  start(ctx: SourceContext): Promise<void>;
  /** Stops reading new data; in-flight batches may still be delivered. */
  pause(): Promise<void>;
  /** Final stop, after the sink flushed: persist checkpoints and release files. */
  stop(): Promise<void>;
  /** Resolves when a finite source (stdin) has read everything. */
  readonly done?: Promise<void>;
}
