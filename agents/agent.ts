/**
 * The agent's topology: sources -> record builder (parse, severity, redact) -> filter -> Kafka sink. It starts
 * the sink first, then the sources; on shutdown it stops reading, waits until Kafka acknowledged
 * everything read (or the disk buffer holds it), and only then writes the final checkpoints. Every few
 * seconds it also sends its own counters as metric points (service `tributary-agent`).
 */
import { log, type Logger } from '../core/log.ts';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../core/contracts/records.ts';
import { createRecordBuilder, createRedact, DEFAULT_HOST, newCounters, type BuiltCounters, type RecordBuilderOptions, type RecordKeep } from './record-builder.ts';
import { KafkaSink, type KafkaSinkOptions } from './sinks/kafka.ts';
import { withAdmin } from '../core/kafka/admin.ts';
import { TOPICS } from '../core/contracts/topics.ts';
import type { AgentEvent, EventBatch, RawLine, Source } from './source.ts';
import type { RecordPool } from './record-pool.ts';

export const AGENT_SERVICE = 'tributary-agent';

export interface AgentOptions {
  sink: KafkaSinkOptions;
  sources: Source[];
  /** Overrides the default record builder (parsers and redaction). */
  toRecord?: (line: RawLine) => LogRecord;
  /** Counters shared with record builders made outside (per-source parsers). */
  counters?: BuiltCounters;
  /** Parser, time zone and redaction settings of the default record builder. */
  builder?: RecordBuilderOptions;
  /** The agent's own counters as metric points; `false` switches them off. */
  selfMetrics?: { intervalMs?: number; host?: string } | false;
  /** Record threads the file sources build their records on; closed once the sources paused. */
  pool?: RecordPool;
  /**
   * Each source's record filter by source name (`createKeep`), applied to the log records it emits
   * one by one. Batches a record thread encoded were filtered there, by the same filter in the
   * source's builder options.
   */
  keep?: Record<string, RecordKeep>;
  /** On stop with a disk buffer, how long to try to empty it before leaving the rest on disk. */
  stopFlushTimeoutMs?: number;
}

