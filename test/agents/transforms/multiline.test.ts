import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../../agents/transforms/line-splitter.ts';
import { MULTILINE_PART_ATTRIBUTE, MultilineAssembler, startsWithStamp, type AssembledRecord } from '../../../agents/transforms/multiline.ts';

/** Runs text through the real line splitter and the assembler; returns the record texts and records. */
function assemble(text: string, options: ConstructorParameters<typeof MultilineAssembler>[0] = {}) {
  const splitter = new LineSplitter();
  const m = new MultilineAssembler(options);
  const records: AssembledRecord[] = [];
  for (const line of splitter.push(Buffer.from(text), 0)) records.push(...m.push(line, 0));
  records.push(...m.flush());
  return { texts: records.map((r) => r.text), records, m };
}

const JAVA = [
  '2026-11-24 10:00:00,123 ERROR [main] c.a.App - request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.acme.App.handle(App.java:42)',
  '\tat com.acme.App.main(App.java:10)',
  'Caused by: java.io.IOException: disk full',
  '\tat java.io.FileOutputStream.write(FileOutputStream.java:326)',
  '\t... 2 more',
  '\tSuppressed: java.lang.RuntimeException: also',
  '\t\tat com.acme.App.close(App.java:50)',
].join('\n');

const PYTHON = [
  'ERROR:root:could not parse',
  'Traceback (most recent call last):',
  '  File "app.py", line 3, in <module>',
  '    parse(x)',
  'ValueError: bad value',
  '',
  'During handling of the above exception, another exception occurred:',
  '',
  'Traceback (most recent call last):',
  '  File "app.py", line 5, in <module>',
  '    raise KeyError(k)',
  'KeyError: \'k\'',
].join('\n');

const NODE = [
  'Error: connect ECONNREFUSED 127.0.0.1:5432',
  '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
  '    at Object.<anonymous> (/app/index.js:3:9)',
].join('\n');

// What Node prints for an uncaught exception: where, the source line and a caret, then the stack.
const NODE_CRASH = [
  '/app/server.js:10',
  "    throw new Error('boom');",
  '    ^',
  '',
  'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string',
  '    at Object.<anonymous> (/app/server.js:10:11)',
  '    at Module._compile (node:internal/modules/cjs/loader:1256:14) {',
  "  code: 'ERR_INVALID_ARG_TYPE'",
  '}',
  '',
  'Node.js v20.11.0',
].join('\n');

const RUST = [
  "thread 'main' panicked at src/main.rs:2:5:",
  'called `Option::unwrap()` on a `None` value',
  'stack backtrace:',
  '   0: rust_begin_unwind',
  '             at /rustc/abc/library/std/src/panicking.rs:645:5',
  'note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.',
].join('\n');

// Before Rust 1.73 the message was on the panic's own line.
const RUST_OLD = [
  "thread 'main' panicked at 'boom', src/main.rs:2:5",
  'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
].join('\n');

const GO = [
  'panic: runtime error: index out of range [5] with length 3',
  '',
  'goroutine 1 [running]:',
  'main.main()',
  '\t/tmp/x/main.go:8 +0x1d',
  'net/http.(*conn).serve(0xc0000b8000, {0x6f1e58, 0xc0000a2000})',
  '\t/usr/local/go/src/net/http/server.go:1995 +0x612',
  'created by net/http.(*Server).Serve in goroutine 1',
  '\t/usr/local/go/src/net/http/server.go:3089 +0x5ed',
  'exit status 2',
].join('\n');

const PHP = [
  'PHP Fatal error:  Uncaught Exception: boom in /app/index.php:3',
  'Stack trace:',
  '#0 /app/index.php(7): fail()',
  '#1 {main}',
  '  thrown in /app/index.php on line 3',
].join('\n');

test('stack traces of each runtime become one record, between ordinary lines', () => {
  for (const [name, trace] of [['java', JAVA], ['python', PYTHON], ['node', NODE], ['node crash', NODE_CRASH], ['rust', RUST], ['rust before 1.73', RUST_OLD], ['go', GO], ['php', PHP]]) {
    const text = `2026-11-24 09:59:59 INFO before\n${trace}\n2026-11-24 10:00:01 INFO after\n`;
    const { texts } = assemble(text);
    assert.deepEqual(texts, ['2026-11-24 09:59:59 INFO before', trace, '2026-11-24 10:00:01 INFO after'], name!);
  }
});

