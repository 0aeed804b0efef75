import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPlainParser } from '../../../../agents/transforms/parsers/plain.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12), timeZone: 'UTC' };

test('keeps the whole line, lifts a leading time and level', () => {
  const p = createPlainParser();
  const cases: Array<[string, number | undefined, string | undefined]> = [
    ['2026-11-24 10:00:00,123 ERROR [main] c.a.App - failed', Date.UTC(2026, 10, 24, 10, 0, 0, 123), 'ERROR'],
    ['[2026-11-24T10:00:00Z] [warn] low disk', Date.UTC(2026, 10, 24, 10), 'WARN'],
    ['ERROR:root:something broke', undefined, 'ERROR'],
    ['INFO  started', undefined, 'INFO'],
    ['Information is power', undefined, undefined],
    ['just text', undefined, undefined],
    ['', undefined, undefined],
    ['\u0000\uFFFD\u0001 binary', undefined, undefined],
  ];
  for (const [line, time, sev] of cases) {
    const r = p(line, ctx)!;
    assert.equal(r.body, line);
    assert.equal(r.time, time, line);
    assert.equal(r.severityText, sev, line);
  }
  assert.equal(createPlainParser({ leadingTime: false, leadingLevel: false })('2026-11-24 10:00:00 ERROR x', ctx)!.time, undefined);
});
