/**
 * The agent's configuration: a YAML file (or command-line flags) in, a validated AgentConfig with
 * every default filled in out. `${ENV_VAR}` in any string value and a few TRIBUTARY_* variables
 * supply secrets; every mistake is reported with the key's path (`sources.app.include[0]: must be string`).
 * Keys are snake_case, as the user writes them.
 */
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema, joinPath, type ConfigIssue, type EnvOverride, type ValidateOptions } from '../core/config/loader.ts';
import { configReferenceMarkdown as referenceOf } from '../core/config/reference.ts';
import { TOPICS, type LogEncoding } from '../core/contracts/topics.ts';
import { defaultBrokers, stateDir } from '../core/paths.ts';
import { ENCODINGS } from './transforms/line-splitter.ts';
import type { MultilineOptions } from './transforms/multiline.ts';
import { buildParser, PARSER_NAMES, PARSERS, type ParserConfig } from './transforms/parsers/index.ts';
import { BUILTIN_RULE_NAMES, compileUserRule, SECRET_ATTRIBUTE_RULE, type RedactorOptions, type UserRuleConfig } from './transforms/redact.ts';
import { DEFAULT_INFERENCE, severityFromText, type SeverityInferenceOptions } from './transforms/severity.ts';
import { checkFormat, isValidTimeZone } from './transforms/timestamp.ts';

// ---------------------------------------------------------------------------------------------
// Types (snake_case: this is the user-facing layer)

export interface MultilineConfig {
  enabled: boolean;
  start_pattern?: string;
  continue_pattern?: string;
  start_with_stamp: boolean;
  timeout_ms: number;
  max_lines: number;
  max_bytes: number;
}

interface LineSourceCommon {
  service?: string;
  attributes: Record<string, string>;
  parser: ParserConfig;
  time_zone: string;
  multiline: MultilineConfig;
  encoding: 'auto' | 'utf8' | 'utf16le' | 'utf16be';
  max_line_bytes: number;
  on_long_line: 'split' | 'truncate';
}

export interface FileSourceConfig extends LineSourceCommon {
  type: 'file';
  include: string[];
  exclude: string[];
  start_at: 'beginning' | 'end';
  poll_ms: number;
  discover_ms: number;
  idle_poll_ms: number;
  watch: boolean;
  watched_poll_ms: number;
  read_bytes: number;
  rotate_wait_ms: number;
  checkpoint_expire_ms: number;
  container_path: boolean;
}

export interface StdinSourceConfig extends LineSourceCommon {
  type: 'stdin';
}

export interface OtlpSourceConfig {
  type: 'otlp';
  listen: string;
  bearer_token_env?: string;
  max_body_bytes: number;
  service?: string;
}

/** A network intake of pushed messages (syslog, GELF): one protocol, one mode, one address. */
export interface ListenerSourceConfig {
  type: 'syslog' | 'gelf';
  mode: 'udp' | 'tcp';
  listen: string;
  max_message_bytes: number;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
}

export interface JournaldSourceConfig {
  type: 'journald';
  directory?: string;
  units: string[];
  identifiers: string[];
  priority?: string;
  start_at: 'beginning' | 'end';
  journalctl_path: string;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
}

export interface HostMetricsSourceConfig {
  type: 'host_metrics';
  interval_ms: number;
  collectors: Array<'cpu' | 'memory' | 'load' | 'disk' | 'network'>;
  proc_path: string;
  service?: string;
}

export type SourceConfig = FileSourceConfig | StdinSourceConfig | OtlpSourceConfig | ListenerSourceConfig | JournaldSourceConfig | HostMetricsSourceConfig;

export interface AgentConfig {
  service: { name: string };
  host: { name: string; resource: Record<string, string> };
  kafka: {
    brokers: string[];
    client_id: string;
    ssl: boolean;
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    compression: 'lz4' | 'gzip' | 'none';
    acks: 'all';
    idempotent: true;
    batch: { max_events: number; max_bytes: number; linger_ms: number };
    max_record_bytes: number;
    request_timeout_ms: number;
    client: 'native' | 'kafkajs';
    key: 'service' | 'service_host' | 'source';
    encoding: LogEncoding;
    max_in_flight: number;
    records_per_message: number;
    topics: { logs: string; metrics: string; dlq: string };
  };
  sources: Record<string, SourceConfig>;
  transforms: {
    threads: number;
    redaction: { enabled: boolean; disabled: string[]; rules: UserRuleConfig[] };
    severity_inference: { enabled: boolean; rules?: Array<{ pattern: string; severity: string }> };
  };
  buffer: {
    memory: { max_events: number; max_bytes: number };
    disk: { enabled: boolean; path?: string; max_bytes: number };
    when_full: 'block';
  };
  state_dir: string;
  self_metrics: { enabled: boolean; interval_ms: number };
}

// ---------------------------------------------------------------------------------------------
// Schema

const MiB = 1024 * 1024;

const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra });
const int = (description: string, minimum: number, dflt?: number, extra: object = {}) =>
  ({ type: 'integer', minimum, description, ...(dflt !== undefined ? { default: dflt } : {}), ...extra });
