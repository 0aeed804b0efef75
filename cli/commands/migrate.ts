/** `tributary migrate`: applies the schema migrations (the worker also does it at start). */
import { parseArgs } from 'node:util';
import { type Command } from '../command.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';

const help = `Usage: tributary migrate [options]

Applies the versioned schema migrations that the store does not have yet; running it twice changes
nothing. Refuses a store whose schema is newer than this code.

Options:
${STORE_HELP}
`;

const command: Command = {
  name: 'migrate',
  summary: 'apply the schema migrations to the store',
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { ...STORE_OPTIONS } });
    const store = await openStoreFromFlags(values);
    try {
      const r = await migrate(store);
      process.stdout.write(r.applied.length ? `Applied ${r.applied.join(', ')}; schema version ${r.current}.\n` : `Schema is up to date (version ${r.current}).\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
