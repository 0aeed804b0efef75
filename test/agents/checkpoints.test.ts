import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore } from '../../agents/checkpoints.ts';
import { tempDir } from './harness.ts';

test('checkpoints survive a reopen and are written whole', async () => {
  const path = join(tempDir(), 'cp.json');
  const a = new CheckpointStore(path);
  a.set('1:2:abc:64', '/var/log/a.log', 1234);
  await a.flush();
  assert.ok(!existsSync(`${path}.tmp`));
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { files: unknown[] }).files.length, 1);
  const b = new CheckpointStore(path);
  assert.equal(b.get('1:2:abc:64')!.offset, 1234);
});

test('checkpoints of files gone longer than the expiry are dropped; live ones stay', () => {
  const path = join(tempDir(), 'cp.json');
  const s = new CheckpointStore(path, 1000);
  s.set('gone', '/a', 1, 0);
  s.set('recent', '/b', 2, 9500);
  s.set('live', '/c', 3, 0);
  assert.equal(s.expire(new Set(['live']), 10_000), 1);
  assert.deepEqual(s.all().map((c) => c.fingerprint).sort(), ['live', 'recent']);
});

test('a truncated or garbage checkpoint file is moved aside, said and counted; the agent starts without it', async () => {
  for (const bad of ['{ "version": 1, "files": [ { "fingerprint": "1:2:ab', '\u0000\u0000\u0000garbage', '[1, 2]']) {
    const path = join(tempDir(), 'cp.json');
    writeFileSync(path, bad);
    const s = new CheckpointStore(path);
    assert.equal(s.all().length, 0);
    assert.equal(s.recovery.unreadable, 1);
    assert.match(s.recovery.keptAs, /cp\.json\.corrupt-\d+$/);
    assert.equal(readFileSync(s.recovery.keptAs, 'utf8'), bad, 'the bad file is kept for a human');
    assert.ok(!existsSync(path));
    // The next start is a normal one.
    s.set('1:2:abc:64', '/a', 10);
    await s.flush();
    assert.equal(new CheckpointStore(path).recovery.unreadable, 0);
  }
});

test('entries that make no sense are skipped and counted; the good ones are kept', async () => {
  const path = join(tempDir(), 'cp.json');
  writeFileSync(path, JSON.stringify({ version: 1, files: [
    { fingerprint: '1:2:abc:64', path: '/a', offset: 100, updatedAt: 1 },
    { fingerprint: '', path: '/b', offset: 5, updatedAt: 1 },
    { fingerprint: '3:4:def:64', path: '/c', offset: -7, updatedAt: 1 },
    { fingerprint: '5:6:ghi:64', path: '/d', offset: 'twelve', updatedAt: 1 },
    null,
  ] }));
  const s = new CheckpointStore(path);
  assert.deepEqual(s.all().map((c) => c.fingerprint), ['1:2:abc:64']);
  assert.equal(s.recovery.skippedEntries, 4);
  await s.flush();
  assert.equal(new CheckpointStore(path).recovery.skippedEntries, 0, 'the cleaned file is written back');
});

test('the state folder is made on the first write, and made again if it is removed while the agent runs', async () => {
  const { rmSync } = await import('node:fs');
  const dir = join(tempDir(), 'state', 'nested');
  const path = join(dir, 'cp.json');
  const a = new CheckpointStore(path);
  a.set('1:2:abc:64', '/var/log/a.log', 10);
  await a.flush();
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 10);
  rmSync(join(dir, '..'), { recursive: true });
  a.set('1:2:abc:64', '/var/log/a.log', 20);
  await a.flush();
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 20);
});

