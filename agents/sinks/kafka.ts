/**
 * Kafka sink: event batches from the sources in, records on `logs.v1` / `metrics.v1` out, produced
 * with acks=all through an idempotent producer (our own, core/kafka/producer.ts, by default; kafkajs
 * with `client: 'kafkajs'`), compressed, keyed per DESIGN.md (see `KeyStrategy`), with a
 * `traceparent` header. Each batch's `onDelivered` runs only once its events are durable: acknowledged
 * by Kafka, or fsynced into the optional disk buffer. While Kafka is unreachable events wait in a
 * bounded memory buffer, then in the bounded disk buffer, then `send` waits (backpressure).
 *
 * This file takes batches in and applies backpressure; what waits is held in sink-queue.ts, and one
 * delivery loop drains it: native-delivery.ts (our producer, several requests in flight) or
 * kafkajs-delivery.ts (the fallback, one request at a time). Wire and producer messages are made
 * in wire.ts, log keys and record encoding in log-wire.ts.
 */
import type { TlsSetting } from '../../core/kafka/security.ts';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_PROTOBUF, HEADERS, TOPICS, type LogEncoding } from '../../core/contracts/topics.ts';
import { SCHEMA_VERSION, type LogRecord } from '../../core/contracts/records.ts';
import type { Logger } from '../../core/log.ts';
import type { EventBatch } from '../source.ts';
import { withDefaults } from '../../core/defaults.ts';
import { newTraceparent, traceparentOf, tracer } from '../../core/telemetry.ts';
import { DiskBuffer } from './disk-buffer.ts';
import type { KeyStrategy } from './log-wire.ts';
import { encodedSize, Wire, type EncodedEntry } from './wire.ts';
import { readTopicTimes, RetentionGuard, TimestampClamp } from './retention-guard.ts';
import { SinkQueue, type Delivery, type KafkaSinkStats } from './sink-queue.ts';
import { NativeDelivery } from './native-delivery.ts';

export { logKeyFor, recordTimeMs, type KeyStrategy } from './log-wire.ts';
export { type KafkaSinkStats } from './sink-queue.ts';

export type Compression = 'lz4' | 'gzip' | 'none';

/** Which producer sends: our own (`native`, the default) or kafkajs (the fallback, opt-in). */
export type KafkaClientName = 'native' | 'kafkajs';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  logsTopic?: string;
  metricsTopic?: string;
  compression?: Compression;
  /** Most events in one produce request. */
  batchMaxEvents?: number;
  /** Most value bytes (before compression) in one produce request. */
  batchMaxBytes?: number;
  /** How long to wait for more events before sending a partial batch. */
  lingerMs?: number;
  /** Bound of the in-memory buffer in events; past it events go to disk or `send` waits. */
  maxBufferedEvents?: number;
  /** Bound of the in-memory buffer in bytes. */
  maxBufferedBytes?: number;
  /** A record whose JSON is larger than this has its body truncated (marked and counted), so Kafka never refuses it. */
  maxRecordBytes?: number;
  /** TLS: on (the system's CAs, or KAFKA_SSL_* from the environment), or the config's own files read (`kafka.tls`). */
  ssl?: TlsSetting;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** Optional disk buffer: folder and bound in bytes. */
  diskBuffer?: { dir: string; maxBytes: number; segmentBytes?: number };
  /** Producer client: `native` (our own, the default) or `kafkajs` (the fallback). */
  client?: KafkaClientName;
  /** Key of log records; `service` by default. */
  key?: KeyStrategy;
  /** How log records are written: JSON (the default) or OTLP protobuf (`otlp_proto`, core/contracts/otlp-log.ts). Metric points stay JSON. */
  encoding?: LogEncoding;
  /** Most log records in one message (`otlp_proto` only; 1, the default, writes one per message). */
  recordsPerMessage?: number;
  /** Produce calls awaiting their acknowledgement at once (native client). */
  maxInFlight?: number;
  requestTimeoutMs?: number;
  /** How often the logs topic's retention is read again (default 10 minutes), so a raised one is noticed. */
  retentionRereadMs?: number;
}

