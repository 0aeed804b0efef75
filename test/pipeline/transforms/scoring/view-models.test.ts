// Models bound to feature views, on real onnxruntime sessions: the three output kinds, batching (one
// session.run per tick across keys), missing values, and refusals that name the model and the view.
// The ONNX graphs are tiny hand-built fixtures (test/fixtures/view-models/make.py), and scikit-learn
// models exported by skl2onnx with its defaults, whose scores must equal scikit-learn's own
// (test/fixtures/view-models/make_sklearn.py, sklearn-vectors.json).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ViewModels, type ViewModelManifest } from '../../../../pipeline/transforms/scoring/view-models.ts';
import { ViewEngine, type ViewEmission } from '../../../../pipeline/transforms/features/views/engine.ts';
import { view } from '../features/views/fixtures.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/view-models');
const dir = mkdtempSync(join(tmpdir(), 'view-models-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['regression', 'binary', 'multiclass', 'sk-logreg', 'sk-forest', 'sk-columns', 'sk-ridge-double', 'sk-iforest', 'sk-batch1', 'lgbm']) copyFileSync(join(FIXTURES, `${f}.onnx`), join(dir, `${f}.onnx`));

const V = view({ aggregations: [{ name: 'n', fn: 'count' }, { name: 'total', fn: 'sum', field: 'amount' }, { name: 'errors', fn: 'count_if', condition: 'status >= 500' }, { name: 'avg_latency', fn: 'mean', field: 'latency' }] });
const VIEWS = new Map([[V.name, V]]);
const T0 = Date.parse('2026-11-29T10:00:00Z');

function manifest(name: string, over: Partial<ViewModelManifest> & Record<string, unknown> = {}): string {
  const kind = (over.output?.kind ?? name) as ViewModelManifest['output']['kind'];
  const m = {
    name, version: '1', view: 'card', model_file: `${name}.onnx`, features: ['n', 'total', 'errors'],
    input: { name: 'x' },
    output: { name: kind === 'regression' ? 'y' : kind === 'binary' ? 'p' : 'probs', kind, ...(kind === 'multiclass' ? { classes: ['low', 'mid', 'high'] } : {}) },
    ...over,
  };
  const path = join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(m));
  return path;
}

/** 40 keys, one window each: n = 1..40 events, total = 10 per event, errors = 1 for every fifth key. */
function windows(): ViewEmission[] {
  const e = new ViewEngine(V);
  let o = 0;
  for (let k = 0; k < 40; k++) {
    for (let i = 0; i <= k; i++) e.add({ time: T0 + i, fields: { card_id: `k${k}`, merchant: 'm', amount: 10, status: i === 0 && k % 5 === 0 ? 503 : 200, online: null, latency: null } }, 0, o++, T0);
  }
  return e.flush();
}

const lin = (n: number, total: number, errors: number): number => 0.5 * n + 0.01 * total - 2 * errors + 1;

test('regression, binary and multi-class outputs, each model in one session.run for the whole tick', async () => {
  const models = await ViewModels.open([
    { manifest: manifest('regression', { threshold: 20 }) },
    { manifest: manifest('binary', { output: { name: 'p', kind: 'binary', classes: ['ok', 'fraud'] }, threshold: 0.9 }) },
    { manifest: manifest('multiclass', { alert_labels: ['high'] }) },
  ], VIEWS);
  const rows = windows();
  const { predictions, anomalies } = await models.score(V, rows);
  assert.equal(models.counters.runs, 3, 'one run per model, not per window');
  assert.equal(predictions.length, 120);
  for (const p of predictions) {
    const r = rows.find((e) => e.row.key === p.key)!.row;
    const z = lin(r.n as number, r.total as number, r.errors as number);
    assert.equal(p.version, r.version);
    if (p.model === 'regression') {
      assert.ok(Math.abs(p.score - z) < 1e-4, `${p.score} vs ${z}`);
      assert.equal(p.anomaly, z >= 20 ? 1 : 0);
    } else if (p.model === 'binary') {
      const prob = 1 / (1 + Math.exp(-z));
      assert.ok(Math.abs(p.score - prob) < 1e-5);
      assert.equal(p.label, prob >= 0.9 ? 'fraud' : 'ok');
      assert.ok(Math.abs(p.class_probabilities.fraud! + p.class_probabilities.ok! - 1) < 1e-6);
    } else {
      const x = [r.n as number, r.total as number, r.errors as number];
      const logits = [x[0]! - x[2]!, 0.02 * x[1]! + 0.5, -x[0]! + 2 * x[2]! - 0.5];
      const best = logits.indexOf(Math.max(...logits));
      assert.equal(p.label, ['low', 'mid', 'high'][best]);
      assert.equal(p.anomaly, p.label === 'high' ? 1 : 0);
      assert.ok(Math.abs(Object.values(p.class_probabilities).reduce((s, v) => s + v, 0) - 1) < 1e-5);
    }
  }
  assert.equal(anomalies.length, predictions.filter((p) => p.anomaly).length);
  assert.ok(anomalies.length > 0 && anomalies.every((a) => a.kind === 'view' && a.service === 'card'));
  await models.close();
});

test('per-row scoring gives the same predictions with one run per window', async () => {
  const models = await ViewModels.open([{ manifest: manifest('binary') }], VIEWS);
  const rows = windows();
  const a = await models.score(V, rows);
  const runs = models.counters.runs;
  const b = await models.score(V, rows, { perRow: true });
  assert.equal(models.counters.runs - runs, rows.length);
  assert.deepEqual(b.predictions.map((p) => p.score), a.predictions.map((p) => p.score));
  await models.close();
});

test('a missing feature takes the declared value, and without one the window is not scored (never NaN)', async () => {
  const bare = await ViewModels.open([{ manifest: manifest('regression', { features: ['n', 'total', 'avg_latency'] }) }], VIEWS);
  const rows = windows();
  assert.equal((await bare.score(V, rows)).predictions.length, 0);
  assert.equal(bare.counters.unscoredMissing, rows.length);
  await bare.close();
  const filled = await ViewModels.open([{ manifest: manifest('regression', { features: ['n', 'total', 'avg_latency'], missing: { avg_latency: 0.25 } }) }], VIEWS);
  const { predictions } = await filled.score(V, rows);
  const p = predictions.find((x) => x.key === 'k3')!;
  assert.ok(Math.abs(p.score - (0.5 * 4 + 0.01 * 40 - 2 * 0.25 + 1)) < 1e-5);
  await filled.close();
});

test('normalisation is applied and the features that stood out are named; shadow models never raise anomalies', async () => {
  const models = await ViewModels.open([{ manifest: manifest('regression', { normalization: { center: [10, 0, 0], scale: [2, 1, 1] }, threshold: -1000 }), shadow: true }], VIEWS);
  const { predictions, anomalies } = await models.score(V, windows());
  const p = predictions.find((x) => x.key === 'k30')!;
  assert.ok(Math.abs(p.score - lin((31 - 10) / 2, 310, 1)) < 1e-4);
  assert.equal(p.top_features[0], 'total=310 (z=310.0)');
  assert.deepEqual([p.shadow, p.anomaly, anomalies.length], [1, 0, 0]);
  await models.close();
});

const REFUSED: [string, Record<string, unknown>, RegExp][] = [
  ['a feature the view lacks', { features: ['n', 'totl', 'errors'] }, /model "regression" reads feature "totl", which view "card" \(table view_card_v1\) does not have; the view's features: n, total, errors, avg_latency/],
  ['an unknown view', { view: 'cards' }, /model "regression" reads view "cards", which is not configured \(views: card\)/],
  ['another view version', { view_version: 2 }, /trained on view "card" version 2, the configured view is version 1/],
  ['fewer features than the graph reads', { features: ['n', 'total'] }, /reads 2 features of view "card" \(n, total\), but its ONNX input "x" has shape \[.*3\]/],
  ['a wrong output name', { output: { name: 'score', kind: 'regression' } }, /output mismatch: the manifest says "score", the ONNX model's outputs are "y"/],
  ['a kind the output does not fit', { model_file: 'multiclass.onnx', output: { name: 'probs', kind: 'regression' } }, /output "probs" of a regression model should give 1 score per row/],
  ['multi-class without classes', { model_file: 'multiclass.onnx', output: { name: 'probs', kind: 'multiclass' } }, /must name its classes/],
  ['an unknown kind', { output: { name: 'y', kind: 'ranking' } }, /"output.kind" must be one of regression, binary, multiclass/],
  ['missing for a feature not read', { missing: { avg_latency: 0 } }, /"missing.avg_latency": the model reads no feature "avg_latency"/],
];

for (const [name, over, want] of REFUSED) {
  test(`refused at load, naming both sides: ${name}`, async () => {
    await assert.rejects(ViewModels.open([{ manifest: manifest('regression', over) }], VIEWS), (err: Error) => {
      assert.match(err.message, want);
      return true;
    });
  });
}

test('hot reload: a replaced manifest swaps in between ticks; a replacement that does not fit the view is refused and the previous model keeps scoring', async () => {
  const path = manifest('regression', { version: '1' });
  const models = await ViewModels.open([{ manifest: path }], VIEWS, { watch: true, reloadDebounceMs: 20 });
  const waitFor = (event: 'reloaded' | 'reload-failed'): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      once(models, event).finally(() => clearTimeout(timer)),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${event} event within 10 s`)), 10_000))),
    ]);
  };
  try {
    const rows = windows();
    assert.deepEqual([...new Set((await models.score(V, rows)).predictions.map((p) => p.model_version))], ['1']);
    const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    let reloaded = waitFor('reloaded');
    writeFileSync(path, JSON.stringify({ ...m, version: '2', threshold: 5 }));
    await reloaded;
    const after2 = (await models.score(V, rows)).predictions;
    assert.deepEqual([...new Set(after2.map((p) => p.model_version))], ['2']);
    assert.equal(after2.length, rows.length, 'every window scored once by the replacement');
    const failed = waitFor('reload-failed');
    writeFileSync(path, JSON.stringify({ ...m, version: '3', features: ['n', 'total', 'no_such_feature'] }));
    const err = (await failed) as [Error];
    assert.match(err[0].message, /reads feature "no_such_feature", which view "card"/);
    assert.deepEqual([...new Set((await models.score(V, rows)).predictions.map((p) => p.model_version))], ['2'], 'the previous model keeps scoring');
    reloaded = waitFor('reloaded');
    writeFileSync(path, JSON.stringify({ ...m, version: '4' }));
    await reloaded;
    assert.deepEqual([models.counters.reloads, models.counters.reloadFailures], [2, 1]);
  } finally {
    await models.close();
  }
});

// scikit-learn's outputs for windows() (row k: n = k + 1, total = 10 n, errors = 1 when k % 5 == 0).
const SK = JSON.parse(readFileSync(join(FIXTURES, 'sklearn-vectors.json'), 'utf8')) as {
  rows: number[][]; 'sk-logreg': number[]; 'sk-columns': number[]; 'sk-ridge-double': number[]; 'sk-iforest': number[]; lgbm: number[];
  'sk-forest': { classes: string[]; probabilities: number[][] };
};
const rowOf = (key: string): number => Number(key.slice(1));

test('windows() are the rows scikit-learn scored', () => {
  for (const e of windows()) {
    const k = rowOf(e.row.key as string);
    assert.deepEqual([e.row.n, e.row.total, e.row.errors], SK.rows[k]);
  }
});

test('a scikit-learn classifier exported with its defaults (ZipMap over the probabilities) scores as scikit-learn does', async () => {
  const models = await ViewModels.open([
    { manifest: manifest('sk-logreg', { input: undefined, output: { name: 'output_probability', kind: 'binary' }, threshold: 0.5 }) },
    { manifest: manifest('sk-forest', { input: undefined, output: { name: 'output_probability', kind: 'multiclass' }, alert_labels: ['high'] }) },
  ], VIEWS);
  try {
    assert.deepEqual(models.models[1]!.classes, ['high', 'low', 'mid'], 'the classes as the model orders them, read from its graph');
    const { predictions, anomalies } = await models.score(V, windows());
    assert.equal(predictions.length, 80);
    for (const p of predictions) {
      const k = rowOf(p.key);
      if (p.model === 'sk-logreg') {
        assert.ok(Math.abs(p.score - SK['sk-logreg'][k]!) < 1e-5, `row ${k}: ${p.score} against scikit-learn's ${SK['sk-logreg'][k]}`);
        assert.equal(p.label, SK['sk-logreg'][k]! >= 0.5 ? '1' : '0');
      } else {
        const want = SK['sk-forest'].probabilities[k]!;
        SK['sk-forest'].classes.forEach((c, i) => assert.ok(Math.abs(p.class_probabilities[c]! - want[i]!) < 1e-5, `row ${k} class ${c}`));
        assert.equal(p.label, SK['sk-forest'].classes[want.indexOf(Math.max(...want))]);
      }
    }
    assert.ok(predictions.some((p) => p.model === 'sk-forest' && p.label === 'high') && predictions.some((p) => p.model === 'sk-forest' && p.label !== 'high'), 'the fixture spans classes');
    assert.equal(anomalies.filter((a) => a.model === 'sk-forest').length, predictions.filter((p) => p.model === 'sk-forest' && p.label === 'high').length);
  } finally {
    await models.close();
  }
});

