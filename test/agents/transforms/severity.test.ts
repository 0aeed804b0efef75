import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_INFERENCE, inferSeverity, severityFromPino, severityFromSyslog, severityFromText, severityFromValue,
} from '../../../agents/transforms/severity.ts';

test('severity words map to OpenTelemetry numbers', () => {
  const cases: Array<[string, number]> = [
    ['trace', 1], ['DEBUG', 5], ['Info', 9], ['notice', 10], ['WARN', 13], ['warning', 13],
    ['error', 17], ['ERR', 17], ['fatal', 21], ['CRITICAL', 21], ['emerg', 23], ['alert', 22],
    ['Information', 9], ['wrn', 13], ['SEVERE', 17], ['FINE', 5], ['FINEST', 1], ['dbg', 5],
    ['E', 17], ['W', 13], ['I', 9], ['D', 5], ['INFO2', 10], ['ERROR4', 20], ['warn3', 15],
    [' info ', 9], ['nonsense', 0], ['', 0], ['CRIT2', 22], ['ALERT2', 0],
  ];
  for (const [text, want] of cases) assert.equal(severityFromText(text), want, text);
});

test('pino numeric levels', () => {
  const cases: Array<[number, string, number]> = [
    [10, 'TRACE', 1], [20, 'DEBUG', 5], [30, 'INFO', 9], [40, 'WARN', 13], [50, 'ERROR', 17], [60, 'FATAL', 21],
    [35, '35', 9], [70, '70', 21], [0, '0', 0],
  ];
  for (const [level, text, number] of cases) assert.deepEqual(severityFromPino(level), { text, number }, String(level));
});

test('syslog severities', () => {
  const want = [23, 22, 21, 17, 13, 10, 9, 5];
  for (let s = 0; s < 8; s++) assert.equal(severityFromSyslog(s).number, want[s], String(s));
  assert.equal(severityFromSyslog(3).text, 'ERR');
});

test('values of unknown type', () => {
  assert.deepEqual(severityFromValue(50), { text: 'ERROR', number: 17 });
  assert.deepEqual(severityFromValue('30'), { text: 'INFO', number: 9 });
  assert.deepEqual(severityFromValue('warn'), { text: 'WARN', number: 13 });
  assert.deepEqual(severityFromValue('custom'), { text: 'CUSTOM', number: 0 });
  // npm's levels as winston writes them, numbered as OpenTelemetry's winston transport does: `verbose` above
  // debug; Serilog's capitalised `Verbose` stays the lowest.
  assert.deepEqual(['http', 'verbose', 'silly', 'Verbose', 'VERBOSE'].map((v) => severityFromValue(v)?.number), [7, 6, 1, 1, 1]);
  // A single letter carries its word, whichever parser read it (JSON, logfmt, MongoDB's `s`).
  assert.deepEqual(severityFromValue('I'), { text: 'INFO', number: 9 });
  assert.deepEqual(severityFromValue('w'), { text: 'WARN', number: 13 });
  assert.equal(severityFromValue(3), undefined);
  assert.equal(severityFromValue({}), undefined);
  assert.equal(severityFromValue('x'.repeat(40)), undefined);
});

test('severity is inferred from the body when none is given', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2026-11-24 something ERROR happened', 'ERROR'],
    ['java.lang.IllegalStateException: boom', 'ERROR'],
    ['Traceback (most recent call last):', 'ERROR'],
    ['[WARN] disk almost full', 'WARN'],
    ['Warning: deprecated', 'WARN'],
    ['panic: runtime error: index out of range', 'FATAL'],
    ['FATAL could not start', 'FATAL'],
    ["thread 'main' panicked at src/main.rs:2:5:\ncalled `Option::unwrap()` on a `None` value", 'FATAL'],
    ['/app/server.js:10\n    ^\n\nTypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string', 'ERROR'],
    ["KeyError: 'k'", 'ERROR'],
    ['NoSuchKeyError handler registered', undefined],
    ['request done errors=0 warnings=0', undefined],
    ['TerrorIndex updated', undefined],
    ['all good', undefined],
  ];
  for (const [body, want] of cases) assert.equal(inferSeverity(body)?.text, want, body);
  assert.equal(inferSeverity('ERROR x', { ...DEFAULT_INFERENCE, enabled: false }), undefined);
  const custom = { enabled: true, rules: [{ pattern: /\bOOPS\b/, severity: 'warn' }] };
  assert.deepEqual(inferSeverity('OOPS', custom), { text: 'WARN', number: 13 });
  assert.equal(inferSeverity('ERROR', custom), undefined);
});

test('the words lines carry are looked up in every case they are written in, with the same numbers', () => {
  // Upper, lower and capitalised forms come from a table; padded or mixed forms from the general rule.
  const cases: Array<[string, number]> = [
    ['INFO', 9], ['info', 9], ['Info', 9], [' info ', 9], ['iNFO', 9],
    ['WRN', 13], ['wrn', 13], ['Wrn', 13], ['SEVERE', 17], ['severe', 17], ['Dpanic', 17],
    ['E', 17], ['e', 17], ['INFO2', 10], ['info2', 10], ['Verbose', 1], ['emergency', 23], ['nonsense', 0],
  ];
  for (const [text, want] of cases) assert.equal(severityFromText(text), want, text);
});
