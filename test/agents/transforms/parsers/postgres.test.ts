// PostgreSQL's report over several lines (postgres.ts): which lines are its parts, and the joined
// message without their repeated prefixes. The assembler's and the auto parser's use of it are in
// multiline.test.ts and auto.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresHead, postgresPart, withoutPartPrefixes } from '../../../../agents/transforms/parsers/postgres.ts';

test("the head is the default prefix up to the pid (`%m [%p] `, `%t [%p] `, `[%p-%l]`); '' for other layouts", () => {
  assert.equal(postgresHead('2026-11-24 10:00:00.123 UTC [1234] ERROR:  x'), '2026-11-24 10:00:00.123 UTC [1234');
  assert.equal(postgresHead('2026-11-24 10:00:00 CET [1234-1] LOG:  x'), '2026-11-24 10:00:00 CET [1234');
  assert.equal(postgresHead('2026-11-24 10:00:00.123 +03 [7] LOG:  x'), '2026-11-24 10:00:00.123 +03 [7');
  for (const other of [
    '2026-11-24T10:00:00.123Z INFO [main] x', // ISO's T
    '2026-11-24 10:00:00,123 INFO [main] x', // log4j's comma
    '2026-11-24 10:00:00.123 | INFO | x', // loguru
    '2026-11-24 10:00:00.123 UTC [main] x', // a thread, not a pid
    '2026-11-24 10:00:00.123 America/New_York [12] x', // no zone of eight characters or more
    '12:00',
    '',
  ]) assert.equal(postgresHead(other), '', other);
});

test('a part is DETAIL, HINT, QUERY, CONTEXT, LOCATION or STATEMENT under the same stamp and pid', () => {
  const head = postgresHead('2026-11-24 10:00:00.123 UTC [1234] ERROR:  x');
  assert.equal(postgresPart('2026-11-24 10:00:00.123 UTC [1234] DETAIL:  Key (id)=(1) already exists.', head), 35);
  for (const k of ['HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT']) assert.equal(postgresPart(`2026-11-24 10:00:00.123 UTC [1234] ${k}:  y`, head), 35, k);
  // Debian's `user@db ` before the keyword; the session line number of `[%p-%l]`.
  assert.equal(postgresPart('2026-11-24 10:00:00.123 UTC [1234] app@shop STATEMENT:  SELECT 1', head), 44);
  assert.equal(postgresPart('2026-11-24 10:00:00.123 UTC [1234-2] DETAIL:  y', head), 37);
  for (const not of [
    '2026-11-24 10:00:00.123 UTC [1234] ERROR:  another report', // a message of its own
    '2026-11-24 10:00:00.123 UTC [12345] DETAIL:  y', // another backend
    '2026-11-24 10:00:00.124 UTC [1234] DETAIL:  y', // another moment
    '2026-11-24 10:00:00.123 UTC [1234] DETAIL: one space', // not PostgreSQL's two
  ]) assert.equal(postgresPart(not, head), -1, not);
  assert.equal(postgresPart('2026-11-24 10:00:00.123 UTC [1234] DETAIL:  y', ''), -1);
});

test("the joined message loses the parts' prefixes, and nothing else", () => {
  const head = '2026-11-24 10:00:00.123 UTC [1234';
  const body = 'duplicate key\n2026-11-24 10:00:00.123 UTC [1234] DETAIL:  Key exists.\n\tindented\n2026-11-24 10:00:00.123 UTC [1234] app@db STATEMENT:  INSERT';
  assert.equal(withoutPartPrefixes(body, head), 'duplicate key\nDETAIL:  Key exists.\n\tindented\nSTATEMENT:  INSERT');
  const plain = 'a\nb';
  assert.equal(withoutPartPrefixes(plain, head), plain);
});
