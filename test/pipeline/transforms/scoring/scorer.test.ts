import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';
import { Scorer } from '../../../../pipeline/transforms/scoring/scorer.ts';
import { ServiceFeatures, type ServiceFeatureSnapshot } from '../../../../pipeline/transforms/features/service.ts';
import { HostFeatures, type HostFeatureSnapshot, type HostWindow } from '../../../../pipeline/transforms/features/host.ts';
import { generateWorkload } from '../../../../workload/generator.ts';
import { replayServiceWindows } from '../../../../workload/replay.ts';

const SERVICE = 'models/service-window-maxz/manifest.json';
const HOST = 'models/host-metrics-maxz/manifest.json';

interface Vectors {
  version: string;
  tolerance: number;
  rows: { key: string; window: unknown; baseline: unknown; features: number[]; score: number }[];
}

test('parity: test vectors through the worker feature code and ONNX session match the training scores', async () => {
  const scorer = await Scorer.open({ models: [{ manifest: SERVICE }, { manifest: HOST }], watch: false });
  try {
    for (const [kind, dir] of [['service', 'models/service-window-maxz'], ['host', 'models/host-metrics-maxz']] as const) {
      const v = JSON.parse(readFileSync(join(dir, 'test-vectors.json'), 'utf8')) as Vectors;
      assert.ok(v.rows.length >= 20, `${kind}: enough vectors`);
      assert.ok(v.rows.some((r) => r.score >= JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).threshold), `${kind}: some vectors are anomalies`);
      const recomputed = v.rows.map((r) => {
        const f = kind === 'service'
          ? ServiceFeatures.restore(r.baseline as ServiceFeatureSnapshot).peek(r.window as ServiceWindowRow)
          : HostFeatures.restore(r.baseline as HostFeatureSnapshot).peek(r.window as HostWindow);
        f.values.forEach((x, j) => assert.ok(Math.abs(x - r.features[j]!) <= 1e-9, `${kind} ${r.key}: feature ${j} ${x} vs ${r.features[j]}`));
        return f.values;
      });
      const { scores, version } = await scorer.scoreVectors(kind, recomputed);
      assert.equal(version, v.version);
      v.rows.forEach((r, i) => assert.ok(Math.abs(scores[i]! - r.score) <= v.tolerance, `${kind} ${r.key}: score ${scores[i]} vs ${r.score}`));
    }
  } finally {
    await scorer.close();
  }
});

function windows(minutes: number): ServiceWindowRow[][] {
  const start = Date.parse('2026-11-24T10:00:00Z');
  const w = generateWorkload({
    seed: 77, startMs: start, durationMs: minutes * 60_000, rateScale: 0.3,
    incidents: [{ kind: 'error_burst', service: 'payments', startMs: start + 20 * 60_000, durationMs: 5 * 60_000 }],
  });
  return [...replayServiceWindows(w)];
}

test('scores every window of a tick in one session.run, fills the rows and names the top features', async () => {
  const scorer = await Scorer.open({ models: [{ manifest: SERVICE }], watch: false });
  try {
    const batches = windows(30);
    const rows: ServiceWindowRow[] = [];
    const anomalies = [];
    for (const b of batches) {
      const runs = scorer.counters.runs;
      const out = await scorer.scoreServiceWindows(b);
      assert.ok(scorer.counters.runs - runs <= 1, 'one run per batch');
      rows.push(...out.rows);
      anomalies.push(...out.anomalies);
    }
    const scored = rows.filter((r) => r.scored === 1);
    assert.equal(rows.filter((r) => r.scored === 0).length, 5 * 5, 'the first five windows of each service are cold');
    assert.ok(scored.every((r) => r.model === 'service-window-maxz' && r.model_version.startsWith('1.0.0') && r.threshold > 0));
    const burst = anomalies.filter((a) => a.service === 'payments' && a.window_start >= '2026-11-24 10:20' && a.window_start < '2026-11-24 10:25');
    assert.ok(burst.length >= 4, `the error burst is flagged (${burst.length} windows)`);
    assert.match(burst[0]!.top_features[0]!, /^error_(ratio_delta|count_z|ratio)=/);
    assert.ok(anomalies.length <= burst.length + 2, `few false alarms: ${anomalies.map((a) => `${a.service} ${a.window_start}`).join(', ')}`);
  } finally {
    await scorer.close();
  }
});

