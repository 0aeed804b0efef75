/**
 * Tributary's own idempotent Kafka producer (acks=all), built on core/kafka/protocol.
 *
 * `send(messages)` keys each message to its partition (Java's murmur2), encodes one record batch v2
 * per partition, compresses it off the main thread and sends one Produce request per leader, up to
 * `maxInFlight` requests per broker at once. It resolves once every message is acknowledged, or
 * refused for good (listed in `failed`); retriable trouble is retried without end, which is what a
 * shipper with a disk buffer and backpressure wants.
 *
 * Order and idempotence: every batch gets its partition's next sequence numbers when `send` is
 * called, so batches of one partition go out, and are retried, in call order. An error stops that
 * partition's sending (its new batches wait; the other partitions go on, so a dead broker stops only
 * the partitions it leads), lets its requests on the wire come back, refreshes metadata when
 * leadership may have moved, renumbers the partition from its last acknowledged sequence (a batch
 * refused for good leaves no gap), and resends what was not acknowledged, in order. Only what concerns
 * the producer as a whole (a new producer id, a fatal error) stops every partition for a round. A batch whose
 * fate is unknown (connection lost, timed out, or any error but a refusal made before the append) is
 * resent with the same numbers, oldest first and one at a time, so the broker drops it as a duplicate
 * if it was written; a restarted broker remembers only the last batch it wrote, so an older written
 * one meets OUT_OF_ORDER_SEQUENCE_NUMBER and the next is tried. OUT_OF_ORDER on every batch of unknown
 * fate, or on a partition's first unacknowledged batch, or UNKNOWN_PRODUCER_ID, means the broker lost
 * this producer's state: as the Java client does for an idempotent producer, it takes a new producer id
 * and starts every partition again at 0.
 * MESSAGE_TOO_LARGE splits a batch in halves; a single record the broker refuses is failed for good.
 * INVALID_TIMESTAMP (a record stamped further from the broker's clock than the topic's
 * `message.timestamp.after.max.ms`/`before.max.ms`, e.g. this host's clock an hour ahead) resends the
 * batch once with the records the broker named stamped NO_TIMESTAMP (-1), which it does not check:
 * the records are kept, without a Kafka timestamp (`onRestamped` tells the caller).
 * A partition's first batch under a producer id, and the first after any error, goes out alone until
 * acknowledged: a broker without state for the producer takes any sequence, so a later batch pipelined
 * behind a refused one would be written before it.
 */
import { compressFrameSync } from 'lz4-napi';
import { gzipSync } from 'node:zlib';
import { BufferPool } from '../buffer-pool.ts';
import { brokerAddress, Connection, type ConnectionOptions } from './protocol/connection.ts';
import { KafkaError, kafkaError, errorAction, errorName } from './protocol/errors.ts';
import { decodeInitProducerId, decodeMetadata, decodeProduce, encodeInitProducerId, encodeMetadata, encodeProduce, produceBodyBytes, type ProduceTopicData } from './protocol/messages.ts';
import { batchRecords, buildBatch, compressRecords, encodeRecords, stampProducer, type CompressionName, type EncodedRecords, type ProduceRecord } from './protocol/record-batch.ts';
import { partitionForKey } from './protocol/murmur2.ts';
import type { SaslCredentials } from './protocol/sasl.ts';

export { KafkaError } from './protocol/errors.ts';
export { encodeHeaders, type ProduceRecord } from './protocol/record-batch.ts';

export interface ProducerMessage extends ProduceRecord {
  topic: string;
  /** An explicit partition; otherwise the key decides (a message without key goes to partition 0). */
  partition?: number;
}

export interface ProducerOptions {
  brokers: string[];
  clientId?: string;
  compression?: CompressionName;
  ssl?: ConnectionOptions['ssl'];
  sasl?: SaslCredentials;
  /** Produce requests on the wire per broker (Kafka keeps order with idempotence up to 5). */
  maxInFlight?: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** First retry delay; it doubles up to `maxRetryBackoffMs`, and resets after an acknowledgement. */
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  /** Called for every error that makes the producer retry (to log and count it). */
  onRetry?: (err: KafkaError) => void;
  /** Called when records the broker refused for their timestamp are sent again without one (how many, and Kafka's reason). */
  onRestamped?: (records: number, err: KafkaError) => void;
}

export interface SendResult {
  /** Messages (index into the `send` array) Kafka refused for good, with why. */
  failed: Array<{ index: number; error: KafkaError }>;
}

