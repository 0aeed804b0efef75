import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exponentialToLe, fromOffset, LE_SCALE, type ExponentialPoint } from '../../../agents/sources/exponential-buckets.ts';
import { metricsFromRequest } from '../../../agents/sources/otlp.ts';
import { CumulativeTotals } from '../../../agents/sources/otlp-delta.ts';

/**
 * An exponential histogram of `values` at `scale`, bucketed as OpenTelemetry's specification maps a
 * value (index = ceil(log2|v| * 2^scale) - 1; |v| at or below `zeroThreshold` in the zero bucket).
 * Written here from the specification, apart from the code under test.
 */
function histogramOf(values: number[], scale: number, zeroThreshold = 0): ExponentialPoint {
  const sides = { positive: new Map<number, number>(), negative: new Map<number, number>() };
  let zeroCount = 0;
  for (const v of values) {
    if (Math.abs(v) <= zeroThreshold) { zeroCount++; continue; }
    const index = Math.ceil(Math.log2(Math.abs(v)) * 2 ** scale) - 1;
    const side = v > 0 ? sides.positive : sides.negative;
    side.set(index, (side.get(index) ?? 0) + 1);
  }
  const contiguous = (m: Map<number, number>) => {
    if (m.size === 0) return undefined;
    const lo = Math.min(...m.keys());
    const hi = Math.max(...m.keys());
    return fromOffset(lo, Array.from({ length: hi - lo + 1 }, (_, k) => m.get(lo + k) ?? 0));
  };
  return { scale, count: values.length, zeroCount, zeroThreshold, positive: contiguous(sides.positive), negative: contiguous(sides.negative) };
}

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('each le holds exactly the values at or below it, for senders at scales from -2 to 8, values of both signs', () => {
  const next = random(42);
  for (let round = 0; round < 200; round++) {
    const scale = -2 + (round % 11);
    // Values over six orders of magnitude, some negative, some inside the zero bucket's threshold.
    const values = Array.from({ length: 1 + Math.floor(next() * 300) }, () => (next() < 0.2 ? -1 : 1) * 10 ** (next() * 6 - 4));
    // A zero bucket, as senders set one, ends on a bucket bound (here one at every scale from -2 up).
    const zeroThreshold = round % 3 === 0 ? 2 ** -12 : 0;
    const buckets = exponentialToLe(histogramOf(values, scale, zeroThreshold));
    const les = buckets.map(([le]) => le);
    assert.deepEqual([...les].sort((a, b) => a - b), les, 'ascending');
    assert.equal(new Set(les).size, les.length, 'no le twice');
    assert.equal(les.at(-1), Infinity);
    for (const [le, count] of buckets) {
      assert.equal(count, values.filter((v) => v <= le).length, `scale ${scale}, round ${round}: le ${le}`);
    }
  }
});

test('bounds do not depend on the scale a sender used, down to LE_SCALE: the powers of 2^(1/4)', () => {
  const values = [0.3, 1.5, 7, 7.5, 42, 1000];
  const byScale = [2, 3, 5, 8, 12].map((s) => exponentialToLe(histogramOf(values, s)));
  for (const b of byScale) assert.deepEqual(b, byScale[0]);
  assert.equal(LE_SCALE, 2);
  for (const [le] of byScale[0]!.slice(0, -1)) {
    const k = Math.log2(le) * 4;
    assert.ok(Math.abs(k - Math.round(k)) < 1e-9, `${le} is 2^(k/4)`);
  }
  // A coarser sender keeps its own bounds: base 4 at scale -1.
  assert.deepEqual(exponentialToLe(histogramOf([3, 5], -1)), [[4, 1], [16, 2], [Infinity, 2]]);
});

test('worked by hand: merged buckets, a gap kept, the zero and negative buckets', () => {
  // Scale 3, indices 5 to 12 one value each, merged to scale 2: indices 2 (1), 3 (2), 4 (2), 5 (2), 6 (1),
  // upper bounds 2^(3/4), 2^(4/4), 2^(5/4), 2^(6/4), 2^(7/4).
  assert.deepEqual(exponentialToLe({ scale: 3, count: 8, zeroCount: 0, zeroThreshold: 0, positive: fromOffset(5, [1, 1, 1, 1, 1, 1, 1, 1]) }), [
    [2 ** 0.75, 1], [2, 3], [2 ** 1.25, 5], [2 ** 1.5, 7], [2 ** 1.75, 8], [Infinity, 8],
  ]);
  // Scale 0: empty buckets before the first value are left out, those between two kept (their series go on).
  assert.deepEqual(exponentialToLe({ scale: 0, count: 3, zeroCount: 0, zeroThreshold: 0, positive: fromOffset(0, [0, 1, 0, 0, 2]) }), [
    [4, 1], [8, 1], [16, 1], [32, 3], [Infinity, 3],
  ]);
  // Negative indices 1 ([-4, -2): 2 values) and 2 ([-8, -4): 1), 3 zeros, 4 in (1, 2].
  assert.deepEqual(exponentialToLe({ scale: 0, count: 10, zeroCount: 3, zeroThreshold: 0, negative: fromOffset(1, [2, 1]), positive: fromOffset(0, [4]) }), [
    [-4, 1], [-2, 3], [0, 6], [2, 10], [Infinity, 10],
  ]);
});

test('an OTLP exponential histogram becomes .bucket counters by le; with delta temporality, running totals', () => {
  const totals = new CumulativeTotals();
  const request = (offset: number, counts: number[]) => ({
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeMetrics: [{
        metrics: [{
          name: 'latency', unit: 'ms',
          exponentialHistogram: {
            aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
            dataPoints: [{ count: String(counts.reduce((a, b) => a + b, 0)), sum: 1, scale: 1, zeroCount: '0', positive: { offset, bucketCounts: counts.map(String) }, timeUnixNano: '1700000000000000000' }],
          },
        }],
      }],
    }],
  });
  // Scale 1 is finer than nothing: kept. Index 2 is (2, 2^1.5], index 3 (2^1.5, 4].
  const first = metricsFromRequest(request(2, [1, 2]), { host: 'h', service: 'x' }, 0, totals);
  const second = metricsFromRequest(request(3, [5]), { host: 'h', service: 'x' }, 0, totals);
  const buckets = (points: ReturnType<typeof metricsFromRequest>) => points.filter((p) => p.name === 'latency.bucket').map((p) => [p.labels.le, p.value, p.kind, p.unit]);
  assert.deepEqual(buckets(first), [[String(2 ** 1.5), 1, 'counter', 'ms'], ['4', 3, 'counter', 'ms'], ['+Inf', 3, 'counter', 'ms']]);
  assert.deepEqual(buckets(second), [['4', 8, 'counter', 'ms'], ['+Inf', 8, 'counter', 'ms']]);
  assert.equal(second.find((p) => p.name === 'latency.count')!.value, 8);
  // A scale outside OpenTelemetry's range: count and sum, no buckets.
  const odd = request(0, [1]);
  (odd.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.exponentialHistogram.dataPoints[0] as { scale: number }).scale = 40;
  const points = metricsFromRequest(odd, { host: 'h', service: 'x' }, 0);
  assert.equal(points.filter((p) => p.name === 'latency.bucket').length, 0);
  assert.equal(points.find((p) => p.name === 'latency.count')!.value, 1);
});
