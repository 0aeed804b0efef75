/**
 * Versioned schema migrations: `migrations/NNN_name.sql`, applied in order and recorded in
 * `schema_migrations`. Applying twice changes nothing; a store whose schema is newer than any
 * migration this code knows is refused, because this code would write rows the schema no longer fits.
 *
 * A migration file may use `{{name}}` placeholders for settings such as retention; they are filled
 * from `MigrationVars`, whose defaults are below. Statements are separated by a `;` at the end of a line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TributaryError } from '../errors.ts';
import { log } from '../log.ts';
import type { Store } from './store.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Values for `{{name}}` placeholders in migrations. Retention is in days. */
export interface MigrationVars {
  logs_ttl_days: number;
  metrics_ttl_days: number;
  windows_ttl_days: number;
  rollup_ttl_days: number;
  [name: string]: number | string;
}

export const DEFAULT_MIGRATION_VARS: MigrationVars = {
  logs_ttl_days: 30,
  metrics_ttl_days: 30,
  windows_ttl_days: 90,
  rollup_ttl_days: 400,
};

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export function loadMigrations(dir = MIGRATIONS_DIR, vars: MigrationVars = DEFAULT_MIGRATION_VARS): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{3,}_[\w-]+\.sql$/.test(f)).sort();
  return files.map((file) => {
    const version = Number(file.slice(0, file.indexOf('_')));
    const text = readFileSync(join(dir, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new TributaryError('CONFIG_INVALID', `migration ${file} uses {{${name}}}, which has no value`);
      return String(value);
    });
    const statements = text
      .split(/;\s*$/m)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
    return { version, name: file.replace(/\.sql$/, ''), statements };
  });
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

export async function migrate(store: Store, options: { dir?: string; vars?: Partial<MigrationVars> } = {}): Promise<MigrateResult> {
  const migrations = loadMigrations(options.dir, { ...DEFAULT_MIGRATION_VARS, ...options.vars } as MigrationVars);
  await store.command(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version',
  );
  const done = await store.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  const appliedVersions = new Set(done.map((r) => Number(r.version)));
  const known = migrations.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...appliedVersions);
  if (newest > known) {
    throw new TributaryError(
      'SCHEMA_TOO_NEW',
      `the store at ${store.location} has schema version ${newest}, newer than the newest this code knows (${known}); upgrade Tributary before using this store`,
    );
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (appliedVersions.has(m.version)) continue;
    for (const statement of m.statements) await store.command(statement);
    await store.insert('schema_migrations', [{ version: m.version, name: m.name }]);
    applied.push(m.name);
    log('storage').info({ migration: m.name, store: store.location }, 'Applied a schema migration.');
  }
  return { applied, current: Math.max(newest, ...migrations.map((m) => m.version), 0) };
}

/**
 * Where each retention setting applies: the table and the expression its TTL counts from. The
 * migrations create these TTLs from `MigrationVars`; `setRetention` changes them on a live store.
 */
export const RETENTION: ReadonlyArray<{ table: string; from: string; days: 'logs_ttl_days' | 'metrics_ttl_days' | 'windows_ttl_days' | 'rollup_ttl_days' }> = [
  { table: 'logs', from: 'toDateTime(time)', days: 'logs_ttl_days' },
  { table: 'logs_1m', from: 'minute', days: 'logs_ttl_days' },
  { table: 'metrics', from: 'toDateTime(time)', days: 'metrics_ttl_days' },
  { table: 'pipeline_stats', from: 'toDateTime(time)', days: 'metrics_ttl_days' },
  { table: 'service_windows', from: 'toDateTime(window_start)', days: 'windows_ttl_days' },
  { table: 'metric_windows', from: 'toDateTime(window_start)', days: 'windows_ttl_days' },
  { table: 'anomalies', from: 'toDateTime(window_start)', days: 'windows_ttl_days' },
  { table: 'model_scores', from: 'toDateTime(window_start)', days: 'windows_ttl_days' },
  { table: 'predictions', from: 'toDateTime(window_start)', days: 'windows_ttl_days' },
  { table: 'logs_1h', from: 'hour', days: 'rollup_ttl_days' },
  { table: 'log_patterns_1h', from: 'hour', days: 'rollup_ttl_days' },
  { table: 'metrics_1h', from: 'hour', days: 'rollup_ttl_days' },
];

/** The `ALTER TABLE ... MODIFY TTL` statements that apply the retention settings given (and only those). */
export function retentionStatements(vars: Partial<MigrationVars>): string[] {
  const statements: string[] = [];
  for (const { table, from, days } of RETENTION) {
    const value = vars[days];
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new TributaryError('CONFIG_INVALID', `${days} must be a whole number of days (at least 1), not ${String(value)}`);
    statements.push(`ALTER TABLE ${table} MODIFY TTL ${from} + INTERVAL ${n} DAY`);
  }
  return statements;
}

/**
 * Changes retention on a store that is already migrated (e.g. `{ logs_ttl_days: 7 }`). Whole parts
 * past the new limit are dropped on the next merge, because the tables use `ttl_only_drop_parts`.
 */
export async function setRetention(store: Store, vars: Partial<MigrationVars>): Promise<string[]> {
  const statements = retentionStatements(vars);
  for (const statement of statements) await store.command(statement);
  if (statements.length > 0) log('storage').info({ vars, store: store.location }, 'Changed retention.');
  return statements;
}
