/**
 * Proofs of the worker against a real Kafka broker and the real ClickHouse engine (chDB): a known data
 * set goes in, and ClickHouse is read back row by row. Crash-and-restart of a worker process is in
 * worker-crash.test.ts; the benchmark is bench/pipeline.ts.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker, windowScorerOf } from '../../pipeline/worker.ts';
import { defaultScoringConfig, Scorer } from '../../pipeline/transforms/scoring/scorer.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';
import {
  assertLogsExactlyOnce, assertMetricWindows, assertServiceWindows, baseTime, bodiesByPosition, closingRecords, committedOffsets, deleteRecordsBefore,
  endOffsets, makeLogs, makeMetrics, produce, tempStore, TestStore, truncateWorkerTables, waitFor,
} from '../helpers/pipeline-data.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// At the top level, so that a file run on its own keeps its broker for every test in it.
await testBrokers();
// One chDB folder per process: the tests share it and empty the worker's tables first.
const shared = await tempStore();
after(async () => {
  await shared.store.close();
  rmSync(shared.path, { recursive: true, force: true });
});

async function freshStore(): Promise<TestStore> {
  await truncateWorkerTables(shared.store);
  return new TestStore(shared.store);
}

interface Topics {
  logs: string;
  metrics: string;
  dlq: string;
  group: string;
}

async function topics(name: string, logPartitions = 3): Promise<Topics> {
  return {
    logs: await createTestTopic(`${name}-logs`, logPartitions),
    metrics: await createTestTopic(`${name}-metrics`, 1),
    dlq: await createTestTopic(`${name}-dlq`, 1),
    group: `g-${name}-${Date.now()}`,
  };
}

function workerOn(t: Topics, store: TestStore, extra: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Promise<Worker> {
  return testBrokers().then((brokers) => new Worker({
    brokers, store, groupId: t.group, logsTopic: t.logs, metricsTopic: t.metrics, dlqTopic: t.dlq,
    batchMaxWaitMs: 100, batchMaxRows: 1000, tickMs: 200, statsIntervalMs: 500, ...extra,
  }));
}

/** Waits until the workers have read every record and landed every pending raw batch. */
async function drained(t: Topics, workers: Worker[], timeoutMs = 90_000): Promise<void> {
  const ends = await endOffsets(t.logs);
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  await waitFor('the workers to read and land every record', async () => {
    const consumed = workers.reduce((a, w) => a + w.stats.consumed, 0);
    return consumed >= total && workers.every((w) => w.stats.pending === 0);
  }, timeoutMs);
}

