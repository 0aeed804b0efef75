// `stack up --secure` on a real broker: SASL_SSL with a SCRAM-SHA-512 user and a certificate made at
// start, and an SSL listener that takes clients by their certificate (mutual TLS). The real agent and
// worker commands ship and land through either with nothing but the standard settings (the stack's
// client.env, client-mtls.env); a wrong password, an untrusted CA, or a client certificate missing or
// signed by another CA stops them at once with an error that names the broker and never prints the secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../../core/storage/open.ts';
import { checkAccess } from '../../../core/kafka/admin.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { startTestCluster, type TestCluster } from '../../helpers/cluster.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
let cluster: TestCluster;
let clientEnv: Record<string, string>;
let mtlsEnv: Record<string, string>;

const envFile = (file: string) => Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

before(async () => {
  cluster = await startTestCluster({ nodes: 1, secure: true });
  clientEnv = envFile(cluster.security!.clientEnvFile);
  mtlsEnv = envFile(cluster.security!.mtlsEnvFile!);
});
after(async () => cluster?.down());

function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...clientEnv, TRIBUTARY_BROKERS: cluster.secureBrokers!.join(','), TRIBUTARY_LOG_FORMAT: 'json', TRIBUTARY_LOG_LEVEL: 'info', ...extra };
}

/** The mutual-TLS listener's settings: no SASL at all, the client known by its certificate. */
function mtlsEnvWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...mtlsEnv, TRIBUTARY_BROKERS: cluster.mtlsBrokers!.join(','), TRIBUTARY_LOG_FORMAT: 'json', TRIBUTARY_LOG_LEVEL: 'info', ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('KAFKA_SASL_')) delete env[k];
  return env;
}

test('the client settings files hold the standard variables, readable by their owner only', () => {
  assert.deepEqual(Object.keys(clientEnv).sort(), ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME', 'KAFKA_SSL', 'KAFKA_SSL_CA_FILE']);
  assert.deepEqual(Object.keys(mtlsEnv).sort(), ['KAFKA_SSL', 'KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE']);
  for (const f of [cluster.security!.mtlsEnvFile!, mtlsEnv.KAFKA_SSL_KEY_FILE!]) assert.equal(spawnSync('stat', ['-c', '%a', f], { encoding: 'utf8' }).stdout.trim(), '600', f);
  assert.equal(clientEnv.KAFKA_SASL_MECHANISM, 'scram-sha-512');
  const mode = spawnSync('stat', ['-c', '%a', cluster.security!.clientEnvFile], { encoding: 'utf8' }).stdout.trim();
  assert.equal(mode, '600');
  const s = spawnSync(process.execPath, ['bin/tributary.js', 'stack', 'status'], { cwd: repo, encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: join(cluster.options.home, '..') } });
  assert.doesNotMatch(s.stdout + s.stderr, new RegExp(clientEnv.KAFKA_SASL_PASSWORD!));
});

