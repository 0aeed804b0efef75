/**
 * The worker: one member of the `tributary-workers` consumer group. Kafka records of each assigned
 * partition flow through decode -> validate -> pattern miner -> event-time windows, raw rows and
 * pattern deltas land in ClickHouse batch by batch, closed windows land (scored when a scorer is
 * given) on every tick, and a partition's offset is committed only up to the oldest record that is
 * not yet durable in ClickHouse, records still held in windows included.
 *
 * Exactly-once landing, in short (the README has the long form):
 * - Raw batches are cut by rows (`batchMaxRows`) and by the fetch (`batchMaxWaitMs`, `batchMinBytes`);
 *   each insert's deduplication token is `topic/partition/first-last`, patterns use `patterns/...`.
 *   Before a batch's inserts the worker writes its range to `pipeline_state` (an intent), inside the
 *   batch handler; the inserts then run in the background, one batch per partition at a time. A
 *   worker that takes the partition over after a crash or a rebalance cuts its first batch at that
 *   same range, so it sends the same tokens and ClickHouse drops whichever insert comes second.
 * - Records at or below the last landed offset are replayed into the miner and the windows only
 *   (rebuilding the windows that were still open), never stored twice.
 * - Window rows are keyed (series, size, start) with version = records included, in ReplacingMergeTree
 *   tables: a rebuilt window writes the same row again, a partial one loses.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, type EachBatchPayload } from 'kafkajs';
import { createKafka } from '../core/kafka/client.ts';
import { log, type Logger } from '../core/log.ts';
import { TOPICS } from '../core/contracts/topics.ts';
import { type AnomalyRow, type LogRow, type MetricRow, type MetricWindowRow, type PatternRow, type ServiceWindowRow } from '../core/contracts/rows.ts';
import { type Store } from '../core/storage/store.ts';
import { isTributaryError } from '../core/errors.ts';
import { withDefaults } from '../core/defaults.ts';
import { decodeLog, decodeMetric, toClickHouseTime, type Decoded } from './transforms/decode.ts';
import { ClickHouseSink } from './sinks/clickhouse/sink.ts';
import { DlqSink, type DeadRecord } from './sinks/dlq.ts';
import { PatternMiner, type PatternMinerSnapshot } from './transforms/patterns/miner.ts';
import { type PatternMinerOptions } from './transforms/patterns/options.ts';
import { ServiceWindows } from './transforms/windows/service-windows.ts';
import { MetricWindows } from './transforms/windows/metric-windows.ts';
import { type AddStatus, formatWindowTime, safeCommitOffset, type TumblingWindows } from './transforms/windows/tumbling.ts';
import { groupHostWindows, type HostWindow } from './transforms/features/host.ts';
import { PipelineState } from './state.ts';
import { StatsWriter, type StatSample } from './stats.ts';

/** Scores the windows closed in one tick (one model call for all of them). */
export interface WindowScorer {
  /** Fills the score fields of the rows in place and returns the anomalies among them. */
  score(service: ServiceWindowRow[], metric: MetricWindowRow[]): Promise<AnomalyRow[]>;
  /** Duration of the last model call, ms (for `pipeline_stats`, stage `score`). */
  modelMs?(): number;
}

export interface WindowSettings {
  /** Window sizes in ms (default 10 s and 1 min). */
  sizesMs?: number[];
  /** How far the watermark trails the highest event time (default 5 s). */
  allowedLatenessMs?: number;
  /** Processing-time silence after which a partition stops holding windows open (default 30 s). */
  idleTimeoutMs?: number;
  /** Event time a closed window is kept for late records (default max(10 x smallest, 2 x largest)). */
  retentionMs?: number;
}

export interface WorkerOptions {
  brokers: string[];
  store: Store;
  groupId?: string;
  logsTopic?: string;
  metricsTopic?: string;
  dlqTopic?: string;
  /** Start from the earliest record when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** Most bytes fetched per partition in one request; with `batchMaxRows` it bounds memory while ClickHouse is down. */
  maxBytesPerPartition?: number;
  /** Most records in one raw insert (default 20000). */
  batchMaxRows?: number;
  /** Longest a fetch waits for `batchMinBytes` to gather: the time bound of a batch (default 250 ms). */
  batchMaxWaitMs?: number;
  /** Bytes a fetch tries to gather before returning (default 256 KiB). */
  batchMinBytes?: number;
  /** How often windows are closed, scored and landed and offsets committed (default 1000 ms). */
  tickMs?: number;
  /** How often counters go to `pipeline_stats` (default 5000 ms). */
  statsIntervalMs?: number;
  /** How often the miner's snapshot is saved (default 30 s; also on stop). */
  snapshotIntervalMs?: number;
  windows?: WindowSettings;
  patterns?: Partial<PatternMinerOptions>;
  scorer?: WindowScorer;
  /** Name of this worker in `pipeline_stats` (default host/pid). */
  instance?: string;
}

