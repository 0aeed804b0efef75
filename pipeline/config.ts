/**
 * The worker's configuration (`worker.yaml`): a YAML file, or command-line flags turned into the same
 * shape, validated by the shared loader (`core/config/loader.ts`: key paths, did-you-mean, `${ENV}`,
 * TRIBUTARY_* overrides) into a WorkerConfig with every default filled in, then turned into the
 * worker's options (camelCase) by `workerOptions`. Keys are snake_case, as users write them; the
 * reference table in `pipeline/README.md` is generated from this schema (`workerConfigReference`).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema, type ConfigIssue, type EnvOverride, type ValidateOptions } from '../core/config/loader.ts';
import { configReferenceMarkdown } from '../core/config/reference.ts';
import { TOPICS } from '../core/contracts/topics.ts';
import { defaultBrokers, storeDir } from '../core/paths.ts';
import { type StoreConfig } from '../core/storage/store.ts';
import { patternMinerSchema, type PatternMinerOptions } from './transforms/patterns/options.ts';
import { type ScoringConfig } from './transforms/scoring/scorer.ts';
import { type WorkerOptions } from './worker.ts';
import { compileFeatures, featuresConfigProperties, isViewManifest } from './features/config.ts';
import { type SourceConfig } from './transforms/features/views/schema.ts';
import { type ViewConfig } from './transforms/features/views/definition.ts';
import { schemaRegistrySchema, type SchemaRegistryConfig } from './transforms/features/views/registry.ts';

export interface ModelEntry {
  /** Path of the manifest (relative to the config file's folder). */
  manifest: string;
  /** Scores and stores without raising anomalies. */
  shadow: boolean;
}

