// The worker's health on a real worker, the real broker and chDB (test/pipeline/health-scenario.ts,
// run as a child process): /metrics carries the pipeline_stats names and the lag per partition, /readyz
// turns red within 10 s of the broker stopping and green after it restarts; an unreadable miner snapshot
// and a garbled landing intent are said, counted and passed over; every record still lands once.
// Then the process must exit on its own: a stopped worker whose consumer lived through a broker
// restart once left a kafkajs connection open (a stale group coordinator), and the process never ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { Worker } from '../../pipeline/worker.ts';
import { serveWorkerHealth } from '../../pipeline/health.ts';
import { openStore } from '../../core/storage/open.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createTestTopic, testBrokers, testStackOptions } from '../helpers/kafka.ts';
import { baseTime, makeLogs, produce } from '../helpers/pipeline-data.ts';

const EXIT_WITHIN_MS = 10_000;

/** A worker's topics (logs and partials with `partitions` each) and an embedded store with the schema. */
async function workerParts(prefix: string, partitions: number) {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic(`${prefix}-logs`, partitions);
  const metricsTopic = await createTestTopic(`${prefix}-metrics`, 1);
  const dlqTopic = await createTestTopic(`${prefix}-dlq`, 1);
  const partialsTopic = await createTestTopic(`${prefix}-partials`, partitions);
  const store = await openStore({ driver: 'embedded', path: join(mkdtempSync(join(tmpdir(), `tributary-${prefix}-`)), 'store') });
  await migrate(store);
  return { brokers, store, logsTopic, metricsTopic, dlqTopic, partialsTopic };
}

/** Starts the worker and its health server (probes every second); `readyz()` gives the status and the checks. */
async function startWithHealth(worker: Worker, parts: Awaited<ReturnType<typeof workerParts>>, stallMs: number) {
  await worker.start();
  const health = await serveWorkerHealth(worker, '127.0.0.1:0', { brokers: parts.brokers, store: parts.store, topics: [parts.logsTopic], probeIntervalMs: 1000, stallMs });
  const readyz = async () => {
    const r = await fetch(`http://127.0.0.1:${health.server.port}/readyz`);
    return { status: r.status, body: (await r.json()) as { checks: Record<string, { ok: boolean; detail: string }> } };
  };
  return { health, readyz };
}

test('a corrupt miner snapshot and a garbled intent are passed over; metrics and readyz follow the worker and the broker; the stopped worker lets its process exit', async (t) => {
  const brokers = await testBrokers();
  const o = testStackOptions()!;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./health-scenario.ts', import.meta.url))], {
    env: {
      ...process.env, TRIBUTARY_TEST_BROKERS: brokers.join(','), TRIBUTARY_TEST_KAFKA_HOME: o.home,
      TRIBUTARY_TEST_KAFKA_PORT: String(o.port), TRIBUTARY_TEST_KAFKA_CONTROLLER_PORT: String(o.controllerPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let doneAt: number | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.startsWith('diagnostic: ')) t.diagnostic(line.slice(12));
      if (line === 'DONE') doneAt = Date.now();
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The scenario takes well under a minute; what matters is the wait after DONE.
  const ended = await Promise.race([
    exit.then((code) => ({ code })),
    (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        if (doneAt !== undefined && Date.now() - doneAt > EXIT_WITHIN_MS) return { hung: true as const };
        if (doneAt === undefined && child.exitCode === null && Date.now() - started > 240_000) return { hung: true as const };
      }
    })(),
  ]);
  if ('hung' in ended) child.kill('SIGKILL');
  assert.ok(!('hung' in ended), doneAt ? `the process was still running ${EXIT_WITHIN_MS} ms after the worker stopped and everything was closed` : `the scenario did not finish in 4 minutes:\n${stderr}`);
  assert.equal(ended.code, 0, `the scenario failed:\n${stderr}`);
  assert.ok(doneAt !== undefined, 'the scenario ran to its end');
  t.diagnostic(`the process exited ${Date.now() - doneAt} ms after the worker stopped`);
});