test('window rows equal a reference computed from the input; raw rows, patterns and stats land', async () => {
  const t = await topics('windows');
  const store = await freshStore();
  const base = baseTime();
  const logs = makeLogs(6000, { base, spanMs: 5 * 60_000 });
  const metrics = makeMetrics(600, { base, spanMs: 5 * 60_000 });
  await produce(t.logs, logs);
  await produce(t.metrics, metrics);
  const closeAt = base + 20 * 60_000;
  await produce(t.logs, closingRecords(3, closeAt));
  await produce(t.metrics, [{ partition: 0, value: JSON.stringify({ v: 1, time: new Date(closeAt).toISOString(), service: 'zz-tick', host: 'h', name: 'tick', kind: 'gauge', value: 0 }) }]);
  const scoring = await Scorer.open({ ...defaultScoringConfig(root), watch: false });
  const worker = await workerOn(t, store, { scorer: windowScorerOf(scoring) });
  await worker.start();
  try {
    await drained(t, [worker]);
    const expectedWindows = new Set(logs.map((l) => `${l.service}|${Math.floor(l.time / 10_000)}`)).size + new Set(logs.map((l) => `${l.service}|${Math.floor(l.time / 60_000)}`)).size;
    // Metric windows too: they are merged from their partials a tick or two after they close.
    const expectedMetricWindows = new Set(metrics.flatMap((m) => [10_000, 60_000].map((size) => `${m.service}|${m.host}|${m.name}|${size}|${Math.floor(m.time / size)}`))).size;
    await waitFor('every data window to land', async () => {
      const r = await store.query<{ n: string }>("SELECT count() AS n FROM service_windows FINAL WHERE NOT startsWith(service, 'zz-')");
      const m = await store.query<{ n: string }>('SELECT count() AS n FROM metric_windows FINAL');
      return Number(r[0]!.n) >= expectedWindows && Number(m[0]!.n) >= expectedMetricWindows;
    });
  } finally {
    await worker.stop();
    await scoring.close();
  }
  // Closed windows were scored by the ONNX models once their series' baselines were warm.
  const scored = await store.query<{ s: string; m: string }>("SELECT countIf(scored = 1) AS s, any(model) AS m FROM service_windows FINAL WHERE scored = 1");
  assert.ok(Number(scored[0]!.s) > 0, 'some service windows were scored');
  const hostScored = await store.query<{ s: string }>('SELECT countIf(scored = 1) AS s FROM metric_windows FINAL');
  assert.ok(Number(hostScored[0]!.s) >= 0);
  const read = await readTopic(t.logs, { expected: logs.length + 3 });
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(read));
  const windows = await assertServiceWindows(store, logs);
  assert.ok(windows > 50, `${windows} windows checked`);
  const mwindows = await assertMetricWindows(store, metrics.filter((m) => m.service !== 'zz-tick'));
  assert.ok(mwindows > 20);
  // Pattern deltas add up to the records stored, and every log row has a pattern id.
  const p = await store.query<{ n: string; patterns: string }>('SELECT sum(count) AS n, uniqExact(service, pattern_id) AS patterns FROM log_patterns');
  assert.equal(Number(p[0]!.n), logs.length + 3);
  assert.ok(Number(p[0]!.patterns) >= 5 * 6 && Number(p[0]!.patterns) < 200, `${p[0]!.patterns} patterns`);
  const unmined = await store.query<{ n: string }>("SELECT count() AS n FROM logs WHERE pattern_id = ''");
  assert.equal(Number(unmined[0]!.n), 0);
  // Distinct patterns per window: the windows saw the same ids the rows carry.
  const dp = await store.query<{ bad: string }>(`
    SELECT count() AS bad FROM (SELECT service, window_start, distinct_patterns FROM service_windows FINAL WHERE window_size_s = 60 AND NOT startsWith(service, 'zz-')) w
    LEFT JOIN (SELECT service, toStartOfMinute(time) AS ws, uniqExact(pattern_id) AS n FROM logs GROUP BY service, ws) l
    ON w.service = l.service AND toDateTime(w.window_start) = l.ws WHERE w.distinct_patterns != l.n`);
  assert.equal(Number(dp[0]!.bad), 0);
  const stats = await store.query<{ stage: string; name: string; v: number }>("SELECT stage, name, sum(value) AS v FROM pipeline_stats WHERE name IN ('records_in') GROUP BY stage, name");
  assert.equal(stats.find((s) => s.stage === 'consume')?.v, logs.length + 3 + metrics.length + 1);
  const model = await store.query<{ n: string }>("SELECT count() AS n FROM pipeline_stats WHERE stage = 'score' AND name = 'model_ms'");
  assert.ok(Number(model[0]!.n) > 0, 'model latency is reported');
  // Offsets were committed, but never past what windows still hold: the closing records' windows are open.
  const committed = await committedOffsets(t.group, t.logs);
  const ends = await endOffsets(t.logs);
  for (const [partition, end] of ends) {
    const c = committed.get(partition) ?? -1;
    assert.ok(c < end, `partition ${partition}: commit ${c} below end ${end}`);
    assert.ok(c > 0, `partition ${partition}: the worker committed (${c})`);
  }
});

