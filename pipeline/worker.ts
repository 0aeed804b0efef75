/**
 * The worker: one member of the `tributary-workers` consumer group. For each fetched batch of a
 * partition it decodes and validates every record, sends the unreadable ones to the dead-letter
 * topic, lands the rest in ClickHouse with a deterministic deduplication token, and only then
 * commits the partition's offset. After a crash it re-reads from the committed offset and skips
 * what ClickHouse already holds, so a replay changes nothing.
 */
import { type Consumer, type EachBatchPayload } from 'kafkajs';
import { createKafka } from '../core/kafka/client.ts';
import { log, type Logger } from '../core/log.ts';
import { TOPICS } from '../core/contracts/topics.ts';
import { type LogRow, type MetricRow } from '../core/contracts/rows.ts';
import { type Store } from '../core/storage/store.ts';
import { decodeLog, decodeMetric, toClickHouseTime } from './transforms/decode.ts';
import { ClickHouseSink } from './sinks/clickhouse/sink.ts';
import { DlqSink, type DeadRecord } from './sinks/dlq.ts';
import { withDefaults } from '../core/defaults.ts';

export interface WorkerOptions {
  brokers: string[];
  store: Store;
  groupId?: string;
  logsTopic?: string;
  metricsTopic?: string;
  dlqTopic?: string;
  /** Start from the earliest record when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** Most bytes fetched per partition in one request; bounds memory while ClickHouse is down. */
  maxBytesPerPartition?: number;
}

export interface WorkerStats {
  consumed: number;
  stored: number;
  metricsStored: number;
  dead: number;
  replaySkipped: number;
  batches: number;
  committed: number;
}

type Message = EachBatchPayload['batch']['messages'][number];

export class Worker {
  readonly stats: WorkerStats = { consumed: 0, stored: 0, metricsStored: 0, dead: 0, replaySkipped: 0, batches: 0, committed: 0 };
  readonly sink: ClickHouseSink;
  private readonly o: Required<WorkerOptions>;
  private readonly log: Logger = log('worker');
  private consumer?: Consumer;
  private readonly dlq: DlqSink;
  /** Highest Kafka offset already in ClickHouse, per topic/partition; forgotten at every rebalance. */
  private readonly storedUpTo = new Map<string, bigint>();
  private stopping?: Promise<void>;

  constructor(options: WorkerOptions) {
    this.o = withDefaults(
      {
        groupId: 'tributary-workers',
        logsTopic: TOPICS.logs.name,
        metricsTopic: TOPICS.metrics.name,
        dlqTopic: TOPICS.dlq.name,
        fromBeginning: true,
        maxBytesPerPartition: 4 * 1024 * 1024,
      },
      options,
    ) as Required<WorkerOptions>;
    this.sink = new ClickHouseSink(this.o.store, log('worker.clickhouse'));
    this.dlq = new DlqSink(this.o.brokers, this.o.dlqTopic);
  }

