// Our producer on a real 3-node KRaft cluster with a SASL_SSL listener (SCRAM-SHA-512, a CA made at
// start): it authenticates and ships over TLS, a wrong password is a clear error naming the broker
// without the secret, and killing a partition's leader mid-stream (NOT_LEADER_OR_FOLLOWER, a metadata
// refresh, a new leader) loses, doubles and reorders nothing. Read back by kcat, not by us.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { KafkaProducer, encodeHeaders, type KafkaError, type ProducerMessage } from '../../../core/kafka/producer.ts';
import { startTestCluster, type TestCluster } from '../../helpers/cluster.ts';

let cluster: TestCluster;

before(async () => {
  cluster = await startTestCluster({ nodes: 3, secure: true });
});
after(async () => cluster?.down());

const headers = encodeHeaders({ 'content-type': 'application/json' });
const message = (topic: string, n: number): ProducerMessage => ({ topic, key: Buffer.from(`k-${n % 9}`), value: JSON.stringify({ n }), timestamp: Date.now(), headers });

function kcatValues(topic: string): Array<{ key: string; n: number }> {
  const r = spawnSync('kcat', ['-C', '-b', cluster.brokers.join(','), '-t', topic, '-e', '-q', '-f', '%k\t%s\n'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => ({ key: l.split('\t')[0]!, n: (JSON.parse(l.split('\t')[1]!) as { n: number }).n }));
}

function assertOncePerKeyInOrder(values: Array<{ key: string; n: number }>, total: number): void {
  const last = new Map<string, number>();
  for (const v of values) {
    assert.ok(v.n > (last.get(v.key) ?? -1), `key ${v.key}: ${v.n} after ${last.get(v.key)}`);
    last.set(v.key, v.n);
  }
  assert.deepEqual(new Set(values.map((v) => v.n)).size, total, 'every record once');
  assert.equal(values.length, total, 'no duplicates');
}

test('SCRAM-SHA-512 over TLS with the stack\'s CA: records arrive; a wrong password is refused at once, naming the broker, never printing it', async () => {
  const sec = cluster.security!;
  const topic = await cluster.createTopic('native-secure', 3);
  const ssl = { ca: [readFileSync(sec.caFile, 'utf8')] };
  const p = new KafkaProducer({ brokers: cluster.secureBrokers!, ssl, sasl: { mechanism: 'scram-sha-512', username: sec.username, password: sec.password } });
  await p.connect();
  const result = await p.send(Array.from({ length: 1000 }, (_, n) => message(topic, n)));
  assert.deepEqual(result.failed, []);
  await p.close();
  assertOncePerKeyInOrder(kcatValues(topic), 1000);

  const wrong = 'not-the-password-5e1d';
  const bad = new KafkaProducer({ brokers: cluster.secureBrokers!, ssl, sasl: { mechanism: 'scram-sha-512', username: sec.username, password: wrong } });
  const started = Date.now();
  await assert.rejects(bad.connect(), (err: KafkaError) => {
    assert.equal(err.type, 'SASL_AUTHENTICATION_FAILED');
    assert.equal(err.action, 'fatal');
    assert.match(err.message, new RegExp(`Kafka at ${cluster.secureBrokers![0]!.replace(/\./g, '\\.')} refused the SASL credentials`));
    assert.doesNotMatch(err.message, new RegExp(wrong));
    assert.doesNotMatch(err.message, new RegExp(sec.password));
    return true;
  });
  assert.ok(Date.now() - started < 10_000, 'not retried');
  await bad.close();
});

test('the leader of a partition killed mid-stream (SIGKILL), then started again: every record once, in order per key', async () => {
  const topic = await cluster.createTopic('native-leader', 3, 3);
  const retries: KafkaError[] = [];
  const p = new KafkaProducer({ brokers: cluster.brokers, requestTimeoutMs: 10_000, maxRetryBackoffMs: 1000, onRetry: (e) => retries.push(e) });
  await p.connect();
  const total = 9000;
  const inflight = new Set<Promise<unknown>>();
  const failed: number[] = [];
  let fault: Promise<void> | undefined;
  for (let c = 0; c * 100 < total; c++) {
    const send = p.send(Array.from({ length: 100 }, (_, i) => message(topic, c * 100 + i))).then((r) => void failed.push(...r.failed.map((f) => f.index)));
    inflight.add(send);
    void send.finally(() => inflight.delete(send));
    if (inflight.size >= 6) await Promise.race(inflight);
    if (c === 20) fault = cluster.leaderOf(topic, 0).then((leader) => cluster.stop(leader, 'SIGKILL'));
    if (c === 60) {
      await fault;
      fault = cluster.start();
    }
  }
  await fault;
  await Promise.all(inflight);
  await p.close();
  assert.deepEqual(failed, []);
  assert.ok(retries.length > 0, 'the dead leader was noticed');
  assertOncePerKeyInOrder(kcatValues(topic), total);
});

test('a partition with no leader (its only replica stopped): the producer asks for metadata again until the node is back, then every record arrives once', async () => {
  const topic = await cluster.createTopic('native-leaderless', 3, 1);
  const node = await cluster.leaderOf(topic, 0);
  // A controlled shutdown: the controller leaves the partition without a leader at once.
  await cluster.stop(node);
  const retries: KafkaError[] = [];
  const p = new KafkaProducer({ brokers: cluster.brokers, requestTimeoutMs: 10_000, maxRetryBackoffMs: 1000, onRetry: (e) => retries.push(e) });
  await p.connect();
  // Partition 0 has no leader now; the other two have theirs.
  const sent = p.send(Array.from({ length: 900 }, (_, n) => message(topic, n)));
  for (let waited = 0; !retries.some((e) => e.type === 'LEADER_NOT_AVAILABLE') && waited < 30_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
  assert.ok(retries.some((e) => e.type === 'LEADER_NOT_AVAILABLE'), retries.map((e) => e.type).join(','));
  await new Promise((r) => setTimeout(r, 2000)); // a few rounds without a leader
  await cluster.start();
  // Before the fix the round retried the stale metadata forever: this never settled.
  const result = await Promise.race([sent, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000).unref())]);
  assert.notEqual(result, 'hung', `the producer did not deliver after the node came back; stats ${JSON.stringify(p.stats)}`);
  assert.deepEqual((result as { failed: unknown[] }).failed, []);
  await p.close();
  assertOncePerKeyInOrder(kcatValues(topic), 900);
});

