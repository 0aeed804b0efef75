// The macro expander against the expansions of the ClickHouse plugin (pkg/macros/macros.go,
// src/data/CHDatasource.ts) and Grafana's template variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyConditionalAll, durationSeconds, expandAlertQuery, expandPanelQuery, macroArgs, panelInterval, replaceVariables, type ExpandContext } from '../../dashboards/macros.ts';

const from = new Date('2026-11-24T10:00:00.250Z');
const to = new Date('2026-11-24T11:00:00.750Z');
const fromS = Math.floor(from.getTime() / 1000);
const toS = Math.floor(to.getTime() / 1000);
const ctx: ExpandContext = {
  from,
  to,
  intervalSeconds: 30,
  variables: {
    service: { value: ['checkout', 'search'], options: ['auth', 'checkout', 'search'] },
    one: { value: 'checkout' },
    all: { value: ['$__all'], options: ['a', 'b'] },
    allCustom: { value: '$__all', options: ['a'], allValue: '.*' },
    empty: { value: '' },
    quote: { value: "it's" },
  },
};

test('time macros expand as the plugin backend expands them', () => {
  const cases: Array<[string, string]> = [
    ['$__fromTime', `toDateTime(${fromS})`],
    ['$__toTime', `toDateTime(${toS})`],
    ['$__fromTime_ms', `fromUnixTimestamp64Milli(${from.getTime()})`],
    ['$__toTime_ms', `fromUnixTimestamp64Milli(${to.getTime()})`],
    ['$__timeFilter(time)', `time >= toDateTime(${fromS}) AND time <= toDateTime(${toS})`],
    ['$__timeFilter( window_start )', `window_start >= toDateTime(${fromS}) AND window_start <= toDateTime(${toS})`],
    ['$__timeFilter_ms(time)', `time >= fromUnixTimestamp64Milli(${from.getTime()}) AND time <= fromUnixTimestamp64Milli(${to.getTime()})`],
    ['$__dateFilter(day)', `day >= toDate('2026-11-24') AND day <= toDate('2026-11-24')`],
    ['$__timeInterval(minute)', 'toStartOfInterval(toDateTime(minute), INTERVAL 30 second)'],
    ['$__timeInterval_ms(time)', 'toStartOfInterval(toDateTime64(time, 3), INTERVAL 30000 millisecond)'],
    ['$__interval_s', '30'],
    ['x / $__interval_s AS rate', 'x / 30 AS rate'],
  ];
  for (const [input, expected] of cases) assert.equal(expandAlertQuery(input, ctx), expected, input);
});

test('$__interval_s and $__timeInterval never go below one second', () => {
  assert.equal(expandAlertQuery('$__interval_s', { from, to, intervalSeconds: 0.01 }), '1');
  assert.match(expandAlertQuery('$__timeInterval(t)', { from, to, intervalSeconds: 0 }), /INTERVAL 1 second/);
});

test('a macro with the wrong number of arguments, or an unknown leftover, is an error', () => {
  assert.throws(() => expandAlertQuery('$__timeFilter()', ctx), /expects 1 argument/);
  assert.throws(() => expandAlertQuery('$__timeFilter(a, b)', ctx), /expects 1 argument/);
  assert.throws(() => expandAlertQuery('SELECT $__nope', ctx), /unexpanded \$__nope/);
  assert.throws(() => expandAlertQuery('SELECT $service', ctx), /unexpanded \$service/);
});

test('$__conditionalAll keeps the condition for a selection and becomes 1=1 for All or empty', () => {
  const cases: Array<[string, string]> = [
    ['WHERE $__conditionalAll(service IN ($service), $service)', 'WHERE service IN ($service)'],
    ['WHERE $__conditionalAll(s = $one, $one)', 'WHERE s = $one'],
    ['WHERE $__conditionalAll(s IN ($all), $all)', 'WHERE 1=1'],
    ['WHERE $__conditionalAll(s IN ($allCustom), ${allCustom})', 'WHERE 1=1'],
    ['WHERE $__conditionalAll(body LIKE $empty, $empty)', 'WHERE 1=1'],
    ['WHERE $__conditionalAll(f(a, b) > 0, $one) AND $__conditionalAll(x IN ($all), $all)', 'WHERE f(a, b) > 0 AND 1=1'],
  ];
  for (const [input, expected] of cases) assert.equal(applyConditionalAll(input, ctx.variables), expected, input);
});

test('variables expand with the plugin format: lists quoted, single values raw, or as the format asks', () => {
  const cases: Array<[string, string]> = [
    ['IN ($service)', "IN ('checkout','search')"],
    ['IN (${service})', "IN ('checkout','search')"],
    ['IN (${service:singlequote})', "IN ('checkout','search')"],
    ['= $one', '= checkout'],
    ['= ${one:singlequote}', "= 'checkout'"],
    ['= ${quote:sqlstring}', "= 'it''s'"],
    ['= ${quote:singlequote}', "= 'it\\'s'"],
    ['IN (${all:singlequote})', "IN ('a','b')"],
    ['~ ${allCustom}', '~ .*'],
    ['[[one]]', 'checkout'],
    ['${service:csv}', 'checkout,search'],
    ['$__from..$__to', `${from.getTime()}..${to.getTime()}`],
    ['$__timeFilter(t) $unknown', '$__timeFilter(t) $unknown'],
  ];
  for (const [input, expected] of cases) assert.equal(replaceVariables(input, ctx), expected, input);
});

test('the full panel expansion runs conditionalAll, then variables, then time macros', () => {
  const sql = 'SELECT $__timeInterval(t) AS time FROM x WHERE $__timeFilter(t) AND $__conditionalAll(s IN (${service:singlequote}), $service) AND $__conditionalAll(s IN (${all:singlequote}), $all)';
  assert.equal(
    expandPanelQuery(sql, ctx),
    `SELECT toStartOfInterval(toDateTime(t), INTERVAL 30 second) AS time FROM x WHERE t >= toDateTime(${fromS}) AND t <= toDateTime(${toS}) AND s IN ('checkout','search') AND 1=1`,
  );
});

test('macro arguments split at top-level commas only, and quotes hide parentheses', () => {
  const text = "$__m(f(a, b), 'x)', c)";
  assert.deepEqual(macroArgs(text, 4)?.args, ['f(a, b)', " 'x)'", ' c']);
  assert.equal(macroArgs('$__m(a', 4), undefined);
});

test('panel intervals are nice steps over about 1000 points, never below the min interval', () => {
  const start = new Date('2026-11-01T00:00:00Z');
  assert.equal(panelInterval(start, new Date(start.getTime() + 3600_000)), 5);
  assert.equal(panelInterval(start, new Date(start.getTime() + 3600_000), 1000, 60), 60);
  assert.equal(panelInterval(start, new Date(start.getTime() + 30 * 86400_000)), 3600);
  assert.equal(durationSeconds('1m'), 60);
  assert.equal(durationSeconds('30d'), 2592000);
  assert.throws(() => durationSeconds('soon'));
});
