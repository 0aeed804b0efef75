// The program-specific layouts on their own (Go's, the JVM's and Python's: go.test.ts, jvm.test.ts, python.test.ts): each must say null for a line that only starts like its
// program's, so that the auto parser goes on to the general header (test/.../auto.test.ts reads whole
// lines of each layout through the dispatch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newHeader } from '../../../../agents/transforms/parsers/header.ts';
import { clickhouse, dotnet, envLogger, envoy, logcat, mongoLegacy, monolog, mysql, redis, rubyLogger } from '../../../../agents/transforms/parsers/layouts.ts';
import type { ParsedFields } from '../../../../agents/transforms/parsers/types.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';

const ctx = { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' };
const header = (line: string, at: number) => newHeader(line, at, { body: '', attributes: {} }, true);
const stamp = (line: string, at: number) => readTime(line, at, 'UTC', ctx.now)!;

test('near misses are null: Ruby, .NET, logcat, MongoDB, Redis', () => {
  assert.equal(rubyLogger('I, [2026-11-24T10:00:00.123456] no pid', ctx), null);
  assert.equal(dotnet('info: not a category'), null);
  assert.equal(dotnet('info: App.Worker[0]')?.attributes['log.logger'], 'App.Worker');
  assert.equal(logcat('W/ no parenthesis', 0, { body: '', attributes: {} }), null);
  const mongo = '2026-11-24T10:00:00.123+0000 I lowercase [ctx] msg';
  assert.equal(mongoLegacy(header(mongo, 29), 29), null);
  // Redis's role letter must be one it writes, and its mark one of its four.
  const line = '1234:Q 24 Nov 2026 10:00:00.123 * msg';
  assert.equal(redis(header(line, 32), '1234:Q', 32), null);
  const ok = '1234:M 24 Nov 2026 10:00:00.123 * msg';
  assert.equal(redis(header(ok, 32), '1234:M', 32)?.severityText, 'NOTICE');
  assert.equal(redis(header(ok.replace('*', '!'), 32), '1234:M', 32), null);
});

test('MySQL reads into the header only when its shape is there', () => {
  const s = header('2026-11-24T10:00:00.123456Z 0 [Warning] [MY-010068] [Server] msg', 28);
  mysql(s, 28);
  assert.deepEqual([s.level, s.out.severityText, s.out.attributes['log.logger'], s.extra], [true, 'WARNING', 'Server', 'MY-010068']);
  const other = header('2026-11-24T10:00:00.123456Z 0 apples', 28);
  mysql(other, 28);
  assert.deepEqual([other.level, other.out.attributes], [false, {}]);
});

test('env_logger needs a level it knows inside the brackets', () => {
  const rust = '[2026-11-24T10:00:00Z TRACE my_crate] msg';
  assert.equal(envLogger(rust, stamp(rust, 1), rust.indexOf(']'))?.severityNumber, 1);
  const words = '[2026-11-24T10:00:00Z HELLO my_crate] msg';
  assert.equal(envLogger(words, stamp(words, 1), words.indexOf(']')), null);
  const three = '[2026-11-24T10:00:00Z INFO my crate] msg';
  assert.equal(envLogger(three, stamp(three, 1), three.indexOf(']')), null);
});

test('Monolog: the channel and level, or null; trailing context that is not an object stays in the message', () => {
  const line = '[2026-11-24 10:00:00] app.INFO: list ["a","b"] []';
  const r = monolog(line, stamp(line, 1), line.indexOf(']'))!;
  assert.deepEqual([r.severityText, r.body, r.attributes], ['INFO', 'list ["a","b"]', { 'log.logger': 'app' }]);
  const notLevel = '[2026-11-24 10:00:00] app.VERBOSE: msg';
  assert.equal(monolog(notLevel, stamp(notLevel, 1), notLevel.indexOf(']')), null);
  // An impossible date matched the layout: the whole line is kept, marked.
  const bad = '[2026-02-30 10:00:00] app.INFO: msg';
  assert.equal(monolog(bad, stamp(bad, 1), bad.indexOf(']'))?.fallback, 'bad_time');
});

test("trailing JSON's keys become own attributes, `__proto__` too (zap's context, Monolog's)", async () => {
  const { trailingJson } = await import('../../../../agents/transforms/parsers/layouts.ts');
  const r: ParsedFields = { body: 'starting\t{"__proto__": {"x": 1}, "port": 8080}', attributes: {} };
  trailingJson(r);
  assert.equal(r.body, 'starting');
  assert.deepEqual(Object.entries(r.attributes), [['__proto__', '{"x":1}'], ['port', '8080']]);
  assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  const line = '[2026-11-24 10:00:00] app.INFO: hi {"__proto__":"p"} []';
  const m = monolog(line, stamp(line, 1), line.indexOf(']'))!;
  assert.deepEqual(Object.entries(m.attributes), [['log.logger', 'app'], ['__proto__', 'p']]);
});

test("Envoy's log: null unless the shape is there", () => {
  const log = '[2026-11-24 10:00:00.123][12][info][main] [source/server/server.cc:456] ready';
  assert.equal(envoy(log, stamp(log, 1), 24)?.attributes['code.file.path'], 'source/server/server.cc');
  // A level Envoy does not write, or a pid-like bracket that is not followed by its level: not Envoy.
  const notEnvoy = '[2026-11-24 10:00:00.123][12][notice][main] [a.cc:1] ready';
  assert.equal(envoy(notEnvoy, stamp(notEnvoy, 1), 24), null);
  // Without its code location it is not Envoy's: the JVM's unified logging has the same brackets.
  const noLocation = '[2026-11-24 10:00:00.123][12][info][main] ready';
  assert.equal(envoy(noLocation, stamp(noLocation, 1), 24), null);
});

test('ClickHouse: null unless its marks are there', () => {
  const t = Date.UTC(2026, 11, 2);
  assert.equal(clickhouse('2026.12.02 14:54:51.1 [ 20 ] {} <Verbose> X: y', 22, t), null, 'a level ClickHouse does not write');
  assert.equal(clickhouse('2026.12.02 14:54:51.1 [ 20 ] <Debug> X: y', 22, t), null, 'no query id braces');
  assert.equal(clickhouse('2026.12.02 14:54:51.1 [ main ] {} <Debug> X: y', 22, t), null, 'a thread name, not an id');
});
