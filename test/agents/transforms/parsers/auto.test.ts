import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';

test('ISO 8601 / RFC 3339 stamps with either fraction mark and any offset', () => {
  check('iso', [
    ['2026-11-24T10:00:00.123Z INFO request 7 served in 12 ms', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'request 7 served in 12 ms' }],
    ['2026-11-24T10:00:00,123+01:00 WARN disk almost full', { time: '2026-11-24T09:00:00.123Z', level: 'WARN', body: 'disk almost full' }],
    ['2026-11-24 10:00:00.123456 -0500 ERROR upstream closed', { time: '2026-11-24T15:00:00.123Z', level: 'ERROR', body: 'upstream closed' }],
    ['2026-11-24T10:00:00+0530 DEBUG cache warm', { time: '2026-11-24T04:30:00.000Z', level: 'DEBUG', body: 'cache warm' }],
    ['2026-11-24 10:00:00 a message without a level', { time: '2026-11-24T10:00:00.000Z', body: 'a message without a level' }],
  ]);
});

test('a stamp followed by JSON is JSON, and names no service the user did not give (issue 9 regression)', () => {
  check('stamp+json', [
    ['2026-11-29T04:56:40.316Z {"msg":"hello there","pad":"x"}', { time: '2026-11-29T04:56:40.316Z', body: 'hello there', attributes: { pad: 'x' }, service: undefined }],
    ['2026-11-29T04:56:40.316Z {"level":"warn","message":"slow","ms":912}', { time: '2026-11-29T04:56:40.316Z', level: 'WARN', body: 'slow', attributes: { ms: '912' } }],
  ]);
});