/** Stats fields that are levels rather than running totals. */
const GAUGES = new Set(['filesOpen', 'filesResting', 'filesWatched', 'targetsDown', 'buffered', 'bufferedBytes', 'diskBuffered', 'diskBufferedBytes', 'checkpoints']);

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export class Agent {
  readonly sink: KafkaSink;
  readonly counters: BuiltCounters;
  private readonly log: Logger = log('agent');
  private readonly toRecord: (line: RawLine) => LogRecord;
  private readonly redact: (record: LogRecord) => LogRecord;
  private stopping?: Promise<void>;
  private metricsTimer?: NodeJS.Timeout;
  /** Self-metric ticks skipped because the buffer was full (they would only add to the backlog). */
  selfMetricsSkipped = 0;

  constructor(private readonly o: AgentOptions) {
    this.counters = o.counters ?? newCounters();
    this.sink = new KafkaSink(o.sink, log('agent.kafka'));
    this.toRecord = o.toRecord ?? createRecordBuilder(this.counters, o.builder);
    if (o.pool) this.sink.recordThreadsBusy = () => o.pool!.busy();
    this.redact = createRedact(this.counters, o.builder);
  }

  /** The sink's settings (brokers, topics, buffer bounds), for health and metrics. */
  get sinkOptions(): Readonly<KafkaSinkOptions> {
    return this.o.sink;
  }

  get sources(): readonly Source[] {
    return this.o.sources;
  }

  async start(): Promise<void> {
    await this.sink.start();
    for (const source of this.o.sources) {
      const keep = this.o.keep?.[source.name];
      await source.start({
        emit: keep ? (batch) => this.sink.send(filterBatch(batch, keep)) : (batch) => this.sink.send(batch),
        toRecord: this.toRecord,
        redact: this.redact,
        log: this.log.child({ source: source.name }),
      });
    }
    if (this.o.selfMetrics !== false && !(await this.metricsTopicExists())) {
      this.log.warn({ topic: this.o.sink.metricsTopic ?? TOPICS.metrics.name }, 'The metrics topic does not exist; the agent will not send its own counters (create the topic to get them).');
    } else if (this.o.selfMetrics !== false) {
      const every = this.o.selfMetrics?.intervalMs ?? 5000;
      this.metricsTimer = setInterval(() => this.sendSelfMetrics(), every);
      this.metricsTimer.unref();
    }
    this.log.info({ sources: this.o.sources.map((s) => s.name), brokers: this.o.sink.brokers }, 'The agent is shipping.');
  }

  /**
   * Whether the metrics topic exists. Self-metrics share produce requests with log records, so a
   * missing topic would hold the logs back too; unknown (Kafka unreachable) counts as yes.
   */
  private async metricsTopicExists(): Promise<boolean> {
    const topic = this.o.sink.metricsTopic ?? TOPICS.metrics.name;
    try {
      return await withAdmin({ brokers: this.o.sink.brokers, clientId: 'tributary-agent-probe', ssl: this.o.sink.ssl, sasl: this.o.sink.sasl, connectTimeoutMs: 2000 }, (a) => a.topicExists(topic));
    } catch {
      return true;
    }
  }

  /** The agent's counters right now, as metric points. */
  selfMetrics(now = Date.now()): MetricPoint[] {
    const host = (this.o.selfMetrics && this.o.selfMetrics.host) || DEFAULT_HOST;
    const time = new Date(now).toISOString();
    const points: MetricPoint[] = [];
    const add = (name: string, value: number, labels: Record<string, string> = {}, kind?: 'gauge' | 'counter') => {
      const k = kind ?? (GAUGES.has(name.split('.').pop()!) ? 'gauge' : 'counter');
      points.push({ v: SCHEMA_VERSION, time, service: AGENT_SERVICE, host, name: `tributary.agent.${snake(name)}`, kind: k, value, unit: name.endsWith('Bytes') ? 'By' : '1', labels });
    };
    for (const [k, v] of Object.entries(this.sink.stats)) if (typeof v === 'number') add(`sink.${k}`, v, {}, GAUGES.has(k) ? 'gauge' : 'counter');
    add('records.built', this.counters.records);
    add('records.severity_inferred', this.counters.severityInferred);
    for (const [rule, n] of Object.entries(this.counters.redactions)) add('redactions', n, { rule }, 'counter');
    for (const [source, n] of Object.entries(this.counters.unmatched)) add('records.unmatched', n, { source }, 'counter');
    for (const [source, n] of Object.entries(this.counters.badTime)) add('records.bad_time', n, { source }, 'counter');
    for (const [source, n] of Object.entries(this.counters.filtered)) add('records.filtered', n, { source }, 'counter');
    for (const [source, n] of Object.entries(this.counters.throttled)) add('records.throttled', n, { source }, 'counter');
    for (const s of this.o.sources) {
      const stats = (s as { stats?: Record<string, unknown> }).stats;
      if (!stats) continue;
      for (const [k, v] of Object.entries(stats)) {
        if (typeof v === 'number') add(`source.${k}`, v, { source: s.name }, GAUGES.has(k) ? 'gauge' : 'counter');
      }
    }
    return points;
  }

  private sendSelfMetrics(): void {
    if (this.stopping) return;
    // When the buffers are full the counters would only deepen the backlog; the next tick carries totals.
    if (this.sink.stats.buffered > 0 && this.sink.stats.lastError) {
      this.selfMetricsSkipped++;
      return;
    }
    void this.sink.send({ events: this.selfMetrics().map((point) => ({ type: 'metric' as const, point })) });
  }

  /** Resolves when every finite source (stdin) has been read and delivered. */
  async finished(): Promise<void> {
    await Promise.all(this.o.sources.map((s) => s.done).filter(Boolean));
    await this.sink.flush();
  }

  /** Stops reading, flushes what was read to Kafka, then checkpoints. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.metricsTimer) clearInterval(this.metricsTimer);
      for (const s of this.o.sources) await s.pause();
      await this.o.pool?.close();
      // Without a disk buffer, stopping waits for Kafka: say so, or a stop during an outage looks hung.
      const waiting = setTimeout(() => {
        if (this.sink.stats.buffered > 0) {
          this.log.warn({ buffered: this.sink.stats.buffered, lastError: this.sink.stats.lastError }, 'Stopping: waiting for Kafka to acknowledge what was read; a second signal leaves now (it is read again at the next start).');
        }
      }, 3000);
      waiting.unref();
      await this.sink.close(this.o.sink.diskBuffer ? { flushTimeoutMs: this.o.stopFlushTimeoutMs ?? 10_000 } : {});
      clearTimeout(waiting);
      for (const s of this.o.sources) await s.stop();
      this.log.info({ sent: this.sink.stats.sent, diskBuffered: this.sink.stats.diskBuffered }, 'The agent stopped; every line read was acknowledged by Kafka or is in the disk buffer.');
    })();
    return this.stopping;
  }
}

/**
 * The batch without the log records `keep` drops (metric points pass). A batch left empty is still
 * sent: the sink then calls its `onDelivered` at once, which is what moves its checkpoint.
 */
export function filterBatch(batch: EventBatch, keep: RecordKeep): EventBatch {
  const events = batch.events;
  let i = 0;
  while (i < events.length && (events[i]!.type !== 'log' || keep((events[i] as Extract<AgentEvent, { type: 'log' }>).record))) i++;
  if (i === events.length) return batch;
  const kept = events.slice(0, i);
  for (i++; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== 'log' || keep(e.record)) kept.push(e);
  }
  return { ...batch, events: kept };
}
