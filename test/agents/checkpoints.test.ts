import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore } from '../../agents/checkpoints.ts';
import { tempDir } from './harness.ts';

test('checkpoints survive a reopen and are written whole', () => {
  const path = join(tempDir(), 'cp.json');
  const a = new CheckpointStore(path);
  a.set('1:2:abc:64', '/var/log/a.log', 1234);
  a.flush();
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

test('a truncated or garbage checkpoint file is moved aside, said and counted; the agent starts without it', () => {
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
    s.flush();
    assert.equal(new CheckpointStore(path).recovery.unreadable, 0);
  }
});

test('entries that make no sense are skipped and counted; the good ones are kept', () => {
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
  s.flush();
  assert.equal(new CheckpointStore(path).recovery.skippedEntries, 0, 'the cleaned file is written back');
});

test('the state folder is made on the first write, and made again if it is removed while the agent runs', async () => {
  const { rmSync } = await import('node:fs');
  const dir = join(tempDir(), 'state', 'nested');
  const path = join(dir, 'cp.json');
  const a = new CheckpointStore(path);
  a.set('1:2:abc:64', '/var/log/a.log', 10);
  a.flush();
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 10);
  rmSync(join(dir, '..'), { recursive: true });
  a.set('1:2:abc:64', '/var/log/a.log', 20);
  a.flush();
  assert.equal(new CheckpointStore(path).get('1:2:abc:64')!.offset, 20);
});