export interface WorkerStats {
  /** Records read from Kafka (each offset once per process). */
  consumed: number;
  /** Log rows landed. */
  stored: number;
  metricsStored: number;
  /** Records sent to the dead-letter topic. */
  dead: number;
  /** Replayed records already landed before (fed to windows only). */
  replaySkipped: number;
  /** Raw batches landed. */
  batches: number;
  /** Offset commits. */
  committed: number;
  patternRows: number;
  serviceWindowRows: number;
  metricWindowRows: number;
  anomalies: number;
  /** Records counted into a window that had already closed (its row is re-emitted). */
  late: number;
  /** Records beyond the windows' retention (stored raw, and sent to the dead-letter topic). */
  tooLate: number;
  /** Records decoded but not yet landed. */
  pending: number;
  /** Sum over assigned partitions of the log end minus the next offset to read. */
  lag: number;
}

type Message = EachBatchPayload['batch']['messages'][number];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the record-type-independent part of an engine
type Engine = TumblingWindows<any, unknown, unknown>;
type Heartbeat = () => Promise<void>;

interface Chunk {
  first: number;
  last: number;
  records: number;
  rows: Array<LogRow | MetricRow>;
  dead: DeadRecord[];
  /** Per (service, pattern): the delta row and its event-time bounds (epoch ms, formatted when landed). */
  patterns: Map<string, { row: PatternRow; first: number; last: number }>;
  intentWritten: boolean;
  deadSent: boolean;
  patternsWritten: boolean;
}

interface PartitionState {
  key: string;
  topic: string;
  partition: number;
  isLogs: boolean;
  /** Next offset to process; lower ones are refetches after a rejoin. */
  nextOffset: number;
  /** Offsets at or below landed before this assignment: replayed into windows only. */
  resumeAfter: number;
  /** The range end of a batch that may have half-landed before: the first batch is cut there. */
  forcedEnd?: number;
  chunk?: Chunk;
  /** The batch being landed in the background (its intent is already written), and its landing. */
  inflight?: Chunk;
  landing?: Promise<void>;
  /** Offset last committed (the next one to read), -1 before the first commit. */
  committed: number;
  highWatermark: number;
}

const DEFAULTS = {
  groupId: 'tributary-workers',
  logsTopic: TOPICS.logs.name,
  metricsTopic: TOPICS.metrics.name,
  dlqTopic: TOPICS.dlq.name,
  fromBeginning: true,
  maxBytesPerPartition: 4 * 1024 * 1024,
  batchMaxRows: 20_000,
  batchMaxWaitMs: 250,
  batchMinBytes: 256 * 1024,
  tickMs: 1000,
  statsIntervalMs: 5000,
  snapshotIntervalMs: 30_000,
  windows: {},
  patterns: {},
  instance: `${hostname()}/${process.pid}`,
};