test('a background write takes the checkpoints as they are when it starts; a call while one is under way makes one more after it, and the file never goes back', async () => {
  const path = join(tempDir(), 'cp.json');
  const a = new CheckpointStore(path);
  a.set('1:2:abc:64', '/var/log/a.log', 10);
  const first = a.flush();
  a.set('1:2:abc:64', '/var/log/a.log', 20);
  const second = a.flush();
  a.set('1:2:abc:64', '/var/log/a.log', 30);
  assert.equal(second, first, 'a call while a write is under way waits for that write and the one after it');
  await second;
  assert.equal(a.stats.writes, 2);
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 30);
  assert.ok(!existsSync(`${path}.tmp`));
  await a.flush();
  assert.equal(a.stats.writes, 2, 'nothing changed: nothing written');
  // A call while a write is under way (as at stop) resolves once what it asked for is written too.
  a.set('1:2:abc:64', '/var/log/a.log', 40);
  void a.flush();
  a.set('1:2:abc:64', '/var/log/a.log', 50);
  await a.flush();
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 50);
});

test('a background write that fails is counted and said, and the next call writes the checkpoints', async () => {
  const dir = tempDir();
  const path = join(dir, 'state', 'cp.json');
  const a = new CheckpointStore(path);
  // A file where the state folder should be: the write fails (ENOTDIR) until it is gone.
  writeFileSync(join(dir, 'state'), 'not a folder');
  a.set('1:2:abc:64', '/var/log/a.log', 10);
  await a.flush();
  assert.deepEqual(a.stats, { writes: 0, failures: 1 });
  rmSync(join(dir, 'state'));
  await a.flush();
  assert.deepEqual(a.stats, { writes: 1, failures: 1 });
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 10);
});

// A disk whose fsync is slow, made real with strace: the kernel's fsync of this process is held
// 100 ms on its way back (`inject=fsync:delay_exit`). No mock: the same syscalls, only slower.
const strace = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', 'true']).status === 0;

test('on a disk whose fsync takes 100 ms, checkpoint writes leave the event loop free where fsyncs in line held it', { skip: strace ? false : 'strace is not installed or cannot trace here (apt-get install strace)' }, () => {
  const dir = tempDir();
  const child = join(dir, 'child.mts');
  writeFileSync(
    child,
    `import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointStore } from ${JSON.stringify(new URL('../../agents/checkpoints.ts', import.meta.url).href)};
const [mode, path] = process.argv.slice(2);
const store = new CheckpointStore(path);
let last = performance.now(), worst = 0;
const tick = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; }, 2);
await new Promise((r) => setTimeout(r, 100));
last = performance.now(); worst = 0;
const t0 = performance.now();
for (let i = 1; i <= 4; i++) {
  store.set('1:2:abc:64', '/var/log/a.log', i * 100);
  if (mode === 'inline') {
    // The control: the same two fsyncs in line, as the store made them before (the probe must see them).
    const fd = openSync(path + '.inline', 'w');
    writeSync(fd, String(i));
    fsyncSync(fd);
    closeSync(fd);
    const dir = openSync(dirname(path), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } else await store.flush();
  await new Promise((r) => setTimeout(r, 5));
}
clearInterval(tick);
console.log(JSON.stringify({ worst, took: performance.now() - t0, offset: new CheckpointStore(path).get('1:2:abc:64')?.offset }));
`,
  );
  const run = (mode: string) => {
    const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', '-e', 'inject=fsync:delay_exit=100000', process.execPath, '--import', 'tsx', child, mode, join(dir, `${mode}.json`)], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { worst: number; took: number; offset: number };
  };
  const inline = run('inline');
  const background = run('background');
  // Each write waits for two fsyncs (the file's and the folder's): 200 ms.
  assert.ok(inline.worst >= 180, `in line, a write held the event loop ${inline.worst.toFixed(0)} ms (the slow fsync did not apply?)`);
  assert.ok(background.took >= 4 * 180, `the background writes took ${background.took.toFixed(0)} ms: they did not wait for the slow disk`);
  assert.ok(background.worst < 150, `in the background, the event loop was held ${background.worst.toFixed(0)} ms at once`);
  assert.equal(background.offset, 400);
});