const bool = (description: string, dflt: boolean) => ({ type: 'boolean', description, default: dflt });
const stringMap = (description: string) => ({ type: 'object', description, additionalProperties: { type: 'string' }, default: {} });
const obj = (description: string, properties: Record<string, object>, extra: object = {}) =>
  ({ type: 'object', description, additionalProperties: false, properties, default: {}, ...extra });

/** Each parser's own options, from the registry: one discriminated branch per parser. */
function parserSchema(): object {
  return {
    type: 'object',
    description: `How lines are parsed: ${PARSER_NAMES.join(', ')}. A string is short for {type: <name>}. A line the parser does not match is kept as a plain body.`,
    discriminator: { propertyName: 'type' },
    required: ['type'],
    properties: { type: { type: 'string', description: 'Parser name.' } },
    oneOf: PARSER_NAMES.map((name) => {
      const def = PARSERS[name];
      return {
        type: 'object',
        additionalProperties: false,
        properties: { type: { const: name, description: def.description }, ...def.configProperties },
        ...(def.required ? { required: def.required } : {}),
      };
    }),
    default: { type: 'auto' },
  };
}

const multilineSchema = obj('Assembling multiline records (stack traces) from lines.', {
  enabled: bool('Assemble multiline records. Off: every line is a record.', true),
  start_pattern: str('Regular expression: a line matching it starts a new record, others continue it. Default: built-in rules for what runtimes and servers print after a first line: stack traces of Java, Python, Node, Go, Rust, PHP and C++ (indented lines, "Caused by:", "... N more", Traceback, goroutine dumps), PostgreSQL\'s DETAIL/HINT/STATEMENT lines, RabbitMQ\'s lines under a repeated prefix (agents/transforms/README.md, "Multiline").', { minLength: 1 }),
  continue_pattern: str('Regular expression: a line matching it continues the pending record, others start one. Exclusive with start_pattern.', { minLength: 1 }),
  start_with_stamp: bool('Records start with a time stamp: under a record whose first line starts with one (any shape the parser reads, also after "[" or a terminal colour), every line without one continues it, so a message of several lines or a dump stays one record; under a first line without one the built-in rules decide. For logs whose every entry is stamped; exclusive with start_pattern and continue_pattern.', false),
  timeout_ms: int('Flush a pending record after this many ms without a new line.', 1, 1000),
  max_lines: int('Most lines in one record; longer ones are cut into numbered parts (tributary.multiline.part).', 1, 500),
  max_bytes: int('Most bytes in one record; larger ones are cut into numbered parts.', 64, MiB),
});

const lineSourceCommon = {
  service: str('Service name for records of this source (default: service.name); a service named by the line itself wins.', { minLength: 1 }),
  attributes: stringMap('Attributes added to every record of this source.'),
  parser: parserSchema(),
  time_zone: str('IANA time zone for timestamps written without an offset.', { default: 'UTC' }),
  multiline: multilineSchema,
  encoding: str('Text encoding: auto (BOM, else UTF-8), utf8, utf16le or utf16be. Invalid bytes become U+FFFD.', { enum: ENCODINGS, default: 'auto' }),
  max_line_bytes: int('A line longer than this many bytes is split or truncated, marked and counted.', 64, MiB),
  on_long_line: str('What to do with a line longer than max_line_bytes: split into parts (tributary.line.part) or truncate (tributary.line.truncated_bytes).', { enum: ['split', 'truncate'], default: 'split' }),
};

const LISTEN_PATTERN = '^(\\[[0-9a-fA-F:]+\\]|[^\\s:]+):\\d{1,5}$';

/** The keys of a network intake (syslog, GELF); they differ in their defaults. */
function listenerSourceProperties(type: 'syslog' | 'gelf', description: string, port: number, maxBytes: number): Record<string, object> {
  return {
    type: { const: type, description },
    mode: str('udp or tcp. Over UDP nothing slows a sender: datagrams that arrive while the agent holds 10 000 messages for Kafka are dropped and counted (dropped). Over TCP a sender is slowed instead (its connection is not read while the sink has no room).', { enum: ['udp', 'tcp'], default: 'udp' }),
    listen: str(`host:port the ${type === 'gelf' ? 'GELF' : 'syslog'} intake listens on. Anything but a loopback address takes messages from whoever can reach it (neither syslog nor GELF authenticates a sender): bind it to an interface only trusted senders reach.`, { default: `127.0.0.1:${port}`, pattern: LISTEN_PATTERN }),
    max_message_bytes: int(type === 'gelf' ? 'Largest message, joined from its chunks and decompressed; larger ones are dropped and counted (too_large).' : 'Largest message; a longer one is cut there and counted (truncated).', 256, maxBytes, { maximum: 16 * MiB }),
    service: str(`Service name for records whose message names none (default: ${type === 'syslog' ? 'the message\'s APP-NAME or TAG, else ' : 'the container\'s name from Docker\'s gelf driver, else '}service.name).`, { minLength: 1 }),
    attributes: stringMap('Attributes added to every record of this source (besides network.peer.address, the sender\'s address).'),
    parser: parserSchema(),
    time_zone: str('IANA time zone for timestamps written without an offset (RFC 3164 syslog stamps have none).', { default: 'UTC' }),
  };
}

