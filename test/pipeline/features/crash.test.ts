/**
 * kill -9 during live scoring and during a backfill changes no landed row. Worker processes with two
 * feature views (card_activity: 5-minute windows of sparse cards, with a bound model; channel: a dense
 * view, a window per key every minute, whose derived features reach back across every restart) read
 * payments while they are produced; the first kills itself right after a tick's view rows landed and
 * before their predictions did, the next two are killed from outside once they landed windows of their
 * own (their commits held minutes behind the dense view's newest windows by the 5-minute view), the
 * last runs to the end; then a backfill of the whole range is killed after its third insert. Afterwards:
 * both views' rows (FINAL) are exactly what the feature code computes from the input, derived features
 * included, every physical row of one (key, window, version) is byte-identical (a replay wrote the
 * same bytes; late_count aside, see the README), predictions likewise, and the raw table holds every
 * event once. The dense view is the regression test of a replay that rebuilt landed windows against
 * a baseline already trimmed to newer ones (robust_z and change lost their past).
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
import { type Store } from '../../../core/storage/store.ts';
import { type CompiledView } from '../../../pipeline/transforms/features/views/definition.ts';
import { type ViewEmission } from '../../../pipeline/transforms/features/views/engine.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { baseTime, endOffsets, waitFor } from '../../helpers/pipeline-data.ts';
import { channelView, closing, conflictingRows, features, modelEntry, PARTITIONS, partitionOf, payments, produceTimed, records, viewRows } from './data.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const brokers = await testBrokers();
const TABLE = 'view_card_activity_v1';

interface Report {
  stats: { consumed: number; pending: number; lag: number };
  views: Array<{ rows: number; predictions: number }>;
}

const children: ChildProcess[] = [];

function spawnJob(job: object, storePath: string, crashAfter = ''): { child: ChildProcess; last: () => Report | undefined; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/features-process.ts'), JSON.stringify(job), storePath, crashAfter], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: process.env.FEATURES_CRASH_LOG_LEVEL ?? 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
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

/** Read something, nothing left to read or land. */
function caughtUp(r: Report | undefined): boolean {
  return r !== undefined && r.stats.consumed > 0 && r.stats.pending === 0 && r.stats.lag === 0;
}

