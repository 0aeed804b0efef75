import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAutoParser } from '../../../../agents/transforms/parsers/auto.ts';
import { levelThreadLogger, skipWs, threadLevelLogger } from '../../../../agents/transforms/parsers/header.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';
import type { ParsedFields } from '../../../../agents/transforms/parsers/types.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12), timeZone: 'UTC' };
const withCommon = createAutoParser();
const generalOnly = createAutoParser({}, { commonHeader: false });

/** Which of the common paths reads the header after the line's leading stamp (what the auto parser's stamped path would ask them), if any. */
function takenByCommon(line: string): 'level first' | 'thread first' | undefined {
  const t = readTime(line, 0, 'UTC', ctx.now);
  if (t === undefined) return undefined;
  const out: ParsedFields = { body: '', attributes: {} };
  if (levelThreadLogger(line, skipWs(line, t.end), out) !== -1) return 'level first';
  return threadLevelLogger(line, skipWs(line, t.end), out) !== -1 ? 'thread first' : undefined;
}

function logFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? logFiles(join(dir, e.name)) : e.name.endsWith('.log') ? [join(dir, e.name)] : []));
}

test('the common header path gives the records the general scan gives: every fixture line', () => {
  const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
  let lines = 0;
  const taken = { 'level first': 0, 'thread first': 0 };
  for (const file of logFiles(fixtures)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      lines++;
      const path = takenByCommon(line);
      if (path) taken[path]++;
      assert.deepEqual(withCommon(line, ctx), generalOnly(line, ctx), `${file}: ${line}`);
    }
  }
  // Loghub's Hadoop sample, Tomcat's catalina.out and log4j's classic layout are level first; logback's
  // and log4j2's console layouts thread first: both paths are exercised.
  assert.ok(lines > 16_000, `${lines} lines`);
  assert.ok(taken['level first'] > 1_000, `${taken['level first']} lines read level first`);
  assert.ok(taken['thread first'] > 30, `${taken['thread first']} lines read thread first`);
});

