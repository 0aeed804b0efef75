// Real programs' own logs (test/fixtures/programs, written by the programs on the development machine)
// through the agent's line splitter, multiline assembler and auto parser, as a file source runs them.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../../agents/transforms/line-splitter.ts';
import { MultilineAssembler } from '../../../agents/transforms/multiline.ts';
import { createAutoParser } from '../../../agents/transforms/parsers/auto.ts';
import type { ParseContext, ParsedFields } from '../../../agents/transforms/parsers/types.ts';

const NOW = Date.UTC(2026, 11, 2, 16);

/** The records a file of `name` becomes, each with its text. */
function records(name: string, ctx: ParseContext = { now: NOW, timeZone: 'UTC' }): Array<ParsedFields & { text: string }> {
  const splitter = new LineSplitter();
  const assembler = new MultilineAssembler();
  const auto = createAutoParser();
  const texts: string[] = [];
  for (const line of splitter.push(readFileSync(new URL(`../../fixtures/programs/${name}`, import.meta.url)), 0)) for (const r of assembler.push(line, 0)) texts.push(r.text);
  for (const line of splitter.flush()) for (const r of assembler.push(line, 0)) texts.push(r.text);
  for (const r of assembler.flush()) texts.push(r.text);
  return texts.map((text) => ({ ...auto(text, ctx)!, text }));
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test("ClickHouse's server log: every record read, each error with its 19 frames", () => {
  const rs = records('clickhouse-server.log');
  assert.equal(rs.length, 41);
  assert.deepEqual(rs.filter((r) => r.fallback !== undefined), []);
  const errors = rs.filter((r) => r.severityText === 'ERROR');
  assert.deepEqual(errors.map((r) => [r.attributes['log.logger'], r.body.split('\n').filter((l) => /^\d{1,3}\. /.test(l)).length]), [['executeQuery', 19], ['HTTPHandler', 19]]);
  assert.equal(errors[0]!.attributes['clickhouse.query_id'], '0e586067-4a4b-4012-983b-2f453eb461b7');
  assert.ok(rs.every((r) => r.attributes['thread.id'] !== undefined));
});

test("PostgreSQL's reports, Debian's prefix: each error one record with its DETAIL, HINT, CONTEXT and STATEMENT, no prefix repeated", () => {
  const rs = records('postgresql-debian-prefix.log');
  assert.deepEqual(rs.filter((r) => r.fallback !== undefined || r.severityNumber === 0), []);
  const errors = rs.filter((r) => r.severityText === 'ERROR');
  assert.deepEqual(errors.map((r) => r.body), [
    'duplicate key value violates unique constraint "users_pkey"\nDETAIL:  Key (id)=(1) already exists.\nSTATEMENT:  INSERT INTO users VALUES (1, \'b\')',
    'column "nme" does not exist at character 8\nHINT:  Perhaps you meant to reference the column "users.name".\nSTATEMENT:  SELECT nme FROM users',
    'syntax error at or near "SELEC" at character 1\nSTATEMENT:  SELEC 1',
    'boom 42\nHINT:  try again\nCONTEXT:  PL/pgSQL function f() line 1 at RAISE\nSTATEMENT:  SELECT f()',
    'division by zero\nSTATEMENT:  SELECT 1/0\n\t  FROM users\n\t  WHERE id = 1',
    'table "nosuch" does not exist\nSTATEMENT:  DROP TABLE nosuch',
  ]);
  assert.deepEqual([errors[0]!.attributes['process.pid'], errors[0]!.attributes['user.name'], errors[0]!.attributes['db.namespace'], iso(errors[0]!.time)], ['4660', 'postgres', 'postgres', '2026-12-02T15:31:35.941Z']);
});

test("PostgreSQL's default prefix with a CET stamp: the parts joined, the pid read, the time in the source's zone", () => {
  const rs = records('postgresql-default-prefix-cet.log', { now: NOW, timeZone: 'Europe/Paris' });
  assert.deepEqual(rs.filter((r) => r.fallback !== undefined || r.attributes['log.header'] !== undefined), []);
  const errors = rs.filter((r) => r.severityText === 'ERROR');
  assert.deepEqual(errors.map((r) => r.body.split('\n').map((l) => l.split(':')[0])), [['duplicate key value violates unique constraint "users_pkey"', 'DETAIL', 'STATEMENT'], ['boom 42', 'HINT', 'CONTEXT', 'STATEMENT']]);
  assert.deepEqual([errors[0]!.attributes['process.pid'], iso(errors[0]!.time)], ['4757', '2026-12-02T15:31:45.160Z']);
});

test("HAProxy's HTTP and TCP logs as its container image writes them; its backend's (Python's http.server) lines", () => {
  const rs = records('haproxy.log');
  assert.deepEqual(rs.map((r) => [r.severityText, r.attributes['http.response.status_code'], r.attributes['haproxy.backend'], r.attributes['haproxy.termination_state'], r.attributes['url.path']]), [
    ['INFO', '200', 'app', '----', '/'],
    ['WARN', '404', 'app', '----', '/nosuch'],
    ['ERROR', '503', 'dead', 'SC--', '/dead'],
    ['ERROR', '501', 'app', '----', '/form'],
    ['INFO', undefined, 'tcpapp', '--', undefined],
  ]);
  assert.deepEqual([iso(rs[2]!.time), rs[2]!.attributes['haproxy.total_time_ms'], rs[2]!.attributes['haproxy.captured_request_headers']], ['2026-12-02T15:31:54.163Z', '3006', '127.0.0.1:18080']);
  const py = records('python-http-server.log');
  // Its first line, a print() without a time, is the only one kept whole.
  assert.deepEqual(py.map((r) => [r.fallback, r.severityText, r.attributes['http.response.status_code']]), [
    ['unmatched', undefined, undefined], [undefined, 'INFO', '200'], [undefined, 'WARN', '404'], [undefined, 'WARN', '404'], [undefined, 'ERROR', '501'], [undefined, 'ERROR', '501'], [undefined, 'INFO', '200'],
  ]);
  assert.equal(py[2]!.body, 'code 404, message File not found');
});

test('uvicorn: access lines read, the exception one ERROR record with its traceback', () => {
  const rs = records('uvicorn.log');
  assert.equal(rs.length, 12);
  assert.deepEqual(rs.filter((r) => r.attributes['http.response.status_code'] !== undefined).map((r) => [r.severityText, r.attributes['http.request.method'], r.attributes['url.path'], r.attributes['http.response.status_code'], r.attributes['client.address']]), [
    ['INFO', 'GET', '/items', '200', '127.0.0.1'], ['INFO', 'GET', '/missing', '404', '127.0.0.1'], ['INFO', 'GET', '/boom', '500', '127.0.0.1'],
  ]);
  const error = rs.find((r) => r.severityText === 'ERROR')!;
  assert.ok(error.body.startsWith('Exception in ASGI application\nTraceback (most recent call last):'));
  assert.ok(error.body.endsWith('RuntimeError: boom'));
});

test("Mosquitto: the epoch stamp before its colon is every line's time", () => {
  const rs = records('mosquitto.log');
  assert.equal(rs.length, 12);
  assert.deepEqual(rs.filter((r) => r.fallback !== undefined || r.time === undefined), []);
  assert.deepEqual([iso(rs[0]!.time), rs[0]!.body], ['2026-12-02T15:32:51.000Z', 'mosquitto version 2.0.11 starting']);
});
