/** `tributary stack up|down|status`: the local single-broker Kafka, or topics on an existing cluster. */
import { parseArgs } from 'node:util';
import { type Command } from '../command.ts';
import { TributaryError } from '../../core/errors.ts';
import { defaultStackOptions, ensureTopics, stackDown, stackStatus, stackUp } from '../../core/kafka/stack.ts';
import { TOPICS } from '../../core/contracts/topics.ts';

const help = `Usage: tributary stack <up|down|status> [options]

Runs a local Apache Kafka broker (KRaft, one combined broker+controller on 127.0.0.1) from Kafka's
own jars, resolved once from Maven Central into ~/.cache/tributary. Needs Java 17+ and Maven.

  up       resolve the jars (first time only), format storage, start the broker, create the topics
           ${Object.values(TOPICS).map((t) => `${t.name} (${t.partitions} partitions)`).join(', ')}
  down     stop the broker cleanly (SIGTERM, then SIGKILL after 30 s)
  status   say what runs where

Options:
  --brokers <host:port,...>  do not start anything: create the topics on this existing cluster (up only)
  --port <n>                 broker port (default 9092, or TRIBUTARY_KAFKA_PORT)
  --json                     print the result as JSON

Environment: TRIBUTARY_HOME (state folder), TRIBUTARY_CACHE (jar cache), TRIBUTARY_KAFKA_HEAP.
`;

const command: Command = {
  name: 'stack',
  summary: 'start, stop or inspect the local Kafka broker',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { brokers: { type: 'string' }, port: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    const action = positionals[0];
    const options = defaultStackOptions();
    if (values.port) options.port = Number(values.port);
    const print = (obj: Record<string, unknown>, text: string) =>
      process.stdout.write(values.json ? JSON.stringify(obj) + '\n' : text + '\n');
    switch (action) {
      case 'up': {
        if (values.brokers) {
          const created = await ensureTopics(values.brokers.split(','));
          print({ brokers: values.brokers, created }, `Topics ready on ${values.brokers}${created.length ? ` (created ${created.join(', ')})` : ''}.`);
          return 0;
        }
        const r = await stackUp(options);
        print(
          { ...r },
          r.alreadyRunning
            ? `Kafka is already running at ${r.brokers} (pid ${r.pid}).`
            : `Kafka ${options.version} is running at ${r.brokers} (pid ${r.pid})${r.downloaded ? '; jars were resolved from Maven Central' : ''}.` +
                (r.created.length ? `\nCreated topics: ${r.created.join(', ')}.` : '') +
                '\nStop it with: npx tributary stack down',
        );
        return 0;
      }
      case 'down': {
        const r = await stackDown(options);
        print(r, r.stopped ? `Stopped the Kafka broker (pid ${r.pid})${r.forced ? ' after it ignored SIGTERM' : ''}.` : 'No local Kafka broker was running.');
        return 0;
      }
      case 'status': {
        const s = stackStatus(options);
        print(
          { ...s },
          [
            `broker:  ${s.running ? `running, pid ${s.pid}, at ${s.brokers}` : 'not running'}`,
            `data:    ${s.home}`,
            `jars:    ${s.jarsPresent ? s.jars : 'not downloaded yet (the first `stack up` resolves them)'}`,
            `log:     ${s.logFile}`,
          ].join('\n'),
        );
        return s.running ? 0 : 3;
      }
      default:
        throw new TributaryError('USAGE', `stack needs one of up, down, status (got ${action ?? 'nothing'}); see tributary stack --help`);
    }
  },
};

export default command;