/** The sink's options with their defaults filled in (ssl, sasl and the disk buffer stay optional). */
export type SinkSettings = Required<Omit<KafkaSinkOptions, 'diskBuffer' | 'ssl' | 'sasl'>> & Pick<KafkaSinkOptions, 'diskBuffer' | 'ssl' | 'sasl'>;

const batchTracer = tracer('tributary.agent');

function endSpanOnDelivery(span: Span, onDelivered: EventBatch['onDelivered']): NonNullable<EventBatch['onDelivered']> {
  return (status) => {
    if (status?.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `Kafka refused ${status.failed} record(s) for good` });
    span.end();
    onDelivered?.(status);
  };
}

export class KafkaSink {
  private readonly retention: RetentionGuard;
  private readonly clamp: TimestampClamp;
  /** The latest read of the logs topic's settings (tests wait on it). */
  retentionRead: Promise<void> = Promise.resolve();
  private retentionTimer?: NodeJS.Timeout;
  private readonly o: SinkSettings;
  /** The memory queue, the disk buffer and the counters, which the delivery loop drains (sink-queue.ts). */
  private readonly sq: SinkQueue;
  readonly stats: KafkaSinkStats;
  /** The loop that sends: our own producer (native-delivery.ts) or kafkajs (kafkajs-delivery.ts). */
  private delivery?: Delivery;
  private lastWaitLog = 0;
  private eluMark = performance.eventLoopUtilization();

  /** How busy the record threads were since the last look (0..1, their average), when the agent has them. */
  recordThreadsBusy?: () => number | undefined;

  /**
   * Who the wait is for, said honestly: Kafka (not acknowledging, or acknowledging slower than the
   * input while this process has time to spare) or this process itself (its main thread, or its
   * record threads on average, busy nearly all the time since the last look: parsing, redaction,
   * serialising and encoding are the bottleneck).
   */
  whoIsSlow(): { bottleneck: 'kafka-unavailable' | 'kafka' | 'agent-cpu'; mainThreadBusy: number; recordThreadsBusy?: number; requestsInFlight: number; lastError?: string } {
    const now = performance.eventLoopUtilization();
    const busy = Math.round(performance.eventLoopUtilization(now, this.eluMark).utilization * 100) / 100;
    this.eluMark = now;
    const threads = this.recordThreadsBusy?.();
    const threadsBusy = threads === undefined ? undefined : Math.round(threads * 100) / 100;
    const bottleneck = this.stats.lastError !== undefined ? 'kafka-unavailable' : busy >= 0.9 || (threadsBusy ?? 0) >= 0.9 ? 'agent-cpu' : 'kafka';
    return { bottleneck, mainThreadBusy: busy, ...(threadsBusy !== undefined ? { recordThreadsBusy: threadsBusy } : {}), requestsInFlight: this.delivery?.requestsInFlight ?? 0, ...(this.stats.lastError ? { lastError: this.stats.lastError } : {}) };
  }

  constructor(
    options: KafkaSinkOptions,
    private readonly log: Logger,
  ) {
    this.o = withDefaults(
      {
        clientId: 'tributary-agent',
        logsTopic: TOPICS.logs.name,
        metricsTopic: TOPICS.metrics.name,
        compression: 'lz4' as Compression,
        batchMaxEvents: 5000,
        batchMaxBytes: 900 * 1024,
        lingerMs: 20,
        maxBufferedEvents: 10_000,
        maxBufferedBytes: 64 * 1024 * 1024,
        maxRecordBytes: 900 * 1024,
        client: 'native' as KafkaClientName,
        key: 'service_host' as KeyStrategy,
        encoding: 'json' as LogEncoding,
        recordsPerMessage: 1,
        maxInFlight: 5,
        requestTimeoutMs: 30_000,
      },
      options,
    ) as SinkSettings;
    this.sq = new SinkQueue(new Wire(this.o, (r, bytes) => this.noteTruncated(r, bytes)));
    this.stats = this.sq.stats;
    this.retention = new RetentionGuard(this.log, (n) => (this.stats.pastRetention += n));
    this.clamp = new TimestampClamp(this.log, (n) => (this.stats.clampedTimestamps += n));
  }

