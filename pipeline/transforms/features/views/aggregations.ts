/**
 * The aggregations a feature view can compute over one key's events in one window. Each is one
 * definition (name, description, the config keys it takes with their schema, create), in the same
 * pattern as the agent's parsers, so adding an aggregation is adding one entry to `AGGREGATIONS`.
 *
 * An aggregator's state lives in the window's accumulator: events (already through the view's filter)
 * flow in through `add`, and `value` gives the feature when the window closes: a number, or null when
 * the window held no values for it (mean of nothing). Null is the missing-value marker: the view
 * replaces it with the aggregation's declared `default` when there is one; a model bound to the view
 * must declare what it takes for a missing input (see scoring/view-models.ts). NaN never comes out.
 */
import { TributaryError } from '../../../../core/errors.ts';
import { DDSketch, DEFAULT_ALPHA, type DDSketchJson } from '../../windows/ddsketch.ts';
import { compileCondition, type Fields } from './expression.ts';
import { DEFAULT_PRECISION, HyperLogLog, type HyperLogLogJson } from './hyperloglog.ts';
import { type EventSchema, type FieldType } from './schema.ts';

/** One event as aggregators see it: its checked fields plus its place in the stream (for `last`). */
export interface AggInput {
  time: number;
  partition: number;
  offset: number;
  fields: Fields;
}

export interface AggMeta {
  /** Window length, ms. */
  sizeMs: number;
  /** Events in the window (after the filter). */
  count: number;
}

/** A built aggregation: pure functions over a state it owns. */
export interface Aggregator<S = unknown> {
  init(): S;
  add(state: S, event: AggInput): S;
  value(state: S, meta: AggMeta): number | null;
  save(state: S): unknown;
  load(data: unknown): S;
}

/** An aggregation as written in config (snake_case), after the keys common to all are split off. */
export interface AggregationConfig {
  /** Feature (column) name. */
  name: string;
  fn: string;
  field?: string;
  condition?: string;
  q?: number;
  alpha?: number;
  precision?: number;
  /** Value used when the window held no values for this feature. */
  default?: number;
  description?: string;
}

export interface AggregationContext {
  schema: EventSchema;
  /** Where the aggregation sits in the config, for error messages (`views.card.aggregations[2]`). */
  path: string;
}

export interface AggregationDefinition {
  name: string;
  description: string;
  /** JSON Schema properties of the keys this aggregation takes besides name, fn, default, description. */
  configProperties: Record<string, object>;
  required?: string[];
  /** Whether the result is always defined (0 for an empty window), so `default` means nothing. */
  alwaysDefined?: boolean;
  create(config: AggregationConfig, ctx: AggregationContext): Aggregator;
}

const NUMERIC: readonly FieldType[] = ['number', 'integer'];

function configError(ctx: AggregationContext, what: string): TributaryError {
  return new TributaryError('CONFIG_INVALID', `${ctx.path}: ${what}`);
}

