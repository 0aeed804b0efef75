import { test } from 'node:test';
import assert from 'node:assert/strict';
import { structlogEvent } from '../../../../agents/transforms/parsers/structlog.ts';
import { buildParser } from '../../../../agents/transforms/parsers/index.ts';

const pad = (event: string) => event.padEnd(30) + ' ';

test('the event, then the logger and pairs: values bare, quoted with escapes, or bracketed with spaces inside', () => {
  const attrs: Record<string, string> = {};
  const body = structlogEvent(pad('saved') + `[db] n=3 who="O'Brien" esc='a\\tb\\x41\\u00e9' list=[1, (2, 3), 'x]'] d={'k': "v w"}`, attrs);
  assert.equal(body, 'saved');
  assert.deepEqual(attrs, { 'log.logger': 'db', n: '3', who: "O'Brien", esc: 'a\tbAé', list: "[1, (2, 3), 'x]']", d: `{'k': "v w"}` });
});

test('a long event ends where the rest reads whole; an event holding `=` or brackets stays whole', () => {
  const attrs: Record<string, string> = {};
  assert.equal(structlogEvent('rebuilt index [users] after x=1 changes [app] took=3', attrs), 'rebuilt index [users] after x=1 changes');
  assert.deepEqual(attrs, { 'log.logger': 'app', took: '3' });
});

test("what is not structlog's tail stays as it was, and no attribute is written", () => {
  for (const text of [
    'short',
    pad('padded') + 'not pairs here',
    pad('padded') + 'k=v trailing words',
    pad('padded') + "k='unclosed",
    pad('padded') + 'k=[1, 2',
    pad('padded') + '[two words] k=v',
    pad('') + 'k=v',
    'a long message with no tail at all beyond thirty chars',
  ]) {
    const attrs: Record<string, string> = {};
    assert.equal(structlogEvent(text, attrs), text, text);
    assert.deepEqual(attrs, {}, text);
  }
});

test('a traceback under the line stays in the body; only the first line is read', () => {
  const attrs: Record<string, string> = {};
  assert.equal(structlogEvent(pad('lookup failed') + 'table=users\nTraceback (most recent call last):\n  x=1', attrs), 'lookup failed\nTraceback (most recent call last):\n  x=1');
  assert.deepEqual(attrs, { table: 'users' });
});

test("through the auto parser: only structlog's padded lower-case level starts this; other bracketed levels keep their message", () => {
  const auto = buildParser('auto');
  const ctx = { now: Date.UTC(2026, 11, 3), timeZone: 'UTC' };
  const r = auto('2026-12-03 06:07:24 [warning  ] slow request                   duration_ms=912.5 path=/api/orders', ctx)!;
  assert.deepEqual([r.severityText, r.body, r.attributes], ['WARNING', 'slow request', { duration_ms: '912.5', path: '/api/orders' }]);
  // Without a stamp too (structlog's TimeStamper is optional).
  assert.equal(auto('[info     ] ready                          port=1', ctx)!.attributes.port, '1');
  for (const line of ['2026-12-03 06:07:24 [INFO] slow request                   duration_ms=912.5 path=/api/orders', '2026-12-03 06:07:24 [info] slow request                   duration_ms=912.5']) {
    const p = auto(line, ctx)!;
    assert.ok(p.body.includes('duration_ms=912.5'), line);
    assert.equal(p.attributes.duration_ms, undefined, line);
  }
});
