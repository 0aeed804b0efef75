/**
 * Kafka sink: event batches from the sources in, records on `logs.v1` / `metrics.v1` out, produced
 * with acks=all through an idempotent producer (our own, core/kafka/producer.ts, by default; kafkajs
 * with `client: 'kafkajs'`), compressed, keyed per DESIGN.md (see `KeyStrategy`), with a
 * `traceparent` header. Each batch's `onDelivered` runs only once its events are durable: acknowledged
 * by Kafka, or fsynced into the optional disk buffer. While Kafka is unreachable events wait in a
 * bounded memory buffer, then in the bounded disk buffer, then `send` waits (backpressure).
 */
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { Partitioners, type ICustomPartitioner, type Producer, type Message } from 'kafkajs';
import { createKafka, CompressionTypes, saslFromEnv, sslFromEnv } from '../../core/kafka/client.ts';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_PROTOBUF, HEADERS, TOPICS, type LogEncoding } from '../../core/contracts/topics.ts';
import { SCHEMA_VERSION, type LogRecord } from '../../core/contracts/records.ts';
import { type Logger } from '../../core/log.ts';
import { type EventBatch } from '../source.ts';
import { withDefaults } from '../../core/defaults.ts';
import { TributaryError } from '../../core/errors.ts';
import { newTraceparent, traceparentOf, tracer } from '../../core/telemetry.ts';
import { KafkaProducer, KafkaError, type ProducerMessage, type SendResult } from '../../core/kafka/producer.ts';
import { DiskBuffer, type WireMessage } from './disk-buffer.ts';
import { type KeyStrategy } from './log-wire.ts';
import { encodedSize, recordsOf, Wire, type EncodedEntry } from './wire.ts';
import { readRetention, RetentionGuard } from './retention-guard.ts';

export { logKeyFor, recordTimeMs, type KeyStrategy } from './log-wire.ts';

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
  ssl?: boolean;
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

export interface KafkaSinkStats {
  /** Events acknowledged by Kafka. */
  sent: number;
  batches: number;
  retries: number;
  /** Events in memory, not yet acknowledged. */
  buffered: number;
  bufferedBytes: number;
  /** Events in the disk buffer, not yet acknowledged. */
  diskBuffered: number;
  diskBufferedBytes: number;
  /** Events written to the disk buffer, ever. */
  spilled: number;
  /** Times `send` had to wait for room (the sources were paused). */
  backpressureWaits: number;
  /** Appends the full disk buffer refused. */
  diskRefusals: number;
  /** Records whose body was cut to fit `maxRecordBytes`. */
  truncated: number;
  /** Events dropped, ever (Kafka refused them for good, or a disk record failed its checksum); each one logged. */
  dropped: number;
  /** Log records sent with an event time older than the logs topic keeps (retention-guard.ts): Kafka deletes them within minutes. */
  pastRetention: number;
  lastError?: string;
}

const COMPRESSION: Record<Compression, number> = {
  lz4: CompressionTypes.LZ4,
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
};

/**
 * kafkajs's default (murmur2) partitioner, remembered per key Buffer: the records of a batch share a
 * few key Buffers (see `keyBuffer`), so the hash and kafkajs's per-message scan of the partition list
 * run once per key and partition count instead of once per record. Same partitions as the default.
 */
export const memoDefaultPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const memo = new Map<string, { partitions: number; byKey: WeakMap<Buffer, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    const key = message.key;
    if ((message.partition !== null && message.partition !== undefined) || !Buffer.isBuffer(key)) return partitioner(args);
    let m = memo.get(topic);
    if (!m || m.partitions !== partitionMetadata.length) {
      m = { partitions: partitionMetadata.length, byKey: new WeakMap() };
      memo.set(topic, m);
    }
    let p = m.byKey.get(key);
    if (p === undefined) {
      p = partitioner(args);
      m.byKey.set(key, p);
    }
    return p;
  };
};

const batchTracer = tracer('tributary.agent');

/**
 * Records in messages `from` to `from + n` of a queue entry: one per message, unless messages hold
 * several (`kafka.records_per_message`: `EncodedLogs.lines`, or `WireMessage.records`). The sink's
 * counters (buffered, sent, dropped, spilled) count records, so they compare with what sources read.
 */