/** The field a numeric aggregation reads, checked against the source's schema. */
function numericField(config: AggregationConfig, ctx: AggregationContext, also: readonly FieldType[] = []): string {
  const field = config.field!;
  const type = ctx.schema.typeOf(field);
  if (type === undefined) {
    throw configError(ctx, `field "${field}" is not declared by source "${ctx.schema.name}" (declared: ${ctx.schema.fields.map((f) => f.name).join(', ')})`);
  }
  if (!NUMERIC.includes(type) && !also.includes(type)) {
    throw configError(ctx, `${config.fn} needs a number field, and "${field}" is a ${type}`);
  }
  return field;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

const fieldProp = { field: { type: 'string', minLength: 1, description: 'Source field the aggregation reads.' } };

/** Aggregations over one numeric field with a number (or small tuple) as state. */
function simple(
  name: string,
  description: string,
  fold: { init: () => number[]; add: (s: number[], x: number) => void; value: (s: number[], meta: AggMeta) => number | null },
  alwaysDefined = false,
): AggregationDefinition {
  return {
    name,
    description,
    configProperties: fieldProp,
    required: ['field'],
    alwaysDefined,
    create(config, ctx) {
      const field = numericField(config, ctx);
      return {
        init: fold.init,
        add(s, e) {
          const x = num(e.fields[field]);
          if (x !== undefined) fold.add(s as number[], x);
          return s;
        },
        value: (s, meta) => fold.value(s as number[], meta),
        save: (s) => s,
        load: (d) => (d as number[]).slice(),
      };
    },
  };
}

export const AGGREGATIONS: readonly AggregationDefinition[] = [
  {
    name: 'count',
    description: 'Events in the window (after the view filter).',
    configProperties: {},
    alwaysDefined: true,
    create: () => ({
      init: () => 0,
      add: (s) => (s as number) + 1,
      value: (s) => s as number,
      save: (s) => s,
      load: (d) => d as number,
    }),
  },
  simple('sum', 'Sum of a field over the window; 0 when no event carried it.', {
    init: () => [0],
    add: (s, x) => void (s[0]! += x),
    value: (s) => s[0]!,
  }, true),
  simple('mean', 'Mean of a field; missing when no event carried it.', {
    init: () => [0, 0],
    add: (s, x) => {
      s[0]!++;
      s[1]! += x;
    },
    value: (s) => (s[0]! > 0 ? s[1]! / s[0]! : null),
  }),
  simple('min', 'Smallest value of a field; missing when no event carried it.', {
    init: () => [Infinity],
    add: (s, x) => void (x < s[0]! && (s[0] = x)),
    value: (s) => (s[0] === Infinity ? null : s[0]!),
  }),
  simple('max', 'Largest value of a field; missing when no event carried it.', {
    init: () => [-Infinity],
    add: (s, x) => void (x > s[0]! && (s[0] = x)),
    value: (s) => (s[0] === -Infinity ? null : s[0]!),
  }),
  // Welford's update: one pass, no catastrophic cancellation for values far from zero.
  simple('stddev', 'Population standard deviation of a field (0 for one value); missing when no event carried it.', {
    init: () => [0, 0, 0],
    add: (s, x) => {
      const n = ++s[0]!;
      const d = x - s[1]!;
      s[1]! += d / n;
      s[2]! += d * (x - s[1]!);
    },
    value: (s) => (s[0]! > 0 ? Math.sqrt(Math.max(0, s[2]! / s[0]!)) : null),
  }),
  {
    name: 'quantile',
    description: 'A quantile of a field from a DDSketch (within `alpha` relative error of the exact lower quantile); missing when no event carried it.',
    configProperties: {
      ...fieldProp,
      q: { type: 'number', minimum: 0, maximum: 1, description: 'The quantile, 0 to 1 (0.95 for p95).' },
      alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: DEFAULT_ALPHA, description: 'Relative accuracy of the sketch.' },
    },
    required: ['field', 'q'],
    create(config, ctx) {
      const field = numericField(config, ctx);
      const q = config.q!;
      const alpha = config.alpha ?? DEFAULT_ALPHA;
      return {
        init: () => new DDSketch({ alpha }),
        add(s, e) {
          const x = num(e.fields[field]);
          if (x !== undefined) (s as DDSketch).add(x);
          return s;
        },
        value: (s) => ((s as DDSketch).count > 0 ? (s as DDSketch).quantile(q) : null),
        save: (s) => (s as DDSketch).toJSON(),
        load: (d) => DDSketch.deserialize(d as DDSketchJson),
      };
    },
  },
  {
    name: 'distinct_count',
    description: `Distinct values of a field, estimated by HyperLogLog: relative standard error 1.04/sqrt(2^precision) (${(HyperLogLog.standardError() * 100).toFixed(2)} % at the default precision ${DEFAULT_PRECISION}).`,
    configProperties: {
      ...fieldProp,
      precision: { type: 'integer', minimum: 4, maximum: 16, default: DEFAULT_PRECISION, description: 'log2 of the register count; error 1.04/sqrt(2^precision).' },
    },
    required: ['field'],
    alwaysDefined: true,
    create(config, ctx) {
      const field = config.field!;
      if (ctx.schema.typeOf(field) === undefined) throw configError(ctx, `field "${field}" is not declared by source "${ctx.schema.name}"`);
      const precision = config.precision ?? DEFAULT_PRECISION;
      return {
        init: () => new HyperLogLog(precision),
        add(s, e) {
          const v = e.fields[field];
          if (v !== null && v !== undefined) (s as HyperLogLog).add(typeof v === 'string' ? v : `${typeof v}:${String(v)}`);
          return s;
        },
        value: (s) => Math.round((s as HyperLogLog).estimate()),
        save: (s) => (s as HyperLogLog).toJSON(),
        load: (d) => HyperLogLog.fromJSON(d as HyperLogLogJson),
      };
    },
  },
  {
    name: 'count_if',
    description: 'Events for which a condition holds (`status >= 500`).',
    configProperties: { condition: { type: 'string', minLength: 1, description: 'Condition over the source fields (see expression.ts).' } },
    required: ['condition'],
    alwaysDefined: true,
    create(config, ctx) {
      const cond = condition(config, ctx);
      return {
        init: () => 0,
        add: (s, e) => (cond(e.fields) ? (s as number) + 1 : s),
        value: (s) => s as number,
        save: (s) => s,
        load: (d) => d as number,
      };
    },
  },
  {
    name: 'ratio_if',
    description: 'Share of the window\'s events for which a condition holds, 0 to 1; missing for an empty window.',
    configProperties: { condition: { type: 'string', minLength: 1, description: 'Condition over the source fields (see expression.ts).' } },
    required: ['condition'],
    create(config, ctx) {
      const cond = condition(config, ctx);
      return {
        init: () => [0, 0],
        add(s, e) {
          const a = s as number[];
          a[0]!++;
          if (cond(e.fields)) a[1]!++;
          return a;
        },
        value: (s) => ((s as number[])[0]! > 0 ? (s as number[])[1]! / (s as number[])[0]! : null),
        save: (s) => s,
        load: (d) => (d as number[]).slice(),
      };
    },
  },
  {
    name: 'last',
    description: 'Value of a field on the window\'s latest event (by event time, then partition and offset, so replays agree); missing when no event carried it.',
    configProperties: fieldProp,
    required: ['field'],
    create(config, ctx) {
      const field = numericField(config, ctx, ['boolean']);
      // [value, time, partition, offset]; time -Infinity when empty.
      return {
        init: () => [0, -Infinity, 0, 0],
        add(s, e) {
          const a = s as number[];
          const x = num(e.fields[field]);
          if (x === undefined) return a;
          if (e.time > a[1]! || (e.time === a[1]! && (e.partition > a[2]! || (e.partition === a[2]! && e.offset >= a[3]!)))) {
            a[0] = x;
            a[1] = e.time;
            a[2] = e.partition;
            a[3] = e.offset;
          }
          return a;
        },
        value: (s) => ((s as number[])[1] === -Infinity ? null : (s as number[])[0]!),
        save: (s) => {
          const a = s as number[];
          return a[1] === -Infinity ? null : a;
        },
        load: (d) => (d === null ? [0, -Infinity, 0, 0] : (d as number[]).slice()),
      };
    },
  },
  {
    name: 'rate',
    description: 'Events per second over the window; with `field`, the field\'s sum per second.',
    configProperties: { field: { type: 'string', minLength: 1, description: 'Optional: sum this field per second instead of counting events.' } },
    alwaysDefined: true,
    create(config, ctx) {
      const field = config.field === undefined ? undefined : numericField(config, ctx);
      return {
        init: () => 0,
        add(s, e) {
          if (field === undefined) return (s as number) + 1;
          const x = num(e.fields[field]);
          return x === undefined ? s : (s as number) + x;
        },
        value: (s, meta) => (s as number) / (meta.sizeMs / 1000),
        save: (s) => s,
        load: (d) => d as number,
      };
    },
  },
];

function condition(config: AggregationConfig, ctx: AggregationContext): (f: Fields) => boolean {
  let compiled: ReturnType<typeof compileCondition>;
  try {
    compiled = compileCondition(config.condition!);
  } catch (err) {
    throw configError(ctx, `condition: ${(err as Error).message}`);
  }
  for (const f of compiled.fields) {
    if (ctx.schema.typeOf(f) === undefined) throw configError(ctx, `condition reads "${f}", which source "${ctx.schema.name}" does not declare`);
  }
  return compiled.test;
}

export function aggregationByName(name: string): AggregationDefinition | undefined {
  return AGGREGATIONS.find((a) => a.name === name);
}