/** The job's exit code (null when killed by a signal); fails instead of hanging when it does not exit. */
async function exitOf(job: { child: ChildProcess; exited: Promise<number | null> }, timeoutMs = 120_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      job.child.kill('SIGKILL');
      reject(new Error(`a job did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([job.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every view's rows (FINAL) equal its reference, derived features included, and no (key, window, version) has two contents. */
async function checkViewRows(store: Store, views: ReadonlyArray<readonly [CompiledView, ViewEmission[]]>): Promise<void> {
  for (const [v, ref] of views) {
    const rows = await viewRows(store, v.table);
    const wrong: string[] = [];
    for (const e of ref) {
      const r = rows.get(`${e.row.key}|${e.row.window_start}`);
      if (!r) {
        wrong.push(`${e.row.key} ${e.row.window_start}: missing`);
        continue;
      }
      if (Number(r.version) !== e.row.version) wrong.push(`${e.row.key} ${e.row.window_start}: version ${r.version}, expected ${e.row.version}`);
      for (const f of v.features) {
        const got = r[f.name] === null ? null : Number(r[f.name]);
        if (got !== e.row[f.name]) wrong.push(`${e.row.key} ${e.row.window_start} ${f.name}: ${got}, expected ${e.row[f.name]}`);
      }
    }
    assert.deepEqual(wrong, [], `${v.name}: rows that differ from the reference`);
    assert.equal(rows.size, ref.length, `${v.name}: one row per window`);
    // Background merges may already have folded repeats together, so this can only catch a conflict they left.
    assert.equal(await conflictingRows(store, v.table), 0, `${v.name}: no replay or backfill changed a landed view row`);
  }
}

async function checkViews(storePath: string, views: ReadonlyArray<readonly [CompiledView, ViewEmission[]]>): Promise<void> {
  const store = await openStore({ driver: 'embedded', path: storePath });
  try {
    await checkViewRows(store, views);
  } finally {
    await store.close();
  }
}

test('kill -9 during live scoring (three times) and during a backfill changes no landed row', async () => {
  const topic = await createTestTopic('crash-payments', PARTITIONS);
  const storePath = mkdtempSync(join(tmpdir(), 'tributary-features-crash-'));
  const base = baseTime(3);
  const events = payments(base, 23);
  const config = features(topic);
  config.views!.push(channelView());
  // Closed windows are kept a minute only, so a restart replays little of a key's past: derived
  // features of rebuilt windows then depend on the saved baselines being restored.
  for (const v of config.views!) v.window.retention = '1m';
  const options = {
    brokers, groupId: `g-fcrash-${Date.now()}`, logsTopic: await createTestTopic('fc-logs', 1), metricsTopic: await createTestTopic('fc-metrics', 1),
    dlqTopic: await createTestTopic('fc-dlq', 1), sessionTimeoutMs: 6000, batchMaxRows: 200, batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, snapshotIntervalMs: 200,
    features: config, models: [modelEntry()],
  };
  // Events arrive while the workers run, in small sends, so windows close tick by tick.
  const recs = records(events);
  const compiled = compileFeatures(config);
  const inputs = () => events.map((e, i) => ({ time: e.ts, partition: partitionOf(e.card_id), offset: i, event: { time: e.ts, fields: { ...e, region: partitionOf(e.card_id) } } }));
  const view = compiled.views.get('card_activity')!;
  const reference = computeRows({ view, from: -Infinity, to: Infinity }, inputs());
  const channel = compiled.views.get('channel')!;
  const channelReference = computeRows({ view: channel, from: -Infinity, to: Infinity }, inputs());
  const producing = produceTimed(brokers, topic, recs, { chunk: 15, pauseMs: 400 }).then(() => produceTimed(brokers, topic, closing(base + 3 * 3600_000)));
  try {
    const first = spawnJob({ mode: 'worker', options }, storePath, `${TABLE}:3`);
    assert.equal(await exitOf(first), null, 'killed itself after its third view insert, before that tick\'s predictions');
    // Then two workers killed from outside once they landed dense-view windows of their own (or caught
    // up): snapshots follow every tick, so the next worker restores baselines that know those windows
    // while its replay starts at a commit the 5-minute view holds minutes behind them.
    for (const n of [2, 3]) {
      const w = spawnJob({ mode: 'worker', options }, storePath);
      await waitFor(`worker ${n} to land windows`, () => (w.last()?.views[1]?.rows ?? 0) >= 4 || caughtUp(w.last()), 120_000, 20);
      w.child.kill('SIGKILL');
      assert.equal(await exitOf(w), null);
    }
    await producing;
    const ends = await endOffsets(topic);
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > events.length);
    const last = spawnJob({ mode: 'worker', options }, storePath);
    await waitFor('the last worker to read everything', () => caughtUp(last.last()), 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    last.child.kill('SIGTERM');
    assert.equal(await exitOf(last), 0);
    // Checked before the backfill too: the backfill rewrites card_activity rows, which would hide a wrong live row.
    await checkViews(storePath, [[view, reference], [channel, channelReference]]);
    const bf = spawnJob({ mode: 'backfill', features: config, view: 'card_activity', from: base - 3600_000, to: base + 3600_000, brokers, rowsPerInsert: 40 }, storePath, `${TABLE}:3`);
    assert.equal(await exitOf(bf), null, 'the backfill was killed after its third insert');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await producing.catch(() => undefined);
  }

  const store = await openStore({ driver: 'embedded', path: storePath });
  try {
    await migrate(store);
    await checkViewRows(store, [[view, reference], [channel, channelReference]]);
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
