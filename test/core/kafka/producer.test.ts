// The producer against the real test broker: what it writes is read back by two readers that are not
// ours (kafkajs's consumer and kcat), and the faults are real (the broker stopped and started again,
// a topic whose size limit a record exceeds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Partitioners } from 'kafkajs';
import { KafkaProducer, encodeHeaders, type KafkaError, type ProducerMessage } from '../../../core/kafka/producer.ts';
import { createTestTopic, readTopic, restartTestBroker, stopTestBroker, testBrokers } from '../../helpers/kafka.ts';
import { startKafkaProxy } from '../../helpers/kafka-proxy.ts';

await testBrokers();

const headers = encodeHeaders({ 'content-type': 'application/json', 'tributary-schema': '1' });
const message = (topic: string, n: number, keys = 6, timeBase = 1795934165638): ProducerMessage => ({ topic, key: Buffer.from(`svc-${n % keys}`), value: JSON.stringify({ n, body: `line ${n} ${'x'.repeat(n % 200)}` }), timestamp: timeBase + n, headers });

function kcat(topic: string): Array<{ partition: number; key: string; value: string }> {
  const brokers = process.env.TRIBUTARY_TEST_BROKERS!.split(',')[0]!;
  const r = spawnSync('kcat', ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-f', '%p\t%k\t%s\n'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `kcat failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [p, key, value] = l.split('\t');
    return { partition: Number(p), key: key!, value: value! };
  });
}

/** Every n in [0, total) once, and per key in increasing order. */
function assertExactlyOnceInOrder(values: Array<{ key: string | null; value: string }>, total: number): void {
  const seen = new Map<number, number>();
  const lastPerKey = new Map<string, number>();
  for (const v of values) {
    const n = (JSON.parse(v.value) as { n: number }).n;
    seen.set(n, (seen.get(n) ?? 0) + 1);
    const last = lastPerKey.get(v.key!) ?? -1;
    assert.ok(n > last, `key ${v.key}: ${n} after ${last}`);
    lastPerKey.set(v.key!, n);
  }
  const missing = Array.from({ length: total }, (_, n) => n).filter((n) => !seen.has(n));
  const doubled = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  assert.deepEqual({ missing: missing.slice(0, 20), doubled: doubled.slice(0, 20) }, { missing: [], doubled: [] });
  assert.equal(values.length, total);
}

function assertNoneMissing(values: Array<{ value: string }>, total: number): void {
  const seen = new Set(values.map((m) => (JSON.parse(m.value) as { n: number }).n));
  assert.deepEqual(Array.from({ length: total }, (_, n) => n).filter((n) => !seen.has(n)).slice(0, 20), []);
}

