/**
 * The worker: one member of the `tributary-workers` consumer group, assembled from its parts:
 *
 *   sources/kafka.ts  ->  streams (one stage chain per topic: decode -> ... -> windows)  ->  sinks/clickhouse
 *        (fetch)            stages/, stage.ts (the contract)                               (landing.ts: intents, tokens,
 *                                                                                           recovery; sink.ts: retries)
 *   ledger.ts decides what may be committed; stateful stages (the miner, feature baselines) are saved
 *   and restored through `pipeline_state`; stats.ts writes the worker's own counters.
 *
 * This file only drives them: a fetched batch goes record by record through its stream into the
 * partition's raw batch; batches land in the background (one in flight per partition); a tick closes
 * windows, scores them, lands them and commits. The landing protocol and its exactly-once argument are
 * in `sinks/clickhouse/landing.ts`, the commit rule in `ledger.ts`, the long form in the README.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { log, type Logger } from '../core/log.ts';
import { isTributaryError } from '../core/errors.ts';
import { tracer } from '../core/telemetry.ts';
import { guardStrayKafkaRejections } from '../core/kafka/stray-rejections.ts';
import { HEADERS, TOPICS } from '../core/contracts/topics.ts';
import { type AnomalyRow, type MetricWindowRow, type ModelScoreRow, type ServiceWindowRow } from '../core/contracts/rows.ts';
import { type Store } from '../core/storage/store.ts';
import { withDefaults } from '../core/defaults.ts';
import { ClickHouseSink } from './sinks/clickhouse/sink.ts';
import { BatchCursor, type Heartbeat, Landing, NO_WRITES, sha1 } from './sinks/clickhouse/landing.ts';
import { PipelineState } from './sinks/clickhouse/state.ts';
import { landedOrigins } from './sinks/clickhouse/origins.ts';
import { DEFAULT_DEDUP_HORIZON_MS } from './stages/origin.ts';
import { DlqSink } from './sinks/dlq.ts';
import { KafkaSource, traceLinks, type SourceBatch } from './sources/kafka.ts';
import { RepartitionSink } from './sinks/repartition.ts';
import { partialsStream } from './streams/partials.ts';
import { type MergeStage } from './stages/merge.ts';
import { Ledger, type PartitionEntry } from './ledger.ts';
import { isStateful, type RecordContext, type Stateful, type Stream, type TickRows } from './stage.ts';
import { logStream, type LogStream } from './streams/logs.ts';
import { metricStream, type MetricStream } from './streams/metrics.ts';
import { type PatternMinerOptions } from './transforms/patterns/options.ts';
import { groupHostWindows, type HostWindow } from './transforms/features/host.ts';
import { StatsWriter, type StatSample } from './stats.ts';

/** Scores the windows closed in one tick (one model call for all of them). */
export interface WindowScorer {
  /**
   * Fills the score fields of the rows in place (from the first live model that takes each) and
   * returns the anomalies among them and every model's score (`model_scores`, shadow models included).
   */
  score(service: ServiceWindowRow[], metric: MetricWindowRow[]): Promise<{ anomalies: AnomalyRow[]; scores: ModelScoreRow[] }>;
  /** Duration of the last model call, ms (for `pipeline_stats`, stage `score`). */
  modelMs?(): number;
  /** The feature baselines, saved so that a worker taking partitions over scores their windows at once. */
  snapshot?(): unknown;
  /** Adopts saved baselines (oldest first) of series it has not seen. */
  restore?(saved: readonly unknown[]): void;
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
  /** Kafka client id (default tributary-worker). */
  clientId?: string;
  logsTopic?: string;
  metricsTopic?: string;
  dlqTopic?: string;
  /**
   * The group's partials topic, where partial windows of every input partition meet by series
   * (default `<group>-window-partials`, created at start with as many partitions as the logs topic).
   */
  partialsTopic?: string;
  /** How long the group waits for a silent member (killed) before its partitions move (default 30 s). */
  sessionTimeoutMs?: number;
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
  /** How often the snapshots of stateful stages (miner, feature baselines) are saved (default 30 s; also on stop). */
  snapshotIntervalMs?: number;
  windows?: WindowSettings;
  patterns?: Partial<PatternMinerOptions>;
  scorer?: WindowScorer;
  /** More stage chains, one per topic, driven like logs and metrics (a user's JSON events with feature views: `features/config.ts`). */
  streams?: Stream[];
  /** Name of this worker in `pipeline_stats` (default host/pid). */
  instance?: string;
  /** How long a re-sent log line is still recognised and dropped (default 6 h; see stages/origin.ts). */
  dedupHorizonMs?: number;
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
  /** Log records dropped because their origin (file, byte offset) had already landed. */
  duplicates: number;
  /** Saved snapshots found unreadable on start (ignored, said): that state was rebuilt. */
  stateRebuilt: number;
  /** Landing intents found unreadable on take-over (ignored, said). */
  badIntents: number;
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
  /** Records Kafka deleted before this group read them (found where reading skipped offsets). */
  deletedUnread: number;
  /** Sum over assigned partitions of the log end minus the next offset to read. */
  lag: number;
  /** Partial windows sent to the partials topic, and merged from it. */
  partialsSent: number;
  partialsMerged: number;
  /** Partials that reached the merge after their window's retention (refused; they could only lose). */
  partialsTooLate: number;
}

