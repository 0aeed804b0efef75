// The general query log (agents/transforms/parsers/general-log.ts) through the multiline assembler and the
// auto parser. MariaDB's own log is in test/fixtures/programs (programs.test.ts); MySQL 8 does not run
// here, so its entries are written after its manual's description of the format (an ISO stamp in UTC on
// every entry, `log_timestamps=UTC`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generalLogHeader, generalLogStart } from '../../../../agents/transforms/parsers/general-log.ts';
import { assembled, ctx, parse } from '../../../helpers/parse-cases.ts';

const entries = assembled;

const MYSQL8 = [
  '/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:',
  'Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock',
  'Time                 Id Command    Argument'.replace(/ {2,}/g, '\t'),
  '2026-12-07T21:15:03.123456Z\t    8 Connect\tapp@10.0.0.5 on shop using TCP/IP',
  '2026-12-07T21:15:03.124000Z\t    8 Query\tSELECT id,',
  '  amount FROM orders',
  '\tWHERE id = 7',
  '2026-12-07T21:15:04.000001Z\t    8 Quit\t',
].join('\n');

test('MySQL 8: a stamp on every entry, a statement of several lines (one of them tab-led) joined, the header apart', () => {
  const rs = entries(MYSQL8);
  assert.equal(rs.length, 6);
  const parsed = rs.map((t) => parse(t, ctx));
  assert.deepEqual(parsed.slice(0, 3).map((r) => r.fallback), ['unmatched', 'unmatched', 'unmatched']);
  assert.deepEqual(parsed.slice(3).map((r) => [new Date(r.time!).toISOString(), r.severityText, r.attributes['thread.id'], r.attributes['mysql.command'], r.body]), [
    ['2026-12-07T21:15:03.123Z', 'INFO', '8', 'Connect', 'app@10.0.0.5 on shop using TCP/IP'],
    ['2026-12-07T21:15:03.124Z', 'INFO', '8', 'Query', 'SELECT id,\n  amount FROM orders\n\tWHERE id = 7'],
    ['2026-12-07T21:15:04.000Z', 'INFO', '8', 'Quit', 'Quit'],
  ]);
});

test("MariaDB: yymmdd and the server's clock (an hour of one digit space-padded), in the source's zone; entries without a stamp; a refused login is WARN", () => {
  const lines = ['261207  9:05:01\t    12 Connect\tapp@localhost as anonymous on shop', '\t\t    12 Connect\tAccess denied for user \'app\'@\'localhost\' (using password: YES)', '\t\t    13 Init DB\tshop'];
  const rs = entries(lines.join('\n'));
  assert.equal(rs.length, 3, 'an entry without a stamp starts with tabs and still starts a record');
  const paris = rs.map((t) => parse(t, { ...ctx, timeZone: 'Europe/Paris' }));
  assert.equal(new Date(paris[0]!.time!).toISOString(), '2026-12-07T08:05:01.000Z');
  assert.equal(paris[1]!.time, undefined);
  assert.deepEqual(paris.map((r) => [r.severityText, r.attributes['mysql.command'], r.body]), [
    ['INFO', 'Connect', 'app@localhost as anonymous on shop'],
    ['WARN', 'Connect', "Access denied for user 'app'@'localhost' (using password: YES)"],
    ['INFO', 'Init DB', 'shop'],
  ]);
});

test('what is not a general-log entry: other stamped lines, Java frames, a tab inside a message, the header lines', () => {
  for (const line of [
    '2026-11-24T10:00:00.000Z INFO [worker-0] com.acme.orders.OrderService - order 100000 processed',
    '\tat com.acme.orders.OrderService.process(OrderService.java:42)',
    '2026-11-24 10:00:00 0 [Note] InnoDB: Using Linux native AIO',
    '261207 22:14:18 3 Connect\troot@localhost',
    '\t\t    3 query\tselect 1',
    `2026-11-24T10:00:00.000Z INFO ${'x'.repeat(40)}\t3 Query\tlooks like one past the stamp`,
  ]) assert.equal(generalLogStart(line), false, JSON.stringify(line));
  assert.equal(generalLogStart('\t\t     3 Quit\t'), true);
  assert.equal(generalLogHeader('Time\t\t    Id Command\tArgument'), true);
  assert.equal(generalLogHeader('Tcp port: 0  Unix socket: /tmp/maria/sock'), true);
  assert.equal(generalLogHeader('Time is up'), false);
  // A Java trace under a stamped line is still joined: its `\tat` lines open no entry.
  assert.equal(entries('2026-11-24 10:00:00,123 ERROR [main] App - boom\njava.lang.IllegalStateException: x\n\tat App.main(App.java:3)').length, 1);
});
