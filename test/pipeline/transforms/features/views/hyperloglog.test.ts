import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HyperLogLog, murmur3 } from '../../../../../pipeline/transforms/features/views/hyperloglog.ts';

test('murmur3 is pinned: saved sketches from an earlier run must merge with new ones', () => {
  // Values computed by this implementation when it was written; a change of hash would silently
  // break merging of stored sketches, so this fails first.
  assert.deepEqual([murmur3('hello'), murmur3('user-1'), murmur3('a')], [2163840187, 2102849038, 2863223161]);
  assert.equal(murmur3('', 0), 0);
});

for (const n of [1, 10, 100, 1_000, 10_000, 100_000]) {
  test(`estimate of ${n} distinct values is within 3 standard errors (p=12)`, () => {
    const h = new HyperLogLog();
    for (let i = 0; i < n; i++) {
      h.add(`user-${i}`);
      h.add(`user-${i}`);
    }
    const err = Math.abs(h.estimate() - n) / n;
    const bound = n <= 100 ? 0.02 : 3 * HyperLogLog.standardError(12);
    assert.ok(err <= bound, `estimate ${h.estimate().toFixed(1)} for ${n}: error ${(err * 100).toFixed(2)} % > ${(bound * 100).toFixed(2)} %`);
  });
}

test('merging two sketches equals the sketch of the union', () => {
  const a = new HyperLogLog();
  const b = new HyperLogLog();
  const u = new HyperLogLog();
  for (let i = 0; i < 5000; i++) {
    (i % 3 === 0 ? a : b).add(`v${i}`);
    u.add(`v${i}`);
  }
  for (let i = 0; i < 1000; i++) {
    a.add(`v${i}`);
  }
  assert.equal(a.merge(b).estimate(), u.estimate());
});

test('sparse and dense forms survive a JSON round trip with the same estimate', () => {
  for (const n of [5, 2000]) {
    const h = new HyperLogLog(12);
    for (let i = 0; i < n; i++) h.add(String(i));
    const back = HyperLogLog.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    assert.equal(back.estimate(), h.estimate());
    assert.equal(n === 5 ? 's' in h.toJSON() : 'd' in h.toJSON(), true);
  }
});

test('precision out of range is refused', () => {
  assert.throws(() => new HyperLogLog(3), /precision must be a whole number from 4 to 16/);
  assert.throws(() => new HyperLogLog(12).merge(new HyperLogLog(10)), /different precision/);
});
