import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateScoringConfig } from '../../../../pipeline/transforms/scoring/options.ts';
import { defaultScoringConfig } from '../../../../pipeline/transforms/scoring/scorer.ts';

test('the default scoring config validates', () => {
  assert.doesNotThrow(() => validateScoringConfig(defaultScoringConfig(process.cwd())));
});

test('unknown keys and missing manifests are named with their path', () => {
  assert.throws(() => validateScoringConfig({ models: [{ manifest: 'a.json', file: 'x' }] }), /scoring\.models\.0: must NOT have additional properties "file"/);
  assert.throws(() => validateScoringConfig({ models: [{}] }), /scoring\.models\.0: must have required property 'manifest'/);
  assert.throws(() => validateScoringConfig({ model: [] }), /scoring: must have required property 'models'|additional properties "model"/);
});