test('poison records land in the dead-letter topic with reason, partition, offset and bytes; the rest flows on', async () => {
  const t = await topics('poison', 1);
  const store = await freshStore();
  const base = baseTime();
  const good = makeLogs(300, { base, spanMs: 60_000 });
  const poison: Array<{ value: Buffer; reason: RegExp }> = [
    { value: Buffer.from('not json at all'), reason: /not JSON/ },
    { value: Buffer.from(JSON.stringify({ v: 99, time: new Date(base).toISOString(), service: 's', body: 'x' })), reason: /schema version/ },
    { value: Buffer.from(JSON.stringify({ v: 1, time: new Date(base).toISOString(), body: 'no service' })), reason: /service/ },
    { value: Buffer.from([0xff, 0xfe, 0x00, 0x41]), reason: /UTF-8/ },
    { value: Buffer.from(JSON.stringify({ v: 1, time: 'yesterday', service: 's', body: 'x' })), reason: /time/ },
  ];
  const mixed: Array<{ key: string; value: string | Buffer }> = [];
  good.forEach((g, i) => {
    mixed.push(g);
    if (i % 60 === 30) mixed.push({ key: 'p', value: poison[(i - 30) / 60]!.value });
  });
  await produce(t.logs, mixed);
  const worker = await workerOn(t, store);
  await worker.start();
  try {
    await drained(t, [worker]);
  } finally {
    await worker.stop();
  }
  assert.equal(worker.stats.dead, poison.length);
  const dead = await readTopic(t.dlq, { expected: poison.length });
  assert.equal(dead.length, poison.length);
  const source = await readTopic(t.logs, { expected: mixed.length });
  const byOffset = new Map(source.map((r) => [r.offset, r.value]));
  for (const [i, d] of dead.entries()) {
    const letter = JSON.parse(d.value.toString()) as { reason: string; stage: string; source_topic: string; source_partition: number; source_offset: string; original_base64: string };
    assert.equal(letter.source_topic, t.logs);
    assert.equal(letter.source_partition, 0);
    assert.deepEqual(Buffer.from(letter.original_base64, 'base64'), byOffset.get(letter.source_offset));
    assert.match(letter.reason, poison[i]!.reason);
    assert.ok(['decode', 'validate'].includes(letter.stage));
  }
  const deadAt = new Set(dead.map((d) => `0/${(JSON.parse(d.value.toString()) as { source_offset: string }).source_offset}`));
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(source, deadAt));
});

test('late records: counted into their closed window, which is re-emitted with version + 1; too late ones go to the DLQ', async () => {
  const t = await topics('late', 1);
  const store = await freshStore();
  const base = baseTime();
  const rec = (ms: number, body: string) => ({
    key: 'svc-late',
    value: JSON.stringify({ v: 1, time: new Date(base + ms).toISOString(), service: 'svc-late', body, severity_number: 9, attributes: {} }),
  });
  const worker = await workerOn(t, store, { windows: { sizesMs: [10_000], allowedLatenessMs: 1000, retentionMs: 30_000 } });
  await worker.start();
  const row = async () => (await store.query<{ version: number; count: string; late_count: string }>(
    "SELECT version, count, late_count FROM service_windows FINAL WHERE service = 'svc-late' AND window_start = fromUnixTimestamp64Milli({ws:Int64}, 'UTC')",
    { ws: base },
  ))[0];
  try {
    await produce(t.logs, Array.from({ length: 10 }, (_, i) => rec(i * 900, `on time ${i}`)));
    await produce(t.logs, [rec(20_000, 'closes the first window')]);
    await waitFor('the first window to close', async () => (await row())?.version === 10, 30_000);
    await produce(t.logs, [rec(5_000, 'late but within retention')]);
    await waitFor('the window to be re-emitted', async () => (await row())?.version === 11, 30_000);
    assert.equal(Number((await row())!.count), 11);
    assert.equal(Number((await row())!.late_count), 1);
    await produce(t.logs, [rec(100_000, 'moves the watermark past retention')]);
    // The watermark moves on a tick after that record was read; only then is the next one too late.
    await waitFor('the watermark record to be read', () => worker.stats.consumed >= 13, 30_000, 50);
    await sleep(1000);
    await produce(t.logs, [rec(3_000, 'too late')]);
    await waitFor('the too-late record to be handled', () => worker.stats.tooLate === 1, 30_000);
    await drained(t, [worker]);
  } finally {
    await worker.stop();
  }
  assert.equal((await row())!.version, 11, 'a too-late record changes no window');
  const dead = await readTopic(t.dlq, { expected: 1 });
  assert.equal(dead.length, 1);
  const letter = JSON.parse(dead[0]!.value.toString()) as { reason: string; stage: string; original_base64: string };
  assert.equal(letter.stage, 'windows');
  assert.match(letter.reason, /too late/);
  assert.match(Buffer.from(letter.original_base64, 'base64').toString(), /"too late"/);
  // Raw rows keep every record, the too-late one included: the rule routes it aside, it does not drop it.
  const n = await store.query<{ n: string }>('SELECT count() AS n FROM logs');
  assert.equal(Number(n[0]!.n), 14);
});

