/**
 * Options of the pattern miner, each with its description and default beside it; the schema is what the
 * worker's config validator and the docs read.
 */
import { TributaryError } from '../../../core/errors.ts';

export interface PatternMinerOptions {
  /** Most clusters kept in memory; the least recently matched one is evicted beyond it. */
  maxClusters: number;
  /** Share of a cluster's constant tokens a line must repeat, in the same positions, to join it. */
  similarity: number;
  /** Tokens of a body considered; the rest is folded into one trailing `<*>`. */
  maxTokens: number;
  /** Masked bodies remembered for the exact-match fast path. */
  cacheSize: number;
}

export const patternMinerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxClusters: {
      type: 'integer',
      minimum: 1,
      default: 20000,
      description:
        'Most clusters (patterns) kept in memory. Beyond it the least recently matched cluster is evicted; ' +
        'a line of an evicted pattern later starts a new cluster, which gets the same id if its first template is the same.',
    },
    similarity: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description:
        'Share of the constant tokens of a cluster that a line of the same length must repeat in place to join it.',
    },
    maxTokens: {
      type: 'integer',
      minimum: 1,
      default: 256,
      description: 'Tokens of a body taken into account; longer bodies have their tail folded into one `<*>`.',
    },
    cacheSize: {
      type: 'integer',
      minimum: 0,
      default: 50000,
      description: 'Masked bodies remembered for the exact-match fast path (0 turns it off).',
    },
  },
} as const;

export const DEFAULT_PATTERN_MINER_OPTIONS = {
  maxClusters: 20000,
  similarity: 0.5,
  maxTokens: 256,
  cacheSize: 50000,
} satisfies PatternMinerOptions;

/** Fills in defaults and rejects unknown keys or out-of-range values, naming the key. */
export function resolvePatternMinerOptions(input: Partial<PatternMinerOptions> = {}): PatternMinerOptions {
  const props = patternMinerSchema.properties as Record<
    string,
    { type: string; minimum?: number; maximum?: number }
  >;
  for (const [key, value] of Object.entries(input)) {
    const spec = props[key];
    if (!spec) throw new TributaryError('CONFIG_INVALID', `patterns: unknown option "${key}"`);
    if (value === undefined) continue;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (spec.type !== 'integer' || Number.isInteger(value)) &&
      (spec.minimum === undefined || value >= spec.minimum) &&
      (spec.maximum === undefined || value <= spec.maximum);
    if (!ok) {
      throw new TributaryError(
        'CONFIG_INVALID',
        `patterns: option "${key}" must be ${spec.type === 'integer' ? 'an integer' : 'a number'}` +
          `${spec.minimum !== undefined ? ` >= ${spec.minimum}` : ''}${spec.maximum !== undefined ? ` <= ${spec.maximum}` : ''}, got ${JSON.stringify(value)}`,
      );
    }
  }
  const out: PatternMinerOptions = { ...DEFAULT_PATTERN_MINER_OPTIONS };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) out[key as keyof PatternMinerOptions] = value;
  }
  return out;
}
