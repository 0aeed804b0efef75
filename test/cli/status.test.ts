// The status files `tributary top` reads (cli/status.ts): published atomically, removed on stop, and a
// file left by a process that died is dropped on read; an unchanged status is not written again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { publishStatus, Rates, readStatuses, type AgentStatus } from '../../cli/status.ts';

/** An agent's status whose only moving figure is lines read. */
function agentPart(read: number): AgentStatus {
  return {
    kind: 'agent', name: 'a', host: 'h', sources: [],
    stages: { read: { total: read, perSecond: 0 }, built: { total: 0, perSecond: 0 }, sent: { total: 0, perSecond: 0 } },
    buffer: { events: 0, bytes: 0, diskEvents: 0, diskBytes: 0 }, dropped: 0,
  };
}

test('a counter carries its rate per second over the last interval', () => {
  const r = new Rates();
  assert.deepEqual(r.counter('a', 100, 1000), { total: 100, perSecond: 0 });
  assert.deepEqual(r.counter('a', 600, 1500), { total: 600, perSecond: 1000 });
  // A counter that went back (a restart) shows no rate rather than a negative one.
  assert.deepEqual(r.counter('a', 10, 2500), { total: 10, perSecond: 0 });
});

test('publishStatus writes this process status, readStatuses reads it, stop removes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-status-'));
  try {
    let n = 0;
    const board = publishStatus(() => [agentPart(++n)], { dir, intervalMs: 50 });
    await board.publish();
    const [status] = readStatuses(dir);
    assert.equal(status!.pid, process.pid);
    assert.equal(status!.parts[0]!.kind, 'agent');
    await new Promise((r) => setTimeout(r, 200));
    const later = readStatuses(dir)[0]!.parts[0] as AgentStatus;
    assert.ok(later.stages.read.total > 1, 'published again on its interval');
    await board.stop();
    assert.equal(existsSync(join(dir, `${process.pid}.json`)), false);
    assert.deepEqual(readStatuses(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('publishStatus writes again only when what it says changed: an idle process leaves its file alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-status-'));
  try {
    let read = 7;
    const board = publishStatus(() => [agentPart(read)], { dir, intervalMs: 20 });
    await board.publish();
    const file = join(dir, `${process.pid}.json`);
    const first = readFileSync(file, 'utf8');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(readFileSync(file, 'utf8'), first, 'ten intervals with nothing new: the same file, its time too');
    read = 8;
    await new Promise((r) => setTimeout(r, 200));
    const later = readStatuses(dir)[0]!;
    assert.equal((later.parts[0] as AgentStatus).stages.read.total, 8, 'a change is written at the next interval');
    assert.ok(later.time > (JSON.parse(first) as { time: string }).time);
    await board.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('publishStatus makes its folder again when it was removed while running (it is made on need, not every second)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-status-'));
  const dir = join(root, 'run');
  try {
    const board = publishStatus(() => [], { dir, intervalMs: 60_000 });
    await board.publish();
    assert.equal(existsSync(join(dir, `${process.pid}.json`)), true, 'made on the first publish');
    rmSync(dir, { recursive: true, force: true });
    await board.publish();
    assert.equal(existsSync(join(dir, `${process.pid}.json`)), true, 'made again after the folder was removed');
    await board.stop();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the status file of a process that died is dropped when read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-status-'));
  try {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    writeFileSync(join(dir, `${pid}.json`), JSON.stringify({ pid, command: 'worker', startedAt: '', time: '', parts: [] }));
    assert.deepEqual(readStatuses(dir), []);
    assert.equal(existsSync(join(dir, `${pid}.json`)), false);
    assert.deepEqual(readStatuses(join(dir, 'no-such-folder')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