test('the common header path gives the records the general scan gives: lines near the shape, each piece varied', () => {
  // Each piece is either the shape's (log4j's `%d %-5p [%t] %c - %m`) or one way to stray from it that
  // the general scan reads differently: a request id or a dotted name in the brackets, a pid, a code
  // location or a separator where the message starts, tabs, zones, other stamps.
  const stamps = ['2026-11-24T10:00:00.123Z', '2026-11-24 10:00:00,123', '2026-11-24T10:00:00', '2026-11-24T10:00:00.123+01:00', '[2026-11-24 10:00:00]', '2026-11-24T10:00:00 +01:00',
    '1700000000.123', '2026/11/24 10:00:00', '2026-11-24T10:00:00.123456789Z', '24 Nov 2026 10:00:00.123', '10:00:00.123'];
  const gaps = [' ', ' ', ' ', '  ', '\t', ' EST '];
  const levels = ['INFO', 'WARN', 'ERROR', 'DEBUG', 'TRACE', 'FATAL', 'SEVERE', 'NOTICE', 'INFORMATION', 'LOG', 'NOTE', 'ALERT', 'CRIT', 'FAIL', 'EST', 'CET',
    'Info', 'info', 'D', 'I', 'INFOX', 'DEBUG1', 'ERR', 'WARNING', 'INFO:', 'I/Tag', 'INFO|'];
  const afterLevel = [' ', ' ', '  ', '\t', ''];
  const threads = ['[main]', '[worker-0]', '[pool-1-thread-3]', '[http-nio-8080-exec-1]', '[ForkJoinPool.commonPool-worker-1]', '[app.orders]', '[req-123]',
    '[trace9]', '[txn-5]', '[corr-1]', '[Request-7]', '[12345]', '[123-4]', '[myid:1]', '[QuorumPeer[myid=1]/0.0.0.0:2181]', '[main:Foo@12]', '[ main]',
    '[pid 12]', '[id=42]', '[client 1.2.3.4]', '[]', '[INFO]', '[x]', '[abcdef01-2345-6789-abcd-ef0123456789]', '[0a1b2c3d-1234-5678-9abc-def012345678]',
    '[Thread-1]', '[c.a.B]', '[worker_1]', '[main]x', '(main)', 'main', '[main ]', '[IPC Server Responder]', '[Socket Reader #1 for port 62260]',
    '[pid 12 x]', '[client x]', '[req-1 x]', '[app.orders x]', '[LeaseRenewer:a@b:9000]', '[main\u00a0]', '[wörker]', '[a\tb]', '[info]', '[INFO]',
    '[Warning]', '[Server thread/INFO]', '[main/DEBUG]', '[core:error]', '[app.orders]', '[scheduling-1]', '[Err]'];
  const afterThread = [' ', ' ', ' ', '  ', '', '\t'];
  const loggers = ['com.acme.orders.OrderService', 'o.a.h.Foo', 'org.apache.hadoop.mapred.Task:', 'SparkContext:', 'Foo:', 'main', 'in', 'Error:',
    'java.lang.RuntimeException:', 'file.go:12:', 'Foo.java:42', 'a.b', 'c.x.Y$Inner', 'hyper::server:', '(Thread-1)', 'com.x-y.Z', '[foo]', 'com.acme.A\tB',
    'x.', '.x', 'com.acme.orders.OrderService,', 'a.b.c:d', 'Executor_1:'];
  const separators = [' - ', ' - ', ' -- ', ' --- ', ' | ', ' : ', ' ', ' - - ', ', ', ' -', '\t- ', ' -x ', '  -  '];
  const messages = ['order 42 processed', '42 items', '123 - x', '123 [x] y', 'Foo.java:12 failed', 'x:y z', '[bracket] msg', '<0.1.0> msg', '- minus', ': colon',
    '| pipe', ', comma', 'Nov 24 10:00:00 host app[1]: msg', 'GET /x HTTP/1.1 200', '', '  ', 'in app: msg', 'done\twith tab', '12345#0: *5 msg',
    '"quoted" msg', '{"a":1}', 'key=value other=1', '127.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1', 'Error: boom\n    at f (x.js:1:1)',
    'failed\njava.lang.IllegalStateException: x\n\tat com.x.Y.z(Y.java:1)', 'trailing blanks   ', 'main.go:12: msg', 'Sun Dec 04 04:47:44 2005 x',
    '(retry 2) msg', 'ERROR in app: msg', '[::1]:53 - 1 "A IN x."', 'user@db LOG:  statement', 'ok', 'x: y'];
  let seed = 20261205;
  // A linear congruential generator's high bits (its low bits repeat with short periods).
  const pick = <T>(xs: readonly T[]): T => xs[((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 15) % xs.length]!;
  const taken = { 'level first': 0, 'thread first': 0 };
  const n = 80_000;
  for (let i = 0; i < n; i++) {
    // Each piece is the shape's own half the time, so that each way to stray is met next to the rest of it.
    const or = <T>(own: T, xs: readonly T[]): T => (pick([0, 1]) === 0 ? own : pick(xs));
    // Half the lines level first (`%-5p [%t] %c`), half thread first (`[%t] %-5level %logger`).
    const head = i % 2 === 0
      ? or('INFO', levels) + or(' ', afterLevel) + or('[main]', threads) + or(' ', afterThread)
      : or('[main]', threads) + or(' ', afterThread) + or('INFO', levels) + or(' ', afterLevel);
    const line = or(stamps[0]!, stamps) + or(' ', gaps) + head + or(loggers[0]!, loggers) + or(' - ', separators) + or('order 42 processed', messages);
    const path = takenByCommon(line);
    if (path) taken[path]++;
    assert.deepEqual(withCommon(line, ctx), generalOnly(line, ctx), JSON.stringify(line));
  }
  for (const [path, count] of Object.entries(taken)) assert.ok(count > 2_000, `${count} of ${n} lines read by the common path, ${path}`);
});