  async start(): Promise<void> {
    if (this.o.diskBuffer) {
      this.sq.disk = new DiskBuffer(this.o.diskBuffer, this.log);
      this.sq.refreshDiskStats();
    }
    // In the background: the agent never waits on it, and an agent not allowed to read topic configs ships
    // unguarded. Read again now and then, so that the fix the guard's warning names silences it; a read
    // that fails keeps what the last one found.
    const readNow = () => {
      this.retentionRead = readTopicTimes({ brokers: this.o.brokers, ssl: this.o.ssl, sasl: this.o.sasl }, this.o.logsTopic).then(
        (r) => {
          this.retention.set(r.retention);
          this.clamp.set(r.limits);
        },
        (err: Error) => this.log.debug({ topic: this.o.logsTopic, err: err.message }, "Could not read the logs topic's settings; records older than its retention are not counted, and Kafka 4's one hour is assumed for timestamps ahead, until a later read succeeds."),
      );
    };
    readNow();
    this.retentionTimer = setInterval(readNow, this.o.retentionRereadMs ?? 10 * 60_000);
    this.retentionTimer.unref();
    // kafkajs (about 50 ms of CPU and 6 MB to load) only for an agent that asks for it.
    const delivery = this.o.client === 'native' ? new NativeDelivery(this.sq, this.o, this.log) : new (await import('./kafkajs-delivery.ts')).KafkajsDelivery(this.sq, this.o, this.log);
    await delivery.start();
    this.delivery = delivery;
  }

