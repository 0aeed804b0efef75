/**
 * The Kafka sink's default delivery loop: our own idempotent producer (core/kafka/producer.ts), up to
 * `maxInFlight` produce calls under way, each call a slice of the memory queue handed over without
 * waiting for the one before. Calls are credited in the order they were made, so a batch settles only
 * after every earlier one; the producer keeps order per partition and retries on its own. With a disk
 * buffer and Kafka failing, nothing new is handed over: memory spills to disk while a probe waits for
 * Kafka to answer again. The disk buffer is read one batch at a time, after what memory had in flight.
 */
import { securityOf } from '../../core/kafka/security.ts';
import { refusalOf } from '../../core/kafka/admin.ts';
import type { Logger } from '../../core/log.ts';
import { KafkaProducer, KafkaError, type ProducerMessage, type SendResult } from '../../core/kafka/producer.ts';
import { recordsOf } from './wire.ts';
import { recordsIn, type Delivery, type Queued, type SinkQueue } from './sink-queue.ts';
import type { SinkSettings } from './kafka.ts';

const RESTAMP_REPORT_EVERY_MS = 10 * 60_000;

/** What one producer call took from the memory queue: from which batch, from where, how many records and bytes. */
type Taken = Array<{ q: Queued; from: number; count: number; bytes: number }>;

export class NativeDelivery implements Delivery {
  private native?: KafkaProducer;
  private loop?: Promise<void>;
  /** Produce calls awaiting their acknowledgement, oldest first (credited in this order). */
  private readonly pending: Array<{ taken: Taken; count: number; bytes: number; result?: SendResult; dropped?: number }> = [];
  /** The kind of the last retry logged since Kafka last acknowledged (see onRetry). */
  private retryLogged?: string;
  private restampUnreported = 0;
  private restampReportedAt = -Infinity;

  constructor(
    private readonly sq: SinkQueue,
    private readonly o: SinkSettings,
    private readonly log: Logger,
  ) {}

  get requestsInFlight(): number {
    return this.pending.length;
  }

  /** The producer's own counters (bench/agent.ts prints them with BENCH_DEBUG). */
  get producerStats(): unknown {
    return this.native?.stats;
  }

  /**
   * Connects once to learn at start what only a person can fix (a wrong password, a broker too old):
   * those stop the agent with the broker named. An unreachable Kafka does not: records wait in the
   * buffers and the producer keeps trying.
   */
  async start(): Promise<void> {
    // The same settings as every client here: the config's, else KAFKA_SSL(_CA_FILE) and KAFKA_SASL_*.
    const { ssl, sasl } = securityOf({ ssl: this.o.ssl, sasl: this.o.sasl });
    const p = new KafkaProducer({
      brokers: this.o.brokers,
      clientId: this.o.clientId,
      compression: this.o.compression,
      ssl,
      sasl,
      maxInFlight: this.o.maxInFlight,
      requestTimeoutMs: this.o.requestTimeoutMs,
      onRetry: (err) => this.onRetry(err),
      onRestamped: (n, err) => this.onRestamped(n, err),
    });
    try {
      await p.connect();
    } catch (err) {
      const refused = refusalOf(err);
      if (refused) {
        await p.close();
        throw refused;
      }
      this.log.warn({ brokers: this.o.brokers, err: (err as Error).message }, 'Kafka cannot be reached yet; records wait in the buffers and the agent keeps trying.');
      this.sq.stats.lastError = (err as Error).message;
    }
    this.native = p;
    this.loop = this.run();
  }

  async close(): Promise<void> {
    await this.loop;
    await this.native?.close();
  }