for (const compression of ['lz4', 'gzip', 'none'] as const) {
  test(`${compression}: records read back by kafkajs and kcat, on the partitions the Java partitioner picks, in order`, async () => {
    const topic = await createTestTopic(`producer-${compression}`, 3);
    const p = new KafkaProducer({ brokers: await testBrokers(), compression });
    await p.connect();
    const calls = [];
    for (let c = 0; c < 10; c++) calls.push(p.send(Array.from({ length: 300 }, (_, i) => message(topic, c * 300 + i))));
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.failed.length === 0));
    await p.close();

    const viaKafkajs = await readTopic(topic, { expected: 3000 });
    assertExactlyOnceInOrder(viaKafkajs.map((m) => ({ key: m.key, value: m.value.toString() })), 3000);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((id) => ({ partitionId: id, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (const m of viaKafkajs) {
      assert.equal(m.partition, partitioner({ topic, partitionMetadata, message: { key: m.key, value: '' } }));
      assert.equal(m.headers['content-type'], 'application/json');
      assert.equal(m.timestamp, String(1795934165638 + (JSON.parse(m.value.toString()) as { n: number }).n));
    }
    const viaKcat = kcat(topic);
    assertExactlyOnceInOrder(viaKcat, 3000);
  });
}

// Kafka forgets a producer a day (producer.id.expiration.ms) after the newest record timestamp it wrote
// for it, and a restarted broker loads only the producers it has not forgotten. A shipper sends old logs
// with their own times, so after a restart the broker may hold no state for it and take any sequence
// number. The producer used to resend the newest batch of unknown fate first: such a broker took it, the
// producer concluded that the older ones had been written, and they were lost (records 3200-4599 of
// 12,000, every run, once the fixed timestamps this test had were a day old).
for (const age of ['current', 'two days old'] as const) {
  test(`the broker stopped and started again mid-stream, records ${age}: ${age === 'current' ? 'every record once, in order per key' : 'no record lost'}, nothing failed`, async (t) => {
    const timeBase = Date.now() - (age === 'current' ? 0 : 2 * 86_400_000);
    const topic = await createTestTopic('producer-outage', 3);
    const retries: KafkaError[] = [];
    const p = new KafkaProducer({ brokers: await testBrokers(), requestTimeoutMs: 10_000, maxRetryBackoffMs: 1000, onRetry: (e) => retries.push(e) });
    await p.connect();
    const total = 12_000;
    const inflight = new Set<Promise<unknown>>();
    const failed: number[] = [];
    let stopped: Promise<void> | undefined;
    for (let c = 0; c * 200 < total; c++) {
      const send = p.send(Array.from({ length: 200 }, (_, i) => message(topic, c * 200 + i, 6, timeBase))).then((r) => failed.push(...r.failed.map((f) => f.index)));
      inflight.add(send);
      void send.finally(() => inflight.delete(send));
      if (inflight.size >= 8) await Promise.race(inflight);
      // Stop the broker a quarter of the way in, while requests are on the wire, and send the rest while it
      // is down (once, a producer that had sent everything before the broker went down saw no outage at
      // all); start it again 3 s later.
      if (c === 15) {
        await stopTestBroker();
        stopped = new Promise((r) => setTimeout(r, 3000)).then(() => restartTestBroker());
      }
    }
    await stopped;
    await Promise.all(inflight);
    await p.close();
    t.diagnostic(`producer ${JSON.stringify(p.stats)}; retries: ${[...new Set(retries.map((e) => e.type))].join(', ')}`);
    assert.deepEqual(failed, []);
    assert.ok(retries.length > 0, 'the outage was seen');
    assert.ok(retries.some((e) => e.type === 'NETWORK'), retries.map((e) => e.type).join(','));
    // A broker that holds no state for the producer cannot tell a resent batch from a new one: a batch
    // written just before the stop whose answer was lost is written again. Here none is lost.
    if (age === 'current') assertExactlyOnceInOrder(kcat(topic), total);
    else assertNoneMissing(kcat(topic), total);
  });
}

// Five requests written by the broker whose answers never came (a proxy swallows them and cuts the
// connection), then the broker restarted, so it remembers only the last batch it wrote per partition:
// resent oldest first, the four older batches meet OUT_OF_ORDER (written, not the last) and the fifth is
// a duplicate; nothing is written twice, nothing lost, and the producer keeps its id. With records two
// days old the restarted broker holds no state for the producer and takes any sequence: the batches of
// unknown fate are written again (at least once), never skipped.
for (const age of ['current', 'two days old'] as const) {
  test(`answers lost for five written requests, then the broker restarted, records ${age}: ${age === 'current' ? 'every record once' : 'no record lost'}, in order per key`, async (t) => {
    const timeBase = Date.now() - (age === 'current' ? 0 : 2 * 86_400_000);
    const topic = await createTestTopic('producer-lost-answers', 3);
    const brokerPort = Number((await testBrokers())[0]!.split(':')[1]);
    const proxy = await startKafkaProxy(brokerPort);
    const p = new KafkaProducer({ brokers: [`127.0.0.1:${proxy.port}`], requestTimeoutMs: 10_000, retryBackoffMs: 200, maxRetryBackoffMs: 1000 });
    try {
      await p.connect();
      const batch = (c: number) => Array.from({ length: 200 }, (_, i) => message(topic, c * 200 + i, 6, timeBase));
      // Every partition acknowledged once, so the next requests are pipelined (5 on the wire).
      assert.deepEqual((await p.send(batch(0))).failed, []);
      proxy.loseProduceResponses(5);
      const sends = Array.from({ length: 8 }, (_, i) => p.send(batch(i + 1)));
      while (proxy.swallowed < 5) await new Promise((r) => setTimeout(r, 20));
      await stopTestBroker();
      await restartTestBroker();
      proxy.release();
      const results = await Promise.all(sends);
      assert.deepEqual(results.flatMap((r) => r.failed), []);
      t.diagnostic(`producer ${JSON.stringify(p.stats)}`);
      assert.equal(p.stats.newProducerIds, 0, 'the producer kept its id');
      const back = kcat(topic);
      if (age === 'current') {
        assert.ok(p.stats.probes > 0, 'older written batches met OUT_OF_ORDER and were taken as written');
        assertExactlyOnceInOrder(back, 9 * 200);
      } else {
        assertNoneMissing(back, 9 * 200);
        assert.ok(back.length > 9 * 200, 'the batches of unknown fate were written again');
      }
    } finally {
      await p.close();
      await proxy.close();
    }
  });
}

// The agent hands over thousands of message objects per call; held until Kafka answered (tens of ms,
// longer in an outage) they lived through several young-generation collections, each copying them.
test('a call\'s messages are let go once its batches are encoded, while Kafka has not answered yet; the records still arrive once', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const topic = await createTestTopic('producer-let-go', 3);
  const proxy = await startKafkaProxy(Number((await testBrokers())[0]!.split(':')[1]));
  const p = new KafkaProducer({ brokers: [`127.0.0.1:${proxy.port}`], requestTimeoutMs: 10_000, retryBackoffMs: 200, maxRetryBackoffMs: 1000 });
  try {
    await p.connect();
    assert.deepEqual((await p.send(Array.from({ length: 30 }, (_, n) => message(topic, n)))).failed, []);
    // The next answer is lost and the connection cut: the call stays unanswered until release().
    proxy.loseProduceResponses(1);
    const refs: Array<WeakRef<object>> = [];
    const pending = (() => {
      const messages = Array.from({ length: 300 }, (_, n) => message(topic, 30 + n));
      refs.push(new WeakRef(messages), new WeakRef(messages[0]!), new WeakRef(messages[299]!));
      return p.send(messages);
    })();
    while (proxy.swallowed < 1) await new Promise((r) => setTimeout(r, 20));
    let settled = false;
    void pending.then(() => (settled = true));
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
    }
    assert.equal(settled, false, 'the call is still waiting for Kafka');
    assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true], 'the messages (array and objects) were collected');
    proxy.release();
    assert.deepEqual((await pending).failed, []);
    assertExactlyOnceInOrder(kcat(topic), 330);
  } finally {
    await p.close();
    await proxy.close();
  }
});