function recordsIn(q: Queued, from: number, n: number): number {
  if (q.records === q.count) return n;
  const lines = q.encoded?.e.lines;
  let sum = 0;
  if (lines) for (let i = from; i < from + n; i++) sum += lines[i]!;
  else for (let i = from; i < from + n; i++) sum += q.messages![i]!.records ?? 1;
  return sum;
}

function endSpanOnDelivery(span: Span, onDelivered: EventBatch['onDelivered']): NonNullable<EventBatch['onDelivered']> {
  return (status) => {
    if (status?.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `Kafka refused ${status.failed} record(s) for good` });
    span.end();
    onDelivered?.(status);
  };
}

interface Queued {
  /** Only the batch's callback is kept: the events themselves are garbage once serialized. */
  onDelivered?: EventBatch['onDelivered'];
  /** Messages of this batch. */
  count: number;
  /** Log records (and metric points) its messages hold: `count`, unless messages hold several (`kafka.records_per_message`). */
  records: number;
  /**
   * The wire messages. A batch a record thread encoded keeps its columns instead (`encoded`), which
   * the native producer reads directly; these are made from them only when needed (disk, kafkajs, a
   * refusal to log).
   */
  messages?: WireMessage[];
  encoded?: EncodedEntry;
  bytes: number;
  /** Messages of this batch Kafka refused for good. */
  failed: number;
  /** Messages of this batch not yet handed to a produce request. */
  next: number;
  /** Messages of this batch acknowledged so far. */
  acked: number;
}

/** What one producer call took from the memory queue: from which batch, from where, how many records and bytes. */
type Taken = Array<{ q: Queued; from: number; count: number; bytes: number }>;