export interface WorkerConfig {
  kafka: { brokers?: string[]; group: string; client_id: string; session_timeout_ms: number; from_beginning: boolean; max_bytes_per_partition: number };
  topics: { logs: string; metrics: string; dlq: string; partials?: string };
  store: { driver?: 'embedded' | 'server'; path?: string; url?: string; username?: string; password?: string; database?: string; ca_file?: string; cert_file?: string; key_file?: string };
  batch: { max_rows: number; max_wait_ms: number; min_bytes: number };
  tick_ms: number;
  stats_interval_ms: number;
  snapshot_interval_ms: number;
  windows: { sizes_ms: number[]; allowed_lateness_ms: number; idle_timeout_ms: number; retention_ms?: number };
  patterns: Record<string, unknown>;
  scoring: { enabled: boolean; watch: boolean; reload_debounce_ms: number; top_features: number; any_window_size: boolean };
  models: ModelEntry[];
  /** Topics of JSON events with their light schema (`features/config.ts`). */
  sources: SourceConfig[];
  /** Feature views over those sources. */
  views: ViewConfig[];
  /** Where Avro and protobuf sources fetch writer schemas by id. */
  schema_registry: SchemaRegistryConfig;
  instance?: string;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const int = (description: string, minimum: number, dflt?: number) => ({ type: 'integer', minimum, description, ...(dflt !== undefined ? { default: dflt } : {}) });
const str = (description: string, extra: object = {}) => ({ type: 'string', minLength: 1, description, ...extra });
const bool = (description: string, dflt: boolean) => ({ type: 'boolean', description, default: dflt });
const obj = (description: string, properties: Record<string, object>) => ({ type: 'object', description, additionalProperties: false, properties, default: {} });

/** The shipped models, relative to the repository root. */
export const SHIPPED_MODELS: readonly string[] = ['models/service-window-maxz/manifest.json', 'models/host-metrics-maxz/manifest.json'];

export const WORKER_CONFIG_SCHEMA = {
  $id: 'https://tributary.dev/schemas/worker-config.json',
  type: 'object',
  description: 'Tributary worker configuration.',
  additionalProperties: false,
  properties: {
    kafka: obj('Where records come from.', {
      brokers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:\\d{1,5}$' }, description: 'Bootstrap brokers, host:port (default: TRIBUTARY_BROKERS or the local stack).' },
      group: str('Consumer group: workers with the same group share the partitions.', { default: 'tributary-workers' }),
      client_id: str('Kafka client id.', { default: 'tributary-worker' }),
      session_timeout_ms: int('How long the group waits for a silent worker (crashed, killed) before its partitions move to the others.', 6000, 30_000),
      from_beginning: bool('Start from the earliest record when the group has no committed offset.', true),
      max_bytes_per_partition: int('Most bytes fetched per partition in one request; with batch.max_rows it bounds memory while ClickHouse is down.', 1024, 4 * 1024 * 1024),
    }),
    topics: obj('Topic names.', {
      logs: str('Topic of log records.', { default: TOPICS.logs.name }),
      metrics: str('Topic of metric points.', { default: TOPICS.metrics.name }),
      dlq: str('Dead-letter topic.', { default: TOPICS.dlq.name }),
      partials: str('The group\'s partials topic, where every partition\'s share of a window meets the others by series (default: <group>-window-partials, created at start with as many partitions as the logs topic).'),
    }),
    store: obj('Where rows land (default: the embedded store; a url selects a ClickHouse server).', {
      driver: str('embedded (chDB in this process) or server (ClickHouse over HTTP); default: server when a url is set.', { enum: ['embedded', 'server'] }),
      path: str('Folder of the embedded store (default: TRIBUTARY_STORE_PATH or <TRIBUTARY_HOME>/store).'),
      url: str('ClickHouse server URL, e.g. http://127.0.0.1:8123 (or CLICKHOUSE_URL).'),
      username: str('Server user (or CLICKHOUSE_USER).'),
      password: str('Server password: use ${ENV_VAR} or CLICKHOUSE_PASSWORD, never write it in the file.'),
      database: str('Server database (or CLICKHOUSE_DATABASE).'),
      ca_file: str('https: PEM file of the CA that signed the server\'s certificate, for a private CA (or CLICKHOUSE_CA_FILE; default: the system\'s CAs).'),
      cert_file: str('https with client certificates (mutual TLS): PEM file of this client\'s certificate (or CLICKHOUSE_CERT_FILE).'),
      key_file: str('Its private key, PEM (or CLICKHOUSE_KEY_FILE).'),
    }),
    batch: obj('Raw batches: one insert per table per batch, one batch in flight per partition.', {
      max_rows: int('Most records in one raw insert.', 1, 20_000),
      max_wait_ms: int('Longest a fetch waits for batch.min_bytes: the time bound of a batch.', 1, 250),
      min_bytes: int('Bytes a fetch tries to gather before returning.', 1, 256 * 1024),
    }),
    tick_ms: int('How often windows are closed, scored and landed and offsets committed.', 10, 1000),
    stats_interval_ms: int('How often the worker\'s counters go to pipeline_stats.', 100, 5000),
    snapshot_interval_ms: int('How often stateful stages (pattern miner, feature baselines) are saved to pipeline_state (also on stop).', 100, 30_000),
    windows: obj('Event-time windows of logs (service_windows) and metrics (metric_windows).', {
      sizes_ms: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1 }, default: [10_000, 60_000], description: 'Tumbling window sizes, ms; every record counts once per size.' },
      allowed_lateness_ms: int('How far the watermark trails the highest event time.', 0, 5000),
      idle_timeout_ms: int('Processing-time silence after which a partition stops holding windows open.', 0, 30_000),
      retention_ms: int('Event time a closed window is kept for late records (default max(10 x smallest size, 2 x largest)).', 0),
    }),
    patterns: {
      type: 'object',
      description: 'The online log pattern miner.',
      additionalProperties: false,
      default: {},
      properties: Object.fromEntries(Object.entries(patternMinerSchema.properties).map(([k, v]) => [snake(k), v])),
    },
    scoring: obj('ONNX scoring of closed windows (the models are listed under models).', {
      enabled: bool('Score windows at all; off stores them unscored.', true),
      watch: bool('Reload a model when its manifest or ONNX file changes.', true),
      reload_debounce_ms: int('Quiet time after the last file event before a reload, ms.', 0, 200),
      top_features: int('Features named in an anomaly row, most unusual first.', 1, 3),
      any_window_size: bool('Score windows of any size, not only the sizes each model was trained for.', false),
    }),
    models: {
      type: 'array',
      description: 'The models that score windows, one entry per model (default: the two shipped under models/). Every model scores the closed windows of its kind and window sizes (one row each in model_scores, naming model and version); the first live model of a window fills its row; live models raise anomalies, shadow ones do not. Models are checked against their manifest at start and hot-reloaded when their files change (a replacement that fails its checks is refused and the previous one keeps scoring).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['manifest'],
        properties: {
          manifest: str('Path of the model manifest (JSON), relative to this file; the ONNX file is named in it.'),
          shadow: bool('Score and store (in model_scores) without raising anomalies or filling the window row: to compare a new model with the current one on live traffic.', false),
        },
      },
    },
    sources: { ...featuresConfigProperties.sources, default: [] },
    views: { ...featuresConfigProperties.views, default: [] },
    schema_registry: schemaRegistrySchema,
    instance: str('Name of this worker in pipeline_stats and pipeline_state (default: host/pid).'),
  },
} as const;

