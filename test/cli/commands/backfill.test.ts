/**
 * `tributary backfill` and `tributary worker --check` on a features config, as a user runs them: the
 * example's config validates with its view, and usage mistakes exit 1 naming what was wrong. (The
 * backfill itself, against a real broker and chDB, is proven in test/pipeline/features/.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), ...args], { cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

test('worker --check validates the feature example: its source, its view and the view\'s table', async () => {
  const ok = await run(['worker', '--config', 'examples/features/worker.yaml', '--check']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /1 source\(s\), 1 view\(s\), 0 model\(s\) bound to views\n {2}view card_activity v1 on payments\.v1 -> view_card_activity_v1 \(13 features\)/);
});

test('worker --check says how a converter\'s model is fed and read: its ZipMap, the classes its graph carries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-model-'));
  try {
    copyFileSync(join(root, 'test/fixtures/view-models/sk-forest.onnx'), join(dir, 'tier.onnx'));
    writeFileSync(join(dir, 'tier.json'), JSON.stringify({ name: 'tier', version: '1', view: 'card_activity', model_file: 'tier.onnx', features: ['txn_count', 'amount_sum', 'merchants'], output: { name: 'output_probability', kind: 'multiclass' }, alert_labels: ['high'] }));
    const example = readFileSync(join(root, 'examples/features/worker.yaml'), 'utf8');
    assert.match(example, /^models: \[\]$/m);
    writeFileSync(join(dir, 'worker.yaml'), example.replace(/^models: \[\]$/m, 'models:\n  - manifest: tier.json'));
    const r = await run(['worker', '--config', join(dir, 'worker.yaml'), '--check']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 model\(s\) bound to views/);
    assert.match(r.out, /tier 1 \(multiclass\) reads view card_activity from .*tier\.json\n {4}float32 input "X" \[rows, 3\]; output "output_probability" read through "probabilities" \(the probabilities its ZipMap zips\); classes in output order: high, low, mid \(from the model's graph\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const MISTAKES: [string, string[], RegExp][] = [
  ['no view', ['--config', 'examples/features/worker.yaml', '--from', '0', '--to', '1'], /--view <name> is required/],
  ['an unknown view', ['--config', 'examples/features/worker.yaml', '--view', 'card_activty', '--from', '2026-11-29T00:00:00Z', '--to', '2026-11-29T01:00:00Z'], /--view card_activty: examples\/features\/worker\.yaml declares no such view \(did you mean "card_activity"\?\)/],
  ['a bad time', ['--config', 'examples/features/worker.yaml', '--view', 'card_activity', '--from', 'yesterday', '--to', '1'], /--from yesterday: not a time/],
  ['to before from', ['--config', 'examples/features/worker.yaml', '--view', 'card_activity', '--from', '2026-11-29T02:00:00Z', '--to', '2026-11-29T01:00:00Z', '--out', '/tmp/x.csv'], /must be after --from/],
];

for (const [name, args, want] of MISTAKES) {
  test(`backfill refuses ${name}, exit 1`, async () => {
    const r = await run(['backfill', ...args]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, want);
  });
}
