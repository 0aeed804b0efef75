/**
 * The Kafka sink's fallback delivery loop (`kafka.client: kafkajs`): one request at a time through
 * kafkajs's idempotent producer, from the front of the memory queue, else from the disk buffer; a
 * request is credited once acknowledged. kafkajs retries on its own; past that the loop backs off
 * (250 ms doubling to 5 s) and, after a connection error, reconnects. A batch Kafka refuses as too
 * large halves the batch limit; a single record it refuses is dropped, counted and logged.
 */
import { Partitioners, type ICustomPartitioner, type Message, type Producer } from 'kafkajs';
import { createKafka, CompressionTypes } from '../../core/kafka/client.ts';
import type { Logger } from '../../core/log.ts';
import type { WireMessage } from './disk-buffer.ts';
import { recordsOf } from './wire.ts';
import { recordsIn, type Delivery, type Queued, type SinkQueue } from './sink-queue.ts';
import type { Compression, SinkSettings } from './kafka.ts';

const COMPRESSION: Record<Compression, number> = {
  lz4: CompressionTypes.LZ4,
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
};

/**
 * kafkajs's default (murmur2) partitioner, remembered per key Buffer: the records of a batch share a
 * few key Buffers (wire.ts, `keyBuffer`), so the hash and kafkajs's per-message scan of the partition list
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

export class KafkajsDelivery implements Delivery {
  private producer?: Producer;
  private loop?: Promise<void>;
  private sending = false;
  /** Largest batch Kafka accepted after a MESSAGE_TOO_LARGE, so a big batch is split rather than retried whole. */
  private batchLimit: number;

  constructor(
    private readonly sq: SinkQueue,
    private readonly o: SinkSettings,
    private readonly log: Logger,
  ) {
    this.batchLimit = o.batchMaxEvents;
  }

  get requestsInFlight(): number {
    return this.sending ? 1 : 0;
  }

  async start(): Promise<void> {
    const kafka = createKafka({
      brokers: this.o.brokers,
      clientId: this.o.clientId,
      retries: 5,
      ...(this.o.ssl ? { ssl: this.o.ssl } : {}),
      ...(this.o.sasl ? { sasl: this.o.sasl as never } : {}),
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: memoDefaultPartitioner });
    this.loop = this.run();
  }

  async close(): Promise<void> {
    await this.loop;
    await this.producer?.disconnect();
  }

  private async run(): Promise<void> {
    const sq = this.sq;
    const stats = sq.stats;
    let connected = false;
    let backoff = 250;
    while (!sq.closing) {
      const diskWaiting = sq.disk !== undefined && !sq.disk.empty;
      if (sq.queue.length === 0 && !diskWaiting) {
        sq.becameIdle();
        await sq.sleep();
        continue;
      }
      if (!diskWaiting && stats.buffered < this.o.batchMaxEvents && stats.bufferedBytes < this.o.batchMaxBytes && this.o.lingerMs > 0 && !sq.closing) {
        await new Promise((r) => setTimeout(r, this.o.lingerMs));
      }
      try {
        if (!connected) {
          await this.producer!.connect();
          connected = true;
          if (stats.lastError) this.log.info({ brokers: this.o.brokers }, 'Kafka is reachable again; sending what was buffered.');
          stats.lastError = undefined;
        }
        if (sq.queue.length > 0) await this.sendFromMemory();
        else await this.sendFromDisk();
        backoff = 250;
        sq.caughtUp();
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
        if (stats.lastError !== message && e.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
          this.log.error({ topics: [this.o.logsTopic, this.o.metricsTopic] }, 'Kafka does not know one of the topics; records wait until it is created (npx tributary stack up creates logs.v1 and metrics.v1).');
        } else if (stats.lastError !== message) {
          this.log.warn({ brokers: this.o.brokers, err: message, buffered: stats.buffered, diskBuffered: sq.disk?.records }, 'Kafka did not acknowledge a batch; holding it and retrying.');
        }
        stats.lastError = message;
        stats.retries++;
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

  /** One message Kafka will never take: counted, logged with where it came from, and skipped. */
  private dropFront(reason: string): void {
    const sq = this.sq;
    sq.stats.dropped++;
    const q = sq.queue[0];
    if (q) {
      const m = sq.wire(q)[q.next]!;
      const records = recordsIn(q, q.next, 1);
      sq.stats.dropped += records - 1;
      this.log.error({ reason, key: m.key, bytes: m.value.length, ...(records > 1 ? { records } : {}) }, 'Kafka refused a record for good; it was dropped (counted in dropped).');
      q.next++;
      q.acked++;
      q.failed += records;
      sq.stats.buffered -= records;
      sq.stats.bufferedBytes -= m.value.length + m.key.length;
      sq.settleFront();
    } else if (sq.disk) {
      const { messages, end } = sq.disk.peek(1, Number.MAX_SAFE_INTEGER);
      const records = recordsOf(messages);
      sq.stats.dropped += records - 1;
      this.log.error({ reason, ...(records > 1 ? { records } : {}) }, 'Kafka refused a record from the disk buffer for good; it was dropped (counted in dropped).');
      sq.disk.ack(end, 1, records);
      sq.refreshDiskStats();
    }
  }

  private async produce(messages: WireMessage[]): Promise<unknown> {
    const byTopic: Record<'logs' | 'metrics', Message[]> = { logs: [], metrics: [] };
    for (const m of messages) byTopic[m.topic].push(this.sq.w.toKafkajs(m));
    const topicMessages = [];
    if (byTopic.logs.length) topicMessages.push({ topic: this.o.logsTopic, messages: byTopic.logs });
    if (byTopic.metrics.length) topicMessages.push({ topic: this.o.metricsTopic, messages: byTopic.metrics });
    this.sending = true;
    try {
      return await this.producer!.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.o.compression] });
    } finally {
      this.sending = false;
    }
  }

  /** Sends up to one batch from the front of the memory queue, then credits it. */
  private async sendFromMemory(): Promise<void> {
    const sq = this.sq;
    const out: WireMessage[] = [];
    const taken: Array<{ q: Queued; count: number; bytes: number }> = [];
    let budget = Math.min(this.batchLimit, this.o.batchMaxEvents);
    let bytes = 0;
    for (const q of sq.queue) {
      if (budget === 0 || bytes >= this.o.batchMaxBytes) break;
      let n = 0;
      let b = 0;
      const messages = sq.wire(q);
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
    for (const { q } of taken) sq.inFlight.add(q);
    try {
      await this.produce(out);
    } finally {
      sq.inFlight.clear();
    }
    let records = 0;
    for (const { q, count, bytes: b } of taken) {
      records += recordsIn(q, q.next, count);
      q.next += count;
      q.acked += count;
      sq.stats.bufferedBytes -= b;
    }
    sq.stats.sent += records;
    sq.stats.batches++;
    sq.stats.buffered -= records;
    sq.settleFront();
  }

  private async sendFromDisk(): Promise<void> {
    const sq = this.sq;
    const disk = sq.disk!;
    const { messages, end } = disk.peek(Math.min(this.batchLimit, this.o.batchMaxEvents), this.o.batchMaxBytes);
    if (messages.length > 0) await this.produce(messages);
    const records = recordsOf(messages);
    disk.ack(end, messages.length, records);
    if (messages.length === 0) disk.forgetCount(); // only unreadable bytes were left
    sq.stats.sent += records;
    sq.stats.batches++;
    sq.refreshDiskStats();
    sq.freeRoom();
  }
}
