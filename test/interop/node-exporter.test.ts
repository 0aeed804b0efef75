// Prometheus' node_exporter, the most scraped page there is, read by the agent as a user runs it:
// node_exporter 1.12.1 built from its Go module (test/interop/node-exporter/go.mod names it as a tool)
// serves this machine's /proc; `tributary agent --config` (the real process, the bundle) scrapes it
// every second into a real Kafka topic. Its figures are checked against /proc itself, and when the
// exporter stops, the agent says so and `up` goes to 0 while the agent keeps running. Then the whole
// way to a dashboard: scraped into Kafka, landed by the worker in ClickHouse (chDB), read by the Hosts
// dashboard's own queries, the CPU counters' rate is this machine's number of CPUs.
//
// The build: a second or two with Go's caches warm; about 45 s on a machine that has none.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MetricPoint } from '../../core/contracts/records.ts';
import { freePort, portOpen } from '../../core/ports.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { Agent } from '../../agents/agent.ts';
import { PrometheusScrapeSource } from '../../agents/sources/prometheus.ts';
import { Worker } from '../../pipeline/worker.ts';
import { buildDashboards } from '../../dashboards/index.ts';
import { expandPanelQuery } from '../../dashboards/macros.ts';
import { BIN } from '../helpers/cli.ts';
import { buildGo } from '../helpers/go-build.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';

let nodeExporter = '';
before(async () => {
  nodeExporter = await buildGo('test/interop/node-exporter', 'dist/node-exporter/node_exporter', 'github.com/prometheus/node_exporter', 'the node_exporter interop test (test/interop/node-exporter.test.ts)');
}, { timeout: 600_000 });

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

test("node_exporter's page scraped by `tributary agent`: every sample into Kafka as a point, its figures this machine's, up 0 once it stops", { timeout: 240_000 }, async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('node-exporter-logs');
  const metricsTopic = await createTestTopic('node-exporter-metrics');
  const dir = mkdtempSync(join(tmpdir(), 'node-exporter-'));
  const port = await freePort();
  const exporter = spawn(nodeExporter, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exporterSaid = '';
  exporter.stderr!.on('data', (d: Buffer) => (exporterSaid += d.toString()));
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, [
    'service: { name: nodes }',
    'host: { name: exporter-host }',
    `kafka: { brokers: [${brokers.join(', ')}], topics: { logs: ${logsTopic}, metrics: ${metricsTopic} } }`,
    `state_dir: ${join(dir, 'state')}`,
    'self_metrics: { enabled: false }',
    'sources:',
    '  node:',
    '    type: prometheus_scrape',
    `    targets: ["http://127.0.0.1:${port}/metrics"]`,
    '    interval_ms: 1000',
    '    timeout_ms: 900',
    '',
  ].join('\n'));
  let agentSaid = '';
  let agent: ChildProcess | undefined;
  try {
    const up = Date.now() + 20_000;
    while (!(await portOpen(port)) && Date.now() < up) await sleep(100);
    assert.ok(await portOpen(port), `node_exporter did not listen: ${exporterSaid.slice(-2000)}`);
    agent = spawn(process.execPath, [BIN, 'agent', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'info', TRIBUTARY_LOG_FORMAT: 'json' } });
    agent.stdout!.on('data', (d: Buffer) => (agentSaid += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentSaid += d.toString()));
    // Three scrapes' worth while the exporter runs, then it stops and the agent scrapes on.
    // (The bundle may be built first.)
    const started = Date.now() + 90_000;
    while (!/The agent is shipping/.test(agentSaid) && agent.exitCode === null && Date.now() < started) await sleep(200);
    assert.match(agentSaid, /The agent is shipping/);
    await sleep(4000);
    exporter.kill('SIGTERM');
    await exited(exporter);
    const warned = Date.now() + 20_000;
    while (!/could not be scraped/.test(agentSaid) && Date.now() < warned) await sleep(200);
    await sleep(1500);
    assert.equal(agent.exitCode, null, `the agent stopped: ${agentSaid.slice(-3000)}`);
    agent.kill('SIGTERM');
    assert.equal(await exited(agent), 0, agentSaid.slice(-3000));
  } finally {
    if (exporter.exitCode === null) exporter.kill('SIGKILL');
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  }
  const warning = agentSaid.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; target?: string; reason?: string; level: number })
    .filter((l) => /could not be scraped/.test(l.msg));
  assert.equal(warning.length, 1, 'said once, not at every failed scrape');
  assert.deepEqual([warning[0]!.level, warning[0]!.target, warning[0]!.reason], [40, `http://127.0.0.1:${port}/metrics`, `connect ECONNREFUSED 127.0.0.1:${port}`]);

  const raw = await readTopic(metricsTopic, { idleMs: 2000, timeoutMs: 30_000 });
  const points = raw.map((m) => ({ key: m.key, ...(JSON.parse(m.value.toString()) as MetricPoint) }));
  const instance = `127.0.0.1:${port}`;
  assert.ok(points.every((p) => p.service === 'nodes' && p.host === 'exporter-host' && p.key === 'nodes|exporter-host' && p.labels.job === 'node' && p.labels.instance === instance));
  const series = (name: string) => points.filter((p) => p.name === name).sort((a, b) => a.time.localeCompare(b.time));
  const ups = series('up').map((p) => p.value);
  assert.ok(ups.length >= 3 && ups[0] === 1 && ups[ups.length - 1] === 0, `up: ${ups.join(',')}`);
  // Every sample of a successful scrape arrived: its scrape_samples_scraped says how many.
  const scrapes = new Map<string, number>();
  for (const p of points) if (!['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling'].includes(p.name)) scrapes.set(p.time, (scrapes.get(p.time) ?? 0) + 1);
  const counted = series('scrape_samples_scraped').filter((p) => p.value > 0);
  assert.ok(counted.length >= 2);
  for (const c of counted) assert.equal(scrapes.get(c.time), c.value, `the scrape at ${c.time}`);
  assert.ok(counted[0]!.value > 200, `node_exporter gave ${counted[0]!.value} samples`);
  // Its figures are this machine's: memory from /proc/meminfo, CPU seconds by CPU and mode, counters that only grow.
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  const mem = series('node_memory_MemTotal_bytes');
  assert.deepEqual([mem[0]!.kind, mem[0]!.unit, mem[0]!.value], ['gauge', 'By', memTotal]);
  const idle = series('node_cpu_seconds_total').filter((p) => p.labels.cpu === '0' && p.labels.mode === 'idle');
  assert.ok(idle.length >= 2 && idle.every((p) => p.kind === 'counter' && p.unit === 's'));
  assert.ok(idle[idle.length - 1]!.value >= idle[0]!.value);
  assert.ok(series('node_load1').length >= 2);
  // Histograms and summaries in parts: node_exporter's own Go runtime summary.
  assert.ok(series('go_gc_duration_seconds').some((p) => p.labels.quantile === '0.5' && p.kind === 'gauge'));
  assert.ok(series('go_gc_duration_seconds_count').every((p) => p.kind === 'counter'));
});

