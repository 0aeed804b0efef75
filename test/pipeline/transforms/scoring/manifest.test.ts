import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, validateManifest } from '../../../../pipeline/transforms/scoring/manifest.ts';

const SHIPPED = ['models/service-window-maxz', 'models/host-metrics-maxz'];

function copyModel(src: string): { dir: string; manifest: Record<string, unknown>; write: (m: Record<string, unknown>) => void; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-model-'));
  cpSync(src, dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  return {
    dir,
    manifest: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>,
    write: (m) => writeFileSync(path, JSON.stringify(m)),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('the shipped models load and match their manifests', async () => {
  for (const dir of SHIPPED) {
    const m = await loadModel(join(dir, 'manifest.json'));
    assert.equal(m.session.inputNames[0], m.manifest.input.name);
    assert.equal(m.featureIndex.length, m.manifest.features.length);
    await m.session.release();
  }
});

test('a model whose input name differs from its manifest is refused, naming both names', async () => {
  const c = copyModel(SHIPPED[0]!);
  try {
    // Same-length rename inside the protobuf: the graph stays valid, its input is now "featurex".
    const onnx = readFileSync(join(c.dir, 'model.onnx'));
    const renamed = Buffer.from(onnx.toString('latin1').replaceAll('features', 'featurex'), 'latin1');
    writeFileSync(join(c.dir, 'model.onnx'), renamed);
    const { sha256: _drop, ...rest } = c.manifest;
    c.write(rest);
    await assert.rejects(loadModel(join(c.dir, 'manifest.json')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MODEL_INVALID');
      assert.match(err.message, /input name mismatch: the manifest says "features", the ONNX model's input is "featurex"/);
      return true;
    });
  } finally {
    c.done();
  }
});

test('a model whose input shape differs from its manifest is refused', async () => {
  const c = copyModel(SHIPPED[0]!);
  try {
    const n = (c.manifest.features as string[]).length;
    const norm = c.manifest.normalization as { center: number[]; scale: number[] };
    c.write({
      ...c.manifest,
      features: (c.manifest.features as string[]).slice(0, n - 1),
      normalization: { ...norm, center: norm.center.slice(0, n - 1), scale: norm.scale.slice(0, n - 1) },
      input: { name: 'features', type: 'float32', shape: [null, n - 1] },
    });
    await assert.rejects(loadModel(join(c.dir, 'manifest.json')), new RegExp(`input shape mismatch: the manifest reads ${n - 1} features as \\[batch, ${n - 1}\\], the ONNX model's input "features" has shape \\[.*, ${n}\\]`));
  } finally {
    c.done();
  }
});

test('a model file replaced without its manifest, or not a model at all, is refused', async () => {
  const c = copyModel(SHIPPED[1]!);
  try {
    writeFileSync(join(c.dir, 'model.onnx'), 'not a model');
    await assert.rejects(loadModel(join(c.dir, 'manifest.json')), /has sha256 [0-9a-f]{64}, the manifest expects/);
    const { sha256: _drop, ...rest } = c.manifest;
    c.write(rest);
    await assert.rejects(loadModel(join(c.dir, 'manifest.json')), /is not a model onnxruntime can load/);
  } finally {
    c.done();
  }
});

test('manifest mistakes are named', () => {
  const base = JSON.parse(readFileSync(join(SHIPPED[0]!, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const n = (base.features as string[]).length;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, kind: 'trace' }, /"kind" must be "service" or "host"/],
    [{ ...base, features: ['log_rate_ratio', 'cpu_mean'] }, /feature "cpu_mean" is not computed for service windows/],
    [{ ...base, threshold: 'high' }, /"threshold" must be a finite number/],
    [{ ...base, normalization: { center: [1], scale: [1] } }, new RegExp(`"normalization.center" must hold ${n} finite numbers`)],
    [{ ...base, input: { name: 'features', type: 'float64', shape: [null, n] } }, /"input.type" must be "float32"/],
    [{ ...base, input: { name: 'features', type: 'float32', shape: [null, n + 1] } }, /"input.shape" must be \[null, \d+\]/],
  ];
  for (const [m, re] of cases) assert.throws(() => validateManifest(m, 'm.json'), re);
  assert.doesNotThrow(() => validateManifest(base, 'm.json'));
});