test('syslog RFC 3164 and 5424, with and without PRI; the app name is an attribute, not the service', () => {
  check('syslog', [
    ['<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8', { time: '2026-10-11T22:14:15.000Z', level: 'CRIT', body: '\'su root\' failed for lonvick on /dev/pts/8', host: 'mymachine', service: undefined, attributes: { 'syslog.appname': 'su', 'syslog.procid': '230' } }],
    ['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4', { time: '2026-06-14T15:16:01.000Z', body: 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4', host: 'combo', service: undefined }],
    ['<165>1 2026-11-24T10:00:00.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event', { time: '2026-11-24T10:00:00.003Z', level: 'NOTICE', body: 'An application event', host: 'mymachine.example.com', service: undefined, attributes: { 'exampleSDID@32473.iut': '3' } }],
    ['2026-11-24T10:00:00.123456+01:00 web-1 kernel: [    1.000] Booting Linux', { time: '2026-11-24T09:00:00.123Z', body: 'Booting Linux', host: 'web-1', attributes: { 'syslog.appname': 'kernel', 'kernel.uptime': '1.000' } }],
  ], { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' });
  // Late December read in early January belongs to the year before.
  const january = { now: Date.UTC(2027, 0, 2), timeZone: 'UTC' };
  assert.equal(new Date(parse('Dec 31 23:59:58 web-1 cron[99]: job done', january).time!).toISOString(), '2026-12-31T23:59:58.000Z');
});

test('Apache and nginx error and access logs', () => {
  check('web', [
    ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', { time: '2005-12-04T04:47:44.000Z', level: 'NOTICE', body: 'workerEnv.init() ok /etc/httpd/conf/workers2.properties' }],
    ['[Sun Dec 04 04:51:08 2005] [error] mod_jk child workerEnv in error state 6', { time: '2005-12-04T04:51:08.000Z', level: 'ERROR', body: 'mod_jk child workerEnv in error state 6' }],
    ['[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:51234] File does not exist: /usr/local/apache2/htdocs/favicon.ico', { time: '2011-09-09T10:42:29.902Z', level: 'ERROR', body: 'File does not exist: /usr/local/apache2/htdocs/favicon.ico', attributes: { 'log.logger': 'core', 'process.pid': '35708', 'thread.id': '4328636416', 'client.address': '72.15.99.187', 'client.port': '51234' } }],
    ['2026/11/24 10:00:00 [error] 1234#5678: *90 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 10.0.0.1, server: localhost, request: "GET /x HTTP/1.1"', { time: '2026-11-24T10:00:00.000Z', level: 'ERROR', body: 'open() "/usr/share/nginx/html/x" failed (2: No such file or directory)', attributes: { 'process.pid': '1234', 'thread.id': '5678', 'network.connection.id': '90', 'client.address': '10.0.0.1', 'nginx.server_name': 'localhost', 'http.request.method': 'GET', 'url.path': '/x' } }],
    // A context that does not read to its end stays in the message.
    ['2026/11/24 10:00:00 [error] 1234#5678: *91 upstream timed out, client: 10.0.0.1, server: x, request: "GET /x HTTP/1.1', { level: 'ERROR', body: 'upstream timed out, client: 10.0.0.1, server: x, request: "GET /x HTTP/1.1', attributes: { 'network.connection.id': '91' } }],
    ['10.0.0.1 - frank [24/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 503 2326 "-" "curl/8.0"', { time: '2026-11-24T10:00:00.000Z', level: 'ERROR', body: '10.0.0.1 - frank [24/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 503 2326 "-" "curl/8.0"', attributes: { 'url.path': '/index.html', 'http.response.status_code': '503' } }],
  ]);
});

test('log4j, logback, Log4j2 and Spring Boot default layouts', () => {
  check('java', [
    ['2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001', { time: '2015-10-18T18:01:47.978Z', level: 'INFO', body: 'Created MRAppMaster for application appattempt_1445144423722_0020_000001', attributes: { 'thread.name': 'main', 'log.logger': 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster' } }],
    ['2015-10-18 18:01:51,186 INFO [IPC Server Responder] org.apache.hadoop.ipc.Server: IPC Server Responder: starting', { time: '2015-10-18T18:01:51.186Z', level: 'INFO', body: 'IPC Server Responder: starting', attributes: { 'thread.name': 'IPC Server Responder', 'log.logger': 'org.apache.hadoop.ipc.Server' } }],
    ['2026-11-24 10:00:00,123 ERROR [http-nio-8080-exec-1] com.example.OrderService - Order 42 failed', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'Order 42 failed', attributes: { 'thread.name': 'http-nio-8080-exec-1', 'log.logger': 'com.example.OrderService' } }],
    ['17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]', { time: '2017-06-09T20:10:40.000Z', level: 'INFO', body: 'Registered signal handlers for [TERM, HUP, INT]', attributes: { 'log.logger': 'executor.CoarseGrainedExecutorBackend' } }],
    // logback's and Log4j2's defaults print the clock only: the day is the one nearest to now.
    ['05:59:58.120 [main] WARN  com.example.App - Cache is cold', { time: '2026-11-29T05:59:58.120Z', level: 'WARN', body: 'Cache is cold', attributes: { 'thread.name': 'main', 'log.logger': 'com.example.App' } }],
    ['2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200', { time: '2015-07-29T17:41:44.747Z', level: 'INFO', body: 'Notification time out: 3200', attributes: { 'thread.name': 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181', 'log.logger': 'FastLeaderElection', 'code.line.number': '774' } }],
    ['2019-03-05 10:57:51.112  INFO 45469 --- [           main] org.apache.catalina.core.StandardService  : Starting service [Tomcat]', { time: '2019-03-05T10:57:51.112Z', level: 'INFO', body: 'Starting service [Tomcat]', attributes: { 'process.pid': '45469', 'thread.name': 'main', 'log.logger': 'org.apache.catalina.core.StandardService' } }],
    ['24-Nov-2026 10:00:00.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [1234] milliseconds', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Server startup in [1234] milliseconds' }],
    ['2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829', { time: '2017-05-16T00:00:00.008Z', level: 'INFO', body: '10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829', attributes: { 'process.pid': '25746', 'log.logger': 'nova.osapi_compute.wsgi.server', 'request.id': 'req-38101a0b-2096-447d-96ea-a692162415ae' } }],
    // Spring Boot 3 with spring.application.name: the name in a bracket before the padded thread column.
    ['2026-11-24T10:00:00.123+00:00  INFO 1 --- [myapp] [           main] c.e.MyApplication                        : Started MyApplication in 2.1 seconds', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Started MyApplication in 2.1 seconds', attributes: { 'process.pid': '1', 'thread.name': 'main', 'log.logger': 'c.e.MyApplication', 'log.header': 'myapp' } }],
    // An exception's type before the colon is the message's start, not a logger (`ClusterFileSystem: msg` is one).
    ['2026-12-03 10:00:00 [ERROR] ValueError: bad input', { time: '2026-12-03T10:00:00.000Z', level: 'ERROR', body: 'ValueError: bad input', attributes: {} }],
    ['2026-12-03 10:00:00 ERROR java.io.IOException: disk full', { time: '2026-12-03T10:00:00.000Z', level: 'ERROR', body: 'java.io.IOException: disk full', attributes: {} }],
    // ... and a thread name of 15 characters or more, cut to its last 15 (`%15.15t`), unpadded.
    ['2026-11-24T10:00:00.123+00:00  INFO 1 --- [myapp] [ntainer#0-0-C-1] o.a.k.c.c.internals.ConsumerCoordinator  : [Consumer clientId=consumer-g-1, groupId=g] Successfully joined group', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Successfully joined group', attributes: { 'process.pid': '1', 'thread.name': 'ntainer#0-0-C-1', 'log.logger': 'o.a.k.c.c.internals.ConsumerCoordinator', 'log.header': 'myapp', 'log.context': 'Consumer clientId=consumer-g-1, groupId=g' } }],
  ]);
});

test("log4j's and logback's short logger (`%c{1}`, `%logger{0}`, `%c{1}:%L`): a class's simple name before the separator", () => {
  check('java short logger', [
    ['2026-11-24 10:00:00,123 INFO  [main] OrderService - order 42 processed', { level: 'INFO', body: 'order 42 processed', attributes: { 'thread.name': 'main', 'log.logger': 'OrderService' } }],
    ['2026-11-24 10:00:00,123 [main] INFO  Main - started - waiting', { level: 'INFO', body: 'started - waiting', attributes: { 'thread.name': 'main', 'log.logger': 'Main' } }],
    // logback 1.5's default console layout, a class outside any package.
    ['05:59:58.120 [main] INFO LogbackApp -- Starting order service', { time: '2026-11-29T05:59:58.120Z', level: 'INFO', body: 'Starting order service', attributes: { 'thread.name': 'main', 'log.logger': 'LogbackApp' } }],
    // `%d %-5p %c{1}:%L - %m` (log4j.properties' commonest example) and `%d{ABSOLUTE} %5p %c{1}:%L - %m`.
    ['2026-11-24 10:00:00 INFO  OrderService:42 - order processed', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', body: 'order processed', attributes: { 'log.logger': 'OrderService', 'code.line.number': '42' } }],
    ['05:59:58,120  WARN Log4j2App:7 - cache is cold', { level: 'WARN', body: 'cache is cold', attributes: { 'log.logger': 'Log4j2App', 'code.line.number': '7' } }],
    ['2026-11-24 10:00:00,123 ERROR OrderService - order 42 failed', { level: 'ERROR', body: 'order 42 failed', attributes: { 'log.logger': 'OrderService' } }],
    // Not one: a single capitalised word with no thread beside it, capitals alone, a small letter first,
    // no separator after it, and the message's first word once a logger was read.
    ['2026-11-24 10:00:00,123 INFO Shutdown - waiting for tasks', { level: 'INFO', body: 'Shutdown - waiting for tasks', attributes: { 'log.logger': undefined } }],
    ['2026-11-24 10:00:00,123 INFO [main] GET - /index.html', { level: 'INFO', body: 'GET - /index.html', attributes: { 'thread.name': 'main', 'log.logger': undefined } }],
    ['2026-11-24 10:00:00,123 INFO [main] orders - placed', { level: 'INFO', body: 'orders - placed', attributes: { 'thread.name': 'main', 'log.logger': undefined } }],
    ['2026-11-24 10:00:00,123 INFO [main] OrderService order 42 processed', { level: 'INFO', body: 'OrderService order 42 processed', attributes: { 'thread.name': 'main', 'log.logger': undefined } }],
    ['2026-11-24 10:00:00,123 INFO [main] com.acme.Orders - Shipped - to Berlin', { level: 'INFO', body: 'Shipped - to Berlin', attributes: { 'thread.name': 'main', 'log.logger': 'com.acme.Orders' } }],
  ]);
});

test("the whole logger with its line (`%c:%L`, `%C:%L`, logback's `%logger{36}:%line`): the name as written and the line", () => {
  check('java dotted logger and line', [
    ['2026-11-24 10:00:00 DEBUG com.mkyong.HelloExample:21 - This is debug', { level: 'DEBUG', body: 'This is debug', attributes: { 'log.logger': 'com.mkyong.HelloExample', 'code.line.number': '21' } }],
    ['2026-11-24 10:00:00,123 ERROR [main] o.a.k.c.NetworkClient:123 - Connection refused', { level: 'ERROR', body: 'Connection refused', attributes: { 'thread.name': 'main', 'log.logger': 'o.a.k.c.NetworkClient', 'code.line.number': '123' } }],
    ['2026-11-24 10:00:00.123 [http-nio-8080-exec-1] INFO  c.e.demo.Controller:42 - handled', { level: 'INFO', body: 'handled', attributes: { 'thread.name': 'http-nio-8080-exec-1', 'log.logger': 'c.e.demo.Controller', 'code.line.number': '42' } }],
    ['2026-11-24 10:00:00,123 WARN  [main] com.acme.Orders$Pricing:7 - no price', { level: 'WARN', body: 'no price', attributes: { 'thread.name': 'main', 'log.logger': 'com.acme.Orders$Pricing', 'code.line.number': '7' } }],
    // Not one: a host and its port (the last part is no class).
    ['2026-11-24 10:00:00,123 INFO db.internal:5432 - connected', { level: 'INFO', body: 'db.internal:5432 - connected', attributes: { 'log.logger': undefined, 'code.line.number': undefined } }],
  ]);
});

test('a source location in brackets (`[%(filename)s:%(lineno)d]`) is the code location; a host and port are not one', () => {
  check('bracketed code location', [
    ['2026-11-24 10:00:00,123 INFO [app.orders] [views.py:88] - connected', { body: 'connected', attributes: { 'log.logger': 'app.orders', 'code.file.path': 'views.py', 'code.line.number': '88' } }],
    ['2026-11-24 10:00:00,123 INFO [app.orders] [views.py:88] [worker-1] - connected', { body: 'connected', attributes: { 'code.file.path': 'views.py', 'code.line.number': '88' } }],
    ['2026-11-24 10:00:00,123 INFO [app.orders] [example.com:443] - connected', { body: 'connected', attributes: { 'log.logger': 'app.orders', 'code.file.path': undefined } }],
  ]);
});

test("trace context in a Java header: Spring Boot's correlation column, Sleuth's `[app,trace,span]`, and brackets that only look like them", () => {
  const cases: Array<[string, { traceId?: string; spanId?: string; body?: string; header?: string }]> = [
    ['2026-11-24T10:00:00.123Z  INFO 1 --- [orders] [nio-8080-exec-1] [4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7] c.a.o.OrderController : order placed', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed', header: 'orders' }],
    ['2026-11-24T10:00:00.123Z  INFO 1 --- [orders] [nio-8080-exec-1] [                                                 ] c.a.o.OrderController : order placed', { body: 'order placed', header: 'orders' }],
    // Sleuth 3 and Spring Boot 3.0's documented `%5p [${spring.application.name:},%X{traceId:-},%X{spanId:-}]`; Sleuth 2's 64-bit ids and `exportable`.
    ['2026-11-24 10:00:00.123  INFO [orders,4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7] 1 --- [nio-8080-exec-1] c.a.o.OrderController : order placed', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed', header: 'orders' }],
    ['2026-11-24 10:00:00.123  INFO [orders,a3ce929d0e0e4736,00f067aa0ba902b7,true] 1 --- [main] c.a.o.OrderController : order placed', { traceId: '0000000000000000a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed', header: 'orders' }],
    ['2026-11-24 10:00:00.123  INFO [,a3ce929d0e0e4736,00f067aa0ba902b7] 1 --- [main] c.a.o.OrderController : order placed', { traceId: '0000000000000000a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed' }],
    // Sleuth outside any span: the application's name alone, a header field.
    ['2026-11-24 10:00:00.123  INFO [orders,,] 1 --- [main] c.a.o.OrderController : order placed', { body: 'order placed', header: 'orders' }],
    // An empty MDC column after the thread (`[%X{user}]`) is a field with nothing in it.
    ['2026-11-24 10:00:00,123 INFO [main] [] com.acme.Orders - order placed', { body: 'order placed' }],
    // OpenTelemetry's Python logging instrumentation (its default format); ids of 0 outside a span are none.
    ['2026-11-24 10:00:00,123 INFO [app.orders] [app.py:18] [trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 resource.service.name=orders trace_sampled=True] - order placed', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed' }],
    ['2026-11-24 10:00:00,123 INFO [app.orders] [app.py:15] [trace_id=0 span_id=0 resource.service.name=orders trace_sampled=False] - starting', { body: 'starting' }],
    // The same columns just before the ` - ` after a logger (`%c [%X{app},%X{traceId},%X{spanId}] - %m`).
    ['2026-11-24 10:00:00,123 INFO com.acme.Orders [orders,4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7] - order placed', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', body: 'order placed', header: 'orders' }],
    // Not trace context (neither writes these): an all-zero id, upper-case hex, a span too short.
    ['2026-11-24T10:00:00.123Z  INFO 1 --- [main] [00000000000000000000000000000000-00f067aa0ba902b7] c.a.o.OrderController : order placed', {}],
    ['2026-11-24 10:00:00.123  INFO [orders,A3CE929D0E0E4736,00F067AA0BA902B7] 1 --- [main] c.a.o.OrderController : order placed', {}],
    ['2026-11-24 10:00:00.123  INFO [orders,a3ce929d0e0e4736,00f067aa] 1 --- [main] c.a.o.OrderController : order placed', {}],
  ];
  for (const [line, want] of cases) {
    const r = parse(line, ctx);
    assert.equal(r.traceId, want.traceId, `${line}: trace id`);
    assert.equal(r.spanId, want.spanId, `${line}: span id`);
    if (want.body !== undefined) assert.equal(r.body, want.body, `${line}: body`);
    if (want.header !== undefined) assert.equal(r.attributes['log.header'], want.header, `${line}: header`);
  }
});

test('Python logging: the basicConfig default, the cookbook layout, gunicorn', () => {
  check('python', [
    ['WARNING:root:Watch out!', { time: null, level: 'WARNING', body: 'Watch out!', attributes: { 'log.logger': 'root' } }],
    ['ERROR:myapp.db:connection lost', { time: null, level: 'ERROR', body: 'connection lost', attributes: { 'log.logger': 'myapp.db' } }],
    ['2026-11-24 10:00:00,123 - myapp.db - INFO - connected to primary', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'connected to primary', attributes: { 'log.logger': 'myapp.db' } }],
    ['2026-11-24 10:00:00,123 - worker - ERROR - job 7 failed', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'job 7 failed', attributes: { 'log.logger': 'worker' } }],
    ['[2026-11-24 10:00:00 +0000] [1234] [INFO] Starting gunicorn 21.2.0', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', body: 'Starting gunicorn 21.2.0', attributes: { 'process.pid': '1234' } }],
  ]);
});

test("Node's uncaught `Error: boom` over its stack frames keeps `Error:` in the message, as `TypeError:` does; a bare `Error: x` line is still a level", () => {
  const stack = 'Error: boom\n    at f (/app/a.js:1:1)\n    at g (/app/a.js:2:2)';
  const r = parse(stack, ctx);
  assert.equal(r.body, stack);
  assert.equal(r.severityText, undefined, 'left to the builder to infer from the text');
  const typed = "TypeError: Cannot read properties of undefined (reading 'x')\n    at f (/app/a.js:1:1)";
  assert.equal(parse(typed, ctx).body, typed);
  check('level word', [
    ['Error: disk full', { level: 'ERROR', body: 'disk full' }],
    ['ERROR: disk full\n    at f (/app/a.js:1:1)', { level: 'ERROR', body: 'disk full\n    at f (/app/a.js:1:1)' }],
    ['Error: disk full\nthe next line', { level: 'ERROR', body: 'disk full\nthe next line' }],
  ]);
});

test('java.util.logging (Tomcat, Jetty): the record of two lines, and either line alone', () => {
  check('jul', [
    ['Dec 02, 2026 3:44:22 PM org.apache.catalina.startup.Catalina start\nINFO: Server startup in 1234 ms', { time: '2026-12-02T15:44:22.000Z', level: 'INFO', number: 9, body: 'Server startup in 1234 ms', attributes: { 'log.logger': 'org.apache.catalina.startup.Catalina', 'code.function.name': 'start' } }],
    ['Dec 02, 2026 3:44:23 AM c.e.Valve invoke\nSEVERE: failed\njava.lang.NullPointerException\n\tat c.e.F.b(F.java:1)', { time: '2026-12-02T03:44:23.000Z', level: 'SEVERE', number: 17, body: 'failed\njava.lang.NullPointerException\n\tat c.e.F.b(F.java:1)', attributes: { 'log.logger': 'c.e.Valve', 'code.function.name': 'invoke' } }],
    // Multiline assembly off: the stamp line alone, then the level line alone.
    ['Dec 02, 2026 3:44:22 PM org.apache.catalina.startup.Catalina start', { time: '2026-12-02T15:44:22.000Z', body: '', attributes: { 'log.logger': 'org.apache.catalina.startup.Catalina' } }],
    ['INFO: Server startup in 1234 ms', { level: 'INFO', body: 'Server startup in 1234 ms' }],
  ]);
});

test('Redis: pid and role before the stamp, a mark for the level', () => {
  check('redis', [
    ['1234:M 24 Nov 2026 10:00:00.123 * Ready to accept connections tcp', { time: '2026-11-24T10:00:00.123Z', level: 'NOTICE', number: 10, body: 'Ready to accept connections tcp', attributes: { 'process.pid': '1234', 'redis.role': 'master' } }],
    ['1234:C 24 Nov 2026 10:00:00.456 # WARNING overcommit_memory is set to 0!', { level: 'WARNING', number: 13, body: 'WARNING overcommit_memory is set to 0!', attributes: { 'redis.role': 'child' } }],
    // Redis before 4.0: no year in the stamp.
    ['7217:M 24 Nov 10:00:00.265 * Ready to accept connections', { time: '2026-11-24T10:00:00.265Z', level: 'NOTICE', body: 'Ready to accept connections', attributes: { 'process.pid': '7217', 'redis.role': 'master' } }],
    ['7:S 4 Nov 2026 10:00:00.789 - Accepted 10.0.0.1:5678', { time: '2026-11-04T10:00:00.789Z', level: 'DEBUG', body: 'Accepted 10.0.0.1:5678', attributes: { 'process.pid': '7' } }],
  ]);
  // Another mark after the stamp is the message's.
  assert.equal(parse('1234:M 24 Nov 2026 10:00:00.123 + plus', ctx).body, '+ plus');
});

test('MySQL and MariaDB: the error log of 8.0 (code and subsystem), of 5.7 and MariaDB, Note and System informational', () => {
  check('mysql', [
    ['2026-11-24T10:00:00.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.', { time: '2026-11-24T10:00:00.123Z', level: 'WARNING', number: 13, body: 'CA certificate ca.pem is self signed.', attributes: { 'thread.id': '0', 'log.logger': 'Server', 'log.header': 'MY-010068' } }],
    ['2026-11-24T10:00:00.123456Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections.', { level: 'SYSTEM', number: 9, body: '/usr/sbin/mysqld: ready for connections.' }],
    ['2026-11-24T10:00:00.123456Z 12 [ERROR] [MY-012574] [InnoDB] Unable to lock ./ibdata1 error: 11', { level: 'ERROR', number: 17, body: 'Unable to lock ./ibdata1 error: 11', attributes: { 'thread.id': '12', 'log.logger': 'InnoDB' } }],
    ['2026-11-24T10:00:00.123456Z 0 [Note] InnoDB: Buffer pool(s) load completed at 261124 10:00:00', { level: 'NOTE', number: 9, body: 'Buffer pool(s) load completed at 261124 10:00:00', attributes: { 'thread.id': '0', 'log.logger': 'InnoDB' } }],
    // 8.0.5 wrote no space between the level and the code; the Docker image's entrypoint writes no thread.
    ['2026-11-24T10:00:00.745356Z 0 [Warning][MY-010068] [Server] CA certificate ca.pem is self signed.', { level: 'WARNING', body: 'CA certificate ca.pem is self signed.', attributes: { 'thread.id': '0', 'log.logger': 'Server', 'log.header': 'MY-010068' } }],
    ['2026-11-24 10:00:00+00:00 [Note] [Entrypoint]: Temporary server started.', { time: '2026-11-24T10:00:00.000Z', level: 'NOTE', number: 9, body: 'Temporary server started.' }],
    // MariaDB: the hour space-padded.
    ['2026-11-24  9:30:05 0 [Note] InnoDB: Completed initialization of buffer pool', { time: '2026-11-24T09:30:05.000Z', level: 'NOTE', body: 'Completed initialization of buffer pool', attributes: { 'thread.id': '0', 'log.logger': 'InnoDB' } }],
  ]);
});

test("capnslog (etcd before 3.4), Jenkins' thread id, RabbitMQ's Erlang pid, Mosquitto's epoch and colon", () => {
  check('capnslog', [
    ['2026-11-24 10:00:00.123456 W | etcdserver: read-only range request took too long', { time: '2026-11-24T10:00:00.123Z', level: 'WARNING', body: 'read-only range request took too long', attributes: { 'log.logger': 'etcdserver' } }],
    ['2026-11-24 10:00:00.123456 I | mvcc: store.index: compact 123', { level: 'INFO', body: 'store.index: compact 123', attributes: { 'log.logger': 'mvcc' } }],
    ['2026-11-24 10:00:00.123456 N | embed: serving client requests on 127.0.0.1:2379', { level: 'NOTICE', body: 'serving client requests on 127.0.0.1:2379' }],
  ]);
  // A letter that is no capnslog level is text, as before.
  check('not capnslog', [['2026-11-24 10:00:00 X | y: z', { body: 'X | y: z' }]]);
  check('jenkins', [['2026-11-24 10:00:00.123+0000 [id=42]\tINFO\thudson.WebAppMain$3#run: Jenkins is fully up and running', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Jenkins is fully up and running', attributes: { 'thread.id': '42', 'log.logger': 'hudson.WebAppMain$3#run' } }]]);
  check('rabbitmq', [
    ['2026-11-24 10:00:00.123456+00:00 [info] <0.230.0> Server startup complete; 4 plugins started.', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Server startup complete; 4 plugins started.', attributes: { 'erlang.pid': '<0.230.0>' } }],
    ['2026-11-24 10:00:00.123 [error] <0.1.0>: not after a colon', { level: 'ERROR', body: '<0.1.0>: not after a colon' }],
  ]);
  check('mosquitto', [['1700000000: New connection from 10.0.0.1:5678 on port 1883.', { time: '2023-11-14T22:13:20.000Z', body: 'New connection from 10.0.0.1:5678 on port 1883.' }]]);
});

test("ClickHouse's server log; tracing's Rust targets as the logger", () => {
  check('clickhouse', [
    ['2026.12.02 14:54:51.741417 [ 20 ] {65ae8ab0-77d4-4f9b-afec-574dbddadf0d} <Debug> MemoryTracker: Peak memory usage (for query): 3.00 MiB.', { time: '2026-12-02T14:54:51.741Z', level: 'DEBUG', body: 'Peak memory usage (for query): 3.00 MiB.', attributes: { 'thread.id': '20', 'clickhouse.query_id': '65ae8ab0-77d4-4f9b-afec-574dbddadf0d', 'log.logger': 'MemoryTracker' } }],
    ['2026.12.02 14:54:51.740181 [ 20 ] {} <Information> default.t (Data): Loading data parts', { level: 'INFORMATION', number: 9, body: 'Loading data parts', attributes: { 'log.logger': 'default.t (Data)' } }],
    ['2026.12.02 14:54:51.321785 [ 1 ] {} <Information> : Starting ClickHouse 18.16.1 with revision 54412', { body: 'Starting ClickHouse 18.16.1 with revision 54412', attributes: { 'thread.id': '1' } }],
    ['2026.12.02 14:54:51.769453 [ 20 ] {} <Error> HTTPHandler: Code: 47, e.displayText() = DB::Exception: Unknown identifier: nosuchcol', { level: 'ERROR', body: 'Code: 47, e.displayText() = DB::Exception: Unknown identifier: nosuchcol', attributes: { 'log.logger': 'HTTPHandler' } }],
  ]);
  check('rust tracing', [
    ['2026-11-24T10:00:00.123456Z  INFO vector::app: Log level is enabled. level="info"', { level: 'INFO', body: 'Log level is enabled.', attributes: { 'log.logger': 'vector::app', level: 'info' } }],
    ['2026-11-24T10:00:00.123456Z ERROR hyper::server::conn: connection error', { level: 'ERROR', body: 'connection error', attributes: { 'log.logger': 'hyper::server::conn' } }],
  ]);
});

test("tracing's spans, fields and the lines that only look like its layout", () => {
  check('rust tracing', [
    // Vector's own log: a span with fields, then the target, the message and the event's fields.
    ['2026-11-24T10:00:00.123456Z  INFO source{component_kind="source" component_id=in component_type=file}: vector::sources::file: Starting file server. include=["/var/log/*.log"] exclude=[]', { body: 'Starting file server.', attributes: { 'tracing.spans': 'source', component_kind: 'source', component_id: 'in', component_type: 'file', 'log.logger': 'vector::sources::file', include: '["/var/log/*.log"]', exclude: '[]' } }],
    // A path and then a word: the path is the target, the rest the message (no span is a path).
    ['2026-11-24T10:00:00.123456Z  WARN my_app::db: retry: attempt 2', { body: 'retry: attempt 2', attributes: { 'log.logger': 'my_app::db', 'tracing.spans': undefined } }],
    // Two plain words: the span, then the target, as the layout writes them.
    ['2026-11-24T10:00:00.123456Z  INFO sweep: orders: swept expired carts expired=3', { body: 'swept expired carts', attributes: { 'tracing.spans': 'sweep', 'log.logger': 'orders', expired: '3' } }],
    // A target is a module path in lower case: a capitalised word or words with a space before a colon are the message.
    ['2026-11-24T10:00:00.123456Z ERROR Error: disk full', { level: 'ERROR', body: 'Error: disk full', attributes: { 'log.logger': undefined } }],
    ['2026-11-24T10:00:00.123456Z  WARN GET /x: slow', { level: 'WARN', body: 'GET /x: slow', attributes: { 'log.logger': undefined } }],
    // Spans without the target (`with_target(false)`); the thread's id alone.
    ['2026-11-24T10:00:00.123456Z DEBUG request{id=7}:db: query done', { body: 'query done', attributes: { 'tracing.spans': 'request:db', id: '7', 'log.logger': undefined } }],
    ['2026-11-24T10:00:00.123456Z  INFO ThreadId(03) orders: ready', { body: 'ready', attributes: { 'thread.id': '3', 'log.logger': 'orders' } }],
    // Rust's Debug quoting read back; a span field printed with spaces is left out, its span's name kept.
    ['2026-11-24T10:00:00.123456Z  INFO orders: said msg="a \\"b\\"\\n\\u{1f600}" n=1', { body: 'said', attributes: { msg: 'a "b"\n\u{1f600}', n: '1' } }],
    ['2026-11-24T10:00:00.123456Z ERROR task{error=connection refused}: orders: failed', { body: 'failed', attributes: { 'tracing.spans': 'task', error: undefined, 'log.logger': 'orders' } }],
    // The event's own field wins over a span's of the same name.
    ['2026-11-24T10:00:00.123456Z  INFO job{n=1}: orders: done n=2', { body: 'done', attributes: { n: '2' } }],
    // The same stamp and padded level before another layout: read as before.
    ['2026-11-24T10:00:00.123456Z  INFO [main] c.e.App - started', { body: 'started', attributes: { 'thread.name': 'main', 'log.logger': 'c.e.App' } }],
    ['2026-11-24T10:00:00.123456Z ERROR something broke', { level: 'ERROR', body: 'something broke', attributes: { 'log.logger': undefined } }],
  ]);
  // tracing-subscriber's JSON: the same record as its text.
  const json = '{"timestamp":"2026-11-24T10:00:00.123456Z","level":"INFO","fields":{"message":"swept expired carts","expired":3},"target":"orders","span":{"name":"sweep"},"spans":[{"name":"sweep"}],"threadName":"worker-1","threadId":"ThreadId(2)"}';
  const text = '2026-11-24T10:00:00.123456Z  INFO worker-1 ThreadId(02) sweep: orders: swept expired carts expired=3';
  const a = parse(json, ctx);
  const b = parse(text, ctx);
  assert.deepEqual([a.time, a.severityText, a.body, a.attributes], [b.time, b.severityText, b.body, b.attributes]);
  assert.deepEqual(b.attributes, { 'thread.name': 'worker-1', 'thread.id': '2', 'tracing.spans': 'sweep', 'log.logger': 'orders', expired: '3' });
});

test("winston's text formats: npm's levels, the entry's JSON after the message, printf's stamp and label; lines that only start alike", () => {
  check('winston', [
    ['info: listening {"port":3000,"service":"orders","timestamp":"2026-11-24T10:00:00.123Z"}', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'listening', attributes: { port: '3000' }, service: 'orders' }],
    ['http: GET /x 200', { level: 'HTTP', number: 7, body: 'GET /x 200' }],
    ['verbose:   pool stats', { level: 'VERBOSE', number: 6, body: 'pool stats' }],
    ['silly: tick {"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}', { level: 'SILLY', number: 1, body: 'tick', attributes: { trace_id: undefined } }],
    // The first ` {` from which the rest is one JSON object; a brace inside the message stays there.
    ['warn: got {a} and {"b":1}', { level: 'WARN', body: 'got {a} and', attributes: { b: '1' } }],
    ['info: payload {"a":1} received', { level: 'INFO', body: 'payload {"a":1} received', attributes: { a: undefined } }],
    ['error: pathspec \'x\' did not match any file(s) known to git', { level: 'ERROR', body: "pathspec 'x' did not match any file(s) known to git" }],
    // printf's `${timestamp} [${label}] ${level}: ${message}`, and without the label.
    ['2026-11-24T10:00:00.123Z [orders] error: boom', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'boom', attributes: { 'log.logger': 'orders', 'thread.name': undefined } }],
    ['2026-11-24 10:00:00 warn: disk 91% full', { time: '2026-11-24T10:00:00.000Z', level: 'WARN', body: 'disk 91% full' }],
    ['2026-11-24T10:00:00.123Z [api] http: GET /x 200', { level: 'HTTP', body: 'GET /x 200', attributes: { 'log.logger': 'api' } }],
    // .NET's console logger starts as winston does: its category and event id still read.
    ['info: Microsoft.Hosting.Lifetime[14]', { level: 'INFO', body: '', attributes: { 'log.logger': 'Microsoft.Hosting.Lifetime', 'event.id': '14' } }],
    // Not winston's: log4j's thread and upper-case level; Go's HTTP server's `http: ` prefix after a stamp (in the Go tests).
    ['2026-11-24 10:00:00 [main] INFO c.e.App - started', { level: 'INFO', body: 'started', attributes: { 'thread.name': 'main', 'log.logger': 'c.e.App' } }],
  ]);
  const trace = parse('silly: tick {"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}', ctx);
  assert.deepEqual([trace.traceId, trace.spanId], ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331']);
  assert.notEqual(parse('http://example.com/x is down', ctx).severityText, 'HTTP');
});

test("PHP's diagnostics: its error log's stamp in a named zone, the kinds as levels, the code location; php-fpm's pools and workers", () => {
  check('php', [
    ['[24-Nov-2026 10:00:00 UTC] PHP Parse error:  syntax error, unexpected token "}" in /var/www/html/x.php on line 7', { time: '2026-11-24T10:00:00.000Z', level: 'PARSE ERROR', number: 21, body: 'syntax error, unexpected token "}"', attributes: { 'code.file.path': '/var/www/html/x.php', 'code.line.number': '7' } }],
    ['[24-Nov-2026 07:00:00 America/Argentina/Buenos_Aires] PHP Recoverable fatal error:  Object of class Foo could not be converted to string in /srv/my app/a.php on line 12', { time: '2026-11-24T10:00:00.000Z', level: 'RECOVERABLE FATAL ERROR', number: 17, body: 'Object of class Foo could not be converted to string', attributes: { 'code.file.path': '/srv/my app/a.php' } }],
    ['PHP Fatal error:  Uncaught Error: Call to undefined function foo() in /app/index.php:3', { level: 'FATAL ERROR', body: 'Uncaught Error: Call to undefined function foo() in /app/index.php:3', attributes: { 'exception.type': 'Error', 'exception.message': 'Call to undefined function foo()', 'code.line.number': '3' } }],
    ['PHP Warning:  Module "redis" is already loaded in Unknown on line 0', { level: 'WARNING', body: 'Module "redis" is already loaded', attributes: { 'code.file.path': 'Unknown', 'code.line.number': '0' } }],
    // ` in ` inside the message: the file is after the last one.
    ['PHP Warning:  Division by zero in total() in /app/cart.php on line 14', { level: 'WARNING', body: 'Division by zero in total()', attributes: { 'code.file.path': '/app/cart.php', 'code.line.number': '14' } }],
    ['[24-Nov-2026 10:00:00] WARNING: [pool api] child 41 said into stderr: "NOTICE: PHP message: PHP Deprecated:  x() is deprecated in /a.php on line 2"', { level: 'DEPRECATED', number: 9, body: 'x() is deprecated', attributes: { 'php_fpm.pool': 'api', 'process.pid': '41' } }],
    ['[24-Nov-2026 10:00:00] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it', { level: 'WARNING', body: 'server reached pm.max_children setting (5), consider raising it', attributes: { 'php_fpm.pool': 'www', 'process.pid': undefined } }],
    // Not PHP's: a message that mentions one.
    ['[24-Nov-2026 10:00:00 UTC] deploy: PHP Warning:  seen in a message', { level: undefined, body: 'deploy: PHP Warning:  seen in a message' }],
  ]);
  // A word after `PHP ` is no diagnostic: the line stays whole, unmatched.
  assert.deepEqual(((r) => [r.body, r.severityText, r.fallback])(parse('PHP is great', ctx)), ['PHP is great', undefined, 'unmatched']);
});

test("pino-pretty: `(name/pid on host): ` after the level, the properties under the message or after it", () => {
  check('pino-pretty', [
    ['[2026-11-24 10:00:00.123 +0000] INFO (orders/1234 on web-1): request completed', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'request completed', attributes: { name: 'orders', pid: '1234' }, host: 'web-1' }],
    ['ERROR (1234): payment failed\n    orderId: 43\n    tags: [\n      "eu",\n      "card"\n    ]\n    ok: false', { level: 'ERROR', body: 'payment failed', attributes: { pid: '1234', orderId: '43', tags: '["eu","card"]', ok: 'false' } }],
    // A line under the message that is no property stays in the body, with every line after it.
    ['[10:00:00.123] WARN (7): odd\n    port: 80\n  free text\n    x: 1', { body: 'odd\n  free text\n    x: 1', attributes: { port: '80', x: undefined } }],
    // Not pino-pretty's: a thread in parentheses (JBoss), a word.
    ['2026-11-24 10:00:00,123 INFO  [org.x.Y] (main) started', { body: 'started', attributes: { 'thread.name': 'main', pid: undefined } }],
    ['2026-11-24 10:00:00 WARN (slow): disk', { body: '(slow): disk', attributes: { pid: undefined } }],
  ]);
});

test("Elixir's Logger: metadata pairs before a bracketed lower-case level", () => {
  check('elixir', [
    ['10:00:00.123 request_id=F3x9Qm2Lw8AAAAB [info] GET /orders/42', { level: 'INFO', body: 'GET /orders/42', attributes: { request_id: 'F3x9Qm2Lw8AAAAB' } }],
    ['2026-11-24 10:00:00.123 request_id=F3x user_id=7 [warning] slow', { time: '2026-11-24T10:00:00.123Z', level: 'WARNING', body: 'slow', attributes: { request_id: 'F3x', user_id: '7' } }],
    // A bracket that is no level after pairs stays in the message.
    ['10:00:00.123 job=sync [queue] started', { level: undefined, body: 'job=sync [queue] started', attributes: { job: undefined } }],
  ]);
});

test("terminal colours are dropped before a line is read; Flask's `LEVEL in module:`", () => {
  check('ansi', [
    ['\x1b[32m2026-11-24T10:00:00.123Z\x1b[0m \x1b[1;31mERROR\x1b[0m [main] c.a.App - failed', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'failed', attributes: { 'thread.name': 'main', 'log.logger': 'c.a.App' } }],
    ['127.0.0.1 - - [24/Nov/2026 10:00:00] "\x1b[33mGET /x HTTP/1.1\x1b[0m" 404 -', { level: 'WARN', attributes: { 'url.path': '/x', 'http.response.status_code': '404' }, body: '127.0.0.1 - - [24/Nov/2026 10:00:00] "GET /x HTTP/1.1" 404 -' }],
  ]);
  check('flask', [
    ['[2026-11-24 10:00:00,123] ERROR in app: Exception on /boom [GET]', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'Exception on /boom [GET]', attributes: { 'log.logger': 'app' } }],
    ['[2026-11-24 10:00:00,123] INFO in views.orders: order 42', { level: 'INFO', body: 'order 42', attributes: { 'log.logger': 'views.orders' } }],
    // `in` and a word without its colon is the message.
    ['2026-11-24 10:00:00 INFO in the morning: we start', { level: 'INFO', body: 'in the morning: we start' }],
  ]);
});

test('PostgreSQL: the default log_line_prefix (%m [%p]), LOG and DEBUG1-5 among its levels', () => {
  check('postgresql', [
    ['2026-11-24 10:00:00.123 UTC [4321] LOG:  checkpoint starting: time', { time: '2026-11-24T10:00:00.123Z', level: 'LOG', number: 9, body: 'checkpoint starting: time', attributes: { 'process.pid': '4321' } }],
    ['2026-11-24 10:00:00.123 UTC [4321] ERROR:  relation "orders" does not exist at character 15', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', number: 17, body: 'relation "orders" does not exist at character 15', attributes: { 'process.pid': '4321' } }],
    ['2026-11-24 10:00:00 UTC [4321] WARNING:  there is no transaction in progress', { time: '2026-11-24T10:00:00.000Z', level: 'WARNING', number: 13, body: 'there is no transaction in progress' }],
    ['2026-11-24 10:00:00.123 UTC [77] DEBUG2:  autovacuum: processing database "shop"', { time: '2026-11-24T10:00:00.123Z', level: 'DEBUG2', number: 6, body: 'autovacuum: processing database "shop"' }],
    ['2026-11-24 10:00:00.123 UTC [77] DEBUG5:  StartTransaction(1)', { level: 'DEBUG5', number: 5, body: 'StartTransaction(1)' }],
  ]);
  // A zone other than UTC after the stamp names the host's zone (the source's): passed over, so the pid is read.
  check('postgresql, local zone', [
    ['2026-11-24 10:00:00.123 CET [4321] LOG:  database system is ready', { time: '2026-11-24T09:00:00.123Z', level: 'LOG', body: 'database system is ready', attributes: { 'process.pid': '4321' } }],
    ['2026-11-24 10:00:00 EST [4321-3] app@shop ERROR:  x', { level: 'ERROR', body: 'x', attributes: { 'process.pid': '4321', 'user.name': 'app', 'db.namespace': 'shop' } }],
  ], { ...ctx, timeZone: 'Europe/Paris' });
  // A level after the stamp is no zone, and a zone's name is taken only where one can be.
  check('not a zone', [
    ['2026-11-24 10:00:00.123 ALERT [4321] disk full', { level: 'ALERT', body: 'disk full' }],
    ['2026-11-24 10:00:00.123 SET search_path TO app', { body: 'SET search_path TO app' }],
  ]);
  // The report joined with its parts by the multiline assembler: one message, the parts' prefixes gone.
  const report = '2026-11-24 10:00:00.123 UTC [4321] app@shop ERROR:  duplicate key value violates unique constraint "users_pkey"\n2026-11-24 10:00:00.123 UTC [4321] app@shop DETAIL:  Key (id)=(1) already exists.\n2026-11-24 10:00:00.123 UTC [4321] app@shop STATEMENT:  INSERT INTO users\n\tVALUES (1)';
  check('postgresql report', [[report, { level: 'ERROR', body: 'duplicate key value violates unique constraint "users_pkey"\nDETAIL:  Key (id)=(1) already exists.\nSTATEMENT:  INSERT INTO users\n\tVALUES (1)', attributes: { 'process.pid': '4321', 'user.name': 'app' } }]]);
});

test("Ruby's Logger (Rails) and Celery's default layouts", () => {
  check('ruby', [
    ['I, [2026-11-24T10:00:00.123456 #1234]  INFO -- : Started GET "/" for 127.0.0.1', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', number: 9, body: 'Started GET "/" for 127.0.0.1', attributes: { 'process.pid': '1234' } }],
    ['E, [2026-11-24T10:00:00.5 #77] ERROR -- billing: charge failed: card declined', { time: '2026-11-24T10:00:00.500Z', level: 'ERROR', number: 17, body: 'charge failed: card declined', attributes: { 'process.pid': '77', 'log.logger': 'billing' } }],
  ]);
  // Logger::UNKNOWN is written `ANY`: no severity.
  assert.equal(parse('A, [2026-11-24T10:00:00.000001 #1]   ANY -- : x', ctx).severityText, undefined);
  check('celery', [
    ['[2026-11-24 10:00:00,123: INFO/MainProcess] Connected to redis://localhost:6379/0', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', number: 9, body: 'Connected to redis://localhost:6379/0', attributes: { 'log.header': 'MainProcess' } }],
    ['[2026-11-24 10:00:00,123: ERROR/ForkPoolWorker-3] tasks.add[8c1e]: boom', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', number: 17, body: 'tasks.add[8c1e]: boom', attributes: { 'log.header': 'ForkPoolWorker-3' } }],
  ]);
});

test('Go: klog/glog, zap console and logrus text', () => {
  check('go', [
    ['I1129 05:00:00.123456    1234 controller.go:112] Starting workers count=4', { time: '2026-11-29T05:00:00.123Z', level: 'INFO', number: 9, body: 'Starting workers count=4', attributes: { 'thread.id': '1234', 'code.file.path': 'controller.go', 'code.line.number': '112' } }],
    ['E1128 23:59:59.000001  77 reflector.go:138] Failed to watch *v1.Pod: unauthorized', { time: '2026-11-28T23:59:59.000Z', level: 'ERROR', body: 'Failed to watch *v1.Pod: unauthorized' }],
    // klog's structured form (Kubernetes components): the quoted message is the body, the pairs attributes.
    ['I1129 05:00:00.123456       1 event.go:294] "Event occurred" object="default/web" kind="Deployment" message="Scaled up replica set web-5d to 1"', { level: 'INFO', body: 'Event occurred', attributes: { 'code.file.path': 'event.go', object: 'default/web', kind: 'Deployment', message: 'Scaled up replica set web-5d to 1' } }],
    ['E1129 05:00:00.123456       1 controller.go:329] "Reconciler error" err="the object has been \\"modified\\"" controller="pod"', { level: 'ERROR', body: 'Reconciler error', attributes: { err: 'the object has been "modified"', controller: 'pod' } }],
    ['I1129 05:00:00.123456       1 main.go:12] "quoted" then prose words', { body: '"quoted" then prose words' }],
    ['2026-11-24T10:00:00.123Z\tINFO\tserver/main.go:42\tserver started\t{"port": 8080}', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'server started', attributes: { 'code.file.path': 'server/main.go', 'code.line.number': '42', port: '8080' } }],
    ['time="2026-11-24T10:00:00Z" level=warning msg="disk almost full" path=/var', { time: '2026-11-24T10:00:00.000Z', level: 'WARNING', body: 'disk almost full', attributes: { path: '/var' } }],
    ['2026/11/24 10:00:00 http: TLS handshake error from 10.0.0.1:5000: EOF', { time: '2026-11-24T10:00:00.000Z', body: 'http: TLS handshake error from 10.0.0.1:5000: EOF' }],
  ]);
});

test("zap's console layout: a message of one word after the code location is the message, not a logger", () => {
  const line = '2026-11-24T10:00:00.123Z\tINFO\tserver/main.go:42\tstarting\t{"port": 8080}';
  check('zap', [[line, { level: 'INFO', body: 'starting', attributes: { 'code.file.path': 'server/main.go', port: '8080' } }]]);
  assert.equal(parse(line, ctx).attributes['log.logger'], undefined);
  // With a named logger, zap writes it before the code location.
  check('zap', [['2026-11-24T10:00:00.123Z\tWARN\thttp\tserver/main.go:42\tslow\t{"ms": 900}', { level: 'WARN', body: 'slow', attributes: { 'log.logger': 'http', 'code.file.path': 'server/main.go', ms: '900' } }]]);
});

test("Kafka's and ZooKeeper's log4j layouts, Elasticsearch's text log", () => {
  check('kafka', [
    // `[%d] %p %m (%c)%n`: the logger in parentheses at the end (a class, or a name ending in `logger`).
    ['[2026-11-24 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'started', attributes: { 'log.logger': 'kafka.server.KafkaServer', 'log.context': 'KafkaServer id=1' } }],
    ['[2026-11-24 10:00:00,123] TRACE [Controller id=1 epoch=3] Sending UpdateMetadata request (state.change.logger)', { level: 'TRACE', body: 'Sending UpdateMetadata request', attributes: { 'log.logger': 'state.change.logger', 'log.context': 'Controller id=1 epoch=3' } }],
    // Parentheses that hold no logger stay in the message.
    ['[2026-11-24 10:00:00,123] INFO Reading configuration (server.properties)', { level: 'INFO', body: 'Reading configuration (server.properties)' }],
    ['[2026-11-24 10:00:00,123] INFO Connected to (broker1.example.com)', { level: 'INFO', body: 'Connected to (broker1.example.com)' }],
  ]);
  check('zookeeper', [
    ['2026-11-24 10:00:00,123 [myid:1] - INFO  [main:QuorumPeerMain@132] - Starting quorum peer', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Starting quorum peer', attributes: { 'thread.name': 'main', 'log.logger': 'QuorumPeerMain', 'code.line.number': '132', 'log.header': 'myid:1' } }],
    ['2026-11-24 10:00:00,123 [myid:] - WARN  [QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled):QuorumPeer@1374] - Unexpected exception', { level: 'WARN', body: 'Unexpected exception', attributes: { 'thread.name': 'QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled)', 'log.logger': 'QuorumPeer', 'code.line.number': '1374' } }],
  ]);
  check('elasticsearch', [
    ['[2026-11-24T10:00:00,123][INFO ][o.e.n.Node               ] [node-1] started', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'started', attributes: { 'log.logger': 'o.e.n.Node', 'thread.name': 'node-1' } }],
    ['[2026-11-24T10:00:00,123][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark exceeded', { level: 'WARN', body: 'high disk watermark exceeded', attributes: { 'log.logger': 'o.e.c.r.a.DiskThresholdMonitor' } }],
  ]);
});

test("Rust's env_logger, MongoDB's text log before 4.4, .NET's console logger", () => {
  check('env_logger', [
    ['[2026-11-24T10:00:00Z INFO  my_crate::server] listening on 0.0.0.0:3000', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', number: 9, body: 'listening on 0.0.0.0:3000', attributes: { 'log.logger': 'my_crate::server' } }],
    ['[2026-11-24T10:00:00Z WARN  api] slow request', { level: 'WARN', body: 'slow request', attributes: { 'log.logger': 'api' } }],
    ['[2026-11-24T10:00:00.123Z ERROR hyper::server] connection error: broken pipe', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'connection error: broken pipe', attributes: { 'log.logger': 'hyper::server' } }],
  ]);
  check('mongodb', [
    ['2026-11-24T10:00:00.123+0000 I NETWORK  [listener] connection accepted from 127.0.0.1:51234 #1 (1 connection now open)', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', number: 9, body: 'connection accepted from 127.0.0.1:51234 #1 (1 connection now open)', attributes: { 'log.logger': 'NETWORK', 'thread.name': 'listener' } }],
    ['2026-11-24T10:00:00.123+0100 W STORAGE  [initandlisten] Detected unclean shutdown', { time: '2026-11-24T09:00:00.123Z', level: 'WARN', body: 'Detected unclean shutdown', attributes: { 'log.logger': 'STORAGE', 'thread.name': 'initandlisten' } }],
    ['2026-11-24T10:00:00.123+0000 D1 COMMAND  [conn12] run command admin.$cmd { ping: 1 }', { level: 'DEBUG', body: 'run command admin.$cmd { ping: 1 }', attributes: { 'log.logger': 'COMMAND', 'thread.name': 'conn12' } }],
    ['2026-11-24T10:00:00.123+0000 I -        [main] MongoDB starting', { level: 'INFO', body: 'MongoDB starting', attributes: { 'thread.name': 'main' } }],
  ]);
  check('dotnet', [
    ['info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://localhost:5000', { level: 'INFO', number: 9, body: 'Now listening on: http://localhost:5000', attributes: { 'log.logger': 'Microsoft.Hosting.Lifetime', 'event.id': '14' } }],
    ['fail: Microsoft.AspNetCore.Server.Kestrel[13]\n      Connection id "0HN1", Request id "0HN1:00000001": An unhandled exception was thrown.\n      System.InvalidOperationException: boom\n         at App.Run()', { level: 'FAIL', number: 17, body: 'Connection id "0HN1", Request id "0HN1:00000001": An unhandled exception was thrown.\nSystem.InvalidOperationException: boom\n   at App.Run()', attributes: { 'log.logger': 'Microsoft.AspNetCore.Server.Kestrel', 'event.id': '13' } }],
    ['dbug: App.Worker[0]\n      tick', { level: 'DBUG', number: 5, body: 'tick' }],
    // Lines written without the indent (an exception's own text) stay as they are.
    ['fail: App.Middleware[1]\n      An unhandled exception has occurred.\nSystem.InvalidOperationException: boom\n   at App.Run()', { level: 'FAIL', body: 'An unhandled exception has occurred.\nSystem.InvalidOperationException: boom\n   at App.Run()' }],
    // SingleLine, and after a TimestampFormat (`yyyy-MM-dd HH:mm:ss `, `HH:mm:ss `): written from the formatter's
    // source (SimpleConsoleFormatter), not run here.
    ['info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000', { level: 'INFO', body: 'Now listening on: http://localhost:5000', attributes: { 'log.logger': 'Microsoft.Hosting.Lifetime', 'event.id': '14' } }],
    ['2026-11-24 10:00:00 warn: App.Cache[7] cache miss rate 40%', { time: '2026-11-24T10:00:00.000Z', level: 'WARN', body: 'cache miss rate 40%', attributes: { 'log.logger': 'App.Cache', 'event.id': '7' } }],
    ['10:00:00 fail: App.Jobs[3]\n      job failed', { level: 'FAIL', body: 'job failed', attributes: { 'log.logger': 'App.Jobs' } }],
  ]);
});

test("PHP's Monolog (Laravel, Symfony), pm2's time prefix, Airflow's code location in braces", () => {
  check('monolog', [
    ['[2026-11-24 10:00:00] production.ERROR: Undefined variable $x {"exception":"[object] (ErrorException(code: 0): Undefined variable $x at /app/x.php:3)"} ', { time: '2026-11-24T10:00:00.000Z', level: 'ERROR', number: 17, body: 'Undefined variable $x', attributes: { 'log.logger': 'production', exception: '[object] (ErrorException(code: 0): Undefined variable $x at /app/x.php:3)' } }],
    // Context, then extra: `[]` when empty; nested values as JSON; the context's keys win.
    ['[2026-11-24T10:00:00.123456+00:00] app.WARNING: Payment slow {"order":42,"user":{"id":7}} []', { time: '2026-11-24T10:00:00.123Z', level: 'WARNING', body: 'Payment slow', attributes: { 'log.logger': 'app', order: '42', user: '{"id":7}' } }],
    ['[2026-11-24T10:00:00.123456+00:00] request.INFO: Matched route "home". {"route":"home","uid":"ctx"} {"uid":"abc","pid":9}', { level: 'INFO', body: 'Matched route "home".', attributes: { 'log.logger': 'request', route: 'home', uid: 'ctx', pid: '9' } }],
    ['[2026-11-24 10:00:00] local.DEBUG: plain [] []', { level: 'DEBUG', body: 'plain', attributes: { 'log.logger': 'local' } }],
    ['[2026-11-24 10:00:00] local.INFO: extra only [] {"uid":"u1"}', { level: 'INFO', body: 'extra only', attributes: { uid: 'u1' } }],
    // A message that ends in braces which are not JSON keeps them.
    ['[2026-11-24 10:00:00] app.INFO: template {name} rendered', { level: 'INFO', body: 'template {name} rendered' }],
  ]);
  check('pm2', [
    ['2026-11-24T10:00:00: listening on 3000', { time: '2026-11-24T10:00:00.000Z', body: 'listening on 3000' }],
    ['2026-11-24T10:00:00: ERROR connection refused', { level: 'ERROR', body: 'connection refused' }],
  ]);
  check('airflow', [
    ['[2026-11-24T10:00:00.123+0000] {taskinstance.py:1234} INFO - Marking task as SUCCESS. dag_id=etl', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Marking task as SUCCESS. dag_id=etl', attributes: { 'code.file.path': 'taskinstance.py', 'code.line.number': '1234' } }],
    // As its UI shows a task's log (and Cloud Composer stores it): a comma after the date.
    ['[2023-10-09, 06:44:19 UTC] {taskinstance.py:1398} INFO - Marking task as SUCCESS. dag_id=my_dag', { time: '2023-10-09T06:44:19.000Z', level: 'INFO', body: 'Marking task as SUCCESS. dag_id=my_dag', attributes: { 'code.file.path': 'taskinstance.py', 'code.line.number': '1398' } }],
  ]);
});

test("the Datadog Agent's pipes, Dropwizard's bracketed time, and what `date` prints", () => {
  check('datadog', [
    ['2025-05-04 00:33:47 UTC | CORE | INFO | (pkg/collector/worker/check_logger.go:59 in CheckFinished) | check:cpu | Done running check', { time: '2025-05-04T00:33:47.000Z', level: 'INFO', body: 'Done running check', attributes: { 'log.logger': 'CORE', 'code.file.path': 'pkg/collector/worker/check_logger.go', 'code.line.number': '59', 'code.function.name': 'CheckFinished', check: 'cpu' } }],
    ['2019-10-09 14:10:58 UTC | CORE | WARN | (pkg/logs/input/container/launcher.go:51 in NewLauncher) | Could not setup the docker launcher: Cannot connect', { level: 'WARN', body: 'Could not setup the docker launcher: Cannot connect', attributes: { 'code.function.name': 'NewLauncher' } }],
    // loguru's pipes are untouched: a message in parentheses stays the message.
    ['2026-11-24 10:00:00.123 | INFO | (retry 2) done', { level: 'INFO', body: '(retry 2) done' }],
  ]);
  check('dropwizard', [
    ['WARN  [2026-11-24 10:00:00,123] org.eclipse.jetty.server.HttpChannel: /api/orders', { time: '2026-11-24T10:00:00.123Z', level: 'WARN', body: '/api/orders', attributes: { 'log.logger': 'org.eclipse.jetty.server.HttpChannel' } }],
    ['INFO  [2026-11-24 10:00:00,123] [dw-42 - GET /x] com.example.Api: served', { time: '2026-11-24T10:00:00.123Z', body: 'served', attributes: { 'thread.name': 'dw-42 - GET /x', 'log.logger': 'com.example.Api' } }],
    // A bracketed number after the level is still a pid, not a time.
    ['ERROR [1234] worker stopped', { time: null, level: 'ERROR', body: 'worker stopped', attributes: { 'process.pid': '1234' } }],
  ]);
  check('date', [
    ['Sat Jul 20 13:38:44 UTC 2024 backup started', { time: '2024-07-20T13:38:44.000Z', body: 'backup started' }],
    ['Tue Nov 24 10:00:00 +0100 2026 rotated', { time: '2026-11-24T09:00:00.000Z', body: 'rotated' }],
  ]);
  // Any other abbreviation names the host's zone: the source's time zone reads it.
  check('date in the host zone', [['Tue Nov 24 10:00:00 CET 2026 rotated', { time: '2026-11-24T09:00:00.000Z', body: 'rotated' }]], { ...ctx, timeZone: 'Europe/Berlin' });
});

test('Android logcat, threadtime and brief', () => {
  check('logcat', [
    ['11-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}}', { time: '2026-11-17T16:13:38.811Z', level: 'DEBUG', body: 'printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}}', attributes: { 'process.pid': '1702', 'thread.id': '2395', 'log.logger': 'WindowManager' } }],
    ['11-24 10:00:00.123 E/AndroidRuntime( 4321): FATAL EXCEPTION: main', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'FATAL EXCEPTION: main', attributes: { 'log.logger': 'AndroidRuntime', 'process.pid': '4321' } }],
    ['W/ActivityManager(  512): Unable to start service Intent', { time: null, level: 'WARN', body: 'Unable to start service Intent', attributes: { 'log.logger': 'ActivityManager', 'process.pid': '512' } }],
  ]);
});

test('HDFS-style yyMMdd HHmmss pid LEVEL class: msg, and fields before the stamp (BGL, HPC)', () => {
  check('hdfs', [
    ['081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating', { time: '2008-11-09T20:36:15.000Z', level: 'INFO', body: 'PacketResponder 1 for block blk_38865049064139660 terminating', attributes: { 'process.pid': '148', 'log.logger': 'dfs.DataNode$PacketResponder' } }],
    ['081111 081629 19 WARN dfs.FSDataset: Unexpected error trying to delete block blk_-2012154052725261337. BlockInfo not found in volumeMap.', { time: '2008-11-11T08:16:29.000Z', level: 'WARN', body: 'Unexpected error trying to delete block blk_-2012154052725261337. BlockInfo not found in volumeMap.' }],
    ['- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected', { time: '2005-06-03T22:42:50.000Z', level: 'INFO', body: 'instruction cache parity error corrected' }],
    ['KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt', { time: '2005-06-12T00:32:07.000Z', level: 'FATAL', body: 'data TLB error interrupt' }],
    ['134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component is in the unavailable state (HWID=1973)', { time: '2004-02-26T14:12:22.000Z', body: 'Component State Change: Component is in the unavailable state (HWID=1973)' }],
    ['2568643 node-70 action start 1074119817 1 clusterAddMember  (command 1902)', { time: '2004-01-14T22:36:57.000Z', body: 'clusterAddMember  (command 1902)' }],
    // Unpadded fields; after a colon the fraction is a count of milliseconds.
    ['20171223-22:16:0:5|Step_LSC|30002312|onStandStepChanged 3579', { time: '2017-12-23T22:16:00.005Z', body: 'onStandStepChanged 3579' }],
    ['[10.30 16:49:06] chrome.exe *64 - proxy.example.com:5070 open through proxy proxy.example.com:5070 HTTPS', { time: '2026-10-30T16:49:06.000Z', body: 'proxy.example.com:5070 open through proxy proxy.example.com:5070 HTTPS', attributes: { 'log.logger': 'chrome.exe *64' } }],
    ['20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579', { time: '2017-12-23T22:15:29.606Z', body: 'onStandStepChanged 3579', attributes: { 'log.logger': 'Step_LSC', 'process.pid': '30002312' } }],
    ['[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', { time: '2026-10-30T16:49:06.000Z', body: 'proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', attributes: { 'log.logger': 'chrome.exe' } }],
  ]);
});

test('a syslog line behind header fields of its own (Thunderbird): its host, tag and pid are header fields, the first stamp stays the time', () => {
  check('syslog behind', [
    ['- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root', { time: '2005-11-09T20:01:01.000Z', body: 'session closed for user root', host: 'dn228/dn228', attributes: { 'syslog.appname': 'crond(pam_unix)', 'syslog.procid': '2915' } }],
    ['- 1131566462 2005.11.09 tbird-admin1 Nov 10 12:01:02 local@tbird-admin1 /apps/x86_64/system/ganglia-3.0.1/sbin/gmetad[1682]: data_thread() got not answer from any [Thunderbird_A8] datasource', { time: '2005-11-09T20:01:02.000Z', body: 'data_thread() got not answer from any [Thunderbird_A8] datasource', attributes: { 'syslog.appname': '/apps/x86_64/system/ganglia-3.0.1/sbin/gmetad' } }],
    ['- 1131566463 2005.11.09 dn261 Nov  9 12:01:03 dn261/dn261 kernel: ACPI: PCI Interrupt 0000:00:1f.1[A] -> GSI 18 (level, low) -> IRQ 185', { time: '2005-11-09T20:01:03.000Z', body: 'ACPI: PCI Interrupt 0000:00:1f.1[A] -> GSI 18 (level, low) -> IRQ 185', attributes: { 'syslog.appname': 'kernel' } }],
    // A text header whose message only starts like a month: left as it was.
    ['- 1131566464 2005.11.09 dn228 Dec 2 retries left', { time: '2005-11-09T20:01:04.000Z', body: 'Dec 2 retries left' }],
  ]);
});

test('Windows CBS: yyyy-MM-dd HH:mm:ss, Level  Component  msg', () => {
  check('cbs', [
    ['2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\cbscore.dll', { time: '2016-09-28T04:30:30.000Z', level: 'INFO', body: 'Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\cbscore.dll', attributes: { 'log.logger': 'CBS' } }],
    ['2016-09-28 04:30:31, Error                 CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize failed', { time: '2016-09-28T04:30:31.000Z', level: 'ERROR', body: '00000001@2016/9/27:20:30:31.455 WcpInitialize failed', attributes: { 'log.logger': 'CSI' } }],
  ]);
});

test('epoch-prefixed lines, seconds and milliseconds', () => {
  check('epoch', [
    ['1700000000 INFO backup finished', { time: '2023-11-14T22:13:20.000Z', level: 'INFO', body: 'backup finished' }],
    ['1700000000.250 WARN clock skew detected', { time: '2023-11-14T22:13:20.250Z', level: 'WARN', body: 'clock skew detected' }],
    ['1700000000123 checkpoint written', { time: '2023-11-14T22:13:20.123Z', body: 'checkpoint written' }],
  ]);
});

test('container runtime wrappers: CRI and Docker json-file, whose inner line is parsed again', () => {
  check('container', [
    ['2026-11-24T10:00:00.123456789Z stdout F 2026-11-24 10:00:00,120 ERROR [main] com.example.App - boom', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: 'boom', attributes: { 'log.iostream': 'stdout', 'log.logger': 'com.example.App' } }],
    ['2026-11-24T10:00:01.5+00:00 stderr P {"level":"error","msg":"first part"}', { time: '2026-11-24T10:00:01.500Z', level: 'ERROR', body: 'first part', attributes: { 'log.iostream': 'stderr', 'log.partial': 'true' } }],
    ['{"log":"I1124 10:00:00.000000       1 main.go:10] ready\\n","stream":"stderr","time":"2026-11-24T10:00:00.5Z"}', { time: '2026-11-24T10:00:00.500Z', level: 'INFO', body: 'ready', attributes: { 'log.iostream': 'stderr', 'code.file.path': 'main.go' } }],
    ['{"log":"plain words from a container\\n","stream":"stdout","time":"2026-11-24T10:00:02Z"}', { time: '2026-11-24T10:00:02.000Z', body: 'plain words from a container', attributes: { 'log.iostream': 'stdout' } }],
  ]);
});

test('journald JSON export: journal time, PRIORITY unless the app wrote a level, host and unit', () => {
  check('journald', [
    ['{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795514400123456","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"nginx","_PID":"812","_SYSTEMD_UNIT":"nginx.service","MESSAGE":"worker process exited on signal 11"}', { time: '2026-11-24T10:00:00.123Z', level: 'ERR', number: 17, body: 'worker process exited on signal 11', host: 'web-1', service: undefined, attributes: { 'systemd.unit': 'nginx.service', 'process.pid': '812', 'syslog.appname': 'nginx' } }],
    ['{"__REALTIME_TIMESTAMP":"1795514400000000","PRIORITY":"6","MESSAGE":"2026-11-24 10:00:00,000 WARN [main] a.B - slow start"}', { time: '2026-11-24T10:00:00.000Z', level: 'WARN', body: 'slow start' }],
  ]);
  assert.equal(parse('{"__CURSOR":"c","MESSAGE":[104,105,255]}', ctx).body, 'hi\uFFFD');
});

test('a line no format matches is kept whole and marked, and bad bytes never throw', () => {
  for (const line of ['just some words', '   indented continuation', '{not json', '\uFFFD\uFFFD\u0000\u0001 garbage', 'x'.repeat(100_000), '[', '<', '-', '2026-']) {
    const r = parse(line, ctx);
    assert.equal(r.body, line);
    assert.equal(r.time, undefined);
    assert.equal(r.fallback, 'unmatched', JSON.stringify(line.slice(0, 40)));
  }
});

test('a stamp of a known shape with an impossible date falls back whole, marked bad_time', () => {
  for (const line of ['2026-13-45 10:00:00 INFO month thirteen', '2026-02-30T10:00:00Z ERROR no such day', '081399 203615 148 INFO dfs.X: bad month', 'Feb 30 10:00:00 h app: never']) {
    const r = parse(line, ctx);
    assert.equal(r.body, line);
    assert.equal(r.time, undefined);
    assert.equal(r.severityText, undefined);
    assert.equal(r.fallback, 'bad_time', line);
  }
});

test('zone-less stamps are read in the source time zone', () => {
  const berlin = { now: ctx.now, timeZone: 'Europe/Berlin' };
  assert.equal(new Date(parse('2026-11-24 10:00:00,000 INFO x', berlin).time!).toISOString(), '2026-11-24T09:00:00.000Z');
  assert.equal(new Date(parse('2026-07-24 10:00:00,000 INFO x', berlin).time!).toISOString(), '2026-07-24T08:00:00.000Z');
  // An offset in the line wins over the setting.
  assert.equal(new Date(parse('2026-11-24T10:00:00Z INFO x', berlin).time!).toISOString(), '2026-11-24T10:00:00.000Z');
});

test('bracketed request ids of every form, beside thread names that are not', () => {
  // Only tokens starting with r, t or c, or 36 long, are tried against the request-id pattern.
  const at = (inside: string) => `2026-11-24 10:00:00,123 INFO [${inside}] com.x.Y - msg`;
  const ids = ['req-12', 'Request_7', 'TRACE9', 'txn42', 'Tx-1', 'corr=7', 'Correlation-0a', 'deadbeef-dead-beef-dead-beefdeadbeef', '0123abcd-0000-4000-8000-00000000abcd'];
  for (const id of ids) {
    const r = parse(at(id), ctx);
    assert.equal(r.attributes['request.id'], id, id);
    assert.equal(r.attributes['thread.name'], undefined, id);
    assert.equal(r.body, 'msg', id);
  }
  for (const thread of ['worker-7', 'main', 'pool-1-thread-2', 'Timer-0']) {
    const r = parse(at(thread), ctx);
    assert.equal(r.attributes['thread.name'], thread, thread);
    assert.equal(r.attributes['request.id'], undefined, thread);
  }
});

test('tab-separated header fields: the next tab is found again after a look-ahead came back', () => {
  // The header scan remembers where the next tab is; a look-ahead for a level (fieldsThenLevel)
  // passes the tabs and finds none, and the scan then reads the same fields again from behind them.
  const cases: Array<[string, string, string]> = [
    ['- 1117838570 2005.06.03 R02-M1-N0\t4567\tcache parity error corrected', 'cache parity error corrected', '- 2005.06.03 R02-M1-N0 4567'],
    ['- 1117838570 2005.06.03 R02-M1-N0 4567\tR02-M1-N1\tinstruction cache parity error corrected', 'instruction cache parity error corrected', '- 2005.06.03 R02-M1-N0 4567 R02-M1-N1'],
  ];
  for (const [line, body, header] of cases) {
    for (let round = 0; round < 2; round++) {
      const r = parse(line, ctx);
      assert.equal(r.body, body, line);
      assert.equal(r.attributes['log.header'], header, line);
    }
  }
});

test('a dotted logger name, then a token of the same length that is none, then the logger again', () => {
  // Whether a token is a dotted name is remembered for the last token asked about; only the same
  // characters may reuse the answer.
  const lines: Array<[string, string | undefined, string]> = [
    ['2026-11-24 10:00:00 INFO com.x.Y - msg one', 'com.x.Y', 'msg one'],
    ['2026-11-24 10:00:00 INFO com.x+Y - msg two', undefined, 'com.x+Y - msg two'],
    ['2026-11-24 10:00:00 INFO com.x.Y - msg three', 'com.x.Y', 'msg three'],
    ['2026-11-24 10:00:00 INFO com.x.Z - msg four', 'com.x.Z', 'msg four'],
    ['2026-11-24 10:00:00 INFO com.x+Y - msg five', undefined, 'com.x+Y - msg five'],
  ];
  for (const [line, logger, body] of lines) {
    const r = parse(line, ctx);
    assert.equal(r.attributes['log.logger'], logger, line);
    assert.equal(r.body, body, line);
  }
});

test('brackets: nested, unclosed, and closed beyond 256 characters', () => {
  const long = `2026-11-24 10:00:00 INFO [${'t'.repeat(300)}] msg`;
  assert.equal(parse(long, ctx).attributes['thread.name'], undefined);
  const nested = parse('2026-11-24 10:00:00 INFO [QuorumPeer[myid=1]/0.0.0.0:2181] o.a.z.Server: started', ctx);
  assert.equal(nested.attributes['thread.name'], 'QuorumPeer[myid=1]/0.0.0.0:2181');
  assert.equal(nested.body, 'started');
  assert.equal(parse('2026-11-24 10:00:00 INFO [main msg', ctx).body, '[main msg');
});

test('stamps before logfmt, journalctl short-iso, PostgreSQL as Debian configures it, zap in production, werkzeug', () => {
  check('stamp then logfmt', [
    // `kubectl logs --timestamps` in front of a logfmt line: the stamp is the time, the pairs are read.
    ['2026-11-24T10:00:00.123456789Z ts=2026-11-24T09:59:59.9Z caller=main.go:1 level=warn msg="slow disk"', { time: '2026-11-24T10:00:00.123Z', level: 'WARN', body: 'slow disk', attributes: { 'code.file.path': 'main.go', 'code.line.number': '1' } }],
    ['2026-11-24T10:00:00.123Z level=INFO source=main.go:12 msg="slog default"', { level: 'INFO', body: 'slog default', attributes: { 'code.file.path': 'main.go', 'code.line.number': '12' } }],
    // One `=` in a text message is not logfmt.
    ['2026-11-24T10:00:00Z a=b is a message', { time: '2026-11-24T10:00:00.000Z', body: 'a=b is a message' }],
  ]);
  // Sidekiq: pairs without a level or message key, then `LEVEL: msg`: a header of pairs, not logfmt.
  check('sidekiq', [
    ['2026-11-24T10:00:00.123Z pid=1234 tid=2abc class=HardWorker jid=b4a577edbccf1d805744efa9 INFO: start', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'start', attributes: { pid: '1234', tid: '2abc', class: 'HardWorker', jid: 'b4a577edbccf1d805744efa9' } }],
    ['2026-11-24T10:00:00.123Z pid=1234 tid=2abc class=HardWorker jid=b4a577edbccf1d805744efa9 elapsed=0.001 INFO: done', { level: 'INFO', body: 'done', attributes: { elapsed: '0.001' } }],
  ]);
  check('journalctl -o short-iso', [
    ['2026-11-24T10:00:00+0100 web-1 sshd[1234]: Accepted publickey for root', { time: '2026-11-24T09:00:00.000Z', body: 'Accepted publickey for root', host: 'web-1', attributes: { 'syslog.appname': 'sshd', 'syslog.procid': '1234' } }],
    ['2026-11-24T10:00:00.123456+0000 web-1 systemd[1]: Started x.service.', { time: '2026-11-24T10:00:00.123Z', body: 'Started x.service.', host: 'web-1' }],
  ]);
  check('postgresql %m [%p] %q%u@%d', [
    ['2026-11-24 10:00:00.123 UTC [4321] app@shop ERROR:  relation "x" does not exist', { level: 'ERROR', body: 'relation "x" does not exist', attributes: { 'process.pid': '4321', 'user.name': 'app', 'db.namespace': 'shop' } }],
    ['2026-11-24 10:00:00.123 UTC [4321] [unknown]@[unknown] LOG:  connection received: host=10.0.0.1 port=5555', { level: 'LOG', body: 'connection received: host=10.0.0.1 port=5555', attributes: { 'process.pid': '4321', /* absent: */ 'user.name': undefined } }],
    // `%t [%p-%l] %q%u@%d `: the session's line number goes to log.header.
    ['2026-11-24 10:00:00 UTC [4321-1] postgres@postgres FATAL:  password authentication failed for user "postgres"', { level: 'FATAL', body: 'password authentication failed for user "postgres"', attributes: { 'process.pid': '4321', 'db.namespace': 'postgres', 'log.header': '1' } }],
  ]);
  check('zap production console', [
    ['2026-11-24T10:00:00.123Z\tinfo\tserver/main.go:12\tstarted\t{"port": 8080}', { level: 'INFO', body: 'started', attributes: { 'code.file.path': 'server/main.go', port: '8080' } }],
    ['2026-11-24T10:00:00.123Z\terror\tcmd/run.go:40\tfailed to start', { level: 'ERROR', number: 17, body: 'failed to start' }],
  ]);
  check('werkzeug and nginx time_iso8601', [
    ['127.0.0.1 - - [24/Nov/2026 10:00:00] "GET / HTTP/1.1" 200 -', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', body: '127.0.0.1 - - [24/Nov/2026 10:00:00] "GET / HTTP/1.1" 200 -', attributes: { 'url.path': '/' } }],
    ['10.0.0.1 - - [2026-11-24T10:00:00+02:00] "GET /x HTTP/1.1" 404 12 "-" "curl/8"', { time: '2026-11-24T08:00:00.000Z', level: 'WARN', body: '10.0.0.1 - - [2026-11-24T10:00:00+02:00] "GET /x HTTP/1.1" 404 12 "-" "curl/8"' }],
  ]);
  // Without an offset an access line's time is read in the source's zone.
  check('access line in the host zone', [['127.0.0.1 - - [24/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 5', { time: '2026-11-24T09:00:00.000Z', body: '127.0.0.1 - - [24/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 5' }]], { ...ctx, timeZone: 'Europe/Berlin' });
});

test("JBoss, WildFly, Quarkus and Keycloak; Envoy's log and access log; Minecraft's [thread/LEVEL]", () => {
  check('jboss', [
    ['2026-11-24 10:00:00,123 INFO  [org.keycloak.services] (main) KC-SERVICES0050: Initializing master realm', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'KC-SERVICES0050: Initializing master realm', attributes: { 'log.logger': 'org.keycloak.services', 'thread.name': 'main' } }],
    ['10:00:00,123 INFO  [org.jboss.as] (MSC service thread 1-1) WFLYSRV0049: WildFly starting', { level: 'INFO', body: 'WFLYSRV0049: WildFly starting', attributes: { 'log.logger': 'org.jboss.as', 'thread.name': 'MSC service thread 1-1' } }],
    ['2026-11-24 10:00:00,123 INFO  [stdout] (default task-1) hello', { body: 'hello', attributes: { 'log.logger': 'stdout', 'thread.name': 'default task-1' } }],
    // A thread in brackets and a message in parentheses stay what they are.
    ['2026-11-24 10:00:00,123 ERROR [main] (retry 2) failed', { level: 'ERROR', body: '(retry 2) failed', attributes: { 'thread.name': 'main' } }],
  ]);
  check('envoy', [
    ['[2026-11-24 10:00:00.123][1234][info][main] [source/server/server.cc:123] starting main dispatch loop', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'starting main dispatch loop', attributes: { 'thread.id': '1234', 'log.logger': 'main', 'code.file.path': 'source/server/server.cc', 'code.line.number': '123' } }],
    ['[2026-11-24 10:00:00.123][15][warning][config] [./source/common/config/grpc_stream.h:101] gRPC config stream closed', { level: 'WARNING', number: 13, body: 'gRPC config stream closed', attributes: { 'thread.id': '15', 'log.logger': 'config', 'code.line.number': '101' } }],
    ['[2026-11-24T10:00:00.123Z] "POST /checkout?x=1 HTTP/2" 503 UF,URX 0 91 10 - "-" "Go-http-client/2.0" "abc" "checkout:8080" "10.0.0.9:8080"', { time: '2026-11-24T10:00:00.123Z', level: 'ERROR', body: '[2026-11-24T10:00:00.123Z] "POST /checkout?x=1 HTTP/2" 503 UF,URX 0 91 10 - "-" "Go-http-client/2.0" "abc" "checkout:8080" "10.0.0.9:8080"', attributes: { 'http.request.method': 'POST', 'url.path': '/checkout', 'url.query': 'x=1', 'network.protocol.version': '2', 'http.response.status_code': '503', 'envoy.response_flags': 'UF,URX' } }],
  ]);
  check('jvm unified logging', [
    ['[2026-11-24T10:00:00.123+0000][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->3M(256M) 3.123ms', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->3M(256M) 3.123ms', attributes: { 'log.logger': 'gc' } }],
    ['[0.012s][warning][gc,heap] Heap region size: 1M', { time: null, level: 'WARNING', body: 'Heap region size: 1M', attributes: { 'log.logger': 'gc,heap', 'log.header': '0.012s' } }],
    ['[2026-11-24T10:00:00.123+0000][0.512s][web-1][1234][5678][info ][gc,heap,exit] Heap', { level: 'INFO', body: 'Heap', host: 'web-1', attributes: { 'process.pid': '1234', 'thread.id': '5678', 'log.logger': 'gc,heap,exit' } }],
  ]);
  check('minecraft', [
    ['[10:00:00] [Server thread/INFO]: Done (3.2s)! For help, type "help"', { level: 'INFO', body: 'Done (3.2s)! For help, type "help"', attributes: { 'thread.name': 'Server thread' } }],
    ['[10:00:00] [main/ERROR]: boom', { level: 'ERROR', body: 'boom', attributes: { 'thread.name': 'main' } }],
  ]);
});

test("loguru's and Kafka Connect's code locations, Flink's NDC bracket, zerolog's kitchen clock, syslog without a host", () => {
  check('loguru', [
    ['2026-11-24 10:00:00.123 | WARNING  | app.main:run:42 - disk almost full', { time: '2026-11-24T10:00:00.123Z', level: 'WARNING', body: 'disk almost full', attributes: { 'log.logger': 'app.main', 'code.function.name': 'run', 'code.line.number': '42' } }],
    ['2026-11-24 10:00:00.123 | INFO     | __main__:<module>:12 - hello: world', { body: 'hello: world', attributes: { 'log.logger': '__main__', 'code.function.name': '<module>' } }],
    ['2026-11-24 10:00:00.123 | ERROR | plain - message', { level: 'ERROR', body: 'plain - message' }],
  ]);
  check('kafka connect', [
    ['[2026-11-24 10:00:00,123] INFO [my-connector|task-0] Committing offsets (org.apache.kafka.connect.runtime.WorkerSourceTask:123)', { level: 'INFO', body: 'Committing offsets', attributes: { 'log.logger': 'org.apache.kafka.connect.runtime.WorkerSourceTask', 'code.line.number': '123' } }],
  ]);
  check('flink', [
    ['2026-11-24 10:00:00,123 INFO  org.apache.flink.runtime.jobmaster.JobMaster                 [] - Starting execution of job', { level: 'INFO', body: 'Starting execution of job', attributes: { 'log.logger': 'org.apache.flink.runtime.jobmaster.JobMaster' } }],
    ['2026-11-24 10:00:00,123 WARN  org.apache.flink.runtime.taskmanager.Task                    [Source: x (1/1)#0] - Task failed', { level: 'WARN', body: 'Task failed', attributes: { 'thread.name': 'Source: x (1/1)#0' } }],
  ]);
  // Now is 06:00 UTC: the nearest 10:38 is today's, the nearest 11:59 PM yesterday's.
  check('zerolog console', [
    ['10:38AM INF listening addr=:8080', { time: '2026-11-29T10:38:00.000Z', level: 'INF', body: 'listening', attributes: { addr: ':8080' } }],
    ['11:59PM ERR failed error="EOF"', { time: '2026-11-28T23:59:00.000Z', level: 'ERR', body: 'failed', attributes: { error: 'EOF' } }],
    // A message that is only pairs stays the text; a message with `=` inside keeps what is not a run of pairs.
    ['10:38AM INF addr=:8080', { level: 'INF', body: 'addr=:8080' }],
    ['10:38AM WRN x=1 is too large limit=5', { level: 'WRN', body: 'x=1 is too large', attributes: { limit: '5' } }],
  ]);
  check('syslog to a local socket', [
    ['<134>Nov 24 10:00:00 haproxy[1234]: 10.0.0.1:5555 [24/Nov/2026:10:00:00.123] fe be/srv1 0/0/1/2/3 200 612', { body: '10.0.0.1:5555 [24/Nov/2026:10:00:00.123] fe be/srv1 0/0/1/2/3 200 612', attributes: { 'syslog.appname': 'haproxy', 'syslog.procid': '1234' } }],
    ['<134>Nov 24 10:00:00 lb1 haproxy[1234]: 10.0.0.1:5555 up', { body: '10.0.0.1:5555 up', host: 'lb1', attributes: { 'syslog.appname': 'haproxy' } }],
  ]);
});

test("US dates with a 12-hour clock (.NET's and Windows' default), yyyy.MM.dd, and the level written in full", () => {
  check('us 12h', [
    ['07/20/2026 01:38:44 PM ERROR something failed', { time: '2026-07-20T13:38:44.000Z', level: 'ERROR', body: 'something failed' }],
    ['7/20/2026 12:05:00 AM WARN midnight', { time: '2026-07-20T00:05:00.000Z', level: 'WARN', body: 'midnight' }],
    ['7/20/2026 1:38:44 PM Information: dotnet default', { time: '2026-07-20T13:38:44.000Z', level: 'INFORMATION', number: 9, body: 'dotnet default' }],
    // Without AM/PM a 24-hour clock, as before.
    ['07/20/2026 13:38:44 INFO 24h', { time: '2026-07-20T13:38:44.000Z', body: '24h' }],
    // After an ISO date too; `am` in small letters is a word of the message.
    ['2026-07-20 01:38:44 PM INFO iso pm', { time: '2026-07-20T13:38:44.000Z', body: 'iso pm' }],
    ['2026-07-20 12:38:44 AM INFO iso am', { time: '2026-07-20T00:38:44.000Z', body: 'iso am' }],
    ['2026-07-20 10:00:00 am I late?', { time: '2026-07-20T10:00:00.000Z', body: 'am I late?' }],
  ]);
  // What a Node app prints for `new Date().toUTCString()` and `${new Date()}`.
  check('javascript dates', [
    ['Sat, 20 Jul 2026 13:38:44 GMT ERROR rfc1123', { time: '2026-07-20T13:38:44.000Z', level: 'ERROR', body: 'rfc1123' }],
    ['Mon Jul 20 2026 15:38:44 GMT+0200 (Central European Summer Time) - started', { time: '2026-07-20T13:38:44.000Z', body: 'started' }],
  ]);
  check("Go's log with Lshortfile and Llongfile", [
    ['2026/07/20 13:38:44.123456 main.go:12: listening', { time: '2026-07-20T13:38:44.123Z', body: 'listening', attributes: { 'code.file.path': 'main.go', 'code.line.number': '12' } }],
    ['2026/07/20 13:38:44 /app/server/main.go:12: listening', { body: 'listening', attributes: { 'code.file.path': '/app/server/main.go' } }],
    ['2026/07/20 13:38:44 http: TLS handshake error from 10.0.0.1:5555: EOF', { body: 'http: TLS handshake error from 10.0.0.1:5555: EOF' }],
  ]);
  check('yyyy.MM.dd', [['2026.07.20 13:38:44 INFO  web[][o.s.p.ProcessEntryPoint] Starting Web Server', { time: '2026-07-20T13:38:44.000Z', level: 'INFO', body: 'web[][o.s.p.ProcessEntryPoint] Starting Web Server' }]]);
  check('serilog full level', [['2026-11-24 10:00:00.123 +00:00 [Information] Serilog with {Level}', { level: 'INFORMATION', number: 9, body: 'Serilog with {Level}' }]]);
});

test('Python servers: Scrapy, Tornado and Jupyter, Home Assistant', () => {
  check('scrapy', [['2026-07-20 13:38:44 [scrapy.core.engine] INFO: Spider opened', { time: '2026-07-20T13:38:44.000Z', level: 'INFO', body: 'Spider opened', attributes: { 'log.logger': 'scrapy.core.engine' } }]]);
  // A Java thread with a dot before a level without a colon stays the thread.
  check('java thread with a dot', [['2026-07-20 13:38:44,123 [ForkJoinPool.commonPool-worker-1] INFO  c.e.App - done', { level: 'INFO', body: 'done', attributes: { 'thread.name': 'ForkJoinPool.commonPool-worker-1', 'log.logger': 'c.e.App' } }]]);
  check('tornado and jupyter', [
    ['[I 260720 13:38:44 web:2239] 200 GET / (127.0.0.1) 1.23ms', { time: '2026-07-20T13:38:44.000Z', level: 'INFO', body: '200 GET / (127.0.0.1) 1.23ms', attributes: { 'log.logger': 'web', 'code.line.number': '2239' } }],
    ['[W 2026-07-20 13:38:44.123 ServerApp] Notebook x is not trusted', { time: '2026-07-20T13:38:44.123Z', level: 'WARN', body: 'Notebook x is not trusted', attributes: { 'log.logger': 'ServerApp' } }],
  ]);
  check('home assistant', [
    ['2026-07-20 13:38:44.123 ERROR (MainThread) [homeassistant.core] Error doing job: Task exception was never retrieved', { level: 'ERROR', body: 'Error doing job: Task exception was never retrieved', attributes: { 'thread.name': 'MainThread', 'log.logger': 'homeassistant.core' } }],
    // Parentheses holding words are the message's.
    ['2026-07-20 13:38:44 ERROR (retry 2) [a.b] message keeps', { level: 'ERROR', body: '(retry 2) [a.b] message keeps' }],
  ]);
});

test("uWSGI's request log: a user, sendfile's note, micros; lines that only start alike", () => {
  check('uwsgi', [
    // `via sendfile()` and a remote user, as logging.c writes them (not captured here).
    ['[pid: 7|app: 0|req: 3/9] 10.0.0.5 (ada) {40 vars in 700 bytes} [Tue Nov 24 10:00:00 2026] GET /static/a.css => generated 1234 bytes in 2 msecs via sendfile() (HTTP/2.0 200) 5 headers in 180 bytes (0 switches on core 1)', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', body: '[pid: 7|app: 0|req: 3/9] 10.0.0.5 (ada) {40 vars in 700 bytes} [Tue Nov 24 10:00:00 2026] GET /static/a.css => generated 1234 bytes in 2 msecs via sendfile() (HTTP/2.0 200) 5 headers in 180 bytes (0 switches on core 1)', attributes: { 'process.pid': '7', 'client.address': '10.0.0.5', 'user.name': 'ada', 'url.path': '/static/a.css', 'network.protocol.version': '2.0', 'http.response.body.size': '1234', 'uwsgi.response_time_ms': '2' } }],
    ['[pid: 7|app: -1|req: 4/10] 10.0.0.5 () {30 vars in 400 bytes} [Tue Nov 24 10:00:01 2026] GET /nope => generated 21 bytes in 35 micros (HTTP/1.1 503) 2 headers in 71 bytes (0 switches on core 0)', { level: 'ERROR', body: '[pid: 7|app: -1|req: 4/10] 10.0.0.5 () {30 vars in 400 bytes} [Tue Nov 24 10:00:01 2026] GET /nope => generated 21 bytes in 35 micros (HTTP/1.1 503) 2 headers in 71 bytes (0 switches on core 0)', attributes: { 'http.response.status_code': '503', 'uwsgi.response_time_us': '35' } }],
  ]);
  // Not a request line: read as other bracketed headers are, or kept whole.
  for (const line of ['[pid: 7] worker respawned', '[pid: 7|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 246 bytes} [Sun Dec  6 06:16:31 2026] GET / => cut here']) {
    const r = parse(line, ctx);
    assert.equal(r.attributes['http.request.method'], undefined, line);
    assert.ok(r.body.length > 0);
  }
});

test("Zabbix's daemons: `%6li:%Y%m%d:%H%M%S.%03ld`, a pid of any width; lines that only look alike", () => {
  check('zabbix', [
    ['  4768:20261206:062431.948 agent #0 started [main process]', { time: '2026-12-06T06:24:31.948Z', body: 'agent #0 started [main process]', attributes: { 'process.pid': '4768' } }],
    ['123456:20261206:062431.950 Unable to connect to [127.0.0.1]:10051', { time: '2026-12-06T06:24:31.950Z', body: 'Unable to connect to [127.0.0.1]:10051', attributes: { 'process.pid': '123456' } }],
    ['4194303:20261206:062431.950 server #1 started [main process]', { body: 'server #1 started [main process]', attributes: { 'process.pid': '4194303' } }],
  ]);
  assert.equal(parse('    12:20261399:062431.948 no such month', ctx).fallback, 'bad_time');
  assert.equal(parse('  4768:2026:12 not a stamp', ctx).attributes['process.pid'], undefined);
});

test("syslog without PRI: the program's own level at the start of its message (`INFO `, `Info: `, `<info>`), the message left whole; words that only look like one", () => {
  check('syslog message levels', [
    ['Dec  6 06:16:31 vm app[12]: INFO cache warmed', { level: 'INFO', number: 9, body: 'INFO cache warmed', attributes: { 'syslog.appname': 'app' } }],
    ['Dec  6 06:16:31 vm app[12]: ERROR: could not bind', { level: 'ERROR', number: 17, body: 'ERROR: could not bind' }],
    // Dovecot's log file (its default log_timestamp, no host).
    ['Dec 06 06:16:31 imap-login: Info: Login: user=<ada>, method=PLAIN, rip=10.0.0.5', { level: 'INFO', body: 'Info: Login: user=<ada>, method=PLAIN, rip=10.0.0.5', attributes: { 'syslog.appname': 'imap-login' } }],
    ['Dec 06 06:16:32 imap(ada)<1234><abcd>: Warning: quota exceeded', { level: 'WARNING', body: 'Warning: quota exceeded' }],
    // NetworkManager.
    ['Dec  6 06:16:31 vm NetworkManager[812]: <warn>  [1733465791.1234] device (eth0): link timed out', { level: 'WARN', number: 13, body: '<warn>  [1733465791.1234] device (eth0): link timed out' }],
    // Loghub's Linux sample: logrotate's cron script says ALERT.
    ['Jul 27 14:41:59 combo logrotate: ALERT exited abnormally with [1]', { level: 'ALERT', body: 'ALERT exited abnormally with [1]' }],
  ]);
  for (const line of ['Dec  6 06:16:31 vm sshd[1234]: Failed password for root from 10.0.0.9 port 22 ssh2', 'Dec  6 06:16:31 vm app: NOT FOUND: /x', 'Dec  6 06:16:31 vm app: Note: nothing', 'Dec  6 06:16:31 vm app: Info center opened', 'Dec  6 06:16:31 vm app: <Info> mixed case', 'Dec  6 06:16:31 vm app: ErrorHandler: set']) {
    assert.equal(parse(line, ctx).severityText, undefined, line);
  }
  // A PRI's severity stays the record's.
  assert.equal(parse('<30>Dec  6 06:16:31 vm app[12]: ERROR not this', ctx).severityText, 'INFO');
});

test("Exim's main log: message ids of 4.96 and 4.97, deferrals as warnings; an id-like token that is none", () => {
  check('exim', [
    ['2026-12-06 06:33:25 1xa5oL-00056R-1R == bob@example.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<bob@example.com>: 451 4.7.1 Try again later', { level: 'WARN', body: '== bob@example.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<bob@example.com>: 451 4.7.1 Try again later', attributes: { 'exim.message_id': '1xa5oL-00056R-1R' } }],
    ['2026-12-06 06:33:25 1rHtyZ-000000005iO-2LiZ <= alice@example.com H=mail.example.com [192.0.2.1] P=esmtps S=1234', { level: 'INFO', body: '<= alice@example.com H=mail.example.com [192.0.2.1] P=esmtps S=1234', attributes: { 'exim.message_id': '1rHtyZ-000000005iO-2LiZ' } }],
  ]);
  assert.equal(parse('2026-12-06 06:33:25 abcdef-123456-xy is a serial', ctx).attributes['exim.message_id'], undefined);
});

test("Elixir's exception line after Logger's header: its type and message; a line that only starts alike", () => {
  check('elixir exception', [
    ['10:00:00.123 [error] ** (ArgumentError) invalid order id\n    app.exs:20: (file)', { level: 'ERROR', body: '** (ArgumentError) invalid order id\n    app.exs:20: (file)', attributes: { 'exception.type': 'ArgumentError', 'exception.message': 'invalid order id' } }],
    ['10:00:00.124 [error] ** (DBConnection.ConnectionError) connection not available', { attributes: { 'exception.type': 'DBConnection.ConnectionError', 'exception.message': 'connection not available' }, body: '** (DBConnection.ConnectionError) connection not available' }],
  ]);
  assert.equal(parse('10:00:00.125 [info] ** (see below) not an exception', ctx).attributes['exception.type'], undefined);
});

test("the Linux audit log's records; lines that only start with `type=`", () => {
  check('auditd', [
    ['type=USER_LOGIN msg=audit(1765001792.456:457): pid=2345 uid=0 auid=4294967295 ses=4294967295 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.7 terminal=ssh res=failed\'', { time: '2025-12-06T06:16:32.456Z', body: 'pid=2345 uid=0 auid=4294967295 ses=4294967295 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.7 terminal=ssh res=failed\'', attributes: { 'audit.type': 'USER_LOGIN', 'audit.serial': '457', pid: '2345', acct: 'root', addr: '203.0.113.7', res: 'failed' } }],
  ]);
  // logfmt that starts with `type=`: still logfmt.
  assert.deepEqual(parse('type=job msg="started" level=info', ctx).attributes['audit.type'], undefined);
  assert.equal(parse('type=job msg="started" level=info', ctx).body, 'started');
});

test('a stamp in brackets gives up only a zone or a level beside it: other text up to the bracket is never dropped', () => {
  // A JSON array whose first item reads as a time (the Forward intake keeps what it cannot read as JSON).
  for (const line of ['[1796630400,"not a map"]', '[1796630400, 2]', '[2026-12-07 10:00:00,"x"]', '[2026-12-07 10:00:00 x=1]']) {
    const r = parse(line, ctx);
    assert.equal(r.body, line, line);
    assert.equal(r.fallback, 'unmatched');
  }
  // What may stand there still does: a level (Serilog), a zone.
  assert.equal(parse('[10:00:00 INF] Started', ctx).severityText, 'INF');
  const php = parse('[2026-12-07 10:00:00 UTC] PHP Warning:  x in /a.php on line 2', ctx);
  assert.deepEqual([php.body, php.severityText, php.attributes['code.file.path']], ['x', 'WARNING', '/a.php']);
  assert.equal(parse('[1796630400] SERVICE ALERT: web;HTTP;CRITICAL;HARD;3;timeout', ctx).time, 1796630400000);
});
