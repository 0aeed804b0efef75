// Prometheus itself as the sender: Prometheus 3 (v0.316.0, its agent mode) built from its Go module
// (test/interop/prometheus/go.mod names it as a tool) scrapes a page every second and remote-writes it to
// two of our intakes at once, one in 1.0 behind a bearer token, one in 2.0, as a user would point it at
// Tributary; the points land in a real Kafka topic. When the page goes away, Prometheus' staleness
// markers arrive and are counted, not sent.
//
// The build: about 5-7 minutes and 300 MB of modules on a machine without Go's caches; seconds after.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
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

test('a Prometheus server in agent mode remote-writes what it scrapes, in 1.0 (with a token) and 2.0, into Kafka; its staleness markers are counted', { timeout: 240_000 }, async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('prom-rw-logs');
  const metricsTopic = await createTestTopic('prom-rw-metrics');
  const dir = mkdtempSync(join(tmpdir(), 'prom-rw-'));
  // The page: its mail counter grows by one per scrape.
  let served = 0;
  const target = createServer((_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(PAGE.replace('jobs_processed_total{queue="mail"} 5', `jobs_processed_total{queue="mail"} ${4 + served}`));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetAddr = `127.0.0.1:${(target.address() as { port: number }).port}`;
  const v1 = new RemoteWriteSource({ port: 0, agentHost: 'rw-host', defaultService: 'fallback', token: 's3cret' });
  const v2 = new RemoteWriteSource({ port: 0, agentHost: 'rw-host', defaultService: 'fallback', service: 'shop-v2' });
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [v1, v2], selfMetrics: false });
  await agent.start();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, [
    'global: { scrape_interval: 1s }',
    'scrape_configs:',
    `  - { job_name: shop, static_configs: [{ targets: ["${targetAddr}"] }] }`,
    'remote_write:',
    `  - url: http://127.0.0.1:${v1.port}/api/v1/write`,
    '    authorization: { credentials: s3cret }',
    '    queue_config: { batch_send_deadline: 1s }',
    '    metadata_config: { send_interval: 1s }',
    `  - url: http://127.0.0.1:${v2.port}/api/v1/write`,
    '    protobuf_message: io.prometheus.write.v2.Request',
    '    queue_config: { batch_send_deadline: 1s }',
    '',
  ].join('\n'));
  let said = '';
  let server: ChildProcess | undefined;
  try {
    server = spawn(prometheus, [
      '--agent', `--config.file=${config}`, `--storage.agent.path=${join(dir, 'wal')}`, `--web.listen-address=127.0.0.1:${await freePort()}`,
      // 2.0 sends each series' type and unit only with the metadata kept in the WAL.
      '--enable-feature=metadata-wal-records',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    const log = () => said;
    await until('a few scrapes through both intakes', () => served >= 4 && v1.stats.points >= 3 * 14 && v2.stats.points >= 3 * 14, 90_000, log);
    await sleep(1500);
    // The page goes away: Prometheus marks its series stale and writes the markers on.
    await new Promise<void>((r) => target.close(() => r()));
    target.closeAllConnections();
    await until('staleness markers', () => v1.stats.staleMarkers > 0 && v2.stats.staleMarkers > 0, 30_000, log);
    assert.equal(v1.stats.unauthorized, 0);
    assert.equal(v1.stats.badRequests + v2.stats.badRequests, 0, said.slice(-3000));
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    if (target.listening) target.close();
    await agent.stop();
  }
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