  private onRetry(err: KafkaError): void {
    const stats = this.sq.stats;
    stats.retries++;
    const message = err.message;
    // Once per kind of error until Kafka acknowledges again: partitions are retried one by one, so
    // the messages of one outage alternate ("no leader known for logs.v1/0", "... metrics.v1/2").
    if (this.retryLogged !== err.type) {
      this.retryLogged = err.type;
      if (err.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        this.log.error({ topics: [this.o.logsTopic, this.o.metricsTopic], err: message }, 'Kafka does not know one of the topics; records wait until it is created (npx tributary stack up creates logs.v1 and metrics.v1).');
      } else if (err.action === 'fatal') {
        this.log.error({ brokers: this.o.brokers, err: message, buffered: stats.buffered }, 'Kafka refuses this agent (authentication, authorisation or configuration); records are held and retried slowly until that is fixed.');
      } else {
        this.log.warn({ brokers: this.o.brokers, err: message, buffered: stats.buffered, diskBuffered: this.sq.disk?.records }, 'Kafka did not acknowledge a batch; holding it and retrying.');
      }
    }
    stats.lastError = message;
  }

  /**
   * Kafka refused records for their timestamps although the sink had clamped them to this host's
   * clock (`TimestampClamp`): the broker's clock and this one disagree by more than the topic allows.
   * The producer sent them again without a Kafka timestamp; counted with the clamped ones, warned at
   * most every 10 minutes.
   */
  private onRestamped(n: number, err: KafkaError): void {
    this.sq.stats.clampedTimestamps += n;
    this.restampUnreported += n;
    const now = Date.now();
    if (now - this.restampReportedAt < RESTAMP_REPORT_EVERY_MS) return;
    this.restampReportedAt = now;
    this.log.warn(
      { records: this.restampUnreported, reason: err.message, hostTime: new Date(now).toISOString() },
      "Kafka refused records for their timestamps although they were within the topic's limits by this host's clock: this host's clock or the broker's is likely off (by more than message.timestamp.after.max.ms or before.max.ms). They were sent again without a Kafka timestamp (-1), so none is lost; their time field keeps the event time.",
    );
    this.restampUnreported = 0;
  }

  /** Records Kafka refused for good (`records` of them in its refused messages): counted and logged (one line per call, with the first reason); `messageAt` gives a sent message again by its index. */
  private countFailed(messageAt: (index: number) => ProducerMessage, result: SendResult, records: number): void {
    if (result.failed.length === 0) return;
    this.sq.stats.dropped += records;
    const first = result.failed[0]!;
    const m = messageAt(first.index);
    this.log.error({ reason: first.error.message, count: result.failed.length, ...(records !== result.failed.length ? { records } : {}), key: m.key?.toString(), bytes: m.value.length }, 'Kafka refused records for good; they were dropped (counted in dropped).');
  }

