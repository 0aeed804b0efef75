// The embedded driver on the real ClickHouse engine (chDB) in a temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ChdbStore } from '../../../core/storage/chdb.ts';
import { isTributaryError } from '../../../core/errors.ts';

const tempStore = () => mkdtempSync(join(tmpdir(), 'tributary-chdb-'));

test('parameterised queries bind values instead of splicing them into SQL', async () => {
  const store = await ChdbStore.open({ driver: 'embedded', path: tempStore() });
  try {
    await store.command('CREATE TABLE p (name String) ENGINE = MergeTree ORDER BY name');
    await store.insert('p', [{ name: "o'brien" }, { name: 'x' }]);
    const rows = await store.query<{ name: string }>('SELECT name FROM p WHERE name = {n:String}', { n: "o'brien" });
    assert.deepEqual(rows, [{ name: "o'brien" }]);
    const none = await store.query('SELECT name FROM p WHERE name = {n:String}', { n: "x' OR 1=1 --" });
    assert.equal(none.length, 0);
  } finally {
    await store.close();
  }
});

test('a second insert with the same deduplication token changes nothing', async () => {
  const store = await ChdbStore.open({ driver: 'embedded', path: tempStore() });
  try {
    await store.command('CREATE TABLE d (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100');
    await store.insert('d', [{ id: 1 }, { id: 2 }], { dedupToken: 'logs.v1/0/0-1' });
    await store.insert('d', [{ id: 1 }, { id: 2 }], { dedupToken: 'logs.v1/0/0-1' });
    await store.insert('d', [{ id: 3 }], { dedupToken: 'logs.v1/0/2-2' });
    const rows = await store.query<{ c: number }>('SELECT count() AS c FROM d');
    assert.equal(Number(rows[0]!.c), 3);
  } finally {
    await store.close();
  }
});

test('data survives closing and reopening the folder', async () => {
  const dir = tempStore();
  const a = await ChdbStore.open({ driver: 'embedded', path: dir });
  await a.command('CREATE TABLE k (id UInt32) ENGINE = MergeTree ORDER BY id');
  await a.insert('k', [{ id: 7 }]);
  await a.close();
  const b = await ChdbStore.open({ driver: 'embedded', path: dir });
  try {
    assert.deepEqual(await b.query('SELECT id FROM k'), [{ id: 7 }]);
  } finally {
    await b.close();
  }
});

test('a folder held by another live process is refused with a message naming it', async () => {
  const dir = tempStore();
  const holder = spawnSync('sleep', ['0']); // a pid that is certainly gone: a stale lock is taken over
  writeFileSync(join(dir, 'tributary.lock'), `${holder.pid}\nold\n`);
  const store = await ChdbStore.open({ driver: 'embedded', path: dir });
  await store.close();
  writeFileSync(join(dir, 'tributary.lock'), `${process.ppid}\ntributary worker\n`);
  await assert.rejects(ChdbStore.open({ driver: 'embedded', path: dir }), (err: unknown) => {
    assert.ok(isTributaryError(err));
    assert.equal(err.code, 'STORE_LOCKED');
    assert.ok(err.message.includes(dir));
    assert.match(err.message, /tributary worker/);
    return true;
  });
});

test('a store path that cannot be created is a clear error naming it', async () => {
  const dir = tempStore();
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  chmodSync(file, 0o444);
  await assert.rejects(ChdbStore.open({ driver: 'embedded', path: join(file, 'store') }), (err: unknown) => {
    assert.ok(isTributaryError(err));
    assert.equal(err.code, 'STORE_NOT_WRITABLE');
    assert.ok(err.message.includes(join(file, 'store')));
    return true;
  });
});

test('a bad query names the query in its error', async () => {
  const store = await ChdbStore.open({ driver: 'embedded', path: tempStore() });
  try {
    await assert.rejects(store.query('SELECT nope FROM missing_table'), /missing_table/);
  } finally {
    await store.close();
  }
});
