// Prometheus itself as the sender: Prometheus 3 (v0.316.0, its agent mode) built from its Go module
// (test/interop/prometheus/go.mod names it as a tool) scrapes a page every second and remote-writes it to
// two of our intakes at once, one in 1.0 behind a bearer token, one in 2.0, as a user would point it at
// Tributary; the points land in a real Kafka topic. When the page goes away, Prometheus' staleness
// markers arrive and are counted, not sent.
//
// The second test: Prometheus scrapes a native histogram (the protobuf exposition format) and a classic
// one it converts to custom bounds, and sends both as native histograms.
//
// The build: about 5-7 minutes and 300 MB of modules on a machine without Go's caches; seconds after.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../agents/agent.ts';
import { RemoteWriteSource } from '../../agents/sources/remote-write.ts';
import { type MetricPoint } from '../../core/contracts/records.ts';
import { freePort } from '../../core/ports.ts';
import { buildGo } from '../helpers/go-build.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';
import { encodeProto } from '../helpers/protobuf.ts';

let prometheus = '';
before(async () => {
  prometheus = await buildGo('test/interop/prometheus', 'dist/prometheus/prometheus', 'github.com/prometheus/prometheus/cmd/prometheus', 'the Prometheus remote write interop test (test/interop/prometheus-remote-write.test.ts)');
}, { timeout: 1_800_000 });

const PAGE = readFileSync(new URL('../fixtures/programs/prometheus-remote-write-page.txt', import.meta.url), 'utf8');

