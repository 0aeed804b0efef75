/**
 * `npm run demo`: the whole path on one machine. Starts the local Kafka stack, generates a realistic
 * multi-service workload with one injected incident into real log files, runs an agent and a worker
 * in this process, shows live progress, and ends with a summary read back from ClickHouse.
 */
import { appendFileSync, mkdirSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../command.ts';
import { Agent } from '../../agents/agent.ts';
import { FileSource } from '../../agents/sources/file.ts';
import type { AgentEvent, Source, SourceContext } from '../../agents/source.ts';
import { openShippedScorer, Worker } from '../../pipeline/worker.ts';
import { defaultStackOptions, stackUp } from '../../core/kafka/stack.ts';
import { createKafka, waitForKafka } from '../../core/kafka/client.ts';
import { defaultBrokers, stateDir } from '../../core/paths.ts';
import { migrate } from '../../core/storage/migrate.ts';
import type { Store } from '../../core/storage/store.ts';
import { generateWorkload, type GeneratedMetric, type IncidentSpec } from '../../workload/index.ts';
import { formatTable } from './query.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';
import { agentStatus, publishStatus, WorkerStatusSource } from '../status.ts';
import { hostname } from 'node:os';
import { TOPICS } from '../../core/contracts/topics.ts';

const help = `Usage: npm run demo   (or: npx tributary demo [options])

Starts the local Kafka broker (unless TRIBUTARY_BROKERS points elsewhere), writes a generated workload
of five services (JSON, logfmt and plain-text lines, 2 hosts each, host metrics, one injected error
burst) into real log files, ships them with the agent through Kafka, lands them with the worker in
ClickHouse, and prints a summary. The broker keeps running afterwards; stop it with
\`npx tributary stack down\`.

Options:
  --minutes <n>     minutes of event time to generate (default 10)
  --rate <x>        traffic multiplier (default 3, about 120 records/s of event time)
  --seconds <n>     wall-clock seconds over which to write the files (default 20)
  --seed <s>        workload seed (default: the time of the run)
${STORE_HELP}
`;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Each demo run is a worker of its own: its own consumer group (and with it its own pattern miner and
 * feature baselines in pipeline_state, which are keyed by group), reading from where the topics ended
 * when the run began. A run minutes after another then neither re-reads that run's records nor
 * inherits the watermark they moved: sharing `tributary-workers`, a second run within ten minutes
 * re-read the first one's last records, whose event times (about now) put its own first ten minutes
 * too late for their windows (28,630 of 71,638 lines dead-lettered). It also keeps the demo out of a
 * real worker group on a cluster it is pointed at.
 */
const DEMO_GROUP_PREFIX = 'tributary-demo-';
/** One partials topic for every run (one per run's group would pile up); each run starts at its end too. */
const DEMO_PARTIALS_TOPIC = 'tributary-demo-window-partials';

type KafkaAdmin = ReturnType<ReturnType<typeof createKafka>['admin']>;

async function withAdmin<T>(brokers: string[], fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = createKafka({ brokers, clientId: 'tributary-demo' }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Commits the topics' current end offsets for `groupId` before it first joins (no seek racing the join). */
async function startGroupAtEnd(admin: KafkaAdmin, groupId: string, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  // A topic that does not exist yet holds nothing of an earlier run: the group reads it from its start.
  for (const topic of topics.filter((t) => existing.has(t))) {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  }
}

/**
 * Removes what earlier demo runs left: their consumer groups (without members: a demo running
 * elsewhere against the same cluster keeps its own) and their state in pipeline_state. A run removes
 * its own at its end; this catches runs that were interrupted.
 */
async function sweepDemoRuns(admin: KafkaAdmin, store: Store, only?: string): Promise<void> {
  const listed = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(DEMO_GROUP_PREFIX) && (only === undefined || g === only));
  const described = listed.length > 0 ? (await admin.describeGroups(listed)).groups : [];
  const running = new Set(described.filter((g) => g.members.length > 0).map((g) => g.groupId));
  const idle = listed.filter((g) => !running.has(g));
  if (idle.length > 0) await admin.deleteGroups(idle);
  // Keys are miner/<group> and features/<group>/<instance> (pipeline/stages/patterns.ts, worker.ts).
  const keys = await store.query<{ key: string }>(
    "SELECT DISTINCT key FROM pipeline_state WHERE startsWith(key, {miner:String}) OR startsWith(key, {features:String})",
    { miner: `miner/${only ?? DEMO_GROUP_PREFIX}`, features: `features/${only ?? DEMO_GROUP_PREFIX}` },
  );
  const stale = new Set(keys.map((k) => k.key.split('/')[1]!).filter((g) => (only === undefined || g === only) && !running.has(g)));
  for (const group of stale) {
    await store.command('ALTER TABLE pipeline_state DELETE WHERE key = {miner:String} OR startsWith(key, {features:String})', { miner: `miner/${group}`, features: `features/${group}/` });
  }
}

/** Feeds the workload's host metric points to the agent's sink, as a host-metrics source would. */
class GeneratedMetricsSource implements Source {
  readonly name = 'generated-metrics';
  done!: Promise<void>;
  sent = 0;
  constructor(private readonly points: GeneratedMetric[]) {}
  async start(ctx: SourceContext): Promise<void> {
    this.done = (async () => {
      for (let i = 0; i < this.points.length; i += 500) {
        const events: AgentEvent[] = this.points.slice(i, i + 500).map((m) => ({ type: 'metric', point: m.point }));
        await ctx.emit({ events });
        this.sent += events.length;
      }
    })();
  }
  async pause(): Promise<void> {}
  async stop(): Promise<void> {}
}

async function safeQuery<T>(store: Store, sql: string, params: Record<string, unknown>): Promise<T[] | undefined> {
  try {
    return await store.query<T>(sql, params);
  } catch {
    return undefined;
  }
}

const command: Command = {
  name: 'demo',
  summary: 'run the whole path on a generated multi-service workload',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' }, seed: { type: 'string' }, ...STORE_OPTIONS },
    });
    // The progress lines are the demo's output; the pipeline's own logs would bury them.
    process.env.TRIBUTARY_LOG_LEVEL ??= 'error';
    const out = (s: string) => process.stdout.write(s + '\n');
    const started = Date.now();
    const tty = process.stdout.isTTY === true;

    // 1. Kafka.
    let brokers = defaultBrokers();
    if (!process.env.TRIBUTARY_BROKERS && !process.env.KAFKA_BROKERS) {
      out('Starting the local Kafka broker (the first run resolves its jars from Maven Central)...');
      const up = await stackUp(defaultStackOptions());
      brokers = [up.brokers];
      out(`  Kafka ${up.alreadyRunning ? 'was already running' : 'is running'} at ${up.brokers} (pid ${up.pid}).`);
    } else {
      await waitForKafka(brokers, { timeoutMs: 30_000 });
      out(`Using the Kafka cluster at ${brokers.join(',')}.`);
    }

    // 2. The workload, with one incident: an error burst in payments, 6 minutes in.
    const minutes = Number(values.minutes);
    const durationMs = minutes * 60_000;
    const startMs = Math.floor((Date.now() - durationMs - 60_000) / 60_000) * 60_000;
    const incident: IncidentSpec = { kind: 'error_burst', service: 'payments', startMs: startMs + Math.floor(durationMs * 0.6), durationMs: Math.min(120_000, durationMs / 5) };
    const workload = generateWorkload({ seed: values.seed ?? String(started), startMs, durationMs, rateScale: Number(values.rate), incidents: [incident] });
    const logs = [...workload.logs()];
    const metrics = [...workload.metrics(10_000)];
    const runDir = join(stateDir(), 'demo', `run-${started}`);
    try {
      for (const old of readdirSync(join(stateDir(), 'demo'))) rmSync(join(stateDir(), 'demo', old), { recursive: true, force: true });
    } catch {
      /* first run */
    }
    mkdirSync(runDir, { recursive: true });
    out(`Generated ${fmt(logs.length)} log lines from ${workload.services.length} services (${minutes} min of event time) and ${fmt(metrics.length)} host metric points.`);
    out(`  Incident: an error burst in payments from ${new Date(incident.startMs).toISOString().slice(11, 16)} to ${new Date(incident.startMs + incident.durationMs).toISOString().slice(11, 16)} UTC.`);
    out(`  Log files: ${join(runDir, 'logs')}/<service>/<host>.log`);

    // 3. Agent and worker.
    const store = await openStoreFromFlags(values);
    await migrate(store);
    const groupId = `${DEMO_GROUP_PREFIX}${started}`;
    await withAdmin(brokers, async (admin) => {
      try {
        await sweepDemoRuns(admin, store);
      } catch (err) {
        out(`  Could not remove what an earlier run left (its consumer group or saved state; harmless): ${(err as Error).message}`);
      }
      await startGroupAtEnd(admin, groupId, [TOPICS.logs.name, TOPICS.metrics.name, DEMO_PARTIALS_TOPIC]);
    });
    const sources: Source[] = [];
    for (const svc of workload.services) {
      for (const host of svc.hosts) {
        mkdirSync(join(runDir, 'logs', svc.name), { recursive: true });
        sources.push(new FileSource(`${svc.name}-${host}`, { include: [join(runDir, 'logs', svc.name, `${host}.log`)], service: svc.name, host, stateDir: join(runDir, 'agent'), pollMs: 100 }));
      }
    }
    const metricSource = new GeneratedMetricsSource(metrics);
    sources.push(metricSource);
    const agent = new Agent({ sink: { brokers }, sources });
    const scoring = await openShippedScorer();
    // The demo replays ten minutes in seconds, and one of the six logs partitions often holds no
    // service at all: a partition that holds nothing keeps merged windows open until it counts as
    // idle, so the demo's idle timeout is 10 s rather than the default 30 s (shorter makes partitions that
    // stall for a few seconds on a busy machine count idle, and their next records too late).
    const worker = new Worker({ brokers, store, groupId, partialsTopic: DEMO_PARTIALS_TOPIC, scorer: scoring.scorer, windows: { idleTimeoutMs: 10_000 } });
    await worker.start();
    // `tributary top` in another terminal shows this run live (cli/status.ts).
    const workerStatus = new WorkerStatusSource(worker, store, `${hostname()}/${process.pid}`, groupId, { logs: TOPICS.logs.name, metrics: TOPICS.metrics.name, dlq: TOPICS.dlq.name });
    const board = publishStatus(async (rates, now) => [agentStatus(agent, rates, now, 'demo'), await workerStatus.status(rates, now)]);
    await agent.start();
    out('  While it runs, `npx tributary top` in another terminal shows the pipeline live.');
    const storedBefore = Number((await store.query<{ c: number }>('SELECT count() AS c FROM logs'))[0]?.c ?? 0);

    // 4. Write the files faster than real time, showing progress.
    const writeSeconds = Number(values.seconds);
    let written = 0;
    let lastSent = 0;
    let lastTick = Date.now();
    let lag = 0;
    const progress = () => {
      const now = Date.now();
      const sent = agent.sink.stats.sent;
      const rate = ((sent - lastSent) * 1000) / Math.max(1, now - lastTick);
      lastSent = sent;
      lastTick = now;
      lag = worker.stats.lag;
      const line = `  ${((now - started) / 1000).toFixed(0).padStart(4)} s  written ${fmt(written).padStart(7)} lines | shipped ${fmt(sent).padStart(7)} records (${fmt(rate).padStart(6)}/s) | consumer lag ${fmt(lag).padStart(6)} | rows stored ${fmt(worker.stats.stored).padStart(7)}`;
      if (tty) process.stdout.write(`\r${line}`);
      else out(line);
    };
    const ticker = setInterval(progress, tty ? 500 : 2000);
    const perSlice = Math.max(1, Math.ceil(logs.length / (writeSeconds * 10)));
    for (let i = 0; i < logs.length; i += perSlice) {
      const byFile = new Map<string, string[]>();
      for (const l of logs.slice(i, i + perSlice)) {
        const file = join(runDir, 'logs', l.service, `${l.host}.log`);
        let list = byFile.get(file);
        if (!list) byFile.set(file, (list = []));
        list.push(l.line);
      }
      for (const [file, lines] of byFile) appendFileSync(file, lines.join('\n') + '\n');
      written = Math.min(logs.length, i + perSlice);
      await sleep(100);
    }

    // 5. Wait until everything written is stored, then for the windows that closed to land.
    const deadline = Date.now() + 120_000;
    while ((worker.stats.stored < logs.length || worker.stats.pending > 0) && Date.now() < deadline) await sleep(200);
    // Windows land a tick or two after they close (through the partials topic): wait until some
    // have landed and the count has stopped moving.
    let windows = -1;
    let steady = 0;
    for (let i = 0; i < 50 && steady < 3; i++) {
      const now = worker.stats.serviceWindowRows;
      steady = now > 0 && now === windows ? steady + 1 : 0;
      windows = now;
      await sleep(600);
    }
    clearInterval(ticker);
    progress();
    if (tty) process.stdout.write('\n');
    await board.stop();
    await agent.stop();
    await worker.stop();
    await scoring.close();
    // Nothing resumes a finished run: its group would only linger in `tributary top` and the group list.
    await withAdmin(brokers, (admin) => sweepDemoRuns(admin, store, groupId)).catch(() => undefined);

    // 6. Summary, from ClickHouse.
    const total = Number((await store.query<{ c: number }>('SELECT count() AS c FROM logs'))[0]?.c ?? 0);
    const complete = worker.stats.stored >= logs.length;
    out('');
    out(`${complete ? 'Done' : 'Stopped before everything arrived'} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${fmt(worker.stats.stored)} of ${fmt(logs.length)} lines stored by this run, ${fmt(worker.stats.metricsStored)} metric points, ${fmt(worker.stats.dead)} to the dead-letter topic.`);
    // Each run reads only its own records with a fresh watermark (DEMO_GROUP_PREFIX), so what is left is
    // a partition that stalled past the idle timeout: the others' watermark moved on without it.
    if (worker.stats.dead > 0) out(`The dead letters are stored raw too. In a demo they are records too late for their windows: the demo replays ${minutes} minutes of event time in ${writeSeconds} s, and a partition that the busy machine held up for more than 10 s let the watermark pass its next records. A run with a lower --rate or more --seconds gives the machine more room.`);
    out(`The logs table now holds ${total} rows (${fmt(total - storedBefore)} new); the worker also wrote ${fmt(worker.stats.patternRows)} pattern rows, ${fmt(worker.stats.serviceWindowRows)} service windows, ${fmt(worker.stats.metricWindowRows)} metric windows and ${fmt(worker.stats.anomalies)} anomalies.`);
    out('');
    // The store holds every run's rows, and a run minutes before covers the same minutes: the tables
    // below show this run's lines (by their files) and what this run's worker flagged.
    const perService = await store.query<Record<string, unknown>>(
      `SELECT service, count() AS lines, countIf(severity_number >= 17) AS errors, round(errors / lines, 4) AS error_ratio
       FROM logs WHERE time >= fromUnixTimestamp64Milli({from:Int64}) AND startsWith(source_path, {run:String}) GROUP BY service ORDER BY service`,
      { from: startMs, run: `${runDir}/` },
    );
    out(formatTable(perService));
    const incidentRows = await safeQuery<Record<string, unknown>>(
      store,
      `SELECT toStartOfMinute(time) AS minute, count() AS lines, countIf(severity_number >= 17) AS errors
       FROM logs WHERE service = {service:String} AND time >= fromUnixTimestamp64Milli({from:Int64}) AND time < fromUnixTimestamp64Milli({to:Int64}) AND startsWith(source_path, {run:String})
       GROUP BY minute ORDER BY minute`,
      { service: incident.service, from: incident.startMs - 120_000, to: incident.startMs + incident.durationMs + 120_000, run: `${runDir}/` },
    );
    if (incidentRows?.length) {
      out('');
      out(`${incident.service} around the injected incident, per minute:`);
      out(formatTable(incidentRows));
    }
    const anomalies = await safeQuery<Record<string, unknown>>(
      store,
      `SELECT kind, service, host, window_size_s AS size_s, window_start, round(score, 2) AS score, round(threshold, 2) AS threshold, arrayStringConcat(arraySlice(top_features, 1, 2), '; ') AS stood_out
       FROM anomalies FINAL WHERE window_start >= fromUnixTimestamp64Milli({from:Int64}) AND detected_at >= fromUnixTimestamp64Milli({started:Int64}) AND window_size_s = 60 ORDER BY window_start, service LIMIT 12`,
      { from: startMs, started },
    );
    if (anomalies?.length) {
      out('');
      out('Windows the model flagged as anomalous:');
      out(formatTable(anomalies));
    }
    await store.close();
    out('');
    out('Next, try:');
    out('  npx tributary query "SELECT count() FROM logs"');
    out(`  npx tributary query "SELECT service, severity_text, count() FROM logs GROUP BY ALL ORDER BY ALL"`);
    out('  npx tributary top             # the live view (rates per stage, lag per partition, dead letters) while');
    out('                                # `npm run demo` runs again, or a worker and an agent, in another terminal');
    out('  npx tributary stack down      # stop the broker when you are done');
    return complete ? 0 : 1;
  },
};

export default command;