/** Environment variables that override keys of the worker configuration. */
export const WORKER_ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'TRIBUTARY_BROKERS', path: 'kafka.brokers', description: 'Comma-separated host:port list.', list: true },
  { name: 'CLICKHOUSE_URL', path: 'store.url', description: 'ClickHouse server URL (selects the server driver).' },
  { name: 'CLICKHOUSE_USER', path: 'store.username', description: 'ClickHouse user.' },
  { name: 'CLICKHOUSE_PASSWORD', path: 'store.password', description: 'ClickHouse password.' },
  { name: 'CLICKHOUSE_DATABASE', path: 'store.database', description: 'ClickHouse database.' },
  { name: 'CLICKHOUSE_CA_FILE', path: 'store.ca_file', description: 'CA (PEM) to trust for an https ClickHouse with a private CA.' },
  { name: 'CLICKHOUSE_CERT_FILE', path: 'store.cert_file', description: 'Client certificate (PEM) for an https ClickHouse that takes clients by certificate.' },
  { name: 'CLICKHOUSE_KEY_FILE', path: 'store.key_file', description: 'Its private key (PEM).' },
  { name: 'SCHEMA_REGISTRY_URL', path: 'schema_registry.url', description: 'Schema registry URL (Avro and protobuf sources fetch writer schemas from it).' },
  { name: 'SCHEMA_REGISTRY_USER', path: 'schema_registry.username', description: 'Schema registry user (basic auth).' },
  { name: 'SCHEMA_REGISTRY_PASSWORD', path: 'schema_registry.password', description: 'Schema registry password (basic auth).' },
];

const LOADER = new ConfigSchema<WorkerConfig>(WORKER_CONFIG_SCHEMA, { subject: 'worker', overrides: WORKER_ENV_OVERRIDES });

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Rules that span several fields. */
function crossFieldIssues(cfg: WorkerConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const t = cfg.topics;
  const names = [t.logs, t.metrics, t.dlq, ...(t.partials !== undefined ? [t.partials] : [])];
  if (new Set(names).size < names.length) issues.push({ path: 'topics', message: `logs, metrics, dlq and partials must be different topics (got ${names.join(', ')})` });
  if (cfg.store.driver === 'server' && !cfg.store.url) issues.push({ path: 'store.url', message: 'is required with driver server (or set CLICKHOUSE_URL)' });
  if (cfg.store.driver === 'embedded' && cfg.store.url) issues.push({ path: 'store.driver', message: 'is embedded but store.url is set (CLICKHOUSE_URL?): remove one' });
  if (cfg.store.url) {
    try {
      new URL(cfg.store.url);
    } catch {
      issues.push({ path: 'store.url', message: `is not a URL: ${cfg.store.url}` });
    }
  }
  const seen = new Map<string, number>();
  cfg.models.forEach((m, i) => {
    const prev = seen.get(m.manifest);
    if (prev !== undefined) issues.push({ path: `models[${i}].manifest`, message: `is already listed at models[${prev}]` });
    seen.set(m.manifest, i);
  });
  if (cfg.sources.length + cfg.views.length > 0) {
    try {
      compileFeatures(cfg);
    } catch (err) {
      const text = (err as Error).message;
      const at = text.indexOf(': ');
      issues.push(at > 0 ? { path: text.slice(0, at), message: text.slice(at + 2) } : { path: 'views', message: text });
    }
  }
  return issues;
}

/**
 * Validates a parsed config: `${ENV}`, overrides, defaults, schema, cross-field rules; resolves paths
 * against `baseDir` (the config file's folder). Throws ConfigError listing every problem.
 */
