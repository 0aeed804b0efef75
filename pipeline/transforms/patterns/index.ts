/** The log pattern transform's public surface: log bodies in, pattern ids and templates out. */
export { PatternMiner, patternIdOf, type PatternInfo, type PatternMatch, type PatternMinerSnapshot } from './miner.ts';
export {
  DEFAULT_PATTERN_MINER_OPTIONS,
  patternMinerSchema,
  resolvePatternMinerOptions,
  type PatternMinerOptions,
} from './options.ts';
export { maskBody, WILDCARD } from './mask.ts';