export class KafkaSink {
  private readonly retention: RetentionGuard;
  /** The latest read of the logs topic's settings (tests wait on it). */
  retentionRead: Promise<void> = Promise.resolve();
  private retentionTimer?: NodeJS.Timeout;
  readonly stats: KafkaSinkStats = {
    sent: 0, batches: 0, retries: 0, buffered: 0, bufferedBytes: 0, diskBuffered: 0, diskBufferedBytes: 0, spilled: 0,
    backpressureWaits: 0, diskRefusals: 0, truncated: 0, dropped: 0, pastRetention: 0,
  };
  private readonly o: Required<Omit<KafkaSinkOptions, 'diskBuffer' | 'ssl' | 'sasl'>> & Pick<KafkaSinkOptions, 'diskBuffer' | 'ssl' | 'sasl'>;
  private producer?: Producer;
  private native?: KafkaProducer;
  /** Native produce calls awaiting their acknowledgement, oldest first (credited in this order). */
  private readonly pending: Array<{ taken: Taken; count: number; bytes: number; result?: SendResult; dropped?: number }> = [];
  private readonly queue: Queued[] = [];
  private disk?: DiskBuffer;
  private wakeSender?: () => void;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private sender?: Promise<void>;
  private closing = false;
  private waitingLogged = false;
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
    return { bottleneck, mainThreadBusy: busy, ...(threadsBusy !== undefined ? { recordThreadsBusy: threadsBusy } : {}), requestsInFlight: this.pending.length, ...(this.stats.lastError ? { lastError: this.stats.lastError } : {}) };
  }
  /** Largest batch Kafka accepted after a MESSAGE_TOO_LARGE, so a big batch is split rather than retried whole. */
  private batchLimit: number;

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
    ) as KafkaSink['o'];
    this.batchLimit = this.o.batchMaxEvents;
    this.w = new Wire(this.o, (r, bytes) => this.noteTruncated(r, bytes));
    this.retention = new RetentionGuard(this.log, (n) => (this.stats.pastRetention += n));
  }

  async start(): Promise<void> {
    if (this.o.diskBuffer) {
      this.disk = new DiskBuffer(this.o.diskBuffer, this.log);
      this.refreshDiskStats();
    }
    // In the background: the agent never waits on it, and an agent not allowed to read topic configs ships
    // unguarded. Read again now and then, so that the fix the guard's warning names silences it; a read
    // that fails keeps what the last one found.
    const readNow = () => {
      this.retentionRead = readRetention({ brokers: this.o.brokers, ...(this.o.ssl ? { ssl: true } : {}), ...(this.o.sasl ? { sasl: this.o.sasl as never } : {}) }, this.o.logsTopic).then(
        (r) => this.retention.set(r),
        (err: Error) => this.log.debug({ topic: this.o.logsTopic, err: err.message }, "Could not read the logs topic's retention; records older than it are not counted until a later read succeeds."),
      );
    };
    readNow();
    this.retentionTimer = setInterval(readNow, this.o.retentionRereadMs ?? 10 * 60_000);
    this.retentionTimer.unref();
    if (this.o.client === 'native') return this.startNative();
    const kafka = createKafka({
      brokers: this.o.brokers,
      clientId: this.o.clientId,
      retries: 5,
      ...(this.o.ssl ? { ssl: true } : {}),
      ...(this.o.sasl ? { sasl: this.o.sasl as never } : {}),
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: memoDefaultPartitioner });
    this.sender = this.run();
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
    const encoded: EncodedEntry | undefined = batch.encoded ? { e: batch.encoded, headers: logHeaders, ownTraces: !tracing } : undefined;
    let messages = encoded ? undefined : this.w.fromEvents(batch.events, logHeaders, headers, !tracing);
    // An event is a record, packed or not; an encoded batch's messages hold `lines` records each when packed.
    const records = encoded?.e.lines ? encoded.e.lines.reduce((a, b) => a + b, 0) : count;
    // The Kafka timestamps the records already carry (the event times), not parsed again.
    if (encoded) this.retention.check(encoded.e.times, encoded.e.count, undefined, encoded.e.lines);
    else if (this.retention.active) {
      const logs = messages!.filter((m) => m.topic === 'logs');
      this.retention.check(logs.map((m) => Number(m.timestamp)), logs.length, undefined, this.w.packs ? logs.map((m) => m.records ?? 1) : undefined);
    }
    let bytes = 0;
    if (encoded) {
      const e = encoded.e;
      for (const t of e.truncated) this.noteTruncated(t, t.bytes);
      for (let i = 0; i < e.count; i++) bytes += encodedSize(e, i);
    } else {
      for (const m of messages!) bytes += m.value.length + m.key.length;
    }
    for (;;) {
      // Once anything is on disk, newer events go there too, so order is kept.
      const memoryFull = this.stats.buffered >= this.o.maxBufferedEvents || this.stats.bufferedBytes + bytes > this.o.maxBufferedBytes;
      if (this.disk && (memoryFull || !this.disk.empty)) {
        const first = this.disk.empty;
        if (first) this.spillMemory();
        messages ??= this.w.fromEncoded(encoded!);
        if (this.disk.append(messages)) {
          this.stats.spilled += records;
          this.refreshDiskStats();
          if (first) this.log.warn({ diskBuffered: this.disk.records, diskBufferedBytes: this.disk.bytes }, 'The memory buffer is full; spilling to the disk buffer.');
          this.wakeSender?.();
          onDelivered?.();
          return;
        }
        this.stats.diskRefusals++;
      } else if (!memoryFull || this.closing || this.stats.buffered === 0) {
        break;
      }
      this.stats.backpressureWaits++;
      if (!this.waitingLogged && Date.now() - this.lastWaitLog > 60_000) {
        this.waitingLogged = true;
        this.lastWaitLog = Date.now();
        const who = this.whoIsSlow();
        const why = { 'kafka-unavailable': 'Kafka is not acknowledging', kafka: 'Kafka acknowledges slower than the input arrives', 'agent-cpu': "the agent's own processing is the bottleneck (its main thread or record threads are busy; Kafka keeps up)" }[who.bottleneck];
        this.log.warn({ buffered: this.stats.buffered, bufferedBytes: this.stats.bufferedBytes, diskBufferedBytes: this.disk?.bytes, ...who }, `The agent buffers are full; reading is paused until they drain: ${why}.`);
      }
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.queue.push({ onDelivered, count: messages ? messages.length : count, records, ...(messages ? { messages } : { encoded }), bytes, next: 0, acked: 0, failed: 0 });
    this.stats.buffered += records;
    this.stats.bufferedBytes += bytes;
    this.wakeSender?.();
  }

  /** Resolves when every event in memory and on disk was acknowledged. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || (this.disk && !this.disk.empty)) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.wakeSender?.();
      });
    }
  }

  /** Flushes, then disconnects. With a disk buffer, `flushTimeoutMs` bounds the wait: what is on disk survives a restart. */
  async close(opts: { flushTimeoutMs?: number } = {}): Promise<void> {
    clearInterval(this.retentionTimer);
    if (opts.flushTimeoutMs !== undefined && this.disk) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, opts.flushTimeoutMs).unref())]);
      // What is still in memory must reach disk before we go.
      for (const q of this.queue.splice(0)) {
        // What Kafka has not acknowledged (produce calls under way included) goes to disk.
        const rest = this.wire(q).slice(q.acked);
        if (rest.length && this.disk.append(rest)) q.onDelivered?.();
      }
    } else {
      await this.flush();
    }
    this.closing = true;
    this.wakeSender?.();
    for (const w of this.roomWaiters.splice(0)) w();
    await this.sender;
    await this.producer?.disconnect();
    await this.native?.close();
    this.disk?.close();
  }

  /**
   * On the first spill, what waits in memory (and is not in a request right now) moves to disk
   * first: it is older than what comes next, and once on disk its sources may checkpoint past it,
   * so a crash during a long outage does not re-read it. All or nothing, so order is kept.
   */
  private spillMemory(): void {
    const movable = this.queue.filter((q) => !this.inFlight.has(q) && q.next === 0);
    if (movable.length === 0) return;
    const messages = movable.flatMap((q) => this.wire(q));
    if (!this.disk!.append(messages)) return;
    const moved = new Set(movable);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((q) => !moved.has(q)));
    for (const q of movable) {
      this.stats.buffered -= q.records;
      this.stats.bufferedBytes -= q.bytes;
      this.stats.spilled += q.records;
      q.onDelivered?.();
    }
    this.refreshDiskStats();
  }

  private refreshDiskStats(): void {
    this.stats.diskBuffered = this.disk?.records ?? 0;
    this.stats.diskBufferedBytes = this.disk?.bytes ?? 0;
    this.stats.dropped += (this.disk?.corrupt ?? 0) - this.countedCorrupt;
    this.countedCorrupt = this.disk?.corrupt ?? 0;
  }

  private countedCorrupt = 0;
  /** Events and encoded batches made into wire and producer messages (wire.ts). */
  private readonly w: Wire;
  /** Queue entries whose messages are in the produce request under way. */
  private readonly inFlight = new Set<Queued>();

  /** A queue entry's wire messages, made from its columns the first time they are needed. */
  private wire(q: Queued): WireMessage[] {
    return (q.messages ??= this.w.fromEncoded(q.encoded!));
  }

  /** Bytes a queue entry's message `i` counts for (value and key, as `send` added them up). */
  private sizeOf(q: Queued, i: number): number {
    return q.messages ? q.messages[i]!.value.length + q.messages[i]!.key.length : encodedSize(q.encoded!.e, i);
  }

  /** Producer messages `from` to `from + n` of a queue entry, appended to `out`: from the columns when it has them. */
  private producerMessages(q: Queued, from: number, n: number, out: ProducerMessage[]): void {
    if (q.messages) {
      for (let i = from; i < from + n; i++) out.push(this.w.toProducerMessage(q.messages[i]!));
      return;
    }
    this.w.encodedMessages(q.encoded!, from, n, out);
  }

  /** Counts and logs a record whose body was cut to fit `maxRecordBytes`. */
  private noteTruncated(r: Pick<LogRecord, 'service' | 'origin'>, bytes: number): void {
    this.stats.truncated++;
    this.log.warn({ service: r.service, origin: r.origin, bytes }, 'A record was larger than max_record_bytes; its body was truncated and marked tributary.truncated.');
  }

  private async run(): Promise<void> {
    let connected = false;
    let backoff = 250;
    while (!this.closing) {
      const diskWaiting = this.disk !== undefined && !this.disk.empty;
      if (this.queue.length === 0 && !diskWaiting) {
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      if (!diskWaiting && this.stats.buffered < this.o.batchMaxEvents && this.stats.bufferedBytes < this.o.batchMaxBytes && this.o.lingerMs > 0 && !this.closing) {
        await new Promise((r) => setTimeout(r, this.o.lingerMs));
      }
      try {
        if (!connected) {
          await this.producer!.connect();
          connected = true;
          if (this.stats.lastError) this.log.info({ brokers: this.o.brokers }, 'Kafka is reachable again; sending what was buffered.');
          this.stats.lastError = undefined;
        }
        if (this.queue.length > 0) await this.sendFromMemory();
        else await this.sendFromDisk();
        backoff = 250;
        if (this.waitingLogged && this.roomWaiters.length === 0) this.waitingLogged = false;
      } catch (err) {
        const e = err as Error & { type?: string; retriable?: boolean };
        const message = e.message;
        if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') {
          if (this.batchLimit > 1) {
            this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
            this.log.warn({ batchLimit: this.batchLimit }, 'Kafka refused a batch as too large; sending smaller batches.');
            continue;
          }
          this.dropFront(message);
          continue;
        }
        if (this.stats.lastError !== message && e.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
          this.log.error({ topics: [this.o.logsTopic, this.o.metricsTopic] }, 'Kafka does not know one of the topics; records wait until it is created (npx tributary stack up creates logs.v1 and metrics.v1).');
        } else if (this.stats.lastError !== message) {
          this.log.warn({ brokers: this.o.brokers, err: message, buffered: this.stats.buffered, diskBuffered: this.disk?.records }, 'Kafka did not acknowledge a batch; holding it and retrying.');
        }
        this.stats.lastError = message;
        this.stats.retries++;
        // A rebuilt connection is cheaper than a wedged one after the broker restarted.
        if (/connect|ECONNREFUSED|Connection|broker|closed|timed? ?out/i.test(message)) {
          connected = false;
          await this.producer!.disconnect().catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }


  // ---- the native producer ---------------------------------------------------------------------

  /**
   * Connects once to learn at start what only a person can fix (a wrong password, a broker too old):
   * those stop the agent with the broker named. An unreachable Kafka does not: records wait in the
   * buffers and the producer keeps trying.
   */
  private async startNative(): Promise<void> {
    // The same settings as every kafkajs client here: the config's, else KAFKA_SSL(_CA_FILE) and KAFKA_SASL_*.
    const ssl = this.o.ssl ? (sslFromEnv({ ...process.env, KAFKA_SSL: '1' }) ?? true) : sslFromEnv();
    const sasl = this.o.sasl ?? (saslFromEnv() as KafkaSinkOptions['sasl']);
    const p = new KafkaProducer({
      brokers: this.o.brokers,
      clientId: this.o.clientId,
      compression: this.o.compression,
      ssl: ssl as boolean | { ca: string[] } | undefined,
      sasl,
      maxInFlight: this.o.maxInFlight,
      requestTimeoutMs: this.o.requestTimeoutMs,
      onRetry: (err) => this.onNativeRetry(err),
    });
    try {
      await p.connect();
    } catch (err) {
      if (err instanceof KafkaError && err.action === 'fatal') {
        await p.close();
        throw new TributaryError(err.type === 'SASL_AUTHENTICATION_FAILED' ? 'KAFKA_AUTH' : err.type === 'TLS' ? 'KAFKA_TLS' : 'CONFIG_INVALID', err.message, { canRetry: false, cause: err });
      }
      this.log.warn({ brokers: this.o.brokers, err: (err as Error).message }, 'Kafka cannot be reached yet; records wait in the buffers and the agent keeps trying.');
      this.stats.lastError = (err as Error).message;
    }
    this.native = p;
    this.sender = this.runNative();
  }

  private onNativeRetry(err: KafkaError): void {
    this.stats.retries++;
    const message = err.message;
    // Once per kind of error until Kafka acknowledges again: partitions are retried one by one, so
    // the messages of one outage alternate ("no leader known for logs.v1/0", "... metrics.v1/2").
    if (this.retryLogged !== err.type) {
      this.retryLogged = err.type;
      if (err.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        this.log.error({ topics: [this.o.logsTopic, this.o.metricsTopic], err: message }, 'Kafka does not know one of the topics; records wait until it is created (npx tributary stack up creates logs.v1 and metrics.v1).');
      } else if (err.action === 'fatal') {
        this.log.error({ brokers: this.o.brokers, err: message, buffered: this.stats.buffered }, 'Kafka refuses this agent (authentication, authorisation or configuration); records are held and retried slowly until that is fixed.');
      } else {
        this.log.warn({ brokers: this.o.brokers, err: message, buffered: this.stats.buffered, diskBuffered: this.disk?.records }, 'Kafka did not acknowledge a batch; holding it and retrying.');
      }
    }
    this.stats.lastError = message;
  }

  /** The kind of the last retry logged since Kafka last acknowledged (see onNativeRetry). */
  private retryLogged?: string;
  /** Records Kafka refused for good (`records` of them in its refused messages): counted and logged (one line per call, with the first reason); `messageAt` gives a sent message again by its index. */
  private countFailed(messageAt: (index: number) => ProducerMessage, result: SendResult, records: number): void {
    if (result.failed.length === 0) return;
    this.stats.dropped += records;
    const first = result.failed[0]!;
    const m = messageAt(first.index);
    this.log.error({ reason: first.error.message, count: result.failed.length, ...(records !== result.failed.length ? { records } : {}), key: m.key?.toString(), bytes: m.value.length }, 'Kafka refused records for good; they were dropped (counted in dropped).');
  }

  private async runNative(): Promise<void> {
    let probeBackoff = 250;
    while (!this.closing) {
      const diskWaiting = this.disk !== undefined && !this.disk.empty;
      const unsent = this.queue.some((q) => q.next < q.count);
      if (!unsent && !diskWaiting) {
        if (this.queue.length === 0 && this.pending.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      if (unsent && this.disk && this.stats.lastError !== undefined) {
        // With a disk buffer, nothing new is handed to a failing Kafka: what waits in memory can then
        // spill to disk and let the sources checkpoint. A probe tells when Kafka answers again.
        if (this.pending.length > 0) {
          await new Promise<void>((resolve) => {
            this.wakeSender = resolve;
            setTimeout(resolve, 1000);
          });
          this.wakeSender = undefined;
          continue;
        }
        try {
          await this.native!.probe([this.o.logsTopic, ...(this.queue.some((q) => q.messages?.some((m) => m.topic === 'metrics')) ? [this.o.metricsTopic] : [])]);
          this.noteAcked();
          probeBackoff = 250;
        } catch (err) {
          this.onNativeRetry(err instanceof KafkaError ? err : new KafkaError((err as Error).message, 'NETWORK', 'refresh'));
          await new Promise((r) => setTimeout(r, probeBackoff));
          probeBackoff = Math.min(probeBackoff * 2, 5000);
        }
        continue;
      }
      if (unsent) {
        if (this.pending.length >= this.o.maxInFlight) {
          await new Promise<void>((resolve) => (this.wakeSender = resolve));
          this.wakeSender = undefined;
          continue;
        }
        let unsentEvents = this.stats.buffered;
        let unsentBytes = this.stats.bufferedBytes;
        for (const p of this.pending) {
          unsentEvents -= p.count;
          unsentBytes -= p.bytes;
        }
        // Requests are under way: a moment's wait makes the next one fuller, unless what waits already
        // fills one. By bytes too: records of 600 bytes fill a request at about 1,500, far below its
        // event limit, and waiting then only left Kafka idle (the agent with parsing off shipped a third
        // more lines/s once it stopped waiting; agents/README.md, "A linger that waited for nothing").
        if (this.pending.length > 0 && unsentEvents < this.o.batchMaxEvents && unsentBytes < this.o.batchMaxBytes && this.o.lingerMs > 0 && !this.closing) {
          await new Promise((r) => setTimeout(r, this.o.lingerMs));
        }
        this.sendSliceNative();
        continue;
      }
      // The disk buffer is read one batch at a time, after what memory had in flight.
      if (this.pending.length > 0) {
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      const disk = this.disk!;
      const { messages, end } = disk.peek(this.o.batchMaxEvents, this.o.batchMaxBytes);
      const records = recordsOf(messages);
      let refused = 0;
      if (messages.length > 0) {
        const out = messages.map((m) => this.w.toProducerMessage(m));
        const result = await this.native!.send(out);
        refused = result.failed.reduce((n, f) => n + (messages[f.index]!.records ?? 1), 0);
        this.countFailed((i) => out[i]!, result, refused);
        this.noteAcked();
      }
      disk.ack(end, messages.length, records);
      if (messages.length === 0) disk.forgetCount(); // only unreadable bytes were left
      this.stats.sent += records - refused;
      this.stats.batches++;
      this.refreshDiskStats();
      for (const w of this.roomWaiters.splice(0)) w();
    }
  }

  private noteAcked(): void {
    if (this.stats.lastError) {
      this.log.info({ brokers: this.o.brokers }, 'Kafka is acknowledging again; sending what was buffered.');
      this.stats.lastError = undefined;
    }
    this.retryLogged = undefined;
    if (this.waitingLogged && this.roomWaiters.length === 0) this.waitingLogged = false;
  }

  /** Hands the next slice of the memory queue to the producer without waiting for its acknowledgement. */
  private sendSliceNative(): void {
    const out: ProducerMessage[] = [];
    const taken: Taken = [];
    let budget = this.o.batchMaxEvents;
    let bytes = 0;
    let records = 0;
    for (const q of this.queue) {
      if (budget === 0 || bytes >= this.o.batchMaxBytes) break;
      let n = 0;
      let b = 0;
      while (q.next + n < q.count && budget > 0 && (bytes + b < this.o.batchMaxBytes || out.length + n === 0)) {
        b += this.sizeOf(q, q.next + n);
        n++;
        budget--;
      }
      bytes += b;
      if (n > 0) {
        this.producerMessages(q, q.next, n, out);
        taken.push({ q, from: q.next, count: n, bytes: b });
        records += recordsIn(q, q.next, n);
        q.next += n;
        this.inFlight.add(q);
      }
    }
    const entry: (typeof this.pending)[number] = { taken, count: records, bytes };
    this.pending.push(entry);
    // `out` is not kept past the producer's encoding (nothing here refers to it after this call): its
    // message objects and value views then die young. A refused message is made again to be logged.
    const messageAt = (index: number): ProducerMessage => {
      const one: ProducerMessage[] = [];
      let i = index;
      for (const t of taken) {
        if (i < t.count) {
          this.producerMessages(t.q, t.from + i, 1, one);
          break;
        }
        i -= t.count;
      }
      return one[0]!;
    };
    void this.native!.send(out).then(
      (result) => {
        entry.result = result;
        entry.dropped = 0;
        // Each refused message's records are charged to the batch it came from, for that batch's status.
        let dropped = 0;
        for (const f of result.failed) {
          let i = f.index;
          for (const t of taken) {
            if (i < t.count) {
              const n = recordsIn(t.q, t.from + i, 1);
              t.q.failed += n;
              dropped += n;
              break;
            }
            i -= t.count;
          }
        }
        entry.dropped = dropped;
        this.countFailed(messageAt, result, dropped);
        this.creditPending();
      },
      () => undefined, // only on close
    );
  }

  /** Credits acknowledged calls in the order they were made, so a batch settles only after every earlier one. */
  private creditPending(): void {
    let any = false;
    while (this.pending.length > 0 && this.pending[0]!.result) {
      const { taken, count, dropped } = this.pending.shift()!;
      for (const { q, count: n, bytes } of taken) {
        q.acked += n;
        this.stats.bufferedBytes -= bytes;
        if (q.acked === q.count) this.inFlight.delete(q);
      }
      // Records Kafka refused for good are counted in dropped, not sent.
      this.stats.sent += count - (dropped ?? 0);
      this.stats.batches++;
      this.stats.buffered -= count;
      any = true;
    }
    if (!any) return;
    this.noteAcked();
    this.settleFront();
    this.wakeSender?.();
  }

  /** One message Kafka will never take: counted, logged with where it came from, and skipped. */
  private dropFront(reason: string): void {
    this.stats.dropped++;
    const q = this.queue[0];
    if (q) {
      const m = this.wire(q)[q.next]!;
      const records = recordsIn(q, q.next, 1);
      this.stats.dropped += records - 1;
      this.log.error({ reason, key: m.key, bytes: m.value.length, ...(records > 1 ? { records } : {}) }, 'Kafka refused a record for good; it was dropped (counted in dropped).');
      q.next++;
      q.acked++;
      q.failed += records;
      this.stats.buffered -= records;
      this.stats.bufferedBytes -= m.value.length + m.key.length;
      this.settleFront();
    } else if (this.disk) {
      const { messages, end } = this.disk.peek(1, Number.MAX_SAFE_INTEGER);
      const records = recordsOf(messages);
      this.stats.dropped += records - 1;
      this.log.error({ reason, ...(records > 1 ? { records } : {}) }, 'Kafka refused a record from the disk buffer for good; it was dropped (counted in dropped).');
      this.disk.ack(end, 1, records);
      this.refreshDiskStats();
    }
  }

  private produce(messages: WireMessage[]): Promise<unknown> {
    const byTopic: Record<'logs' | 'metrics', Message[]> = { logs: [], metrics: [] };
    for (const m of messages) byTopic[m.topic].push(this.w.toKafkajs(m));
    const topicMessages = [];
    if (byTopic.logs.length) topicMessages.push({ topic: this.o.logsTopic, messages: byTopic.logs });
    if (byTopic.metrics.length) topicMessages.push({ topic: this.o.metricsTopic, messages: byTopic.metrics });
    return this.producer!.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.o.compression] });
  }

  /** Sends up to one batch from the front of the memory queue, then credits it. */
  private async sendFromMemory(): Promise<void> {
    const out: WireMessage[] = [];
    const taken: Array<{ q: Queued; count: number; bytes: number }> = [];
    let budget = Math.min(this.batchLimit, this.o.batchMaxEvents);
    let bytes = 0;
    for (const q of this.queue) {
      if (budget === 0 || bytes >= this.o.batchMaxBytes) break;
      let n = 0;
      let b = 0;
      const messages = this.wire(q);
      while (q.next + n < q.count && budget > 0 && (bytes + b < this.o.batchMaxBytes || out.length + n === 0)) {
        const m = messages[q.next + n]!;
        out.push(m);
        b += m.value.length + m.key.length;
        n++;
        budget--;
      }
      bytes += b;
      if (n > 0) taken.push({ q, count: n, bytes: b });
    }
    for (const { q } of taken) this.inFlight.add(q);
    try {
      await this.produce(out);
    } finally {
      this.inFlight.clear();
    }
    let records = 0;
    for (const { q, count, bytes: b } of taken) {
      records += recordsIn(q, q.next, count);
      q.next += count;
      q.acked += count;
      this.stats.bufferedBytes -= b;
    }
    this.stats.sent += records;
    this.stats.batches++;
    this.stats.buffered -= records;
    this.settleFront();
  }

  private settleFront(): void {
    while (this.queue.length > 0 && this.queue[0]!.acked === this.queue[0]!.count) {
      const q = this.queue.shift()!;
      // Nothing reads a settled batch's values again: a record thread may write the next batch into them.
      q.encoded?.e.release?.();
      q.onDelivered?.({ failed: q.failed });
    }
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private async sendFromDisk(): Promise<void> {
    const disk = this.disk!;
    const { messages, end } = disk.peek(Math.min(this.batchLimit, this.o.batchMaxEvents), this.o.batchMaxBytes);
    if (messages.length > 0) await this.produce(messages);
    const records = recordsOf(messages);
    disk.ack(end, messages.length, records);
    if (messages.length === 0) disk.forgetCount(); // only unreadable bytes were left
    this.stats.sent += records;
    this.stats.batches++;
    this.refreshDiskStats();
    for (const w of this.roomWaiters.splice(0)) w();
  }
}