// The gap a stuck group join showed: a worker holding no partitions reads nothing, has no ledger entry,
// and its ledger lag reads 0, so /readyz stayed green while records waited. Here the worker is held
// from consuming the real way: a second member of its group, joined first and so the group's leader,
// assigns every partition to itself (its own assigner, under the worker's protocol name) and commits
// nothing. Records sit in the topic; /readyz must turn red naming the lag, then green once that member
// leaves and the worker reads them.
test('readyz turns red when the group has input waiting and this worker reads none (no partitions of its own), green once it reads', async (t) => {
  const { AssignerProtocol } = kafkajs;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(200);
    }
    return Date.now() - started;
  };

  const parts = await workerParts('wr', 2);
  const { brokers, store, logsTopic, metricsTopic, dlqTopic, partialsTopic } = parts;
  const topics = [logsTopic, metricsTopic, partialsTopic];
  const groupId = `wr-${Date.now()}`;

  const TAG = Buffer.from('holder');
  const holder = createKafka({ brokers, clientId: 'tributary-test-holder', quiet: true }).consumer({
    groupId, sessionTimeout: 10_000, heartbeatInterval: 1000,
    partitionAssigners: [
      ({ cluster }) => ({
        name: 'RoundRobinAssigner', // the worker's protocol, so the group can agree on it
        version: 0,
        async assign({ members }) {
          const all: Record<string, number[]> = {};
          for (const t of topics) all[t] = cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId);
          return members.map((m) => ({
            memberId: m.memberId,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({
              version: 0,
              assignment: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.equals(TAG) ? all : {},
              userData: Buffer.alloc(0),
            }),
          }));
        },
        protocol({ topics: subscribed }) {
          return { name: 'RoundRobinAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: subscribed, userData: TAG }) };
        },
      }),
    ],
  });
  let joined = false;
  holder.on(holder.events.GROUP_JOIN, () => (joined = true));
  await holder.connect();
  await holder.subscribe({ topics, fromBeginning: true });
  await holder.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
  await until('the holder to lead the group', async () => joined, 30_000);

  const worker = new Worker({ brokers, store, groupId, logsTopic, metricsTopic, dlqTopic, partialsTopic, sessionTimeoutMs: 10_000 });
  let holding = true;
  let health: Awaited<ReturnType<typeof serveWorkerHealth>> | undefined;
  try {
    const started = await startWithHealth(worker, parts, 4000);
    health = started.health;
    const readyz = started.readyz;
    const records = makeLogs(300, { base: baseTime(), spanMs: 60_000 });
    await produce(logsTopic, records.map((r) => ({ key: r.key, value: r.value, partition: Number(r.key.slice(4)) % 2 })));
    const producedAt = Date.now();
    let last = await readyz();
    await until('readyz to turn red', async () => (last = await readyz()).status === 503, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last.body)}`);
    });
    t.diagnostic(`readyz turned red ${Date.now() - producedAt} ms after 300 records were produced that nobody reads`);
    assert.equal(worker.consumption().assigned.size, 0, 'the holder owns every partition');
    assert.equal(worker.stats.consumed, 0);
    assert.equal(last.body.checks.progress!.ok, false);
    assert.equal(last.body.checks.kafka!.ok, true, 'Kafka answers: only progress is red');
    assert.match(last.body.checks.progress!.detail, new RegExp(`^300 records waiting and none read or committed for \\d+ s; group lag 300 on ${logsTopic}, and this worker has no partitions assigned$`));

    await holder.disconnect();
    holding = false;
    await until('readyz to be green again', async () => (last = await readyz()).status === 200, 30_000);
    await until('the records to be read', async () => worker.stats.consumed >= records.length, 30_000);
    assert.equal((await readyz()).status, 200, JSON.stringify(last.body));
  } finally {
    if (holding) await holder.disconnect();
    await health?.close();
    await worker.stop();
    await store.close();
  }
});

// The other stuck worker: it keeps its partitions but reads none of them (a fetch loop that stopped,
// a sink that never returns). Made here with the real consumer paused on the logs topic (reached
// through the worker's internals: there is no public way to stop a healthy worker's reads, which is
// the point). Records wait on its own partitions; /readyz must turn red naming its lag, then green
// once it reads again.
test('readyz turns red when this worker holds partitions with input waiting and reads none of it, green once it reads', async (t) => {
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(200);
    }
  };
  const parts = await workerParts('wp', 2);
  const { brokers, store, logsTopic, metricsTopic, dlqTopic, partialsTopic } = parts;
  const worker = new Worker({ brokers, store, groupId: `wp-${Date.now()}`, logsTopic, metricsTopic, dlqTopic, partialsTopic, sessionTimeoutMs: 10_000 });
  let health: Awaited<ReturnType<typeof serveWorkerHealth>> | undefined;
  try {
    const started = await startWithHealth(worker, parts, 4000);
    health = started.health;
    const readyz = started.readyz;
    const first = makeLogs(200, { base: baseTime(), spanMs: 60_000 });
    await produce(logsTopic, first.map((r) => ({ key: r.key, value: r.value, partition: Number(r.key.slice(4)) % 2 })));
    await until('the first records to be read', () => worker.stats.consumed >= first.length, 30_000);
    await until('both logs partitions to be assigned', () => [0, 1].every((p) => worker.consumption().assigned.has(`${logsTopic}/${p}`)), 30_000);
    assert.equal((await readyz()).status, 200);

    const consumer = (worker as unknown as { source: { consumer: kafkajs.Consumer } }).source.consumer;
    consumer.pause([{ topic: logsTopic }]);
    const readBefore = worker.stats.consumed;
    const second = makeLogs(300, { base: baseTime() + 120_000, spanMs: 60_000 });
    await produce(logsTopic, second.map((r) => ({ key: r.key, value: r.value, partition: Number(r.key.slice(4)) % 2 })));
    const producedAt = Date.now();
    let last = await readyz();
    await until('readyz to turn red', async () => (last = await readyz()).status === 503, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last.body)}`);
    });
    t.diagnostic(`readyz turned red ${Date.now() - producedAt} ms after 300 records were produced to partitions this worker holds and does not read`);
    assert.equal(worker.stats.consumed, readBefore, 'nothing read while paused');
    assert.ok(worker.consumption().assigned.size >= 2, 'the worker still holds its partitions');
    assert.equal(last.body.checks.kafka!.ok, true, 'Kafka answers: only progress is red');
    assert.equal(last.body.checks.store!.ok, true);
    // Both logs partitions named, the 300 records on them; the partials and metrics partitions it goes on
    // reading are not (their few marks not yet read may add to the lag of the whole).
    assert.match(last.body.checks.progress!.detail, new RegExp(`^300 records waiting and none read or committed for \\d+ s on ${logsTopic}/[01], ${logsTopic}/[01]; lag 3\\d\\d on its 5 assigned partitions \\(${logsTopic}(, [^)]+)?\\), 0 read and not landed$`));

    consumer.resume([{ topic: logsTopic }]);
    await until('the second records to be read', () => worker.stats.consumed >= readBefore + second.length, 30_000);
    await until('readyz to be green again', async () => (last = await readyz()).status === 200, 30_000);
  } finally {
    await health?.close();
    await worker.stop();
    await store.close();
  }
});