const sourceSchema = {
  type: 'object',
  description: 'One source; its type picks the other keys.',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string', description: 'Source type.' } },
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['type', 'include'],
      properties: {
        type: { const: 'file', description: 'Tail files matched by globs, across rotation and truncation.' },
        include: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Globs of files to read; relative globs are relative to the config file.' },
        exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Globs of files to leave alone.' },
        start_at: str('Where to start in a file seen for the first time: beginning (default: nothing is missed, and files that appear later must be read whole anyway) or end.', { enum: ['beginning', 'end'], default: 'beginning' }),
        poll_ms: int('How often to look for new data in open files (and for new files, at most every discover_ms).', 10, 250),
        discover_ms: int('How often, at most, the globs are expanded again to find new files (0: at every poll); files already open are still read every poll_ms. Rotation does not wait for it: at every poll the paths of the files being written (new bytes in one of the last two polls) and, for rotate_wait_ms, the paths files just left are looked up, and a rename or deletion there expands the globs at once. A new file that replaces none of these (a new name, or the replacement of an idle file) is found within this interval; one created and moved out of the globs or deleted within it is never read.', 0, 1000),
        idle_poll_ms: int('How often a file that has not grown for 5 s is looked at (at least every poll_ms; 0: every poll). With many files mostly at rest (a node\'s container logs) looking at each one every poll is most of what an idle agent does; a resting file\'s next lines, or its truncation, are then seen within this interval. Files being written, rotated away or holding a multiline record are looked at every poll.', 0, 1000),
        watch: bool('Ask the kernel (inotify, through fs.watch) to report the next change to each file at rest: a resting file written, truncated or renamed is then read at the next poll instead of at its next look, and is looked at otherwise only every watched_poll_ms. The watch is on the file itself, so writes through a link are seen; one watch per resting file (fs.inotify.max_user_watches; a file whose watch cannot be set keeps idle_poll_ms, counted in watch_failures). Off: resting files are found by idle_poll_ms alone.', true),
        watched_poll_ms: int('How often a watched file at rest is looked at anyway (at least idle_poll_ms), for changes the kernel does not report: writes through a memory map, or by another host on a network file system (turn watch off for those).', 0, 10_000),
        read_bytes: int('Bytes read per read call.', 4096, 256 * 1024),
        rotate_wait_ms: int('A rotated-away or deleted file is closed after it has not grown for this long.', 0, 5000),
        checkpoint_expire_ms: int('Checkpoints of files gone for this long are forgotten.', 0, 7 * 24 * 3600 * 1000),
        container_path: bool('Read a container log\'s metadata from its path, as the kubelet names the files (/var/log/pods/NAMESPACE_POD_UID/CONTAINER/N.log and /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log, under any mount point): k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.container.name, k8s.container.restart_count or container.id as attributes, and the container\'s name as the service when the source names none; Docker\'s json-file logs (/var/lib/docker/containers/ID/ID-json.log) give container.id. Other files are not touched.', true),
        ...lineSourceCommon,
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: { type: { const: 'stdin', description: 'Read lines from standard input (some-service | tributary agent).' }, ...lineSourceCommon },
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: {
        type: { const: 'otlp', description: 'OTLP/HTTP intake for logs and metrics (protobuf and JSON).' },
        listen: str('host:port to listen on. Anything but a loopback address needs bearer_token_env.', { default: '127.0.0.1:4318', pattern: LISTEN_PATTERN }),
        bearer_token_env: str('Name of the environment variable holding the bearer token clients must send.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
        max_body_bytes: int('Largest request body accepted.', 1024, 4 * MiB),
        service: str('Service name for records that do not name one (default: service.name).', { minLength: 1 }),
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: listenerSourceProperties('syslog', 'Syslog pushed over UDP or TCP (RFC 5424 and 3164; over TCP octet-counted or line-ended, RFC 6587), as rsyslog, syslog-ng and network devices send it.', 5514, 64 * 1024),
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: listenerSourceProperties('gelf', 'GELF pushed over UDP (chunked, gzip or zlib) or TCP (NUL-ended), as Docker\'s gelf log driver and Graylog\'s libraries send it.', 12201, MiB),
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: {
        type: { const: 'journald', description: 'The systemd journal, through journalctl, from the cursor after the last entry Kafka acknowledged.' },
        directory: str('A journal folder to read instead of the system\'s (a host\'s /var/log/journal mounted into a container, say).', { minLength: 1 }),
        units: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Only entries of these systemd units (journalctl --unit; any of them). Empty: every unit.' },
        identifiers: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Only entries with these SYSLOG_IDENTIFIERs (journalctl --identifier; any of them). Empty: every one.' },
        priority: str('Only entries of this priority or more severe: emerg, alert, crit, err, warning, notice, info or debug (0-7). Default: every entry.', { enum: ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', '0', '1', '2', '3', '4', '5', '6', '7'] }),
        start_at: str('Where to start without a kept cursor (a first run): end (default: entries written from now on; the journal keeps weeks) or beginning (every entry it keeps).', { enum: ['beginning', 'end'], default: 'end' }),
        journalctl_path: str('The journalctl to run.', { default: 'journalctl', minLength: 1 }),
        service: str('Service name for every record of this source (default: each entry\'s SYSLOG_IDENTIFIER, else its unit, else service.name); a service named by the message itself wins.', { minLength: 1 }),
        attributes: stringMap('Attributes added to every record of this source.'),
        parser: parserSchema(),
        time_zone: str('IANA time zone for timestamps written without an offset in messages.', { default: 'UTC' }),
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['type'],
      properties: {
        type: { const: 'host_metrics', description: 'CPU, memory, load, disk and network from /proc, as metric points.' },
        interval_ms: int('Collection interval.', 1000, 10_000),
        collectors: {
          type: 'array', uniqueItems: true, minItems: 1, description: 'Which metric groups to collect.',
          items: { type: 'string', enum: ['cpu', 'memory', 'load', 'disk', 'network'] },
          default: ['cpu', 'memory', 'load', 'disk', 'network'],
        },
        proc_path: str('Where procfs is mounted (a container may mount the host\'s elsewhere).', { default: '/proc' }),
        service: str('Service name for the metric points (default: service.name).', { minLength: 1 }),
      },
    },
  ],
};

export const AGENT_CONFIG_SCHEMA = {
  $id: 'https://tributary.dev/schemas/agent-config.json',
  type: 'object',
  description: 'Tributary agent configuration.',
  additionalProperties: false,
  required: ['sources'],
  properties: {
    service: obj('The default service of records.', {
      name: str('Service name for records whose source and line do not name one.', { minLength: 1, default: 'unknown_service' }),
    }),
    host: obj('This host.', {
      name: str('Host name put on every record (default: the machine\'s host name).', { minLength: 1 }),
      resource: stringMap('Resource attributes added to every record (region, environment, ...).'),
    }),
    kafka: obj('Where records go.', {
      brokers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:\\d{1,5}$' }, description: 'Bootstrap brokers, host:port (default: TRIBUTARY_BROKERS or the local stack).' },
      client_id: str('Kafka client id.', { default: 'tributary-agent', minLength: 1 }),
      ssl: bool('Connect with TLS.', false),
      sasl: obj('SASL authentication; put the password in an environment variable: password: ${KAFKA_PASSWORD}.', {
        mechanism: str('SASL mechanism.', { enum: ['plain', 'scram-sha-256', 'scram-sha-512'] }),
        username: str('SASL user name (or TRIBUTARY_KAFKA_USERNAME).', { minLength: 1 }),
        password: str('SASL password (use ${ENV_VAR} or TRIBUTARY_KAFKA_PASSWORD; never write it in the file).', { minLength: 1 }),
      }, { required: ['mechanism', 'username', 'password'], default: undefined }),
      compression: str('Compression of produce requests.', { enum: ['lz4', 'gzip', 'none'], default: 'lz4' }),
      acks: str('Acknowledgements: always all, so that a checkpoint never passes a record a broker could lose.', { enum: ['all'], default: 'all' }),
      idempotent: { type: 'boolean', const: true, default: true, description: 'Idempotent producer: always on, so retries never duplicate.' },
      batch: obj('Batching of produce requests.', {
        max_events: int('Most records in one produce request.', 1, 5000),
        max_bytes: int('Most value bytes (before compression) in one produce request.', 1024, 900 * 1024),
        linger_ms: int('How long to wait for more records before sending a partial batch.', 0, 20),
      }),
      max_record_bytes: int('A record larger than this has its body truncated (marked and counted) so Kafka never refuses it.', 1024, 900 * 1024),
      request_timeout_ms: int('How long to wait for a broker to answer a request.', 100, 30_000),
      client: str('Producer: native (the default: Tributary\'s own idempotent producer, several requests in flight, about 14x less CPU per record than kafkajs) or kafkajs (the fallback: one request in flight).', { enum: ['native', 'kafkajs'], default: 'native' }),
      key: str('Key of log records, which picks the partition: service_host (a busy service spreads over partitions by host, in order per host; the worker merges its windows across partitions), service (one service on one partition), or source (host and file).', { enum: ['service', 'service_host', 'source'], default: 'service_host' }),
      encoding: str('How log records are written: json (the default; any Kafka client reads it) or otlp_proto (each value an OTLP ExportLogsServiceRequest with one log record, content-type application/x-protobuf, as the OpenTelemetry Collector\'s Kafka receiver reads with encoding: otlp_proto). The worker reads both; metric points stay JSON.', { enum: ['json', 'otlp_proto'], default: 'json' }),
      records_per_message: int('With encoding otlp_proto: most log records in one Kafka message (one OTLP request of neighbouring records that share key and resource, at most max_record_bytes; its Kafka timestamp the newest record\'s time), as the OpenTelemetry Collector\'s Kafka exporter writes. Fewer, larger Kafka records cost the agent and the brokers less per line; a consumer then reads several log records from a message (the worker and the Collector\'s Kafka receiver do). 1: one per message.', 1, 1, { maximum: 1000 }),
      max_in_flight: int('Produce requests awaiting acknowledgement at once (native client; Kafka keeps order with idempotence up to 5).', 1, 5, { maximum: 5 }),
      topics: obj('Topic names.', {
        logs: str('Topic for log records.', { default: TOPICS.logs.name, minLength: 1 }),
        metrics: str('Topic for metric points.', { default: TOPICS.metrics.name, minLength: 1 }),
        dlq: str('Dead-letter topic.', { default: TOPICS.dlq.name, minLength: 1 }),
      }),
    }),
    sources: {
      type: 'object',
      description: 'Sources by name (letters, digits, _ and -).',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_-]{1,64}$' },
      additionalProperties: sourceSchema,
    },
    transforms: obj('Processing on the host before records leave it.', {
      threads: int('Worker threads that parse, redact and encode file lines, so the main thread only reads and sends (0: all on the main thread). Each costs memory (in bench/agent.ts on 2026-11-30, 3 MB of peak RSS for the first, 36 MB more for a second); see the README for what they gain.', 0, 1, { maximum: 64 }),
      redaction: obj('Masking secrets and personal data in bodies and attribute values.', {
        enabled: bool('Redact at all.', true),
        disabled: {
          type: 'array', uniqueItems: true, default: [], description: 'Built-in rules to switch off.',
          items: { type: 'string', enum: [...BUILTIN_RULE_NAMES, SECRET_ATTRIBUTE_RULE] },
        },
        rules: {
          type: 'array', default: [], description: 'Your own rules, applied after the built-ins.',
          items: {
            type: 'object', additionalProperties: false, required: ['name', 'pattern'], description: 'One user rule.',
            properties: {
              name: str('Rule name, used in counters and to tell rules apart.', { pattern: '^[a-z0-9_]{1,64}$' }),
              pattern: str('JavaScript regular expression.', { minLength: 1 }),
              replacement: str('Replacement; $1 and $<name> refer to groups. Default ***.'),
              flags: str('Regular expression flags besides g (i, m, s, u).', { pattern: '^[imsu]*$' }),
            },
          },
        },
      }),
      severity_inference: obj('Guessing a severity from the body when the line has none.', {
        enabled: bool('Guess at all; off leaves such records UNSPECIFIED.', true),
        rules: {
          type: 'array', description: 'Replace the built-in guesses (FATAL/panic, ERROR/Exception/Traceback, WARN): first match wins.',
          items: {
            type: 'object', additionalProperties: false, required: ['pattern', 'severity'], description: 'One guess.',
            properties: {
              pattern: str('JavaScript regular expression tested against the body.', { minLength: 1 }),
              severity: str('Severity word given to a matching body (ERROR, WARN, ...).', { minLength: 1 }),
            },
          },
        },
      }),
    }),
    buffer: obj('What the agent holds while Kafka is slow or down.', {
      memory: obj('In-memory buffer.', {
        max_events: int('Most records held in memory (10,000: more than the native producer keeps in flight, 5 requests of about 1,400; 20,000 cost about 30 MB more peak RSS for no measured gain in bench/agent.ts).', 1, 10_000),
        max_bytes: int('Most bytes held in memory.', 1024, 64 * MiB),
      }),
      disk: obj('Optional disk buffer, used when memory is full.', {
        enabled: bool('Spill to disk when memory is full.', false),
        path: str('Folder of the disk buffer (default: <state_dir>/buffer).', { minLength: 1 }),
        max_bytes: int('Most bytes on disk.', MiB, 1024 * MiB),
      }),
      when_full: str('When every buffer is full: block (reading pauses; nothing is dropped).', { enum: ['block'], default: 'block' }),
    }),
    state_dir: str('Folder for checkpoints (default: $TRIBUTARY_HOME/agent or ~/.local/state/tributary/agent).', { minLength: 1 }),
    self_metrics: obj('The agent\'s own counters, sent as metric points.', {
      enabled: bool('Send them.', true),
      interval_ms: int('How often.', 1000, 10_000),
    }),
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Errors and environment: the shared loader (core/config/loader.ts)

export { ConfigError, substituteEnv, type ConfigIssue } from '../core/config/loader.ts';

/** Environment variables that override config values (after `${...}` substitution, before validation). */
export const ENV_OVERRIDES: ReadonlyArray<EnvOverride> = [
  { name: 'TRIBUTARY_BROKERS', path: 'kafka.brokers', description: 'Comma-separated host:port list.', list: true },
  { name: 'TRIBUTARY_KAFKA_USERNAME', path: 'kafka.sasl.username', description: 'SASL user name.' },
  { name: 'TRIBUTARY_KAFKA_PASSWORD', path: 'kafka.sasl.password', description: 'SASL password.' },
  { name: 'TRIBUTARY_KAFKA_SASL_MECHANISM', path: 'kafka.sasl.mechanism', description: 'SASL mechanism.' },
  { name: 'TRIBUTARY_SERVICE', path: 'service.name', description: 'Default service name.' },
  { name: 'TRIBUTARY_HOST', path: 'host.name', description: 'Host name on records.' },
  { name: 'TRIBUTARY_STATE_DIR', path: 'state_dir', description: 'Checkpoint folder.' },
];

// ---------------------------------------------------------------------------------------------
// Validation

/** Shorthands the schema does not spell out: `parser: json` is `parser: {type: json}`. */
function normaliseShorthands(raw: Record<string, unknown>): void {
  const sources = raw.sources;
  if (sources === null || typeof sources !== 'object' || Array.isArray(sources)) return;
  for (const s of Object.values(sources as Record<string, unknown>)) {
    if (s === null || typeof s !== 'object') continue;
    const src = s as Record<string, unknown>;
    if (typeof src.parser === 'string') src.parser = { type: src.parser };
    if (src.multiline === false) src.multiline = { enabled: false };
    else if (src.multiline === true) src.multiline = { enabled: true };
  }
}

/**
 * The agent schema's validator written ahead of time (core/config/precompiled.ts), which
 * bin/agent-bundle.js puts beside the bundle's files: an agent started from the bundle neither loads
 * Ajv nor compiles the schema. Run from the sources there is none, and the schema is compiled.
 */
export const AGENT_VALIDATOR_FILE = 'agent-config.validate.cjs';

const LOADER = new ConfigSchema<AgentConfig>(AGENT_CONFIG_SCHEMA, {
  subject: 'agent',
  precompiled: fileURLToPath(new URL(`./${AGENT_VALIDATOR_FILE}`, import.meta.url)),
  overrides: ENV_OVERRIDES,
  normalise: normaliseShorthands,
  tagNames: (path) => (path.startsWith('sources') && !path.endsWith('parser') ? ['file', 'stdin', 'otlp', 'syslog', 'gelf', 'journald', 'host_metrics'] : PARSER_NAMES),
});

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function tryRegex(pattern: string | undefined, path: string, issues: ConfigIssue[]): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch (err) {
    issues.push({ path, message: `is not a valid regular expression: ${(err as Error).message}` });
  }
}

/** Rules that span several fields, or need code to check (regexes, zones, formats). */
function crossFieldIssues(cfg: AgentConfig, env: NodeJS.ProcessEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const listens = new Map<string, string>();
  for (const [name, src] of Object.entries(cfg.sources)) {
    const base = joinPath('sources', name);
    if (src.type === 'file' || src.type === 'stdin') {
      const ml = src.multiline;
      if (ml.start_pattern !== undefined && ml.continue_pattern !== undefined) {
        issues.push({ path: `${base}.multiline`, message: 'set start_pattern or continue_pattern, not both' });
      }
      if (ml.start_with_stamp && (ml.start_pattern !== undefined || ml.continue_pattern !== undefined)) {
        issues.push({ path: `${base}.multiline.start_with_stamp`, message: 'replaces start_pattern and continue_pattern: set one of them' });
      }
      tryRegex(ml.start_pattern, `${base}.multiline.start_pattern`, issues);
      tryRegex(ml.continue_pattern, `${base}.multiline.continue_pattern`, issues);
      if (!isValidTimeZone(src.time_zone)) issues.push({ path: `${base}.time_zone`, message: `unknown time zone "${src.time_zone}"` });
      const p = src.parser as Record<string, unknown>;
      if (typeof p.time_zone === 'string' && !isValidTimeZone(p.time_zone)) issues.push({ path: `${base}.parser.time_zone`, message: `unknown time zone "${p.time_zone}"` });
      if (typeof p.time_format === 'string') {
        const err = checkFormat(p.time_format);
        if (err) issues.push({ path: `${base}.parser.time_format`, message: err });
      }
      try {
        buildParser(src.parser);
      } catch (err) {
        issues.push({ path: `${base}.parser`, message: (err as Error).message });
      }
      if (src.max_line_bytes > src.multiline.max_bytes && src.multiline.enabled) {
        issues.push({ path: `${base}.multiline.max_bytes`, message: `must be at least max_line_bytes (${src.max_line_bytes}), or a single line would not fit in a record` });
      }
    } else if (src.type === 'otlp') {
      const host = src.listen.slice(0, src.listen.lastIndexOf(':'));
      const port = Number(src.listen.slice(src.listen.lastIndexOf(':') + 1));
      if (port < 1 || port > 65535) issues.push({ path: `${base}.listen`, message: 'port must be 1..65535' });
      if (!isLoopback(host)) {
        if (src.bearer_token_env === undefined) {
          issues.push({ path: `${base}.bearer_token_env`, message: `is required when listening on a non-loopback address (${src.listen})` });
        } else if (!env[src.bearer_token_env]) {
          issues.push({ path: `${base}.bearer_token_env`, message: `environment variable ${src.bearer_token_env} is not set` });
        }
      }
      const other = listens.get(`tcp ${src.listen}`);
      if (other !== undefined) issues.push({ path: `${base}.listen`, message: `${src.listen} is already used by source ${other}` });
      listens.set(`tcp ${src.listen}`, name);
    } else if (src.type === 'journald') {
      if (!isValidTimeZone(src.time_zone)) issues.push({ path: `${base}.time_zone`, message: `unknown time zone "${src.time_zone}"` });
      try {
        buildParser(src.parser);
      } catch (err) {
        issues.push({ path: `${base}.parser`, message: (err as Error).message });
      }
    } else if (src.type === 'syslog' || src.type === 'gelf') {
      const port = Number(src.listen.slice(src.listen.lastIndexOf(':') + 1));
      if (port < 1 || port > 65535) issues.push({ path: `${base}.listen`, message: 'port must be 1..65535' });
      if (!isValidTimeZone(src.time_zone)) issues.push({ path: `${base}.time_zone`, message: `unknown time zone "${src.time_zone}"` });
      try {
        buildParser(src.parser);
      } catch (err) {
        issues.push({ path: `${base}.parser`, message: (err as Error).message });
      }
      // UDP and TCP may share a port number; one protocol may not share an address.
      const key = `${src.mode} ${src.listen}`;
      const other = listens.get(key);
      if (other !== undefined) issues.push({ path: `${base}.listen`, message: `${src.mode} ${src.listen} is already used by source ${other}` });
      listens.set(key, name);
    }
  }
  const red = cfg.transforms.redaction;
  const ruleNames = new Set<string>();
  red.rules.forEach((rule, i) => {
    const path = `transforms.redaction.rules[${i}]`;
    if (ruleNames.has(rule.name) || BUILTIN_RULE_NAMES.includes(rule.name) || rule.name === SECRET_ATTRIBUTE_RULE) {
      issues.push({ path: `${path}.name`, message: `"${rule.name}" is already the name of another rule` });
    }
    ruleNames.add(rule.name);
    try {
      compileUserRule(rule);
    } catch (err) {
      issues.push({ path: `${path}.pattern`, message: (err as Error).message });
    }
  });
  cfg.transforms.severity_inference.rules?.forEach((rule, i) => {
    const path = `transforms.severity_inference.rules[${i}]`;
    tryRegex(rule.pattern, `${path}.pattern`, issues);
    if (severityFromText(rule.severity) === 0) issues.push({ path: `${path}.severity`, message: `unknown severity "${rule.severity}"` });
  });
  const { batch } = cfg.kafka;
  const mem = cfg.buffer.memory;
  if (batch.max_events > mem.max_events) issues.push({ path: 'kafka.batch.max_events', message: `must not exceed buffer.memory.max_events (${mem.max_events})` });
  if (batch.max_bytes > mem.max_bytes) issues.push({ path: 'kafka.batch.max_bytes', message: `must not exceed buffer.memory.max_bytes (${mem.max_bytes})` });
  if (cfg.kafka.records_per_message > 1 && cfg.kafka.encoding !== 'otlp_proto') {
    issues.push({ path: 'kafka.records_per_message', message: `is ${cfg.kafka.records_per_message}, which needs kafka.encoding otlp_proto (a JSON value holds one record, so any Kafka client reads it as one)` });
  }
  if (cfg.kafka.max_record_bytes > batch.max_bytes) issues.push({ path: 'kafka.max_record_bytes', message: `must not exceed kafka.batch.max_bytes (${batch.max_bytes})` });
  if (cfg.buffer.disk.enabled && cfg.buffer.disk.max_bytes < mem.max_bytes) {
    issues.push({ path: 'buffer.disk.max_bytes', message: `must be at least buffer.memory.max_bytes (${mem.max_bytes})` });
  }
  const stdin = Object.entries(cfg.sources).filter(([, s]) => s.type === 'stdin');
  if (stdin.length > 1) issues.push({ path: joinPath('sources', stdin[1]![0]), message: 'only one stdin source is possible' });
  return issues;
}

export type { ValidateOptions } from '../core/config/loader.ts';

/**
 * Validates a parsed config object: substitutes `${ENV}`, applies TRIBUTARY_* overrides, fills
 * defaults, checks the schema and the cross-field rules, and resolves paths. Throws ConfigError.
 */
export function validateAgentConfig(input: unknown, options: ValidateOptions = {}): AgentConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const cfg = LOADER.validate(input, options);
  // Defaults that depend on the machine or the environment.
  cfg.kafka.brokers ??= defaultBrokers(env);
  cfg.host.name ??= hostname();
  cfg.state_dir = resolve(baseDir, cfg.state_dir ?? join(stateDir(env), 'agent'));
  cfg.buffer.disk.path = resolve(baseDir, cfg.buffer.disk.path ?? join(cfg.state_dir, 'buffer'));
  for (const src of Object.values(cfg.sources)) {
    if (src.type === 'file') {
      src.include = src.include.map((g) => (isAbsolute(g) ? g : join(baseDir, g)));
      src.exclude = src.exclude.map((g) => (isAbsolute(g) ? g : join(baseDir, g)));
    } else if (src.type === 'journald' && src.directory !== undefined) {
      src.directory = resolve(baseDir, src.directory);
    }
  }
  const cross = crossFieldIssues(cfg, env);
  if (cross.length > 0) throw LOADER.error(cross, options.source);
  return cfg;
}

/** How this process's agent config was validated: by the validator written ahead of time, or one compiled here (undefined before any). */
export function agentValidatorSource(): 'precompiled' | 'compiled' | undefined {
  return LOADER.validatorSource;
}

/** Parses YAML text and validates it; YAML syntax errors name the line and column. */
export function parseAgentConfig(text: string, options: ValidateOptions = {}): AgentConfig {
  return validateAgentConfig(LOADER.parseYaml(text, options.source), options);
}

/** Reads, parses and validates the agent config file; relative paths are relative to its folder. */
export function loadAgentConfig(path: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return parseAgentConfig(LOADER.readFile(path), { env, baseDir: dirname(resolve(path)), source: path });
}

export interface AgentFlags {
  /** `--tail <glob>`, repeatable. */
  tail?: string[];
  /** `--stdin`: read standard input too. */
  stdin?: boolean;
  /** `--service <name>`. */
  service?: string;
  /** `--brokers host:port[,host:port]`. */
  brokers?: string;
  /** `--parser <name>`. */
  parser?: string;
  /** `--state-dir <path>`. */
  stateDir?: string;
  /** `--otlp <host:port>`: the OTLP/HTTP intake. */
  otlp?: string;
  /** `--host-metrics`: this host's /proc metrics. */
  hostMetrics?: boolean;
  /** `--journald`: the systemd journal, from now on. */
  journald?: boolean;
  /** `--syslog [udp://|tcp://]host:port`: the syslog intake (UDP when no scheme is given). */
  syslog?: string;
  /** `--gelf [udp://|tcp://]host:port`: the GELF intake (UDP when no scheme is given). */
  gelf?: string;
}

/** `tcp://127.0.0.1:5514` or `127.0.0.1:5514` (UDP) as a mode and an address. */
function listenerFlag(value: string): { mode: string; listen: string } {
  const m = /^(udp|tcp):\/\/(.*)$/i.exec(value);
  return m ? { mode: m[1]!.toLowerCase(), listen: m[2]! } : { mode: 'udp', listen: value };
}

/**
 * A complete config from command-line flags, for `tributary agent --tail '<glob>' --service <name>`:
 * one file source (or stdin) into the local stack's topics, checkpoints in the default state folder.
 */
export function configFromFlags(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const sources: Record<string, unknown> = {};
  const parser = flags.parser ?? 'auto';
  if (flags.tail && flags.tail.length > 0) sources.tail = { type: 'file', include: flags.tail, parser };
  if (flags.stdin) sources.stdin = { type: 'stdin', parser };
  // An agent that only takes OTLP pushes and/or host metrics is complete: those are sources too.
  if (flags.otlp) sources.otlp = { type: 'otlp', listen: flags.otlp };
  if (flags.journald) sources.journald = { type: 'journald', parser };
  if (flags.syslog) sources.syslog = { type: 'syslog', ...listenerFlag(flags.syslog), parser };
  if (flags.gelf) sources.gelf = { type: 'gelf', ...listenerFlag(flags.gelf), parser };
  if (flags.hostMetrics) sources.host = { type: 'host_metrics' };
  const raw: Record<string, unknown> = { sources };
  if (flags.service !== undefined) raw.service = { name: flags.service };
  if (flags.brokers !== undefined) raw.kafka = { brokers: flags.brokers.split(',').map((s) => s.trim()).filter(Boolean) };
  if (flags.stateDir !== undefined) raw.state_dir = flags.stateDir;
  if (Object.keys(sources).length === 0) {
    throw LOADER.error([{ path: 'sources', message: 'nothing to read: give --tail <glob>, --stdin, --otlp <host:port>, --syslog <host:port>, --gelf <host:port>, --journald, --host-metrics or --config <file>' }], 'command line');
  }
  // Flags beat the environment: apply them over the overrides by validating with the flags as the file.
  const flagEnv = { ...env };
  if (flags.brokers !== undefined) delete flagEnv.TRIBUTARY_BROKERS;
  if (flags.service !== undefined) delete flagEnv.TRIBUTARY_SERVICE;
  if (flags.stateDir !== undefined) delete flagEnv.TRIBUTARY_STATE_DIR;
  return validateAgentConfig(raw, { env: flagEnv, source: 'command line' });
}

// ---------------------------------------------------------------------------------------------
// From config to component options (camelCase), so the wiring stays one line per component.

/** Multiline assembler options of a source, or undefined when assembly is off. */
export function multilineOptions(ml: MultilineConfig): Partial<MultilineOptions> | undefined {
  if (!ml.enabled) return undefined;
  return {
    ...(ml.start_pattern !== undefined ? { startPattern: new RegExp(ml.start_pattern) } : {}),
    ...(ml.continue_pattern !== undefined ? { continuePattern: new RegExp(ml.continue_pattern) } : {}),
    ...(ml.start_with_stamp ? { startWithStamp: true } : {}),
    timeoutMs: ml.timeout_ms,
    maxLines: ml.max_lines,
    maxBytes: ml.max_bytes,
  };
}

/** Redactor options, or false when redaction is off. */
export function redactorOptions(cfg: AgentConfig): RedactorOptions | false {
  const r = cfg.transforms.redaction;
  return r.enabled ? { disabled: r.disabled, rules: r.rules } : false;
}

/** Severity inference options: the configured rules, or the built-in ones. */
export function inferenceOptions(cfg: AgentConfig): SeverityInferenceOptions {
  const s = cfg.transforms.severity_inference;
  if (s.rules === undefined) return { ...DEFAULT_INFERENCE, enabled: s.enabled };
  return { enabled: s.enabled, rules: s.rules.map((r) => ({ pattern: new RegExp(r.pattern), severity: r.severity })) };
}

// ---------------------------------------------------------------------------------------------
// Reference documentation, generated from the schema so it is never written twice.

/** One row per configurable key (path, type, default, description) as a Markdown table. */
export function configReferenceMarkdown(): string {
  return referenceOf(AGENT_CONFIG_SCHEMA);
}
