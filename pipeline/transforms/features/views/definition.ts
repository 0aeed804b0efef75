/**
 * A feature view as declared in config, checked and compiled: which source it reads, which events
 * pass its filter, how they are keyed, its window, and its features in order (aggregations, then
 * derived features). Every mistake is a CONFIG_INVALID error naming the key path
 * (`views[0].aggregations[2].field: ...`) and, for an unknown name, the closest known one.
 */
import { Ajv } from 'ajv';
import { TributaryError } from '../../../../core/errors.ts';
import { AGGREGATIONS, aggregationByName, type AggregationConfig, type Aggregator } from './aggregations.ts';
import { DERIVED, derivedByName, type Derived, type DerivedConfig } from './derived.ts';
import { compileCondition, type Fields } from './expression.ts';
import { type EventSchema } from './schema.ts';

export interface WindowConfig {
  /** Window length: `30s`, `5m`, `1h`. */
  size: string;
  /** Hopping windows: a new window every `hop` (must divide `size`); tumbling when absent or equal to size. */
  hop?: string;
  /** How far the watermark trails the highest event time (default 5s). */
  allowed_lateness?: string;
  /** Processing-time silence after which a partition stops holding windows open (default 30s). */
  idle_timeout?: string;
  /** How long a closed window is kept for late records (default max(10 hops, 2 sizes)). */
  retention?: string;
}

export interface ViewConfig {
  name: string;
  description?: string;
  /** Version of the view's definition: part of its table name, bump it when the features change. */
  version?: number;
  source: string;
  filter?: string;
  key: string | string[];
  window: WindowConfig;
  aggregations: AggregationConfig[];
  derived?: DerivedConfig[];
}

const NAME = '^[a-z][a-z0-9_]{0,62}$';
const DURATION = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';

