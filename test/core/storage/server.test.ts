// The HTTP driver against a real ClickHouse server (Debian's clickhouse-server 18.16, started here).
// That release predates query parameters, TTL and Map, so this covers the HTTP path on plain MergeTree
// tables; the full schema is tested on chDB. And https, with a private CA and with client certificates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerStore } from '../../../core/storage/server.ts';
import { ClickHouseSink } from '../../../pipeline/sinks/clickhouse/sink.ts';
import { log } from '../../../core/log.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { openStore, storeConfigFrom } from '../../../core/storage/open.ts';
import type { ServerStoreConfig } from '../../../core/storage/store.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
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

// https: a server whose certificate a private CA signed (test/helpers/certs.ts), then one that takes
// only clients with a certificate that CA signed. The settings come as an operator gives them: the
// environment, through storeConfigFrom.
test('https with a private CA: trusted through CLICKHOUSE_CA_FILE; without it a TLS error that names what to set, not retried', async () => {
  const certs = makeTestCerts();
  const tlsCh = await startClickHouseServer({ tls: { cert: certs.serverCert, key: certs.serverKey } });
  const env = { CLICKHOUSE_URL: tlsCh.httpsUrl!, CLICKHOUSE_USER: tlsCh.user, CLICKHOUSE_PASSWORD: tlsCh.password };
  try {
    const good = (await openStore(storeConfigFrom({}, { ...env, CLICKHOUSE_CA_FILE: certs.ca }))) as ServerStore;
    try {
      const rows = await good.query<{ x: number }>('SELECT 40 + 2 AS x');
      assert.equal(Number(rows[0]!.x), 42);
    } finally {
      await good.close();
    }
    const untrusting = await openStore(storeConfigFrom({}, env));
    try {
      await assert.rejects(untrusting.query('SELECT 1'), (err: unknown) => {
        assert.ok(isTributaryError(err) && err.code === 'STORE_TLS' && !err.canRetry, String(err));
        assert.match((err as Error).message, /ClickHouse at https:\/\/localhost:\d+ presents a TLS certificate this client does not trust .*set CLICKHOUSE_CA_FILE/);
        return true;
      });
    } finally {
      await untrusting.close();
    }
    assert.throws(() => new ServerStore(storeConfigFrom({}, { ...env, CLICKHOUSE_CERT_FILE: certs.clientCert }) as ServerStoreConfig), /CLICKHOUSE_CERT_FILE \(store\.cert_file\) is set without the other/);
  } finally {
    await tlsCh.cleanup();
  }
});

test('https with client certificates (mutual TLS): CLICKHOUSE_CERT_FILE and CLICKHOUSE_KEY_FILE; none, or one another CA signed, is a TLS error that says so, not retried', async () => {
  const certs = makeTestCerts();
  const tlsCh = await startClickHouseServer({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
  const env = { CLICKHOUSE_URL: tlsCh.httpsUrl!, CLICKHOUSE_USER: tlsCh.user, CLICKHOUSE_PASSWORD: tlsCh.password, CLICKHOUSE_CA_FILE: certs.ca };
  try {
    const good = await openStore(storeConfigFrom({}, { ...env, CLICKHOUSE_CERT_FILE: certs.clientCert, CLICKHOUSE_KEY_FILE: certs.clientKey }));
    try {
      const rows = await good.query<{ x: number }>('SELECT 7 AS x');
      assert.equal(Number(rows[0]!.x), 7);
    } finally {
      await good.close();
    }
    const refusedBy = async (extra: Record<string, string>, message: RegExp) => {
      const store = await openStore(storeConfigFrom({}, { ...env, ...extra }));
      try {
        await assert.rejects(store.query('SELECT 1'), (err: unknown) => {
          assert.ok(isTributaryError(err) && err.code === 'STORE_TLS' && !err.canRetry, String(err));
          assert.match((err as Error).message, message);
          return true;
        });
      } finally {
        await store.close();
      }
    };
    await refusedBy({}, /ClickHouse at https:\/\/localhost:\d+ takes clients by their TLS certificate and this one sent none .*set CLICKHOUSE_CERT_FILE and CLICKHOUSE_KEY_FILE/);
    await refusedBy({ CLICKHOUSE_CERT_FILE: certs.otherClientCert, CLICKHOUSE_KEY_FILE: certs.otherClientKey }, /ClickHouse at https:\/\/localhost:\d+ refused this client's TLS certificate/);
  } finally {
    await tlsCh.cleanup();
  }
});