test('one input per feature, float64 in and out, and an isolation forest whose low scores are the anomalies', async () => {
  const models = await ViewModels.open([
    { manifest: manifest('sk-columns', { input: undefined, output: { name: 'probabilities', kind: 'binary' } }) },
    { manifest: manifest('sk-ridge-double', { input: { name: 'X' }, output: { name: 'variable', kind: 'regression' } }) },
    { manifest: manifest('sk-iforest', { input: undefined, output: { name: 'scores', kind: 'regression', higher_is_anomalous: false }, threshold: 0 }) },
  ], VIEWS);
  try {
    assert.deepEqual(models.models.map((m) => [m.feed, m.inputType]), [['columns', 'float32'], ['matrix', 'float64'], ['matrix', 'float32']]);
    const { predictions, anomalies } = await models.score(V, windows());
    for (const p of predictions) {
      const k = rowOf(p.key);
      const want = SK[p.model as 'sk-columns' | 'sk-ridge-double' | 'sk-iforest'][k]!;
      // float64 end to end: far closer than float32's 1e-7 relative.
      const tol = p.model === 'sk-ridge-double' ? 1e-9 : 1e-5;
      assert.ok(Math.abs(p.score - want) < tol, `${p.model} row ${k}: ${p.score} against scikit-learn's ${want}`);
    }
    const outliers = SK['sk-iforest'].filter((x) => x <= 0).length;
    assert.ok(outliers > 0 && outliers < 40, 'the fixture has outliers and inliers');
    assert.equal(anomalies.filter((a) => a.model === 'sk-iforest').length, outliers, 'an isolation forest flags the windows scoring at or below the threshold');
  } finally {
    await models.close();
  }
});