test("an error line continues only Node's crash report: after an ordinary line it starts a record", () => {
  const { texts } = assemble('/app/x.js:3\n    ^\n\nError: boom\nplain line\nError: alone\n');
  assert.deepEqual(texts, ['/app/x.js:3\n    ^\n\nError: boom', 'plain line', 'Error: alone']);
});

test('a Python exception line ends the trace: the next unindented line starts a record', () => {
  const { texts } = assemble('Traceback (most recent call last):\n  File "a.py", line 1\nValueError: x\nnext record\n');
  assert.deepEqual(texts, ['Traceback (most recent call last):\n  File "a.py", line 1\nValueError: x', 'next record']);
});

test("a Python traceback joins the ERROR (or WARNING, or level-less) line before it, not an INFO line or a finished traceback", () => {
  const trace = 'Traceback (most recent call last):\n  File "a.py", line 9, in <module>\n    main()\nRuntimeError: crashed';
  // logger.exception / exc_info=True: the traceback is the record's own.
  for (const head of ['ERROR:root:failed', '2026-12-02 15:35:43,918 - app - WARNING - retrying', '[2026-12-02 15:45:34,959] ERROR in app: Exception on /boom [GET]', 'ERROR:    Exception in ASGI application', 'worker died', '2026-12-02 10:00:00 [error    ] request failed', 'time=2026-12-02T10:00:00Z level=error msg="INFO missing"']) {
    assert.deepEqual(assemble(`${head}\n${trace}\n`).texts, [`${head}\n${trace}`], head);
  }
  // An uncaught exception printed after the program's last INFO (or DEBUG) line is a record of its own.
  for (const head of ['INFO:root:started', '2026-12-02 15:35:43,918 INFO [app.orders] order 42 placed', '2026-12-02 15:35:43,918 - app - DEBUG - ERROR count 0', '2026-12-02 10:00:00 [info     ] serving', 'level=info msg=ready']) {
    assert.deepEqual(assemble(`${head}\n${trace}\n`).texts, [head, trace], head);
  }
  // A line below WARNING that ends with a colon announces the traceback (certbot logs it at DEBUG).
  for (const head of ['2026-12-06 06:20:47,681:DEBUG:certbot._internal.log:Exiting abnormally:', 'INFO:root:details follow: ']) {
    assert.deepEqual(assemble(`${head}\n${trace}\n`).texts, [`${head}\n${trace}`], head);
  }
  // Nor does one after a request's access line, which is whole when written (uWSGI prints a request's
  // traceback before the request's line; a server's access log and its errors may share a file).
  for (const head of [
    '[pid: 25280|app: 0|req: 5/5] 127.0.0.1 () {24 vars in 254 bytes} [Sun Dec  6 06:16:31 2026] GET /slow => generated 6 bytes in 250 msecs (HTTP/1.1 200) 2 headers in 55 bytes (1 switches on core 0)',
    '127.0.0.1 - - [06/Dec/2026:06:16:31 +0000] "GET / HTTP/1.1" 200 6 "-" "curl/7.88.1"',
    '127.0.0.1 - - [06/Dec/2026 06:16:31] "POST /orders HTTP/1.0" 500 -',
  ]) {
    assert.deepEqual(assemble(`${head}\n${trace}\n`).texts, [head, trace], head);
  }
  // After a logged traceback has ended (its exception line), another traceback starts a record; one
  // chained to it by `During handling of the above exception ...` does not (PYTHON, above).
  const logged = 'ERROR:root:boom\nTraceback (most recent call last):\n  File "a.py", line 3\nKeyError: \'k\'';
  assert.deepEqual(assemble(`${logged}\n${trace}\n`).texts, [logged, trace]);
  assert.deepEqual(assemble(`${PYTHON}\n`).texts, [PYTHON]);
});

test("java.util.logging's two lines (stamp and class, then the level) make one record, a stack trace under them too", () => {
  const jul = [
    'Dec 02, 2026 3:44:22 AM org.apache.catalina.startup.Catalina start',
    'INFO: Server startup in 1234 ms',
    'Dec 02, 2026 3:44:23 PM org.apache.catalina.core.StandardWrapperValve invoke',
    'SEVERE: Servlet.service() threw exception',
    'java.lang.NullPointerException: boom',
    '\tat com.example.Foo.bar(Foo.java:12)',
    'Dec 02, 2026 3:44:24 PM com.example.App main',
    'WARNING: the next line is no level line of this record',
    'INFO: a record of its own',
    // Syslog stamps start with a month too, and stay one record a line.
    'Dec  2 03:44:25 web-1 sshd[7]: Accepted publickey',
    'INFO: after a syslog line, a record of its own',
  ].join('\n') + '\n';
  const { texts } = assemble(jul);
  assert.deepEqual(texts.map((t) => t.split('\n').length), [2, 4, 2, 1, 1, 1]);
  assert.equal(texts[1]!.split('\n')[1], 'SEVERE: Servlet.service() threw exception');
});