export function validateWorkerConfig(input: unknown, options: ValidateOptions = {}): WorkerConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const cfg = LOADER.validate(input, options);
  cfg.kafka.brokers ??= defaultBrokers(env);
  if (!cfg.store.url && !cfg.store.driver) cfg.store.driver = 'embedded';
  if (cfg.store.url) cfg.store.driver ??= 'server';
  if (cfg.store.driver === 'embedded') cfg.store.path = resolve(baseDir, cfg.store.path ?? storeDir(env));
  for (const k of ['ca_file', 'cert_file', 'key_file'] as const) if (cfg.store[k] !== undefined) cfg.store[k] = resolve(baseDir, cfg.store[k]!);
  const listed = (input as { models?: unknown }).models !== undefined;
  if (!listed) cfg.models = SHIPPED_MODELS.map((m) => ({ manifest: resolve(REPO_ROOT, m), shadow: false }));
  else cfg.models = cfg.models.map((m) => ({ ...m, manifest: isAbsolute(m.manifest) ? m.manifest : resolve(baseDir, m.manifest) }));
  // Avro and protobuf schema files, as the models' manifests, are relative to the config file.
  const schemaPath = <T>(ref: T): T => (typeof ref === 'string' ? (resolve(baseDir, ref) as T) : ref);
  for (const s of cfg.sources) {
    if (s.avro_schema !== undefined) s.avro_schema = schemaPath(s.avro_schema);
    if (s.avro_schemas !== undefined) s.avro_schemas = Object.fromEntries(Object.entries(s.avro_schemas).map(([id, ref]) => [id, schemaPath(ref)]));
    if (s.proto_file !== undefined) s.proto_file = schemaPath(s.proto_file);
  }
  const cross = crossFieldIssues(cfg);
  if (cross.length > 0) throw LOADER.error(cross, options.source);
  return cfg;
}

export function parseWorkerConfig(text: string, options: ValidateOptions = {}): WorkerConfig {
  return validateWorkerConfig(LOADER.parseYaml(text, options.source), options);
}

/** Reads, parses and validates a worker config file; relative paths are relative to its folder. */
export function loadWorkerConfig(path: string, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseWorkerConfig(LOADER.readFile(path), { env, baseDir: dirname(resolve(path)), source: path });
}

/** Flags of `tributary worker`, as parsed (strings); each maps to one key of the config. */
export interface WorkerFlags {
  brokers?: string;
  group?: string;
  'logs-topic'?: string;
  'metrics-topic'?: string;
  'dlq-topic'?: string;
  'batch-max-rows'?: string;
  'batch-max-wait-ms'?: string;
  'allowed-lateness-ms'?: string;
  'no-score'?: boolean;
  store?: string;
  'store-url'?: string;
}

/** Which key each flag sets, for messages and for the overlay. */
export const FLAG_KEYS: Readonly<Record<keyof WorkerFlags, string>> = {
  brokers: 'kafka.brokers', group: 'kafka.group', 'logs-topic': 'topics.logs', 'metrics-topic': 'topics.metrics', 'dlq-topic': 'topics.dlq',
  'batch-max-rows': 'batch.max_rows', 'batch-max-wait-ms': 'batch.max_wait_ms', 'allowed-lateness-ms': 'windows.allowed_lateness_ms',
  'no-score': 'scoring.enabled', store: 'store.path', 'store-url': 'store.url',
};

/**
 * Lays flags over a parsed config file (or an empty one), so that flags go through the same
 * validation: `--batch-max-rows x` is reported as `batch.max_rows (--batch-max-rows): must be integer`.
 */