  private async run(): Promise<void> {
    const sq = this.sq;
    const stats = sq.stats;
    let probeBackoff = 250;
    while (!sq.closing) {
      const diskWaiting = sq.disk !== undefined && !sq.disk.empty;
      const unsent = sq.queue.some((q) => q.next < q.count);
      if (!unsent && !diskWaiting) {
        if (sq.queue.length === 0 && this.pending.length === 0) sq.becameIdle();
        await sq.sleep();
        continue;
      }
      if (unsent && sq.disk && stats.lastError !== undefined) {
        // With a disk buffer, nothing new is handed to a failing Kafka: what waits in memory can then
        // spill to disk and let the sources checkpoint. A probe tells when Kafka answers again.
        if (this.pending.length > 0) {
          await sq.sleep(1000);
          continue;
        }
        try {
          await this.native!.probe([this.o.logsTopic, ...(sq.queue.some((q) => q.messages?.some((m) => m.topic === 'metrics')) ? [this.o.metricsTopic] : [])]);
          this.noteAcked();
          probeBackoff = 250;
        } catch (err) {
          this.onRetry(err instanceof KafkaError ? err : new KafkaError((err as Error).message, 'NETWORK', 'refresh'));
          await new Promise((r) => setTimeout(r, probeBackoff));
          probeBackoff = Math.min(probeBackoff * 2, 5000);
        }
        continue;
      }
      if (unsent) {
        if (this.pending.length >= this.o.maxInFlight) {
          await sq.sleep();
          continue;
        }
        let unsentEvents = stats.buffered;
        let unsentBytes = stats.bufferedBytes;
        for (const p of this.pending) {
          unsentEvents -= p.count;
          unsentBytes -= p.bytes;
        }
        // Requests are under way: a moment's wait makes the next one fuller, unless what waits already
        // fills one. By bytes too: records of 600 bytes fill a request at about 1,500, far below its
        // event limit, and waiting then only left Kafka idle (the agent with parsing off shipped a third
        // more lines/s once it stopped waiting; agents/PERFORMANCE.md, "A linger that waited for nothing").
        if (this.pending.length > 0 && unsentEvents < this.o.batchMaxEvents && unsentBytes < this.o.batchMaxBytes && this.o.lingerMs > 0 && !sq.closing) {
          await new Promise((r) => setTimeout(r, this.o.lingerMs));
        }
        this.sendSlice();
        continue;
      }
      // The disk buffer is read one batch at a time, after what memory had in flight.
      if (this.pending.length > 0) {
        await sq.sleep();
        continue;
      }
      const disk = sq.disk!;
      const { messages, end } = disk.peek(this.o.batchMaxEvents, this.o.batchMaxBytes);
      const records = recordsOf(messages);
      let refused = 0;
      if (messages.length > 0) {
        const out = messages.map((m) => sq.w.toProducerMessage(m));
        const result = await this.native!.send(out);
        refused = result.failed.reduce((n, f) => n + (messages[f.index]!.records ?? 1), 0);
        this.countFailed((i) => out[i]!, result, refused);
        this.noteAcked();
      }
      disk.ack(end, messages.length, records);
      if (messages.length === 0) disk.forgetCount(); // only unreadable bytes were left
      stats.sent += records - refused;
      stats.batches++;
      sq.refreshDiskStats();
      sq.freeRoom();
    }
  }

  private noteAcked(): void {
    const sq = this.sq;
    if (sq.stats.lastError) {
      this.log.info({ brokers: this.o.brokers }, 'Kafka is acknowledging again; sending what was buffered.');
      sq.stats.lastError = undefined;
    }
    this.retryLogged = undefined;
    sq.caughtUp();
  }

  /** Hands the next slice of the memory queue to the producer without waiting for its acknowledgement. */
  private sendSlice(): void {
    const sq = this.sq;
    const out: ProducerMessage[] = [];
    const taken: Taken = [];
    let budget = this.o.batchMaxEvents;
    let bytes = 0;
    let records = 0;
    for (const q of sq.queue) {
      if (budget === 0 || bytes >= this.o.batchMaxBytes) break;
      let n = 0;
      let b = 0;
      while (q.next + n < q.count && budget > 0 && (bytes + b < this.o.batchMaxBytes || out.length + n === 0)) {
        b += sq.sizeOf(q, q.next + n);
        n++;
        budget--;
      }
      bytes += b;
      if (n > 0) {
        sq.producerMessages(q, q.next, n, out);
        taken.push({ q, from: q.next, count: n, bytes: b });
        records += recordsIn(q, q.next, n);
        q.next += n;
        sq.inFlight.add(q);
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
          sq.producerMessages(t.q, t.from + i, 1, one);
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
    const sq = this.sq;
    let any = false;
    while (this.pending.length > 0 && this.pending[0]!.result) {
      const { taken, count, dropped } = this.pending.shift()!;
      for (const { q, count: n, bytes } of taken) {
        q.acked += n;
        sq.stats.bufferedBytes -= bytes;
        if (q.acked === q.count) sq.inFlight.delete(q);
      }
      // Records Kafka refused for good are counted in dropped, not sent.
      sq.stats.sent += count - (dropped ?? 0);
      sq.stats.batches++;
      sq.stats.buffered -= count;
      any = true;
    }
    if (!any) return;
    this.noteAcked();
    sq.settleFront();
    sq.wake();
  }
}
