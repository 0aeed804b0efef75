// The slow query log (agents/transforms/parsers/slow-log.ts) through the multiline assembler and the auto
// parser. MariaDB's own log is in test/fixtures/programs (programs.test.ts); MySQL 8 and Percona Server
// do not run here, so their entries are written after their manuals' examples of the format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembled, ctx, parse } from '../../../helpers/parse-cases.ts';

const entries = assembled;

const MYSQL8 = `# Time: 2026-11-28T11:40:00.123456Z
# User@Host: app[app] @ web-1 [10.0.0.5]  Id:    12
# Query_time: 2.000213  Lock_time: 0.000002 Rows_sent: 1  Rows_examined: 1000000
use shop;
SET timestamp=1795866000;
SELECT * FROM orders
  WHERE note LIKE '%# User@Host: %';
# Time: 2026-11-28T11:40:05.000001Z
# User@Host: root[root] @ localhost []  Id:    13
# Query_time: 1.500000  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1795866005;
select sleep(1.5);`;

test('MySQL 8: one entry per statement, its zoned # Time: as the time, the client\'s address, the schema from use', () => {
  const es = entries(MYSQL8);
  assert.equal(es.length, 2);
  const a = parse(es[0]!, ctx);
  assert.equal(new Date(a.time!).toISOString(), '2026-11-28T11:40:00.123Z');
  assert.equal(a.body, "SELECT * FROM orders\n  WHERE note LIKE '%# User@Host: %';");
  assert.deepEqual([a.attributes['user.name'], a.attributes['client.address'], a.attributes['mysql.thread_id'], a.attributes['db.namespace'], a.attributes['mysql.rows_examined'], a.severityText], ['app', '10.0.0.5', '12', 'shop', '1000000', 'WARN']);
  const b = parse(es[1]!, ctx);
  assert.equal(b.body, 'select sleep(1.5);');
  assert.equal(b.attributes['db.namespace'], undefined);
});

test('Percona Server: its extra header lines as mysql.* attributes; an entry of the same second without # Time:', () => {
  const es = entries(`# Time: 261128 11:40:00
# User@Host: app[app] @ web-1 [10.0.0.5]
# Thread_id: 8  Schema: shop  Last_errno: 0  Killed: 0
# Query_time: 0.750000  Lock_time: 0.000100  Rows_sent: 10  Rows_examined: 5000  Rows_affected: 0
# Bytes_sent: 1200  Tmp_tables: 1  Tmp_disk_tables: 0  Tmp_table_sizes: 0
SET timestamp=1795866000;
select * from orders order by amount desc limit 10;
# User@Host: app[app] @ web-1 [10.0.0.5]
# Thread_id: 9  Schema: shop  Last_errno: 0  Killed: 0
# Query_time: 0.900000  Lock_time: 0.000000  Rows_sent: 1  Rows_examined: 9000  Rows_affected: 0
SET timestamp=1795866000;
select count(*) from orders;`);
  assert.equal(es.length, 2);
  const [a, b] = es.map((e) => parse(e, ctx));
  assert.deepEqual([a!.attributes['mysql.tmp_tables'], a!.attributes['mysql.last_errno'], a!.attributes['db.namespace'], a!.attributes['mysql.thread_id']], ['1', '0', 'shop', '8']);
  assert.equal(new Date(b!.time!).toISOString(), '2026-11-28T11:40:00.000Z');
  assert.equal(b!.body, 'select count(*) from orders;');
  assert.equal(b!.attributes['mysql.thread_id'], '9');
});

test('a header line read alone (multiline assembly off) keeps its text; a # line that is no slow-log header is left to the other rules', () => {
  const alone = parse('# User@Host: app[app] @ web-1 [10.0.0.5]  Id:    12', ctx);
  assert.deepEqual([alone.body, alone.attributes['client.address']], ['# User@Host: app[app] @ web-1 [10.0.0.5]  Id:    12', '10.0.0.5']);
  assert.equal(parse('# Time is not a header', ctx).fallback, 'unmatched');
  assert.equal(parse('# User@Host: garbage', ctx).fallback, 'unmatched');
});
