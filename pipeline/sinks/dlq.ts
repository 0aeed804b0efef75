/**
 * Dead-letter sink: records that cannot be decoded or validated go to `dlq.v1` with the reason, the
 * stage, the source topic, partition and offset, and the original bytes, so nothing is lost silently.
 * Sent by our own idempotent producer (acks=all, retried until acknowledged), as the partials are
 * (sinks/repartition.ts, on why not kafkajs's).
 */
import { workerProducer } from './retry-log.ts';
import { encodeHeaders, type KafkaProducer } from '../../core/kafka/producer.ts';
import { type DeadLetter, SCHEMA_VERSION } from '../../core/contracts/records.ts';
import { CONTENT_TYPE_JSON, HEADERS, TOPICS } from '../../core/contracts/topics.ts';

export interface DeadRecord {
  reason: string;
  stage: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export function deadLetterOf(d: DeadRecord, now = new Date()): DeadLetter {
  return {
    v: SCHEMA_VERSION,
    reason: d.reason,
    stage: d.stage,
    source_topic: d.topic,
    source_partition: d.partition,
    source_offset: d.offset,
    original_base64: (d.value ?? Buffer.alloc(0)).toString('base64'),
    original_key_base64: d.key ? d.key.toString('base64') : null,
    time: now.toISOString(),
  };
}

export class DlqSink {
  private producer?: KafkaProducer;
  sent = 0;

  constructor(
    private readonly brokers: string[],
    private readonly topic: string = TOPICS.dlq.name,
  ) {}

  async start(): Promise<void> {
    this.producer = workerProducer(this.brokers, 'tributary-worker-dlq', 'worker.dlq');
    await this.producer.connect();
  }

  /** Sends and waits for acks=all, so the source offset may be committed afterwards. */
  async send(records: readonly DeadRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = new Date();
    const timestamp = now.getTime();
    const { failed } = await this.producer!.send(
      records.map((d) => ({
        topic: this.topic,
        key: Buffer.from(`${d.topic}/${d.partition}/${d.offset}`),
        value: JSON.stringify(deadLetterOf(d, now)),
        timestamp,
        headers: encodeHeaders({ [HEADERS.contentType]: CONTENT_TYPE_JSON, [HEADERS.schemaVersion]: String(SCHEMA_VERSION), reason: d.reason.slice(0, 200) }),
      })),
    );
    // A dead letter Kafka refuses for good fails the batch: its source offset must not be committed.
    if (failed.length > 0) throw new Error(`Kafka refused ${failed.length} dead letter(s) for ${this.topic}: ${failed[0]!.error.message}`);
    this.sent += records.length;
  }

  async stop(): Promise<void> {
    await this.producer?.close();
  }
}
