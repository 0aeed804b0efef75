/** `tributary agent`: ship files, stdin, OTLP pushes and host metrics into Kafka until stopped. */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { type AgentConfig, agentValidatorSource, configFromFlags, loadAgentConfig, sourceFilter } from '../../agents/config.ts';
import { agentFromConfig } from '../../agents/from-config.ts';
import { sourceDefinition } from '../../agents/sources/index.ts';
import type { FilterConfig } from '../../agents/transforms/filter.ts';
import { TributaryError } from '../../core/errors.ts';
import { log } from '../../core/log.ts';
import { checkAccess } from '../../core/kafka/admin.ts';
import { startTelemetry, stopTelemetry } from '../../core/telemetry.ts';
import { agentStatus, publishStatus } from '../status.ts';

const help = `Usage: tributary agent --config <file.yaml> [--check]
       tributary agent --tail '<glob>' --service <name> [--brokers host:port] [options]
       some-service | tributary agent --service <name>

Ships log lines, OTLP pushes and host metrics into Kafka (logs.v1, metrics.v1) with acks=all
through the idempotent producer. A file's checkpoint moves only after Kafka acknowledged every line
before it; SIGTERM or Ctrl-C flushes and checkpoints, and a restart resumes exactly there.
The configuration reference is agents/README.md; a complete example is agents/example-config.yaml.

Options:
  --config <file>        YAML configuration (every setting); the flags below are the quick start
  --check                validate the configuration, print what would run, and exit (0 = valid)
  --tail <glob>          files to ship (repeatable); without it and --config, lines are read from stdin
  --exclude <glob>       files to leave alone (repeatable)
  --service <name>       service name of the records
  --host <name>          host name of the records (default: this machine's name)
  --brokers <list>       Kafka brokers, host:port,... (default: TRIBUTARY_BROKERS or 127.0.0.1:9092)
  --parser <name>        auto (default), json, logfmt, combined, syslog or plain
  --min-severity <level> drop records below this severity on the host (e.g. INFO drops TRACE and DEBUG;
                         records that state none are kept)
  --start-at <where>     beginning (default) or end, for files never seen before
  --state-dir <dir>      where checkpoints live (default: $TRIBUTARY_HOME/agent)
  --compression <c>      lz4 (default), gzip or none
  --otlp <host:port>     also run the OTLP/HTTP intake (e.g. 127.0.0.1:4318)
  --syslog <addr>        also take syslog pushed to [udp://|tcp://]host:port (UDP unless tcp:// is
                         given; e.g. tcp://127.0.0.1:5514)
  --gelf <addr>          also take GELF pushed to [udp://|tcp://]host:port (e.g. 127.0.0.1:12201)
  --forward <addr>       also take Fluentd's Forward protocol on host:port (e.g. 127.0.0.1:24224; Docker's fluentd driver)
  --splunk-hec <addr>    also take Splunk's HTTP Event Collector API on host:port (e.g. 127.0.0.1:8088; any token on loopback)
  --elasticsearch <addr> also take Elasticsearch's bulk API on host:port (e.g. 127.0.0.1:9200; Filebeat, Logstash,
                         Fluent Bit's es output, Vector; no credentials on loopback)
  --journald             also read the systemd journal (through journalctl), from now on
  --host-metrics         also send this host's CPU, memory, load, disk and network metrics
  --scrape <url>         also scrape a Prometheus page every 15 s (repeatable; e.g.
                         http://127.0.0.1:9100/metrics)
  --remote-write <addr>  also take Prometheus' remote write (1.0 and 2.0) on host:port at /api/v1/write
                         (e.g. 127.0.0.1:9201; a Prometheus server's, its agent mode's, Grafana Alloy's)
  --logs-topic <t>       topic for log records (default logs.v1)
  --metrics-topic <t>    topic for metric points (default metrics.v1)
  --health <[host:]port> serve /healthz, /readyz and /metrics there (host 127.0.0.1 unless given;
                         default: TRIBUTARY_HEALTH_LISTEN, else off)
`;

