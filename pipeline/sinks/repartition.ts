/**
 * The repartition sink: partial windows (one input partition's share of a window) flow out to the
 * group's partials topic keyed by series, so that every partial of a series meets on one partition,
 * and each input partition's watermark flows out to EVERY partition of it (a mark), after the partials
 * it closed. Kafka Streams does the same with its repartition topics; here the marks carry the
 * watermark across, so that the merging side knows when a window is complete (`transforms/windows/merge.ts`).
 * Sends wait for acks=all from an idempotent producer, so an input offset is committed only after its
 * partials are durable in Kafka. The producer is our own (core/kafka/producer.ts): kafkajs's idempotent
 * producer, used before, could lose track of its sequence numbers when a leader was killed mid-send and
 * then fail every later send with OUT_OF_ORDER_SEQUENCE_NUMBER, which stalled the worker for good (seen
 * in the 3-broker proof). Ours resolves such batches, or takes a new producer id; a partial sent twice
 * is harmless, since a repeat replaces its source's previous partial (merge.ts).
 */
import { createKafka, fetchTopicMetadataRetrying, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { workerProducer } from './retry-log.ts';
import { encodeHeaders, type KafkaProducer, type ProducerMessage } from '../../core/kafka/producer.ts';
import { ensureTopics } from '../../core/kafka/stack.ts';
import { CONTENT_TYPE_JSON, HEADERS } from '../../core/contracts/topics.ts';
import { type SourceMark, type WindowPartial } from '../transforms/windows/merge.ts';

/** What travels on the partials topic: a partial (`t: 'p'`) or a mark (`t: 'w'`), per window kind. */
export type PartialsMessage = ({ t: 'p' } & WindowPartial & { k: string }) | ({ t: 'w' } & SourceMark & { k: string });

const HEADER_SECTION = encodeHeaders({ [HEADERS.contentType]: CONTENT_TYPE_JSON });

export class RepartitionSink {
  private producer?: KafkaProducer;
  private readonly partitionCounts = new Map<string, number>();
  sent = 0;

  constructor(
    private readonly brokers: string[],
    readonly topic: string,
    private readonly clientId = 'tributary-worker-partials',
  ) {}

  /**
   * Connects, learns the partition counts of the input topics, and creates the partials topic when it
   * is missing, with as many partitions as the largest input topic (one merging partition per input one).
   */
  async start(inputTopics: readonly string[]): Promise<void> {
    const kafka = createKafka({ brokers: this.brokers, clientId: this.clientId });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The input topics may have been made just before the worker started (the same lag as below).
      const meta = await fetchTopicMetadataRetrying(admin, [...inputTopics]);
      for (const t of meta.topics) this.partitionCounts.set(t.name, t.partitions.length);
      const partitions = Math.max(1, ...this.partitionCounts.values());
      await ensureTopics(this.brokers, [{ name: this.topic, partitions, replicationFactor: 3, retentionMs: 24 * 3600_000 }]);
      // Just made, the topic may not be in every broker's metadata yet (UNKNOWN_TOPIC_OR_PARTITION on a
      // 3-broker cluster crashed a worker's start once): wait for its leaders, retrying such answers.
      await waitForTopicLeaders(admin, [this.topic]);
      const own = await admin.fetchTopicMetadata({ topics: [this.topic] });
      this.partitionCounts.set(this.topic, own.topics[0]!.partitions.length);
    } finally {
      await admin.disconnect();
    }
    this.producer = workerProducer(this.brokers, this.clientId, 'worker.partials');
    await this.producer.connect();
  }

  /** Partitions of a topic, as learnt at start. */
  partitionsOf(topic: string): number {
    const n = this.partitionCounts.get(topic);
    if (n === undefined) throw new Error(`the partition count of ${topic} is not known`);
    return n;
  }

  /** Sends partials (keyed by series), then the marks to every partition; resolves once all are acknowledged. */
  async send(kind: string, partials: readonly WindowPartial[], marks: readonly SourceMark[]): Promise<void> {
    if (!this.producer) throw new Error('the repartition sink is not started');
    const timestamp = Date.now();
    const messages: ProducerMessage[] = partials.map((p) => ({ topic: this.topic, key: Buffer.from(`${kind}\u0000${p.key}`), value: JSON.stringify({ t: 'p', k: kind, ...p }), timestamp, headers: HEADER_SECTION }));
    const n = this.partitionsOf(this.topic);
    for (const m of marks) {
      const value = JSON.stringify({ t: 'w', k: kind, ...m });
      for (let p = 0; p < n; p++) messages.push({ topic: this.topic, partition: p, key: null, value, timestamp, headers: HEADER_SECTION });
    }
    if (messages.length === 0) return;
    // Retriable trouble (a leader moving, a broker down) is retried inside until acknowledged.
    const { failed } = await this.producer.send(messages);
    if (failed.length > 0) throw new Error(`Kafka refused ${failed.length} of ${messages.length} partials/marks for ${this.topic}: ${failed[0]!.error.message}`);
    this.sent += messages.length;
  }

  async stop(): Promise<void> {
    await this.producer?.close();
  }
}