  async start(): Promise<void> {
    await this.dlq.start();
    const kafka = createKafka({ brokers: this.o.brokers, clientId: 'tributary-worker' });
    const consumer = kafka.consumer({
      groupId: this.o.groupId,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.storedUpTo.clear();
      this.log.info({ assignment: e.payload.memberAssignment }, 'Joined the worker group.');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.o.logsTopic, this.o.metricsTopic], fromBeginning: this.o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async highWater(table: string, topic: string, partition: number): Promise<bigint> {
    const key = `${topic}/${partition}`;
    const known = this.storedUpTo.get(key);
    if (known !== undefined) return known;
    const rows = await this.o.store.query<{ m: string | number | null }>(
      table === 'logs'
        ? 'SELECT toString(max(kafka_offset)) AS m, count() AS c FROM logs WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16} HAVING c > 0'
        : 'SELECT toString(max(kafka_offset)) AS m, count() AS c FROM metrics WHERE kafka_partition = {partition:UInt16} HAVING c > 0',
      { topic, partition },
    );
    const value = rows.length > 0 && rows[0]!.m !== null ? BigInt(rows[0]!.m) : -1n;
    this.storedUpTo.set(key, value);
    return value;
  }

  private async handleBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { topic, partition } = batch;
    const isLogs = topic === this.o.logsTopic;
    const table = isLogs ? 'logs' : 'metrics';
    const already = await this.highWater(table, topic, partition);
    const rows: Array<LogRow | MetricRow> = [];
    const dead: DeadRecord[] = [];
    const now = Date.now();
    let first: string | undefined;
    let last = batch.messages[batch.messages.length - 1]!.offset;
    for (const m of batch.messages as Message[]) {
      this.stats.consumed++;
      if (BigInt(m.offset) <= already) {
        this.stats.replaySkipped++;
        continue;
      }
      first ??= m.offset;
      last = m.offset;
      if (isLogs) {
        const d = decodeLog(m.value, now);
        if (!d.ok) {
          dead.push({ reason: d.reason, stage: d.stage, topic, partition, offset: m.offset, key: m.key, value: m.value });
          continue;
        }
        const r = d.value;
        rows.push({
          time: toClickHouseTime(r.time),
          observed_time: toClickHouseTime(r.observed_time),
          service: r.service,
          host: r.host,
          severity_text: r.severity_text,
          severity_number: r.severity_number,
          body: r.body,
          attributes: r.attributes,
          resource: r.resource,
          trace_id: r.trace_id,
          span_id: r.span_id,
          pattern_id: '',
          source_kind: r.origin.kind,
          source_path: r.origin.path ?? '',
          source_offset: r.origin.offset ?? 0,
          kafka_topic: topic,
          kafka_partition: partition,
          kafka_offset: m.offset,
        } satisfies LogRow);
      } else {
        const d = decodeMetric(m.value, now);
        if (!d.ok) {
          dead.push({ reason: d.reason, stage: d.stage, topic, partition, offset: m.offset, key: m.key, value: m.value });
          continue;
        }
        const p = d.value;
        rows.push({
          time: toClickHouseTime(p.time),
          service: p.service,
          host: p.host,
          name: p.name,
          kind: p.kind,
          value: p.value,
          unit: p.unit,
          labels: p.labels,
          kafka_partition: partition,
          kafka_offset: m.offset,
        } satisfies MetricRow);
      }
    }
    if (first !== undefined) {
      await this.dlq.send(dead);
      this.stats.dead += dead.length;
      if (dead.length > 0) this.log.warn({ topic, partition, count: dead.length, reason: dead[0]!.reason }, 'Sent unreadable records to the dead-letter topic.');
      await this.sink.insert(table, rows, `${topic}/${partition}/${first}-${last}`, async () => {
        await heartbeat();
      });
      this.storedUpTo.set(`${topic}/${partition}`, BigInt(last));
      if (isLogs) this.stats.stored += rows.length;
      else this.stats.metricsStored += rows.length;
    }
    resolveOffset(last);
    await this.consumer!.commitOffsets([{ topic, partition, offset: String(BigInt(last) + 1n) }]);
    this.stats.committed++;
    this.stats.batches++;
    await heartbeat();
  }

  /** Total lag of the group over its topics: the end offsets minus the committed offsets. */
  async lag(): Promise<number> {
    const admin = createKafka({ brokers: this.o.brokers, clientId: 'tributary-worker-lag' }).admin();
    await admin.connect();
    try {
      let total = 0;
      for (const topic of [this.o.logsTopic, this.o.metricsTopic]) {
        const ends = await admin.fetchTopicOffsets(topic);
        const committed = await admin.fetchOffsets({ groupId: this.o.groupId, topics: [topic] });
        const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
        for (const e of ends) {
          const c = byPartition.get(e.partition) ?? -1;
          total += Number(e.high) - (c < 0 ? Number(e.low) : c);
        }
      }
      return total;
    } finally {
      await admin.disconnect();
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.consumer?.disconnect();
      await this.dlq.stop();
      this.log.info({ ...this.stats }, 'The worker stopped.');
    })();
    return this.stopping;
  }
}
