/** `tributary worker`: one member of the worker group, from Kafka into ClickHouse, until stopped. */
import { parseArgs } from 'node:util';
import { type Command } from '../command.ts';
import { Worker } from '../../pipeline/worker.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { defaultBrokers } from '../../core/paths.ts';
import { waitForKafka } from '../../core/kafka/client.ts';
import { log } from '../../core/log.ts';
import { startTelemetry, stopTelemetry } from '../../core/telemetry.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';

const help = `Usage: tributary worker [options]

Consumes logs.v1 and metrics.v1 as a member of the consumer group "tributary-workers", lands rows in
ClickHouse and commits offsets only after they are stored. Start more workers (processes, on any
host, pointed at a ClickHouse server) and the partitions spread across them. Stop with SIGTERM or Ctrl-C.

Options:
  --brokers <list>       Kafka brokers (default: TRIBUTARY_BROKERS or 127.0.0.1:9092)
  --group <id>           consumer group (default: tributary-workers)
${STORE_HELP}
`;

const command: Command = {
  name: 'worker',
  summary: 'consume Kafka, mine patterns, window, score and store in ClickHouse',
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { brokers: { type: 'string' }, group: { type: 'string' }, ...STORE_OPTIONS } });
    const brokers = values.brokers ? values.brokers.split(',') : defaultBrokers();
    await startTelemetry('tributary-worker');
    const store = await openStoreFromFlags(values);
    await migrate(store);
    await waitForKafka(brokers);
    const worker = new Worker({ brokers, store, groupId: values.group });
    await worker.start();
    const logger = log('worker');
    const progress = setInterval(() => logger.info({ ...worker.stats }, 'Worker progress.'), 10_000);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    clearInterval(progress);
    await worker.stop();
    await store.close();
    await stopTelemetry();
    return 0;
  },
};

export default command;