// Kafka keeps sequence numbers per partition, and so does the Java producer's recovery: a dead broker
// stops only the partitions it leads. Ours stopped every partition until each retry round, so sends to
// partitions whose leaders were alive went at one batch per round (a second or more each).
test('a broker killed (SIGKILL) while it is the only replica of some partitions: sends to the other partitions go on at full pace meanwhile; the dead one\'s records arrive once it is back, each once, in order', async (t) => {
  const topic = await cluster.createTopic('native-partial', 6, 1);
  const leaders = await Promise.all(Array.from({ length: 6 }, (_, p) => cluster.leaderOf(topic, p)));
  const victim = leaders[0]!;
  const dead = leaders.flatMap((l, p) => (l === victim ? [p] : []));
  const live = leaders.flatMap((l, p) => (l === victim ? [] : [p]));
  assert.ok(live.length > 0, `every partition on node ${victim}`);
  const retries: KafkaError[] = [];
  const p = new KafkaProducer({ brokers: cluster.brokers, requestTimeoutMs: 10_000, maxRetryBackoffMs: 1000, onRetry: (e) => retries.push(e) });
  await p.connect();
  let n = 0;
  const to = (partitions: number[]) => partitions.map((partition): ProducerMessage => ({ ...message(topic, n), key: Buffer.from(`p-${partition}`), value: JSON.stringify({ n: n++ }), partition }));
  assert.deepEqual((await p.send(to([...dead, ...live]))).failed, []);
  // The pace with every node up, the same way, for comparison on this machine as it is now.
  let started = Date.now();
  for (let i = 0; i < 40; i++) assert.deepEqual((await p.send(to(live))).failed, []);
  const upMs = Date.now() - started;
  await cluster.stop(victim, 'SIGKILL');
  // A send to the dead partitions first: it waits (retried) until the node is back.
  let deadSettled = false;
  const toDead = p.send(to(dead)).then((r) => ((deadSettled = true), r));
  for (let waited = 0; retries.length === 0 && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  assert.ok(retries.length > 0, 'the dead node was noticed');
  // Meanwhile, 40 sends one after another to the live partitions.
  started = Date.now();
  for (let i = 0; i < 40; i++) assert.deepEqual((await p.send(to(live))).failed, []);
  const tookMs = Date.now() - started;
  t.diagnostic(`40 sends to live partitions ${live.join(',')}: ${upMs} ms with every node up, ${tookMs} ms with node ${victim} down; producer ${JSON.stringify(p.stats)}`);
  assert.equal(deadSettled, false, 'the dead partitions\' send waits for their node');
  // Held back by the dead partitions' retry rounds (100 ms and more each) this took 4 s and more.
  assert.ok(tookMs < 3 * upMs + 1000, `40 sends to live partitions took ${tookMs} ms while node ${victim} was down, ${upMs} ms before (retries: ${[...new Set(retries.map((e) => e.type))].join(', ')})`);
  await cluster.start();
  const result = await Promise.race([toDead, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000).unref())]);
  assert.notEqual(result, 'hung', `the dead partitions' records were not delivered after the node came back; stats ${JSON.stringify(p.stats)}`);
  assert.deepEqual((result as { failed: unknown[] }).failed, []);
  // And the dead partitions take new sends again.
  assert.deepEqual((await p.send(to([...dead, ...live]))).failed, []);
  await p.close();
  const back = kcatValues(topic);
  assertOncePerKeyInOrder(back, n);
});
