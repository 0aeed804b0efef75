/**
 * The agent's configuration: a YAML file (or command-line flags) in, a validated AgentConfig with
 * every default filled in out. `${ENV_VAR}` in any string value and a few TRIBUTARY_* variables
 * supply secrets; every mistake is reported with the key's path (`sources.app.include[0]: must be string`).
 * Keys are snake_case, as the user writes them.
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema, joinPath, type ConfigIssue, type EnvOverride, type ValidateOptions } from '../core/config/loader.ts';
import { configReferenceMarkdown as referenceOf } from '../core/config/reference.ts';
import { TOPICS, type LogEncoding } from '../core/contracts/topics.ts';
import { defaultBrokers, stateDir } from '../core/paths.ts';
import { bool, int, MiB, obj, str, stringMap, tryRegex } from './config-schema.ts';
import { SOURCES, sourceDefinition, type SourceConfig } from './sources/index.ts';
import { PARSER_NAMES } from './transforms/parsers/index.ts';
import { BUILTIN_RULE_NAMES, compileUserRule, SECRET_ATTRIBUTE_RULE, type RedactorOptions, type UserRuleConfig } from './transforms/redact.ts';
import { checkFilter, filterSchema, type FilterConfig } from './transforms/filter.ts';
import { readKafkaTls, type KafkaTlsFiles } from '../core/kafka/security.ts';
import { DEFAULT_INFERENCE, severityFromText, type SeverityInferenceOptions } from './transforms/severity.ts';

// ---------------------------------------------------------------------------------------------
// Types (snake_case: this is the user-facing layer)

export type { MultilineConfig, LineSourceCommon } from './config-schema.ts';
export type { FileSourceConfig, HostMetricsSourceConfig, JournaldSourceConfig, ListenerSourceConfig, OtlpSourceConfig, SourceConfig, StdinSourceConfig } from './sources/index.ts';

export interface AgentConfig {
  service: { name: string };
  host: { name: string; resource: Record<string, string> };
  kafka: {
    brokers: string[];
    client_id: string;
    ssl: boolean;
    tls?: KafkaTlsFiles;
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
    filter: FilterConfig;
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

/** One branch per source type, each from its definition (agents/sources/). */
const sourceSchema = {
  type: 'object',
  description: 'One source; its type picks the other keys.',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: { type: { type: 'string', description: 'Source type.' } },
  oneOf: SOURCES.map((def) => ({
    type: 'object',
    additionalProperties: false,
    required: ['type', ...(def.required ?? [])],
    properties: {
      type: { const: def.type, description: def.description },
      ...def.properties,
      ...(def.metricsOnly ? {} : { filter: filterSchema("Which of this source's log records are shipped, after the agent's transforms.filter (a record must pass both).") }),
    },
  })),
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
      ssl: bool('Connect with TLS (the system\'s CAs, or those of KAFKA_SSL_CA_FILE).', false),
      tls: obj('TLS to Kafka from files, instead of KAFKA_SSL_* in the environment: the CA that signed the brokers\' certificates and, for a cluster that takes clients by their certificate (mutual TLS: Strimzi\'s tls users, MSK, Aiven), this client\'s certificate and key. Setting it turns TLS on; relative paths are relative to this file.', {
        ca_file: str('PEM file of the certificate authorities the brokers\' certificates must be signed by (default: the system\'s).', { minLength: 1 }),
        cert_file: str('PEM file of this client\'s certificate (and its chain), for mutual TLS; with key_file.', { minLength: 1 }),
        key_file: str('PEM file of its private key.', { minLength: 1 }),
        key_password_env: str('Name of the environment variable holding the key\'s passphrase, when the key is encrypted.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
      }, { default: undefined }),
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
      filter: filterSchema('Which log records are shipped: the rest are dropped on the host, counted (tributary.agent.records.filtered, by source) and their lines checkpointed. Applied to the record as it would be sent (parsed, severity set, redacted). A source\'s own filter applies after this one.'),
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
  tagNames: (path) => (path.startsWith('sources') && !path.endsWith('parser') ? SOURCES.map((d) => d.type) : PARSER_NAMES),
});

