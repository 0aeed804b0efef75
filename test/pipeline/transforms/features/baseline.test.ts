import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollingBaseline } from '../../../../pipeline/transforms/features/baseline.ts';

test('median and MAD of the last N values, oldest ones forgotten', () => {
  const b = new RollingBaseline(5);
  assert.equal(b.median(7), 7, 'fallback when empty');
  for (const v of [1, 2, 3, 4, 100]) b.push(v);
  assert.equal(b.median(0), 3);
  assert.equal(b.mad(), 1);
  for (const v of [10, 10, 10]) b.push(v);
  assert.deepEqual(b.toJSON(), [4, 100, 10, 10, 10]);
  assert.equal(b.median(0), 10);
  b.push(Number.NaN);
  assert.equal(b.size, 5, 'a non-finite value is ignored');
});

test('a restored baseline keeps the order and the capacity', () => {
  const b = RollingBaseline.from(3, [1, 2, 3, 4]);
  assert.deepEqual(b.toJSON(), [2, 3, 4]);
  b.push(5);
  assert.deepEqual(b.toJSON(), [3, 4, 5]);
});
