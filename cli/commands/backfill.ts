/** `tributary backfill`: a feature view's rows recomputed from history, through the worker's own feature code. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { TributaryError } from '../../core/errors.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { waitForKafka } from '../../core/kafka/client.ts';
import { storeConfigOf, workerConfigFrom } from '../../pipeline/config.ts';
import { compileFeatures } from '../../pipeline/features/config.ts';
import { backfill } from '../../pipeline/features/backfill.ts';
import { didYouMean } from '../../pipeline/transforms/features/views/definition.ts';

const help = `Usage: tributary backfill --config <worker.yaml> --view <name> --from <time> --to <time> [options]

Recomputes a feature view's rows for windows starting in [from, to) from history, through the same
feature code the worker runs, and writes them into the view's table (the rows the live worker wrote
are replaced by identical ones: running it again changes nothing) or, with --out, into a CSV or JSONL
file for training. Reading starts early enough for derived features to have their past.

Options:
  --config <file>        worker.yaml with the view's source and definition (required)
  --view <name>          the view (required)
  --from <time>          ISO-8601 time (2026-11-29T10:00:00Z) or epoch milliseconds (required)
  --to <time>            same; windows starting before it are written (required)
  --source <kafka|clickhouse>  read the source topic from Kafka, offsets looked up by timestamp (default),
                         or the source's raw_table in ClickHouse
  --out <file>           write a .csv or .jsonl file instead of the view's table
  --brokers <list>       Kafka brokers (default: the config's kafka.brokers)
  --store <dir>, --store-url <url>  the ClickHouse store (default: the config's store)
`;

function parseTime(text: string | undefined, flag: string): number {
  if (text === undefined) throw new TributaryError('USAGE', `${flag} is required (ISO-8601 time or epoch milliseconds)`);
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new TributaryError('USAGE', `${flag} ${text}: not a time (use ISO-8601 such as 2026-11-29T10:00:00Z, or epoch milliseconds)`);
  return ms;
}

const command: Command = {
  name: 'backfill',
  summary: 'recompute a feature view from history (Kafka or ClickHouse) into its table or a file',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' }, view: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
        source: { type: 'string', default: 'kafka' }, out: { type: 'string' }, brokers: { type: 'string' },
        store: { type: 'string' }, 'store-url': { type: 'string' },
      },
    });
    if (!values.config) throw new TributaryError('USAGE', '--config <worker.yaml> is required: it declares the view and its source');
    if (!values.view) throw new TributaryError('USAGE', '--view <name> is required');
    if (values.source !== 'kafka' && values.source !== 'clickhouse') throw new TributaryError('USAGE', `--source ${values.source}: use kafka or clickhouse`);
    const from = parseTime(values.from, '--from');
    const to = parseTime(values.to, '--to');
    if (!(to > from)) throw new TributaryError('USAGE', `--to (${new Date(to).toISOString()}) must be after --from (${new Date(from).toISOString()})`);
    const cfg = workerConfigFrom(values.config, { brokers: values.brokers, store: values.store, 'store-url': values['store-url'] });
    const { views } = compileFeatures(cfg);
    const view = views.get(values.view);
    if (!view) throw new TributaryError('USAGE', `--view ${values.view}: ${values.config} declares no such view${didYouMean(values.view, [...views.keys()])} (views: ${[...views.keys()].join(', ') || 'none'})`);
    const needStore = !values.out || values.source === 'clickhouse';
    const store = needStore ? await openStore(storeConfigOf(cfg)) : undefined;
    try {
      if (store) await migrate(store);
      if (values.source === 'kafka') await waitForKafka(cfg.kafka.brokers!, { timeoutMs: 30_000 });
      const r = await backfill({ view, from, to, from_: values.source, brokers: cfg.kafka.brokers, store, out: values.out });
      process.stdout.write(`Backfilled view ${view.name} (windows from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}): ${r.events} events read${r.invalid ? ` (${r.invalid} not fitting the schema, skipped)` : ''}, ${r.rows} rows written to ${r.target}.\n`);
    } finally {
      await store?.close();
    }
    return 0;
  },
};

export default command;
