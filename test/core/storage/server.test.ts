// The HTTP driver against a real ClickHouse server (Debian's clickhouse-server 18.16, started here).
// That release predates query parameters, TTL and Map, so this covers the HTTP path on plain MergeTree
// tables; the full schema is tested on chDB.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerStore } from '../../../core/storage/server.ts';
import { ClickHouseSink } from '../../../pipeline/sinks/clickhouse/sink.ts';
import { log } from '../../../core/log.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { startClickHouseServer, type TestClickHouse } from '../../helpers/clickhouse-server.ts';

let ch: TestClickHouse;
let store: ServerStore;

before(async () => {
  ch = await startClickHouseServer();
  store = new ServerStore({ driver: 'server', url: ch.url, username: ch.user, password: ch.password, requestTimeoutMs: 5000 });
});

after(async () => {
  await store?.close();
  await ch?.cleanup();
});

test('connects and answers a query', async () => {
  await store.ping();
  const rows = await store.query<{ x: number }>('SELECT 1 + 1 AS x');
  assert.equal(Number(rows[0]!.x), 2);
});

test('a wrong password is an authentication error that cannot be retried', async () => {
  const bad = new ServerStore({ driver: 'server', url: ch.url, username: ch.user, password: 'not-the-password' });
  try {
    await assert.rejects(bad.ping(), (err: unknown) => {
      assert.ok(isTributaryError(err));
      assert.equal(err.code, 'STORE_AUTH');
      assert.equal(err.canRetry, false);
      assert.match(err.message, /Wrong password/);
      assert.doesNotMatch(err.message, /not-the-password/);
      return true;
    });
  } finally {
    await bad.close();
  }
});

test('inserts JSON rows and reads them back', async () => {
  await store.command('CREATE TABLE http_rows (id UInt32, service String, body String) ENGINE = MergeTree ORDER BY id');
  const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, service: i % 2 ? 'checkout' : 'search', body: `line ${i} with "quotes" and \\ backslash` }));
  await store.insert('http_rows', rows);
  const back = await store.query<{ id: number; service: string; body: string }>('SELECT id, service, body FROM http_rows ORDER BY id');
  assert.equal(back.length, 500);
  assert.deepEqual(back.map((r) => ({ ...r, id: Number(r.id) })), rows);
});

test('server stopped mid-run: inserts fail as retryable, and the sink delivers once it is back', async () => {
  await store.command('CREATE TABLE outage_rows (id UInt32) ENGINE = MergeTree ORDER BY id');
  await store.insert('outage_rows', [{ id: 1 }]);
  await ch.stop();
  await assert.rejects(store.insert('outage_rows', [{ id: 2 }]), (err: unknown) => isTributaryError(err) && err.code === 'STORE_UNAVAILABLE' && err.canRetry);
  const sink = new ClickHouseSink(store, log('test'), { initialBackoffMs: 100, maxBackoffMs: 500 });
  // 18.16 does not know insert_deduplication_token, so no token here.
  const pending = sink.insert('outage_rows', [{ id: 2 }, { id: 3 }], '');
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(sink.stats.retries > 0, 'the sink retried while the server was down');
  await ch.start();
  await pending;
  const rows = await store.query<{ id: number }>('SELECT id FROM outage_rows ORDER BY id');
  assert.deepEqual(rows.map((r) => Number(r.id)), [1, 2, 3]);
});
