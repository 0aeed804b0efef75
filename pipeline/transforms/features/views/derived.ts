/**
 * Derived features: computed when a window closes, from the window's aggregations and, for `change`
 * and `robust_z`, from the same key's own recent windows (its baseline). Same definition pattern as
 * the aggregations: adding one is one entry in `DERIVED`.
 *
 * The baseline of a feature is, per key, the values of the last `history` windows that START BEFORE
 * the window being computed (not "the windows seen so far"). A window re-emitted because of a late
 * record, or rebuilt after a restart, is therefore compared with the same past and gives the same
 * derived values, as long as that past is in memory (restored from the snapshot after a restart).
 */
import { TributaryError } from '../../../../core/errors.ts';

export interface DerivedConfig {
  name: string;
  fn: string;
  /** Input feature(s): one name, or [numerator, denominator] for `ratio`. */
  of: string | string[];
  /** Windows in the baseline (default 30). */
  history?: number;
  /** Windows the baseline needs before the feature is defined (default 3). */
  min_history?: number;
  /** Smallest spread `robust_z` divides by, in the feature's unit (default: 10 % of |median|, at least 1e-9). */
  min_spread?: number;
  /** `log_ratio`: added to both sides before dividing (default 1). */
  offset?: number;
  default?: number;
  description?: string;
}

/** What a derived feature reads of a key's baseline for one input: the values before this window, oldest first. */
export type History = (feature: string, limit: number) => number[];

export interface Derived {
  name: string;
  /** Features read, in order. */
  inputs: string[];
  /** Inputs whose baseline is kept, with how many windows. */
  baseline: { feature: string; history: number }[];
  compute(values: (feature: string) => number | null, history: History): number | null;
}

export interface DerivedDefinition {
  name: string;
  description: string;
  configProperties: Record<string, object>;
  required: string[];
  create(config: DerivedConfig, ctx: { known: readonly string[]; path: string }): Derived;
}

function configError(path: string, what: string): TributaryError {
  return new TributaryError('CONFIG_INVALID', `${path}: ${what}`);
}

function inputsOf(config: DerivedConfig, ctx: { known: readonly string[]; path: string }, n: number): string[] {
  const of = typeof config.of === 'string' ? [config.of] : config.of;
  if (!Array.isArray(of) || of.length !== n) throw configError(ctx.path, `"of" must name ${n === 1 ? 'one feature' : `${n} features`}`);
  for (const f of of) {
    if (!ctx.known.includes(f)) throw configError(ctx.path, `"of" names "${f}", which is not a feature defined before it (known: ${ctx.known.join(', ')})`);
  }
  return of;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const baselineProps = {
  of: { type: 'string', minLength: 1, description: 'The feature compared with its own past.' },
  history: { type: 'integer', minimum: 1, maximum: 1000, default: 30, description: 'Windows of the key kept in the baseline.' },
  min_history: { type: 'integer', minimum: 1, default: 3, description: 'Windows the baseline needs before the feature is defined (missing before).' },
};

export const DERIVED: readonly DerivedDefinition[] = [
  {
    name: 'ratio',
    description: 'of[0] / of[1]; missing when either is missing or the denominator is 0.',
    configProperties: { of: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2, description: '[numerator, denominator].' } },
    required: ['of'],
    create(config, ctx) {
      const [a, b] = inputsOf(config, ctx, 2) as [string, string];
      return {
        name: config.name,
        inputs: [a, b],
        baseline: [],
        compute(values) {
          const x = values(a);
          const y = values(b);
          return x === null || y === null || y === 0 ? null : x / y;
        },
      };
    },
  },
  {
    name: 'change',
    description: 'The feature minus the median of the key\'s previous windows; missing until the baseline holds min_history windows.',
    configProperties: baselineProps,
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      const history = config.history ?? 30;
      const minHistory = config.min_history ?? 3;
      return {
        name: config.name,
        inputs: [a],
        baseline: [{ feature: a, history }],
        compute(values, past) {
          const x = values(a);
          const h = past(a, history);
          return x === null || h.length < minHistory ? null : x - median(h);
        },
      };
    },
  },
  {
    name: 'robust_z',
    description:
      'Robust z-score of the feature against the key\'s previous windows: (x - median) / max(1.4826 MAD, min_spread); ' +
      'missing until the baseline holds min_history windows.',
    configProperties: {
      ...baselineProps,
      min_spread: { type: 'number', exclusiveMinimum: 0, description: 'Smallest spread divided by (default: 10 % of |median|, at least 1e-9).' },
    },
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      const history = config.history ?? 30;
      const minHistory = config.min_history ?? 3;
      return {
        name: config.name,
        inputs: [a],
        baseline: [{ feature: a, history }],
        compute(values, past) {
          const x = values(a);
          const h = past(a, history);
          if (x === null || h.length < minHistory) return null;
          const m = median(h);
          const mad = median(h.map((v) => Math.abs(v - m)));
          // A constant past (MAD 0) must not give an infinite z: the floor is relative to the level.
          const floor = config.min_spread ?? Math.max(0.1 * Math.abs(m), 1e-9);
          return (x - m) / Math.max(1.4826 * mad, floor);
        },
      };
    },
  },
  {
    name: 'log_ratio',
    description:
      'ln((x + offset) / (median + offset)): the feature against the median of the key\'s previous windows, on a log scale ' +
      '(surges and drops alike); missing until the baseline holds min_history windows.',
    configProperties: {
      ...baselineProps,
      offset: { type: 'number', minimum: 0, default: 1, description: 'Added to both sides, so that zeros compare (in the feature\'s unit).' },
    },
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      const history = config.history ?? 30;
      const minHistory = config.min_history ?? 3;
      const offset = config.offset ?? 1;
      return {
        name: config.name,
        inputs: [a],
        baseline: [{ feature: a, history }],
        compute(values, past) {
          const x = values(a);
          const h = past(a, history);
          return x === null || h.length < minHistory ? null : Math.log((x + offset) / (median(h) + offset));
        },
      };
    },
  },
  {
    name: 'fill_median',
    description: 'The feature, or when the window has none, the median of the key\'s previous windows (no evidence either way); missing when neither exists.',
    configProperties: baselineProps,
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      const history = config.history ?? 30;
      const minHistory = config.min_history ?? 1;
      return {
        name: config.name,
        inputs: [a],
        baseline: [{ feature: a, history }],
        compute(values, past) {
          const x = values(a);
          if (x !== null) return x;
          const h = past(a, history);
          return h.length < minHistory ? null : median(h);
        },
      };
    },
  },
  {
    name: 'coalesce',
    description: 'The first of the named features that is not missing.',
    configProperties: { of: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 8, description: 'Features, in order of preference.' } },
    required: ['of'],
    create(config, ctx) {
      const of = Array.isArray(config.of) ? config.of : [config.of];
      const names = inputsOf(config, ctx, of.length);
      if (names.length < 2) throw configError(ctx.path, '"of" must name at least 2 features');
      return {
        name: config.name,
        inputs: names,
        baseline: [],
        compute(values) {
          for (const n of names) {
            const x = values(n);
            if (x !== null) return x;
          }
          return null;
        },
      };
    },
  },
];

export function derivedByName(name: string): DerivedDefinition | undefined {
  return DERIVED.find((d) => d.name === name);
}
