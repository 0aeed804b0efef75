import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, compile, fieldsOf, parseExpression } from '../../../../../pipeline/transforms/features/views/expression.ts';
import { TributaryError } from '../../../../../core/errors.ts';

const EVENT = { status: 503, method: 'POST', amount: 12.5, country: 'DE', flag: true, zero: 0, empty: '', 'device.id': 'd1' };

const CASES: [string, boolean][] = [
  ['status >= 500', true],
  ['status >= 500 and method == "GET"', false],
  ["status >= 500 and method == 'POST'", true],
  ['status < 500 or country == "DE"', true],
  ['not (status >= 500)', false],
  ['!flag', false],
  ['flag && amount > 10', true],
  ['amount * 2 == 25', true],
  ['amount / 0 == null', true],
  ['amount - 2.5 >= 10 and amount % 5 == 2.5', true],
  ['-amount < 0', true],
  ['missing == null', true],
  ['missing > 3', false],
  ['missing != null', false],
  ['status == "503"', false],
  ['country in ["DE", "FR"]', true],
  ['country not in ["DE", "FR"]', false],
  ['status in [500, 503]', true],
  ['zero', false],
  ['empty', false],
  ['country', true],
  ['"a" < "b"', true],
  ['status > "5"', false],
  ['device.id == "d1"', true],
  ['1 + 2 * 3 == 7', true],
  ['(1 + 2) * 3 == 9', true],
  ['status >= 500 or missing > 1 and false', true],
  ['1e3 == 1000 and .5 == 0.5', true],
];

for (const [text, want] of CASES) {
  test(`condition ${text} -> ${want}`, () => {
    assert.equal(compileCondition(text).test(EVENT), want);
  });
}

const BAD: [string, RegExp][] = [
  ['', /empty/],
  ['status >=', /expected a field, a value or "\(" but found the end at character 10/],
  ['status >= 500 500', /unexpected "500"/],
  ['(status', /expected "\)"/],
  ['"abc', /unterminated string/],
  ['status # 3', /unexpected character "#"/],
  ['process.exit(1)', /expressions have no functions/],
  ['x in [a]', /expected a number, a string/],
  ['x in 3', /expected "\["/],
  ['('.repeat(100) + '1' + ')'.repeat(100), /nesting deeper than 64/],
];

for (const [text, want] of BAD) {
  test(`bad expression ${JSON.stringify(text.slice(0, 30))} is refused with where and why`, () => {
    assert.throws(() => parseExpression(text), (err: unknown) => err instanceof TributaryError && err.code === 'CONFIG_INVALID' && want.test(err.message));
  });
}

test('fieldsOf lists every field an expression reads', () => {
  assert.deepEqual([...fieldsOf(parseExpression('a > 1 and (b == "x" or not c.d in [1]) and -e < f * 2'))].sort(), ['a', 'b', 'c.d', 'e', 'f']);
});

test('values from the event are never coerced and odd values read as missing', () => {
  const e = compile(parseExpression('x + 1'));
  assert.equal(e({ x: 1 }), 2);
  assert.equal(e({ x: '1' }), null);
  assert.equal(e({ x: NaN }), null);
  assert.equal(e({ x: { a: 1 } }), null);
});
