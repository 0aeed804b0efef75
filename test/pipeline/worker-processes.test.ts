/**
 * Proofs with real worker processes. `kill -9` of a worker mid-stream, twice, then a restart:
 * ClickHouse ends up with exactly the produced records (no more, no less), pattern counts that add up
 * to them, and window rows equal to the reference; each worker process owns the chDB folder in turn.
 * Two worker processes with a rebalance in the middle, each with its own chDB folder: the union of the
 * two stores is the input exactly once (the rule is stated at the test).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';
import {
  assertLogsExactlyOnce, assertMetricWindows, assertServiceWindows, baseTime, bodiesByPosition, checkServiceWindows, closingRecords, endOffsets,
  makeLogs, makeMetrics, produce, serviceWindowRows, waitFor, type StoredWindow,
} from '../helpers/pipeline-data.ts';

await testBrokers();
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Report {
  stats: { consumed: number; stored: number; pending: number; replaySkipped: number; serviceWindowRows: number };
  progress: Array<{ topic: string; partition: number; next: number; pending: number }>;
}

function spawnWorker(options: object, storePath: string, crashAfter = ''): { child: ChildProcess; last: () => Report | undefined; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/worker-process.ts'), JSON.stringify(options), storePath, crashAfter], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: Report | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as Report;
    } catch {
      // a log line that went to stdout
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, last: () => last, exited };
}

test('kill -9 of a worker mid-stream, twice, then a restart: exactly the produced records, windows equal the reference', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('crash-logs', 3);
  const metricsTopic = await createTestTopic('crash-metrics', 1);
  const dlqTopic = await createTestTopic('crash-dlq', 1);
  const storePath = mkdtempSync(join(tmpdir(), 'tributary-crash-'));
  const base = baseTime();
  const logs = makeLogs(30_000, { base, spanMs: 8 * 60_000 });
  const metrics = makeMetrics(900, { base, spanMs: 8 * 60_000 });
  await produce(metricsTopic, metrics);
  const closeAt = base + 30 * 60_000;
  await produce(metricsTopic, [{ partition: 0, value: JSON.stringify({ v: 1, time: new Date(closeAt).toISOString(), service: 'zz-tick', host: 'h', name: 'tick', kind: 'gauge', value: 0 }) }]);
  // Logs arrive while the workers run, in small sends, so raw batches end wherever a fetch ends: a
  // replay then cuts its batches elsewhere, which is what the intents must make harmless.
  const producing = produce(logsTopic, logs, { chunk: 300, overMs: 25_000 }).then(() => produce(logsTopic, closingRecords(3, closeAt)));
  const options = {
    brokers, groupId: `g-crash-${Date.now()}`, logsTopic, metricsTopic, dlqTopic,
    batchMaxRows: 700, batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, snapshotIntervalMs: 1000,
  };
  try {
    // First crash: right after a batch's pattern deltas landed and before its raw rows did.
    const first = spawnWorker(options, storePath, 'log_patterns:6');
    assert.equal(await first.exited, null, 'killed itself, not exited');
    assert.ok((first.last()?.stats.stored ?? 0) > 0, 'the first worker had landed some batches');
    // Second crash: an outside kill -9 somewhere later in the stream.
    const second = spawnWorker(options, storePath);
    await waitFor('the second worker to land 4000 records', () => (second.last()?.stats.stored ?? 0) >= 4000, 120_000, 20);
    second.child.kill('SIGKILL');
    assert.equal(await second.exited, null, 'killed, not exited');
    await producing;
    const ends = await endOffsets(logsTopic);
    const w = spawnWorker(options, storePath);
    await waitFor('the last worker to read everything and land it', () => {
      const r = w.last();
      if (!r || r.stats.pending > 0) return false;
      const logsDone = [...ends].every(([p, end]) => r.progress.find((x) => x.topic === logsTopic && x.partition === p)?.next === end);
      return logsDone;
    }, 180_000);
    const replayed = w.last()!.stats.replaySkipped;
    await waitFor('two more ticks', async () => { await new Promise((r) => setTimeout(r, 600)); return true; });
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0);
    assert.ok(replayed > 0, 'the restarted worker replayed landed records into its windows only');
  } finally {
    // nothing else to stop: each worker process is waited for above
  }
  const store = await openStore({ driver: 'embedded', path: storePath });
  try {
    await migrate(store);
    const read = await readTopic(logsTopic, { expected: logs.length + 3 });
    await assertLogsExactlyOnce(store, logsTopic, await bodiesByPosition(read));
    const m = await store.query<{ n: string; d: string }>('SELECT count() AS n, uniqExact(kafka_partition, kafka_offset) AS d FROM metrics');
    assert.equal(Number(m[0]!.n), metrics.length + 1);
    assert.equal(Number(m[0]!.d), metrics.length + 1);
    const windows = await assertServiceWindows(store, logs);
    assert.ok(windows > 100);
    await assertMetricWindows(store, metrics);
    const p = await store.query<{ n: string }>('SELECT sum(count) AS n FROM log_patterns');
    assert.equal(Number(p[0]!.n), logs.length + 3, 'pattern counts add up to the records, each once');
    const miner = await store.query<{ n: string }>("SELECT count() AS n FROM pipeline_state WHERE startsWith(key, 'miner/')");
    assert.ok(Number(miner[0]!.n) > 0, 'the miner snapshot was saved');
  } finally {
    await store.close();
    rmSync(storePath, { recursive: true, force: true });
  }
});

/** Raw rows and windows of one store, read after its worker process stopped. */
async function readStore(path: string, topic: string): Promise<{ rows: Map<string, string>; doubled: number; windows: Map<string, StoredWindow>; patternCount: number }> {
  const store = await openStore({ driver: 'embedded', path });
  try {
    const list = await store.query<{ p: number; o: string; body: string }>('SELECT kafka_partition AS p, toString(kafka_offset) AS o, body FROM logs WHERE kafka_topic = {topic:String}', { topic });
    const rows = new Map(list.map((r) => [`${r.p}/${r.o}`, r.body]));
    const p = await store.query<{ n: string }>('SELECT sum(count) AS n FROM log_patterns');
    return { rows, doubled: list.length - rows.size, windows: await serviceWindowRows(store), patternCount: Number(p[0]!.n) };
  } finally {
    await store.close();
  }
}