test("node_exporter to the Hosts dashboard: the worker lands its points, and the counters panel's rate of CPU seconds is this machine's CPU count", { timeout: 240_000 }, async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('node-dash-logs');
  const metricsTopic = await createTestTopic('node-dash-metrics');
  const dlqTopic = await createTestTopic('node-dash-dlq');
  const dir = mkdtempSync(join(tmpdir(), 'node-dash-'));
  const port = await freePort();
  const exporter = spawn(nodeExporter, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const store = await openStore({ driver: 'embedded', path: join(dir, 'store') });
  await migrate(store);
  const source = new PrometheusScrapeSource({
    name: 'node', targets: [`http://127.0.0.1:${port}/metrics`], intervalMs: 1000, timeoutMs: 900, service: 'nodes', host: 'dash-host',
    honorTimestamps: true, sampleLimit: 0, maxBytes: 8 << 20, include: ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes'],
  });
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  const worker = new Worker({ brokers, store, logsTopic, metricsTopic, dlqTopic, groupId: `node-dash-${Date.now()}` });
  const cpuTimes = async () => (await store.query<{ n: string }>("SELECT count(DISTINCT time) AS n FROM metrics WHERE name = 'node_cpu_seconds_total'"))[0]!.n;
  try {
    const up = Date.now() + 20_000;
    while (!(await portOpen(port)) && Date.now() < up) await sleep(100);
    await worker.start();
    await agent.start();
    const landed = Date.now() + 90_000;
    while (Number(await cpuTimes()) < 13 && Date.now() < landed) await sleep(500);
    assert.ok(Number(await cpuTimes()) >= 13, `${await cpuTimes()} scrapes landed`);
    // The metric windows of the gauge close as event time moves on.
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    const windowed = Date.now() + 60_000;
    const memWindows = () => store.query<{ mean: number; count: string }>("SELECT mean, count FROM metric_windows FINAL WHERE name = 'node_memory_MemTotal_bytes' AND window_size_s = 10");
    while ((await memWindows()).length === 0 && Date.now() < windowed) await sleep(500);
    const windows = await memWindows();
    assert.ok(windows.length >= 1, 'no window of node_memory_MemTotal_bytes closed');
    for (const w of windows) assert.equal(Number(w.mean), memTotal);
  } finally {
    await agent.stop();
    await worker.stop();
    if (exporter.exitCode === null) exporter.kill('SIGTERM');
  }
  try {
    // The Hosts dashboard's query, expanded as Grafana expands it, every host and metric selected.
    const hosts = buildDashboards().find((d) => d.dashboard.uid === 'tributary-hosts')!.dashboard;
    const panel = (hosts.panels as Array<{ title: string; targets?: Array<{ rawSql: string }> }>).find((p) => p.title === 'Counters per second')!;
    const span = (await store.query<{ first: string; last: string; cpus: string }>(
      "SELECT toUnixTimestamp64Milli(min(time)) AS first, toUnixTimestamp64Milli(max(time)) AS last, uniqExact(labels['cpu']) AS cpus FROM metrics WHERE name = 'node_cpu_seconds_total'",
    ))[0]!;
    const intervalSeconds = 5;
    const sql = expandPanelQuery(panel.targets![0]!.rawSql, {
      from: new Date(Number(span.first) - 1000), to: new Date(Number(span.last) + 1000), intervalSeconds,
      variables: { host: { value: '$__all', options: ['dash-host'] }, metric: { value: '$__all', options: [] } },
    });
    const rows = await store.query<{ series: string; per_second: number }>(sql);
    assert.deepEqual([...new Set(rows.map((r) => r.series))], ['dash-host node_cpu_seconds_total'], 'a gauge is not a counter');
    // Every CPU spends each second in some mode, so the CPU seconds of all CPUs and modes grow by the number of CPUs per second.
    const increase = rows.reduce((sum, r) => sum + Number(r.per_second) * intervalSeconds, 0);
    const perSecond = increase / ((Number(span.last) - Number(span.first)) / 1000);
    const cpus = Number(span.cpus);
    assert.ok(cpus >= 1);
    assert.ok(Math.abs(perSecond - cpus) < 0.1 * cpus, `${perSecond.toFixed(3)} CPU seconds per second on ${cpus} CPUs`);
  } finally {
    await store.close();
  }
});
