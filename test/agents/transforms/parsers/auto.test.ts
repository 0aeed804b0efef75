import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAutoParser } from '../../../../agents/transforms/parsers/auto.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };
const parse = createAutoParser();

test('picks the right format per line', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['{"level":30,"msg":"json"}', { body: 'json', severityText: 'INFO' }],
    ['level=error msg="logfmt line" a=1', { body: 'logfmt line', severityText: 'ERROR' }],
    ['<11>1 2026-11-24T10:00:00Z h app - - - syslog5424', { body: 'syslog5424', severityText: 'ERR' }],
    ['Nov 24 10:00:00 h app[1]: syslog3164', { body: 'syslog3164', service: 'app' }],
    ['1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"', { severityText: 'INFO' }],
    ['2026-11-24 10:00:00 WARN plain line', { body: '2026-11-24 10:00:00 WARN plain line', severityText: 'WARN' }],
    ['{not json', { body: '{not json' }],
    ['the value a=1 b=2 is odd', { body: 'the value a=1 b=2 is odd', attributes: {} }],
    ['', { body: '' }],
  ];
  for (const [line, want] of cases) {
    const r = parse(line, ctx);
    assert.ok(r, line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
  }
  assert.equal(parse('1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1', ctx)!.attributes['url.path'], '/');
});
