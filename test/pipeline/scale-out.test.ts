/**
 * One service bigger than a partition: its records spread over 6 partitions and 3 worker processes
 * (each with its own chDB folder), one of them killed with kill -9 in the middle. Every partition's
 * share of a window travels as a partial over the group's partials topic and meets the others there;
 * the window rows (highest version over the three stores) equal the single-engine reference computed
 * from the input: counts exact, quantiles within the sketch's 1 %. Raw rows: no store holds a record
 * twice and their union is the input exactly (records the killed worker had landed past its last
 * commit are landed again by the new owner, in its own store: the rule of worker-processes.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../core/storage/open.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';
import { baseTime, bodiesByPosition, checkServiceWindows, closingRecords, endOffsets, makeLogs, produce, serviceWindowRows, waitFor, type StoredWindow } from '../helpers/pipeline-data.ts';

await testBrokers();
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Report {
  stats: { consumed: number; stored: number; pending: number; partialsSent: number; partialsMerged: number; serviceWindowRows: number };
  progress: Array<{ topic: string; partition: number; next: number; pending: number; highWatermark: number }>;
}

function spawnWorker(options: object, storePath: string): { child: ChildProcess; last: () => Report | undefined; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/worker-process.ts'), JSON.stringify(options), storePath], {
    cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: Report | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as Report;
    } catch {
      // a log line on stdout
    }
  });
  return { child, last: () => last, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

test('one service over 6 partitions and 3 worker processes, one killed with kill -9: window rows equal the single-engine reference', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('wide-logs', 6);
  const metricsTopic = await createTestTopic('wide-metrics', 1);
  const dlqTopic = await createTestTopic('wide-dlq', 1);
  const group = `g-wide-${Date.now()}`;
  const partialsTopic = await createTestTopic('wide-partials', 6);
  const paths = [0, 1, 2].map((i) => mkdtempSync(join(tmpdir(), `tributary-wide-${i}-`)));
  const base = baseTime();
  // One service; record i goes to partition i % 6, so every partition holds a share of every window.
  const logs = makeLogs(9000, { base, spanMs: 6 * 60_000, services: 1 });
  const spread = logs.map((l, i) => ({ value: l.value, partition: i % 6 }));
  const options = {
    brokers, groupId: group, logsTopic, metricsTopic, dlqTopic, partialsTopic, batchMaxRows: 500, batchMaxWaitMs: 100, tickMs: 200,
    statsIntervalMs: 1000, sessionTimeoutMs: 8000,
  };
  const workers = paths.map((p) => spawnWorker(options, p));
  try {
    await produce(logsTopic, spread.slice(0, 3000));
    const producing = produce(logsTopic, spread.slice(3000), { chunk: 300, overMs: 8000 });
    await waitFor('every worker to hold partitions and land records', () => workers.every((w) => (w.last()?.stats.stored ?? 0) > 0), 120_000, 50);
    // kill -9 the worker that merges the service's windows, mid-stream: its partials partitions and its
    // input partitions move to the other two, which rebuild them from the last commits.
    const merger = workers.find((w) => (w.last()?.stats.partialsMerged ?? 0) > 0) ?? workers[0]!;
    merger.child.kill('SIGKILL');
    assert.equal(await merger.exited, null, 'killed, not exited');
    await producing;
    const closeAt = base + 20 * 60_000;
    await produce(logsTopic, closingRecords(6, closeAt));
    const ends = await endOffsets(logsTopic);
    const live = workers.filter((w) => w !== merger);
    const caughtUp = () => {
      const progress = live.flatMap((w) => w.last()?.progress ?? []);
      const inputDone = [...ends].every(([p, end]) => progress.some((x) => x.topic === logsTopic && x.partition === p && x.next === end));
      return inputDone && live.every((w) => w.last()!.stats.pending === 0 && w.last()!.progress.every((x) => x.next < 0 || x.next >= x.highWatermark));
    };
    await waitFor('the two remaining workers to read every record and every partial', caughtUp, 180_000, 100);
    // The closing records' partials and marks reach the merge side a tick or two later.
    await waitFor('the merged windows to settle', async () => {
      const before = live.map((w) => w.last()!.stats.serviceWindowRows).join();
      await new Promise((r) => setTimeout(r, 2000));
      return caughtUp() && live.map((w) => w.last()!.stats.serviceWindowRows).join() === before && live.some((w) => w.last()!.stats.serviceWindowRows > 0);
    }, 60_000, 0);
    for (const w of live) w.child.kill('SIGTERM');
    for (const w of live) assert.equal(await w.exited, 0);
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  const rows = new Map<string, string>();
  const windows = new Map<string, StoredWindow>();
  for (const path of paths) {
    const store = await openStore({ driver: 'embedded', path });
    try {
      const list = await store.query<{ p: number; o: string; body: string }>('SELECT kafka_partition AS p, toString(kafka_offset) AS o, body FROM logs');
      const own = new Map(list.map((r) => [`${r.p}/${r.o}`, r.body]));
      assert.equal(own.size, list.length, `${path}: no record twice in one store`);
      for (const [k, v] of own) rows.set(k, v);
      for (const [k, row] of await serviceWindowRows(store)) {
        const cur = windows.get(k);
        if (!cur || Number(row.version) > Number(cur.version)) windows.set(k, row);
      }
    } finally {
      await store.close();
      rmSync(path, { recursive: true, force: true });
    }
  }
  const expected = await bodiesByPosition(await readTopic(logsTopic, { expected: logs.length + 6 }));
  assert.equal(rows.size, expected.size, 'the union of the stores is the input');
  for (const [k, body] of rows) assert.equal(body, expected.get(k), `record ${k}`);
  const n = checkServiceWindows(windows, logs);
  assert.ok(n >= 36 + 6, `every 10 s and 1 min window of the service (${n})`);
});
