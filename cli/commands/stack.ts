/** `tributary stack up|down|status`: the local Kafka cluster (one broker or several), or topics on an existing cluster. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { TributaryError } from '../../core/errors.ts';
import { clusterStatus, defaultStackOptions, ensureTopics, stackDown, stackUp } from '../../core/kafka/stack.ts';
import { TOPICS } from '../../core/contracts/topics.ts';

const help = `Usage: tributary stack <up|down|status> [options]

Runs a local Apache Kafka cluster (KRaft; each node a combined broker+controller on 127.0.0.1) from
Kafka's own jars, resolved once from Maven Central into ~/.cache/tributary. Needs Java 17+ and Maven.

  up       resolve the jars (first time only), format storage, start the brokers that are not
           running (only the stopped one, when one was stopped), create the topics
           ${Object.values(TOPICS).map((t) => `${t.name} (${t.partitions} partitions)`).join(', ')}
  down     stop the brokers cleanly (SIGTERM, then SIGKILL after 30 s)
  status   say what runs where: node id, pid, ports and the partitions each node leads

Options:
  --nodes <n>                brokers in the cluster (first up only; default 1). With 3: topics and
                             internal topics get replication factor 3 and min.insync.replicas=2
  --secure                   (first up only) add a SASL_SSL listener per node with a SCRAM-SHA-512
                             user and a certificate made for this stack, and an SSL listener that
                             takes clients by their certificate (mutual TLS); the client settings
                             are written to files (never printed): set -a; . <file>; set +a
  --node <id>                down: stop only that node
  --brokers <host:port,...>  do not start anything: create the topics on this existing cluster (up only)
  --port <n>                 PLAINTEXT port of node 1 (default 9092, or TRIBUTARY_KAFKA_PORT); node n
                             uses port+3(n-1), its controller port+1, its SASL_SSL listener port+2
  --json                     print the result as JSON

The bootstrap list printed by up is what agent and worker use by default (TRIBUTARY_BROKERS overrides).
Environment: TRIBUTARY_HOME (state folder), TRIBUTARY_CACHE (jar cache), TRIBUTARY_KAFKA_HEAP.
`;

const command: Command = {
  name: 'stack',
  summary: 'start, stop or inspect the local Kafka cluster',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        brokers: { type: 'string' }, port: { type: 'string' }, nodes: { type: 'string' }, node: { type: 'string' },
        secure: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
      },
    });
    const action = positionals[0];
    const options = defaultStackOptions();
    if (values.port) {
      options.port = Number(values.port);
      options.controllerPort = options.port + 1;
    }
    if (values.nodes !== undefined) {
      const n = Number(values.nodes);
      if (!Number.isInteger(n) || n < 1 || n > 9) throw new TributaryError('USAGE', `--nodes must be a whole number from 1 to 9, not ${values.nodes}`);
      options.nodes = n;
    }
    if (values.secure) options.secure = true;
    const print = (obj: object, text: string) => process.stdout.write(values.json ? JSON.stringify(obj) + '\n' : text + '\n');
    switch (action) {
      case 'up': {
        if (values.brokers) {
          const created = await ensureTopics(values.brokers.split(','));
          print({ brokers: values.brokers, created }, `Topics ready on ${values.brokers}${created.length ? ` (created ${created.join(', ')})` : ''}.`);
          return 0;
        }
        const r = await stackUp(options);
        const pids = Object.entries(r.pids).map(([id, pid]) => `node ${id} pid ${pid}`).join(', ');
        const secure =
          (r.secureBrokers ? `\nSASL_SSL (SCRAM-SHA-512) at ${r.secureBrokers}; client settings: set -a; . ${r.clientEnvFile}; set +a` : '') +
          (r.mtlsBrokers ? `\nSSL with client certificates (mutual TLS) at ${r.mtlsBrokers}; client settings: set -a; . ${r.mtlsEnvFile}; set +a` : '');
        print(
          r,
          (r.alreadyRunning
            ? `Kafka is already running at ${r.brokers} (${pids}).`
            : `Kafka ${options.version} is running at ${r.brokers} (${pids}; started node${r.started.length > 1 ? 's' : ''} ${r.started.join(', ')})${r.downloaded ? '; jars were resolved from Maven Central' : ''}.`) +
            (r.created.length ? `\nCreated topics: ${r.created.join(', ')}.` : '') +
            secure +
            `\nAgent and worker use ${r.brokers} by default. Stop with: npx tributary stack down`,
        );
        return 0;
      }
      case 'down': {
        const nodes = values.node ? [Number(values.node)] : undefined;
        const r = await stackDown(options, { nodes });
        const which = Object.entries(r.pids).map(([id, pid]) => `node ${id}, pid ${pid}`).join('; ');
        print(r, r.stopped ? `Stopped the Kafka broker${Object.keys(r.pids).length > 1 ? 's' : ''} (${which})${r.forced ? ' (some ignored SIGTERM and were killed)' : ''}.` : 'No local Kafka broker was running.');
        return 0;
      }
      case 'status': {
        const s = await clusterStatus(options);
        print(
          s,
          [
            ...s.nodes.map((n) => `node ${n.id}: ${n.running ? `running, pid ${n.pid}` : 'not running'}, 127.0.0.1:${n.port}${n.securePort ? ` (SASL_SSL ${n.securePort})` : ''}${n.leads ? `, leads ${n.leads.length} partitions` : ''}`),
            `brokers: ${s.brokers}${s.secureBrokers ? `  secure: ${s.secureBrokers} (settings in ${s.clientEnvFile})` : ''}${s.mtlsBrokers ? `  mutual TLS: ${s.mtlsBrokers} (settings in ${s.mtlsEnvFile})` : ''}`,
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