/** Rules that span several fields, or need code to check (regexes, zones, formats). */
function crossFieldIssues(cfg: AgentConfig, env: NodeJS.ProcessEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const addresses = new Map<string, string>();
  for (const [name, src] of Object.entries(cfg.sources)) {
    sourceDefinition(src.type)?.check?.(src, joinPath('sources', name), issues, { name, env, addresses });
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
  if (cfg.kafka.tls) issues.push(...readKafkaTls(cfg.kafka.tls, 'kafka.tls', env).issues);
  checkFilter(cfg.transforms.filter, 'transforms.filter', issues);
  for (const [name, src] of Object.entries(cfg.sources)) checkFilter(sourceFilter(src), `${joinPath('sources', name)}.filter`, issues);
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
export { multilineOptions } from './config-schema.ts';

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
  for (const src of Object.values(cfg.sources)) sourceDefinition(src.type)?.resolvePaths?.(src, baseDir);
  const tls = cfg.kafka.tls;
  if (tls) for (const k of ['ca_file', 'cert_file', 'key_file'] as const) if (tls[k] !== undefined) tls[k] = resolve(baseDir, tls[k]!);
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
  /** `--forward host:port`: the Fluent Forward intake (TCP). */
  forward?: string;
  /** `--splunk-hec host:port`: the Splunk HEC intake (HTTP). */
  splunkHec?: string;
  /** `--elasticsearch host:port`: the Elasticsearch bulk intake (HTTP). */
  elasticsearch?: string;
  /** `--scrape <url>`, repeatable: Prometheus pages to scrape. */
  scrape?: string[];
  /** `--remote-write host:port`: the Prometheus remote write intake. */
  remoteWrite?: string;
  /** `--min-severity <level>`: `transforms.filter.min_severity`. */
  minSeverity?: string;
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
  if (flags.forward) sources.forward = { type: 'forward', listen: flags.forward.replace(/^tcp:\/\//i, ''), parser };
  if (flags.splunkHec) sources.splunk_hec = { type: 'splunk_hec', listen: flags.splunkHec.replace(/^https?:\/\//i, ''), parser };
  if (flags.elasticsearch) sources.elasticsearch = { type: 'elasticsearch', listen: flags.elasticsearch.replace(/^https?:\/\//i, ''), parser };
  if (flags.hostMetrics) sources.host = { type: 'host_metrics' };
  if (flags.scrape && flags.scrape.length > 0) sources.prometheus = { type: 'prometheus_scrape', targets: flags.scrape };
  if (flags.remoteWrite) sources.remote_write = { type: 'prometheus_remote_write', listen: flags.remoteWrite.replace(/^https?:\/\//i, '').replace(/\/api\/v1\/write$/, '') };
  const raw: Record<string, unknown> = { sources };
  if (flags.service !== undefined) raw.service = { name: flags.service };
  if (flags.brokers !== undefined) raw.kafka = { brokers: flags.brokers.split(',').map((s) => s.trim()).filter(Boolean) };
  if (flags.stateDir !== undefined) raw.state_dir = flags.stateDir;
  if (flags.minSeverity !== undefined) raw.transforms = { filter: { min_severity: flags.minSeverity } };
  if (Object.keys(sources).length === 0) {
    throw LOADER.error([{ path: 'sources', message: 'nothing to read: give --tail <glob>, --stdin, --otlp <host:port>, --syslog <host:port>, --gelf <host:port>, --forward <host:port>, --splunk-hec <host:port>, --elasticsearch <host:port>, --journald, --host-metrics, --scrape <url>, --remote-write <host:port> or --config <file>' }], 'command line');
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

/** A source's own `filter` (every source that sends logs has the key; metrics-only ones have none). */
export function sourceFilter(src: SourceConfig): FilterConfig | undefined {
  return (src as { filter?: FilterConfig }).filter;
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
