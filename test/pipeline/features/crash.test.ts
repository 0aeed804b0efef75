/**
 * kill -9 during live scoring and during a backfill changes no landed row. Worker processes with a
 * feature view and a bound model read payments while they are produced; the first kills itself right
 * after a tick's view rows landed and before their predictions did, the second is killed from outside
 * later on, the third runs to the end; then a backfill of the whole range is killed after its third
 * insert. Afterwards: the view's rows (FINAL) are exactly what the feature code computes from the
 * input, every physical row of one (key, window, version) is byte-identical (a replay wrote the same
 * bytes; late_count aside, see the README), predictions likewise, and the raw table holds every event once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../../core/storage/migrate.ts';
import { openStore } from '../../../core/storage/open.ts';
import { computeRows } from '../../../pipeline/features/backfill.ts';
import { compileFeatures } from '../../../pipeline/features/config.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { baseTime, endOffsets, waitFor } from '../../helpers/pipeline-data.ts';
import { closing, conflictingRows, features, modelEntry, PARTITIONS, partitionOf, payments, produceTimed, records, viewRows } from './data.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const brokers = await testBrokers();
const TABLE = 'view_card_activity_v1';

interface Report {
  stats: { consumed: number; pending: number };
  views: Array<{ rows: number; predictions: number }>;
}

function spawnJob(job: object, storePath: string, crashAfter = ''): { child: ChildProcess; last: () => Report | undefined; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/features-process.ts'), JSON.stringify(job), storePath, crashAfter], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: process.env.FEATURES_CRASH_LOG_LEVEL ?? 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
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

test('kill -9 during live scoring (twice) and during a backfill changes no landed row', async () => {
  const topic = await createTestTopic('crash-payments', PARTITIONS);
  const storePath = mkdtempSync(join(tmpdir(), 'tributary-features-crash-'));
  const base = baseTime(3);
  const events = payments(base, 23);
  const config = features(topic);
  // Closed windows are kept a minute only, so a restart replays little of a key's past: derived
  // features of rebuilt windows then depend on the saved baselines being restored.
  config.views![0]!.window.retention = '1m';
  const options = {
    brokers, groupId: `g-fcrash-${Date.now()}`, logsTopic: await createTestTopic('fc-logs', 1), metricsTopic: await createTestTopic('fc-metrics', 1),
    dlqTopic: await createTestTopic('fc-dlq', 1), batchMaxRows: 200, batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, snapshotIntervalMs: 1000,
    features: config, models: [modelEntry()],
  };
  // Events arrive while the workers run, in small sends, so windows close tick by tick.
  const recs = records(events);
  const compiled = compileFeatures(config);
  const inputs = () => events.map((e, i) => ({ time: e.ts, partition: partitionOf(e.card_id), offset: i, event: { time: e.ts, fields: { ...e, region: partitionOf(e.card_id) } } }));
  const view = compiled.views.get('card_activity')!;
  const reference = computeRows({ view, from: -Infinity, to: Infinity }, inputs());
  const producing = produceTimed(brokers, topic, recs, { chunk: 25, pauseMs: 400 }).then(() => produceTimed(brokers, topic, closing(base + 3 * 3600_000)));
  try {
    const first = spawnJob({ mode: 'worker', options }, storePath, `${TABLE}:3`);
    assert.equal(await first.exited, null, 'killed itself after its third view insert, before that tick\'s predictions');
    const second = spawnJob({ mode: 'worker', options }, storePath);
    // Killed half way, while windows are still closing: the next worker rebuilds them from the last commit.
    await waitFor('the second worker to land half the predictions', () => (second.last()?.views[0]?.predictions ?? 0) >= reference.length / 2, 120_000, 20);
    second.child.kill('SIGKILL');
    assert.equal(await second.exited, null);
    await producing;
    const ends = await endOffsets(topic);
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > events.length);
    const third = spawnJob({ mode: 'worker', options }, storePath);
    await waitFor('the third worker to read everything', () => (third.last()?.stats.consumed ?? 0) >= 1 && (third.last()?.stats.pending ?? 1) === 0 && (third.last()?.views[0]?.rows ?? 0) > 0, 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0);
    const bf = spawnJob({ mode: 'backfill', features: config, view: 'card_activity', from: base - 3600_000, to: base + 3600_000, brokers, rowsPerInsert: 40 }, storePath, `${TABLE}:3`);
    assert.equal(await bf.exited, null, 'the backfill was killed after its third insert');
  } finally {
    await producing.catch(() => undefined);
  }

  const store = await openStore({ driver: 'embedded', path: storePath });
  try {
    await migrate(store);
    const rows = await viewRows(store, TABLE);
    assert.equal(rows.size, reference.length, 'one row per window');
    for (const e of reference) {
      const r = rows.get(`${e.row.key}|${e.row.window_start}`);
      assert.ok(r, `${e.row.key} ${e.row.window_start}`);
      assert.equal(Number(r.version), e.row.version);
      for (const f of view.features) assert.equal(r[f.name] === null ? null : Number(r[f.name]), e.row[f.name], `${e.row.key} ${e.row.window_start} ${f.name}`);
    }
    // Background merges may already have folded repeats together, so this can only catch a conflict they left.
    assert.equal(await conflictingRows(store, TABLE), 0, 'no replay or backfill changed a landed view row');
    const p = await store.query<{ n: string; conflicts: string }>(
      `SELECT (SELECT count() FROM predictions FINAL WHERE key NOT LIKE 'zz-%') AS n,
        (SELECT count() FROM (SELECT key, window_start, version, model, uniqExact(cityHash64(*)) AS v FROM predictions GROUP BY key, window_start, version, model HAVING v > 1)) AS conflicts`,
    );
    assert.deepEqual([Number(p[0]!.n), Number(p[0]!.conflicts)], [reference.length, 0], 'one prediction per window, never two different ones for one window version');
    const raw = await store.query<{ n: string; u: string }>("SELECT count() AS n, uniqExact(kafka_partition, kafka_offset) AS u FROM payments_raw WHERE card_id NOT LIKE 'zz-%'");
    assert.deepEqual([Number(raw[0]!.n), Number(raw[0]!.u)], [events.length, events.length], 'every event once in the raw table');
  } finally {
    await store.close();
    rmSync(storePath, { recursive: true, force: true });
  }
});
