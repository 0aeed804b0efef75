import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../core/config/loader.ts';
import {
  loadWorkerConfig, parseWorkerConfig, scoringConfigOf, SHIPPED_MODELS, validateWorkerConfig, WORKER_CONFIG_SCHEMA, workerConfigFrom, workerConfigReference, workerOptions,
} from '../../pipeline/config.ts';

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

test('the default config validates: an empty file is a complete worker config with the shipped models', () => {
  const cfg = validateWorkerConfig({}, { env: { TRIBUTARY_HOME: '/tmp/th-x' } });
  assert.equal(cfg.kafka.group, 'tributary-workers');
  assert.deepEqual(cfg.windows.sizes_ms, [10_000, 60_000]);
  assert.equal(cfg.store.driver, 'embedded');
  assert.equal(cfg.store.path, '/tmp/th-x/store');
  assert.equal(cfg.models.length, SHIPPED_MODELS.length);
  const o = workerOptions(cfg);
  assert.equal(o.batchMaxRows, 20_000);
  assert.equal(o.patterns?.maxClusters, 20_000, 'snake_case keys become the miner\'s camelCase options');
});

test('the example names every setting and validates', () => {
  const example = parseDocument(readExample()).toJS() as Record<string, unknown>;
  const missing: string[] = [];
  const walk = (schema: { properties?: Record<string, unknown> }, value: unknown, path: string) => {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const v = (value as Record<string, unknown> | undefined)?.[key];
      const optional = ['store.url', 'store.username', 'store.password', 'store.database', 'store.ca_file', 'store.cert_file', 'store.key_file', 'schema_registry.url', 'schema_registry.username', 'schema_registry.password', 'instance'].includes(`${path}${key}`);
      if (v === undefined && !optional) missing.push(`${path}${key}`);
      const c = child as { type?: string; properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } };
      if (c.type === 'object' && c.properties) walk(c, v, `${path}${key}.`);
    }
  };
  walk(WORKER_CONFIG_SCHEMA as never, example, '');
  assert.deepEqual(missing, [], 'every key is in examples/worker.yaml (the commented server keys aside)');
  const cfg = loadWorkerConfig(new URL('../../examples/worker.yaml', import.meta.url).pathname, {});
  assert.equal(cfg.models.length, 2);
  assert.ok(cfg.models.every((m) => m.manifest.endsWith('manifest.json') && m.manifest.startsWith('/')), 'model paths resolved against the file');
});

function readExample(): string {
  return readFileSync(new URL('../../examples/worker.yaml', import.meta.url), 'utf8');
}

test('mistakes are reported all at once, with key paths and did-you-mean', () => {
  const found = issues(() => parseWorkerConfig([
    'kafka:',
    '  gruop: x',
    'batch:',
    '  max_rows: 0',
    'windows:',
    '  sizes_ms: [10000, 10000]',
    'models:',
    '  - manifest: a.json',
    '  - manifest: a.json',
    '  - shadow: true',
    'tickms: 5',
  ].join('\n'), { env: {}, source: 'worker.yaml' }));
  assert.deepEqual(found.sort(), [
    'batch.max_rows: must be >= 1',
    'kafka.gruop: unknown key (did you mean "group"?); known keys: brokers, group, client_id, session_timeout_ms, from_beginning, max_bytes_per_partition',
    'models[2].manifest: is required',
    'tickms: unknown key (did you mean "tick_ms"?); known keys: kafka, topics, store, batch, tick_ms, stats_interval_ms, snapshot_interval_ms, windows, patterns, scoring, models, sources, views, schema_registry, instance',
    'windows.sizes_ms: must NOT have duplicate items (items ## 1 and 0 are identical)',
  ].sort());
  assert.deepEqual(issues(() => parseWorkerConfig('models:\n  - manifest: a.json\n  - manifest: a.json\n', { env: {}, baseDir: '/x' })), ['models[1].manifest: is already listed at models[0]']);
  assert.deepEqual(issues(() => parseWorkerConfig('topics: { logs: a, metrics: a }', { env: {} })), ['topics: logs, metrics, dlq and partials must be different topics (got a, a, dlq.v1)']);
});

test('${ENV} references and environment overrides; a secret stays out of the message', () => {
  const cfg = parseWorkerConfig('kafka:\n  group: ${GROUP}\nstore:\n  url: http://ch:8123\n  password: ${CH_PASS}\n', { env: { GROUP: 'g1', CH_PASS: 's3cret', TRIBUTARY_BROKERS: 'a:1,b:2' } });
  assert.equal(cfg.kafka.group, 'g1');
  assert.deepEqual(cfg.kafka.brokers, ['a:1', 'b:2']);
  assert.equal(cfg.store.driver, 'server');
  assert.equal(cfg.store.password, 's3cret');
  const withEnv = validateWorkerConfig({}, { env: { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_PASSWORD: 'p' } });
  assert.equal(withEnv.store.url, 'http://ch:8123');
  assert.deepEqual(issues(() => parseWorkerConfig('kafka:\n  group: ${MISSING_GROUP}\n', { env: {} })), ['kafka.group: environment variable MISSING_GROUP is not set']);
});

test('flags go through the same validation and name themselves; flags beat the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'worker-config-'));
  try {
    const file = join(dir, 'worker.yaml');
    writeFileSync(file, 'kafka:\n  group: from-file\nbatch:\n  max_rows: 100\nmodels: []\n');
    const cfg = workerConfigFrom(file, { group: 'from-flag', 'no-score': true, store: join(dir, 'store') }, {});
    assert.equal(cfg.kafka.group, 'from-flag');
    assert.equal(cfg.batch.max_rows, 100);
    assert.equal(cfg.scoring.enabled, false);
    assert.equal(scoringConfigOf(cfg), undefined);
    assert.equal(cfg.store.path, join(dir, 'store'));
    assert.deepEqual(issues(() => workerConfigFrom(undefined, { 'batch-max-rows': '12x', 'allowed-lateness-ms': '-1' }, {})).sort(), [
      'batch.max_rows (--batch-max-rows): must be integer',
      'windows.allowed_lateness_ms (--allowed-lateness-ms): must be >= 0',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the reference lists every key once, with its default', () => {
  const md = workerConfigReference();
  for (const key of ['kafka.group', 'batch.max_rows', 'windows.sizes_ms', 'patterns.max_clusters', 'models[].manifest', 'models[].shadow', 'scoring.watch']) {
    assert.equal(md.split('\n').filter((l) => l.startsWith(`| \`${key}\``)).length, 1, key);
  }
  assert.match(md, /\| `batch.max_rows` \| integer \| `20000` \|/);
});

test('pipeline/README.md carries the generated reference, unchanged', () => {
  const readme = readFileSync(new URL('../../pipeline/README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(workerConfigReference()), 'regenerate the table in pipeline/README.md from workerConfigReference()');
});
