/**
 * `tributary top`: a live view of the running pipeline in the terminal, one frame a second. Agents and
 * workers on this machine publish their counters to $TRIBUTARY_HOME/run (cli/status.ts); Kafka gives the
 * topics' rates, every worker group's lag per partition and who owns it, and the dead-letter count; a
 * ClickHouse server (--store-url), when given, adds `pipeline_stats` of workers on other machines.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssignerProtocol } from 'kafkajs';
import type { Command } from '../command.ts';
import { readStatuses, runDir, type AgentStatus, type Counter, type ProcessStatus, type WorkerStatus } from '../status.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { defaultBrokers } from '../../core/paths.ts';
import { TOPICS } from '../../core/contracts/topics.ts';
import { openStore, storeConfigFrom } from '../../core/storage/open.ts';
import type { Store } from '../../core/storage/store.ts';
import { TributaryError } from '../../core/errors.ts';

const help = `Usage: tributary top [--once] [--brokers host:port] [--store-url <url>] [--interval <ms>]

A live view of the running pipeline, refreshed every second (q or Ctrl-C quits):
  - each agent on this machine: records read, built and sent per second, its buffer fill, what it dropped;
  - each worker on this machine: records in and out per second by stage (consume, decode, patterns,
    windows, score, store), dead letters, late records, and its last anomalies;
  - Kafka: records per second into logs.v1, metrics.v1 and dlq.v1, and for every worker group the
    lag of each partition and the worker that owns it (this part covers workers on every machine).
Agents and workers publish their counters in $TRIBUTARY_HOME/run (the embedded store cannot be read
while a worker owns it). With --store-url (or CLICKHOUSE_URL), the pipeline_stats table of that
ClickHouse server adds the workers of other machines.

Options:
  --once               print one frame and exit (for scripts); says so when nothing runs
  --brokers <list>     Kafka brokers (default: TRIBUTARY_BROKERS or the local stack)
  --store-url <url>    a ClickHouse server whose pipeline_stats to read too
  --interval <ms>      refresh interval (default 1000)
`;

interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
  owner: string;
}

interface GroupView {
  groupId: string;
  state: string;
  members: number;
  partitions: PartitionLag[];
}

interface KafkaView {
  reachable: boolean;
  error?: string;
  /** Topics watched: the ones workers read, then the dead-letter topics. */
  topics: string[];
  dlqTopics: string[];
  /** Log end offset per topic/partition. */
  ends: Map<string, number>;
  groups: GroupView[];
  at: number;
}

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/** One look at Kafka: end offsets of the pipeline's topics, and every consumer group reading them. */
export async function kafkaView(admin: Admin, watch: { read: string[]; dlq: string[] }): Promise<KafkaView> {
  const at = Date.now();
  const ends = new Map<string, number>();
  const existing = new Set(await admin.listTopics());
  const topics = [...new Set([...watch.read, ...watch.dlq])].filter((t) => existing.has(t));
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
  }
  const groups: GroupView[] = [];
  const listed = (await admin.listGroups()).groups.filter((g) => g.protocolType === 'consumer');
  const described = listed.length > 0 ? (await admin.describeGroups(listed.map((g) => g.groupId))).groups : [];
  for (const g of described) {
    const owner = new Map<string, string>();
    for (const m of g.members) {
      const assignment = m.memberAssignment?.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment : undefined;
      for (const [topic, parts] of Object.entries(assignment ?? {})) for (const p of parts) owner.set(`${topic}/${p}`, `${m.clientId}@${m.clientHost.replace(/^\//, '')}`);
    }
    const read = topics.filter((t) => watch.read.includes(t));
    const committed = read.length > 0 ? await admin.fetchOffsets({ groupId: g.groupId, topics: read }) : [];
    const partitions: PartitionLag[] = [];
    for (const t of committed) {
      for (const p of t.partitions) {
        const key = `${t.topic}/${p.partition}`;
        const c = Number(p.offset);
        if (c < 0 && !owner.has(key)) continue;
        const end = ends.get(key) ?? 0;
        partitions.push({ topic: t.topic, partition: p.partition, committed: c, end, lag: c < 0 ? end : Math.max(0, end - c), owner: owner.get(key) ?? '-' });
      }
    }
    // Only the groups that read the pipeline's topics (a worker group), not every tool that ever joined one.
    if (partitions.length === 0) continue;
    groups.push({ groupId: g.groupId, state: g.state, members: g.members.length, partitions });
  }
  return { reachable: true, topics, dlqTopics: watch.dlq, ends, groups, at };
}

