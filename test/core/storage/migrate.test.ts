// The schema migrations on the real engine (chDB): they apply, applying twice changes nothing, a
// newer schema is refused, every contract row type inserts as JSONEachRow, deduplication tokens
// hold for tables and rollups alike, and retention can be changed later.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type AnomalyRow, type FeatureViewRow, type ModelScoreRow, type LogRow, type MetricRow, type MetricWindowRow, type PatternMergeRow, type PatternRow, type PipelineStatRow, type PredictionRow, type ServiceWindowRow } from '../../../core/contracts/rows.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { DEFAULT_MIGRATION_VARS, loadMigrations, migrate, retentionStatements, RETENTION, setRetention } from '../../../core/storage/migrate.ts';
import { openStore } from '../../../core/storage/open.ts';
import { type Store } from '../../../core/storage/store.ts';

let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-migrate-'));
  store = await openStore({ driver: 'embedded', path: dir });
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const TABLES = ['anomalies', 'feature_views', 'model_scores', 'log_patterns', 'log_patterns_1h', 'logs', 'logs_1h', 'logs_1m', 'metric_windows', 'metrics', 'metrics_1h', 'pattern_merges', 'pipeline_stats', 'predictions', 'schema_migrations', 'service_windows'];
const VIEWS = ['log_patterns_1h_mv', 'logs_1h_mv', 'logs_1m_mv', 'metrics_1h_mv'];

async function schema(): Promise<string[]> {
  const rows = await store.query<{ name: string; q: string }>(
    "SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase() ORDER BY name",
  );
  return rows.map((r) => `${r.name}: ${r.q}`);
}

const T = '2026-11-24 10:00:00.000';
const SAMPLES: Record<string, object> = {
  logs: {
    time: '2026-11-24 10:00:00.123456789', observed_time: '2026-11-24T10:00:00.2Z', service: 'api', host: 'h1', severity_text: 'ERROR', severity_number: 17,
    body: 'GET /x failed', attributes: { duration_ms: '12' }, resource: { 'host.name': 'h1' }, trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331',
    pattern_id: '0123456789abcdef', source_kind: 'file', source_path: '/var/log/api.log', source_fingerprint: '2049:1234:0123456789abcdef:64', source_offset: 4096, kafka_topic: 'logs.v1', kafka_partition: 3, kafka_offset: '18446744073709551615',
  } satisfies LogRow,
  metrics: { time: T, service: 'api', host: 'h1', name: 'system.cpu.utilization', kind: 'gauge', value: 0.5, unit: '1', labels: { cpu: '0' }, kafka_partition: 1, kafka_offset: '7' } satisfies MetricRow,
  service_windows: {
    service: 'api', window_start: T, window_end: '2026-11-24 10:01:00.000', window_size_s: 60, version: 3, count: 3, count_trace: 0, count_debug: 0, count_info: 2, count_warn: 0,
    count_error: 1, count_fatal: 0, error_ratio: 1 / 3, rate: 0.05, distinct_patterns: 2, new_patterns: 1, latency_count: 1, p50_ms: 12, p95_ms: 12, p99_ms: 12, late_count: 0,
    score: 0.7, threshold: 0.6, anomaly: 1, model: 'service-window-iforest', model_version: '1', scored: 1,
  } satisfies ServiceWindowRow,
  metric_windows: {
    service: 'api', host: 'h1', name: 'system.cpu.utilization', window_start: T, window_end: '2026-11-24 10:01:00.000', window_size_s: 60, version: 6, count: 6, min: 0.1, max: 0.9,
    mean: 0.5, last: 0.4, p95: 0.88, score: 0.2, threshold: 0.6, anomaly: 0, model: 'host-metrics-iforest', model_version: '1', scored: 1,
  } satisfies MetricWindowRow,
  log_patterns: { pattern_id: '0123456789abcdef', service: 'api', template: 'GET <*> failed', first_seen: T, last_seen: T, count: 1 } satisfies PatternRow,
  pattern_merges: { pattern_id: 'fedcba9876543210', merged_into: '0123456789abcdef', merged_at: T } satisfies PatternMergeRow,
  anomalies: {
    kind: 'service', service: 'api', host: '', window_start: T, window_end: '2026-11-24 10:01:00.000', window_size_s: 60, score: 0.7, threshold: 0.6,
    model: 'service-window-iforest', model_version: '1', top_features: ['error_ratio=0.333 (z=9.1)'], detected_at: '2026-11-24 10:01:00.500',
  } satisfies AnomalyRow,
  pipeline_stats: { time: T, instance: 'worker-1', stage: 'store', name: 'records_out', value: 42 } satisfies PipelineStatRow,
  model_scores: {
    kind: 'service', service: 'api', host: '', window_start: T, window_size_s: 60, window_version: 3, model: 'service-window-maxz', model_version: '2',
    score: 4.2, threshold: 3.5, over_threshold: 1, shadow: 1,
  } satisfies ModelScoreRow,
  predictions: {
    view: 'card', view_version: 1, model: 'card-fraud', model_version: '2', key: 'c1', window_start: T, window_end: '2026-11-24 10:01:00.000', window_size_s: 60,
    version: 5, output_kind: 'multiclass', score: 0.7, label: 'fraud', class_probabilities: { ok: 0.2, fraud: 0.7, review: 0.1 }, threshold: 0, anomaly: 1, shadow: 0,
    top_features: ['amount_z=9.1 (z=4.0)'],
  } satisfies PredictionRow,
  feature_views: {
    view: 'card', view_version: 1, table_name: 'view_card_v1', source: 'payments', key_fields: ['card_id'], features: ['n', 'total'], window_size_s: 60, hop_s: 10,
    definition: '{}', updated_at: T,
  } satisfies FeatureViewRow,
};

