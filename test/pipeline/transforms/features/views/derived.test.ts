import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derivedByName, median } from '../../../../../pipeline/transforms/features/views/derived.ts';

const known = ['a', 'b'];
const make = (fn: string, over: Record<string, unknown>) => derivedByName(fn)!.create({ name: 'd', fn, of: 'a', ...over } as never, { known, path: 'views[0].derived[0]' });

// [fn, options, a, b, history of a, want]
const CASES: [string, Record<string, unknown>, number | null, number | null, number[], number | null][] = [
  ['ratio', { of: ['a', 'b'] }, 6, 3, [], 2],
  ['ratio', { of: ['a', 'b'] }, 6, 0, [], null],
  ['ratio', { of: ['a', 'b'] }, null, 3, [], null],
  ['change', {}, 10, null, [1, 2, 3], 8],
  ['change', {}, 10, null, [1, 2], null],
  ['change', { min_history: 1 }, 10, null, [4], 6],
  ['change', { history: 2, min_history: 2 }, 10, null, [100, 1, 3], 8],
  ['robust_z', {}, 20, null, [10, 11, 12, 13, 14], (20 - 12) / (1.4826 * 1)],
  // A constant past: the spread floor is 10 % of the median, not zero.
  ['robust_z', {}, 12, null, [10, 10, 10], 2 / 1],
  ['robust_z', { min_spread: 4 }, 12, null, [10, 10, 10], 0.5],
  ['robust_z', {}, null, null, [10, 10, 10], null],
  ['log_ratio', { offset: 0.1 }, 9.9, null, [1, 4.9, 7], Math.log(10 / 5)],
  ['log_ratio', {}, 0, null, [0, 0, 0], 0],
  ['log_ratio', { min_history: 1 }, 3, null, [], null],
  ['fill_median', {}, 0.7, null, [], 0.7],
  ['fill_median', {}, null, null, [0.2, 0.4, 0.9], 0.4],
  ['fill_median', {}, null, null, [], null],
  ['coalesce', { of: ['a', 'b'] }, null, 5, [], 5],
  ['coalesce', { of: ['a', 'b'] }, 2, 5, [], 2],
  ['coalesce', { of: ['a', 'b'] }, null, null, [], null],
];

for (const [fn, over, a, b, hist, want] of CASES) {
  test(`${fn} ${JSON.stringify(over)} a=${a} b=${b} past=[${hist}] -> ${want}`, () => {
    const d = make(fn, over);
    const values = (f: string) => (f === 'a' ? a : b);
    const got = d.compute(values, (_f, limit) => hist.slice(-limit));
    if (want === null) assert.equal(got, null);
    else assert.ok(Math.abs(got! - want) < 1e-12, `${got} vs ${want}`);
  });
}

test('median of odd and even lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});