  /**
   * Queues a batch. Waits while memory (and the disk buffer, when configured) is full: that wait is
   * the backpressure that pauses the source.
   */
  async send(batch: EventBatch): Promise<void> {
    const count = batch.encoded ? batch.encoded.count : batch.events.length;
    if (count === 0) {
      batch.onDelivered?.();
      return;
    }
    // One span per batch, from here until its events are durable; its context rides in every record's
    // header, which is how the worker's batch span links back to it. Without an SDK the span is a no-op.
    const span = batchTracer.startSpan('tributary.agent.batch', { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': count } });
    const tracing = span.isRecording();
    const onDelivered = tracing ? endSpanOnDelivery(span, batch.onDelivered) : batch.onDelivered;
    const headers = { [HEADERS.traceparent]: traceparentOf(span) ?? newTraceparent(), [HEADERS.contentType]: CONTENT_TYPE_JSON, [HEADERS.schemaVersion]: String(SCHEMA_VERSION) };
    const logHeaders = this.o.encoding === 'otlp_proto' ? { ...headers, [HEADERS.contentType]: CONTENT_TYPE_PROTOBUF } : headers;
    // Log records built one by one (stdin, OTLP, pino, a failed thread's batch) are encoded here as a
    // record thread encodes a batch: the same bytes for less CPU than a message object per record.
    const batchEncoded = batch.encoded ?? this.sq.w.encodeEvents(batch.events);
    const encoded: EncodedEntry | undefined = batchEncoded ? { e: batchEncoded, headers: logHeaders, ownTraces: !tracing } : undefined;
    let messages = encoded ? undefined : this.sq.w.fromEvents(batch.events, logHeaders, headers, !tracing);
    // An event is a record, packed or not; an encoded batch's messages hold `lines` records each when packed.
    const records = encoded?.e.lines ? encoded.e.lines.reduce((a, b) => a + b, 0) : count;
    // The Kafka timestamps the records already carry (the event times), not parsed again; one the topic
    // would refuse (far in the future) becomes the time of sending, so its batch is not refused whole.
    const now = Date.now();
    if (encoded) {
      this.clamp.clamp(encoded.e.times, encoded.e.count, now, encoded.e.lines);
      this.retention.check(encoded.e.times, encoded.e.count, now, encoded.e.lines);
    } else {
      const logs = messages!.filter((m) => m.topic === 'logs');
      const times = logs.map((m) => Number(m.timestamp));
      const weights = this.sq.w.packs ? logs.map((m) => m.records ?? 1) : undefined;
      if (this.clamp.clamp(times, logs.length, now, weights) > 0) for (let i = 0; i < logs.length; i++) logs[i]!.timestamp = String(times[i]);
      this.retention.check(times, logs.length, now, weights);
    }
    let bytes = 0;
    if (encoded) {
      const e = encoded.e;
      for (const t of e.truncated) this.noteTruncated(t, t.bytes);
      for (let i = 0; i < e.count; i++) bytes += encodedSize(e, i);
    } else {
      for (const m of messages!) bytes += m.value.length + m.key.length;
    }
    const sq = this.sq;
    for (;;) {
      // Once anything is on disk, newer events go there too, so order is kept.
      const memoryFull = this.stats.buffered >= this.o.maxBufferedEvents || this.stats.bufferedBytes + bytes > this.o.maxBufferedBytes;
      if (sq.disk && (memoryFull || !sq.disk.empty)) {
        const first = sq.disk.empty;
        if (first) sq.spillMemory();
        messages ??= sq.w.fromEncoded(encoded!);
        if (sq.disk.append(messages)) {
          this.stats.spilled += records;
          sq.refreshDiskStats();
          if (first) this.log.warn({ diskBuffered: sq.disk.records, diskBufferedBytes: sq.disk.bytes }, 'The memory buffer is full; spilling to the disk buffer.');
          sq.wake();
          onDelivered?.();
          return;
        }
        this.stats.diskRefusals++;
      } else if (!memoryFull || sq.closing || this.stats.buffered === 0) {
        break;
      }
      this.stats.backpressureWaits++;
      if (!sq.waitingLogged && Date.now() - this.lastWaitLog > 60_000) {
        sq.waitingLogged = true;
        this.lastWaitLog = Date.now();
        const who = this.whoIsSlow();
        const why = { 'kafka-unavailable': 'Kafka is not acknowledging', kafka: 'Kafka acknowledges slower than the input arrives', 'agent-cpu': "the agent's own processing is the bottleneck (its main thread or record threads are busy; Kafka keeps up)" }[who.bottleneck];
        this.log.warn({ buffered: this.stats.buffered, bufferedBytes: this.stats.bufferedBytes, diskBufferedBytes: sq.disk?.bytes, ...who }, `The agent buffers are full; reading is paused until they drain: ${why}.`);
      }
      await new Promise<void>((resolve) => sq.roomWaiters.push(resolve));
    }
    sq.queue.push({ onDelivered, count: messages ? messages.length : count, records, ...(messages ? { messages } : { encoded }), bytes, next: 0, acked: 0, failed: 0 });
    this.stats.buffered += records;
    this.stats.bufferedBytes += bytes;
    sq.wake();
  }

  /** Resolves when every event in memory and on disk was acknowledged. */
  async flush(): Promise<void> {
    const sq = this.sq;
    while (sq.queue.length > 0 || (sq.disk && !sq.disk.empty)) {
      await new Promise<void>((resolve) => {
        sq.idleWaiters.push(resolve);
        sq.wake();
      });
    }
  }

  /** Flushes, then disconnects. With a disk buffer, `flushTimeoutMs` bounds the wait: what is on disk survives a restart. */
  async close(opts: { flushTimeoutMs?: number } = {}): Promise<void> {
    const sq = this.sq;
    clearInterval(this.retentionTimer);
    if (opts.flushTimeoutMs !== undefined && sq.disk) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, opts.flushTimeoutMs).unref())]);
      // What is still in memory must reach disk before we go.
      for (const q of sq.queue.splice(0)) {
        // What Kafka has not acknowledged (produce calls under way included) goes to disk.
        const rest = sq.wire(q).slice(q.acked);
        if (rest.length && sq.disk.append(rest)) q.onDelivered?.();
      }
    } else {
      await this.flush();
    }
    sq.closing = true;
    sq.wake();
    sq.freeRoom();
    await this.delivery?.close();
    sq.disk?.close();
  }

  /** Counts and logs a record whose body was cut to fit `maxRecordBytes`. */
  private noteTruncated(r: Pick<LogRecord, 'service' | 'origin'>, bytes: number): void {
    this.stats.truncated++;
    this.log.warn({ service: r.service, origin: r.origin, bytes }, 'A record was larger than max_record_bytes; its body was truncated and marked tributary.truncated.');
  }
}
