/** `tributary worker`: one member of the worker group, from Kafka into ClickHouse, until stopped. */
import { parseArgs } from 'node:util';
import { type Command } from '../command.ts';
import { openShippedScorer, Worker } from '../../pipeline/worker.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { defaultBrokers } from '../../core/paths.ts';
import { waitForKafka } from '../../core/kafka/client.ts';
import { log } from '../../core/log.ts';
import { TributaryError } from '../../core/errors.ts';
import { startTelemetry, stopTelemetry } from '../../core/telemetry.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';

const help = `Usage: tributary worker [options]

Consumes logs.v1 and metrics.v1 as a member of the consumer group "tributary-workers", lands rows in
ClickHouse and commits offsets only after they are stored. Start more workers (processes, on any
host, pointed at a ClickHouse server) and the partitions spread across them. Stop with SIGTERM or Ctrl-C.

Options:
  --brokers <list>       Kafka brokers (default: TRIBUTARY_BROKERS or 127.0.0.1:9092)
  --group <id>           consumer group (default: tributary-workers)
  --logs-topic <name>    (default: logs.v1)
  --metrics-topic <name> (default: metrics.v1)
  --dlq-topic <name>     (default: dlq.v1)
  --batch-max-rows <n>   most records in one insert (default: 20000)
  --batch-max-wait-ms <n> longest a fetch waits to fill a batch (default: 500)
  --allowed-lateness-ms <n> how far the watermark trails event time (default: 5000)
  --no-score             store windows unscored (default: score with the models under models/)
${STORE_HELP}
`;

const command: Command = {
  name: 'worker',
  summary: 'consume Kafka, mine patterns, window, score and store in ClickHouse',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        brokers: { type: 'string' }, group: { type: 'string' }, 'logs-topic': { type: 'string' }, 'metrics-topic': { type: 'string' },
        'dlq-topic': { type: 'string' }, 'batch-max-rows': { type: 'string' }, 'batch-max-wait-ms': { type: 'string' },
        'allowed-lateness-ms': { type: 'string' }, 'no-score': { type: 'boolean' }, ...STORE_OPTIONS,
      },
    });
    const num = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new TributaryError('USAGE', `--${name} must be a whole number, not ${v}`);
      return n;
    };
    const brokers = values.brokers ? values.brokers.split(',') : defaultBrokers();
    await startTelemetry('tributary-worker');
    const store = await openStoreFromFlags(values);
    await migrate(store);
    await waitForKafka(brokers);
    const scoring = await openShippedScorer(!values['no-score']);
    const scorer = scoring.scorer;
    const lateness = num('allowed-lateness-ms', values['allowed-lateness-ms']);
    const worker = new Worker({
      brokers, store, groupId: values.group, scorer,
      logsTopic: values['logs-topic'], metricsTopic: values['metrics-topic'], dlqTopic: values['dlq-topic'],
      batchMaxRows: num('batch-max-rows', values['batch-max-rows']), batchMaxWaitMs: num('batch-max-wait-ms', values['batch-max-wait-ms']),
      windows: lateness === undefined ? undefined : { allowedLatenessMs: lateness },
    });
    await worker.start();
    const logger = log('worker');
    const progress = setInterval(() => logger.info({ ...worker.stats }, 'Worker progress.'), 10_000);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    clearInterval(progress);
    await worker.stop();
    await scoring.close();
    await store.close();
    await stopTelemetry();
    return 0;
  },
};

export default command;
