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

test('an unreadable checkpoint file is an error at start, not a silent restart from zero', () => {
  const path = join(tempDir(), 'cp.json');
  writeFileSync(path, '{ half a json');
  assert.throws(() => new CheckpointStore(path), /unreadable/);
});