type Resolved = Omit<Required<WorkerOptions>, 'scorer'> & { scorer?: WindowScorer };

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export class Worker {
  readonly stats: WorkerStats = {
    consumed: 0, stored: 0, metricsStored: 0, dead: 0, replaySkipped: 0, batches: 0, committed: 0, patternRows: 0,
    serviceWindowRows: 0, metricWindowRows: 0, anomalies: 0, late: 0, tooLate: 0, pending: 0, lag: 0,
  };
  readonly sink: ClickHouseSink;
  private readonly o: Resolved;
  private readonly log: Logger = log('worker');
  private consumer?: Consumer;
  private readonly dlq: DlqSink;
  private readonly state: PipelineState;
  private readonly statsWriter: StatsWriter;
  private miner: PatternMiner;
  /** Pattern id -> the record (topic/partition/offset) that created it, so a replay marks it new again. */
  private firstSeen = new Map<string, string>();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly serviceWindows = new Map<number, ServiceWindows>();
  private readonly metricWindows = new Map<number, MetricWindows>();
  /** Closed window rows not yet durable; offsets are committed only once this is empty. */
  private pendingService: ServiceWindowRow[] = [];
  private pendingMetric: MetricWindowRow[] = [];
  private pendingAnomalies: AnomalyRow[] = [];
  /** Keys (`topic/partition`) of the current assignment. */
  private assignment = new Set<string>();
  private busy = false;
  private timer?: NodeJS.Timeout;
  private lastStatsAt = 0;
  private lastSnapshotAt = 0;
  private lastSnapshotHash = '';
  private stopping?: Promise<void>;
  private closing = false;
  private readonly decodedCount = { ok: 0, deadDecode: 0, deadWindows: 0, patterns: 0 };

  constructor(options: WorkerOptions) {
    this.o = withDefaults(DEFAULTS, options) as Resolved;
    this.sink = new ClickHouseSink(this.o.store, log('worker.clickhouse'));
    this.dlq = new DlqSink(this.o.brokers, this.o.dlqTopic);
    this.state = new PipelineState(this.o.store, this.sink, this.o.instance);
    this.statsWriter = new StatsWriter(this.o.store, this.o.instance);
    this.miner = new PatternMiner(this.o.patterns);
    // Fail at start-up, not on the first record, when window settings are wrong.
    new ServiceWindows(this.o.windows);
  }

  async start(): Promise<void> {
    await this.restoreMiner();
    await this.dlq.start();
    const kafka = createKafka({ brokers: this.o.brokers, clientId: 'tributary-worker' });
    const consumer = kafka.consumer({
      groupId: this.o.groupId,
      maxBytesPerPartition: this.o.maxBytesPerPartition,
      minBytes: this.o.batchMinBytes,
      maxWaitTimeInMs: this.o.batchMaxWaitMs,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => this.log.info('The worker group is rebalancing.'));
    await consumer.connect();
    await consumer.subscribe({ topics: [this.o.logsTopic, this.o.metricsTopic], fromBeginning: this.o.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.lastSnapshotAt = Date.now();
    this.timer = setInterval(() => void this.timerTick(), this.o.tickMs);
    this.timer.unref();
  }

  /** Patterns the miner holds (restored from its snapshot on start). */
  get patterns(): number {
    return this.miner.size;
  }

  /** Per assigned partition: the next offset to read, the last commit, and records not yet landed. */
  progress(): Array<{ topic: string; partition: number; next: number; committed: number; pending: number; highWatermark: number }> {
    return [...this.partitions.values()].map((st) => ({
      topic: st.topic, partition: st.partition, next: st.nextOffset, committed: st.committed, pending: (st.chunk?.records ?? 0) + (st.inflight?.records ?? 0), highWatermark: st.highWatermark,
    }));
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

  /**
   * Stops consuming, lands what was read (windows still open stay uncommitted: the next owner of their
   * partitions rebuilds them), commits, saves the miner's snapshot, and leaves the group.
   */
  stop(): Promise<void> {
    this.closing = true;
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      // The last tick runs while the consumer is still a member of the group, so that it can commit;
      // batches kafkajs hands over meanwhile are left unprocessed (and uncommitted).
      await this.acquire();
      try {
        await this.tick(undefined, true);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'The last tick before stopping failed; the next owner replays from the last commit.');
      } finally {
        this.busy = false;
      }
      try {
        await this.consumer?.disconnect();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'Leaving the consumer group failed.');
      }
      await this.dlq.stop();
      this.log.info({ ...this.stats }, 'The worker stopped.');
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------- assignment

  private onAssignment(assignment: Record<string, number[]>): void {
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) for (const p of parts) next.add(`${topic}/${p}`);
    for (const [key, st] of this.partitions) {
      if (next.has(key)) continue;
      // Revoked: whatever was not landed or committed is re-read by the new owner from the last commit.
      this.partitions.delete(key);
      this.stats.pending -= (st.chunk?.records ?? 0) + (st.inflight?.records ?? 0);
      (st.isLogs ? this.serviceWindows : this.metricWindows).delete(st.partition);
      this.log.info({ topic: st.topic, partition: st.partition, committed: st.committed }, 'Handed a revoked partition back.');
    }
    this.assignment = next;
    this.log.info({ assignment }, 'Joined the worker group.');
  }

  /** State of a partition, recovering where to resume on its first batch after an assignment. */
  private async partitionState(topic: string, partition: number, keepAlive: Heartbeat): Promise<PartitionState> {
    const key = `${topic}/${partition}`;
    const known = this.partitions.get(key);
    if (known) return known;
    const isLogs = topic === this.o.logsTopic;
    const intent = await this.retrying(() => this.state.get(`intent/${key}`), keepAlive);
    const stored = await this.retrying(() => this.storedUpTo(isLogs, topic, partition), keepAlive);
    let resumeAfter = stored;
    let forcedEnd: number | undefined;
    const m = intent ? /^(\d+)-(\d+)$/.exec(intent) : null;
    if (m) {
      const [a, b] = [Number(m[1]), Number(m[2])];
      if (stored < b) {
        // That batch may have half-landed (patterns without raw rows): redo it with the same tokens.
        resumeAfter = a - 1;
        forcedEnd = b;
      } else {
        resumeAfter = Math.max(stored, b);
      }
    }
    const st: PartitionState = { key, topic, partition, isLogs, nextOffset: -1, resumeAfter, forcedEnd, committed: -1, highWatermark: 0 };
    this.partitions.set(key, st);
    this.log.info({ topic, partition, resumeAfter, forcedEnd }, 'Took a partition over.');
    return st;
  }

  private async storedUpTo(isLogs: boolean, topic: string, partition: number): Promise<number> {
    const rows = await this.o.store.query<{ m: string; c: string | number }>(
      isLogs
        ? 'SELECT toString(max(kafka_offset)) AS m, count() AS c FROM logs WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16}'
        : 'SELECT toString(max(kafka_offset)) AS m, count() AS c FROM metrics WHERE kafka_partition = {partition:UInt16}',
      { topic, partition },
    );
    return rows.length > 0 && Number(rows[0]!.c) > 0 ? Number(rows[0]!.m) : -1;
  }

  // ---------------------------------------------------------------- the data path

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale() || this.closing) return;
    await this.acquire(heartbeat);
    try {
      if (this.closing) return;
      if (!this.assignment.has(`${batch.topic}/${batch.partition}`) && this.assignment.size > 0) return;
      const st = await this.partitionState(batch.topic, batch.partition, heartbeat);
      st.highWatermark = Number(batch.highWatermark);
      if (st.chunk && !this.held(st)) await this.dispatch(st, heartbeat);
      else await this.settle(st, heartbeat, false);
      const now = Date.now();
      let lastDone: string | undefined;
      // Running and stale change only while this handler awaits (stop, a seek): checked again after
      // each await rather than per record, where kafkajs builds a key string for every call.
      let checked = false;
      for (const m of batch.messages as Message[]) {
        if (!checked) {
          if (!isRunning() || isStale()) break;
          checked = true;
        }
        const off = Number(m.offset);
        lastDone = m.offset;
        if (off < st.nextOffset) continue;
        if (st.nextOffset < 0) this.engineOf(st).assignPartition(st.partition, now);
        st.nextOffset = off + 1;
        this.stats.consumed++;
        if (st.forcedEnd !== undefined && off > st.forcedEnd && !st.chunk) st.forcedEnd = undefined;
        if (st.isLogs) this.processLog(st, m, off, now);
        else this.processMetric(st, m, off, now);
        const c = st.chunk;
        if (c && (c.records >= this.o.batchMaxRows || (st.forcedEnd !== undefined && c.last >= st.forcedEnd))) {
          await this.dispatch(st, heartbeat);
          checked = false;
        }
      }
      if (st.chunk && !this.held(st)) await this.dispatch(st, heartbeat);
      if (lastDone !== undefined) resolveOffset(lastDone);
      this.updateGauges();
      if (Date.now() - this.lastTickAt >= this.o.tickMs) await this.tick(heartbeat);
    } finally {
      this.busy = false;
    }
    await heartbeat();
  }

  /** A recovery batch waits until it reaches the range end of the batch it redoes. */
  private held(st: PartitionState): boolean {
    return st.forcedEnd !== undefined && st.chunk !== undefined && st.chunk.last < st.forcedEnd;
  }

  private serviceEngine(partition: number): ServiceWindows {
    let w = this.serviceWindows.get(partition);
    if (!w) this.serviceWindows.set(partition, (w = new ServiceWindows(this.o.windows)));
    return w;
  }

  private metricEngine(partition: number): MetricWindows {
    let w = this.metricWindows.get(partition);
    if (!w) this.metricWindows.set(partition, (w = new MetricWindows(this.o.windows)));
    return w;
  }

  /** The window engine of a partition, for what does not depend on the record type. */
  private engineOf(st: PartitionState): Engine {
    return st.isLogs ? this.serviceEngine(st.partition) : this.metricEngine(st.partition);
  }

  private chunkFor(st: PartitionState, off: number): Chunk {
    let c = st.chunk;
    if (!c) {
      c = { first: off, last: off, records: 0, rows: [], dead: [], patterns: new Map(), intentWritten: false, deadSent: false, patternsWritten: false };
      st.chunk = c;
    }
    c.last = off;
    c.records++;
    this.stats.pending++;
    return c;
  }

  private dead(st: PartitionState, m: Message, off: number, stage: string, reason: string): void {
    const c = this.chunkFor(st, off);
    c.dead.push({ reason, stage, topic: st.topic, partition: st.partition, offset: m.offset, key: m.key, value: m.value });
  }

  /** Decodes a record; one that cannot be read goes to the dead-letter chunk (once: not again on replay). */
  private decodeOrDead<T>(st: PartitionState, m: Message, off: number, decoded: Decoded<T>): T | undefined {
    if (decoded.ok) return decoded.value;
    if (off > st.resumeAfter) {
      this.decodedCount.deadDecode++;
      this.dead(st, m, off, decoded.stage, decoded.reason);
    }
    return undefined;
  }

  private processLog(st: PartitionState, m: Message, off: number, now: number): void {
    const replay = off <= st.resumeAfter;
    const r = this.decodeOrDead(st, m, off, decodeLog(m.value, now));
    if (!r) return;
    const t = Date.parse(r.time);
    const match = this.miner.match(r.body);
    const origin = `${st.topic}/${st.partition}/${off}`;
    let isNew = match.isNew;
    if (isNew) this.rememberFirstSeen(match.patternId, origin);
    else if (this.firstSeen.get(match.patternId) === origin) isNew = true;
    const status = this.serviceEngine(st.partition).add(
      { time: t, service: r.service, severity_number: r.severity_number, pattern_id: match.patternId, pattern_is_new: isNew, attributes: r.attributes, partition: st.partition, offset: off },
      now,
    );
    if (status === 'late') this.stats.late++;
    if (replay) {
      this.stats.replaySkipped++;
      return;
    }
    this.decodedCount.ok++;
    const c = this.chunkFor(st, off);
    // Agents usually stamp observed_time = time: convert the text once.
    const time = toClickHouseTime(r.time);
    c.rows.push({
      time,
      observed_time: r.observed_time === r.time ? time : toClickHouseTime(r.observed_time),
      service: r.service,
      host: r.host,
      severity_text: r.severity_text,
      severity_number: r.severity_number,
      body: r.body,
      attributes: r.attributes,
      resource: r.resource,
      trace_id: r.trace_id,
      span_id: r.span_id,
      pattern_id: match.patternId,
      source_kind: r.origin.kind,
      source_path: r.origin.path ?? '',
      source_offset: r.origin.offset ?? 0,
      kafka_topic: st.topic,
      kafka_partition: st.partition,
      kafka_offset: m.offset,
    } satisfies LogRow);
    const pkey = `${r.service}\u0000${match.patternId}`;
    const p = c.patterns.get(pkey);
    if (p) {
      p.row.count++;
      p.row.template = match.template;
      if (t < p.first) p.first = t;
      if (t > p.last) p.last = t;
    } else {
      c.patterns.set(pkey, { row: { pattern_id: match.patternId, service: r.service, template: match.template, first_seen: '', last_seen: '', count: 1 }, first: t, last: t });
    }
    if (status !== 'on_time' && status !== 'late') this.tooLate(st, m, status);
  }

  private processMetric(st: PartitionState, m: Message, off: number, now: number): void {
    const replay = off <= st.resumeAfter;
    const p = this.decodeOrDead(st, m, off, decodeMetric(m.value, now));
    if (!p) return;
    const status = this.metricEngine(st.partition).add(
      { time: Date.parse(p.time), service: p.service, host: p.host, name: p.name, value: p.value, partition: st.partition, offset: off },
      now,
    );
    if (status === 'late') this.stats.late++;
    if (replay) {
      this.stats.replaySkipped++;
      return;
    }
    this.decodedCount.ok++;
    this.chunkFor(st, off).rows.push({
      time: toClickHouseTime(p.time),
      service: p.service,
      host: p.host,
      name: p.name,
      kind: p.kind,
      value: p.value,
      unit: p.unit,
      labels: p.labels,
      kafka_partition: st.partition,
      kafka_offset: m.offset,
    } satisfies MetricRow);
    if (status !== 'on_time' && status !== 'late') this.tooLate(st, m, status);
  }

  /** The record is stored raw, but its windows are gone: it goes aside to the DLQ too, never silently. */
  private tooLate(st: PartitionState, m: Message, status: Exclude<AddStatus, 'on_time' | 'late'>): void {
    this.stats.tooLate++;
    this.decodedCount.deadWindows++;
    const w = this.engineOf(st);
    const reason = status === 'too_late'
      ? `too late for its windows: event time is more than the retention (${w.retentionMs} ms) behind the watermark ${new Date(w.watermark).toISOString()}`
      : status === 'future'
        ? 'too far ahead of processing time for its windows'
        : 'cannot be windowed';
    const c = st.chunk!;
    c.dead.push({ reason, stage: 'windows', topic: st.topic, partition: st.partition, offset: m.offset, key: m.key, value: m.value });
  }

  private rememberFirstSeen(id: string, origin: string): void {
    this.firstSeen.set(id, origin);
    if (this.firstSeen.size > 2 * this.miner.options.maxClusters) {
      for (const k of this.firstSeen.keys()) if (this.miner.template(k) === undefined) this.firstSeen.delete(k);
    }
  }

  /**
   * Hands a partition's current batch over to landing. Its intent is written here, before the batch
   * handler returns (so that a worker taking the partition over in a rebalance sees it); dead letters,
   * pattern deltas and raw rows land in the background while the next batch is decoded. One batch per
   * partition is in flight at a time, so intents and landings stay in offset order.
   */
  private async dispatch(st: PartitionState, keepAlive?: Heartbeat): Promise<void> {
    await this.settle(st, keepAlive);
    const c = st.chunk;
    if (!c) return;
    if (!c.intentWritten) {
      const range = `${c.first}-${c.last}`;
      await this.state.put(`intent/${st.key}`, range, keepAlive, `intent/${st.key}/${range}`);
      c.intentWritten = true;
    }
    st.chunk = undefined;
    if (st.forcedEnd !== undefined && c.last >= st.forcedEnd) st.forcedEnd = undefined;
    st.inflight = c;
    const landing = this.landRest(st, c).then(
      () => {
        if (st.inflight === c) st.inflight = undefined;
      },
      (err: unknown) => {
        // Kept in flight: the next batch of the partition (or the next tick) lands it again, same tokens.
        this.log.warn({ topic: st.topic, partition: st.partition, err: (err as Error).message }, 'Landing a batch failed; it is retried.');
      },
    );
    st.landing = landing;
    void landing.finally(() => {
      if (st.landing === landing) st.landing = undefined;
    });
  }

  /**
   * Waits for the partition's batch in flight (heartbeating meanwhile); one that failed in the
   * background is landed again here. With `wait` false, only a failed one is handled.
   */
  private async settle(st: PartitionState, keepAlive?: Heartbeat, wait = true): Promise<void> {
    const p = st.landing;
    if (p && wait) {
      let done = false;
      void p.finally(() => (done = true));
      while (!done) {
        await Promise.race([p, sleep(1000)]);
        if (!done && keepAlive) await keepAlive();
      }
    }
    const c = st.inflight;
    if (c && !st.landing) {
      await this.landRest(st, c, keepAlive);
      if (st.inflight === c) st.inflight = undefined;
    }
  }

  /** Lands a batch whose intent is written: dead letters, pattern deltas, raw rows. */
  private async landRest(st: PartitionState, c: Chunk, keepAlive?: Heartbeat): Promise<void> {
    const range = `${c.first}-${c.last}`;
    const started = performance.now();
    if (!c.deadSent && c.dead.length > 0) {
      await this.dlq.send(c.dead);
      this.stats.dead += c.dead.length;
      this.log.warn({ topic: st.topic, partition: st.partition, count: c.dead.length, reason: c.dead[0]!.reason }, 'Sent records to the dead-letter topic.');
    }
    c.deadSent = true;
    if (!c.patternsWritten && c.patterns.size > 0) {
      const rows = [...c.patterns.values()].map((p) => ({ ...p.row, first_seen: formatWindowTime(p.first), last_seen: formatWindowTime(p.last) }));
      await this.sink.insert('log_patterns', rows, `patterns/${st.key}/${range}`, keepAlive);
      this.stats.patternRows += c.patterns.size;
    }
    c.patternsWritten = true;
    await this.sink.insert(st.isLogs ? 'logs' : 'metrics', c.rows, `${st.key}/${range}`, keepAlive);
    if (st.isLogs) this.stats.stored += c.rows.length;
    else this.stats.metricsStored += c.rows.length;
    this.stats.batches++;
    if (this.partitions.get(st.key) === st) this.stats.pending -= c.records;
    this.lastBatch = { ms: performance.now() - started, size: c.records };
  }

  private lastBatch = { ms: 0, size: 0 };
  private lastTickAt = 0;

  // ---------------------------------------------------------------- ticks: windows, scores, commits

  private async acquire(heartbeat?: Heartbeat): Promise<void> {
    while (this.busy) {
      if (heartbeat) await heartbeat();
      await sleep(50);
    }
    this.busy = true;
  }

  private async timerTick(): Promise<void> {
    if (this.busy || this.closing) return;
    this.busy = true;
    try {
      await this.tick();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'A worker tick failed; it is retried on the next one.');
    } finally {
      this.busy = false;
    }
  }

  /** Closes windows, scores and lands them, then commits what is durable. Runs with the lock held. */
  private async tick(keepAlive?: Heartbeat, final = false): Promise<void> {
    const now = Date.now();
    this.lastTickAt = now;
    for (const st of [...this.partitions.values()]) {
      if (st.chunk && !this.held(st)) await this.dispatch(st, keepAlive);
      else await this.settle(st, keepAlive, final);
    }
    const service = closeWindows(this.serviceWindows, now);
    const metric = closeWindows(this.metricWindows, now);
    if (service.length + metric.length > 0) {
      if (this.o.scorer) {
        try {
          this.pendingAnomalies.push(...(await this.o.scorer.score(service, metric)));
        } catch (err) {
          this.log.warn({ err: (err as Error).message, windows: service.length + metric.length }, 'Scoring failed; the windows are stored unscored.');
        }
      }
      this.pendingService.push(...service);
      this.pendingMetric.push(...metric);
    }
    await this.landWindows(keepAlive);
    await this.commit();
    this.updateGauges();
    if (final || now - this.lastStatsAt >= this.o.statsIntervalMs) {
      this.lastStatsAt = now;
      await this.statsWriter.write(this.samples());
    }
    if (final || now - this.lastSnapshotAt >= this.o.snapshotIntervalMs) {
      this.lastSnapshotAt = now;
      await this.saveMiner(keepAlive);
    }
  }

  private async landWindows(keepAlive?: Heartbeat): Promise<void> {
    if (this.pendingService.length > 0) {
      const rows = this.pendingService;
      await this.sink.insert('service_windows', rows, `service_windows/${sha1(JSON.stringify(rows))}`, keepAlive);
      this.stats.serviceWindowRows += rows.length;
      this.pendingService = [];
    }
    if (this.pendingMetric.length > 0) {
      const rows = this.pendingMetric;
      await this.sink.insert('metric_windows', rows, `metric_windows/${sha1(JSON.stringify(rows))}`, keepAlive);
      this.stats.metricWindowRows += rows.length;
      this.pendingMetric = [];
    }
    if (this.pendingAnomalies.length > 0) {
      const rows = this.pendingAnomalies;
      await this.sink.insert('anomalies', rows, `anomalies/${sha1(JSON.stringify(rows.map((r) => ({ ...r, detected_at: '' }))))}`, keepAlive);
      this.stats.anomalies += rows.length;
      this.pendingAnomalies = [];
    }
  }

  /** Commits, per assigned partition, up to the oldest record not yet durable (windows included). */
  private async commit(): Promise<void> {
    if (!this.consumer) return;
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    const targets: Array<[PartitionState, number]> = [];
    for (const st of this.partitions.values()) {
      if (st.nextOffset < 0 || !this.assignment.has(st.key)) continue;
      const w: Engine | undefined = (st.isLogs ? this.serviceWindows : this.metricWindows).get(st.partition);
      const heldOffset = w?.lowestHeldOffsets().get(st.partition);
      const off = safeCommitOffset(st.nextOffset, heldOffset, st.inflight?.first, st.chunk?.first);
      if (off <= st.committed) continue;
      offsets.push({ topic: st.topic, partition: st.partition, offset: String(off) });
      targets.push([st, off]);
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const [st, off] of targets) st.committed = off;
      this.stats.committed += offsets.length;
    } catch (err) {
      // A rebalance took the partitions meanwhile: the new owner re-reads from the last commit.
      this.log.info({ err: (err as Error).message }, 'Committing offsets failed; they are committed on the next tick.');
    }
  }

  private updateGauges(): void {
    let lag = 0;
    for (const st of this.partitions.values()) if (st.nextOffset >= 0) lag += Math.max(0, st.highWatermark - st.nextOffset);
    this.stats.lag = lag;
  }

  private samples(): StatSample[] {
    const s = this.stats;
    return [
      { stage: 'consume', name: 'records_in', value: s.consumed, kind: 'counter' },
      { stage: 'consume', name: 'consumer_lag', value: s.lag, kind: 'gauge' },
      { stage: 'decode', name: 'records_out', value: this.decodedCount.ok, kind: 'counter' },
      { stage: 'decode', name: 'dlq_records', value: this.decodedCount.deadDecode, kind: 'counter' },
      { stage: 'patterns', name: 'records_out', value: s.patternRows, kind: 'counter' },
      { stage: 'windows', name: 'late_records', value: s.late, kind: 'counter' },
      { stage: 'windows', name: 'dlq_records', value: this.decodedCount.deadWindows, kind: 'counter' },
      { stage: 'windows', name: 'records_out', value: s.serviceWindowRows + s.metricWindowRows, kind: 'counter' },
      { stage: 'windows', name: 'held_windows', value: this.heldWindows(), kind: 'gauge' },
      { stage: 'score', name: 'records_out', value: s.anomalies, kind: 'counter' },
      ...(this.o.scorer?.modelMs ? [{ stage: 'score' as const, name: 'model_ms', value: this.o.scorer.modelMs(), kind: 'gauge' as const }] : []),
      { stage: 'store', name: 'records_out', value: s.stored + s.metricsStored, kind: 'counter' },
      { stage: 'store', name: 'batch_ms', value: this.lastBatch.ms, kind: 'gauge' },
      { stage: 'store', name: 'batch_size', value: this.lastBatch.size, kind: 'gauge' },
      { stage: 'store', name: 'retries', value: this.sink.stats.retries, kind: 'counter' },
      { stage: 'store', name: 'pending_records', value: s.pending, kind: 'gauge' },
    ];
  }

  private heldWindows(): number {
    let n = 0;
    for (const w of [...this.serviceWindows.values(), ...this.metricWindows.values()] as Engine[]) n += w.heldWindows;
    return n;
  }

  // ---------------------------------------------------------------- the miner's snapshot

  private minerKey(): string {
    return `miner/${this.o.groupId}`;
  }

  private async restoreMiner(): Promise<void> {
    try {
      const text = await this.state.get(this.minerKey());
      if (!text) return;
      const saved = JSON.parse(text) as { miner: PatternMinerSnapshot; firstSeen: [string, string][] };
      this.miner = PatternMiner.restore(saved.miner, this.o.patterns);
      this.firstSeen = new Map(saved.firstSeen ?? []);
      this.lastSnapshotHash = sha1(text);
      this.log.info({ patterns: this.miner.size }, 'Restored the pattern miner from its snapshot.');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Could not restore the pattern miner; it starts empty.');
    }
  }

  private async saveMiner(keepAlive?: Heartbeat): Promise<void> {
    const text = JSON.stringify({ miner: this.miner.snapshot(), firstSeen: [...this.firstSeen] });
    const hash = sha1(text);
    if (hash === this.lastSnapshotHash) return;
    await this.state.put(this.minerKey(), text, keepAlive);
    this.lastSnapshotHash = hash;
  }

  /** Runs a read until it succeeds, backing off while the store is unreachable. */
  private async retrying<T>(fn: () => Promise<T>, keepAlive?: Heartbeat): Promise<T> {
    let backoff = 200;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!isTributaryError(err) || !err.canRetry) throw err;
        await keepAlive?.();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}