test('ClickHouse unavailable for 20 s loses nothing: consumption pauses, memory stays bounded, nothing is committed until stored', async () => {
  const t = await topics('outage');
  const store = await freshStore();
  const base = baseTime();
  const logs = makeLogs(6000, { base, spanMs: 4 * 60_000 });
  const worker = await workerOn(t, store, { batchMaxRows: 500, maxBytesPerPartition: 64 * 1024 });
  await worker.start();
  let peakPending = 0;
  const sampler = setInterval(() => (peakPending = Math.max(peakPending, worker.stats.pending)), 20);
  try {
    await produce(t.logs, logs.slice(0, 3000));
    await waitFor('the first half to land', () => worker.stats.stored >= 3000);
    await sleep(500);
    // The outage: every call to the store fails as an unreachable server would.
    store.down = true;
    const downAt = Date.now();
    const committedBefore = await committedOffsets(t.group, t.logs);
    await produce(t.logs, logs.slice(3000), { overMs: 5000 });
    await sleep(Math.max(0, 20_000 - (Date.now() - downAt)));
    const committedDuring = await committedOffsets(t.group, t.logs);
    const storedDuring = worker.stats.stored;
    assert.deepEqual(committedDuring, committedBefore, 'no offset is committed while ClickHouse is down');
    assert.equal(storedDuring, 3000, 'nothing counts as stored while ClickHouse is down');
    assert.ok(store.refused > 3, `the worker kept retrying (${store.refused} refused calls)`);
    assert.ok(worker.sink.stats.retries > 0);
    // Consumption paused: at most one raw batch waits in memory, not the 3000 records produced meanwhile.
    assert.ok(worker.stats.consumed - 3000 <= 500 + 1, `read ${worker.stats.consumed - 3000} records during the outage`);
    store.down = false;
    await produce(t.logs, closingRecords(3, base + 20 * 60_000));
    await drained(t, [worker]);
    await waitFor('every data window to land', async () => {
      const r = await store.query<{ n: string }>("SELECT count() AS n FROM service_windows FINAL WHERE NOT startsWith(service, 'zz-')");
      return Number(r[0]!.n) >= new Set(logs.flatMap((l) => [`${l.service}|a${Math.floor(l.time / 10_000)}`, `${l.service}|b${Math.floor(l.time / 60_000)}`])).size;
    });
  } finally {
    clearInterval(sampler);
    await worker.stop();
  }
  // Per partition at most one batch in flight (its intent written before the outage) plus one being built.
  assert.ok(peakPending <= (3 + 1) * 500, `memory bounded by the batches (peak ${peakPending} records)`);
  const read = await readTopic(t.logs, { expected: logs.length + 3 });
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(read));
  await assertServiceWindows(store, logs);
  const p = await store.query<{ n: string }>('SELECT sum(count) AS n FROM log_patterns');
  assert.equal(Number(p[0]!.n), logs.length + 3);
});

test('two workers with rebalances in the middle (one joins, then the first leaves) land every record exactly once', async () => {
  const t = await topics('rebalance', 4);
  const store = await freshStore();
  const base = baseTime();
  const logs = makeLogs(8000, { base, spanMs: 6 * 60_000, services: 8 });
  const a = await workerOn(t, store, { instance: 'worker-a' });
  const b = await workerOn(t, store, { instance: 'worker-b' });
  await a.start();
  const producing = produce(t.logs, logs, { chunk: 500, overMs: 12_000 });
  await waitFor('worker A to land some records', () => a.stats.stored >= 1500);
  await b.start();
  await waitFor('worker B to take partitions over', () => b.progress().some((p) => p.topic === t.logs) && b.stats.stored > 0, 60_000);
  assert.ok(a.progress().filter((p) => p.topic === t.logs).length < 4, 'worker A handed partitions over');
  await a.stop();
  await producing;
  await produce(t.logs, closingRecords(4, base + 20 * 60_000));
  try {
    await waitFor('every record and window to land', async () => {
      const r = await store.query<{ n: string }>('SELECT count() AS n FROM logs');
      const w = await store.query<{ n: string }>("SELECT count() AS n FROM service_windows FINAL WHERE NOT startsWith(service, 'zz-')");
      return Number(r[0]!.n) >= logs.length + 4 && Number(w[0]!.n) >= 8 * (6 * 6 + 6);
    }, 120_000);
    await sleep(1000);
  } finally {
    await b.stop();
  }
  assert.ok(b.stats.replaySkipped > 0, 'B replayed what A had landed, into its windows only');
  const read = await readTopic(t.logs, { expected: logs.length + 4 });
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(read));
  await assertServiceWindows(store, logs);
  const p = await store.query<{ n: string }>('SELECT sum(count) AS n FROM log_patterns');
  assert.equal(Number(p[0]!.n), logs.length + 4, 'pattern counts: every record once');
});

