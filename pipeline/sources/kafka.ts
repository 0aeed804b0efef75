/**
 * The Kafka source: the worker's membership of its consumer group. Fetched batches of one partition
 * flow out to the handler (with a heartbeat and a way to tell whether the batch is still wanted), the
 * group's assignment flows out on every join, and offsets flow back in through `commit` (never
 * automatically: the ledger decides). Client: kafkajs (see the README for why, and its figures).
 */
import { type Admin, type Consumer, type EachBatchPayload } from 'kafkajs';
import { type Link } from '@opentelemetry/api';
import { createKafka, SocketTracker } from '../../core/kafka/client.ts';
import { log } from '../../core/log.ts';
import { HEADERS } from '../../core/contracts/topics.ts';
import { parseTraceparent } from '../../core/telemetry.ts';

/** A fetched record as the worker reads it. */
export interface SourceMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  /** The record's Kafka timestamp, epoch ms as text (kafkajs's form). */
  timestamp?: string;
}

/**
 * The distinct `traceparent` headers of a batch as span links (at most `max`): the agent batches the
 * records came from. Records of one agent batch sit next to each other and share one header, so a
 * byte comparison with the previous record's header is all most records cost.
 */
export function traceLinks(messages: readonly SourceMessage[], max = 128): { links: Link[]; dropped: number } {
  const links: Link[] = [];
  const seen = new Set<string>();
  let previous: Buffer | string | undefined;
  let dropped = 0;
  for (const m of messages) {
    const h = m.headers?.[HEADERS.traceparent];
    const value = Array.isArray(h) ? h[0] : h;
    if (value === undefined) continue;
    if (previous !== undefined && (typeof value === 'string' ? value === previous : typeof previous !== 'string' && value.equals(previous))) continue;
    previous = value;
    const text = typeof value === 'string' ? value : value.toString('latin1');
    if (seen.has(text)) continue;
    seen.add(text);
    const context = parseTraceparent(text);
    if (!context) continue;
    if (links.length < max) links.push({ context });
    else dropped++;
  }
  return { links, dropped };
}

export interface SourceBatch {
  topic: string;
  partition: number;
  /** The partition's log end offset. */
  highWatermark: number;
  messages: readonly SourceMessage[];
  /** Keeps the group membership alive during long work (call at least every few seconds). */
  heartbeat: () => Promise<void>;
  /** False once the consumer stops or the batch went stale (a seek, a rebalance): stop reading it. */
  active: () => boolean;
  /** Marks the batch read up to `offset` (not a commit). */
  resolve: (offset: string) => void;
  /** The offset after the batch, past any transaction markers that follow its last message (which kafkajs passes over once that message is resolved). */
  end: number;
}

export interface KafkaSourceOptions {
  brokers: string[];
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  maxBytesPerPartition: number;
  /** Bytes a fetch tries to gather before returning. */
  minBytes: number;
  /** Longest a fetch waits for `minBytes`. */
  maxWaitMs: number;
  clientId?: string;
  /** How long the group waits for a silent member (a process killed with kill -9) before rebalancing. */
  sessionTimeoutMs?: number;
}

export class KafkaSource {
  private consumer?: Consumer;
  private readonly sockets = new SocketTracker();
  private admin?: Promise<Admin>;

  constructor(private readonly o: KafkaSourceOptions) {}

