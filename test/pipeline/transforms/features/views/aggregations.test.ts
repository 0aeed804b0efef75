import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATIONS, aggregationByName, type AggregationConfig } from '../../../../../pipeline/transforms/features/views/aggregations.ts';
import { sources } from './fixtures.ts';

const schema = sources().get('payments')!;
const EVENTS = [
  { amount: 10, status: 200, merchant: 'a', online: true },
  { amount: 30, status: 503, merchant: 'b', online: false },
  { amount: 20, status: 200, merchant: 'a', online: true },
  { amount: -5, status: 500, merchant: 'c', online: null },
].map((fields, i) => ({ time: 1000 + (i === 2 ? 5000 : i), partition: 0, offset: i, fields }));

// [config, value over EVENTS in a 10 s window, value of an empty window]
const CASES: [Omit<AggregationConfig, 'name'>, number, number | null][] = [
  [{ fn: 'count' }, 4, 0],
  [{ fn: 'sum', field: 'amount' }, 55, 0],
  [{ fn: 'mean', field: 'amount' }, 13.75, null],
  [{ fn: 'min', field: 'amount' }, -5, null],
  [{ fn: 'max', field: 'amount' }, 30, null],
  [{ fn: 'stddev', field: 'amount' }, Math.sqrt(((10 - 13.75) ** 2 + (30 - 13.75) ** 2 + (20 - 13.75) ** 2 + (-5 - 13.75) ** 2) / 4), null],
  [{ fn: 'quantile', field: 'amount', q: 0.5 }, 10, null],
  [{ fn: 'quantile', field: 'amount', q: 1 }, 30, null],
  [{ fn: 'distinct_count', field: 'merchant' }, 3, 0],
  [{ fn: 'count_if', condition: 'status >= 500' }, 2, 0],
  [{ fn: 'ratio_if', condition: 'status >= 500' }, 0.5, null],
  // The event at time 6000 is the latest, though not the last to arrive.
  [{ fn: 'last', field: 'amount' }, 20, null],
  [{ fn: 'last', field: 'online' }, 1, null],
  [{ fn: 'rate' }, 0.4, 0],
  [{ fn: 'rate', field: 'amount' }, 5.5, 0],
];

for (const [config, want, empty] of CASES) {
  test(`${config.fn}${config.field ? `(${config.field})` : ''}${config.q !== undefined ? ` q=${config.q}` : ''}: ${want}, empty window ${empty}`, () => {
    const def = aggregationByName(config.fn)!;
    const agg = def.create({ name: 'x', ...config }, { schema, path: 'test' });
    const meta = { sizeMs: 10_000, count: EVENTS.length };
    let s = agg.init();
    for (const e of EVENTS) s = agg.add(s, e);
    const got = agg.value(s, meta)!;
    assert.ok(Math.abs(got - want) <= 0.01 * Math.abs(want) + 1e-12, `${got} vs ${want}`);
    // The saved state gives the same value after a JSON round trip.
    assert.equal(agg.value(agg.load(JSON.parse(JSON.stringify(agg.save(s)))), meta), got);
    assert.equal(agg.value(agg.init(), { sizeMs: 10_000, count: 0 }), empty);
    assert.equal(def.alwaysDefined === true, empty !== null, 'alwaysDefined matches the empty value');
  });
}

test('every aggregation is covered by the table above', () => {
  assert.deepEqual([...new Set(CASES.map((c) => c[0].fn))].sort(), AGGREGATIONS.map((a) => a.name).sort());
});

test('events without the field do not count towards numeric aggregations', () => {
  const agg = aggregationByName('mean')!.create({ name: 'x', fn: 'mean', field: 'latency' }, { schema, path: 'test' });
  let s = agg.init();
  s = agg.add(s, { time: 0, partition: 0, offset: 0, fields: { latency: null } });
  s = agg.add(s, { time: 0, partition: 0, offset: 1, fields: { latency: 4 } });
  assert.equal(agg.value(s, { sizeMs: 1000, count: 2 }), 4);
});
