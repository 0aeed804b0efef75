import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegexParser } from '../../../../agents/transforms/parsers/regex.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };

test('named groups fill the record; other groups become attributes', () => {
  const p = createRegexParser({ pattern: '^(?<time>\\S+ \\S+) \\[(?<thread>[^\\]]+)\\] (?<level>\\w+) +(?<logger>\\S+) - (?<msg>.*)$', timeFormat: '%Y-%m-%d %H:%M:%S,%L' });
  const r = p('2026-11-24 10:00:00,123 [main] ERROR com.acme.App - failed to start', ctx);
  assert.deepEqual(r, {
    body: 'failed to start', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123), severityText: 'ERROR', severityNumber: 17,
    attributes: { thread: 'main', logger: 'com.acme.App' },
  });
  assert.equal(p('something else', ctx), null);
});

test('optional groups that did not take part are left out; flags apply', () => {
  const p = createRegexParser({ pattern: '^(?<level>info|error)(?: code=(?<code>\\d+))?: (?<message>.*)$', flags: 'i' });
  assert.deepEqual(p('INFO: ok', ctx), { body: 'ok', severityText: 'INFO', severityNumber: 9, attributes: {} });
  assert.deepEqual(p('Error code=7: bad', ctx)?.attributes, { code: '7' });
});

test('bad options throw when built', () => {
  assert.throws(() => createRegexParser({}), /needs a pattern/);
  assert.throws(() => createRegexParser({ pattern: '(' }), SyntaxError);
  assert.throws(() => createRegexParser({ pattern: '^(\\w+)$' }), /no named groups/);
});

test('a multiline record: the first line is matched, the rest stays with the message', () => {
  const p = createRegexParser({ pattern: '^(?<level>\\w+) (?<msg>.*)$' });
  const r = p('ERROR failed\n\tat x.Y.z(Y.java:1)', ctx)!;
  assert.equal(r.body, 'failed\n\tat x.Y.z(Y.java:1)');
  assert.equal(r.severityText, 'ERROR');
  const whole = createRegexParser({ pattern: '^(?<level>\\w+) (?<msg>.*)$', flags: 's' })('WARN a\nb', ctx)!;
  assert.equal(whole.body, 'a\nb');
});
