import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogfmtParser, looksLikeLogfmt, splitLogfmt } from '../../../../agents/transforms/parsers/logfmt.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };

test('splits pairs, quoted values and bare keys', () => {
  const cases: Array<[string, Record<string, string> | null]> = [
    ['a=1 b=2', { a: '1', b: '2' }],
    ['msg="hello world" n=3', { msg: 'hello world', n: '3' }],
    ['msg="say \\"hi\\"\\n" x=', { msg: 'say "hi"\n', x: '' }],
    ['a=1 debug b=2', { a: '1', debug: 'true', b: '2' }],
    ['  a=1\tb=x=y', { a: '1', b: 'x=y' }],
    ['hello a=1', null],
    ['a="unterminated', null],
    ['a=1 one two three', null],
    ['', null],
  ];
  for (const [line, want] of cases) assert.deepEqual(splitLogfmt(line), want, line);
  assert.equal(splitLogfmt('a=1', 2), null);
});

test('splitting edge cases: escapes, quotes and blanks wherever they fall', () => {
  // The scanner jumps from one space, tab, `=`, quote or backslash to the next; each row puts one of
  // them where a stale position would cut a key or value in the wrong place.
  const cases: Array<[string, Record<string, string> | null]> = [
    ['a=1 b="x \\"q\\" y" c=2', { a: '1', b: 'x "q" y', c: '2' }],
    ['a=1 b="ends in \\\\" c=2', { a: '1', b: 'ends in \\', c: '2' }],
    ['a=1 b="x\\', null],
    ['a=1 b="x\\"', null],
    ['a=1\tb="t\tab"\tc=3 d', { a: '1', b: 't\tab', c: '3', d: 'true' }],
    ['a=1 "quoted b=2', { a: '1', b: '2' }],
    ['a=1 b"c=3 d=4', { a: '1', b: 'true', d: '4' }],
    ['a=1 =x b=2', { a: '1', b: '2' }],
    ['x=1 y=2 x=3', { x: '3', y: '2' }],
    ['a=1 b="x" c=', { a: '1', b: 'x', c: '' }],
    ['a="1 2"b c=3', { a: '1 2', b: 'true', c: '3' }],
    [`a=1 b=2 ${'x'.repeat(60)}`, { a: '1', b: '2', ['x'.repeat(60)]: 'true' }],
  ];
  for (const [line, want] of cases) assert.deepEqual(splitLogfmt(line), want, line);
});

test('looks like logfmt', () => {
  assert.equal(looksLikeLogfmt('time=2026-11-24 level=info msg=hi'), true);
  assert.equal(looksLikeLogfmt('a=1'), false);
  assert.equal(looksLikeLogfmt('the value a=1 b=2'), false);
  assert.equal(looksLikeLogfmt('{"a":"b=c"}'), false);
});

test('Go slog text lines', () => {
  const p = createLogfmtParser();
  const r = p('time=2026-11-24T10:00:00.000+01:00 level=WARN msg="disk almost full" path=/var pct=91 trace_id=4bf92f3577b34da6a3ce929d0e0e4736', ctx);
  assert.deepEqual(r, {
    body: 'disk almost full', time: Date.UTC(2026, 10, 24, 9), severityText: 'WARN', severityNumber: 13,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736', attributes: { path: '/var', pct: '91' },
  });
});

test("Grafana's lines: `t` is the time when it holds a date, and an attribute otherwise", () => {
  const p = createLogfmtParser();
  assert.deepEqual(p('logger=settings t=2026-11-24T10:00:00.123456789Z level=info msg="Starting Grafana" version=11.3.0', ctx), {
    body: 'Starting Grafana', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456, severityText: 'INFO', severityNumber: 9,
    attributes: { logger: 'settings', version: '11.3.0' },
  });
  // A count named t is no epoch second of 1970; a key that ranks before `t` wins over it.
  const count = p('msg=retry t=3 level=warn', ctx)!;
  assert.equal(count.time, undefined);
  assert.deepEqual(count.attributes, { t: '3' });
  const both = p('ts=2026-11-24T10:00:00Z t=2026-11-24T11:00:00Z msg=x', ctx)!;
  assert.equal(both.time, Date.UTC(2026, 10, 24, 10));
  assert.equal(both.attributes.t, '2026-11-24T11:00:00Z');
});

