/**
 * A view's ClickHouse table: the DDL made from its definition, and its entry in `feature_views`.
 *
 * Exactly once, as for the built-in windows: a row's key is (key, window_size_s, window_start) in a
 * table of its own per view version, `version` = events included, ReplacingMergeTree(version). A
 * replay writes the same row again (same version, same bytes), a partial rebuild loses, a late event
 * wins. Read with FINAL.
 *
 * Names in the DDL are never user text spliced raw: view, key and feature names are checked against
 * `^[a-z][a-z0-9_]*$`-like patterns at config load, and are quoted with backticks here besides.
 */
import { type FeatureViewRow } from '../../../../core/contracts/rows.ts';
import { type Store } from '../../../../core/storage/store.ts';
import { TributaryError } from '../../../../core/errors.ts';
import { formatWindowTime } from '../../windows/tumbling.ts';
import { type CompiledView } from './definition.ts';

function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new TributaryError('CONFIG_INVALID', `"${name}" cannot be a column name (letters, digits, _ and .)`);
  return `\`${name}\``;
}

/** CREATE TABLE for a view's rows. */
export function viewTableDdl(view: CompiledView, ttlDays = 90): string {
  const keyCols = view.keyFields.map((k) => `  ${ident(k)} String,`).join('\n');
  const featureCols = view.features.map((f) => `  ${ident(f.name)} Nullable(Float64),`).join('\n');
  return `CREATE TABLE IF NOT EXISTS ${ident(view.table)} (
  view LowCardinality(String),
  view_version UInt32,
  key String,
${keyCols}
  window_start DateTime64(3, 'UTC'),
  window_end DateTime64(3, 'UTC'),
  window_size_s Float64,
  hop_s Float64,
  version UInt32,
  count UInt64,
  late_count UInt64,
${featureCols.replace(/,$/, '')}
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (key, window_size_s, window_start)
TTL toDateTime(window_start) + INTERVAL ${Math.floor(ttlDays)} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000`;
}

export function featureViewRow(view: CompiledView, now = Date.now()): FeatureViewRow {
  return {
    view: view.name, view_version: view.version, table_name: view.table, source: view.source.name, key_fields: view.keyFields,
    features: view.features.map((f) => f.name), window_size_s: view.sizeMs / 1000, hop_s: view.hopMs / 1000,
    definition: JSON.stringify(view.config), updated_at: formatWindowTime(now),
  };
}

/**
 * Creates the view's table if missing and registers it. A table that exists with other feature
 * columns means the definition changed without a version bump: refused, naming both lists.
 */
export async function ensureViewTable(store: Store, view: CompiledView, ttlDays = 90): Promise<void> {
  await store.command(viewTableDdl(view, ttlDays));
  const cols = await store.query<{ name: string }>('SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', { t: view.table });
  const want = ['view', 'view_version', 'key', ...view.keyFields, 'window_start', 'window_end', 'window_size_s', 'hop_s', 'version', 'count', 'late_count', ...view.features.map((f) => f.name)];
  const got = cols.map((c) => c.name);
  if (got.join(',') !== want.join(',')) {
    throw new TributaryError(
      'CONFIG_INVALID',
      `view "${view.name}" version ${view.version}: its table ${view.table} has columns (${got.join(', ')}) but the definition gives (${want.join(', ')}); ` +
        'bump the view\'s version when its key or features change, so that old and new rows never mix',
    );
  }
  const current = await store.query<{ d: string }>(
    'SELECT argMax(definition, updated_at) AS d FROM feature_views WHERE view = {v:String} AND view_version = {n:UInt32}',
    { v: view.name, n: view.version },
  );
  if (current[0]?.d !== JSON.stringify(view.config)) await store.insert('feature_views', [featureViewRow(view)]);
}