const DEFAULTS = {
  groupId: 'tributary-workers',
  clientId: 'tributary-worker',
  sessionTimeoutMs: 30_000,
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
  streams: [] as Stream[],
  instance: `${hostname()}/${process.pid}`,
  dedupHorizonMs: DEFAULT_DEDUP_HORIZON_MS,
};

type Resolved = Omit<Required<WorkerOptions>, 'scorer' | 'partialsTopic'> & { scorer?: WindowScorer; partialsTopic?: string };

const CONTENT_TYPE = HEADERS.contentType;

/** A record's content-type header (kafkajs gives header values as Buffers), or undefined. */
function contentTypeOf(headers: Record<string, unknown> | undefined): string | undefined {
  const v = headers?.[CONTENT_TYPE];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return Buffer.isBuffer(one) ? one.toString('latin1') : typeof one === 'string' ? one : undefined;
}

/** The scorer's baselines as a stateful part: one copy per worker, merged on take-over. */
function scorerState(scorer: WindowScorer, group: string): Stateful | undefined {
  if (!scorer.snapshot || !scorer.restore) return undefined;
  return { stateKey: `features/${group}`, perWorker: true, snapshot: () => scorer.snapshot!(), restore: (saved) => scorer.restore!(saved) };
}

const batchTracer = tracer('tributary.worker');

export class Worker {
  readonly sink: ClickHouseSink;
  private readonly o: Resolved;
  private readonly log: Logger = log('worker');
  private readonly source: KafkaSource;
  private readonly dlq: DlqSink;
  private readonly state: PipelineState;
  private readonly landing: Landing;
  private readonly ledger = new Ledger();
  private readonly statsWriter: StatsWriter;
  private readonly logs: LogStream;
  private readonly metrics: MetricStream;
  private readonly merge: MergeStage;
  private readonly repartition: RepartitionSink;
  private readonly streams: Map<string, Stream>;
  private readonly stateful: Stateful[];
  private readonly counts = { consumed: 0, replaySkipped: 0, committed: 0, anomalies: 0, stateRebuilt: 0, deletedUnread: 0 };
  /** Rows emitted on ticks and not yet durable, per table; offsets are committed only once none are left. */
  private pending: TickRows = new Map();
  /** Keys (`topic/partition`) of the current assignment. */
  private assignment = new Set<string>();
  /** Assigned partitions not seen before: stateful parts are restored before their first records. */
  private takenOver = false;
  private busy = false;
  private timer?: NodeJS.Timeout;
  private lastStatsAt = 0;
  private lastSnapshotAt = 0;
  private lastTickAt = 0;
  private readonly snapshotHashes = new Map<string, string>();
  private stopping?: Promise<void>;
  private closing = false;
  private readonly cursor = new BatchCursor();