// ------------------------------------------------------------------------------------ rendering

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (c: Counter | undefined) => (c ? fmt(c.perSecond) : '');
const bytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(0)} kB` : `${n} B`);

/** Left-aligned first column, the rest right-aligned, two spaces apart. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

function agentLines(a: AgentStatus, p: ProcessStatus): string[] {
  const b = a.buffer;
  const fill = b.limitEvents ? ` (${((100 * b.events) / b.limitEvents).toFixed(0)} % of ${fmt(b.limitEvents)})` : '';
  const lines = [`agent ${a.name} on ${a.host} (pid ${p.pid}): buffer ${fmt(b.events)} records, ${bytes(b.bytes)}${fill}; disk ${fmt(b.diskEvents)} records, ${bytes(b.diskBytes)}; dropped ${fmt(a.dropped)}${a.lastError ? `; last error: ${a.lastError}` : ''}`];
  lines.push(...table([['stage', 'records/s', 'total'], ...(['read', 'built', 'sent'] as const).map((s) => [s, rate(a.stages[s]), fmt(a.stages[s].total)])]));
  if (a.sources.length > 0) {
    const busiest = [...a.sources].sort((x, y) => y.read.perSecond - x.read.perSecond).slice(0, 6);
    lines.push(`  sources (${a.sources.length}): ${busiest.map((s) => `${s.name} ${fmt(s.read.perSecond)}/s`).join(', ')}${a.sources.length > busiest.length ? ', ...' : ''}`);
  }
  return lines;
}

function workerLines(w: WorkerStatus, p: ProcessStatus): string[] {
  const lines = [`worker ${w.instance} (pid ${p.pid}), group ${w.groupId}, store ${w.store}: lag ${fmt(w.lag)}, ${fmt(w.pending)} records not yet stored`];
  lines.push(...table([['stage', 'in/s', 'out/s', 'dead letters/s', 'late/s', 'total out'], ...w.stages.map((s) => [s.stage, rate(s.in), rate(s.out), rate(s.dlq), rate(s.late), fmt(s.out.total)])]));
  if (w.anomalies.length > 0) {
    lines.push('  last anomalies:');
    lines.push(...table(w.anomalies.map((a) => [a.window_start.slice(0, 19), a.kind, a.kind === 'host' ? a.host : a.service, a.model, `score ${a.score.toFixed(2)}`, `threshold ${a.threshold.toFixed(2)}`]), '    '));
  }
  return lines;
}

export interface Frame {
  text: string;
  /** False when nothing runs: no agent or worker here, and no worker group with members on Kafka. */
  running: boolean;
}

export function renderFrame(o: { statuses: ProcessStatus[]; kafka: KafkaView; previous?: KafkaView; brokers: string[]; dir: string; stats?: StatRow[]; now?: Date }): Frame {
  const now = o.now ?? new Date();
  const out: string[] = [`tributary top  ${now.toISOString().slice(0, 19).replace('T', ' ')} UTC  brokers ${o.brokers.join(',')}`];
  const agents = o.statuses.flatMap((p) => p.parts.filter((x): x is AgentStatus => x.kind === 'agent').map((a) => [a, p] as const));
  const workers = o.statuses.flatMap((p) => p.parts.filter((x): x is WorkerStatus => x.kind === 'worker').map((w) => [w, p] as const));
  const activeGroups = o.kafka.groups.filter((g) => g.members > 0);
  const running = agents.length + workers.length + activeGroups.length + (o.stats?.length ?? 0) > 0;
  if (!running) {
    const kafka = o.kafka.reachable ? `no worker group has members on Kafka at ${o.brokers.join(',')}` : `Kafka at ${o.brokers.join(',')} does not answer (${o.kafka.error ?? 'unreachable'}; \`npx tributary stack up\` starts the local broker)`;
    out.push('', `Nothing is running: no agent or worker publishes its status in ${o.dir}, and ${kafka}.`);
    out.push('Start the pipeline with `npm run demo`, or `npx tributary worker` and `npx tributary agent --tail <glob>`, then run `npx tributary top` again.');
    return { text: out.join('\n'), running };
  }
  out.push('', `AGENTS (${agents.length} on this machine)`);
  if (agents.length === 0) out.push('  none publishes its status here');
  for (const [a, p] of agents) out.push(...agentLines(a, p).map((l) => `  ${l}`));
  out.push('', `WORKERS (${workers.length} on this machine)`);
  if (workers.length === 0) out.push('  none publishes its status here');
  for (const [w, p] of workers) out.push(...workerLines(w, p).map((l) => `  ${l}`));
  if (o.stats && o.stats.length > 0) {
    out.push('', 'WORKERS in pipeline_stats (last 30 s, per second)');
    out.push(...table([['instance', 'stage', 'counter', 'per second'], ...o.stats.map((r) => [r.instance, r.stage, r.name, r.rate.toFixed(1)])]));
  }
  out.push('', 'KAFKA');
  if (!o.kafka.reachable) {
    out.push(`  does not answer at ${o.brokers.join(',')}: ${o.kafka.error ?? ''}`);
    return { text: out.join('\n'), running };
  }
  const seconds = o.previous ? (o.kafka.at - o.previous.at) / 1000 : 0;
  const topicRows: string[][] = [['topic', 'partitions', 'records/s', 'records in total']];
  for (const topic of o.kafka.topics) {
    let end = 0;
    let before = 0;
    let parts = 0;
    for (const [k, v] of o.kafka.ends) {
      if (!k.startsWith(`${topic}/`)) continue;
      parts++;
      end += v;
      before += o.previous?.ends.get(k) ?? v;
    }
    if (parts === 0) continue;
    topicRows.push([o.kafka.dlqTopics.includes(topic) ? `${topic} (dead letters)` : topic, String(parts), seconds > 0 ? fmt((end - before) / seconds) : '', fmt(end)]);
  }
  out.push(...table(topicRows));
  for (const g of o.kafka.groups) {
    const total = g.partitions.reduce((a, p) => a + p.lag, 0);
    out.push('', `CONSUMER LAG, group ${g.groupId} (${g.state}, ${g.members} member${g.members === 1 ? '' : 's'}): ${fmt(total)} records past the committed offsets`);
    out.push(...table([['partition', 'owner', 'committed', 'log end', 'lag'], ...g.partitions.map((p) => [`${p.topic}/${p.partition}`, p.owner, p.committed < 0 ? '-' : fmt(p.committed), fmt(p.end), fmt(p.lag)])]));
  }
  return { text: out.join('\n'), running };
}