test("PostgreSQL's report (its default prefix) takes its DETAIL, HINT, STATEMENT ... lines; another backend's or another moment's do not join", () => {
  const report = [
    '2026-11-24 10:00:00.123 UTC [1234] ERROR:  duplicate key value violates unique constraint "users_pkey"',
    '2026-11-24 10:00:00.123 UTC [1234] DETAIL:  Key (id)=(1) already exists.',
    '2026-11-24 10:00:00.123 UTC [1234] STATEMENT:  INSERT INTO users',
    '\tVALUES (1)',
  ].join('\n');
  const lines = [
    '2026-11-24 10:00:00.100 UTC [1230] LOG:  checkpoint starting: time',
    report,
    '2026-11-24 10:00:00.123 UTC [1235] DETAIL:  another backend\'s part starts a record',
    '2026-11-24 10:00:00.200 UTC [1235] DETAIL:  and so does one of another moment',
    '2026-11-24 10:00:01 CET [77-1] FATAL:  password authentication failed for user "bob"\n2026-11-24 10:00:01 CET [77-2] DETAIL:  Connection matched pg_hba.conf line 99',
    '2026-11-24 10:00:02.000 UTC [1236] LOG:  after',
  ];
  assert.deepEqual(assemble(lines.join('\n') + '\n').texts, lines);
  // Lines of other layouts never join, even with DETAIL in them.
  const other = ['2026-11-24T10:00:00.123Z ERROR [1234] boom', '2026-11-24T10:00:00.123Z [1234] DETAIL:  not PostgreSQL\'s'];
  assert.deepEqual(assemble(other.join('\n') + '\n').texts, other);
});

test("a C++ stack trace's numbered frames follow a blank line or another frame (ClickHouse's; its whole log in programs.test.ts)", () => {
  const trace = ['2026.12.02 14:54:51.769453 [ 20 ] {} <Error> HTTPHandler: Code: 47, Stack trace:', '', '0. /lib/x86_64-linux-gnu/libclickhouse.so.18.16(StackTrace::StackTrace()+0x16) [0x7f84d07798a6]', '1. /lib/x86_64-linux-gnu/libclickhouse.so.18.16(+0x18f95d2) [0x7f84ce6f95d2]'].join('\n');
  const after = '2026.12.02 14:54:51.769480 [ 20 ] {} <Debug> MemoryTracker: Peak memory usage';
  assert.deepEqual(assemble(`${trace}\n${after}\n`).texts, [trace, after]);
  // A numbered line right after an ordinary line starts a record.
  const numbered = ['2026.12.02 14:54:51.769180 [ 20 ] {} <Information> Application: steps', '1. not a frame'];
  assert.deepEqual(assemble(numbered.join('\n') + '\n').texts, numbered);
});

test('ordinary lines stay one record each; JSON lines never merge', () => {
  const lines = ['INFO started', 'Error: not a trace', 'done', '{"msg":"a"}', '{"msg":"b"}', 'at noon we ship'];
  assert.deepEqual(assemble(lines.join('\n') + '\n').texts, lines);
});

test('records keep exact byte ranges; trailing blank lines are left out of the text but not the range', () => {
  const { records } = assemble('first\n  cont\n\nsecond\n');
  assert.deepEqual(records.map((r) => [r.text, r.start, r.end, r.lines]), [['first\n  cont', 0, 14, 3], ['second', 14, 21, 1]]);
});

test('user start and continue patterns', () => {
  const text = '[1] a\nb\n[2] c\n';
  assert.deepEqual(assemble(text, { startPattern: /^\[\d+\]/ }).texts, ['[1] a\nb', '[2] c']);
  assert.deepEqual(assemble('a\n+b\n+c\nd\n', { continuePattern: /^\+/ }).texts, ['a\n+b\n+c', 'd']);
  assert.throws(() => new MultilineAssembler({ startPattern: /a/, continuePattern: /b/ }), /not both/);
});