/**
 * Closes the windows of every partition of one topic. A partition idle past its timeout does not keep
 * its windows open: its watermark is moved to the lowest watermark of the active partitions.
 */
function closeWindows<Row>(all: ReadonlyMap<number, { advance(now: number): Row[] } & Engine>, now: number): Row[] {
  let minActive = Infinity;
  const idle: Engine[] = [];
  for (const w of all.values()) {
    const info = w.watermarks.partitions(now)[0];
    if (!info || info.idle) idle.push(w);
    else minActive = Math.min(minActive, w.watermarks.compute(now));
  }
  if (Number.isFinite(minActive)) for (const w of idle) w.watermarks.forceTo(minActive);
  const rows: Row[] = [];
  for (const w of all.values()) rows.push(...w.advance(now));
  return rows;
}

/** Adapts the ONNX scorer (`transforms/scoring`) to the worker: service rows, then host windows, one tick each. */
export function windowScorerOf(scorer: {
  scoreServiceWindows(rows: ServiceWindowRow[]): Promise<{ anomalies: AnomalyRow[] }>;
  scoreHostWindows(windows: HostWindow[]): Promise<{ anomalies: AnomalyRow[] }>;
  counters?: { lastRunMs: number };
}): WindowScorer {
  return {
    modelMs: () => scorer.counters?.lastRunMs ?? 0,
    async score(service, metric) {
      const out: AnomalyRow[] = [];
      if (service.length > 0) out.push(...(await scorer.scoreServiceWindows(service)).anomalies);
      if (metric.length > 0) out.push(...(await scorer.scoreHostWindows(groupHostWindows(metric))).anomalies);
      return out;
    },
  };
}

/**
 * The ONNX scorer over the models shipped under `models/` (or none when `enabled` is false or the
 * model files are missing), ready to hand to `new Worker({ scorer })`; `close` stops its file watches.
 */
export async function openShippedScorer(enabled = true): Promise<{ scorer?: WindowScorer; close(): Promise<void> }> {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const { defaultScoringConfig, Scorer } = await import('./transforms/scoring/scorer.ts');
  const config = defaultScoringConfig(fileURLToPath(new URL('..', import.meta.url)));
  if (!enabled || !config.models.every((m) => existsSync(m.manifest))) return { close: async () => undefined };
  const scoring = await Scorer.open(config);
  return { scorer: windowScorerOf(scoring), close: () => scoring.close() };
}