// ------------------------------------------------------------------------------------ pipeline_stats

interface StatRow {
  instance: string;
  stage: string;
  name: string;
  rate: number;
}

/** Counter rates per worker instance and stage over the last 30 s, from a ClickHouse server. */
async function statsFromStore(store: Store): Promise<StatRow[]> {
  return store.query<StatRow>(
    `SELECT instance, stage, name, sum(value) / 30 AS rate FROM pipeline_stats
     WHERE time > now64(3) - INTERVAL 30 SECOND AND name IN ('records_in', 'records_out', 'dlq_records', 'late_records')
     GROUP BY instance, stage, name ORDER BY instance, stage, name`,
  );
}

// ------------------------------------------------------------------------------------ the command

const command: Command = {
  name: 'top',
  summary: 'a live view of the running agents, workers, lag and dead letters',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean', default: false },
        brokers: { type: 'string' },
        'store-url': { type: 'string' },
        interval: { type: 'string', default: '1000' },
      },
    });
    // kafkajs's connection warnings would tear the frame; top reports an unreachable Kafka itself.
    if (!/^(debug|trace)$/.test(process.env.TRIBUTARY_LOG_LEVEL ?? '')) process.env.TRIBUTARY_LOG_LEVEL = 'error';
    const interval = Number(values.interval);
    if (!Number.isFinite(interval) || interval < 100) throw new TributaryError('USAGE', `--interval must be a number of milliseconds, 100 or more, not ${values.interval}`);
    const brokers = values.brokers ? values.brokers.split(',').map((s) => s.trim()).filter(Boolean) : defaultBrokers();
    const dir = runDir();
    const storeUrl = values['store-url'] ?? process.env.CLICKHOUSE_URL;
    // Only a server: the embedded store belongs to the worker that runs (see cli/status.ts).
    const store = storeUrl ? await openStore(storeConfigFrom({ storeUrl })) : undefined;
    const admin = createKafka({ brokers, clientId: 'tributary-top', retries: 0, connectionTimeoutMs: 1500 }).admin();
    let connected = false;
    const look = async (statuses: ProcessStatus[]): Promise<KafkaView> => {
      // The default topics, and whichever ones the workers here say they read.
      const workers = statuses.flatMap((p) => p.parts.filter((x): x is WorkerStatus => x.kind === 'worker'));
      const watch = {
        read: [...new Set([TOPICS.logs.name, TOPICS.metrics.name, ...workers.flatMap((w) => [w.topics.logs, w.topics.metrics])])],
        dlq: [...new Set([TOPICS.dlq.name, ...workers.map((w) => w.topics.dlq)])],
      };
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        return await kafkaView(admin, watch);
      } catch (err) {
        connected = false;
        await admin.disconnect().catch(() => undefined);
        return { reachable: false, error: (err as Error).message, topics: [], dlqTopics: [], ends: new Map(), groups: [], at: Date.now() };
      }
    };
    const stats = async () => (store ? await statsFromStore(store).catch(() => undefined) : undefined);
    const close = async () => {
      await admin.disconnect().catch(() => undefined);
      await store?.close();
    };

    if (values.once) {
      // Two looks at Kafka a moment apart give its rates; the agents' and workers' rates come with their status.
      const first = await look(readStatuses(dir));
      if (first.reachable) await sleep(Math.min(interval, 1000));
      const statuses = readStatuses(dir);
      const kafka = first.reachable ? await look(statuses) : first;
      const frame = renderFrame({ statuses, kafka, previous: first.reachable ? first : undefined, brokers, dir, stats: await stats() });
      process.stdout.write(frame.text + '\n');
      await close();
      return 0;
    }

    const tty = process.stdout.isTTY;
    let quit: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (quit = resolve));
    process.once('SIGINT', () => quit());
    process.once('SIGTERM', () => quit());
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.on('data', (d) => {
        if (d[0] === 0x71 || d[0] === 0x03) quit(); // q, Ctrl-C (raw mode turns Ctrl-C into a byte)
      });
    }
    let previous: KafkaView | undefined;
    let stopped = false;
    void done.then(() => (stopped = true));
    while (!stopped) {
      const statuses = readStatuses(dir);
      const kafka = await look(statuses);
      const frame = renderFrame({ statuses, kafka, previous: previous?.reachable ? previous : undefined, brokers, dir, stats: await stats() });
      previous = kafka;
      process.stdout.write(tty ? `\x1b[H\x1b[2J${frame.text}\n\n(q or Ctrl-C quits)\n` : `${frame.text}\n\n`);
      await Promise.race([sleep(interval), done]);
    }
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    await close();
    return 0;
  },
};

export default command;
