/**
 * What the Kafka sink holds between a source's batch and Kafka's acknowledgement: the memory queue
 * (oldest first), the optional disk buffer behind it, the counters, and who waits on them (sources
 * for room, `flush` for idleness, a delivery loop for work). The sink (kafka.ts) fills it and applies
 * backpressure; one delivery loop (native-delivery.ts or kafkajs-delivery.ts) drains it. A batch
 * settles, its `onDelivered` called, only once every earlier batch did.
 */
import type { ProducerMessage } from '../../core/kafka/producer.ts';
import type { EventBatch } from '../source.ts';
import type { DiskBuffer, WireMessage } from './disk-buffer.ts';
import { encodedSize, type EncodedEntry, type Wire } from './wire.ts';

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
  /** Log records whose event time the logs topic would refuse (message.timestamp.after.max.ms), sent with the time they were sent as their Kafka timestamp. */
  clampedTimestamps: number;
  lastError?: string;
}

export interface Queued {
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

/**
 * Records in messages `from` to `from + n` of a queue entry: one per message, unless messages hold
 * several (`kafka.records_per_message`: `EncodedLogs.lines`, or `WireMessage.records`). The sink's
 * counters (buffered, sent, dropped, spilled) count records, so they compare with what sources read.
 */
export function recordsIn(q: Queued, from: number, n: number): number {
  if (q.records === q.count) return n;
  const lines = q.encoded?.e.lines;
  let sum = 0;
  if (lines) for (let i = from; i < from + n; i++) sum += lines[i]!;
  else for (let i = from; i < from + n; i++) sum += q.messages![i]!.records ?? 1;
  return sum;
}

export class SinkQueue {
  readonly stats: KafkaSinkStats = {
    sent: 0, batches: 0, retries: 0, buffered: 0, bufferedBytes: 0, diskBuffered: 0, diskBufferedBytes: 0, spilled: 0,
    backpressureWaits: 0, diskRefusals: 0, truncated: 0, dropped: 0, pastRetention: 0, clampedTimestamps: 0,
  };
  /** Batches in memory, oldest first. */
  readonly queue: Queued[] = [];
  /** Queue entries whose messages are in a produce request under way. */
  readonly inFlight = new Set<Queued>();
  disk?: DiskBuffer;
  /** Sources waiting for room (backpressure). */
  readonly roomWaiters: Array<() => void> = [];
  /** `flush` calls waiting until nothing is left. */
  readonly idleWaiters: Array<() => void> = [];
  /** Set by `close`: the delivery loop ends. */
  closing = false;
  /** Whether the wait for room was logged since Kafka last caught up (one warning per episode). */
  waitingLogged = false;
  private wakeSender?: () => void;
  private countedCorrupt = 0;

  /** `w` makes wire and producer messages of events and encoded batches (wire.ts). */
  constructor(readonly w: Wire) {}

  /** Wakes the delivery loop (new work, an acknowledgement, a flush, close). */
  wake(): void {
    this.wakeSender?.();
  }

  /** The delivery loop's wait for `wake`, or for `ms` at most. */
  async sleep(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wakeSender = resolve;
      if (ms !== undefined) setTimeout(resolve, ms);
    });
    this.wakeSender = undefined;
  }

  /** Lets every source waiting for room try again. */
  freeRoom(): void {
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** Kafka acknowledged again: the next wait for room, once none is waiting, is logged anew. */
  caughtUp(): void {
    if (this.waitingLogged && this.roomWaiters.length === 0) this.waitingLogged = false;
  }

  /** Answers every `flush` waiting. */
  becameIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** A queue entry's wire messages, made from its columns the first time they are needed. */
  wire(q: Queued): WireMessage[] {
    return (q.messages ??= this.w.fromEncoded(q.encoded!));
  }

  /** Bytes a queue entry's message `i` counts for (value and key, as `send` added them up). */
  sizeOf(q: Queued, i: number): number {
    return q.messages ? q.messages[i]!.value.length + q.messages[i]!.key.length : encodedSize(q.encoded!.e, i);
  }

  /** Producer messages `from` to `from + n` of a queue entry, appended to `out`: from the columns when it has them. */
  producerMessages(q: Queued, from: number, n: number, out: ProducerMessage[]): void {
    if (q.messages) {
      for (let i = from; i < from + n; i++) out.push(this.w.toProducerMessage(q.messages[i]!));
      return;
    }
    this.w.encodedMessages(q.encoded!, from, n, out);
  }

  /** Settles the batches at the front whose every message was acknowledged (or refused for good), in order. */
  settleFront(): void {
    while (this.queue.length > 0 && this.queue[0]!.acked === this.queue[0]!.count) {
      const q = this.queue.shift()!;
      // Nothing reads a settled batch's values again: a record thread may write the next batch into them.
      q.encoded?.e.release?.();
      q.onDelivered?.({ failed: q.failed });
    }
    this.freeRoom();
  }

  /**
   * On the first spill, what waits in memory (and is not in a request right now) moves to disk
   * first: it is older than what comes next, and once on disk its sources may checkpoint past it,
   * so a crash during a long outage does not re-read it. All or nothing, so order is kept.
   */
  spillMemory(): void {
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

  refreshDiskStats(): void {
    this.stats.diskBuffered = this.disk?.records ?? 0;
    this.stats.diskBufferedBytes = this.disk?.bytes ?? 0;
    this.stats.dropped += (this.disk?.corrupt ?? 0) - this.countedCorrupt;
    this.countedCorrupt = this.disk?.corrupt ?? 0;
  }
}

/** One way of draining a SinkQueue into Kafka (native-delivery.ts, kafkajs-delivery.ts). */
export interface Delivery {
  /** Connects and starts the loop; rejects only for what a person must fix (a wrong password, a broker too old). */
  start(): Promise<void>;
  /** Produce requests under way now. */
  readonly requestsInFlight: number;
  /** After the queue's `closing` is set and the loop woken: waits for the loop to end, then disconnects. */
  close(): Promise<void>;
}