  constructor(options: WorkerOptions) {
    this.o = withDefaults(DEFAULTS, options) as Resolved;
    this.sink = new ClickHouseSink(this.o.store, log('worker.clickhouse'));
    this.dlq = new DlqSink(this.o.brokers, this.o.dlqTopic);
    this.state = new PipelineState(this.o.store, this.sink, this.o.instance);
    this.landing = new Landing(this.o.store, this.sink, this.state, this.dlq, log('worker.landing'));
    this.statsWriter = new StatsWriter(this.o.store, this.o.instance);
    this.repartition = new RepartitionSink(this.o.brokers, this.o.partialsTopic ?? `${this.o.groupId}-window-partials`);
    const sink = () => this.repartition;
    this.logs = logStream(this.o.logsTopic, { windows: this.o.windows, patterns: this.o.patterns, group: this.o.groupId, sink, dedupHorizonMs: this.o.dedupHorizonMs });
    this.metrics = metricStream(this.o.metricsTopic, { windows: this.o.windows, sink });
    const partials = partialsStream(this.repartition.topic, { windows: this.o.windows, retentionMs: this.logs.windows.retentionMs });
    this.merge = partials.merge;
    // Input streams first: on a tick their partials go out before the merge side closes windows.
    this.streams = new Map([
      [this.o.logsTopic, this.logs.stream], [this.o.metricsTopic, this.metrics.stream], ...this.o.streams.map((s): [string, Stream] => [s.topic, s]),
      [this.repartition.topic, partials.stream],
    ]);
    if (this.streams.size !== 3 + this.o.streams.length) throw new TypeError('two streams of the worker read the same topic');
    const scoring = this.o.scorer ? scorerState(this.o.scorer, this.o.groupId) : undefined;
    this.stateful = [...[...this.streams.values()].flatMap((s) => s.stages.flatMap((x): Stateful[] => (isStateful(x) ? [x] : []))), ...(scoring ? [scoring] : [])];
    this.source = new KafkaSource({
      brokers: this.o.brokers, groupId: this.o.groupId, topics: [...this.streams.keys()], fromBeginning: this.o.fromBeginning,
      maxBytesPerPartition: this.o.maxBytesPerPartition, minBytes: this.o.batchMinBytes, maxWaitMs: this.o.batchMaxWaitMs, clientId: this.o.clientId, sessionTimeoutMs: this.o.sessionTimeoutMs,
    });
  }

  /** The worker's counters, assembled from its parts. */
  get stats(): WorkerStats {
    const l = this.landing.counts;
    return {
      consumed: this.counts.consumed,
      stored: l.stored.get('logs') ?? 0,
      metricsStored: l.stored.get('metrics') ?? 0,
      dead: l.dead,
      replaySkipped: this.counts.replaySkipped,
      duplicates: this.logs.origin.counts.duplicates,
      stateRebuilt: this.counts.stateRebuilt,
      badIntents: l.badIntents,
      batches: l.batches,
      committed: this.counts.committed,
      patternRows: l.aggregateRows,
      serviceWindowRows: l.tickRows.get('service_windows') ?? 0,
      metricWindowRows: l.tickRows.get('metric_windows') ?? 0,
      anomalies: this.counts.anomalies,
      late: this.logs.windows.counts.late + this.metrics.windows.counts.late,
      tooLate: this.logs.windows.counts.tooLate + this.metrics.windows.counts.tooLate,
      pending: l.pending,
      deletedUnread: this.counts.deletedUnread,
      lag: this.ledger.lag(),
      partialsSent: this.logs.windows.counts.partials + this.metrics.windows.counts.partials,
      partialsMerged: this.merge.totals().partials,
      partialsTooLate: this.merge.totals().tooLate,
    };
  }

  async start(): Promise<void> {
    guardStrayKafkaRejections(this.log);
    await this.restoreState();
    await this.dlq.start();
    await this.repartition.start([this.o.logsTopic, this.o.metricsTopic]);
    await this.source.start({
      onAssignment: (keys, raw) => this.onAssignment(keys, raw),
      onBatch: (b) => this.handleBatch(b),
      onSkipped: (topic, partition, next) => {
        const e = this.ledger.entries.get(`${topic}/${partition}`);
        if (e && next > (e.readThrough ?? -1)) e.readThrough = next;
      },
    });
    this.lastSnapshotAt = Date.now();
    this.timer = setInterval(() => void this.timerTick(), this.o.tickMs);
    this.timer.unref();
  }

