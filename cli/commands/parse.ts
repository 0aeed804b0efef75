/**
 * `tributary parse`: raw log lines in (files named on the command line, or stdin), on stdout the JSON
 * record the agent would send to `logs.v1` for each, built by the agent's own line splitting,
 * multiline assembly and record builder (parser, time zone, severity, redaction) and, from a
 * configuration or --min-severity, its record filter, with nothing sent anywhere.
 */
import { createReadStream, openSync, closeSync, fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { type AgentConfig, type FileSourceConfig, type StdinSourceConfig, configFromFlags, inferenceOptions, loadAgentConfig, multilineOptions, redactorOptions } from '../../agents/config.ts';
import { createKeep, createRecordBuilder, newCounters } from '../../agents/record-builder.ts';
import { checkFilter, type FilterConfig } from '../../agents/transforms/filter.ts';
import type { ConfigIssue } from '../../core/config/loader.ts';
import type { SourceContext } from '../../agents/source.ts';
import { StdinSource } from '../../agents/sources/stdin.ts';
import { isValidTimeZone } from '../../agents/transforms/timestamp.ts';
import { TributaryError } from '../../core/errors.ts';
import { log } from '../../core/log.ts';

const help = `Usage: tributary parse [options] [<file> ...]
       some-service | tributary parse [--parser <name>] [--service <name>] [--host <name>]
       tributary parse --config <agent.yaml> [--source <name>] app.log

Prints, for every record read from the files (one after another; - or none: stdin), the JSON
object the agent would send to logs.v1: time
(RFC 3339), severity_text and severity_number, body, service, host, attributes, resource, trace
and span ids and origin. Nothing is sent; no broker is needed. It is the way to see what the agent
will make of your logs before shipping them.

The record is built by the agent's own code: the stdin source's line splitting and multiline
assembly (a stack trace is one record, as it would be in Kafka), the source's parser and time zone,
severity inference and redaction. A file's records carry its path and each line's byte offset in
their origin, as the file source's do (the agent adds the file's fingerprint). At the end, a summary
goes to stderr: records, lines no format matched (kept whole, with the time of reading), lines
with an impossible date, and records the filter dropped.

With --config, records the configuration's filters drop (transforms.filter, then the source's
filter) are not printed, as the agent would not send them: the way to try a filter on a real log
before shipping it. --no-filter prints every record.

Options:
  --parser <name>        auto (default), json, logfmt, combined, syslog or plain
  --service <name>       service name of the records (a line's own JSON "service" field wins)
  --host <name>          host name of the records (default: this machine's name)
  --time-zone <zone>     IANA zone for stamps written without an offset (default UTC)
  --config <file>        take parser, time zone, service, attributes, multiline and redaction
                         from this agent configuration
  --source <name>        with --config: which file or stdin source (default: the first one)
  --min-severity <level> print only records of this severity or above (and those that state none)
  --no-filter            print every record, whatever the configuration's filters drop
  --no-multiline         one record per line, even for stack traces
`;

type LineSource = FileSourceConfig | StdinSourceConfig;

function pickSource(cfg: AgentConfig, name: string | undefined): { name: string; src: LineSource } {
  const entries = Object.entries(cfg.sources).filter((e): e is [string, LineSource] => e[1].type === 'file' || e[1].type === 'stdin');
  if (name !== undefined) {
    const hit = entries.find(([n]) => n === name);
    if (!hit) throw new TributaryError('USAGE', `--source ${name}: no file or stdin source of that name; the configuration has: ${entries.map(([n]) => n).join(', ') || 'none'}`);
    return { name: hit[0], src: hit[1] };
  }
  const first = entries[0];
  if (!first) throw new TributaryError('USAGE', 'the configuration has no file or stdin source whose parser could be used');
  return { name: first[0], src: first[1] };
}

const command: Command = {
  name: 'parse',
  summary: 'print the record the agent would make of each line on stdin',
  help,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: {
          config: { type: 'string' },
          source: { type: 'string' },
          service: { type: 'string' },
          host: { type: 'string' },
          parser: { type: 'string' },
          'time-zone': { type: 'string' },
          'no-multiline': { type: 'boolean', default: false },
          'min-severity': { type: 'string' },
          'no-filter': { type: 'boolean', default: false },
        },
        allowPositionals: true,
      }));
    } catch (err) {
      throw new TributaryError('USAGE', `parse: ${(err as Error).message}`);
    }
    if (values['no-filter'] && values['min-severity'] !== undefined) throw new TributaryError('USAGE', '--min-severity and --no-filter together: give one');
    const cfg = values.config ? loadAgentConfig(values.config) : configFromFlags({ stdin: true, service: values.service, parser: values.parser, minSeverity: values['min-severity'] });
    const { name, src } = pickSource(cfg, values.source);
    if (values.config && values.parser) throw new TributaryError('USAGE', '--parser and --config together: the parser comes from the configuration');
    const timeZone = values['time-zone'] ?? src.time_zone;
    if (!isValidTimeZone(timeZone)) throw new TributaryError('USAGE', `--time-zone ${timeZone}: not an IANA time zone (e.g. Europe/Berlin, UTC)`);
    const service = (values.config ? values.service : undefined) ?? src.service ?? cfg.service.name;
    const host = values.host ?? cfg.host.name;
    // Every file is opened before the first record is printed: a misspelt path is a usage error, not
    // a half-printed run.
    const inputs = (positionals.length === 0 ? ['-'] : positionals).map(openInput);
    const counters = newCounters();
    const toRecord = createRecordBuilder(counters, {
      parser: src.parser,
      timeZone,
      redaction: redactorOptions(cfg),
      inference: inferenceOptions(cfg),
      resource: cfg.host.resource,
      source: name,
    });
    const filters: FilterConfig[] = values['no-filter'] ? [] : [cfg.transforms.filter, ...(src.filter ? [src.filter] : [])];
    // --min-severity with --config: one more filter after the configuration's.
    if (values.config && values['min-severity'] !== undefined) filters.push(validateMinSeverity(values['min-severity']));
    const keep = createKeep(counters, { filter: filters, source: name });
    let closed = false;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      // `tributary parse < big.log | head` ends quietly.
      if (err.code === 'EPIPE') closed = true;
      else throw err;
    });
    for (const input of inputs) {
      if (closed) {
        input.close();
        continue;
      }
      const source = new StdinSource({
        service,
        host,
        input: input.stream,
        path: input.path,
        encoding: src.encoding,
        maxLineBytes: src.max_line_bytes,
        onLongLine: src.on_long_line,
        multiline: values['no-multiline'] ? false : (multilineOptions(src.multiline) ?? false),
        attributes: src.attributes,
        toRecord,
      });
      const ctx: SourceContext = {
        async emit(batch) {
          if (closed) return;
          let text = '';
          for (const e of batch.events) if (e.type === 'log' && (keep === undefined || keep(e.record))) text += JSON.stringify(e.record) + '\n';
          if (!process.stdout.write(text) && !closed) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
        },
        toRecord,
        redact: (r) => r,
        log: log('parse'),
      };
      await source.start(ctx);
      try {
        await source.done;
      } catch (err) {
        throw new TributaryError('USAGE', `parse: reading ${input.path ?? 'stdin'}: ${(err as Error).message}`);
      } finally {
        await source.stop();
      }
    }
    const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);
    const throttled = sum(counters.throttled);
    const dropped = keep ? `; ${sum(counters.filtered)} dropped by the filter${throttled > 0 ? ` and ${throttled} by its throttle` : ''} (not printed)` : '';
    process.stderr.write(`${counters.records} records; ${sum(counters.unmatched)} matched no format (kept whole, time of reading); ${sum(counters.badTime)} had an impossible date${dropped}\n`);
    return 0;
  },
};

/** `--min-severity` as a filter, refused as the configuration would refuse it. */
function validateMinSeverity(level: string): FilterConfig {
  const issues: ConfigIssue[] = [];
  checkFilter({ min_severity: level }, '--min-severity', issues);
  if (issues.length > 0) throw new TributaryError('USAGE', `--min-severity ${level}: ${issues[0]!.message.replace(/^unknown severity "[^"]*" /, 'not a severity ')}`);
  return { min_severity: level };
}

/** A file named on the command line, opened now (or stdin for `-`). */
function openInput(arg: string): { path?: string; stream: NodeJS.ReadableStream; close(): void } {
  if (arg === '-') return { stream: process.stdin, close: () => {} };
  let fd: number;
  try {
    fd = openSync(arg, 'r');
  } catch (err) {
    throw new TributaryError('USAGE', `parse: cannot read ${arg}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new TributaryError('USAGE', `parse: ${arg} is a directory; name the log files in it`);
  }
  return { path: arg, stream: createReadStream('', { fd }), close: () => closeSync(fd) };
}

export default command;