/** A filter in a few words (`min_severity INFO, 2 drop rules`), after `prefix`; '' when it drops nothing. */
function filterText(f: FilterConfig | undefined, prefix: string): string {
  if (!f) return '';
  const parts: string[] = [];
  if (f.min_severity !== undefined) parts.push(`min_severity ${f.min_severity}${f.keep_unspecified === false ? ' (unspecified dropped)' : ''}`);
  if (f.drop?.length) parts.push(`${f.drop.length} drop rule${f.drop.length === 1 ? '' : 's'}`);
  if (f.keep?.length) parts.push(`${f.keep.length} keep rule${f.keep.length === 1 ? '' : 's'}`);
  if (f.throttle) parts.push(`at most ${f.throttle.limit} per ${f.throttle.window_ms ?? 1000} ms by ${(f.throttle.by ?? ['service']).join(', ')}`);
  if (f.sample?.length) parts.push(`sampling ${f.sample.map((x) => `1 in ${x.rate}${x.when ? ' of some' : ''}`).join(', ')}`);
  return parts.length > 0 ? prefix + parts.join(', ') : '';
}

function describe(cfg: AgentConfig): string {
  const t = cfg.kafka.tls;
  const tls = t ? `  tls: ${t.cert_file ? `client certificate ${t.cert_file}` : 'on'}${t.ca_file ? `, CA ${t.ca_file}` : ''}` : cfg.kafka.ssl ? '  tls: on' : '';
  const lines = [`brokers: ${cfg.kafka.brokers.join(',')}  topics: ${cfg.kafka.topics.logs}, ${cfg.kafka.topics.metrics}  compression: ${cfg.kafka.compression}${tls}`];
  for (const [name, s] of Object.entries(cfg.sources)) {
    const what = sourceDefinition(s.type)?.describe(s) ?? '';
    lines.push(`source ${name} (${s.type}): ${what}${filterText(sourceFilter(s), '; filter: ')}`);
  }
  const filter = filterText(cfg.transforms.filter, 'filter (every source): ');
  if (filter) lines.push(filter);
  lines.push(`state: ${cfg.state_dir}  disk buffer: ${cfg.buffer.disk.enabled ? `${cfg.buffer.disk.path} (${cfg.buffer.disk.max_bytes} bytes)` : 'off'}`);
  // This module's own URL says what runs: the bundle (bin/agent-bundle.js) or the sources through tsx.
  const self = fileURLToPath(import.meta.url);
  lines.push(`runs from: ${self.endsWith('.mjs') ? `the bundle ${self}` : 'the TypeScript sources (through tsx)'}`);
  const validator = agentValidatorSource();
  if (validator) lines.push(`config checked by: ${validator === 'precompiled' ? 'the validator written with the bundle' : 'the schema compiled at start (Ajv)'}`);
  return lines.join('\n');
}

