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
  /** `log_ratio`: compare with the past of this feature, times `per`. */
  past_of?: string;
  per?: string;
  /** `robust_z` on a ln(v + 1) scale: the spread is at least a step of 1 in v. */
  unit_step?: boolean;
  /** `robust_z`: spread x (1 + widen / baseline windows). */
  widen?: number;
  /** `change`: poisson divides by sqrt(median + 1). */
  scale?: 'none' | 'poisson';
  /** `excess`: damped or poisson. */
  as?: 'damped' | 'poisson';
  pseudo_count?: number;
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
    description: 'The feature minus the median of the key\'s previous windows (scale: poisson divides by sqrt(median + 1), for counts); missing until the baseline holds min_history windows.',
    configProperties: { ...baselineProps, scale: { enum: ['none', 'poisson'], default: 'none', description: 'poisson: (x - median) / sqrt(median + 1).' } },
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
          return config.scale === 'poisson' ? (x - m) / Math.sqrt(m + 1) : x - m;
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
      unit_step: { type: 'boolean', default: false, description: 'The feature is ln(v + 1): never divide by less than the step a change of 1 in v makes.' },
      widen: { type: 'number', minimum: 0, default: 0, description: 'Spread x (1 + widen / windows in the baseline): a short baseline speaks more softly.' },
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
          if (!config.unit_step && !config.widen) return (x - m) / Math.max(1.4826 * mad, floor);
          // On a ln(v + 1) scale, a step of 1 in v (latencies in whole ms) is the least spread that means anything.
          const step = config.unit_step ? Math.log(Math.exp(m) + 1) - m : 0;
          return (x - m) / (Math.max(1.4826 * mad, floor, step) * (1 + (config.widen ?? 0) / h.length));
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
      past_of: { type: 'string', description: 'Compare with the past of this feature instead (a rate, say), times `per`.' },
      per: { type: 'string', description: 'Feature the median of the past is multiplied by (the window\'s length in seconds, for a rate).' },
    },
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      const history = config.history ?? 30;
      const minHistory = config.min_history ?? 3;
      const offset = config.offset ?? 1;
      const [pastOf] = config.past_of === undefined ? [a] : inputsOf({ ...config, of: config.past_of }, ctx, 1);
      const [per] = config.per === undefined ? [undefined] : inputsOf({ ...config, of: config.per }, ctx, 1);
      return {
        name: config.name,
        inputs: per === undefined ? [a, pastOf!] : [a, pastOf!, per],
        baseline: [{ feature: pastOf!, history }],
        compute(values, past) {
          const x = values(a);
          const h = past(pastOf, history);
          if (x === null || h.length < minHistory) return null;
          const k = per === undefined ? 1 : values(per);
          return k === null ? null : Math.log((x + offset) / (median(h) * k + offset));
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
    name: 'excess',
    description:
      'Events of a kind beyond what the key\'s usual share of them predicts: of [events, total, share], expected = median of the ' +
      'share\'s previous windows (or this window\'s share) x total; damped: (events - expected) / (total + pseudo_count), ' +
      'poisson: (events - expected) / sqrt(expected + 1), missing when total is 0.',
    configProperties: {
      of: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3, description: '[events, total, share of events in total].' },
      as: { enum: ['damped', 'poisson'], default: 'damped', description: 'How the excess is scaled.' },
      pseudo_count: { type: 'number', minimum: 0, default: 20, description: 'damped: added to the total, so small windows speak softly.' },
      history: baselineProps.history,
    },
    required: ['of'],
    create(config, ctx) {
      const [e, n, share] = inputsOf(config, ctx, 3) as [string, string, string];
      const history = config.history ?? 30;
      const pseudo = config.pseudo_count ?? 20;
      const poisson = config.as === 'poisson';
      return {
        name: config.name,
        inputs: [e, n, share],
        baseline: [{ feature: share, history }],
        compute(values, past) {
          const x = values(e);
          const total = values(n);
          if (x === null || total === null || (poisson && total <= 0)) return null;
          const h = past(share, history);
          // Medians, not means: an incident in the recent past must not raise what counts as usual.
          const expected = (h.length > 0 ? median(h) : (values(share) ?? 0)) * total;
          return poisson ? (x - expected) / Math.sqrt(expected + 1) : (x - expected) / (total + pseudo);
        },
      };
    },
  },
  {
    name: 'log1p',
    description: 'ln(1 + x), for counts with a long tail.',
    configProperties: { of: { type: 'string', minLength: 1, description: 'The feature.' } },
    required: ['of'],
    create(config, ctx) {
      const [a] = inputsOf(config, ctx, 1) as [string];
      return {
        name: config.name,
        inputs: [a],
        baseline: [],
        compute(values) {
          const x = values(a);
          return x === null ? null : Math.log1p(x);
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