test('the pattern miner survives a restart: its snapshot is saved in pipeline_state and restored, with the same pattern ids', async () => {
  const t = await topics('miner', 1);
  const store = await freshStore();
  const base = baseTime();
  const first = makeLogs(500, { base, spanMs: 60_000 });
  const w1 = await workerOn(t, store, { snapshotIntervalMs: 60_000 });
  await w1.start();
  await produce(t.logs, first);
  try {
    await drained(t, [w1]);
  } finally {
    await w1.stop();
  }
  const learned = w1.patterns;
  assert.ok(learned >= 5, `${learned} patterns learned`);
  const saved = await store.query<{ n: string }>("SELECT count() AS n FROM pipeline_state WHERE key = {k:String}", { k: `miner/${t.group}` });
  assert.ok(Number(saved[0]!.n) >= 1, 'saved (on stop at the latest)');
  const w2 = await workerOn(t, store);
  await w2.start();
  try {
    assert.equal(w2.patterns, learned, 'restored before the first record');
    // Records of known patterns get the ids the first worker gave them, and no new pattern rows.
    await produce(t.logs, makeLogs(500, { base: base + 60_000, spanMs: 60_000 }));
    await waitFor('the second batch to land', () => w2.stats.stored >= 500);
  } finally {
    await w2.stop();
  }
  const ids = await store.query<{ first: string; second: string }>(`
    SELECT groupUniqArrayIf(pattern_id, kafka_offset < 500) AS first, groupUniqArrayIf(pattern_id, kafka_offset >= 500) AS second FROM logs`);
  const before = new Set(ids[0]!.first as unknown as string[]);
  for (const id of ids[0]!.second as unknown as string[]) assert.ok(before.has(id), `pattern ${id} was known before the restart`);
});