test('start_with_stamp: under a stamped first line every line without a stamp continues the record; real programs\' messages of several lines', () => {
  const fixture = (name: string) => readFileSync(new URL(`../../fixtures/programs/${name}`, import.meta.url), 'utf8');
  const on = { startWithStamp: true };
  // Stamps of several shapes, after `[` and behind a colour escape; a dump and a message's later lines join.
  const text = [
    '2026-11-24 10:00:00,123 INFO config:', 'listeners = PLAINTEXT://:9092', 'log.dirs = /tmp/k',
    '[24-Nov-2026 10:00:01 UTC] PHP Notice:  x in /a.php on line 1', 'second line',
    '\x1b[2m2026-11-24T10:00:02.000001Z\x1b[0m \x1b[32m INFO\x1b[0m orders: two', 'lines',
    'Nov 24 10:00:03 web-1 app[1]: syslog', '{"msg":"a JSON line starts a record"}', 'and takes what follows',
  ].join('\n') + '\n';
  assert.deepEqual(assemble(text, on).texts, [
    '2026-11-24 10:00:00,123 INFO config:\nlisteners = PLAINTEXT://:9092\nlog.dirs = /tmp/k',
    '[24-Nov-2026 10:00:01 UTC] PHP Notice:  x in /a.php on line 1\nsecond line',
    '\x1b[2m2026-11-24T10:00:02.000001Z\x1b[0m \x1b[32m INFO\x1b[0m orders: two\nlines',
    'Nov 24 10:00:03 web-1 app[1]: syslog',
    '{"msg":"a JSON line starts a record"}',
    'and takes what follows',
  ]);
  // Without it the built-in rules split those messages; under an unstamped first line they still decide.
  assert.equal(assemble(text).texts.length, 10);
  assert.deepEqual(assemble('banner\nline two\n  indented\n2026-11-24 10:00:00 INFO up\nmore\n', on).texts, ['banner', 'line two\n  indented', '2026-11-24 10:00:00 INFO up\nmore']);
  // Real output: tracing's message of two lines (colours and all), PHP's error_log() of two lines, Elixir's.
  const joined = (name: string) => assemble(fixture(name), on).texts.filter((t) => t.includes('\n') && !/\n\s/.test(t));
  assert.deepEqual(joined('rust-tracing-full.log').map((t) => t.split('\n')[1]), ['the second line']);
  assert.deepEqual(joined('php-error-log.log').map((t) => t.split('\n')[1]), ['of two lines']);
  assert.deepEqual(joined('elixir-logger.log').map((t) => t.split('\n')[1]), ['retry scheduled in 30 s']);
  // Every record of those files starts with a stamp but Elixir's first (its blank first line).
  for (const name of ['rust-tracing-full.log', 'php-error-log.log', 'php-error-log-paris.log', 'winston-printf.log', 'logback-default.log', 'log4j2-default-pattern.log']) {
    const texts = assemble(fixture(name), on).texts;
    assert.ok(texts.every((t) => startsWithStamp(t)), `${name}: ${texts.find((t) => !startsWithStamp(t))}`);
    assert.equal(texts.length, fixture(name).split('\n').filter((l) => startsWithStamp(l)).length, name);
  }
  assert.throws(() => new MultilineAssembler({ startWithStamp: true, startPattern: /a/ }), /start_with_stamp replaces/);
});

test('blank lines before a record are its bytes, not a record of their own: at a file\'s start, and when entries come apart in time (Elixir writes a blank line before each)', () => {
  const { records } = assemble('\n\n10:00:00.000 [info] one\n  detail\n\n10:00:01.000 [info] two\n');
  assert.deepEqual(records.map((r) => [r.text, r.start, r.end, r.lines]), [
    ['10:00:00.000 [info] one\n  detail', 0, 36, 5],
    ['10:00:01.000 [info] two', 36, 60, 1],
  ]);
  // Live: each entry flushed by the timeout before the next one's blank line arrives.
  const splitter = new LineSplitter();
  const m = new MultilineAssembler({ timeoutMs: 1000 });
  const out: AssembledRecord[] = [];
  let at = 0;
  let now = 0;
  for (const chunk of ['\n10:00:00.000 [info] one\n', '\n10:00:02.000 [info] two\n', '\n\n']) {
    for (const line of splitter.push(Buffer.from(chunk), at)) out.push(...m.push(line, now));
    at += chunk.length;
    now += 2000;
    out.push(...m.poll(now));
  }
  // Blank lines with no record after them stay one blank record (their bytes must be passed by a checkpoint).
  assert.deepEqual(out.map((r) => [r.text, r.start, r.end]), [['10:00:00.000 [info] one', 0, 25], ['10:00:02.000 [info] two', 25, 50], ['', 50, 52]]);
  // Under a start pattern a record that starts blank leaves its blank first lines out of its text too.
  assert.deepEqual(assemble('\nx\ny\n[1] z\n', { startPattern: /^\[\d\]/ }).texts, ['x\ny', '[1] z']);
});