test('hot reload: a replaced model swaps in mid-stream, no window lost or scored twice; a bad replacement is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-reload-'));
  cpSync('models/service-window-maxz', dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const original = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const scorer = await Scorer.open({ models: [{ manifest: manifestPath }], reloadDebounceMs: 20 });
  try {
    const batches = windows(40);
    const seen = new Map<string, number>();
    const versions: string[] = [];
    let replaced = false;
    for (let i = 0; i < batches.length; i++) {
      if (i === Math.floor(batches.length / 2)) {
        // Replace the manifest the way a deploy would: write beside it, rename over it.
        writeFileSync(join(dir, 'manifest.json.tmp'), JSON.stringify({ ...original, version: '2.0.0-test', threshold: 5 }));
        renameSync(join(dir, 'manifest.json.tmp'), manifestPath);
        replaced = true;
      }
      const { rows } = await scorer.scoreServiceWindows(batches[i]!);
      for (const r of rows) {
        const key = `${r.service} ${r.window_start}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (r.scored) versions.push(r.model_version);
      }
      // Let file events arrive between ticks, as they would between a worker's ticks.
      if (replaced) await new Promise((r) => setTimeout(r, 15));
    }
    assert.equal(scorer.models()[0]!.version, '2.0.0-test');
    const total = batches.reduce((a, b) => a + b.length, 0);
    assert.equal(seen.size, total, 'every window came out');
    assert.ok([...seen.values()].every((n) => n === 1), 'no window scored twice');
    const first = versions.indexOf('2.0.0-test');
    assert.ok(first > 0, 'the old version scored the first half');
    assert.ok(versions.slice(first).every((v) => v === '2.0.0-test'), 'never back to the old version after the swap');
    assert.ok(versions.slice(0, first).every((v) => v === original.version));

    // The scorer's watcher does not hold the process open; this timer does, and bounds the wait.
    const refusal = async (change: () => void): Promise<Error> => {
      const failed = once(scorer, 'reload-failed');
      change();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no reload-failed event within 5 s')), 5000); });
      const [err] = await Promise.race([failed, timeout]);
      clearTimeout(timer);
      return err as Error;
    };
    const wrongInput = await refusal(() => writeFileSync(manifestPath, JSON.stringify({ ...original, version: '3.0.0-bad', input: { ...(original.input as object), name: 'x' } })));
    assert.match(wrongInput.message, /input name mismatch: the manifest says "x", the ONNX model's input is "features"/);
    assert.equal(scorer.models()[0]!.version, '2.0.0-test', 'the previous model is kept');
    writeFileSync(manifestPath, JSON.stringify({ ...original, version: '2.0.0-test', threshold: 5 }));
    await new Promise((r) => setTimeout(r, 100));
    const err = await refusal(() => writeFileSync(join(dir, 'model.onnx'), 'garbage'));
    assert.match(err.message, /sha256/);
    assert.match(scorer.models()[0]!.lastError ?? '', /sha256/);
    const { rows } = await scorer.scoreServiceWindows(windows(10).flat().slice(-5).map((r) => ({ ...r, window_start: '2026-11-24 11:00:00.000' })));
    assert.ok(rows.every((r) => r.scored === 0 || r.model_version === '2.0.0-test'), 'the previous model keeps scoring');
    assert.ok(scorer.counters.reloads >= 1);
    assert.ok(scorer.counters.reloadFailures >= 1);
  } finally {
    await scorer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('feature baselines: a scorer restored from another one\'s snapshot scores a taken-over series at once', async () => {
  const a = await Scorer.open({ models: [{ manifest: SERVICE }], watch: false });
  const b = await Scorer.open({ models: [{ manifest: SERVICE }], watch: false });
  const c = await Scorer.open({ models: [{ manifest: SERVICE }], watch: false });
  try {
    const batches = windows(12);
    for (const batch of batches.slice(0, 8)) await a.scoreServiceWindows(batch);
    const saved = JSON.parse(JSON.stringify(a.baselineSnapshot())) as unknown;
    assert.ok(b.restoreBaselines([saved]) > 0, 'baselines adopted');
    const next = batches[8]!.map((r) => ({ ...r }));
    const nextCold = batches[8]!.map((r) => ({ ...r }));
    await b.scoreServiceWindows(next);
    await c.scoreServiceWindows(nextCold);
    assert.ok(next.every((r) => r.scored === 1), 'every window of the restored scorer is scored');
    assert.ok(nextCold.every((r) => r.scored === 0), 'a scorer without the baselines scores none (they are cold)');
    // The same window scored by the original and the restored scorer gets the same score.
    const same = batches[8]!.map((r) => ({ ...r }));
    await a.scoreServiceWindows(same);
    same.forEach((r, i) => assert.equal(r.score, next[i]!.score));
    // A series the scorer already knows keeps its own baseline.
    assert.equal(b.restoreBaselines([saved]), 0);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('a window model whose low scores are the anomalies (higher_is_anomalous: false): an isolation forest exported by skl2onnx', async () => {
  // test/fixtures/view-models/sk-iforest.onnx reads 3 numbers as X [N, 3] and writes `scores`
  // (decision_function: below 0 an outlier); here it reads three service features.
  const dir = mkdtempSync(join(tmpdir(), 'scorer-iforest-'));
  cpSync('test/fixtures/view-models/sk-iforest.onnx', join(dir, 'model.onnx'));
  const manifest = {
    name: 'iforest', version: '1', kind: 'service', window_size_s: [60], model_file: 'model.onnx',
    features: ['log_rate_ratio', 'error_count_z', 'warn_count_z'],
    normalization: { method: 'none', center: [-1, -1, 0], scale: [0.05, 0.005, 10] },
    input: { name: 'X', type: 'float32', shape: [null, 3] },
    output: { name: 'scores', higher_is_anomalous: false }, threshold: -0.05,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const scorer = await Scorer.open({ models: [{ manifest: join(dir, 'manifest.json') }], watch: false });
  try {
    const rows: ServiceWindowRow[] = [];
    let anomalies = 0;
    for (const b of windows(30)) {
      const out = await scorer.scoreServiceWindows(b);
      rows.push(...out.rows);
      anomalies += out.anomalies.length;
    }
    const scored = rows.filter((r) => r.scored === 1);
    const low = scored.filter((r) => r.score <= -0.05).length;
    assert.ok(low > 0 && low < scored.length, `the fixture scores windows on both sides of the threshold (${low} of ${scored.length} at or below)`);
    for (const r of scored) assert.equal(r.anomaly, r.score <= -0.05 ? 1 : 0, `${r.service} ${r.window_start}: score ${r.score}`);
    assert.equal(anomalies, low);
  } finally {
    await scorer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
