import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PATTERN_MINER_OPTIONS,
  patternMinerSchema,
  resolvePatternMinerOptions,
} from '../../../../pipeline/transforms/patterns/options.ts';
import { isTributaryError } from '../../../../core/errors.ts';

test('the default options validate and equal the schema defaults', () => {
  const resolved = resolvePatternMinerOptions({ ...DEFAULT_PATTERN_MINER_OPTIONS });
  assert.deepEqual(resolved, DEFAULT_PATTERN_MINER_OPTIONS);
  for (const [key, spec] of Object.entries(patternMinerSchema.properties)) {
    assert.deepEqual(spec.default, DEFAULT_PATTERN_MINER_OPTIONS[key as keyof typeof DEFAULT_PATTERN_MINER_OPTIONS], key);
    assert.ok(spec.description.length > 20, `${key} has a description`);
  }
});

test('missing options take their defaults', () => {
  assert.deepEqual(resolvePatternMinerOptions({ maxClusters: 5 }), { ...DEFAULT_PATTERN_MINER_OPTIONS, maxClusters: 5 });
});

test('an unknown option is an error that names it', () => {
  assert.throws(
    () => resolvePatternMinerOptions({ maxClusterz: 5 } as never),
    (err: unknown) => isTributaryError(err) && err.code === 'CONFIG_INVALID' && /maxClusterz/.test(err.message),
  );
});

test('out-of-range and mistyped values are errors', () => {
  assert.throws(() => resolvePatternMinerOptions({ maxClusters: 0 }), /maxClusters/);
  assert.throws(() => resolvePatternMinerOptions({ maxClusters: 1.5 }), /integer/);
  assert.throws(() => resolvePatternMinerOptions({ similarity: 2 }), /similarity/);
  assert.throws(() => resolvePatternMinerOptions({ namingWords: [1] as never }), /namingWords/);
});
