/**
 * `kill -9` of a worker process mid-stream, twice, then a restart: ClickHouse ends up with exactly the
 * produced records (no more, no less), pattern counts that add up to them, and window rows equal to
 * the reference. Each worker process owns the chDB folder in turn (one owner at a time), and the test
 * reads it once the last one stopped.
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
  assertLogsExactlyOnce, assertMetricWindows, assertServiceWindows, baseTime, bodiesByPosition, closingRecords, endOffsets, makeLogs,
  makeMetrics, produce, waitFor,
} from '../helpers/pipeline-data.ts';

await testBrokers();
const root = fileURLToPath(new URL('../..', import.meta.url));

interface Report {
  stats: { consumed: number; stored: number; pending: number; replaySkipped: number; serviceWindowRows: number };
  progress: Array<{ topic: string; partition: number; next: number; pending: number }>;
}

function spawnWorker(options: object, storePath: string): { child: ChildProcess; last: () => Report | undefined; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/worker-process.ts'), JSON.stringify(options), storePath], {
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
  await produce(logsTopic, logs, { chunk: 5000 });
  await produce(metricsTopic, metrics);
  const closeAt = base + 30 * 60_000;
  await produce(logsTopic, closingRecords(3, closeAt));
  await produce(metricsTopic, [{ partition: 0, value: JSON.stringify({ v: 1, time: new Date(closeAt).toISOString(), service: 'zz-tick', host: 'h', name: 'tick', kind: 'gauge', value: 0 }) }]);
  const ends = await endOffsets(logsTopic);
  const options = {
    brokers, groupId: `g-crash-${Date.now()}`, logsTopic, metricsTopic, dlqTopic,
    batchMaxRows: 700, batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, snapshotIntervalMs: 1000,
  };
  try {
    // Two crashes at different points of the stream.
    for (const killAt of [6000, 9000]) {
      const w = spawnWorker(options, storePath);
      await waitFor(`the worker to land ${killAt} records`, () => (w.last()?.stats.stored ?? 0) >= killAt, 120_000, 20);
      w.child.kill('SIGKILL');
      assert.equal(await w.exited, null, 'killed, not exited');
    }
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
