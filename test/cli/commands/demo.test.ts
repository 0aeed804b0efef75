/**
 * `tributary demo` as a user runs it (the CLI as a process, the test broker, chDB in a temp
 * TRIBUTARY_HOME), on a short workload.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createKafka } from '../../../core/kafka/client.ts';
import { testBrokers } from '../../helpers/kafka.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function tributary(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const num = (s: string) => Number(s.replace(/,/g, ''));

/** What a demo run reported: its own lines stored and dead-lettered, and the logs table's total. */
function summary(stdout: string) {
  const done = /Done in [\d.]+ s: ([\d,]+) of ([\d,]+) lines stored by this run, ([\d,]+) metric points, ([\d,]+) to the dead-letter topic\./.exec(stdout);
  const table = /The logs table now holds (\d+) rows \(([\d,]+) new\)/.exec(stdout);
  const run = /demo\/(run-\d+)\/logs/.exec(stdout);
  // The per-service table: `service  lines  errors  error_ratio`, a rule, then one row per service.
  const rows = stdout.split(/\nservice +lines +errors +error_ratio\n[─ ]+\n/)[1]?.split('\n\n')[0]?.split('\n') ?? [];
  assert.ok(done && table && run, `the demo printed its summary:\n${stdout}`);
  return {
    stored: num(done[1]!), lines: num(done[2]!), dead: num(done[4]!), total: num(table[1]!), added: num(table[2]!),
    perService: rows.reduce((sum, r) => sum + Number(r.trim().split(/ +/)[1]), 0), group: `tributary-demo-${run[1]!.slice(4)}`,
  };
}

test('a second demo right after the first stores every line with no dead letters, and leaves the first run\'s rows alone', async () => {
  const brokers = (await testBrokers()).join(',');
  const home = mkdtempSync(join(tmpdir(), 'tributary-demo-twice-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_HOME: home, TRIBUTARY_BROKERS: brokers, CLICKHOUSE_URL: '', TRIBUTARY_STORE_PATH: '' };
  try {
    // Five minutes of event time ending about now, written in 5 s: the second run's first event times
    // are minutes behind the last ones of the first, far more than the windows' retention (120 s).
    const args = ['demo', '--minutes', '5', '--rate', '1', '--seconds', '5'];
    const first = await tributary([...args, '--seed', 'first'], env);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const a = summary(first.stdout);
    const second = await tributary([...args, '--seed', 'second'], env);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const b = summary(second.stdout);

    assert.equal(b.dead, 0, `no line of the second run is dead-lettered:\n${second.stdout}`);
    assert.equal(b.stored, b.lines);
    assert.doesNotMatch(second.stdout, /dead letters are stored raw/);
    // Nothing of the first run landed again: the table grew by exactly the second run's lines.
    assert.equal(b.added, b.stored);
    assert.equal(b.total, a.total + b.stored, 'the first run\'s rows are still there, not doubled');
    // Its summary is its own, although the first run's lines cover the same minutes.
    assert.equal(a.perService, a.lines);
    assert.equal(b.perService, b.lines);

    // Each run removed its consumer group, and its saved state (miner, baselines), when it ended.
    assert.notEqual(a.group, b.group);
    const admin = createKafka({ brokers: brokers.split(','), clientId: 'tributary-test' }).admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      assert.ok(!groups.includes(a.group) && !groups.includes(b.group), `no demo group is left: ${groups.join(', ')}`);
    } finally {
      await admin.disconnect();
    }
    const state = await tributary(['query', '--json', "SELECT count() AS n FROM pipeline_state WHERE position(key, 'tributary-demo-') > 0"], env);
    assert.equal(state.code, 0, state.stderr);
    assert.equal(Number((JSON.parse(state.stdout.trim()) as { n: number | string }).n), 0, 'no saved state of a demo run is left');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
