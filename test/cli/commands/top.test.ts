/**
 * `tributary top --once` as a user runs it: a frame while a real agent and a real worker (processes of
 * the CLI, the test broker, chDB) run, and a clear message when nothing runs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { freePort } from '../../../core/ports.ts';
import { type AgentStatus, type ProcessStatus, type WorkerStatus } from '../../../cli/status.ts';

await testBrokers();
const root = fileURLToPath(new URL('../../..', import.meta.url));

function top(home: string, brokers: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/tributary.js'), 'top', '--once', '--brokers', brokers], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_HOME: home, CLICKHOUSE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function start(args: string[], home: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), ...args], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_HOME: home, TRIBUTARY_LOG_LEVEL: 'info', TRIBUTARY_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

function statuses(home: string): ProcessStatus[] {
  const dir = join(home, 'run');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .flatMap((n) => {
      try {
        return [JSON.parse(readFileSync(join(dir, n), 'utf8')) as ProcessStatus];
      } catch {
        return [];
      }
    });
}

test('top --once with nothing running says so, whether Kafka answers or not', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tributary-top-idle-'));
  try {
    const closed = top(home, `127.0.0.1:${await freePort()}`);
    assert.equal(closed.status, 0, closed.stderr);
    assert.match(closed.stdout, /Nothing is running: no agent or worker publishes its status in .*tributary-top-idle-.*\/run, and Kafka at 127\.0\.0\.1:\d+ does not answer/);
    assert.match(closed.stdout, /npm run demo/);
    // Only the frame: kafkajs's connection warnings would tear it.
    assert.equal(closed.stderr, '');
    const brokers = (await testBrokers()).join(',');
    const idle = top(home, brokers);
    assert.equal(idle.status, 0, idle.stderr);
    assert.match(idle.stdout, /Nothing is running: .* no worker group has members on Kafka at/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('top --once shows the agent and the worker that run: stage rates, buffer, topics, and the lag of each partition with its owner', async () => {
  const brokers = (await testBrokers()).join(',');
  const logs = await createTestTopic('top-logs', 2);
  const metrics = await createTestTopic('top-metrics', 1);
  const dlq = await createTestTopic('top-dlq', 1);
  const group = `g-top-${Date.now()}`;
  const home = mkdtempSync(join(tmpdir(), 'tributary-top-'));
  mkdirSync(join(home, 'logs'));
  const file = join(home, 'logs', 'app.log');
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ time: new Date(Date.now() - 60_000 + i * 10).toISOString(), level: i % 100 === 0 ? 'error' : 'info', msg: `request ${i} served in ${i % 40} ms` }));
  lines.push('{"this line": "is not a log record" ');
  writeFileSync(file, lines.join('\n') + '\n');
  const worker = start(['worker', '--brokers', brokers, '--group', group, '--logs-topic', logs, '--metrics-topic', metrics, '--dlq-topic', dlq, '--no-score'], home);
  const agent = start(['agent', '--tail', join(home, 'logs', '*.log'), '--service', 'top-test', '--brokers', brokers, '--logs-topic', logs, '--metrics-topic', metrics], home);
  try {
    // Both publish their status; wait until the worker has consumed what the agent shipped.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const parts = statuses(home).flatMap((p) => p.parts);
      const w = parts.find((x): x is WorkerStatus => x.kind === 'worker');
      const a = parts.find((x): x is AgentStatus => x.kind === 'agent');
      if (w && a && a.stages.read.total >= 3001 && a.stages.sent.total >= 3001 && w.stages[0]!.out.total >= 3001) break;
      assert.ok(Date.now() < deadline, `agent and worker did not get going:\n${worker.output().slice(-1500)}\n${agent.output().slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const frame = top(home, brokers);
    assert.equal(frame.status, 0, frame.stderr);
    const text = frame.stdout;
    assert.doesNotMatch(text, /Nothing is running/);
    assert.match(text, /AGENTS \(1 on this machine\)/);
    assert.match(text, /agent top-test on .* \(pid \d+\): buffer [\d,]+ records/);
    // Totals: the agent's own counters ride along as metric points, so sent and consumed may exceed the 3,001 lines.
    const total = (re: RegExp) => Number(re.exec(text)?.[1]?.replace(/,/g, '') ?? -1);
    assert.equal(total(/^\s+read\s+[\d,]+\s+([\d,]+)$/m), 3001, 'the agent read every line');
    assert.ok(total(/^\s+sent\s+[\d,]+\s+([\d,]+)$/m) >= 3001, 'the agent sent every line it read');
    assert.match(text, /WORKERS \(1 on this machine\)/);
    assert.match(text, new RegExp(`worker \\S+ \\(pid \\d+\\), group ${group}`));
    assert.ok(total(/^\s+consume\s+[\d,]+\s+([\d,]+)$/m) >= 3001, 'the consume stage counted every record');
    assert.match(text, new RegExp(`^\\s+${logs}\\s+2\\s+[\\d,]*\\s+3,001$`, 'm'), 'the logs topic with its partitions and records');
    assert.match(text, new RegExp(`^\\s+${dlq} \\(dead letters\\)\\s+1\\s+`, 'm'));
    assert.match(text, new RegExp(`CONSUMER LAG, group ${group} \\(Stable, 1 member\\)`));
    for (const p of [0, 1]) assert.match(text, new RegExp(`^\\s+${logs}/${p}\\s+tributary-worker@\\S+\\s+`, 'm'), `partition ${p} and its owner`);
  } finally {
    agent.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
  }
  assert.equal(await agent.exited, 0, agent.output().slice(-1500));
  assert.equal(await worker.exited, 0, worker.output().slice(-1500));
  try {
    // A clean stop takes the status away, so top does not show a pipeline that is gone.
    assert.deepEqual(statuses(home), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