  /**
   * Joins the group and starts fetching. `onAssignment` gets the keys (`topic/partition`) of every new
   * assignment; `onBatch` is awaited before the next fetch of that partition (and, in kafkajs, before a
   * rebalance completes, which is what makes intents written there visible to the next owner).
   */
  async start(handlers: {
    onAssignment: (keys: Set<string>, raw: Record<string, number[]>) => void;
    onBatch: (batch: SourceBatch) => Promise<void>;
    /** A fetched batch with nothing in it for us (only transaction markers or aborted records): the partition is read up to `next`. */
    onSkipped?: (topic: string, partition: number, next: number) => void;
  }): Promise<void> {
    const kafka = createKafka({ brokers: this.o.brokers, clientId: this.o.clientId ?? 'tributary-worker', sockets: this.sockets });
    const consumer = kafka.consumer({
      groupId: this.o.groupId,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      minBytes: this.o.minBytes,
      maxWaitTimeInMs: this.o.maxWaitMs,
      sessionTimeout: this.o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((this.o.sessionTimeoutMs ?? 30_000) / 3)),
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const raw = e.payload.memberAssignment;
      const keys = new Set<string>();
      for (const [topic, parts] of Object.entries(raw)) for (const p of parts) keys.add(`${topic}/${p}`);
      handlers.onAssignment(keys, raw);
    });
    // kafkajs does not call eachBatch for a batch whose records were all filtered out (a log ending in
    // a transaction's commit marker), but reports it here with batchSize 0: without it the partition
    // would look one offset behind for good.
    if (handlers.onSkipped) {
      const onSkipped = handlers.onSkipped;
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (e.payload.batchSize === 0) onSkipped(e.payload.topic, e.payload.partition, Number(e.payload.lastOffset) + 1);
      });
    }
    await consumer.connect();
    await consumer.subscribe({ topics: this.o.topics, fromBeginning: this.o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload: EachBatchPayload) => {
        const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
        return handlers.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          highWatermark: Number(batch.highWatermark),
          messages: batch.messages,
          heartbeat,
          active: () => isRunning() && !isStale(),
          resolve: resolveOffset,
          end: Number(batch.lastOffset()) + 1,
        });
      },
    });
  }

  /** Commits offsets (the next offset to read per partition); throws when the group took them meanwhile. */
  async commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: number }>): Promise<void> {
    if (!this.consumer) throw new Error('the Kafka source is not started');
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
  }

  get started(): boolean {
    return this.consumer !== undefined;
  }

  /**
   * Where a partition's log starts now: records before it were deleted by retention. Asked only when
   * reading skipped offsets (see the worker), so one admin connection, made on first use, serves all.
   */
  async logStart(topic: string, partition: number): Promise<number> {
    this.admin ??= (async () => {
      const admin = createKafka({ brokers: this.o.brokers, clientId: `${this.o.clientId ?? 'tributary-worker'}-positions` }).admin();
      await admin.connect();
      return admin;
    })();
    let admin: Admin;
    try {
      admin = await this.admin;
    } catch (err) {
      this.admin = undefined;
      throw err;
    }
    const end = (await admin.fetchTopicOffsets(topic)).find((e) => e.partition === partition);
    if (end === undefined) throw new Error(`${topic} has no partition ${partition}`);
    return Number(end.low);
  }

  /** Leaves the group, and closes every connection of the consumer (see `SocketTracker` for the one kafkajs forgets). */
  async stop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((a) => a.disconnect(), () => undefined);
    try {
      await this.consumer?.disconnect();
    } finally {
      const lost = this.sockets.destroy();
      if (lost > 0) log('worker.source').info({ connections: lost }, 'Closed Kafka connections the consumer had lost track of (a group coordinator from before a broker restart).');
    }
  }

  /** Total lag of the group over its topics: the end offsets minus the committed offsets. */
  async lag(): Promise<number> {
    const admin = createKafka({ brokers: this.o.brokers, clientId: 'tributary-worker-lag' }).admin();
    await admin.connect();
    try {
      let total = 0;
      for (const p of await groupPositions(admin, this.o.groupId, this.o.topics)) total += p.high - (p.committed < 0 ? p.low : p.committed);
      return total;
    } finally {
      await admin.disconnect();
    }
  }
}

/** A partition of the group's topics: its first and end offsets, and the group's commit (-1: none). */
export interface PartitionPosition {
  topic: string;
  partition: number;
  low: number;
  high: number;
  committed: number;
}

/** Per partition of `topics`: the log's bounds and the group's committed offset, in one round per topic. */
export async function groupPositions(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionPosition[]> {
  // The end offsets first: they load the cluster's metadata, without which a fresh admin finds no group
  // coordinator (and, without retries, fails with "No brokers in the broker pool").
  const ends = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const byKey = new Map(committed.flatMap((t) => t.partitions.map((p): [string, number] => [`${t.topic}/${p.partition}`, Number(p.offset)])));
  return topics.flatMap((topic, i) =>
    ends[i]!.map((e) => ({ topic, partition: e.partition, low: Number(e.low), high: Number(e.high), committed: byKey.get(`${topic}/${e.partition}`) ?? -1 })),
  );
}