test('a pending record is flushed after the timeout, not before', () => {
  const m = new MultilineAssembler({ timeoutMs: 500 });
  const s = new LineSplitter();
  const [a, b] = s.push(Buffer.from('head\n  more\n'), 0);
  assert.deepEqual(m.push(a!, 1000), []);
  assert.deepEqual(m.push(b!, 1200), []);
  assert.equal(m.pendingStart, 0);
  assert.equal(m.deadline, 1700);
  assert.deepEqual(m.poll(1699), []);
  assert.deepEqual(m.poll(1700).map((r) => r.text), ['head\n  more']);
  assert.equal(m.pendingStart, undefined);
  assert.equal(m.stats.timeouts, 1);
  assert.deepEqual(m.poll(5000), []);
});

test('max lines and max bytes cut a record into numbered parts', () => {
  const text = 'head\n' + Array.from({ length: 7 }, (_, i) => `  l${i}`).join('\n') + '\nnext\n';
  const { records, m } = assemble(text, { maxLines: 3 });
  assert.deepEqual(records.map((r) => [r.text.split('\n').length, r.attributes?.[MULTILINE_PART_ATTRIBUTE]]), [[3, '1'], [3, '2'], [2, '3'], [1, undefined]]);
  assert.equal(m.stats.cutByLimit, 2);
  for (let i = 1; i < records.length; i++) assert.equal(records[i]!.start, records[i - 1]!.end);
  const bytes = assemble('head\n  0123456789\n  0123456789\n', { maxBytes: 20 }).records;
  assert.deepEqual(bytes.map((r) => r.text), ['head\n  0123456789', '  0123456789']);
});

test('long-line markers from the splitter travel with the record', () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  const m = new MultilineAssembler();
  const out: AssembledRecord[] = [];
  for (const l of splitter.push(Buffer.from('0123456789ab\n'), 0)) out.push(...m.push(l, 0));
  out.push(...m.flush());
  assert.equal(out.length, 2);
  assert.equal(out[0]!.attributes?.['tributary.line.part'], '1');
  assert.equal(out[1]!.attributes?.['tributary.line.part'], '2');
});

test("Zabbix's lines start with spaces (its pid right-aligned) and each starts a record; other indented lines still continue", () => {
  const zabbix = ['  4768:20261206:062431.948 Starting Zabbix Agent [vm].', '  4768:20261206:062431.948 **** Enabled features ****', '  4770:20261206:062431.949 agent #2 started [listener #1]'];
  assert.deepEqual(assemble(zabbix.join('\n') + '\n').texts, zabbix);
  assert.deepEqual(assemble('ERROR failed\n  4768 items left\n   at x\n').texts, ['ERROR failed\n  4768 items left\n   at x']);
});

test("each of Loghub's sixteen samples is one record per line: real logs of systems the rules were not written on join nothing", () => {
  const samples: [string, string][] = [
    ...['BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux', 'OpenStack', 'Proxifier'].map((s) => [s, 'loghub-2k'] as [string, string]),
    ...['Android', 'Apache', 'Mac', 'OpenSSH', 'Spark', 'Thunderbird', 'Windows', 'Zookeeper'].map((s) => [s, 'loghub-2k-more'] as [string, string]),
  ];
  for (const [system, folder] of samples) {
    const text = readFileSync(new URL(`../../fixtures/${folder}/${system}/${system}_2k.log`, import.meta.url), 'utf8');
    // Some samples end without a newline; a file source hands such a last line over at end of file.
    const { texts } = assemble(text.endsWith('\n') ? text : text + '\n');
    const joined = texts.find((t) => t.includes('\n'));
    assert.equal(texts.length, 2000, `${system}: ${texts.length} records, one of them ${JSON.stringify(joined?.slice(0, 200))}`);
  }
});
