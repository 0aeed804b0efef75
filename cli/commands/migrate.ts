/** `tributary migrate`: applies the schema migrations (the worker also does it at start), and changes retention. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { migrate, setRetention, type MigrationVars } from '../../core/storage/migrate.ts';
import { TributaryError } from '../../core/errors.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';

const help = `Usage: tributary migrate [options]

Applies the versioned schema migrations that the store does not have yet; running it twice changes
nothing. Refuses a store whose schema is newer than this code. With a --*-ttl-days option it also
changes retention on the tables concerned (ALTER TABLE ... MODIFY TTL; whole day partitions past the
limit are dropped at the next merge).

Options:
  --logs-ttl-days <n>     raw logs and their minute rollup (default at creation: 30)
  --metrics-ttl-days <n>  raw metric points and pipeline stats (default 30)
  --windows-ttl-days <n>  service and metric windows, anomalies (default 90)
  --rollup-ttl-days <n>   hourly rollups for long-range panels (default 400)
${STORE_HELP}
`;

const TTL_FLAGS = ['logs', 'metrics', 'windows', 'rollup'] as const;

const command: Command = {
  name: 'migrate',
  summary: 'apply the schema migrations to the store',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STORE_OPTIONS,
        'logs-ttl-days': { type: 'string' },
        'metrics-ttl-days': { type: 'string' },
        'windows-ttl-days': { type: 'string' },
        'rollup-ttl-days': { type: 'string' },
      },
    });
    const vars: Partial<MigrationVars> = {};
    for (const name of TTL_FLAGS) {
      const raw = values[`${name}-ttl-days`];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new TributaryError('USAGE', `--${name}-ttl-days must be a whole number of days, at least 1 (got ${raw})`);
      vars[`${name}_ttl_days`] = n;
    }
    const store = await openStoreFromFlags(values);
    try {
      const r = await migrate(store, { vars });
      process.stdout.write(r.applied.length ? `Applied ${r.applied.join(', ')}; schema version ${r.current}.\n` : `Schema is up to date (version ${r.current}).\n`);
      if (r.applied.length === 0 && Object.keys(vars).length > 0) {
        const changed = await setRetention(store, vars);
        process.stdout.write(`Changed retention: ${changed.length} tables.\n`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