export const viewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source', 'key', 'window', 'aggregations'],
  properties: {
    name: { type: 'string', pattern: NAME, description: 'View name (lower-case letters, digits, _); its table is view_<name>_v<version>.' },
    description: { type: 'string', description: 'What the view describes.' },
    version: { type: 'integer', minimum: 1, default: 1, description: 'Definition version, part of the table name: bump it when features change, so old and new rows never mix.' },
    source: { type: 'string', minLength: 1, description: 'Name of the source (under sources) whose events the view reads.' },
    filter: { type: 'string', minLength: 1, description: 'Only events for which this condition holds (`amount > 0 and country != "XX"`).' },
    key: {
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 8 }],
      description: 'Field(s) a window is kept per (`device_id`, or [service, route]).',
    },
    window: {
      type: 'object',
      additionalProperties: false,
      required: ['size'],
      properties: {
        size: { type: 'string', pattern: DURATION, description: 'Window length (`1m`, `30s`).' },
        hop: { type: 'string', pattern: DURATION, description: 'Hopping windows: a new window every hop (must divide size). Tumbling when absent.' },
        allowed_lateness: { type: 'string', pattern: DURATION, default: '5s', description: 'How far the watermark trails the highest event time.' },
        idle_timeout: { type: 'string', pattern: DURATION, default: '30s', description: 'A partition silent this long (processing time) stops holding windows open.' },
        retention: { type: 'string', pattern: DURATION, description: 'How long a closed window takes late records (default max(10 hops, 2 sizes)).' },
      },
    },
    aggregations: {
      type: 'array',
      minItems: 1,
      description: `Features computed per key and window, in order. fn: ${AGGREGATIONS.map((a) => a.name).join(', ')}.`,
      items: {
        type: 'object',
        required: ['name', 'fn'],
        properties: {
          name: { type: 'string', pattern: NAME, description: 'Feature (column) name.' },
          fn: { type: 'string', description: 'Aggregation.' },
          default: { type: 'number', description: 'Value when the window held no values for this feature (otherwise missing).' },
          description: { type: 'string' },
        },
      },
    },
    derived: {
      type: 'array',
      description: `Features computed from other features when a window closes. fn: ${DERIVED.map((d) => d.name).join(', ')}.`,
      items: {
        type: 'object',
        required: ['name', 'fn', 'of'],
        properties: {
          name: { type: 'string', pattern: NAME },
          fn: { type: 'string' },
          default: { type: 'number', description: 'Value when the feature cannot be computed (otherwise missing).' },
          description: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Columns every view table has; features may not take these names. */
export const RESERVED_COLUMNS = ['view', 'view_version', 'key', 'window_start', 'window_end', 'window_size_s', 'hop_s', 'version', 'count', 'late_count', 'time'];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s` -> 90000; throws CONFIG_INVALID naming `path`. */
export function parseDuration(text: string, path: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(String(text).trim());
  if (!m) throw new TributaryError('CONFIG_INVALID', `${path}: "${text}" is not a duration (a number and ms, s, m, h or d: 30s, 5m)`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (!Number.isInteger(ms)) throw new TributaryError('CONFIG_INVALID', `${path}: "${text}" is not a whole number of milliseconds`);
  return ms;
}

/** Levenshtein distance, for did-you-mean. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

export function didYouMean(word: string, known: readonly string[]): string {
  const best = known.map((k) => [k, distance(word, k)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, word.length / 3) ? ` (did you mean "${best[0]}"?)` : '';
}

/** One feature of a compiled view: an aggregation or a derived feature, with its missing-value default. */
export interface CompiledFeature {
  name: string;
  kind: 'aggregation' | 'derived';
  fn: string;
  default: number | null;
}

export interface CompiledView {
  config: ViewConfig;
  name: string;
  version: number;
  table: string;
  source: EventSchema;
  filter: (f: Fields) => boolean;
  keyFields: string[];
  sizeMs: number;
  hopMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  retentionMs: number;
  /** Every feature, aggregations first, in column order. */
  features: CompiledFeature[];
  aggregators: Aggregator[];
  derived: Derived[];
}

let validate: ReturnType<Ajv['compile']> | undefined;

function fail(path: string, what: string): TributaryError {
  return new TributaryError('CONFIG_INVALID', `${path}: ${what}`);
}

/** Checks one view's config against its sources and compiles it; throws CONFIG_INVALID with the key path. */
export function compileView(raw: unknown, sources: ReadonlyMap<string, EventSchema>, path = 'views[0]'): CompiledView {
  validate ??= new Ajv({ allErrors: true, strict: false, useDefaults: false }).compile(viewSchema);
  if (!validate(raw)) {
    const e = validate.errors![0]!;
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    throw fail(`${path}${e.instancePath.replace(/\/(\d+)/g, '[$1]').replaceAll('/', '.')}`, `${e.message}${extra}`);
  }
  const config = raw as ViewConfig;
  const source = sources.get(config.source);
  if (!source) throw fail(`${path}.source`, `no source named "${config.source}"${didYouMean(config.source, [...sources.keys()])} (sources: ${[...sources.keys()].join(', ') || 'none'})`);
  let filter: (f: Fields) => boolean = () => true;
  if (config.filter !== undefined) {
    let c: ReturnType<typeof compileCondition>;
    try {
      c = compileCondition(config.filter);
    } catch (err) {
      throw fail(`${path}.filter`, (err as Error).message);
    }
    for (const f of c.fields) if (source.typeOf(f) === undefined) throw fail(`${path}.filter`, `reads "${f}", which source "${source.name}" does not declare${didYouMean(f, source.fields.map((x) => x.name))}`);
    filter = c.test;
  }
  const keyFields = typeof config.key === 'string' ? [config.key] : config.key;
  keyFields.forEach((k, i) => {
    if (source.typeOf(k) === undefined) throw fail(`${path}.key${typeof config.key === 'string' ? '' : `[${i}]`}`, `"${k}" is not declared by source "${source.name}"${didYouMean(k, source.fields.map((x) => x.name))}`);
  });
  const sizeMs = parseDuration(config.window.size, `${path}.window.size`);
  const hopMs = config.window.hop === undefined ? sizeMs : parseDuration(config.window.hop, `${path}.window.hop`);
  if (sizeMs <= 0 || hopMs <= 0) throw fail(`${path}.window`, 'size and hop must be above 0');
  if (hopMs > sizeMs || sizeMs % hopMs !== 0) throw fail(`${path}.window.hop`, `${config.window.hop} must divide the window size ${config.window.size}`);
  if (sizeMs / hopMs > 60) throw fail(`${path}.window.hop`, `${sizeMs / hopMs} overlapping windows per event is more than the 60 allowed (raise the hop)`);
  const allowedLatenessMs = parseDuration(config.window.allowed_lateness ?? '5s', `${path}.window.allowed_lateness`);
  const idleTimeoutMs = parseDuration(config.window.idle_timeout ?? '30s', `${path}.window.idle_timeout`);
  const retentionMs = config.window.retention === undefined ? Math.max(10 * hopMs, 2 * sizeMs) : parseDuration(config.window.retention, `${path}.window.retention`);

  const features: CompiledFeature[] = [];
  const seen = new Set<string>();
  const claim = (name: string, where: string): void => {
    if (RESERVED_COLUMNS.includes(name) || keyFields.includes(name)) throw fail(where, `"${name}" is a column every view table has (or a key field); pick another feature name`);
    if (seen.has(name)) throw fail(where, `feature "${name}" is defined twice`);
    seen.add(name);
  };
  const aggregators = config.aggregations.map((a, i) => {
    const where = `${path}.aggregations[${i}]`;
    claim(a.name, `${where}.name`);
    const def = aggregationByName(a.fn);
    if (!def) throw fail(`${where}.fn`, `unknown aggregation "${a.fn}"${didYouMean(a.fn, AGGREGATIONS.map((x) => x.name))} (known: ${AGGREGATIONS.map((x) => x.name).join(', ')})`);
    checkKeys(a as unknown as Record<string, unknown>, def.configProperties, def.required ?? [], where, a.fn);
    const agg = def.create(a, { schema: source, path: where });
    features.push({ name: a.name, kind: 'aggregation', fn: a.fn, default: a.default ?? null });
    return agg;
  });
  const derived = (config.derived ?? []).map((d, i) => {
    const where = `${path}.derived[${i}]`;
    claim(d.name, `${where}.name`);
    const def = derivedByName(d.fn);
    if (!def) throw fail(`${where}.fn`, `unknown derived feature "${d.fn}"${didYouMean(d.fn, DERIVED.map((x) => x.name))} (known: ${DERIVED.map((x) => x.name).join(', ')})`);
    checkKeys(d as unknown as Record<string, unknown>, def.configProperties, def.required, where, d.fn);
    const out = def.create(d, { known: features.map((f) => f.name), path: where });
    features.push({ name: d.name, kind: 'derived', fn: d.fn, default: d.default ?? null });
    return out;
  });
  const version = config.version ?? 1;
  return {
    config, name: config.name, version, table: `view_${config.name}_v${version}`, source, filter, keyFields,
    sizeMs, hopMs, allowedLatenessMs, idleTimeoutMs, retentionMs, features, aggregators, derived,
  };
}

/** The keys a definition takes (plus the common ones) and its required keys, with a small type check. */
function checkKeys(obj: Record<string, unknown>, props: Record<string, object>, required: string[], where: string, fn: string): void {
  const common = ['name', 'fn', 'default', 'description'];
  for (const k of Object.keys(obj)) {
    if (common.includes(k)) continue;
    if (!(k in props)) throw fail(`${where}.${k}`, `${fn} takes no "${k}"${didYouMean(k, Object.keys(props))}${Object.keys(props).length ? ` (it takes: ${Object.keys(props).join(', ')})` : ''}`);
    const spec = props[k] as { type?: string; minimum?: number; maximum?: number };
    const v = obj[k];
    if (spec.type === 'number' || spec.type === 'integer') {
      if (typeof v !== 'number' || (spec.type === 'integer' && !Number.isInteger(v))) throw fail(`${where}.${k}`, `must be ${spec.type === 'integer' ? 'a whole number' : 'a number'}`);
      if (spec.minimum !== undefined && v < spec.minimum) throw fail(`${where}.${k}`, `must be >= ${spec.minimum}`);
      if (spec.maximum !== undefined && v > spec.maximum) throw fail(`${where}.${k}`, `must be <= ${spec.maximum}`);
    }
    if (spec.type === 'string' && typeof v !== 'string') throw fail(`${where}.${k}`, 'must be a string');
  }
  for (const r of required) if (obj[r] === undefined) throw fail(`${where}`, `${fn} needs "${r}"`);
}