  /** Patterns the miner holds (restored from its snapshot on start). */
  get patterns(): number {
    return this.logs.patterns.miner.size;
  }

  /** Per assigned partition: the next offset to read (past any batch that held no records for us), the last commit, and records not yet landed. */
  progress(): Array<{ topic: string; partition: number; next: number; committed: number; pending: number; highWatermark: number }> {
    return [...this.ledger.entries.values()].map((e) => ({
      topic: e.topic, partition: e.partition, next: Math.max(e.nextOffset, e.readThrough ?? -1), committed: e.committed,
      pending: (e.lane.building?.records ?? 0) + (e.lane.inflight?.records ?? 0), highWatermark: e.highWatermark,
    }));
  }

  /** What readiness needs to weigh the group's lag against this worker's reading (pipeline/health.ts). */
  consumption(): { groupId: string; topics: string[]; fromBeginning: boolean; assigned: ReadonlySet<string> } {
    return { groupId: this.o.groupId, topics: [...this.streams.keys()], fromBeginning: this.o.fromBeginning, assigned: this.assignment };
  }

  /** Total lag of the group over its topics: the end offsets minus the committed offsets. */
  lag(): Promise<number> {
    return this.source.lag();
  }

  /**
   * Stops consuming, lands what was read (windows still open stay uncommitted: the next owner of their
   * partitions rebuilds them), commits, saves the stateful stages' snapshots, and leaves the group.
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
        await this.source.stop();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'Leaving the consumer group failed.');
      }
      await this.dlq.stop();
      await this.repartition.stop();
      this.log.info({ ...this.stats }, 'The worker stopped.');
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------- assignment

  private onAssignment(next: Set<string>, raw: Record<string, number[]>): void {
    for (const key of this.assignment) {
      if (next.has(key) || this.ledger.get(key)) continue;
      // Assigned before but never read: its stages still drop it (the windows stage stops marking it).
      const at = key.lastIndexOf('/');
      for (const s of this.streams.get(key.slice(0, at))?.stages ?? []) s.revoke?.(Number(key.slice(at + 1)));
    }
    for (const [key, e] of this.ledger.entries) {
      if (next.has(key)) continue;
      // Revoked: whatever was not landed or committed is re-read by the new owner from the last commit.
      this.ledger.remove(key);
      this.landing.drop(e.lane);
      for (const s of e.stream.stages) s.revoke?.(e.partition);
      this.log.info({ topic: e.topic, partition: e.partition, committed: e.committed }, 'Handed a revoked partition back.');
    }
    const now = Date.now();
    for (const key of next) {
      if (this.assignment.has(key)) continue;
      this.takenOver = true;
      // Stages learn of every assigned partition, also one without records (its watermark mark says so).
      const at = key.lastIndexOf('/');
      const stream = this.streams.get(key.slice(0, at));
      for (const s of stream?.stages ?? []) s.assign?.(Number(key.slice(at + 1)), now);
    }
    this.assignment = next;
    this.log.info({ assignment: raw }, 'Joined the worker group.');
  }

  /** The ledger entry of a partition, recovering where to resume on its first batch after an assignment. */
  private async entryOf(topic: string, partition: number, keepAlive: Heartbeat, firstOffset: number): Promise<PartitionEntry | undefined> {
    const key = `${topic}/${partition}`;
    const known = this.ledger.get(key);
    if (known) return known;
    const stream = this.streams.get(topic);
    if (!stream) return undefined;
    if (this.takenOver) {
      // Partitions new to this worker: their series' state (feature baselines) comes from the savers.
      this.takenOver = false;
      await this.restoreState(keepAlive, true);
    }
    const { resumeAfter, forcedEnd } = await this.landing.resumePoint(topic, partition, stream.raw, keepAlive);
    if (stream === this.logs.stream) {
      // Origins landed before where reading starts; from there the replay rebuilds the rest.
      const origin = this.logs.origin;
      const landed = await this.landing.retrying(() => landedOrigins(this.o.store, topic, partition, firstOffset, origin.horizonMs), keepAlive);
      origin.seed(partition, landed);
    }
    const e: PartitionEntry = {
      key, topic, partition, stream, nextOffset: -1, resumeAfter, committed: -1, highWatermark: 0,
      lane: { key, topic, partition, rawTable: stream.raw?.table, forcedEnd, live: true },
    };
    this.ledger.add(e);
    this.log.info({ topic, partition, resumeAfter, forcedEnd }, 'Took a partition over.');
    return e;
  }