const command: Command = {
  name: 'agent',
  summary: 'ship files, stdin, the journal, OTLP, syslog, GELF, Fluent Forward, host metrics and Prometheus metrics into Kafka',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        check: { type: 'boolean', default: false },
        tail: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        service: { type: 'string' },
        host: { type: 'string' },
        brokers: { type: 'string' },
        parser: { type: 'string' },
        'min-severity': { type: 'string' },
        'start-at': { type: 'string' },
        'state-dir': { type: 'string' },
        compression: { type: 'string' },
        otlp: { type: 'string' },
        syslog: { type: 'string' },
        gelf: { type: 'string' },
        forward: { type: 'string' },
        'splunk-hec': { type: 'string' },
        elasticsearch: { type: 'string' },
        journald: { type: 'boolean', default: false },
        'host-metrics': { type: 'boolean', default: false },
        scrape: { type: 'string', multiple: true },
        'remote-write': { type: 'string' },
        'logs-topic': { type: 'string' },
        'metrics-topic': { type: 'string' },
        health: { type: 'string' },
      },
    });
    let cfg: AgentConfig;
    try {
      if (values.config) {
        cfg = loadAgentConfig(values.config);
      } else {
        const stdin = !values.tail?.length && !values.otlp && !values.syslog && !values.gelf && !values.forward && !values['splunk-hec'] && !values.elasticsearch && !values.journald && !values['host-metrics'] && !values.scrape?.length && !values['remote-write'];
        cfg = configFromFlags({
          tail: values.tail?.length ? values.tail : undefined, stdin, service: values.service, brokers: values.brokers, parser: values.parser, stateDir: values['state-dir'],
          otlp: values.otlp, syslog: values.syslog, gelf: values.gelf, forward: values.forward, splunkHec: values['splunk-hec'], elasticsearch: values.elasticsearch, journald: values.journald, hostMetrics: values['host-metrics'], scrape: values.scrape, remoteWrite: values['remote-write'],
          minSeverity: values['min-severity'],
        });
        for (const s of Object.values(cfg.sources)) {
          if (s.type !== 'file') continue;
          if (values.exclude) s.exclude = values.exclude;
          if (values['start-at']) {
            if (values['start-at'] !== 'beginning' && values['start-at'] !== 'end') throw new TributaryError('USAGE', `--start-at must be beginning or end, not ${values['start-at']}`);
            s.start_at = values['start-at'];
          }
        }
        if (values.host) cfg.host.name = values.host;
        if (values.compression) {
          const c = values.compression;
          if (c !== 'lz4' && c !== 'gzip' && c !== 'none') throw new TributaryError('USAGE', `--compression must be lz4, gzip or none, not ${c}`);
          cfg.kafka.compression = c;
        }
        if (values['logs-topic']) cfg.kafka.topics.logs = values['logs-topic'];
        if (values['metrics-topic']) cfg.kafka.topics.metrics = values['metrics-topic'];
      }
    } catch (err) {
      if (values.check && err instanceof TributaryError) {
        process.stderr.write(`${err.message}\n`);
        return 1;
      }
      throw err;
    }
    // Building the agent checks what the schema cannot (a token for a non-loopback intake).
    const agent = agentFromConfig(cfg);
    if (values.check) {
      process.stdout.write(`The agent configuration is valid.\n${describe(cfg)}\n`);
      return 0;
    }
    // A wrong password or an untrusted certificate is said once, at start, instead of retried forever.
    await checkAccess({ brokers: cfg.kafka.brokers, ssl: agent.sinkOptions.ssl, sasl: cfg.kafka.sasl });
    // Before start: a source's first read can hold start() while the buffers are full, and that is worth seeing.
    const board = publishStatus((rates, now) => [agentStatus(agent, rates, now, cfg.service.name ?? 'agent')]);
    // Before the sink starts: its batch spans are recorded only once an SDK runs (OTEL_EXPORTER_OTLP_ENDPOINT).
    await startTelemetry('tributary-agent');
    await agent.start();
    const healthAt = values.health ?? process.env.TRIBUTARY_HEALTH_LISTEN;
    // The health server's metrics (OpenTelemetry's SDK and Prometheus exporter, about 50 ms of CPU and 5 MB to load) only when asked for.
    const health = healthAt ? await (await import('../../agents/health.ts')).serveAgentHealth(agent, healthAt) : undefined;
    if (health) log('agent').info({ health: `http://${health.server.host}:${health.server.port}` }, 'Serving /healthz, /readyz and /metrics.');
    const finiteOnly = agent.sources.every((s) => s.done !== undefined);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log('agent').warn({ signal }, 'A second signal: leaving without waiting for Kafka; unacknowledged lines are read again at the next start.');
        process.exit(1);
      }
      stopping = true;
      void board.stop().then(() => agent.stop()).then(() => stopTelemetry()).then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (finiteOnly) {
      await agent.finished();
      await board.stop();
      await agent.stop();
      await stopTelemetry();
      return 0;
    }
    await new Promise(() => undefined); // runs until a signal
    return 0;
  },
};

export default command;
