// The command-line entry, as a user runs it: `node bin/tributary.js ...` in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../core/ports.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS = ['stack', 'agent', 'worker', 'query', 'migrate', 'demo', 'patterns', 'detect', 'dashboards'];

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['bin/tributary.js', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, TRIBUTARY_LOG_FORMAT: 'json', ...env }, timeout: 60_000 });
}

test('--help lists every subcommand', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('each subcommand has its own --help', () => {
  for (const c of COMMANDS) {
    const r = cli([c, '--help']);
    assert.equal(r.status, 0, `${c} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage/, `${c} --help prints a usage line`);
  }
});

test('an unknown command is a usage error', () => {
  const r = cli(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('query prints a table on a terminal-less stdout as TSV, and JSON lines with --json', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'tributary-cli-')), 'store');
  assert.equal(cli(['migrate', '--store', store]).status, 0);
  const json = cli(['query', '--json', '--store', store, '--param', 'n=3', 'SELECT number AS n, toString(number) AS s FROM numbers({n:UInt8})']);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { n: 0, s: '0' },
    { n: 1, s: '1' },
    { n: 2, s: '2' },
  ]);
  const count = cli(['query', '--store', store, 'SELECT count() FROM logs']);
  assert.equal(count.stdout, '0\n');
  const bad = cli(['query', '--store', store, 'SELECT * FROM no_such_table']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no_such_table/);
});

test('a worker whose Kafka is unreachable says where, backs off and keeps trying instead of crashing', async () => {
  const port = await freePort();
  const store = join(mkdtempSync(join(tmpdir(), 'tributary-cli-')), 'store');
  const child = spawn(process.execPath, ['bin/tributary.js', 'worker', '--brokers', `127.0.0.1:${port}`, '--store', store], {
    cwd: repo,
    env: { ...process.env, TRIBUTARY_LOG_FORMAT: 'json', TRIBUTARY_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Waits for the attempts rather than a fixed time: on a loaded machine the worker's start-up
  // (chDB load, migrations) alone can take several seconds.
  const attemptsSoFar = (): string[] => stderr.split('\n').slice(0, -1).filter((l) => l.includes(`Kafka at 127.0.0.1:${port} cannot be reached`));
  const deadline = Date.now() + 60_000;
  while (attemptsSoFar().length < 2 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(child.exitCode, null, `the worker is still running (stderr: ${stderr.slice(-500)})`);
  child.kill('SIGKILL');
  const attempts = attemptsSoFar();
  assert.ok(attempts.length >= 2, `at least two attempts logged with the address, got ${attempts.length}`);
  const delays = attempts.map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
  assert.ok(delays[1]! > delays[0]!, 'the wait between attempts grows');
});

test('migrate changes retention on an existing store', () => {
  const store = join(mkdtempSync(join(tmpdir(), 'tributary-cli-')), 'store');
  assert.equal(cli(['migrate', '--store', store]).status, 0);
  const r = cli(['migrate', '--store', store, '--logs-ttl-days', '7']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Changed retention/);
  const ddl = cli(['query', '--json', '--store', store, "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'logs'"]);
  assert.match(ddl.stdout, /toIntervalDay\(7\)/);
  const bad = cli(['migrate', '--store', store, '--logs-ttl-days', 'zero']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--logs-ttl-days must be a whole number/);
});
