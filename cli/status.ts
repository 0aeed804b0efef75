/**
 * The live status `tributary top` reads: every second, a running agent or worker command writes what it
 * is doing to `$TRIBUTARY_HOME/run/<pid>.json` (written to a temporary name, then renamed, so a reader
 * never sees half a file) and removes it when it stops. Counters go in as totals together with their rate
 * over the last interval, so one read is enough for a frame.
 *
 * Why files and not the store: the embedded store (chDB) is owned by one process at a time (its lock file),
 * so top cannot read `pipeline_stats` while a worker runs. A file needs no port, no lock and no second
 * engine on the same data folder, and the demo (agent and worker in one process) publishes the same way.
 */
import { closeSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../agents/agent.ts';
import { openForWriting, stateDir } from '../core/paths.ts';
import { log } from '../core/log.ts';
import type { Store } from '../core/storage/store.ts';
import type { Worker } from '../pipeline/worker.ts';

/** One counter: its total and its rate per second over the publisher's last interval. */
export interface Counter {
  total: number;
  perSecond: number;
}

export interface AgentStatus {
  kind: 'agent';
  name: string;
  host: string;
  /** Lines, points or records read per source. */
  sources: Array<{ name: string; read: Counter }>;
  /** Stages in order: read (all sources), built (parsed and redacted), sent (acknowledged by Kafka). */
  stages: Record<'read' | 'built' | 'sent', Counter>;
  buffer: { events: number; bytes: number; limitEvents?: number; limitBytes?: number; diskEvents: number; diskBytes: number };
  dropped: number;
  lastError?: string;
}

export interface AnomalyBrief {
  kind: string;
  service: string;
  host: string;
  window_start: string;
  score: number;
  threshold: number;
  model: string;
}

export interface WorkerStatus {
  kind: 'worker';
  instance: string;
  groupId: string;
  /** The topics it reads and dead-letters to, so top watches them too when they are not the defaults. */
  topics: { logs: string; metrics: string; dlq: string };
  store: string;
  /** Records in and out per stage; dead letters and late records where the stage has them. */
  stages: Array<{ stage: string; in?: Counter; out: Counter; dlq?: Counter; late?: Counter }>;
  partitions: Array<{ topic: string; partition: number; next: number; committed: number; highWatermark: number; pending: number }>;
  lag: number;
  pending: number;
  anomalies: AnomalyBrief[];
}

export type PartStatus = AgentStatus | WorkerStatus;

export interface ProcessStatus {
  pid: number;
  command: string;
  startedAt: string;
  /** When it was written; a process writes again only when what it says changed (idle: not every second). */
  time: string;
  parts: PartStatus[];
}

export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'run');
}