async function until(what: string, check: () => boolean, timeoutMs: number, said: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Prometheus said:\n${said().slice(-3000)}`);
    await sleep(200);
  }
}

/**
 * A page server on loopback (`handler`), two remote write intakes in one agent and a Prometheus agent
 * started with the config `yaml(target, v1port, v2port)` gives: `body` runs while they do, then all stop.
 */
async function withPrometheus(
  name: string,
  handler: Parameters<typeof createServer>[1],
  intakes: [Partial<ConstructorParameters<typeof RemoteWriteSource>[0]>, Partial<ConstructorParameters<typeof RemoteWriteSource>[0]>],
  yaml: (target: string, v1: number, v2: number) => string[],
  flags: string[],
  body: (s: { v1: RemoteWriteSource; v2: RemoteWriteSource; target: Server; said: () => string }) => Promise<void>,
): Promise<{ metricsTopic: string; target: string }> {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic(`${name}-logs`);
  const metricsTopic = await createTestTopic(`${name}-metrics`);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const target = createServer(handler);
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetAddr = `127.0.0.1:${(target.address() as { port: number }).port}`;
  const [v1, v2] = intakes.map((o) => new RemoteWriteSource({ port: 0, defaultService: 'fallback', agentHost: 'rw-host', ...o }));
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [v1!, v2!], selfMetrics: false });
  await agent.start();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, [...yaml(targetAddr, v1!.port, v2!.port), ''].join('\n'));
  let said = '';
  let server: ChildProcess | undefined;
  try {
    server = spawn(prometheus, ['--agent', `--config.file=${config}`, `--storage.agent.path=${join(dir, 'wal')}`, `--web.listen-address=127.0.0.1:${await freePort()}`, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    await body({ v1: v1!, v2: v2!, target, said: () => said });
    assert.equal(v1!.stats.badRequests + v2!.stats.badRequests, 0, said.slice(-3000));
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    if (target.listening) target.close();
    await agent.stop();
  }
  return { metricsTopic, target: targetAddr };
}

test('a Prometheus server in agent mode remote-writes what it scrapes, in 1.0 (with a token) and 2.0, into Kafka; its staleness markers are counted', { timeout: 240_000 }, async () => {
  // The page: its mail counter grows by one per scrape.
  let served = 0;
  const page: Parameters<typeof createServer>[1] = (_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(PAGE.replace('jobs_processed_total{queue="mail"} 5', `jobs_processed_total{queue="mail"} ${4 + served}`));
  };
  const yaml = (target: string, v1: number, v2: number) => [
    'global: { scrape_interval: 1s }',
    'scrape_configs:',
    `  - { job_name: shop, static_configs: [{ targets: ["${target}"] }] }`,
    'remote_write:',
    `  - url: http://127.0.0.1:${v1}/api/v1/write`,
    '    authorization: { credentials: s3cret }',
    '    queue_config: { batch_send_deadline: 1s }',
    '    metadata_config: { send_interval: 1s }',
    `  - url: http://127.0.0.1:${v2}/api/v1/write`,
    '    protobuf_message: io.prometheus.write.v2.Request',
    '    queue_config: { batch_send_deadline: 1s }',
  ];
  // 2.0 sends each series' type and unit only with the metadata kept in the WAL.
  const { metricsTopic, target: targetAddr } = await withPrometheus('prom-rw', page, [{ token: 's3cret' }, { service: 'shop-v2' }], yaml, ['--enable-feature=metadata-wal-records'], async ({ v1, v2, target, said }) => {
    await until('a few scrapes through both intakes', () => served >= 4 && v1.stats.points >= 3 * 14 && v2.stats.points >= 3 * 14, 90_000, said);
    await sleep(1500);
    // The page goes away: Prometheus marks its series stale and writes the markers on.
    await new Promise<void>((r) => target.close(() => r()));
    target.closeAllConnections();
    await until('staleness markers', () => v1.stats.staleMarkers > 0 && v2.stats.staleMarkers > 0, 30_000, said);
    assert.equal(v1.stats.unauthorized, 0);
  });
  const raw = await readTopic(metricsTopic, { idleMs: 2000, timeoutMs: 30_000 });
  const points = raw.map((m) => ({ key: m.key, ...(JSON.parse(m.value.toString()) as MetricPoint) }));
  for (const service of ['shop', 'shop-v2']) {
    const mine = points.filter((p) => p.service === service);
    const series = (name: string, labels: Record<string, string> = {}) => mine.filter((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v)).sort((a, b) => a.time.localeCompare(b.time));
    assert.ok(mine.length >= 3 * 14, `${service}: ${mine.length} points`);
    assert.ok(mine.every((p) => p.host === 'rw-host' && p.key === `${service}|rw-host` && p.labels.job === 'shop' && p.labels.instance === targetAddr), service);
    // Each scrape's mail count, as the page served it: one more each time, no NaN among them.
    const mail = series('jobs_processed_total', { queue: 'mail' }).map((p) => p.value);
    assert.ok(mail.length >= 3);
    mail.forEach((v, i) => i > 0 && assert.ok(v >= mail[i - 1]!, `${service}: ${mail.join(',')}`));
    assert.ok(mail.every((v) => Number.isInteger(v) && v >= 5 && v <= 4 + served));
    assert.ok(series('jobs_processed_total').every((p) => p.kind === 'counter'));
    assert.deepEqual([...new Set(series('job_duration_seconds_bucket').map((p) => p.labels.le))].sort(), ['+Inf', '0.1', '1']);
    const up = series('up').map((p) => p.value);
    assert.equal(up[0], 1);
    assert.equal(up.at(-1), 0, `${service}: up ${up.join(',')} after the page went away`);
  }
  // A counter not named _total: 2.0 says so with every series; 1.0 once its metadata came (every second here).
  assert.ok(points.filter((p) => p.service === 'shop-v2' && p.name === 'retries').every((p) => p.kind === 'counter'));
  assert.equal(points.filter((p) => p.service === 'shop' && p.name === 'retries').at(-1)!.kind, 'counter');
  assert.ok(points.filter((p) => p.service === 'shop-v2' && p.name === 'scrape_duration_seconds').every((p) => p.unit === 's'));
});

/**
 * A page in Prometheus' protobuf exposition format (io.prometheus.client.MetricFamily, length-delimited)
 * holding one native histogram of `values` at `schema`, bucketed as Prometheus buckets (bucket i holds
 * (base^(i-1), base^i]), its counts sent as spans and deltas.
 */
function nativeHistogramPage(values: number[], schema: number): Buffer {
  const byIndex = new Map<number, number>();
  for (const v of values) {
    const i = Math.ceil(Math.log2(v) * 2 ** schema);
    byIndex.set(i, (byIndex.get(i) ?? 0) + 1);
  }
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  const spans: Array<{ offset: number; length: number }> = [];
  const deltas: number[] = [];
  let next = 0;
  let previous = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    // A span per bucket: its offset the gap after the one before (for the first, its index).
    spans.push({ offset: k === 0 ? i : i - next, length: 1 });
    next = i + 1;
    deltas.push(byIndex.get(i)! - previous);
    previous = byIndex.get(i)!;
  }
  const histogram = { sampleCount: values.length, sampleSum: values.reduce((a, b) => a + b, 0), schema, positiveSpan: spans, positiveDelta: deltas };
  return encodeProto('MetricFamily', { name: 'rpc_duration_seconds', help: 'RPC latency.', type: 4, metric: [{ label: [{ name: 'route', value: '/pay' }], histogram }] }, true);
}

