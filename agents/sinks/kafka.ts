/**
 * Kafka sink: takes event batches from the sources, produces them with acks=all through the
 * idempotent kafkajs producer, compressed, keyed per DESIGN.md, and calls each batch's
 * `onDelivered` only after Kafka acknowledged all of it. While Kafka is unreachable it keeps at most
 * `maxBufferedEvents` events in memory and makes `send` wait, which pauses the sources.
 */
import { randomBytes } from 'node:crypto';
import { type Producer, type Message } from 'kafkajs';
import { createKafka, CompressionTypes } from '../../core/kafka/client.ts';
import { CONTENT_TYPE_JSON, HEADERS, TOPICS } from '../../core/contracts/topics.ts';
import { logKey, metricKey, SCHEMA_VERSION } from '../../core/contracts/records.ts';
import { type Logger } from '../../core/log.ts';
import { type AgentEvent, type EventBatch } from '../source.ts';
import { withDefaults } from '../../core/defaults.ts';

export type Compression = 'lz4' | 'gzip' | 'none';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  logsTopic?: string;
  metricsTopic?: string;
  compression?: Compression;
  /** Most events in one produce request. */
  batchMaxEvents?: number;
  /** How long to wait for more events before sending a partial batch. */
  lingerMs?: number;
  /** Bound of the in-memory buffer; `send` waits while it is full. */
  maxBufferedEvents?: number;
}

export interface KafkaSinkStats {
  sent: number;
  batches: number;
  retries: number;
  buffered: number;
  backpressureWaits: number;
  lastError?: string;
}

const COMPRESSION: Record<Compression, number> = {
  lz4: CompressionTypes.LZ4,
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
};

function traceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

function toMessage(e: AgentEvent, tp: string): { topic: 'logs' | 'metrics'; message: Message } {
  const headers = { [HEADERS.traceparent]: tp, [HEADERS.contentType]: CONTENT_TYPE_JSON, [HEADERS.schemaVersion]: String(SCHEMA_VERSION) };
  if (e.type === 'log') {
    const r = e.record;
    const recordTp = r.trace_id && r.span_id ? `00-${r.trace_id}-${r.span_id}-01` : tp;
    return {
      topic: 'logs',
      message: { key: logKey(r), value: JSON.stringify(r), timestamp: String(Date.parse(r.time) || Date.now()), headers: { ...headers, [HEADERS.traceparent]: recordTp } },
    };
  }
  const p = e.point;
  return { topic: 'metrics', message: { key: metricKey(p), value: JSON.stringify(p), timestamp: String(Date.parse(p.time) || Date.now()), headers } };
}

interface Queued {
  batch: EventBatch;
  /** Events of this batch not yet handed to a produce request. */
  next: number;
  /** Events of this batch acknowledged so far. */
  acked: number;
}

export class KafkaSink {
  readonly stats: KafkaSinkStats = { sent: 0, batches: 0, retries: 0, buffered: 0, backpressureWaits: 0 };
  private readonly o: Required<KafkaSinkOptions>;
  private producer?: Producer;
  private readonly queue: Queued[] = [];
  private wakeSender?: () => void;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private sender?: Promise<void>;
  private closing = false;

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
        lingerMs: 20,
        maxBufferedEvents: 100_000,
      },
      options,
    ) as Required<KafkaSinkOptions>;
  }

  async start(): Promise<void> {
    const kafka = createKafka({ brokers: this.o.brokers, clientId: this.o.clientId, retries: 5 });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.sender = this.run();
  }

  /** Queues a batch; waits while the buffer is full (backpressure on the source). */
  async send(batch: EventBatch): Promise<void> {
    if (batch.events.length === 0) {
      batch.onDelivered?.();
      return;
    }
    while (this.stats.buffered >= this.o.maxBufferedEvents && !this.closing) {
      this.stats.backpressureWaits++;
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.queue.push({ batch, next: 0, acked: 0 });
    this.stats.buffered += batch.events.length;
    this.wakeSender?.();
  }

  /** Resolves when every queued event was acknowledged. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closing = true;
    this.wakeSender?.();
    await this.sender;
    await this.producer?.disconnect();
  }

  private async run(): Promise<void> {
    let connected = false;
    let backoff = 250;
    while (!this.closing) {
      if (this.queue.length === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wakeSender = resolve));
        this.wakeSender = undefined;
        continue;
      }
      if (this.stats.buffered < this.o.batchMaxEvents && this.o.lingerMs > 0) {
        await new Promise((r) => setTimeout(r, this.o.lingerMs));
      }
      try {
        if (!connected) {
          await this.producer!.connect();
          connected = true;
          if (this.stats.lastError) this.log.info({ brokers: this.o.brokers }, 'Kafka is reachable again; sending what was buffered.');
          this.stats.lastError = undefined;
        }
        await this.sendSome();
        backoff = 250;
      } catch (err) {
        const message = (err as Error).message;
        if (this.stats.lastError !== message) {
          this.log.warn({ brokers: this.o.brokers, err: message, buffered: this.stats.buffered }, 'Kafka did not acknowledge a batch; holding it and retrying.');
        }
        this.stats.lastError = message;
        this.stats.retries++;
        // A rebuilt connection is cheaper than a wedged one after the broker restarted.
        if (/connect|ECONNREFUSED|Connection|broker/i.test(message)) {
          connected = false;
          await this.producer!.disconnect().catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** Sends up to batchMaxEvents events from the front of the queue, then credits them. */
  private async sendSome(): Promise<void> {
    const tp = traceparent();
    const byTopic: Record<'logs' | 'metrics', Message[]> = { logs: [], metrics: [] };
    const taken: Array<{ q: Queued; count: number }> = [];
    let budget = this.o.batchMaxEvents;
    for (const q of this.queue) {
      if (budget === 0) break;
      const n = Math.min(budget, q.batch.events.length - q.next);
      if (n === 0) continue;
      for (let i = q.next; i < q.next + n; i++) {
        const { topic, message } = toMessage(q.batch.events[i]!, tp);
        byTopic[topic].push(message);
      }
      taken.push({ q, count: n });
      budget -= n;
    }
    const topicMessages = [];
    if (byTopic.logs.length) topicMessages.push({ topic: this.o.logsTopic, messages: byTopic.logs });
    if (byTopic.metrics.length) topicMessages.push({ topic: this.o.metricsTopic, messages: byTopic.metrics });
    await this.producer!.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.o.compression] });
    let sent = 0;
    for (const { q, count } of taken) {
      q.next += count;
      q.acked += count;
      sent += count;
    }
    this.stats.sent += sent;
    this.stats.batches++;
    this.stats.buffered -= sent;
    while (this.queue.length > 0 && this.queue[0]!.acked === this.queue[0]!.batch.events.length) {
      this.queue.shift()!.batch.onDelivered?.();
    }
    for (const w of this.roomWaiters.splice(0)) w();
  }
}