test('the migrations apply on chDB and create every table and rollup view', async () => {
  const r = await migrate(store);
  assert.deepEqual(r.applied, loadMigrations().map((m) => m.name));
  const names = (await store.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name')).map((t) => t.name);
  for (const t of [...TABLES, ...VIEWS]) assert.ok(names.includes(t), `${t} exists`);
});

test('applying the migrations twice changes nothing', async () => {
  const before = await schema();
  const again = await migrate(store);
  assert.deepEqual(again.applied, []);
  assert.equal(again.current, loadMigrations().at(-1)!.version);
  assert.deepEqual(await schema(), before);
  const recorded = await store.query<{ n: string }>('SELECT count() AS n FROM schema_migrations');
  assert.equal(Number(recorded[0]!.n), loadMigrations().length);
});

test('every table takes its contract row type as JSONEachRow, column for field', async () => {
  for (const [table, row] of Object.entries(SAMPLES)) {
    const columns = await store.query<{ name: string; default_type: string }>(`DESCRIBE TABLE ${table}`);
    const stored = columns.filter((c) => c.default_type !== 'ALIAS').map((c) => c.name).sort();
    assert.deepEqual(stored, Object.keys(row).sort(), `${table}: columns are the fields of its row type`);
    await store.insert(table, [row], { dedupToken: `sample/${table}` });
    const back = await store.query(`SELECT count() AS n FROM ${table}`);
    assert.equal(Number((back[0] as { n: string }).n), 1, table);
  }
  const log = await store.query<{ time: string; level: string; kafka_offset: string }>('SELECT toString(time) AS time, level, toString(kafka_offset) AS kafka_offset FROM logs');
  assert.deepEqual(log, [{ time: '2026-11-24 10:00:00.123456789', level: 'ERROR', kafka_offset: '18446744073709551615' }]);
});

test('an insert replayed with the same deduplication token changes neither the table nor its rollups', async () => {
  const rows = [1, 2, 3].map((i) => ({ ...SAMPLES.logs, kafka_offset: String(100 + i), body: `line ${i}` }));
  await store.insert('logs', rows, { dedupToken: 'logs.v1/3/101-103' });
  await store.insert('logs', rows, { dedupToken: 'logs.v1/3/101-103' });
  const counts = await store.query<{ raw: string; m: string; h: string; p: string }>(`SELECT
    (SELECT count() FROM logs) AS raw, (SELECT countMerge(records) FROM logs_1m) AS m,
    (SELECT countMerge(records) FROM logs_1h) AS h, (SELECT countMerge(records) FROM log_patterns_1h) AS p`);
  assert.deepEqual(Object.values(counts[0]!).map(Number), [4, 4, 4, 4]);
  // Two different batches with identical rollup rows are both counted: the rollups deduplicate on the source token.
  await store.insert('logs', [{ ...SAMPLES.logs, kafka_offset: '200' }], { dedupToken: 'logs.v1/3/200-200' });
  await store.insert('logs', [{ ...SAMPLES.logs, kafka_offset: '201' }], { dedupToken: 'logs.v1/3/201-201' });
  const after = await store.query<{ m: string }>('SELECT countMerge(records) AS m FROM logs_1m');
  assert.equal(Number(after[0]!.m), 6);
});

test('pattern deltas merge into one row: counts summed, first seen min, last seen max, newest template', async () => {
  await store.insert('log_patterns', [{ ...SAMPLES.log_patterns, template: 'GET <*> failed again', first_seen: '2026-11-24 09:00:00', last_seen: '2026-11-24 11:00:00', count: 4 }], { dedupToken: 'p/2' });
  await store.command('OPTIMIZE TABLE log_patterns FINAL');
  const rows = await store.query('SELECT service, pattern_id, template, toString(first_seen) AS f, toString(last_seen) AS l, toString(count) AS count FROM log_patterns');
  assert.deepEqual(rows, [{ service: 'api', pattern_id: '0123456789abcdef', template: 'GET <*> failed again', f: '2026-11-24 09:00:00.000', l: '2026-11-24 11:00:00.000', count: '5' }]);
});

test('a re-emitted window with a higher version replaces the older one', async () => {
  await store.insert('service_windows', [{ ...SAMPLES.service_windows, version: 4, count: 4, late_count: 1 }], { dedupToken: 'w/2' });
  const rows = await store.query<{ version: number; count: string }>('SELECT version, toString(count) AS count FROM service_windows FINAL');
  assert.deepEqual(rows, [{ version: 4, count: '4' }]);
});

test('retention is set from the migration variables and can be changed later with ALTER ... MODIFY TTL', async () => {
  const ddl = async (t: string): Promise<string> => (await store.query<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = '${t}'`))[0]!.q;
  assert.match(await ddl('logs'), new RegExp(`TTL toDateTime\\(time\\) \\+ toIntervalDay\\(${DEFAULT_MIGRATION_VARS.logs_ttl_days}\\)`));
  assert.match(await ddl('logs'), /ttl_only_drop_parts = 1/);
  const statements = await setRetention(store, { logs_ttl_days: 7, rollup_ttl_days: 800 });
  assert.equal(statements.length, RETENTION.filter((r) => r.days === 'logs_ttl_days' || r.days === 'rollup_ttl_days').length);
  assert.match(await ddl('logs'), /TTL toDateTime\(time\) \+ toIntervalDay\(7\)/);
  assert.match(await ddl('logs_1h'), /TTL hour \+ toIntervalDay\(800\)/);
  assert.match(await ddl('metrics'), new RegExp(`toIntervalDay\\(${DEFAULT_MIGRATION_VARS.metrics_ttl_days}\\)`));
  assert.throws(() => retentionStatements({ logs_ttl_days: 0 }), /whole number of days/);
});

test('every MergeTree table honours deduplication tokens and drops whole parts on TTL', async () => {
  const rows = await store.query<{ name: string; engine: string; q: string }>(
    "SELECT name, engine, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations'",
  );
  const checked = rows.filter((r) => TABLES.includes(r.name));
  assert.equal(checked.length, TABLES.length - 1);
  for (const r of rows) assert.match(r.q, /non_replicated_deduplication_window/, r.name);
  for (const r of checked) {
    assert.match(r.q, /non_replicated_deduplication_window = 100000/, r.name);
    if (!['log_patterns', 'pattern_merges', 'feature_views'].includes(r.name)) assert.match(r.q, /ttl_only_drop_parts = 1/, r.name);
  }
});

test('a store whose schema is newer than this code is refused with a clear message', async () => {
  await store.insert('schema_migrations', [{ version: 999, name: '999_from_the_future' }]);
  await assert.rejects(migrate(store), (err: unknown) => {
    assert.ok(isTributaryError(err));
    assert.equal(err.code, 'SCHEMA_TOO_NEW');
    assert.match(err.message, /schema version 999, newer than the newest this code knows \(\d+\); upgrade Tributary/);
    return true;
  });
});
