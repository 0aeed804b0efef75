/**
 * Models without code, through a real worker (real broker, chDB, ONNX): a third model named only in
 * the worker's config scores windows; replacing its files hot-reloads it; a broken model file is
 * refused and the previous version keeps scoring; a shadow model's scores are stored and raise no
 * anomaly. Every score row names its model and version.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scoringConfigOf, validateWorkerConfig, workerOptions } from '../../pipeline/config.ts';
import { Scorer } from '../../pipeline/transforms/scoring/scorer.ts';
import { Worker, windowScorerOf } from '../../pipeline/worker.ts';
import { createTestTopic, testBrokers } from '../helpers/kafka.ts';
import { baseTime, makeLogs, produce, tempStore, waitFor } from '../helpers/pipeline-data.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const brokers = await testBrokers();
const shared = await tempStore();
const dir = mkdtempSync(join(tmpdir(), 'tributary-models-'));
after(async () => {
  await shared.store.close();
  rmSync(shared.path, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the shipped service model under another name, version and threshold (a model "trained elsewhere"). */
function writeModel(name: string, version: string, threshold: number): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(root, 'models/service-window-maxz/manifest.json'), 'utf8')) as Record<string, unknown>;
  copyFileSync(join(root, 'models/service-window-maxz/model.onnx'), join(folder, 'model.onnx.tmp'));
  renameSync(join(folder, 'model.onnx.tmp'), join(folder, 'model.onnx'));
  writeFileSync(join(folder, 'manifest.json.tmp'), JSON.stringify({ ...manifest, name, version, threshold }));
  renameSync(join(folder, 'manifest.json.tmp'), join(folder, 'manifest.json'));
  return join(folder, 'manifest.json');
}

async function scoreRows(model: string): Promise<Array<{ v: string; n: number; shadow: number }>> {
  return (await shared.store.query<{ v: string; n: string; shadow: number }>(
    'SELECT model_version AS v, count() AS n, max(shadow) AS shadow FROM model_scores FINAL WHERE model = {m:String} GROUP BY v ORDER BY v',
    { m: model },
  )).map((r) => ({ v: r.v, n: Number(r.n), shadow: Number(r.shadow) }));
}

test('a third model added by config scores windows, hot-reloads, survives a broken file; a shadow model raises nothing', async () => {
  const logs = await createTestTopic('models-logs', 1);
  const metrics = await createTestTopic('models-metrics', 1);
  const dlq = await createTestTopic('models-dlq', 1);
  // Thresholds far below any score: a live model flags every window, so "no anomaly" can only come from shadow mode.
  const third = writeModel('third-model', 'v1', -1e9);
  const shadow = writeModel('shadow-model', 's1', -1e9);
  const yaml = {
    kafka: { brokers, group: `g-models-${Date.now()}` },
    topics: { logs, metrics, dlq },
    batch: { max_rows: 1000, max_wait_ms: 100 },
    tick_ms: 200,
    windows: { sizes_ms: [60_000] },
    scoring: { reload_debounce_ms: 100 },
    models: [
      { manifest: join(root, 'models/service-window-maxz/manifest.json') },
      { manifest: third },
      { manifest: shadow, shadow: true },
    ],
  };
  const cfg = validateWorkerConfig(yaml, { env: {} });
  const scoring = await Scorer.open(scoringConfigOf(cfg)!);
  const worker = new Worker({ ...workerOptions(cfg), store: shared.store, scorer: windowScorerOf(scoring) });
  await worker.start();
  const base = baseTime();
  const phase = (k: number) => produce(logs, makeLogs(1200, { base: base + k * 8 * 60_000, spanMs: 8 * 60_000, services: 3, seed: k }));
  try {
    // Phase 1: eight minutes per service; baselines warm after five windows, then every model scores.
    await phase(0);
    await waitFor('the third model (v1) to score windows', async () => (await scoreRows('third-model')).some((r) => r.v === 'v1'), 60_000);
    // Phase 2: a new version of the third model, written over the old files, is swapped in.
    const reloaded = once(scoring, 'reloaded');
    writeModel('third-model', 'v2', -1e9);
    await reloaded;
    await phase(1);
    await waitFor('v2 to score the new windows', async () => (await scoreRows('third-model')).some((r) => r.v === 'v2'), 60_000);
    // Phase 3: a broken model file is refused; v2 keeps scoring.
    const refused = once(scoring, 'reload-failed');
    writeFileSync(join(dir, 'third-model', 'model.onnx.tmp'), 'not an onnx model');
    renameSync(join(dir, 'third-model', 'model.onnx.tmp'), join(dir, 'third-model', 'model.onnx'));
    const [err] = (await refused) as [Error];
    assert.match(err.message, /third-model|model\.onnx/, 'the error names the file');
    const v2Before = (await scoreRows('third-model')).find((r) => r.v === 'v2')!.n;
    await phase(2);
    await waitFor('v2 to keep scoring after the refused file', async () => (await scoreRows('third-model')).find((r) => r.v === 'v2')!.n > v2Before, 60_000);
    assert.equal(scoring.models().find((m) => m.name === 'third-model')?.version, 'v2');
    assert.ok(scoring.models().find((m) => m.name === 'third-model')?.lastError, 'the refusal is visible');
  } finally {
    await worker.stop();
    await scoring.close();
  }
  const versions = (await scoreRows('third-model')).map((r) => r.v);
  assert.deepEqual(versions, ['v1', 'v2'], 'only the versions that loaded ever scored');
  const s = await scoreRows('shadow-model');
  assert.ok(s.length === 1 && s[0]!.n > 0 && s[0]!.shadow === 1, 'the shadow model\'s scores are stored, marked shadow');
  const anomalies = await shared.store.query<{ model: string; n: string }>('SELECT model, count() AS n FROM anomalies FINAL GROUP BY model');
  const by = new Map(anomalies.map((a) => [a.model, Number(a.n)]));
  assert.ok((by.get('third-model') ?? 0) > 0, 'the live third model raises anomalies at its threshold');
  assert.equal(by.get('shadow-model') ?? 0, 0, 'the shadow model raises none at the same threshold');
  // Window rows carry the first live model of their kind; every scored row names a model and a version.
  const rows = await shared.store.query<{ m: string; bad: string }>("SELECT any(model) AS m, countIf(model = '' OR model_version = '') AS bad FROM service_windows FINAL WHERE scored = 1");
  assert.equal(rows[0]!.m, 'service-window-maxz');
  assert.equal(Number(rows[0]!.bad), 0);
  const unnamed = await shared.store.query<{ n: string }>("SELECT count() AS n FROM model_scores WHERE model = '' OR model_version = ''");
  assert.equal(Number(unnamed[0]!.n), 0);
});