// Kafka deletes by retention whether or not a group read the records (and time retention counts from
// the record's timestamp, the event time). kafkajs then resets a group's position to the log start
// without a word; the worker must count what was skipped. Gaps a transaction leaves (an aborted
// transaction's records, its marker) are not deletions and must not count.
test('records Kafka deleted before the group read them are counted (records_deleted_unread); a transaction\'s gaps are not', async () => {
  const t = await topics('deleted', 1);
  const store = await freshStore();
  const base = baseTime();
  const brokers = await testBrokers();
  await produce(t.logs, makeLogs(200, { base, spanMs: 60_000 }));
  const w1 = await workerOn(t, store);
  await w1.start();
  try {
    await waitFor('200 records read', () => w1.stats.consumed >= 200);
    // Offsets 200-219 aborted, 220 the abort marker; then 221-320 plain records: reading skips 200-220.
    const producer = createKafka({ brokers, clientId: 'tributary-test-tx', quiet: true }).producer({ transactionalId: `deleted-${Date.now()}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic: t.logs, messages: makeLogs(20, { base, spanMs: 60_000, seed: 7 }).map((r) => ({ key: r.key, value: r.value })) });
    await aborted.abort();
    await producer.disconnect();
    // The last one far ahead in event time, so that the windows close and the group commits.
    await produce(t.logs, [...makeLogs(99, { base, spanMs: 60_000, seed: 8 }), ...closingRecords(1, base + 20 * 60_000)]);
    await waitFor('300 records read and landed, and committed', async () => w1.stats.consumed >= 300 && w1.stats.pending === 0 && ((await committedOffsets(t.group, t.logs)).get(0) ?? 0) >= 300);
  } finally {
    await w1.stop();
  }
  assert.equal(w1.stats.deletedUnread, 0, 'the aborted transaction\'s offsets are not deletions');
  // While no worker runs: 300 more (321-620), and Kafka deletes everything before 500. The group's
  // commit stops at the closing record's open window (320); what lies past the last landed record
  // and before 500 is the loss (321-499 when the closing record landed before w1 stopped).
  const landed = Number((await store.query<{ o: string }>('SELECT max(toUInt64(kafka_offset)) AS o FROM logs WHERE kafka_topic = {t:String}', { t: t.logs }))[0]!.o);
  assert.ok(landed >= 319 && landed <= 320, `landed through ${landed}`);
  const lost = 500 - (landed + 1);
  const landedRows = Number((await store.query<{ n: string }>('SELECT count() AS n FROM logs WHERE kafka_topic = {t:String}', { t: t.logs }))[0]!.n);
  await produce(t.logs, makeLogs(300, { base: base + 21 * 60_000, spanMs: 60_000, seed: 9 }));
  const all = await readTopic(t.logs, { expected: 600 });
  await deleteRecordsBefore(t.logs, 0, 500);
  const w2 = await workerOn(t, store);
  await w2.start();
  try {
    await waitFor('the records after the deletion read and landed', () => w2.stats.consumed >= 121 && w2.stats.pending === 0);
    await waitFor('the count in pipeline_stats', async () => {
      const rows = await store.query<{ v: number }>("SELECT sum(value) AS v FROM pipeline_stats WHERE stage = 'consume' AND name = 'records_deleted_unread'");
      return Number(rows[0]?.v ?? 0) === lost;
    }, 20_000);
  } finally {
    await w2.stop();
  }
  assert.equal(w2.stats.deletedUnread, lost);
  assert.equal(w2.stats.consumed, 121);
  const kept = all.filter((r) => Number(r.offset) <= landed || Number(r.offset) >= 500);
  assert.equal(kept.length, landedRows + 121);
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(kept));
});

// The same loss while a worker runs: ClickHouse down, so reading pauses behind the batch that cannot
// land, while Kafka deletes what lies ahead of the worker's position. Every offset must end up read
// once or counted as deleted unread.
test('records Kafka deletes ahead of a running worker (reading paused while ClickHouse is down) are counted; every offset is read or counted, once', async () => {
  const t = await topics('deleted-live', 1);
  const store = await freshStore();
  const base = baseTime();
  const logs = makeLogs(4000, { base, spanMs: 4 * 60_000 });
  const worker = await workerOn(t, store, { batchMaxRows: 200, maxBytesPerPartition: 32 * 1024 });
  await worker.start();
  let all: Awaited<ReturnType<typeof readTopic>>;
  try {
    await produce(t.logs, logs.slice(0, 1000));
    await waitFor('the first 1000 to land', () => worker.stats.stored >= 1000);
    store.down = true;
    // Small producer batches: a fetch returns whole batches, so one of 2000 records would be read at once.
    await produce(t.logs, logs.slice(1000), { chunk: 50 });
    all = await readTopic(t.logs, { expected: 4000 });
    await sleep(3000);
    assert.ok(worker.stats.consumed < 2500, `reading paused while ClickHouse is down (${worker.stats.consumed} read)`);
    await deleteRecordsBefore(t.logs, 0, 3000);
    store.down = false;
    await waitFor('every offset read or counted', () => worker.stats.consumed + worker.stats.deletedUnread >= 4000 && worker.stats.pending === 0, 90_000);
  } finally {
    await worker.stop();
  }
  const { consumed, deletedUnread } = worker.stats;
  assert.ok(deletedUnread > 0, 'records were deleted ahead of the worker');
  assert.equal(consumed + deletedUnread, 4000, `read ${consumed}, counted ${deletedUnread}`);
  // What was read: everything below the worker's position when reading went on, and 3000 onwards.
  const position = 3000 - deletedUnread;
  const kept = all!.filter((r) => Number(r.offset) < position || Number(r.offset) >= 3000);
  assert.equal(kept.length, consumed);
  await assertLogsExactlyOnce(store, t.logs, await bodiesByPosition(kept));
});
