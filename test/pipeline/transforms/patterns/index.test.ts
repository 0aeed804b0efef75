import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as patterns from '../../../../pipeline/transforms/patterns/index.ts';

test('the index exposes the miner, its options and the masking', () => {
  const miner = new patterns.PatternMiner(patterns.DEFAULT_PATTERN_MINER_OPTIONS);
  assert.equal(miner.match('disk 3 is full').template, 'disk <*> is full');
  assert.equal(patterns.maskBody('disk 3 is full').join(' '), 'disk <*> is full');
  assert.equal(patterns.WILDCARD, '<*>');
  assert.ok(patterns.patternMinerSchema.properties.maxClusters.description);
});
