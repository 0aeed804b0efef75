import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CumulativeTotals, isDelta, seriesKey } from '../../../agents/sources/otlp-delta.ts';
import { metricsFromRequest } from '../../../agents/sources/otlp.ts';

test('deltas add up per series; labels in another order are the same series', () => {
  const totals = new CumulativeTotals();
  const a = seriesKey('shop', 'h1', 'orders', { region: 'eu', code: '200' });
  assert.equal(seriesKey('shop', 'h1', 'orders', { code: '200', region: 'eu' }), a);
  assert.notEqual(seriesKey('shop', 'h1', 'orders', { code: '500', region: 'eu' }), a);
  // The separator keeps a name's end and a label's start apart.
  assert.notEqual(seriesKey('shop', 'h1', 'orders\u0000a=b', {}), seriesKey('shop', 'h1', 'orders', { a: 'b' }));
  assert.equal(totals.add(a, 5), 5);
  assert.equal(totals.add(a, 3), 8);
  assert.equal(totals.add(a, 0), 8);
  assert.equal(totals.size, 1);
});

test('beyond maxSeries the least recently updated series starts again', () => {
  const totals = new CumulativeTotals(2);
  totals.add('a', 1);
  totals.add('b', 1);
  totals.add('a', 1); // a is now the most recent
  totals.add('c', 1); // b goes
  assert.equal(totals.size, 2);
  assert.equal(totals.evicted, 1);
  assert.equal(totals.add('a', 1), 3);
  assert.equal(totals.add('b', 4), 4, 'b started again from its new delta');
});

test("OTLP/JSON's temporality by number or by name", () => {
  assert.equal(isDelta(1), true);
  assert.equal(isDelta('AGGREGATION_TEMPORALITY_DELTA'), true);
  assert.equal(isDelta(2), false);
  assert.equal(isDelta('AGGREGATION_TEMPORALITY_CUMULATIVE'), false);
  assert.equal(isDelta(undefined), false);
});

test('a delta sum and a delta histogram become totals; cumulative ones and gauges pass as sent', () => {
  const totals = new CumulativeTotals();
  const request = (orders: number, latencies: number[], cumulative: number) => ({
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeMetrics: [{
        metrics: [
          { name: 'orders', sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA', isMonotonic: true, dataPoints: [{ asInt: String(orders), timeUnixNano: '1700000000000000000', attributes: [{ key: 'region', value: { stringValue: 'eu' } }] }] } },
          { name: 'in_flight', sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: [{ asInt: '2' }] } },
          { name: 'latency', histogram: { aggregationTemporality: 1, dataPoints: [{ count: String(latencies.length), sum: latencies.reduce((x, y) => x + y, 0) }] } },
          { name: 'bytes', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asDouble: cumulative }] } },
          { name: 'queue', gauge: { dataPoints: [{ asDouble: 4 }] } },
        ],
      }],
    }],
  });
  const value = (points: ReturnType<typeof metricsFromRequest>, name: string) => points.find((p) => p.name === name)!.value;
  const first = metricsFromRequest(request(7, [10, 30], 100), { host: 'h', service: 'x' }, 0, totals);
  const second = metricsFromRequest(request(3, [50], 150), { host: 'h', service: 'x' }, 0, totals);
  assert.equal(value(first, 'orders'), 7);
  assert.equal(value(second, 'orders'), 10);
  assert.equal(second.find((p) => p.name === 'orders')!.kind, 'counter');
  assert.equal(value(second, 'in_flight'), 4, 'an up-down delta sum is a level: its deltas added up');
  assert.equal(value(second, 'latency.count'), 3);
  assert.equal(value(second, 'latency.sum'), 90);
  assert.equal(value(second, 'latency'), 50, "the histogram's mean is its interval's");
  assert.equal(value(second, 'bytes'), 150);
  assert.equal(value(second, 'queue'), 4);
  // Without totals (the function alone) the values pass as sent.
  assert.equal(value(metricsFromRequest(request(3, [50], 150), { host: 'h', service: 'x' }, 0), 'orders'), 3);
});