  // ---------------------------------------------------------------- the data path

  private async handleBatch(batch: SourceBatch): Promise<void> {
    const { heartbeat } = batch;
    if (batch.messages.length === 0 || !batch.active() || this.closing) return;
    await this.acquire(heartbeat);
    // One span per fetched batch, linked to the agent batches its records came from (their headers).
    const span = batchTracer.startSpan('tributary.worker.batch', {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka', 'messaging.destination.name': batch.topic, 'messaging.destination.partition.id': String(batch.partition),
        'messaging.batch.message_count': batch.messages.length, 'messaging.kafka.offset': Number(batch.messages[0]!.offset),
      },
    });
    if (span.isRecording()) {
      const { links, dropped } = traceLinks(batch.messages);
      span.addLinks(links);
      if (dropped > 0) span.setAttribute('tributary.links_dropped', dropped);
    }
    try {
      if (this.closing) return;
      if (!this.assignment.has(`${batch.topic}/${batch.partition}`) && this.assignment.size > 0) return;
      const e = await this.entryOf(batch.topic, batch.partition, heartbeat, Number(batch.messages[0]!.offset));
      if (!e) return;
      await this.checkSkipped(e, Number(batch.messages[0]!.offset));
      if (e.stream.prepares) await this.prepareBatch(e, batch.messages, heartbeat);
      e.highWatermark = batch.highWatermark;
      const lane = e.lane;
      await this.landing.step(lane, heartbeat);
      const now = Date.now();
      let lastDone: string | undefined;
      const cursor = this.cursor;
      cursor.topic = e.topic;
      cursor.partition = e.partition;
      const ctx: RecordContext = { topic: e.topic, partition: e.partition, offset: 0, now, replay: false, out: cursor };
      // Running and stale change only while this handler awaits (stop, a seek): checked again after
      // each await rather than per record, where kafkajs builds a key string for every call.
      let checked = false;
      for (const m of batch.messages) {
        if (!checked) {
          if (!batch.active()) break;
          checked = true;
        }
        const off = Number(m.offset);
        lastDone = m.offset;
        if (off < e.nextOffset) continue;
        if (e.nextOffset < 0) for (const s of e.stream.stages) s.assign?.(e.partition, now);
        e.nextOffset = off + 1;
        if (e.stream.raw) this.counts.consumed++;
        if (lane.forcedEnd !== undefined && off > lane.forcedEnd && !lane.building) lane.forcedEnd = undefined;
        ctx.offset = off;
        ctx.contentType = contentTypeOf(m.headers);
        ctx.timestamp = m.timestamp === undefined ? undefined : Number(m.timestamp);
        if (off <= e.resumeAfter) {
          ctx.replay = true;
          ctx.out = NO_WRITES;
          this.counts.replaySkipped++;
        } else {
          ctx.replay = false;
          ctx.out = cursor;
          cursor.batch = this.landing.batchFor(lane, off);
          cursor.offset = off;
          cursor.record = m;
        }
        e.stream.push(m.value, ctx);
        const b = lane.building;
        if (b && (b.records >= this.o.batchMaxRows || (lane.forcedEnd !== undefined && b.last >= lane.forcedEnd))) {
          await this.landing.dispatch(lane, heartbeat);
          checked = false;
        }
      }
      if (lane.building && !this.landing.held(lane)) await this.landing.dispatch(lane, heartbeat);
      if (lastDone !== undefined) batch.resolve(lastDone);
      // Every message read: so are the markers after the last one, which no consumer reads as records.
      const lastMessage = batch.messages[batch.messages.length - 1];
      if (lastMessage !== undefined && lastDone === lastMessage.offset && batch.end > (e.readThrough ?? -1)) e.readThrough = batch.end;
      if (Date.now() - this.lastTickAt >= this.o.tickMs) await this.tick(heartbeat);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      this.busy = false;
      span.end();
    }
    await heartbeat();
  }

  /**
   * What a batch's records need fetched before they are decoded (an event source's schemas from the
   * registry). While the registry cannot be reached the worker waits and asks again, keeping its place
   * in the group: records are not dead-lettered for the registry's trouble. A refusal that waiting
   * cannot mend (wrong credentials) stops the worker with the reason.
   */
  private async prepareBatch(e: PartitionEntry, messages: SourceBatch['messages'], heartbeat: Heartbeat): Promise<void> {
    const values = messages.map((m) => m.value);
    let warnedAt = 0;
    // The landing's own wait for what is unreachable (backing off, heartbeats kept), with a warning at most every 30 s.
    await this.landing.retrying(async () => {
      try {
        await e.stream.prepare!(values);
      } catch (err) {
        if (isTributaryError(err) && err.canRetry && !this.closing && Date.now() - warnedAt >= 30_000) {
          warnedAt = Date.now();
          this.log.warn({ topic: e.topic, partition: e.partition, err: err.message }, 'Waiting for the schema registry: this batch is decoded once it answers (no record is dead-lettered for it).');
        }
        if (this.closing) throw new Error(`stopping while waiting for the schema registry: ${(err as Error).message}`);
        throw err;
      }
    }, heartbeat);
    if (warnedAt > 0) this.log.info({ topic: e.topic }, 'The schema registry answers again; decoding goes on.');
  }

  /**
   * Reading skipped offsets: from where this worker read last (or, on a partition just taken over,
   * past what had landed) to `first`. Transaction markers and aborted records leave such gaps; retention
   * leaves one when Kafka deleted records before the group read them, and kafkajs then starts from the
   * log's start, overwriting the group's commit, with only a line in its own log. Asking where the log
   * starts tells the two apart: what lies below it was deleted unread, counted and said.
   */
  private async checkSkipped(e: PartitionEntry, first: number): Promise<void> {
    // Taken over: the landed position (kept in the store, unlike the commit kafkajs overwrites) is where
    // reading had to go on; with nothing landed yet there is nothing to compare with.
    const from = e.nextOffset >= 0 ? Math.max(e.nextOffset, e.readThrough ?? -1) : e.resumeAfter >= 0 ? e.resumeAfter + 1 : -1;
    if (from < 0 || first <= from) return;
    const now = Date.now();
    if (e.gapCheckedAt !== undefined && now - e.gapCheckedAt < 1000) return;
    e.gapCheckedAt = now;
    let logStart: number;
    try {
      logStart = await this.source.logStart(e.topic, e.partition);
    } catch (err) {
      this.log.debug({ topic: e.topic, partition: e.partition, err: (err as Error).message }, 'Could not ask where the partition starts; offsets skipped there go unchecked.');
      return;
    }
    if (logStart <= from) return;
    const to = Math.min(logStart, first);
    const records = to - from;
    this.counts.deletedUnread += records;
    this.log.warn(
      { topic: e.topic, partition: e.partition, fromOffset: from, toOffset: to - 1, records, logStart },
      `Kafka deleted ${records} records of ${e.topic}/${e.partition} before this group read them: they are lost to the pipeline. ` +
        "The topic's retention (retention.ms counts from each record's timestamp, the event time, so lines shipped long after they were written can expire on arrival; or retention.bytes) was shorter than the workers' delay: raise it, or add workers.",
    );
  }

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
    for (const e of [...this.ledger.entries.values()]) await this.landing.step(e.lane, keepAlive, final);
    const closed: TickRows = new Map();
    for (const stream of this.streams.values()) {
      for (const s of stream.stages) {
        if (!s.flush) continue;
        for (const [table, rows] of await s.flush(now)) closed.set(table, [...(closed.get(table) ?? []), ...rows]);
      }
    }
    const service = (closed.get('service_windows') ?? []) as ServiceWindowRow[];
    const metric = (closed.get('metric_windows') ?? []) as MetricWindowRow[];
    if (service.length + metric.length > 0 && this.o.scorer) {
      try {
        const { anomalies, scores } = await this.o.scorer.score(service, metric);
        if (scores.length > 0) closed.set('model_scores', scores);
        if (anomalies.length > 0) closed.set('anomalies', anomalies);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, windows: service.length + metric.length }, 'Scoring failed; the windows are stored unscored.');
      }
    }
    for (const [table, rows] of closed) {
      this.pending.set(table, [...(this.pending.get(table) ?? []), ...rows]);
      this.ledger.tickRows(rows.length);
    }
    await this.landTickRows(keepAlive);
    await this.commit();
    if (final || now - this.lastStatsAt >= this.o.statsIntervalMs) {
      this.lastStatsAt = now;
      await this.statsWriter.write(this.samples());
    }
    if (final || now - this.lastSnapshotAt >= this.o.snapshotIntervalMs) {
      this.lastSnapshotAt = now;
      await this.saveState(keepAlive);
    }
  }

  /** Window rows first, anomalies last (an anomaly points at a window row). */
  private async landTickRows(keepAlive?: Heartbeat): Promise<void> {
    const order = [...this.pending.keys()].sort((a, b) => Number(a === 'anomalies') - Number(b === 'anomalies'));
    for (const table of order) {
      const rows = this.pending.get(table)!;
      await this.landing.landTick(table, rows, keepAlive);
      if (table === 'anomalies') this.counts.anomalies += rows.length;
      this.pending.delete(table);
      this.ledger.tickRows(-rows.length);
    }
  }

  /** Commits, per assigned partition, what the ledger allows. */
  private async commit(): Promise<void> {
    if (!this.source.started) return;
    const targets = this.ledger.targets(this.assignment);
    if (targets.length === 0) return;
    try {
      await this.source.commit(targets.map((t) => ({ topic: t.entry.topic, partition: t.entry.partition, offset: t.offset })));
      this.ledger.committed(targets);
      this.counts.committed += targets.length;
    } catch (err) {
      // A rebalance took the partitions meanwhile: the new owner re-reads from the last commit.
      this.log.info({ err: (err as Error).message }, 'Committing offsets failed; they are committed on the next tick.');
    }
  }

  /** The worker's counters as `pipeline_stats` samples (stage, name, kind): also what /metrics serves. */
  samples(): StatSample[] {
    const s = this.stats;
    const decoded = this.logs.decode.counts.ok + this.metrics.decode.counts.ok;
    const deadDecode = this.logs.decode.counts.dead + this.metrics.decode.counts.dead;
    const stageSamples = [...this.streams.values()].flatMap((st) => st.stages.flatMap((x) => x.samples?.() ?? []));
    const held = stageSamples.filter((x) => x.stage === 'windows' && x.name === 'held_windows').reduce((a, x) => a + x.value, 0);
    // One row per name for all the feature views together (the stats writer keeps one delta per stage and name).
    const views = new Map<string, StatSample>();
    for (const x of stageSamples) {
      if (x.stage !== 'views') continue;
      const sum = views.get(x.name);
      if (sum) sum.value += x.value;
      else views.set(x.name, { ...x });
    }
    return [
      { stage: 'consume', name: 'records_in', value: s.consumed, kind: 'counter' },
      { stage: 'consume', name: 'consumer_lag', value: s.lag, kind: 'gauge' },
      { stage: 'consume', name: 'records_deleted_unread', value: s.deletedUnread, kind: 'counter' },
      { stage: 'decode', name: 'records_out', value: decoded, kind: 'counter' },
      { stage: 'decode', name: 'dlq_records', value: deadDecode, kind: 'counter' },
      { stage: 'decode', name: 'duplicate_records', value: s.duplicates, kind: 'counter' },
      { stage: 'store', name: 'state_rebuilt', value: s.stateRebuilt + s.badIntents, kind: 'counter' },
      { stage: 'patterns', name: 'records_out', value: s.patternRows, kind: 'counter' },
      { stage: 'windows', name: 'late_records', value: s.late, kind: 'counter' },
      { stage: 'windows', name: 'dlq_records', value: s.tooLate, kind: 'counter' },
      { stage: 'windows', name: 'records_out', value: s.serviceWindowRows + s.metricWindowRows, kind: 'counter' },
      { stage: 'windows', name: 'held_windows', value: held, kind: 'gauge' },
      ...views.values(),
      { stage: 'score', name: 'records_out', value: s.anomalies, kind: 'counter' },
      ...(this.o.scorer?.modelMs ? [{ stage: 'score' as const, name: 'model_ms', value: this.o.scorer.modelMs(), kind: 'gauge' as const }] : []),
      { stage: 'store', name: 'records_out', value: s.stored + s.metricsStored, kind: 'counter' },
      { stage: 'store', name: 'batch_ms', value: this.landing.counts.lastBatch.ms, kind: 'gauge' },
      { stage: 'store', name: 'batch_size', value: this.landing.counts.lastBatch.size, kind: 'gauge' },
      { stage: 'store', name: 'retries', value: this.sink.stats.retries, kind: 'counter' },
      { stage: 'store', name: 'pending_records', value: s.pending, kind: 'gauge' },
    ];
  }

  // ---------------------------------------------------------------- state of stateful stages

  private keyOf(s: Stateful): string {
    return s.perWorker ? `${s.stateKey}/${this.o.instance}` : s.stateKey;
  }

  /**
   * Restores every stateful part from `pipeline_state` on start; on a take-over only the per-worker
   * parts (feature baselines), since a shared one (the miner) is this worker's own already.
   */
  private async restoreState(keepAlive?: Heartbeat, takeOver = false): Promise<void> {
    for (const s of this.stateful) {
      if (takeOver && !s.perWorker) continue;
      try {
        const saved = s.perWorker
          ? (await this.landing.retrying(() => this.state.list(`${s.stateKey}/`), keepAlive)).map((r) => r.value)
          : [await this.landing.retrying(() => this.state.get(s.stateKey), keepAlive)].filter((v): v is string => v !== undefined);
        if (saved.length === 0) continue;
        if (!s.perWorker) this.snapshotHashes.set(s.stateKey, sha1(saved[0]!));
        s.restore(saved.map((t) => JSON.parse(t) as unknown));
        this.log.info({ state: s.stateKey, snapshots: saved.length }, 'Restored saved state.');
      } catch (err) {
        // A corrupt snapshot must never stop the worker (a crash loop): it is rebuilt from what comes next.
        this.counts.stateRebuilt++;
        this.log.error({ state: s.stateKey, err: (err as Error).message }, 'A saved snapshot is unreadable; it was ignored and this state starts empty and is rebuilt from the records that follow.');
      }
    }
  }

  private async saveState(keepAlive?: Heartbeat): Promise<void> {
    for (const s of this.stateful) {
      const snap = s.snapshot();
      if (snap === undefined) continue;
      const text = JSON.stringify(snap);
      const hash = sha1(text);
      const key = this.keyOf(s);
      if (this.snapshotHashes.get(key) === hash) continue;
      await this.state.put(key, text, keepAlive);
      this.snapshotHashes.set(key, hash);
    }
  }
}

