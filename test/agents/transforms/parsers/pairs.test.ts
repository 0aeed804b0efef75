import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPairs, unquote } from '../../../../agents/transforms/parsers/pairs.ts';

test('pairs to the end of the text: bare, quoted (either quote, escapes skipped) and bracketed values', () => {
  const out: Array<[string, string]> = [];
  assert.equal(readPairs(`x a=1 b="two words" c='it\\'s' d=[1, {'k': (2, 3)}] e= f.g-h=ok`, 2, out, (v) => v), true);
  assert.deepEqual(out, [['a', '1'], ['b', '"two words"'], ['c', "'it\\'s'"], ['d', "[1, {'k': (2, 3)}]"], ['e', ''], ['f.g-h', 'ok']]);
});

test('anything else in the rest, and the answer is no', () => {
  for (const text of ['', 'word', 'a=1 word', 'a=1  b=2', 'a="open', 'a=[1, 2', '=v', '1a=v', 'a=1 ', 'a b=1']) {
    assert.equal(readPairs(text, 0, [], (v) => v), false, JSON.stringify(text));
  }
});

test("unquote reads Python's and Go's escapes and leaves an unquoted value as it is", () => {
  assert.equal(unquote(`"say \\"hi\\"\\n\\t\\x41\\u00e9\\U0001F600\\\\"`), 'say "hi"\n\tAé😀\\');
  assert.equal(unquote(`'it\\'s'`), "it's");
  assert.equal(unquote('None'), 'None');
  assert.equal(unquote('"'), '"');
  assert.equal(unquote('"\\q"'), '\\q');
});
