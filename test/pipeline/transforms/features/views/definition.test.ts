import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileView, parseDuration } from '../../../../../pipeline/transforms/features/views/definition.ts';
import { AGGREGATIONS } from '../../../../../pipeline/transforms/features/views/aggregations.ts';
import { DERIVED } from '../../../../../pipeline/transforms/features/views/derived.ts';
import { sources, view } from './fixtures.ts';

test('the fixture view compiles: table name, window, features in order', () => {
  const v = view({ version: 3, window: { size: '1m', hop: '10s' } });
  assert.equal(v.table, 'view_card_v3');
  assert.equal(v.sizeMs, 60_000);
  assert.equal(v.hopMs, 10_000);
  assert.equal(v.retentionMs, 120_000);
  assert.deepEqual(v.features.slice(0, 3).map((f) => f.name), ['n', 'total', 'avg']);
  assert.equal(v.features.find((f) => f.name === 'lat0')!.default, -1);
});

test('every aggregation and derived definition has a description and a config schema', () => {
  for (const d of [...AGGREGATIONS, ...DERIVED]) {
    assert.ok(d.description.length > 10, d.name);
    assert.equal(typeof d.configProperties, 'object');
  }
});

const base = { name: 'v', source: 'payments', key: 'card_id', window: { size: '10s' }, aggregations: [{ name: 'n', fn: 'count' }] };

const BAD: [string, unknown, RegExp][] = [
  ['unknown top-level key', { ...base, windw: {} }, /^views\[0\]: must NOT have additional properties "windw"/],
  ['missing window', { ...base, window: undefined }, /views\[0\]: must have required property 'window'/],
  ['unknown source', { ...base, source: 'paymnts' }, /views\[0\]\.source: no source named "paymnts" \(did you mean "payments"\?\)/],
  ['key not in schema', { ...base, key: ['card_id', 'merchnt'] }, /views\[0\]\.key\[1\]: "merchnt" is not declared by source "payments" \(did you mean "merchant"\?\)/],
  ['filter syntax', { ...base, filter: 'amount >' }, /views\[0\]\.filter: expression "amount >": expected a field/],
  ['filter field', { ...base, filter: 'amt > 1' }, /views\[0\]\.filter: reads "amt", which source "payments" does not declare/],
  ['bad duration', { ...base, window: { size: '10 s' } }, /views\[0\]\.window\.size: must match pattern/],
  ['hop not dividing', { ...base, window: { size: '10s', hop: '3s' } }, /views\[0\]\.window\.hop: 3s must divide the window size 10s/],
  ['unknown fn', { ...base, aggregations: [{ name: 'x', fn: 'sume', field: 'amount' }] }, /aggregations\[0\]\.fn: unknown aggregation "sume" \(did you mean "sum"\?\)/],
  ['sum of a string', { ...base, aggregations: [{ name: 'x', fn: 'sum', field: 'merchant' }] }, /aggregations\[0\]: sum needs a number field, and "merchant" is a string/],
  ['missing field', { ...base, aggregations: [{ name: 'x', fn: 'mean' }] }, /aggregations\[0\]: mean needs "field"/],
  ['unknown option', { ...base, aggregations: [{ name: 'x', fn: 'quantile', field: 'amount', q: 0.5, qq: 1 }] }, /aggregations\[0\]\.qq: quantile takes no "qq" \(did you mean "q"\?\)/],
  ['q out of range', { ...base, aggregations: [{ name: 'x', fn: 'quantile', field: 'amount', q: 95 }] }, /aggregations\[0\]\.q: must be <= 1/],
  ['bad condition field', { ...base, aggregations: [{ name: 'x', fn: 'count_if', condition: 'stat >= 500' }] }, /condition reads "stat"/],
  ['reserved name', { ...base, aggregations: [{ name: 'count', fn: 'count' }] }, /"count" is a column every view table has/],
  ['duplicate feature', { ...base, aggregations: [{ name: 'n', fn: 'count' }, { name: 'n', fn: 'rate' }] }, /feature "n" is defined twice/],
  ['derived of unknown', { ...base, derived: [{ name: 'z', fn: 'robust_z', of: 'm' }] }, /derived\[0\]: "of" names "m", which is not a feature defined before it \(known: n\)/],
  ['ratio needs two', { ...base, derived: [{ name: 'r', fn: 'ratio', of: ['n'] }] }, /derived\[0\]: "of" must name 2 features/],
];

for (const [name, config, want] of BAD) {
  test(`refused naming the key path: ${name}`, () => {
    assert.throws(() => compileView(config, sources(), 'views[0]'), (err: Error) => {
      assert.match(err.message, want);
      return true;
    });
  });
}

test('durations', () => {
  assert.equal(parseDuration('250ms', 'x'), 250);
  assert.equal(parseDuration('1.5s', 'x'), 1500);
  assert.equal(parseDuration('2h', 'x'), 7_200_000);
  assert.throws(() => parseDuration('5 minutes', 'a.b'), /a\.b: "5 minutes" is not a duration/);
});