export function overlayFlags(raw: Record<string, unknown>, flags: WorkerFlags): Record<string, unknown> {
  const out = structuredClone(raw);
  const set = (path: string, value: unknown) => {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) {
      if (node[k] === null || typeof node[k] !== 'object') node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  };
  const num = (v: string) => (/^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
  for (const [flag, value] of Object.entries(flags) as Array<[keyof WorkerFlags, string | boolean | undefined]>) {
    if (value === undefined) continue;
    const path = FLAG_KEYS[flag];
    if (!path) continue;
    if (flag === 'brokers') set(path, String(value).split(',').map((s) => s.trim()).filter(Boolean));
    else if (flag === 'no-score') set(path, !value);
    else if (flag.endsWith('-rows') || flag.endsWith('-ms')) set(path, num(String(value)));
    else set(path, value);
  }
  return out;
}

/** Config from a file (optional) and flags, validated together; flags win. */
export function workerConfigFrom(file: string | undefined, flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const raw = file ? (LOADER.parseYaml(LOADER.readFile(file), file) as Record<string, unknown>) : {};
  const flagEnv = { ...env };
  // A flag beats the environment variable that would set the same key.
  if (flags.brokers !== undefined) delete flagEnv.TRIBUTARY_BROKERS;
  if (flags['store-url'] !== undefined || flags.store !== undefined) delete flagEnv.CLICKHOUSE_URL;
  const merged = overlayFlags(raw, flags);
  if (flags.store !== undefined && flags['store-url'] === undefined) {
    (merged.store as Record<string, unknown>).driver = 'embedded';
    delete (merged.store as Record<string, unknown>).url;
  }
  const usedFlags = Object.keys(flags).filter((k) => flags[k as keyof WorkerFlags] !== undefined);
  try {
    return validateWorkerConfig(merged, { env: flagEnv, baseDir: file ? dirname(resolve(file)) : process.cwd(), source: file ?? 'command line' });
  } catch (err) {
    // Name the flag beside the key it set, so a wrong flag value is recognisable as such.
    if (err instanceof Error && 'issues' in err) {
      const issues = (err as { issues: ConfigIssue[] }).issues.map((i) => {
        const flag = usedFlags.find((f) => FLAG_KEYS[f as keyof WorkerFlags] === i.path);
        return flag ? { ...i, path: `${i.path} (--${flag})` } : i;
      });
      throw LOADER.error(issues, file ?? 'command line');
    }
    throw err;
  }
}

/** The store config of a worker config. */
export function storeConfigOf(cfg: WorkerConfig): StoreConfig {
  const s = cfg.store;
  if (s.driver === 'server') {
    return {
      driver: 'server',
      url: s.url!,
      username: s.username,
      password: s.password,
      database: s.database,
      ...(s.ca_file !== undefined ? { caFile: s.ca_file } : {}),
      ...(s.cert_file !== undefined ? { certFile: s.cert_file } : {}),
      ...(s.key_file !== undefined ? { keyFile: s.key_file } : {}),
    };
  }
  return { driver: 'embedded', path: s.path! };
}

/** The scorer's config of a worker config (the models listed, or none when scoring is off). */
export function scoringConfigOf(cfg: WorkerConfig): ScoringConfig | undefined {
  // Models bound to a feature view are scored by the view stages (`viewModelsOf`), not by the window scorer.
  cfg = { ...cfg, models: cfg.models.filter((m) => !isViewManifest(m.manifest)) };
  if (!cfg.scoring.enabled || cfg.models.length === 0) return undefined;
  return {
    models: cfg.models.map((m) => ({ manifest: m.manifest, shadow: m.shadow })),
    watch: cfg.scoring.watch,
    reloadDebounceMs: cfg.scoring.reload_debounce_ms,
    topFeatures: cfg.scoring.top_features,
    anyWindowSize: cfg.scoring.any_window_size,
  };
}

/** The models of a config that are bound to feature views (their manifest names a `view`). */
export function viewModelsOf(cfg: WorkerConfig): ModelEntry[] {
  return cfg.scoring.enabled ? cfg.models.filter((m) => isViewManifest(m.manifest)) : [];
}

/** The worker's options of a config (without store and scorer, which the caller opens). */
export function workerOptions(cfg: WorkerConfig): Omit<WorkerOptions, 'store'> {
  const patterns: Partial<PatternMinerOptions> = {};
  for (const [k, v] of Object.entries(cfg.patterns)) (patterns as Record<string, unknown>)[camel(k)] = v;
  return {
    brokers: cfg.kafka.brokers!,
    groupId: cfg.kafka.group,
    clientId: cfg.kafka.client_id,
    sessionTimeoutMs: cfg.kafka.session_timeout_ms,
    fromBeginning: cfg.kafka.from_beginning,
    maxBytesPerPartition: cfg.kafka.max_bytes_per_partition,
    logsTopic: cfg.topics.logs,
    metricsTopic: cfg.topics.metrics,
    dlqTopic: cfg.topics.dlq,
    ...(cfg.topics.partials !== undefined ? { partialsTopic: cfg.topics.partials } : {}),
    batchMaxRows: cfg.batch.max_rows,
    batchMaxWaitMs: cfg.batch.max_wait_ms,
    batchMinBytes: cfg.batch.min_bytes,
    tickMs: cfg.tick_ms,
    statsIntervalMs: cfg.stats_interval_ms,
    snapshotIntervalMs: cfg.snapshot_interval_ms,
    windows: {
      sizesMs: cfg.windows.sizes_ms,
      allowedLatenessMs: cfg.windows.allowed_lateness_ms,
      idleTimeoutMs: cfg.windows.idle_timeout_ms,
      ...(cfg.windows.retention_ms !== undefined ? { retentionMs: cfg.windows.retention_ms } : {}),
    },
    patterns,
    ...(cfg.instance !== undefined ? { instance: cfg.instance } : {}),
  };
}

/** Every key of worker.yaml, its type, default and meaning, as a Markdown table. */
export function workerConfigReference(): string {
  return configReferenceMarkdown(WORKER_CONFIG_SCHEMA);
}