test('Prometheus sends native histograms, exponential (scraped as protobuf) and with custom bounds (converted from a classic one): each le holds what was observed at or below it', { timeout: 240_000 }, async () => {
  // Latencies from 1 ms to about 2 s; each scrape serves 25 more of them.
  const all = Array.from({ length: 400 }, (_, i) => 0.001 * 1.019 ** i);
  let scrapes = 0;
  const pages: Parameters<typeof createServer>[1] = (req, res) => {
    if (req.url === '/native') {
      scrapes++;
      res.writeHead(200, { 'content-type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' });
      res.end(nativeHistogramPage(all.slice(0, Math.min(all.length, 25 * scrapes)), 3));
    } else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(PAGE);
  };
  const yaml = (target: string, v1: number, v2: number) => [
    'global: { scrape_interval: 1s }',
    'scrape_configs:',
    `  - { job_name: native, metrics_path: /native, scrape_native_histograms: true, static_configs: [{ targets: ["${target}"] }] }`,
    `  - { job_name: classic, convert_classic_histograms_to_nhcb: true, static_configs: [{ targets: ["${target}"] }] }`,
    'remote_write:',
    // 1.0 cannot carry custom bounds: Prometheus drops such histograms, or (as here) sends them as classic series.
    `  - { url: "http://127.0.0.1:${v1}/api/v1/write", send_native_histograms: true, convert_nhcb_to_classic: true, queue_config: { batch_send_deadline: 1s } }`,
    `  - { url: "http://127.0.0.1:${v2}/api/v1/write", protobuf_message: io.prometheus.write.v2.Request, send_native_histograms: true, queue_config: { batch_send_deadline: 1s } }`,
  ];
  const { metricsTopic } = await withPrometheus('prom-nh', pages, [{ service: 'nh-v1' }, { service: 'nh-v2' }], yaml, [], async ({ v1, v2, said }) => {
    await until('native histograms through both intakes', () => scrapes >= 4 && v1.stats.histograms >= 6 && v2.stats.histograms >= 6, 90_000, said);
  });
  const raw = await readTopic(metricsTopic, { idleMs: 2000, timeoutMs: 30_000 });
  const points = raw.map((m) => JSON.parse(m.value.toString()) as MetricPoint);
  for (const service of ['nh-v1', 'nh-v2']) {
    const mine = points.filter((p) => p.service === service);
    // The exponential one: each sample (one time) checked against the values it held, known by its count.
    const counts = mine.filter((p) => p.name === 'rpc_duration_seconds_count');
    assert.ok(counts.length >= 3, `${service}: ${counts.length} samples`);
    let most = 0;
    for (const c of counts) {
      const values = all.slice(0, c.value);
      const buckets = mine.filter((p) => p.name === 'rpc_duration_seconds_bucket' && p.time === c.time);
      most = Math.max(most, buckets.length);
      for (const b of buckets) {
        const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
        assert.equal(b.value, values.filter((v) => v <= le).length, `${service} at ${c.value} values: le ${b.labels.le}`);
        // Prometheus' schema 3 merged down to 4 buckets per doubling.
        if (le !== Infinity) assert.ok(Math.abs(Math.log2(le) * 4 - Math.round(Math.log2(le) * 4)) < 1e-9, `le ${b.labels.le}`);
        assert.equal(b.labels.route, '/pay');
        assert.equal(b.kind, 'counter');
      }
      const sum = mine.find((p) => p.name === 'rpc_duration_seconds_sum' && p.time === c.time)!;
      assert.ok(Math.abs(sum.value - values.reduce((a, b) => a + b, 0)) < 1e-9);
      assert.equal(sum.unit, 's');
    }
    assert.ok(most >= 8, `${service}: at most ${most} buckets in a sample`);
    // The classic histogram of the page (0.1: 1, 1: 3, +Inf: 4), converted to custom bounds: read by the
    // intake from 2.0's native histogram, and sent by Prometheus as classic series again in 1.0.
    const classic = mine.filter((p) => p.name === 'job_duration_seconds_bucket');
    assert.ok(classic.length >= 3, `${service}: the classic job's series: ${[...new Set(mine.filter((p) => p.labels.job === 'classic').map((p) => p.name))].join(', ')}`);
    const at = classic[0]!.time;
    assert.deepEqual(classic.filter((p) => p.time === at).map((p) => [p.labels.le, p.value]), [['0.1', 1], ['1', 3], ['+Inf', 4]]);
    assert.equal(mine.find((p) => p.name === 'job_duration_seconds_sum')!.value, 2.5);
  }
});
