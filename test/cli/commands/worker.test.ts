/**
 * `tributary worker` as a user runs it: a process with topic, group and store flags that lands
 * records in ClickHouse with windows scored, and stops cleanly (exit 0) on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../core/storage/open.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { standInRegistry } from '../../helpers/schema-registry.ts';
import { baseTime, closingRecords, makeLogs, produce } from '../../helpers/pipeline-data.ts';

await testBrokers();
const root = fileURLToPath(new URL('../../..', import.meta.url));

test('tributary worker lands records with its topic and group flags and exits 0 on SIGTERM', async () => {
  const brokers = await testBrokers();
  const logs = await createTestTopic('cli-logs', 2);
  const metrics = await createTestTopic('cli-metrics', 1);
  const dlq = await createTestTopic('cli-dlq', 1);
  const store = mkdtempSync(join(tmpdir(), 'tributary-cli-worker-'));
  const base = baseTime();
  const records = makeLogs(2000, { base, spanMs: 3 * 60_000 });
  await produce(logs, records);
  await produce(logs, [...closingRecords(2, base + 20 * 60_000), { key: 'x', value: 'not json' }]);
  const child = spawn(process.execPath, [
    join(root, 'bin/tributary.js'), 'worker', '--brokers', brokers.join(','), '--store', store, '--group', `g-cli-${Date.now()}`,
    '--logs-topic', logs, '--metrics-topic', metrics, '--dlq-topic', dlq, '--batch-max-rows', '500',
  ], { cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'info', TRIBUTARY_LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    // The worker logs its progress every 10 s; landing 2000 records takes far less.
    const started = Date.now();
    while (!/"stored":2002/.test(stderr) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 250));
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr.slice(-2000));
  assert.match(stderr, /The worker stopped/);
  const s = await openStore({ driver: 'embedded', path: store });
  try {
    const n = await s.query<{ n: string }>('SELECT count() AS n FROM logs WHERE kafka_topic = {t:String}', { t: logs });
    assert.equal(Number(n[0]!.n), 2002);
    const w = await s.query<{ n: string; scored: string }>("SELECT count() AS n, countIf(scored = 1) AS scored FROM service_windows FINAL WHERE NOT startsWith(service, 'zz-')");
    assert.ok(Number(w[0]!.n) > 0, 'windows landed');
  } finally {
    await s.close();
    rmSync(store, { recursive: true, force: true });
  }
});

test('tributary worker --config examples/worker.yaml --check validates the example and its models; a wrong value exits 1 naming key and flag', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), 'worker', ...args], { cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
  const ok = await run(['--config', 'examples/worker.yaml', '--check']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /is a valid worker configuration/);
  assert.match(ok.out, /service-window-maxz .* \(service\)/);
  const bad = await run(['--config', 'examples/worker.yaml', '--check', '--batch-max-rows', 'lots']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /batch\.max_rows \(--batch-max-rows\): must be integer/);
  // A source whose schemas come from a registry: --check asks the registry (a stand-in server: none
  // can run here) with the credentials from the environment, and says when it cannot.
  const registry = await standInRegistry([], { username: 'key', password: 's3cret' });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-check-'));
  try {
    const config = join(dir, 'worker.yaml');
    writeFileSync(config, `schema_registry:\n  url: ${registry.url}\n  username: key\n  password: \${REGISTRY_SECRET}\nsources:\n  - { name: payments, topic: payments.v1, format: avro, time_field: ts, fields: { id: string }, raw_table: payments_raw }\n`);
    const withRegistry = (secret: string) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), 'worker', '--config', config, '--check'], { cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', REGISTRY_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => resolve({ code, out, err }));
    });
    const good = await withRegistry('s3cret');
    assert.equal(good.code, 0, good.err);
    assert.match(good.out, new RegExp(`schema registry ${registry.url.replace(/\./g, '\\.')} serves JSON, PROTOBUF, AVRO \\(for payments\\)`));
    const refused = await withRegistry('wrong-one');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /sources payments fetch their schemas from the registry, and the schema registry at .* refused the credentials/);
    assert.doesNotMatch(refused.err + refused.out, /wrong-one/);
  } finally {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