// A log that ends in a transaction's commit marker: the marker takes an offset that no consumer reads
// as a record, so the worker's read position stops one short of the end. Read through to the end, it
// must count nothing waiting and stay green past the stall window.
test('records from a transactional producer: commit and abort markers and aborted records at the end of the log do not count as waiting', async (t) => {
  const parts = await workerParts('wt', 1);
  const { brokers, store, logsTopic, metricsTopic, dlqTopic, partialsTopic } = parts;
  const producer = createKafka({ brokers, clientId: 'tributary-test-tx', quiet: true }).producer({ transactionalId: `wt-${Date.now()}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const records = makeLogs(100, { base: baseTime(), spanMs: 60_000 });
  const tx = await producer.transaction();
  await tx.send({ topic: logsTopic, messages: records.map((r) => ({ key: r.key, value: r.value })) });
  await tx.commit();
  const end = records.length + 1 + 20 + 1;
  const worker = new Worker({ brokers, store, groupId: `wt-${Date.now()}`, logsTopic, metricsTopic, dlqTopic, partialsTopic, sessionTimeoutMs: 10_000 });
  let health: Awaited<ReturnType<typeof serveWorkerHealth>> | undefined;
  try {
    health = (await startWithHealth(worker, parts, 3000)).health;
    const base = `http://127.0.0.1:${health.server.port}`;
    const started = Date.now();
    while (worker.stats.consumed < records.length) {
      if (Date.now() - started > 30_000) throw new Error(`read ${worker.stats.consumed} of ${records.length} records in 30 s`);
      await sleep(200);
    }
    // Then, once those are read, an aborted transaction: its records and its marker end the log and come
    // in a fetch of their own, which hands the worker nothing (kafkajs reports it only as an event, with
    // batchSize 0).
    const aborted = await producer.transaction();
    await aborted.send({ topic: logsTopic, messages: makeLogs(20, { base: baseTime(), spanMs: 60_000 }).map((r) => ({ key: r.key, value: r.value })) });
    await aborted.abort();
    await producer.disconnect();
    // The log ends past the commit marker, the 20 aborted records and the abort marker.
    const readPosition = () => worker.progress().find((p) => p.topic === logsTopic)?.next;
    const fetchedAt = Date.now();
    while (readPosition() !== end) {
      if (Date.now() - fetchedAt > 20_000) throw new Error(`the read position stayed at ${readPosition()}, short of the log end ${end}`);
      await sleep(200);
    }
    assert.equal(worker.stats.consumed, records.length, 'the aborted records are not read');
    // Three stall windows of 3 s: a partition one offset short of its end would be red by then.
    let body = '';
    for (let i = 0; i < 18; i++) {
      await sleep(500);
      const r = await fetch(`${base}/readyz`);
      body = await r.text();
      assert.equal(r.status, 200, `readyz after ${(i + 1) * 0.5} s: ${body}`);
    }
    t.diagnostic(body);
    assert.equal(readPosition(), end, 'read through the markers and the aborted records');
  } finally {
    await health?.close();
    await worker.stop();
    await store.close();
  }
});