interface Call {
  /**
   * Until its batches are encoded; then let go, so thousands of message objects (and the callers'
   * value views) die young instead of living until the acknowledgement through several of V8's
   * young-generation collections. A split reads a batch's own bytes (`batchRecords`).
   */
  messages?: readonly ProducerMessage[];
  remaining: number;
  failed: SendResult['failed'];
  resolve: (r: SendResult) => void;
}

interface Batch {
  call: Call;
  part: PartitionState;
  indexes: number[];
  records?: EncodedRecords;
  /** The built batch, once compressed. */
  bytes?: Buffer;
  state: 'building' | 'ready' | 'sent';
  seq: number;
  stampedSeq: number;
  stampedPid: bigint;
  stampedEpoch: number;
  /** Its request may have been written although no answer came (connection lost, timeout). */
  unknown: boolean;
  /** The records (indexes in the batch) Kafka's last answer named as the cause of its error (Produce v8). */
  refused?: number[];
  /** Sent again with refused timestamps taken out: a second INVALID_TIMESTAMP fails it for good. */
  restamped?: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Unacknowledged batches, in sequence order. */
  queue: Batch[];
  /** Sequence of the next new batch. */
  nextSeq: number;
  /** Sequence the broker expects next (after the last acknowledged batch). */
  ackedSeq: number;
  /**
   * After a retry only the first unacknowledged batch goes out until it is acknowledged (as the Java
   * client does): a broker without state for this producer takes any sequence, so a later batch sent
   * behind a refused one would be written before it.
   */
  probing: boolean;
  /**
   * Whether the broker acknowledged a batch of this partition under the current producer id. Until
   * then the broker holds no state for it and takes any sequence number, so a batch sent behind a
   * refused first one would be written: the first batch goes out alone.
   */
  confirmed: boolean;
  /**
   * Batches of unknown fate at the front of the queue, being resolved: a broker restarted from a
   * snapshot remembers only the last batch it wrote, so resending the oldest of several written
   * batches gets OUT_OF_ORDER_SEQUENCE_NUMBER, not a duplicate. They are resent oldest first, one at a
   * time: OUT_OF_ORDER says the broker holds a later sequence, so the next one is tried; the first
   * one the broker takes (in sequence) or recognises (duplicate) tells that every earlier one was
   * written; OUT_OF_ORDER on all of them means the broker lost this producer's state.
   * Never newest first: a broker without state for this producer (it expires it a day after the
   * newest record timestamp it saw, and shippers send old logs with their own times) takes any
   * sequence, so the newest being taken would say nothing about the older ones, which were lost.
   */
  resolving?: { batches: Batch[]; at: number };
  /** Produce requests on the wire that hold a batch of this partition. */
  inflight: number;
  drained?: () => void;
  /**
   * Retrying this partition alone (`retryPartition`): its batches wait while the other partitions'
   * go on, as Kafka keeps sequence numbers per partition (and the Java client retries so).
   */
  retrying: boolean;
  /** That retry refreshes the metadata first (a leader may have moved). */
  retryMetadata: boolean;
  /** Delay before this partition's next retry: doubles up to PARTITION_BACKOFF_MAX_MS, resets at its acknowledgement. */
  backoff: number;
  /** Counts whole-producer retry rounds: a round takes over a partition retry under way. */
  round: number;
}

interface TopicMeta {
  leaders: number[];
}

const MAX_SEQ = 0x7fffffff;
/** A record's timestamp when it has none: Kafka does not check it against its clock (CreateTime topics). */
const NO_TIMESTAMP = -1;
/**
 * A partition retry waits at most this long (maxRetryBackoffMs if lower), as the Java client's
 * retry.backoff.max.ms: a leader that moved is found within a second (a metadata request and a
 * connection attempt per retry), while the other partitions' acknowledgements no longer reset it.
 */
const PARTITION_BACKOFF_MAX_MS = 1000;
const addSeq = (s: number, n: number) => (s + n > MAX_SEQ ? s + n - MAX_SEQ - 1 : s + n);

export class KafkaProducer {
  private readonly o: Required<Omit<ProducerOptions, 'ssl' | 'sasl' | 'onRetry' | 'onRestamped'>> & Pick<ProducerOptions, 'ssl' | 'sasl' | 'onRetry' | 'onRestamped'>;
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly topics = new Map<string, TopicMeta>();
  private readonly parts = new Map<string, PartitionState>();
  private readonly conns = new Map<string, Promise<Connection>>();
  private producerId = -1n;
  private producerEpoch = -1;
  private chain: Promise<void> = Promise.resolve();
  /** Produce requests sent and not yet answered. */
  private inflight = 0;
  private drained?: () => void;
  private recovering = false;
  private recovery = { metadata: false, newPid: false, fatal: false };
  private backoff: number;
  private closed = false;
  private readonly partitionMemo = new Map<number, WeakMap<Buffer, number>>();
  /** Uncompressed records sections, reused from batch to batch (each is free once its batch is built). */
  private readonly sections = new BufferPool(4, 64 * 1024);
  /** Counters for the caller's stats; `probes`: batches of unknown fate the broker answered OUT_OF_ORDER for while resolving (written before). */
  readonly stats = { requests: 0, retries: 0, newProducerIds: 0, splits: 0, probes: 0, restamped: 0 };