test('a record bigger than the topic allows fails for good, alone; the records around it arrive and the producer goes on', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('producer-too-large', 1, [{ name: 'max.message.bytes', value: '4096' }]);
  const p = new KafkaProducer({ brokers, compression: 'lz4' });
  await p.connect();
  const messages = Array.from({ length: 40 }, (_, n) => message(topic, n, 1));
  // Random bytes do not compress: 12 kB stays over the 4 kB limit after LZ4.
  messages[17] = { ...messages[17]!, value: JSON.stringify({ n: 17, body: Buffer.from(Array.from({ length: 12_000 }, () => Math.floor(Math.random() * 256))).toString('base64') }) };
  const started = Date.now();
  const result = await p.send(messages);
  assert.deepEqual(result.failed.map((f) => [f.index, f.error.type]), [[17, 'MESSAGE_TOO_LARGE']]);
  assert.ok(Date.now() - started < 20_000, 'no endless retry');
  assert.ok(p.stats.splits > 0);
  // The sequence numbers the refused record held were given back: the next send is accepted.
  const after = await p.send([message(topic, 40, 1)]);
  assert.deepEqual(after.failed, []);
  await p.close();
  const back = kcat(topic).map((m) => (JSON.parse(m.value) as { n: number }).n);
  assert.deepEqual(back, Array.from({ length: 41 }, (_, n) => n).filter((n) => n !== 17));
});

test('records stamped further from the broker\'s clock than the topic takes are sent again without a Kafka timestamp: none lost, each once, in order per key', async () => {
  const brokers = await testBrokers();
  // One minute ahead at most (Kafka 4's default is an hour): records an hour ahead are refused with
  // their whole batch, as an agent whose clock runs ahead meets it.
  const topic = await createTestTopic('producer-timestamps', 3, [{ name: 'message.timestamp.after.max.ms', value: '60000' }]);
  const restamped: Array<[number, string]> = [];
  const p = new KafkaProducer({ brokers, compression: 'lz4', onRestamped: (n, err) => restamped.push([n, err.type]) });
  await p.connect();
  const now = Date.now();
  const ahead = (n: number) => n % 7 === 3 || (n >= 400 && n < 500);
  // Several calls under way at once: batches behind a refused one are refused for their sequence and resent after it.
  const calls = [];
  for (let c = 0; c < 6; c++) calls.push(p.send(Array.from({ length: 100 }, (_, i) => message(topic, c * 100 + i, 6, now)).map((m, i) => (ahead(c * 100 + i) ? { ...m, timestamp: now + 3_600_000 } : m))));
  const results = await Promise.all(calls);
  assert.deepEqual(results.flatMap((r) => r.failed.map((f) => f.error.message)), []);
  const expected = Array.from({ length: 600 }, (_, n) => n).filter(ahead).length;
  assert.equal(p.stats.restamped, expected, 'the broker named the refused records; only they lost their timestamp');
  assert.equal(restamped.reduce((n, [k]) => n + k, 0), expected);
  assert.ok(restamped.every(([, type]) => type === 'INVALID_TIMESTAMP'));
  await p.close();
  const got = await readTopic(topic, { expected: 600 });
  assertExactlyOnceInOrder(got.map((m) => ({ key: m.key, value: m.value.toString() })), 600);
  for (const m of got) {
    const n = (JSON.parse(m.value.toString()) as { n: number }).n;
    assert.equal(m.timestamp, ahead(n) ? '-1' : String(now + n), `record ${n}`);
  }
});

test('an unreachable broker is a clear NETWORK error at connect, naming the address', async () => {
  const p = new KafkaProducer({ brokers: ['127.0.0.1:1'], connectTimeoutMs: 1000 });
  await assert.rejects(p.connect(), (err: KafkaError) => err.type === 'NETWORK' && /127\.0\.0\.1:1/.test(err.message));
  await p.close();
});