for (const over of ['SASL_SSL', 'mutual TLS'] as const) test(`agent and worker ship and land over ${over} with the standard settings`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-secure-'));
  const file = join(dir, 'app.log');
  const n = 500;
  appendFileSync(file, Array.from({ length: n }, (_, i) => `2026-11-29T06:00:00Z INFO secure line ${i}`).join('\n') + '\n');
  const env = over === 'SASL_SSL' ? envWith({ TRIBUTARY_HOME: join(dir, 'home') }) : mtlsEnvWith({ TRIBUTARY_HOME: join(dir, 'home') });
  // Each run its own logs topic (made over PLAINTEXT), so the worker's count is this run's alone.
  const topic = ['--logs-topic', over === 'SASL_SSL' ? 'logs.v1' : await cluster.createTopic('logs-mtls', 3, 1)];
  const agent = spawn(process.execPath, ['bin/tributary.js', 'agent', '--tail', file, '--service', 'secure', '--state-dir', join(dir, 'agent'), ...topic], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const worker = spawn(process.execPath, ['bin/tributary.js', 'worker', '--store', join(dir, 'store'), '--no-score', ...topic], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let workerErr = '';
  let agentErr = '';
  worker.stderr.on('data', (d: Buffer) => (workerErr += d.toString()));
  agent.stderr.on('data', (d: Buffer) => (agentErr += d.toString()));
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const stored = [...workerErr.matchAll(/"stored":(\d+)/g)].map((m) => Number(m[1]));
      if (stored.length && stored[stored.length - 1]! >= n) break;
      assert.ok(Date.now() < deadline, `the worker did not land ${n} rows in time:\n${workerErr.slice(-1500)}\n${agentErr.slice(-1500)}`);
      assert.equal(worker.exitCode, null, `the worker exited: ${workerErr.slice(-1500)}`);
      await sleep(500);
    }
  } finally {
    agent.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all([new Promise((r) => agent.once('exit', r)), new Promise((r) => worker.once('exit', r))]);
  }
  const store = await openStore({ driver: 'embedded', path: join(dir, 'store') });
  try {
    const rows = await store.query<{ c: string }>("SELECT count() AS c, uniqExact(body) AS u FROM logs WHERE service = 'secure'");
    assert.equal(Number(rows[0]!.c), n);
  } finally {
    await store.close();
  }
  assert.doesNotMatch(workerErr + agentErr, new RegExp(clientEnv.KAFKA_SASL_PASSWORD!), 'the password never appears in the logs');
});

for (const who of ['worker', 'agent'] as const) {
  test(`${who}: a wrong password stops it at once, naming the broker, without printing the password`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-secure-'));
    const wrong = 'not-the-password-7f3a9c';
    const args = who === 'worker' ? ['worker', '--store', join(dir, 'store')] : ['agent', '--tail', join(dir, '*.log'), '--service', 'x', '--state-dir', dir];
    const started = Date.now();
    const r = spawnSync(process.execPath, ['bin/tributary.js', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000, env: envWith({ KAFKA_SASL_PASSWORD: wrong, TRIBUTARY_HOME: dir }) });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(Date.now() - started < 30_000, 'not retried');
    assert.match(r.stderr, new RegExp(`Kafka at ${cluster.secureBrokers![0]!.replace(/\./g, '\\.')} refused the SASL credentials`));
    assert.doesNotMatch(r.stderr, new RegExp(wrong));
    assert.doesNotMatch(r.stderr, new RegExp(clientEnv.KAFKA_SASL_PASSWORD!));
  });
}

test('a certificate from an untrusted CA fails fast with a TLS message naming the broker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-secure-'));
  const otherCa = join(dir, 'other-ca.crt');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', otherCa, '-days', '2', '-subj', '/CN=not the stack CA'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'worker', '--store', join(dir, 'store')], { cwd: repo, encoding: 'utf8', timeout: 60_000, env: envWith({ KAFKA_SSL_CA_FILE: otherCa, TRIBUTARY_HOME: dir }) });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /TLS certificate of Kafka at 127\.0\.0\.1:\d+ is not trusted/);
  // The same check, in process, for the PLAINTEXT listener: reachable and nothing to refuse.
  await checkAccess({ brokers: cluster.brokers });
});

for (const who of ['worker', 'agent'] as const) {
  test(`${who}: over mutual TLS, no client certificate or one another CA signed stops it at once, naming the broker and what to set`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-secure-'));
    const args = who === 'worker' ? ['worker', '--store', join(dir, 'store')] : ['agent', '--tail', join(dir, '*.log'), '--service', 'x', '--state-dir', dir];
    const run = (extra: Record<string, string>, drop: string[] = []) => {
      const env = mtlsEnvWith({ TRIBUTARY_HOME: dir, ...extra });
      for (const k of drop) delete env[k];
      const started = Date.now();
      const r = spawnSync(process.execPath, ['bin/tributary.js', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000, env });
      assert.ok(Date.now() - started < 30_000, 'not retried');
      assert.equal(r.status, 1, r.stderr);
      return r.stderr;
    };
    const broker = cluster.mtlsBrokers![0]!.replace(/\./g, '\\.');
    assert.match(run({}, ['KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE']), new RegExp(`Kafka at ${broker} takes clients by their TLS certificate and this one sent none .*set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`));
    const other = makeTestCerts(join(dir, 'other'));
    assert.match(run({ KAFKA_SSL_CERT_FILE: other.otherClientCert, KAFKA_SSL_KEY_FILE: other.otherClientKey }), new RegExp(`Kafka at ${broker} refused this client's TLS certificate`));
    assert.match(run({}, ['KAFKA_SSL_KEY_FILE']), /KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE/);
  });
}

