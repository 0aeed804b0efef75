// Access lines of proxies and app servers on their own (access.ts), and through the auto parser's
// dispatch: Envoy's, HAProxy's (raw and in a syslog message), uvicorn's, CoreDNS's, and the other lines of
// an access log's server. Real output of HAProxy and uvicorn: test/agents/transforms/programs.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessAfterTime, accessInBody, accessMessage, haproxyInto, haproxyLine, morganLine, squidAccess } from '../../../../agents/transforms/parsers/access.ts';
import { createAutoParser } from '../../../../agents/transforms/parsers/auto.ts';
import type { ParsedFields } from '../../../../agents/transforms/parsers/types.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';

const ctx = { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' };
const stamp = (line: string, at: number) => readTime(line, at, 'UTC', ctx.now)!;
const auto = createAutoParser();
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

test("Envoy's access log: the request, the status's severity, the response flags; null unless the shape is there", () => {
  const access = '[2026-11-24T10:00:00.123Z] "GET / HTTP/1.1" 404 NR 0 0 0 - "-" "curl" "id" "host" "-"';
  const r = accessAfterTime(access, stamp(access, 1), 25)!;
  assert.deepEqual([r.severityText, r.attributes['envoy.response_flags'], r.attributes['network.protocol.name'], r.body], ['WARN', 'NR', 'http', access]);
  const quoted = '[2026-11-24T10:00:00.123Z] "quoted words" and more';
  assert.equal(accessAfterTime(quoted, stamp(quoted, 1), 25), null);
});

// From HAProxy's configuration manual, "8.2.3. HTTP log format" and "8.2.2. TCP log format", with today's dates.
const HTTP = '10.0.1.2:33317 [06/Feb/2026:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html?lang=en HTTP/1.1"';
const TCP = '10.0.1.2:33313 [06/Feb/2026:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0';

test("HAProxy's HTTP log, as its container image writes it: every field, the accept date as the time", () => {
  const r = auto(HTTP, ctx)!;
  assert.equal(iso(r.time), '2026-02-06T12:14:14.655Z');
  assert.equal(r.body, HTTP);
  assert.deepEqual([r.severityText, r.severityNumber], ['INFO', 9]);
  assert.deepEqual(r.attributes, {
    'client.address': '10.0.1.2', 'client.port': '33317', 'haproxy.frontend': 'http-in', 'haproxy.backend': 'static', 'haproxy.server': 'srv1',
    'haproxy.timers': '10/0/30/69/109', 'haproxy.total_time_ms': '109', 'haproxy.bytes_read': '2750', 'http.response.status_code': '200',
    'haproxy.termination_state': '----', 'haproxy.connections': '1/1/1/1/0', 'haproxy.queues': '0/0', 'haproxy.captured_request_headers': '1wt.eu',
    'http.request.method': 'GET', 'url.path': '/index.html', 'url.query': 'lang=en', 'network.protocol.version': '1.1',
  });
  // In the source's zone: HAProxy writes its local time without an offset.
  assert.equal(iso(auto(HTTP, { ...ctx, timeZone: 'Europe/Berlin' })!.time), '2026-02-06T11:14:14.655Z');
});

test("HAProxy's TCP log; the severity from the status, else WARN for a session that did not end normally", () => {
  const tcp = auto(TCP, ctx)!;
  assert.deepEqual([tcp.severityText, tcp.attributes['haproxy.timers'], tcp.attributes['haproxy.total_time_ms'], tcp.attributes['haproxy.termination_state'], tcp.attributes['http.response.status_code']], ['INFO', '0/0/5007', '5007', '--', undefined]);
  assert.equal(auto(TCP.replace(' -- ', ' CD '), ctx)!.severityText, 'WARN');
  assert.equal(auto(HTTP.replace(' 200 ', ' 503 ').replace('----', 'SC--'), ctx)!.severityText, 'ERROR');
  assert.equal(auto(HTTP.replace(' 200 ', ' 404 '), ctx)!.severityText, 'WARN');
  // No response at all (-1): the termination state says how it ended; over TLS (`~`), logasap's `+`.
  const aborted = auto(HTTP.replace('http-in ', 'https-in~ ').replace(' 200 2750 ', ' -1 +0 ').replace('----', 'CR--').replace('/109 ', '/+109 '), ctx)!;
  assert.deepEqual([aborted.severityText, aborted.attributes['http.response.status_code'], aborted.attributes['haproxy.frontend'], aborted.attributes['tls.established'], aborted.attributes['haproxy.bytes_read'], aborted.attributes['haproxy.total_time_ms']], ['WARN', undefined, 'https-in', 'true', '0', '109']);
  // A request HAProxy could not read stays whole.
  assert.equal(auto(HTTP.replace('GET /index.html?lang=en HTTP/1.1', '<BADREQ>'), ctx)!.attributes['http.request.line'], '<BADREQ>');
});

test("HAProxy's log in a syslog message: the fields read from the message, the syslog PRI's severity kept", () => {
  const bsd = auto(`Feb  6 12:14:14 lb1 haproxy[14389]: ${HTTP}`, ctx)!;
  assert.deepEqual([bsd.host, bsd.body, bsd.attributes['syslog.appname'], bsd.attributes['haproxy.backend'], bsd.attributes['url.path'], bsd.severityText], ['lb1', HTTP, 'haproxy', 'static', '/index.html', 'INFO']);
  // The syslog time stays the record's (when HAProxy logged, at the end of the request).
  assert.equal(iso(bsd.time), '2026-02-06T12:14:14.000Z');
  const pri = auto(`<131>Feb  6 12:14:14 lb1 haproxy[14389]: ${HTTP.replace(' 200 ', ' 503 ')}`, ctx)!;
  assert.deepEqual([pri.severityText, pri.severityNumber, pri.attributes['http.response.status_code']], ['ERR', 17, '503'], 'local0.err, as HAProxy sends errors with option log-separate-errors');
  const info = auto(`<134>Feb  6 12:14:14 lb1 haproxy[14389]: ${HTTP.replace(' 200 ', ' 503 ')}`, ctx)!;
  assert.equal(info.severityText, 'INFO', 'local0.info as HAProxy sent it');
  // HAProxy's other messages stay as they were.
  const down = auto('Feb  6 12:14:14 lb1 haproxy[14389]: Server bck/srv1 is DOWN, reason: Layer4 connection problem', ctx)!;
  assert.deepEqual([down.body, down.attributes['haproxy.server']], ['Server bck/srv1 is DOWN, reason: Layer4 connection problem', undefined]);
});

test('HAProxy near misses leave the record alone', () => {
  for (const text of [
    '10.0.1.2:33317 [06/Feb/2026:12:14:14.655] http-in/1: SSL handshake failure',
    // Five timers but no status, three timers with one.
    '10.0.1.2:33317 [06/Feb/2026:12:14:14.655] fe be/s 1/2/3/4/5 2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"',
    '10.0.1.2:33313 [06/Feb/2026:12:12:51.443] fnt bck/srv1 0/0/5007 200 212 -- 0/0/0/0/3 0/0',
    '10.0.1.2 [06/Feb/2026:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0',
  ]) {
    const out: ParsedFields = { body: text, attributes: {} };
    assert.equal(haproxyInto(text, out, ctx), undefined, text);
    assert.deepEqual(out.attributes, {}, text);
    assert.equal(haproxyLine(text, ctx), null, text);
  }
  // An impossible accept date is said so, not read as now.
  assert.equal(auto(TCP.replace('06/Feb', '31/Feb'), ctx)!.fallback, 'bad_time');
});

test("uvicorn's access line (FastAPI): client, request and status as attributes, its own level kept", () => {
  const line = 'INFO:     127.0.0.1:54321 - "GET /items/5?q=x HTTP/1.1" 404 Not Found';
  const r = auto(line, ctx)!;
  assert.deepEqual([r.severityText, r.body], ['INFO', '127.0.0.1:54321 - "GET /items/5?q=x HTTP/1.1" 404 Not Found']);
  assert.deepEqual(r.attributes, { 'client.address': '127.0.0.1', 'client.port': '54321', 'http.request.method': 'GET', 'url.path': '/items/5', 'url.query': 'q=x', 'network.protocol.version': '1.1', 'http.response.status_code': '404' });
  // Under gunicorn's uvicorn worker the stamp, pid and level come first; IPv6 clients print as `::1:port`.
  const g = auto('[2026-11-24 10:00:00 +0000] [1234] [INFO] ::1:60312 - "POST /api HTTP/1.1" 201 Created', ctx)!;
  assert.deepEqual([g.attributes['process.pid'], g.attributes['client.address'], g.attributes['http.response.status_code'], iso(g.time)], ['1234', '::1', '201', '2026-11-24T10:00:00.000Z']);
  // uvicorn's other lines, and a body that only starts like an access line, gain nothing.
  assert.deepEqual(auto('INFO:     Started server process [12345]', ctx)!.attributes, {});
  const other: ParsedFields = { body: '10.0.0.1:80 - "not a request" 200', attributes: {}, severityNumber: 9 };
  accessInBody(other);
  assert.deepEqual(other.attributes, {});
});

test("CoreDNS's query log (its log plugin's common format): client, question, response code, flags, size and duration", () => {
  const r = auto('[INFO] 10.244.0.1:53812 - 1234 "AAAA IN api.default.svc.cluster.local. udp 51 false 512" NXDOMAIN qr,aa,rd 144 0.000123s', ctx)!;
  assert.equal(r.severityText, 'INFO');
  assert.deepEqual(r.attributes, {
    'client.address': '10.244.0.1', 'client.port': '53812', 'dns.id': '1234', 'dns.question.type': 'AAAA', 'dns.question.class': 'IN',
    'dns.question.name': 'api.default.svc.cluster.local.', 'network.transport': 'udp', 'dns.response_code': 'NXDOMAIN',
    'dns.header_flags': 'qr,aa,rd', 'coredns.response_size': '144', 'coredns.duration_s': '0.000123',
  });
  // An IPv6 client in brackets; CoreDNS's other lines gain nothing.
  assert.equal(auto('[INFO] [::1]:50759 - 29008 "A IN example.org. udp 41 false 4096" NOERROR qr,rd,ra,ad 68 0.037990251s', ctx)!.attributes['client.address'], '::1');
  assert.deepEqual(auto('[INFO] plugin/reload: Running configuration SHA512 = abc', ctx)!.attributes, { 'log.logger': 'plugin/reload' });
});

test("an access log's other lines (Python's http.server, werkzeug): client and time read, `code N` as the status", () => {
  const r = accessMessage('127.0.0.1 - - [02/Dec/2026 15:31:57] code 501, message Unsupported method (\'POST\')', ctx)!;
  assert.deepEqual([iso(r.time), r.body, r.attributes['client.address'], r.attributes['http.response.status_code'], r.severityText], ['2026-12-02T15:31:57.000Z', "code 501, message Unsupported method ('POST')", '127.0.0.1', '501', 'ERROR']);
  const plain = accessMessage('10.0.0.1 - bob [24/Nov/2026:10:00:00 +0100] * Restarting with stat', ctx)!;
  assert.deepEqual([iso(plain.time), plain.body, plain.attributes['user.name'], plain.severityText], ['2026-11-24T09:00:00.000Z', '* Restarting with stat', 'bob', undefined]);
  // A request line is the combined parser's; an impossible date or another shape is nothing here.
  assert.equal(accessMessage('127.0.0.1 - - [02/Dec/2026 15:31:54] "GET / HTTP/1.1" 200 -', ctx), null);
  assert.equal(accessMessage('127.0.0.1 - - [31/Feb/2026 15:31:54] code 404, message x', ctx), null);
  assert.equal(accessMessage('127.0.0.1 - [02/Dec/2026 15:31:54] x', ctx), null);
});

test("Squid's native access log after its stamp; null for anything short of its eleven fields", () => {
  // Where the fields start: after the stamp and the elapsed time's padding (as the auto parser gives it).
  const squid = (l: string) => squidAccess(l, 14 + l.slice(14).search(/\S/), 1);
  const line = '1796278631.901      0 10.0.0.7 TCP_DENIED/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -';
  const r = squid(line)!;
  assert.deepEqual([r.severityText, r.body, r.attributes['http.response.status_code'], r.attributes['http.request.method'], r.attributes['url.full']], ['WARN', line.slice(20), undefined, 'NONE', 'error:transaction-end-before-headers']);
  const withUser = squid('1796278631.901     12 10.0.0.7 TCP_HIT/200 512 GET http://a/ bob HIER_NONE/- image/png')!;
  assert.deepEqual([withUser.severityText, withUser.attributes['user.name'], withUser.attributes['http.response.header.content-type']], ['INFO', 'bob', 'image/png']);
  for (const rest of ['12 10.0.0.7 TCP_HIT/200 512 GET http://a/ bob HIER_NONE/-', '12 10.0.0.7 TCP_HIT 512 GET http://a/ bob HIER_NONE/- -', 'x 10.0.0.7 TCP_HIT/200 512 GET http://a/ bob HIER_NONE/- -']) {
    assert.equal(squid(`1796278631.901 ${rest}`), null, rest);
  }
  // Through the auto parser: the epoch stamp is the time.
  const auto = createAutoParser();
  assert.equal(auto('1796278631.901     12 10.0.0.7 TCP_HIT/200 512 GET http://a/ - HIER_NONE/- image/png', { now: 0 })!.time, 1796278631901);
});

test("morgan's dev, tiny and short lines; `-` where Express had no status or length yet; null for anything else", () => {
  const early = morganLine('GET /slow - - ms - -')!;
  assert.deepEqual([early.severityText, early.attributes], ['INFO', { 'http.request.method': 'GET', 'url.path': '/slow' }]);
  assert.deepEqual(morganLine('::ffff:10.0.0.2 bob DELETE /x HTTP/2.0 503 - - 12.5 ms')!.attributes, { 'client.address': '::ffff:10.0.0.2', 'user.name': 'bob', 'http.request.method': 'DELETE', 'url.path': '/x', 'network.protocol.version': '2.0', 'http.response.status_code': '503', 'morgan.response_time_ms': '12.5' });
  for (const line of ['GET /x 200', 'GET /x 200 1.2 ms', 'GET /x 200 1.2 ms - 5 extra', 'get /x 200 5 - 1.2 ms', 'GET /x 2000 5 - 1.2 ms']) assert.equal(morganLine(line), null, line);
  // Through the auto parser: a line starting with a method and a path, and an IPv6 client first.
  assert.equal(auto('PUT /items/7 204 - - 0.9 ms', ctx)!.attributes['http.response.status_code'], '204');
  assert.equal(auto('::1 - GET / HTTP/1.1 200 5 - 3.535 ms', ctx)!.attributes['client.address'], '::1');
  assert.equal(auto('::1 - - [03/Dec/2026:06:40:28 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"', ctx)!.attributes['client.address'], '::1');
  assert.equal(auto('::: not an access line', ctx)!.fallback, 'unmatched');
});

test("xferlog after its ctime stamp: an upload by a real user, a deletion; lines that only start alike", async () => {
  const { xferlog } = await import('../../../../agents/transforms/parsers/access.ts');
  const up = xferlog('Mon Dec 07 10:00:00 2026 12 10.0.0.5 1048576 /home/bob/site/index.html b _ i r bob ftp 0 * c', 25, 1)!;
  assert.deepEqual([up.attributes['ftp.direction'], up.attributes['ftp.access_mode'], up.attributes['user.name'], up.attributes['ftp.transfer_seconds'], up.severityText], ['upload', 'real', 'bob', '12', 'INFO']);
  assert.equal(xferlog('Mon Dec 07 10:00:00 2026 0 10.0.0.5 0 /home/bob/old.txt b _ d r bob ftp 0 * c', 25, 1)!.attributes['ftp.direction'], 'delete');
  assert.equal(xferlog('Mon Dec 07 10:00:00 2026 3 workers started in 2 seconds', 25, 1), null);
});