/** Turns totals into counters with rates, remembering them for the next call. */
export class Rates {
  private last = new Map<string, { value: number; at: number }>();
  counter(key: string, total: number, now: number): Counter {
    const prev = this.last.get(key);
    this.last.set(key, { value: total, at: now });
    const seconds = prev ? (now - prev.at) / 1000 : 0;
    return { total, perSecond: prev && seconds > 0 ? Math.max(0, (total - prev.value) / seconds) : 0 };
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** What an agent is doing now. */
export function agentStatus(agent: Agent, rates: Rates, now = Date.now(), name = 'agent'): AgentStatus {
  const sources = agent.sources.map((s) => {
    const st = ((s as { stats?: Record<string, unknown> }).stats ?? {}) as Record<string, unknown>;
    // Each source kind counts what it reads under its own name.
    const read = num(st.linesRead) + num(st.lines) + num(st.logRecords) + num(st.metricPoints) + num(st.spans) + num(st.points);
    return { name: s.name, read: rates.counter(`${name}/source/${s.name}`, read, now) };
  });
  const stats = agent.sink.stats as unknown as Record<string, unknown>;
  const limits = (agent.sink as unknown as { o?: { maxBufferedEvents?: number; maxBufferedBytes?: number } }).o;
  return {
    kind: 'agent',
    name,
    host: hostname(),
    sources,
    stages: {
      read: rates.counter(`${name}/read`, sources.reduce((a, s) => a + s.read.total, 0), now),
      built: rates.counter(`${name}/built`, agent.counters.records, now),
      sent: rates.counter(`${name}/sent`, num(stats.sent), now),
    },
    buffer: {
      events: num(stats.buffered),
      bytes: num(stats.bufferedBytes),
      limitEvents: limits?.maxBufferedEvents,
      limitBytes: limits?.maxBufferedBytes,
      diskEvents: num(stats.diskBuffered),
      diskBytes: num(stats.diskBufferedBytes),
    },
    dropped: num(stats.dropped),
    ...(typeof stats.lastError === 'string' ? { lastError: stats.lastError } : {}),
  };
}

/** What a worker is doing now; the last anomalies are read from its own store when their count moved. */
export class WorkerStatusSource {
  private anomalies: AnomalyBrief[] = [];
  private anomalyCount = -1;
  constructor(
    private readonly worker: Worker,
    private readonly store: Store,
    private readonly instance: string,
    private readonly groupId: string,
    private readonly topics: { logs: string; metrics: string; dlq: string },
  ) {}

  async status(rates: Rates, now = Date.now()): Promise<WorkerStatus> {
    const s = this.worker.stats;
    if (s.anomalies !== this.anomalyCount) {
      this.anomalyCount = s.anomalies;
      try {
        this.anomalies = await this.store.query<AnomalyBrief>(
          'SELECT kind, service, host, toString(window_start) AS window_start, score, threshold, model FROM anomalies ORDER BY detected_at DESC, window_start DESC LIMIT 5',
        );
      } catch {
        /* the store is busy or down: keep the last list; the worker says so in its own log */
      }
    }
    const c = (key: string, total: number) => rates.counter(`${this.instance}/${key}`, total, now);
    // The feature views' stage (its counters summed over the views), shown when the worker has views.
    const views = new Map(this.worker.samples().filter((x) => x.stage === 'views').map((x) => [x.name, x.value]));
    const viewsRow = views.size === 0 ? [] : [{
      stage: 'views', in: c('views/in', views.get('records_in') ?? 0), out: c('views/out', views.get('records_out') ?? 0),
      dlq: c('views/dlq', views.get('dlq_records') ?? 0), late: c('views/late', views.get('late_records') ?? 0),
    }];
    return {
      kind: 'worker',
      instance: this.instance,
      groupId: this.groupId,
      topics: this.topics,
      store: this.store.location,
      stages: [
        { stage: 'consume', out: c('consume', s.consumed) },
        { stage: 'decode', in: c('decode/in', s.consumed), out: c('decode/out', Math.max(0, s.consumed - s.dead)), dlq: c('decode/dlq', s.dead) },
        { stage: 'patterns', out: c('patterns/out', s.patternRows) },
        { stage: 'windows', out: c('windows/out', s.serviceWindowRows + s.metricWindowRows), late: c('windows/late', s.late) },
        ...viewsRow,
        { stage: 'score', out: c('score/out', s.anomalies) },
        { stage: 'store', out: c('store/out', s.stored + s.metricsStored) },
      ],
      partitions: this.worker.progress(),
      lag: s.lag,
      pending: s.pending,
      anomalies: this.anomalies,
    };
  }
}

/**
 * Publishes this process's status every `intervalMs` until `stop()`, which removes the file. A failed
 * write is skipped (top then shows the file as stale); it never disturbs the pipeline.
 */
export function publishStatus(collect: (rates: Rates, now: number) => Promise<PartStatus[]> | PartStatus[], opts: { dir?: string; intervalMs?: number } = {}): { stop(): Promise<void>; publish(): Promise<void> } {
  const dir = opts.dir ?? runDir();
  const file = join(dir, `${process.pid}.json`);
  const startedAt = new Date().toISOString();
  const rates = new Rates();
  let stopped = false;
  let warned = false;
  let running: Promise<void> = Promise.resolve();
  // What the last file said but its time: an idle process says the same every second, and writing it
  // again (open, write, close, rename, on the main thread) cost an idle agent about a tenth of its CPU.
  let written: string | undefined;
  const publish = async (always = true) => {
    if (stopped) return;
    try {
      const now = Date.now();
      const parts = await collect(rates, now);
      const said = JSON.stringify(parts);
      if (!always && said === written) return;
      const status: ProcessStatus = { pid: process.pid, command: process.argv.slice(2).join(' '), startedAt, time: new Date(now).toISOString(), parts };
      const fd = openForWriting(`${file}.tmp`);
      try {
        writeSync(fd, JSON.stringify(status));
      } finally {
        closeSync(fd);
      }
      renameSync(`${file}.tmp`, file);
      written = said;
    } catch (err) {
      // Said once: top then shows this process as not running; the pipeline itself goes on.
      if (!warned) log('status').warn({ err: (err as Error).message, file }, 'Could not publish the status for tributary top.');
      warned = true;
    }
  };
  const timer = setInterval(() => {
    running = running.then(() => publish(false));
  }, opts.intervalMs ?? 1000);
  timer.unref();
  running = running.then(() => publish());
  return {
    publish: () => (running = running.then(() => publish())),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      rmSync(file, { force: true });
      rmSync(`${file}.tmp`, { force: true });
    },
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Status of every live process under `dir`; files left by processes that died are removed. */
export function readStatuses(dir = runDir()): ProcessStatus[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: ProcessStatus[] = [];
  for (const name of names.sort()) {
    const pid = Number(name.slice(0, -5));
    if (!pidAlive(pid)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProcessStatus);
    } catch {
      /* being replaced right now */
    }
  }
  return out;
}