/** Adapts the ONNX scorer (`transforms/scoring`) to the worker: service rows, then host windows, one tick each. */
export function windowScorerOf(scorer: {
  scoreServiceWindows(rows: ServiceWindowRow[]): Promise<{ anomalies: AnomalyRow[]; scores?: ModelScoreRow[] }>;
  scoreHostWindows(windows: HostWindow[]): Promise<{ anomalies: AnomalyRow[]; scores?: ModelScoreRow[] }>;
  counters?: { lastRunMs: number };
  baselineSnapshot?(): unknown;
  restoreBaselines?(saved: readonly unknown[]): unknown;
}): WindowScorer {
  return {
    modelMs: () => scorer.counters?.lastRunMs ?? 0,
    async score(service, metric) {
      const anomalies: AnomalyRow[] = [];
      const scores: ModelScoreRow[] = [];
      for (const r of [
        service.length > 0 ? await scorer.scoreServiceWindows(service) : undefined,
        metric.length > 0 ? await scorer.scoreHostWindows(groupHostWindows(metric)) : undefined,
      ]) {
        if (!r) continue;
        anomalies.push(...r.anomalies);
        scores.push(...(r.scores ?? []));
      }
      return { anomalies, scores };
    },
    ...(scorer.baselineSnapshot && scorer.restoreBaselines
      ? { snapshot: () => scorer.baselineSnapshot!(), restore: (saved: readonly unknown[]) => void scorer.restoreBaselines!(saved) }
      : {}),
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
