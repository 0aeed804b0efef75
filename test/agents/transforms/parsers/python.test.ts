// Python's layouts on their own: null for a line that only starts like one (auto.test.ts and
// programs.test.ts read whole lines of each through the dispatch; structlog: structlog.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celery, loguruLocation, tornado } from '../../../../agents/transforms/parsers/python.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';

const ctx = { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' };
const stamp = (line: string, at: number) => readTime(line, at, 'UTC', ctx.now)!;

test('Celery needs a level it knows inside the brackets', () => {
  const cel = '[2026-11-24 10:00:00,123: INFO/MainProcess] msg';
  assert.deepEqual(celery(cel, stamp(cel, 1), cel.indexOf(']')), { text: 'INFO', level: 9, process: 'MainProcess' });
  const notCel = '[2026-11-24 10:00:00,123: BANANA/MainProcess] msg';
  assert.equal(celery(notCel, stamp(notCel, 1), notCel.indexOf(']')), null);
});

test('Tornado: null unless a level letter, a stamp and a name fill the bracket', () => {
  assert.equal(tornado('[I am] not tornado', ctx), null);
  assert.equal(tornado('[X 260720 13:38:44 web:1] unknown letter', ctx), null);
  assert.equal(tornado('[I 260720 13:38:44] no name', ctx), null);
  assert.equal(tornado('[I 260720 13:38:44 web:12] ok', ctx)?.attributes['code.line.number'], '12');
});

test("loguru's location: module, function and line before ` - `, or nothing read", () => {
  const attributes: Record<string, string> = {};
  const line = 'app.main:<module>:42 - started';
  assert.equal(loguruLocation(line, 0, attributes), line.indexOf('started'));
  assert.deepEqual(attributes, { 'log.logger': 'app.main', 'code.function.name': '<module>', 'code.line.number': '42' });
  const none: Record<string, string> = {};
  assert.equal(loguruLocation('no location - here', 0, none), 0);
  assert.deepEqual(none, {});
});