test('a multiline record: pairs from the first line, the trace stays with the message', () => {
  const p = createLogfmtParser();
  const r = p('level=error msg="request failed" id=7\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)', ctx)!;
  assert.equal(r.body, 'request failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)');
  assert.deepEqual(r.attributes, { id: '7' });
  const noMsg = p('a=1 b=2\n\tmore', ctx)!;
  assert.equal(noMsg.body, 'a=1 b=2\n\tmore');
});

test('keys named like Object.prototype members are kept, as own keys, and nothing is polluted', () => {
  const pairs = splitLogfmt('constructor=1 __proto__=2 toString hasOwnProperty=x a=3 constructor')!;
  assert.deepEqual(Object.keys(pairs), ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'a']);
  assert.deepEqual(pairs, { constructor: '1', ['__proto__']: '2', toString: 'true', hasOwnProperty: 'x', a: '3' });
  assert.equal(Object.getPrototypeOf(pairs), Object.prototype);
  const r = createLogfmtParser()('__proto__=evil constructor=c msg=hi level=info', ctx)!;
  assert.equal(r.body, 'hi');
  assert.deepEqual(Object.entries(r.attributes), [['__proto__', 'evil'], ['constructor', 'c']]);
  assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  assert.equal(JSON.stringify(r.attributes), '{"__proto__":"evil","constructor":"c"}');
  assert.equal(({} as Record<string, unknown>).evil, undefined);
});

test('keys remembered from the line before are only reused where the same characters are written', () => {
  // Same positions and lengths, other characters: a key taken from the previous line by its place or
  // its length alone would be wrong here.
  const lines = ['abc=1 def=2 ghi', 'abd=1 deg=2 ghj', 'abd=1 deg=2 ghj', 'ab=1 def=2 g', 'abc=1 xyz=2 def=3 ghi=4', 'abcd=1 de=2 ghi=3'];
  const want = [
    { abc: '1', def: '2', ghi: 'true' },
    { abd: '1', deg: '2', ghj: 'true' },
    { abd: '1', deg: '2', ghj: 'true' },
    { ab: '1', def: '2', g: 'true' },
    { abc: '1', xyz: '2', def: '3', ghi: '4' },
    { abcd: '1', de: '2', ghi: '3' },
  ];
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < lines.length; i++) assert.deepEqual(splitLogfmt(lines[i]!), want[i], lines[i]);
  }
  // A key that ends at the line's end or at a quote, where the one before ended at `=`.
  assert.deepEqual(splitLogfmt('abc=1 de=2'), { abc: '1', de: '2' });
  assert.deepEqual(splitLogfmt('abc=1 de"x" q=1'), { abc: '1', de: 'true', q: '1' });
});

test('attributes come out as an object of the pairs would list them: repeats, bare words, numeric keys, many keys', () => {
  const p = createLogfmtParser();
  const entries = (line: string) => Object.entries(p(line, ctx)!.attributes);
  assert.deepEqual(entries('b=1 a=2 b=3 c msg=x a'), [['b', '3'], ['a', '2'], ['c', 'true']]);
  assert.deepEqual(entries('c=1 b b=2 msg=x'), [['c', '1'], ['b', '2']]);
  // Array-index keys first, by number, then the others in order (what an object does).
  assert.deepEqual(entries('x=0 2=two b=1 1=one 01=z msg=m'), [['1', 'one'], ['2', 'two'], ['x', '0'], ['b', '1'], ['01', 'z']]);
  // Past 32 keys, repeats are found through a Map.
  const many = Array.from({ length: 40 }, (_, i) => `k${i}=${i}`).join(' ') + ' k35=again k2=again2 k39 msg=m';
  const got = entries(many);
  assert.equal(got.length, 40);
  assert.deepEqual(got[35], ['k35', 'again']);
  assert.deepEqual(got[2], ['k2', 'again2']);
  assert.deepEqual(got[39], ['k39', '39']);
  assert.deepEqual(splitLogfmt(many), Object.fromEntries(got.concat([['msg', 'm']])));
});

test('a well-known key that is an array index is sorted as an object would list it', () => {
  // An object lists `1` before `msg`; which message key loses, and where it lands, follows that order.
  const p = createLogfmtParser({ messageKeys: ['1', 'msg'] });
  const r = p('msg=a x=b 1=c', ctx)!;
  assert.equal(r.body, 'c');
  assert.deepEqual(Object.entries(r.attributes), [['msg', 'a'], ['x', 'b']]);
});