test('agent: kafka.tls in its config file, paths relative to it, and nothing in the environment, ships over mutual TLS; a key that cannot be read is named by its key at --check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-secure-'));
  const file = join(dir, 'app.log');
  const n = 300;
  appendFileSync(file, Array.from({ length: n }, (_, i) => `2026-11-29T06:00:00Z INFO tls from the config ${i}`).join('\n') + '\n');
  mkdirSync(join(dir, 'certs'));
  for (const [from, to] of [[mtlsEnv.KAFKA_SSL_CA_FILE!, 'ca.pem'], [mtlsEnv.KAFKA_SSL_CERT_FILE!, 'client.pem'], [mtlsEnv.KAFKA_SSL_KEY_FILE!, 'client.key']] as const) copyFileSync(from, join(dir, 'certs', to));
  const topic = await cluster.createTopic('logs-mtls-config', 3, 1);
  const config = (key: string) => [
    `kafka: { brokers: ${JSON.stringify(cluster.mtlsBrokers)}, topics: { logs: ${topic} }, tls: { ca_file: certs/ca.pem, cert_file: certs/client.pem, key_file: ${key} } }`,
    `state_dir: ${join(dir, 'state')}`,
    'self_metrics: { enabled: false }',
    `sources: { app: { type: file, include: [${file}], service: tls-config, multiline: { enabled: false } } }`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'agent.yaml'), config('certs/client.key'));
  writeFileSync(join(dir, 'broken.yaml'), config('certs/nope.key'));
  // No KAFKA_SSL_* and no SASL: the config alone says how to reach the brokers.
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_HOME: join(dir, 'home'), TRIBUTARY_LOG_LEVEL: 'info', TRIBUTARY_LOG_FORMAT: 'json' };
  for (const k of Object.keys(env)) if (k.startsWith('KAFKA_SSL') || k.startsWith('KAFKA_SASL_') || k === 'TRIBUTARY_BROKERS') delete env[k];
  const check = spawnSync(process.execPath, ['bin/tributary.js', 'agent', '--check', '--config', join(dir, 'agent.yaml')], { cwd: repo, encoding: 'utf8', env });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, new RegExp(`tls: client certificate ${join(dir, 'certs', 'client.pem').replace(/[.]/g, '\\.')}, CA `));
  const broken = spawnSync(process.execPath, ['bin/tributary.js', 'agent', '--check', '--config', join(dir, 'broken.yaml')], { cwd: repo, encoding: 'utf8', env });
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, new RegExp(`kafka\\.tls\\.key_file: ${join(dir, 'certs', 'nope.key').replace(/[.]/g, '\\.')} cannot be read: ENOENT`));
  const agent = spawn(process.execPath, ['bin/tributary.js', 'agent', '--config', join(dir, 'agent.yaml')], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let agentErr = '';
  agent.stderr.on('data', (d: Buffer) => (agentErr += d.toString()));
  const admin = createKafka({ brokers: cluster.brokers, clientId: 'tributary-test-offsets' }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const count = offsets.reduce((a, o) => a + Number(o.high), 0);
      if (count >= n) {
        assert.equal(count, n);
        break;
      }
      assert.ok(Date.now() < deadline, `${count} of ${n} records on the topic:\n${agentErr.slice(-2000)}`);
      assert.equal(agent.exitCode, null, `the agent exited: ${agentErr.slice(-2000)}`);
      await sleep(300);
    }
  } finally {
    await admin.disconnect();
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
});
