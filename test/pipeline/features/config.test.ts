import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFeatures, featureStreams, isViewManifest } from '../../../pipeline/features/config.ts';
import { parseWorkerConfig, scoringConfigOf, viewModelsOf } from '../../../pipeline/config.ts';
import { ConfigError } from '../../../core/config/loader.ts';
import { features } from './data.ts';

test('sources and views compile into one stream per source topic: decode, raw rows, one stage per view', () => {
  const c = compileFeatures(features('payments.v1'));
  const { streams, views } = featureStreams(c, undefined, 'g');
  assert.equal(streams.length, 1);
  assert.equal(streams[0]!.topic, 'payments.v1');
  assert.deepEqual(streams[0]!.stages.map((s) => s.name), ['decode', 'rows', 'views']);
  assert.deepEqual(streams[0]!.raw, { table: 'payments_raw', hasTopicColumn: false });
  assert.equal(views[0]!.stateKey, 'views/g/view_card_activity_v1');
});

const BAD: [string, (f: ReturnType<typeof features>) => void, RegExp][] = [
  ['a source defined twice', (f) => f.sources!.push({ ...f.sources![0]!, topic: 'other' }), /sources\[1\]\.name: source "payments" is defined twice/],
  ['a topic read by two sources', (f) => f.sources!.push({ ...f.sources![0]!, name: 'again' }), /sources\[1\]\.topic: t is already read by source "payments"/],
  ['a view defined twice', (f) => f.views!.push(f.views![0]!), /views\[1\]\.name: view "card_activity" is defined twice/],
  ['a view of an unknown source', (f) => (f.views![0]!.source = 'paymens'), /views\[0\]\.source: no source named "paymens" \(did you mean "payments"\?\)/],
];

for (const [name, change, want] of BAD) {
  test(`refused: ${name}`, () => {
    const f = features('t');
    change(f);
    assert.throws(() => compileFeatures(f), want);
  });
}

test('worker.yaml: a mistake in a view is reported with its key path, among the other issues', () => {
  const yaml = [
    'sources:',
    '  - { name: payments, topic: payments.v1, time_field: ts, fields: { card_id: string, amount: number } }',
    'views:',
    '  - name: card',
    '    source: payments',
    '    key: card_id',
    '    window: { size: 5m }',
    '    aggregations: [{ name: total, fn: sum, field: amuont }]',
  ].join('\n');
  assert.throws(() => parseWorkerConfig(yaml, { env: {}, source: 'worker.yaml' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /views\[0\]\.aggregations\[0\]: field "amuont" is not declared by source "payments" \(declared: card_id, amount\)/);
    return true;
  });
});

test('models whose manifest names a view go to the view stages, the others to the window scorer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'view-manifest-'));
  try {
    writeFileSync(join(dir, 'view.json'), JSON.stringify({ name: 'm', view: 'card' }));
    writeFileSync(join(dir, 'window.json'), JSON.stringify({ name: 'w', kind: 'service' }));
    assert.equal(isViewManifest(join(dir, 'view.json')), true);
    assert.equal(isViewManifest(join(dir, 'window.json')), false);
    assert.equal(isViewManifest(join(dir, 'missing.json')), false);
    const cfg = parseWorkerConfig('models:\n  - manifest: view.json\n  - manifest: window.json\n', { env: {}, baseDir: dir });
    assert.deepEqual(viewModelsOf(cfg).map((m) => m.manifest), [join(dir, 'view.json')]);
    assert.deepEqual(scoringConfigOf(cfg)!.models.map((m) => m.manifest), [join(dir, 'window.json')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