test('LightGBM through onnxmltools (a ZipMap too), and a graph that takes one row per run (a fixed batch of 1)', async () => {
  const models = await ViewModels.open([
    { manifest: manifest('lgbm', { input: undefined, output: { name: 'probabilities', kind: 'binary' }, threshold: 0.2 }) },
    { manifest: manifest('sk-batch1', { input: undefined, output: { name: 'probabilities', kind: 'binary' } }) },
  ], VIEWS);
  try {
    assert.deepEqual(models.models.map((m) => m.batch), [undefined, 1]);
    const { predictions } = await models.score(V, windows());
    assert.equal(predictions.length, 80);
    for (const p of predictions) {
      const k = rowOf(p.key);
      // sk-batch1 is sk-logreg's pipeline exported with its input fixed at [1, 3].
      const want = p.model === 'lgbm' ? SK.lgbm[k]! : SK['sk-logreg'][k]!;
      assert.ok(Math.abs(p.score - want) < 1e-5, `${p.model} row ${k}: ${p.score} against ${want}`);
    }
    assert.ok(new Set(SK.lgbm).size > 1, 'the fixture gives more than one probability');
  } finally {
    await models.close();
  }
});

const SK_REFUSED: Array<[string, string, Partial<ViewModelManifest> & Record<string, unknown>, RegExp]> = [
  ['a classifier\'s labels named as its output', 'sk-logreg', { input: undefined, output: { name: 'output_label', kind: 'binary' } }, /output "output_label" holds int64 values \(a classifier's labels\?\).*one of "output_probability"/],
  ['string classes in another order than the model\'s', 'sk-forest', { input: undefined, output: { name: 'output_probability', kind: 'multiclass', classes: ['low', 'mid', 'high'] } }, /"output.classes" are low, mid, high, but the ONNX model's classifier gives its probabilities in the order high, low, mid/],
  ['too few names for a classifier\'s integer classes', 'sk-logreg', { input: undefined, output: { name: 'output_probability', kind: 'multiclass', classes: ['a', 'b', 'c'] } }, /names 3 classes \(a, b, c\); the ONNX model's classifier has 2 \(0, 1\)/],
  ['one input named for a model with one per feature', 'sk-columns', { input: { name: 'x' }, output: { name: 'probabilities', kind: 'binary' } }, /the ONNX model's inputs are "n", "total", "errors" \(its inputs are named after features: leave "input" out/],
  ['per-feature inputs that are not the features read', 'sk-columns', { input: undefined, features: ['n', 'total', 'avg_latency'], missing: { avg_latency: 0 }, output: { name: 'probabilities', kind: 'binary' } }, /inputs must be its 3 features, one each; they are "n", "total", "errors" \(no input for "avg_latency"\) \(not features: "errors"\)/],
];

for (const [name, file, over, want] of SK_REFUSED) {
  test(`refused at load: ${name}`, async () => {
    await assert.rejects(ViewModels.open([{ manifest: manifest(file, over) }], VIEWS), (err: Error) => {
      assert.match(err.message, want);
      return true;
    });
  });
}