  constructor(options: ProducerOptions) {
    this.o = {
      clientId: 'tributary',
      compression: 'lz4',
      maxInFlight: 5,
      requestTimeoutMs: 30_000,
      connectTimeoutMs: 5000,
      retryBackoffMs: 100,
      maxRetryBackoffMs: 5000,
      ...options,
    };
    this.backoff = this.o.retryBackoffMs;
  }

  /** Connects to a bootstrap broker and gets a producer id. Authentication and version errors are thrown as they are. */
  async connect(): Promise<void> {
    await this.initProducerId();
  }

  /** Checks that Kafka answers for these topics (metadata, and a producer id if none yet); throws if not. */
  async probe(topics: string[]): Promise<void> {
    await this.refreshMetadata(topics);
    const missing = topics.filter((t) => !this.topics.has(t));
    if (missing.length) throw new KafkaError(`Kafka does not know the topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, 'UNKNOWN_TOPIC_OR_PARTITION', 'refresh');
    if (this.producerId < 0n) await this.initProducerId();
  }

  /** The producer id and epoch in use (-1 before the first). */
  get identity(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  send(messages: readonly ProducerMessage[]): Promise<SendResult> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    return new Promise<SendResult>((resolve) => {
      const call: Call = { messages, remaining: 0, failed: [], resolve };
      if (messages.length === 0) return resolve({ failed: [] });
      // Calls are taken in order: a call's batches get their sequence numbers after the previous call's.
      const prepared = this.chain.then(() => this.prepare(call));
      this.chain = prepared.then(() => undefined, () => undefined);
      void prepared.then((batches) => this.build(batches));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.conns.values()) void c.then((conn) => conn.close(), () => undefined);
    this.conns.clear();
  }

  // ---- preparing and building batches ------------------------------------------------------------

  private async prepare(call: Call): Promise<Batch[]> {
    const messages = call.messages!;
    const names = [...new Set(messages.map((m) => m.topic))];
    await this.ensureTopics(names);
    const groups = new Map<PartitionState, number[]>();
    // A run of messages with the same topic and key (a batch of one file's lines) shares a partition:
    // it is looked up once per run, not once per message.
    let last: ProducerMessage | undefined;
    let g: number[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (last === undefined || m.key !== last.key || m.topic !== last.topic || m.partition !== last.partition) {
        const meta = this.topics.get(m.topic)!;
        const p = m.partition ?? (m.key ? this.partitionOf(m.key, meta.leaders.length) : 0);
        const part = this.partition(m.topic, p);
        const found = groups.get(part);
        if (found) g = found;
        else groups.set(part, (g = []));
        last = m;
      }
      g.push(i);
    }
    const batches: Batch[] = [];
    for (const [part, indexes] of groups) {
      const b: Batch = { call, part, indexes, state: 'building', seq: part.nextSeq, stampedSeq: -1, stampedPid: -1n, stampedEpoch: -1, unknown: false };
      part.nextSeq = addSeq(part.nextSeq, indexes.length);
      part.queue.push(b);
      batches.push(b);
    }
    call.remaining = batches.length;
    return batches;
  }

  private async build(batches: Batch[]): Promise<void> {
    // Batches become ready in call order: this call's turn is taken now, before any await.
    const previous = this.readyChain;
    let release!: () => void;
    this.readyChain = new Promise((r) => (release = r));
    let failure: KafkaError | undefined;
    try {
      // Encoding (and LZ4 compression) runs here, before the first await; gzip on libuv's pool, several calls' batches at once.
      const built = Promise.all(
        batches.map(async (b) => {
          const records = encodeRecords(b.call.messages!, b.indexes, this.sections.take);
          try {
            const payload = await compressRecords(records.body, this.o.compression);
            b.bytes = buildBatch(records, payload, this.o.compression);
          } finally {
            // Compressed (or copied into the batch): the section's memory is free for the next batch.
            this.sections.add([records.body.buffer as ArrayBuffer]);
          }
        }),
      );
      // Every record of the call is encoded (a call's batches are all built here).
      if (batches.length > 0) batches[0]!.call.messages = undefined;
      await built;
    } catch (err) {
      failure = new KafkaError(`a batch could not be encoded: ${(err as Error).message}`, 'ENCODING', 'reject');
    }
    await previous;
    release();
    if (failure) {
      // Refused for good; the numbers they held are given back by renumbering.
      for (const b of batches) {
        b.part.queue.splice(b.part.queue.indexOf(b), 1);
        for (const index of b.indexes) b.call.failed.push({ index, error: failure });
        this.settle(b.call);
      }
      for (const part of new Set(batches.map((b) => b.part))) this.retryPartition(part, failure, { quiet: true });
      return;
    }
    for (const b of batches) if (b.state === 'building') b.state = 'ready';
    if (!this.recovering) this.dispatch(batches.filter((b) => this.isNextToSend(b)));
  }

  private readyChain: Promise<void> = Promise.resolve();

  /** A ready batch may go out only when every earlier batch of its partition is on the wire. */
  private isNextToSend(b: Batch): boolean {
    const q = b.part.queue;
    if (b.part.probing || !b.part.confirmed) return q[0] === b && !q.some((x) => x.state === 'sent');
    for (const x of q) {
      if (x === b) return true;
      if (x.state !== 'sent') return false;
    }
    return false;
  }

  private partitionOf(key: Buffer, partitions: number): number {
    let memo = this.partitionMemo.get(partitions);
    if (!memo) this.partitionMemo.set(partitions, (memo = new WeakMap()));
    let p = memo.get(key);
    if (p === undefined) {
      p = partitionForKey(key, partitions);
      memo.set(key, p);
    }
    return p;
  }

  private partition(topic: string, partition: number): PartitionState {
    const id = `${topic}\0${partition}`;
    let p = this.parts.get(id);
    if (!p) this.parts.set(id, (p = { topic, partition, queue: [], nextSeq: 0, ackedSeq: 0, probing: false, confirmed: false, inflight: 0, retrying: false, retryMetadata: false, backoff: this.o.retryBackoffMs, round: 0 }));
    return p;
  }

  // ---- sending ---------------------------------------------------------------------------------

  /**
   * Sends ready batches, grouped into one Produce request per leader; batches of one partition keep
   * their order. A partition being retried keeps its batches for its retry. A partition without a
   * known leader keeps its batches (they stay ready, so nothing behind them overtakes) while the others
   * go out, and is retried after a metadata refresh.
   */
  private dispatch(batches: Batch[]): void {
    const byLeader = new Map<number, Batch[][]>();
    const leaderless = new Set<PartitionState>();
    for (const b of batches) {
      if (b.part.retrying) continue;
      const leader = this.topics.get(b.part.topic)?.leaders[b.part.partition] ?? -1;
      if (leader < 0 || !this.brokers.has(leader)) {
        leaderless.add(b.part);
        continue;
      }
      let rounds = byLeader.get(leader);
      if (!rounds) byLeader.set(leader, (rounds = []));
      // One batch per partition per request: a partition's second batch goes in the next request.
      let round = rounds.find((r) => !r.some((x) => x.part === b.part));
      if (!round) rounds.push((round = []));
      round.push(b);
    }
    for (const [leader, rounds] of byLeader) for (const round of rounds) this.sendRequest(leader, round);
    // A restarted broker loads its partitions one by one and names no leader for a while; a
    // partition whose only replica is down has none until it is back: ask again at each retry.
    // (Retried without a refresh, a round met the same stale answer every second, forever: the
    // producer hung after a broker restart, the broker-restart proof's intermittent failure.)
    for (const part of leaderless) this.retryPartition(part, new KafkaError(`no leader known for ${part.topic}/${part.partition}`, 'LEADER_NOT_AVAILABLE', 'refresh'), { metadata: true });
  }

  private sendRequest(leader: number, batches: Batch[]): void {
    const data = new Map<string, ProduceTopicData>();
    for (const b of batches) {
      if (b.stampedSeq !== b.seq || b.stampedPid !== this.producerId || b.stampedEpoch !== this.producerEpoch) {
        stampProducer(b.bytes!, { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: b.seq });
        b.stampedSeq = b.seq;
        b.stampedPid = this.producerId;
        b.stampedEpoch = this.producerEpoch;
      }
      b.state = 'sent';
      b.part.inflight++;
      let t = data.get(b.part.topic);
      if (!t) data.set(b.part.topic, (t = { topic: b.part.topic, partitions: [] }));
      t.partitions.push({ partition: b.part.partition, batch: b.bytes! });
    }
    const topics = [...data.values()];
    this.inflight++;
    this.stats.requests++;
    const timeoutMs = this.o.requestTimeoutMs;
    this.connection(leader)
      .then((c) => c.request('Produce', (w) => encodeProduce(w, -1, timeoutMs, topics), decodeProduce, produceBodyBytes(topics)))
      .then(
        (responses) => {
          for (const b of batches) {
            const r = responses.find((x) => x.topic === b.part.topic && x.partition === b.part.partition);
            if (!r) this.onBatchError(b, new KafkaError(`no answer for ${b.part.topic}/${b.part.partition} in a Produce response`, 'NETWORK', 'retry'));
            else if (r.errorCode === 0 || r.errorCode === 46 /* DUPLICATE_SEQUENCE_NUMBER: written before */) this.onBatchAcked(b);
            else {
              const e = kafkaError(r.errorCode, `${b.part.topic}/${b.part.partition}`, undefined, r.errorMessage);
              // Only a refusal made before the append (the records, the producer's sequence or id,
              // authorisation) leaves a batch unwritten for sure. Any other error can come after it:
              // a leader that loses leadership (a broker shutting down) while an acks=all batch waits
              // answers NOT_LEADER_OR_FOLLOWER although the batch is in its log. Taken as unwritten,
              // its resend (or the next batch's) met OUT_OF_ORDER, which read as "the broker lost our
              // state": a new producer id, and the batch written twice.
              if (e.action !== 'reject' && e.action !== 'sequence' && e.action !== 'fatal') b.unknown = true;
              b.refused = r.recordErrors;
              this.onBatchError(b, e);
            }
          }
        },
        (err: Error) => {
          const e = err instanceof KafkaError ? err : new KafkaError(err.message, 'NETWORK', 'refresh');
          for (const b of batches) {
            b.unknown = true;
            this.onBatchError(b, e);
          }
        },
      )
      .finally(() => {
        this.inflight--;
        for (const b of batches) if (--b.part.inflight === 0) b.part.drained?.();
        if (this.inflight === 0) this.drained?.();
      });
  }

  private onBatchAcked(b: Batch): void {
    const r = b.part.resolving;
    if (r && r.batches[r.at] === b) {
      // Taken or recognised: every unknown batch before it was written.
      b.part.resolving = undefined;
      for (let i = 0; i < r.at; i++) this.ackOne(r.batches[i]!);
      for (const x of r.batches) x.unknown = false;
    }
    this.ackOne(b);
    this.backoff = this.o.retryBackoffMs;
    b.part.backoff = this.o.retryBackoffMs;
    const gated = b.part.probing || !b.part.confirmed;
    b.part.confirmed = true;
    if (gated) {
      b.part.probing = false;
      if (!this.recovering && !b.part.retrying) {
        const next: Batch[] = [];
        for (const x of b.part.queue) {
          if (x.state !== 'ready') break;
          next.push(x);
        }
        if (next.length) this.dispatch(next);
      }
    }
  }

  private ackOne(b: Batch): void {
    const q = b.part.queue;
    const i = q.indexOf(b);
    if (i >= 0) q.splice(i, 1);
    b.part.ackedSeq = addSeq(b.seq, b.indexes.length);
    this.settle(b.call);
  }

  private settle(call: Call): void {
    if (--call.remaining === 0) call.resolve({ failed: call.failed });
  }

  private onBatchError(b: Batch, err: KafkaError): void {
    b.state = 'ready';
    const r = b.part.resolving;
    if (r && r.batches[r.at] === b) {
      if (err.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && r.at < r.batches.length - 1) {
        // Every batch before this one was written or acknowledged, and this one is neither next in
        // sequence nor the last batch the broker wrote: the broker holds a later one, so this was
        // written too (if its state was lost instead, the newer ones meet OUT_OF_ORDER as well).
        this.stats.probes++;
        r.at++;
        // During a whole-producer round, recover() starts again from the oldest.
        if (!this.recovering) this.dispatch([r.batches[r.at]!]);
        return;
      }
      b.part.resolving = undefined;
      if (err.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
        this.o.onRetry?.(new KafkaError(`the broker lost this producer's state for ${b.part.topic}/${b.part.partition}; taking a new producer id (records of unknown fate may be written twice)`, err.type, 'sequence'));
        return this.retryLater(err, { newPid: true, quiet: true });
      }
    }
    if (err.action === 'sequence') {
      // A gap before this batch (an earlier one failed) is ordinary: resend in order. Otherwise the
      // broker lost this producer's state.
      const first = b.part.queue[0] === b && b.seq === b.part.ackedSeq;
      if (err.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && !first) return this.retryPartition(b.part, err);
      return this.retryLater(err, { newPid: true });
    }
    if (err.action === 'reject') {
      if ((err.type === 'MESSAGE_TOO_LARGE' || err.type === 'RECORD_LIST_TOO_LARGE') && b.indexes.length > 1) {
        this.split(b);
        return this.retryPartition(b.part, err, { quiet: true });
      }
      if (err.type === 'INVALID_TIMESTAMP' && !b.restamped) {
        this.o.onRestamped?.(this.restamp(b), err);
        return this.retryPartition(b.part, err, { quiet: true });
      }
      const q = b.part.queue;
      q.splice(q.indexOf(b), 1);
      for (const index of b.indexes) b.call.failed.push({ index, error: err });
      this.settle(b.call);
      return this.retryPartition(b.part, err, { quiet: true });
    }
    if (err.action === 'fatal') return this.retryLater(err, { fatal: true });
    this.retryPartition(b.part, err, { metadata: err.action === 'refresh' });
  }

  /** Replaces a refused batch by two halves, built at once (this is rare). */
  private split(b: Batch): void {
    this.stats.splits++;
    const half = Math.ceil(b.indexes.length / 2);
    // The batch's records in its own order (record i is message b.indexes[i]), from its bytes.
    const all = batchRecords(b.bytes!);
    const halves = [0, half].map((from): Batch => {
      const indexes = b.indexes.slice(from, from === 0 ? half : undefined);
      return { call: b.call, part: b.part, indexes, state: 'ready', seq: 0, stampedSeq: -1, stampedPid: -1n, stampedEpoch: -1, unknown: false, bytes: this.rebuild(all.slice(from, from + indexes.length)) };
    });
    const q = b.part.queue;
    q.splice(q.indexOf(b), 1, ...halves);
    b.call.remaining += 1;
  }

  /**
   * A batch refused for a timestamp, built again with the records Kafka named (all, if it named none)
   * stamped NO_TIMESTAMP, in its place in the queue; how many were restamped. Rare, so built at once.
   */
  private restamp(b: Batch): number {
    const all = batchRecords(b.bytes!);
    const named = b.refused?.filter((i) => i >= 0 && i < all.length);
    const which = named && named.length > 0 ? named : all.map((_, i) => i);
    for (const i of which) all[i]!.timestamp = NO_TIMESTAMP;
    b.bytes = this.rebuild(all);
    b.restamped = true;
    b.refused = undefined;
    b.stampedSeq = -1;
    this.stats.restamped += which.length;
    return which.length;
  }

  /** A batch's bytes for these records, compressed as the producer compresses. */
  private rebuild(records: ProduceRecord[]): Buffer {
    const encoded = encodeRecords(records);
    const payload = this.o.compression === 'lz4' ? compressFrameSync(encoded.body) : this.o.compression === 'gzip' ? gzipSync(encoded.body) : encoded.body;
    return buildBatch(encoded, payload, this.o.compression);
  }

  /**
   * Retries one partition: its batches wait (the other partitions' go on) until its requests on the
   * wire came back; after its backoff, and a metadata refresh when a leader may have moved, it is
   * renumbered from what the broker acknowledged and its first batch goes out alone, then the rest.
   * Errors of the partition arriving meanwhile join the same retry; a whole-producer round under way
   * takes it over.
   */
  private retryPartition(p: PartitionState, err: KafkaError, what: { metadata?: boolean; quiet?: boolean } = {}): void {
    if (what.metadata || err.action === 'refresh') p.retryMetadata = true;
    if (!what.quiet) {
      this.stats.retries++;
      this.o.onRetry?.(err);
    }
    if (this.recovering) {
      // The whole-producer round under way resends this partition too, after this refresh.
      if (p.retryMetadata) this.recovery.metadata = true;
      return;
    }
    if (p.retrying || this.closed) return;
    p.retrying = true;
    void this.recoverPartition(p);
  }

  private async recoverPartition(p: PartitionState): Promise<void> {
    const round = p.round;
    // A whole-producer round started or ended meanwhile: it renumbers and resends this partition too.
    const ours = () => p.round === round && !this.recovering && !this.closed;
    for (;;) {
      if (p.inflight > 0) await new Promise<void>((r) => (p.drained = r));
      p.drained = undefined;
      if (!ours()) return;
      if (p.inflight > 0) continue;
      const metadata = p.retryMetadata;
      p.retryMetadata = false;
      await sleep(p.backoff);
      p.backoff = Math.min(p.backoff * 2, this.o.maxRetryBackoffMs, PARTITION_BACKOFF_MAX_MS);
      if (!ours()) return;
      if (metadata) {
        try {
          await this.sharedRefresh();
        } catch (err) {
          p.retryMetadata = true;
          this.stats.retries++;
          this.o.onRetry?.(err instanceof KafkaError ? err : new KafkaError((err as Error).message, 'NETWORK', 'refresh'));
          if (!ours()) return;
          continue;
        }
        if (!ours()) return;
      }
      p.retrying = false;
      const head = this.renumber(p, true);
      if (head) this.dispatch([head]);
      return;
    }
  }

  private refreshing?: Promise<void>;

  /** One metadata refresh for every partition retrying at the same moment (a dead broker's, together). */
  private sharedRefresh(): Promise<void> {
    this.refreshing ??= this.refreshMetadata([...this.topics.keys()]).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Renumbers a partition from what the broker acknowledged (a batch refused for good leaves no gap);
   * returns its first batch when it is ready to go (alone, until acknowledged). `resolve`: batches of
   * unknown fate at its front are resolved oldest first (see `PartitionState.resolving`).
   */
  private renumber(p: PartitionState, resolve: boolean): Batch | undefined {
    let s = p.ackedSeq;
    for (const b of p.queue) {
      b.seq = s;
      s = addSeq(s, b.indexes.length);
    }
    p.nextSeq = s;
    // The first batch goes alone until acknowledged; a head still building goes alone when built.
    p.probing = p.queue.length > 0;
    p.resolving = undefined;
    const head = p.queue[0];
    if (!head || head.state !== 'ready') return undefined;
    let unknown = 0;
    while (unknown < p.queue.length && p.queue[unknown]!.unknown && p.queue[unknown]!.state === 'ready') unknown++;
    if (unknown > 1 && resolve) p.resolving = { batches: p.queue.slice(0, unknown), at: 0 };
    return head;
  }

  /**
   * Stops sending on every partition, waits for every request on the wire, then refreshes what is
   * needed (a new producer id, metadata), renumbers every partition and resends everything not
   * acknowledged, in order. Errors arriving meanwhile join the same round.
   */
  private retryLater(err: KafkaError, what: { metadata?: boolean; newPid?: boolean; fatal?: boolean; quiet?: boolean } = {}): void {
    if (what.metadata || err.action === 'refresh') this.recovery.metadata = true;
    if (what.newPid) this.recovery.newPid = true;
    if (what.fatal) this.recovery.fatal = true;
    if (!what.quiet) {
      this.stats.retries++;
      this.o.onRetry?.(err);
    }
    if (this.recovering || this.closed) return;
    this.recovering = true;
    void this.recover();
  }

  private async recover(): Promise<void> {
    for (;;) {
      if (this.inflight > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = undefined;
      if (this.inflight > 0) continue;
      if (this.closed) return;
      const flags = this.recovery;
      this.recovery = { metadata: false, newPid: false, fatal: false };
      await sleep(flags.fatal ? Math.max(this.backoff, 5000) : this.backoff);
      this.backoff = Math.min(this.backoff * 2, flags.fatal ? 30_000 : this.o.maxRetryBackoffMs);
      try {
        if (flags.metadata || flags.fatal) await this.refreshMetadata([...this.topics.keys()]);
        if (flags.newPid) {
          await this.initProducerId();
          for (const p of this.parts.values()) {
            p.ackedSeq = 0;
            p.confirmed = false;
            for (const b of p.queue) b.unknown = false;
          }
        }
      } catch (err) {
        const e = err instanceof KafkaError ? err : new KafkaError((err as Error).message, 'NETWORK', 'refresh');
        this.recovery.metadata = true;
        this.recovery.newPid ||= flags.newPid;
        this.recovery.fatal ||= e.action === 'fatal';
        this.stats.retries++;
        this.o.onRetry?.(e);
        continue;
      }
      // Every partition renumbered and resent, its own retry (if one was under way) ended.
      const resend: Batch[] = [];
      for (const p of this.parts.values()) {
        p.round++;
        p.retrying = false;
        p.retryMetadata = false;
        // A partition retry waiting for its requests ends (it sees the round moved on).
        p.drained?.();
        p.drained = undefined;
        const head = this.renumber(p, !flags.newPid);
        if (head) resend.push(head);
      }
      this.recovering = false;
      if (resend.length) this.dispatch(resend);
      return;
    }
  }

  // ---- metadata, producer id, connections --------------------------------------------------------

  private async ensureTopics(names: string[]): Promise<void> {
    for (;;) {
      const missing = names.filter((n) => !this.topics.has(n));
      if (missing.length === 0) return;
      try {
        await this.refreshMetadata(missing);
        const still = missing.filter((n) => !this.topics.has(n));
        if (still.length === 0) return;
        this.o.onRetry?.(new KafkaError(`Kafka does not know the topic${still.length > 1 ? 's' : ''} ${still.join(', ')}`, 'UNKNOWN_TOPIC_OR_PARTITION', 'refresh'));
      } catch (err) {
        this.o.onRetry?.(err instanceof KafkaError ? err : new KafkaError((err as Error).message, 'NETWORK', 'refresh'));
      }
      if (this.closed) throw new Error('the producer is closed');
      await sleep(this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.o.maxRetryBackoffMs);
    }
  }

  private async refreshMetadata(names: string[]): Promise<void> {
    const all = [...new Set([...names, ...this.topics.keys()])];
    const md = await this.anyBroker((c) => c.request('Metadata', (w, v) => encodeMetadata(w, v, all), decodeMetadata));
    if (md.brokers.length) {
      this.brokers.clear();
      for (const b of md.brokers) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    }
    for (const t of md.topics) {
      if (t.errorCode !== 0 || t.partitions.length === 0) continue;
      const leaders: number[] = [];
      for (const p of t.partitions) leaders[p.partition] = p.errorCode === 0 || p.leader >= 0 ? p.leader : -1;
      const known = this.topics.get(t.name);
      // A topic that gained partitions keeps its key-to-partition mapping only for the Java client too; follow the broker.
      if (!known || known.leaders.length !== leaders.length || known.leaders.some((l, i) => l !== leaders[i])) this.topics.set(t.name, { leaders });
    }
  }

  /** A fresh broker answers COORDINATOR_LOAD_IN_PROGRESS for a moment: those are retried here for up to 30 s. */
  private async initProducerId(): Promise<void> {
    const deadline = Date.now() + 30_000;
    let res = await this.anyBroker((c) => c.request('InitProducerId', encodeInitProducerId, decodeInitProducerId));
    while (res.errorCode !== 0 && errorAction(res.errorCode) === 'retry' && Date.now() < deadline && !this.closed) {
      await sleep(200);
      res = await this.anyBroker((c) => c.request('InitProducerId', encodeInitProducerId, decodeInitProducerId));
    }
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, 'InitProducerId');
    if (this.producerId >= 0n) this.stats.newProducerIds++;
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
  }

  /** Runs `f` on a connection to some broker: known brokers first, then the bootstrap list. */
  private async anyBroker<T>(f: (c: Connection) => Promise<T>): Promise<T> {
    const candidates: Array<{ key: string; host: string; port: number }> = [];
    for (const [id, b] of this.brokers) candidates.push({ key: `node:${id}`, ...b });
    for (const addr of this.o.brokers) {
      candidates.push({ key: `bootstrap:${addr}`, ...brokerAddress(addr) });
    }
    let last: Error | undefined;
    for (const c of candidates) {
      try {
        return await f(await this.open(c.key, c.host, c.port));
      } catch (err) {
        last = err as Error;
        if (err instanceof KafkaError && err.action === 'fatal') throw err;
      }
    }
    throw last ?? new KafkaError('no broker address configured', 'NETWORK', 'fatal');
  }

  private connection(nodeId: number): Promise<Connection> {
    const b = this.brokers.get(nodeId);
    if (!b) return Promise.reject(new KafkaError(`broker ${nodeId} is not in the metadata`, 'BROKER_NOT_AVAILABLE', 'refresh'));
    return this.open(`node:${nodeId}`, b.host, b.port);
  }

  private open(key: string, host: string, port: number): Promise<Connection> {
    let c = this.conns.get(key);
    if (!c) {
      c = Connection.open({ host, port, clientId: this.o.clientId, ssl: this.o.ssl, sasl: this.o.sasl, maxInFlight: this.o.maxInFlight, requestTimeoutMs: this.o.requestTimeoutMs + 5000, connectTimeoutMs: this.o.connectTimeoutMs });
      this.conns.set(key, c);
      const mine = c;
      c.then(
        (conn) => {
          conn.onClose = () => {
            if (this.conns.get(key) === mine) this.conns.delete(key);
          };
        },
        () => {
          if (this.conns.get(key) === mine) this.conns.delete(key);
        },
      );
    }
    return c;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { errorName };
