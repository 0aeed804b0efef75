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
  /** Clusters differing in one plain word only that are merged into one with a variable there. */
  siblings: number;
  /** Words after which a plain word is taken for a variable once two clusters differ in it. */
  namingWords: string[];
}

// Nouns that introduce a value: `for user <*>`, `on host <*>`, `domain <*> is full`. Words whose next
// word is as often a fixed name (`by client SPP`, `started service 'sparkDriver'`) are left out.
const NAMING_WORDS: readonly string[] = [
  'user', 'users', 'username', 'account', 'owner', 'host', 'hostname', 'domain', 'node',
  'class', 'file', 'filename', 'path', 'directory', 'dir', 'folder',
  'package', 'module', 'plugin', 'database', 'db', 'table', 'queue', 'topic', 'tenant',
  'project', 'container', 'pod', 'namespace', 'volume', 'bucket',
];

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
    siblings: {
      type: 'integer',
      minimum: 2,
      default: 5,
      description:
        'Clusters that are alike except for one plain word (`for user cyrus`, `for user news`, ...) are merged ' +
        'into one, with a variable in that place, once this many exist; fewer are taken for distinct events ' +
        '(`VM Started`, `VM Stopped`). The merged clusters keep the id of the oldest.',
    },
    namingWords: {
      type: 'array',
      items: { type: 'string' },
      default: NAMING_WORDS,
      description:
        'Nouns that name the value after them (`user`, `host`, `domain`, ...): two clusters that differ only ' +
        'in the word after one of these are already merged. Compared in lower case, without punctuation.',
    },
  },
} as const;

export const DEFAULT_PATTERN_MINER_OPTIONS = {
  maxClusters: 20000,
  similarity: 0.5,
  maxTokens: 256,
  cacheSize: 50000,
  siblings: 5,
  namingWords: [...NAMING_WORDS],

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
    if (spec.type === 'array') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw new TributaryError('CONFIG_INVALID', `patterns: option "${key}" must be an array of strings`);
      }
      continue;
    }
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
  const out: PatternMinerOptions = { ...DEFAULT_PATTERN_MINER_OPTIONS, namingWords: [...DEFAULT_PATTERN_MINER_OPTIONS.namingWords] };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}