/*
 * The rule for two stores. Each worker lands what it consumed in its own store. When partition p moves
 * from A to B, B re-reads p from A's last commit, which lies at or before the first record A had not
 * landed and at or before the oldest record in A's open windows. B cannot see A's store, so the records
 * A had landed past that commit are landed again, in B's store. Hence:
 *   1. neither store holds a record twice;
 *   2. the union of both stores holds every produced record, and nothing else;
 *   3. a record is in both stores only if its partition moved from A to B, and for each such partition
 *      the doubled offsets form one contiguous range (A's commit .. A's last landed record);
 *   4. windows: for every key the row with the highest version over both stores equals the reference
 *      (B rebuilt every window it re-read in full; A's rows for them are the same or partial);
 *   5. pattern counts in each store add up to that store's rows.
 * With one shared ClickHouse (a server, or one engine as in worker.test.ts) rule 3's range is skipped,
 * because B finds A's rows there, and the same run gives every record exactly once.
 */
test('two worker processes with their own stores and a rebalance in the middle: the union is the input exactly once', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('two-logs', 4);
  const metricsTopic = await createTestTopic('two-metrics', 1);
  const dlqTopic = await createTestTopic('two-dlq', 1);
  const [pathA, pathB] = [mkdtempSync(join(tmpdir(), 'tributary-a-')), mkdtempSync(join(tmpdir(), 'tributary-b-'))];
  const base = baseTime();
  const logs = makeLogs(12_000, { base, spanMs: 6 * 60_000, services: 8 });
  const options = { brokers, groupId: `g-two-${Date.now()}`, logsTopic, metricsTopic, dlqTopic, batchMaxRows: 700, batchMaxWaitMs: 100, tickMs: 200 };
  try {
    const producing = produce(logsTopic, logs, { chunk: 500, overMs: 10_000 });
    const a = spawnWorker(options, pathA);
    await waitFor('worker A to land some records', () => (a.last()?.stats.stored ?? 0) >= 2000, 120_000, 20);
    const b = spawnWorker(options, pathB);
    await waitFor('worker B to take partitions over', () => (b.last()?.stats.stored ?? 0) > 0, 120_000, 20);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited, 0);
    await producing;
    await produce(logsTopic, closingRecords(4, base + 20 * 60_000));
    const ends = await endOffsets(logsTopic);
    await waitFor('worker B to read everything and land it', () => {
      const r = b.last();
      return !!r && r.stats.pending === 0 && [...ends].every(([p, end]) => r.progress.find((x) => x.topic === logsTopic && x.partition === p)?.next === end);
    }, 180_000);
    await new Promise((r) => setTimeout(r, 800));
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    const sa = await readStore(pathA, logsTopic);
    const sb = await readStore(pathB, logsTopic);
    // 1
    assert.equal(sa.doubled, 0, 'store A holds no record twice');
    assert.equal(sb.doubled, 0, 'store B holds no record twice');
    // 2
    const read = await readTopic(logsTopic, { expected: logs.length + 4 });
    const expected = await bodiesByPosition(read);
    const union = new Map([...sa.rows, ...sb.rows]);
    const missing = [...expected.keys()].filter((k) => !union.has(k));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} records in neither store`);
    assert.equal(union.size, expected.size, 'nothing else in the stores');
    for (const [k, body] of union) assert.equal(body, expected.get(k));
    // 3
    const both = [...sa.rows.keys()].filter((k) => sb.rows.has(k));
    const byPartition = new Map<number, number[]>();
    for (const k of both) {
      const [p, o] = k.split('/').map(Number) as [number, number];
      byPartition.set(p, [...(byPartition.get(p) ?? []), o]);
    }
    const partitionsOfA = new Set([...sa.rows.keys()].map((k) => Number(k.split('/')[0])));
    for (const [p, offsets] of byPartition) {
      assert.ok(partitionsOfA.has(p), `partition ${p} doubled but A never had it`);
      offsets.sort((x, y) => x - y);
      assert.equal(offsets.at(-1)! - offsets[0]! + 1, offsets.length, `partition ${p}: the doubled offsets are one contiguous range`);
    }
    // 4
    const merged = new Map<string, StoredWindow>();
    for (const w of [sa.windows, sb.windows]) {
      for (const [k, row] of w) {
        const cur = merged.get(k);
        if (!cur || Number(row.version) > Number(cur.version)) merged.set(k, row);
        else if (Number(row.version) === Number(cur.version)) assert.equal(Number(row.count), Number(cur.count), `${k}: equal versions, equal rows`);
      }
    }
    checkServiceWindows(merged, logs);
    // 5
    assert.equal(sa.patternCount, sa.rows.size);
    assert.equal(sb.patternCount, sb.rows.size);
  } finally {
    rmSync(pathA, { recursive: true, force: true });
    rmSync(pathB, { recursive: true, force: true });
  }
});
