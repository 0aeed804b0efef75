/** `tributary agent`: ship files (or stdin) into Kafka until stopped. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { type Command } from '../command.ts';
import { Agent } from '../../agents/agent.ts';
import { DEFAULT_HOST } from '../../agents/record-builder.ts';
import { FileSource } from '../../agents/sources/file.ts';
import { StdinSource } from '../../agents/sources/stdin.ts';
import { type Source } from '../../agents/source.ts';
import { TributaryError } from '../../core/errors.ts';
import { defaultBrokers, stateDir } from '../../core/paths.ts';

const help = `Usage: tributary agent --tail '<glob>' --service <name> [options]
       some-service | tributary agent --service <name>

Ships log lines into Kafka (logs.v1) with acks=all through the idempotent producer. A file's
checkpoint moves only after Kafka acknowledged every line before it; SIGTERM or Ctrl-C flushes and
checkpoints, and a restart resumes exactly there.

Options:
  --tail <glob>          files to ship (repeatable); without it, lines are read from stdin
  --exclude <glob>       files to leave alone (repeatable)
  --service <name>       service name of the records (default: the file's base name, or "stdin")
  --host <name>          host name of the records (default: this machine's name)
  --brokers <list>       Kafka brokers, host:port,... (default: TRIBUTARY_BROKERS or 127.0.0.1:9092)
  --start-at <where>     beginning (default) or end, for files never seen before
  --state-dir <dir>      where checkpoints live (default: $TRIBUTARY_HOME/agent)
  --compression <c>      lz4 (default), gzip or none
`;

const command: Command = {
  name: 'agent',
  summary: 'ship files, stdin, OTLP and host metrics into Kafka',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        tail: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        service: { type: 'string' },
        host: { type: 'string' },
        brokers: { type: 'string' },
        'start-at': { type: 'string', default: 'beginning' },
        'state-dir': { type: 'string' },
        compression: { type: 'string', default: 'lz4' },
      },
    });
    const startAt = values['start-at'];
    if (startAt !== 'beginning' && startAt !== 'end') throw new TributaryError('USAGE', `--start-at must be beginning or end, not ${startAt}`);
    const compression = values.compression;
    if (compression !== 'lz4' && compression !== 'gzip' && compression !== 'none') throw new TributaryError('USAGE', `--compression must be lz4, gzip or none, not ${compression}`);
    const brokers = values.brokers ? values.brokers.split(',') : defaultBrokers();
    const host = values.host ?? DEFAULT_HOST;
    const sources: Source[] = [];
    if (values.tail?.length) {
      sources.push(
        new FileSource('files', {
          include: values.tail,
          exclude: values.exclude ?? [],
          service: values.service ?? 'unknown',
          host,
          startAt,
          stateDir: values['state-dir'] ?? join(stateDir(), 'agent'),
        }),
      );
    } else {
      sources.push(new StdinSource({ service: values.service ?? 'stdin', host }));
    }
    const agent = new Agent({ sink: { brokers, compression }, sources });
    await agent.start();
    const stop = () => void agent.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (!values.tail?.length) {
      await agent.finished();
      await agent.stop();
      return 0;
    }
    await new Promise(() => undefined); // runs until a signal
    return 0;
  },
};

export default command;
