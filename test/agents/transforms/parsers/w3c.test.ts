// Logs whose columns a header names (agents/transforms/parsers/w3c.ts): IIS's W3C extended logs,
// CloudFront's standard logs and Zeek's TSV logs. No IIS, CloudFront or Zeek runs here: the lines are
// written after Microsoft's "W3C Logging" page (IIS's default fields, `+` for spaces), AWS's
// "Standard logging reference" (its example line, all 33 fields) and Zeek's "Logs" documentation
// (conn.log and http.log, `#separator \x09` and the header directives). They go through the record
// builder as a file's lines do on a record thread (a batch with the header in force at its first line)
// and as stdin's do (the builder following the directives itself), and through the file source's look
// back for a header when it starts mid-file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordBuilder } from '../../../../agents/record-builder.ts';
import { encodeLines, joinLines, type LineBatch } from '../../../../agents/line-batch.ts';
import { nextHeader, w3cLine } from '../../../../agents/transforms/parsers/w3c.ts';
import { headerBefore } from '../../../../agents/sources/file.ts';
import type { LogRecord } from '../../../../core/contracts/records.ts';

const IIS = [
  '#Software: Microsoft Internet Information Services 10.0',
  '#Version: 1.0',
  '#Date: 2026-12-07 00:00:01',
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken',
  '2026-12-07 00:00:01 10.0.0.4 GET /default.htm - 80 - 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 15',
  '2026-12-07 00:00:02 10.0.0.4 POST /api/orders id=42&x=1 443 CONTOSO\\alice 203.0.113.8 curl/8.4.0 https://shop.example/cart 500 0 64 1234',
  '2026-12-07 00:00:03 10.0.0.4 GET /missing - 80 - 203.0.113.9 - - 404 0 2 3',
  // The site restarted with other columns: a new header block mid-file.
  '#Software: Microsoft Internet Information Services 10.0',
  '#Version: 1.0',
  '#Date: 2026-12-07 06:00:00',
  '#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs-bytes time-taken cs-version cs-host',
  '2026-12-07 06:00:00 198.51.100.2 GET /health 200 512 120 1 HTTP/1.1 shop.example',
];

const CLOUDFRONT = [
  '#Version: 1.0',
  '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end',
  ['2019-12-04', '21:02:31', 'LAX1', '392', '192.0.2.100', 'GET', 'd111111abcdef8.cloudfront.net', '/index.html', '200', '-', 'Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36', '-', '-', 'Hit', 'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==', 'd111111abcdef8.cloudfront.net', 'https', '23', '0.001', '-', 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'Hit', 'HTTP/2.0', '-', '-', '11040', '0.001', 'Hit', 'text/html', '78', '-', '-'].join('\t'),
];

const ZEEK = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#open\t2026-12-07-00-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
  '1765065600.123456\tCHhAvVGS1DHFjwGM9\t192.168.1.10\t52134\t93.184.216.34\t443\ttcp\tssl\t0.512345\t517\t4321\tSF\tT\tF\t0\tShADadFf\t12\t1141\t10\t4853\t(empty)',
  '1765065601.000001\tC4J4Th3PJpwUYZZ6gc\t192.168.1.10\t5353\t224.0.0.251\t5353\tudp\t-\t-\t-\t-\tS0\tT\tF\t0\tD\t1\t73\t0\t0\t(empty)',
  '#close\t2026-12-07-01-00-00',
];

const ZEEK_HTTP = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\thttp',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\tuser_agent\tstatus_code\tstatus_msg',
  '1765065602.5\tCHhAvVGS1DHFjwGM9\t192.168.1.10\t52140\t93.184.216.34\t80\t1\tGET\texample.com\t/index.html?q=1\tcurl/8.4.0\t301\tMoved Permanently',
];

const NOW = Date.UTC(2026, 11, 7, 12);

/** The lines as a record thread builds a file's batch: the header in force at the first line given. */
function asBatch(lines: string[], header = ''): LogRecord[] {
  const b: LineBatch = { builder: 0, ...joinLines(lines), starts: lines.map((_, i) => i * 100), path: '/logs/u_ex261207.log', fingerprint: 'f', service: 'iis', host: 'web', observedMs: NOW };
  if (header) b.header = header;
  const e = encodeLines(createRecordBuilder(), b, 'service_host', 900 * 1024);
  return Array.from({ length: e.count }, (_, i) => JSON.parse(Buffer.from(e.values).toString('utf8', e.starts[i], e.ends[i])) as LogRecord);
}

/** The lines as stdin's are built: one by one, the builder following the directives. */
function oneByOne(lines: string[]): LogRecord[] {
  const build = createRecordBuilder();
  return lines.map((text, i) => build({ text, origin: { kind: 'stdin', offset: i }, service: 'iis', host: 'web', observedMs: NOW }));
}

test('IIS: the default fields as OpenTelemetry names, status as severity, a restart\'s new header mid-file', () => {
  const records = asBatch(IIS);
  const same = (r: LogRecord) => JSON.stringify({ ...r, origin: undefined });
  assert.deepEqual(oneByOne(IIS).map(same), records.map(same), 'one by one as in a batch');
  const [a, b, c] = [records[4]!, records[5]!, records[6]!];
  assert.equal(a.time, '2026-12-07T00:00:01.000Z');
  assert.equal(a.severity_text, 'INFO');
  assert.equal(a.body, IIS[4]);
  assert.deepEqual(a.attributes, {
    'server.address': '10.0.0.4', 'http.request.method': 'GET', 'url.path': '/default.htm', 'server.port': '80', 'client.address': '203.0.113.7',
    'user_agent.original': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', 'http.response.status_code': '200', 'w3c.sc-substatus': '0', 'w3c.sc-win32-status': '0', 'w3c.time-taken': '15',
  });
  assert.equal(b.severity_text, 'ERROR');
  assert.equal(b.attributes['url.query'], 'id=42&x=1');
  assert.equal(b.attributes['user.name'], 'CONTOSO\\alice');
  assert.equal(b.attributes['http.request.header.referer'], 'https://shop.example/cart');
  assert.equal(c.severity_text, 'WARN');
  assert.equal(c.attributes['user_agent.original'], undefined, '- is no value');
  const after = records[11]!;
  assert.equal(after.time, '2026-12-07T06:00:00.000Z');
  assert.deepEqual(after.attributes, {
    'client.address': '198.51.100.2', 'http.request.method': 'GET', 'url.path': '/health', 'http.response.status_code': '200',
    'http.response.size': '512', 'http.request.size': '120', 'w3c.time-taken': '1', 'network.protocol.version': '1.1', 'http.request.header.host': 'shop.example',
  });
  // The directives themselves are kept, as lines (nothing read is dropped).
  assert.equal(records[3]!.body, IIS[3]);
  // A batch that starts after the header gets it from the file source.
  const tail = asBatch(IIS.slice(5, 7), IIS[3]);
  assert.deepEqual(tail.map((r) => r.attributes), records.slice(5, 7).map((r) => r.attributes));
  // Without it, the same lines are no W3C lines.
  assert.equal(asBatch(IIS.slice(5, 6))[0]!.attributes['http.request.method'], undefined);
});

test('CloudFront: tab-separated values under a space-separated #Fields line', () => {
  const [r] = asBatch(CLOUDFRONT).slice(2);
  assert.equal(r!.time, '2019-12-04T21:02:31.000Z');
  assert.equal(r!.attributes['w3c.x-edge-location'], 'LAX1');
  assert.equal(r!.attributes['client.address'], '192.0.2.100');
  assert.equal(r!.attributes['http.request.header.host'], 'd111111abcdef8.cloudfront.net');
  assert.equal(r!.attributes['url.scheme'], 'https');
  assert.equal(r!.attributes['w3c.x-edge-request-id'], 'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==');
  assert.equal(r!.attributes['w3c.cs-protocol-version'], 'HTTP/2.0');
  assert.ok(r!.attributes['user_agent.original']!.startsWith('Mozilla/5.0%20(Windows'), 'CloudFront\'s own encoding kept');
  assert.equal(r!.attributes['w3c.sc-range-end'], undefined);
});

test('Zeek: conn.log and http.log, epoch times, unset and empty fields left out, the log\'s path', () => {
  const conn = asBatch(ZEEK);
  const a = conn[8]!;
  assert.equal(a.time, '2025-12-07T00:00:00.123456Z');
  assert.equal(a.attributes['zeek.path'], 'conn');
  assert.equal(a.attributes['zeek.uid'], 'CHhAvVGS1DHFjwGM9');
  assert.equal(a.attributes['source.address'], '192.168.1.10');
  assert.equal(a.attributes['source.port'], '52134');
  assert.equal(a.attributes['destination.address'], '93.184.216.34');
  assert.equal(a.attributes['destination.port'], '443');
  assert.equal(a.attributes['network.transport'], 'tcp');
  assert.equal(a.attributes['zeek.conn_state'], 'SF');
  assert.equal(a.attributes['zeek.tunnel_parents'], undefined, '(empty)');
  const b = conn[9]!;
  assert.equal(b.attributes['zeek.service'], undefined, '-');
  assert.equal(b.attributes['zeek.duration'], undefined);
  assert.deepEqual(oneByOne(ZEEK).map((r) => r.attributes), conn.map((r) => r.attributes));
  const http = asBatch(ZEEK_HTTP)[6]!;
  assert.equal(http.time, '2025-12-07T00:00:02.500Z');
  assert.equal(http.attributes['zeek.path'], 'http');
  assert.equal(http.attributes['http.request.method'], 'GET');
  assert.equal(http.attributes['http.response.status_code'], '301');
  assert.equal(http.attributes['zeek.status_msg'], 'Moved Permanently');
  assert.equal(http.attributes['user_agent.original'], 'curl/8.4.0');
});

test('a header is only what it says: other # lines, a #Fields line without date and time, lines that do not fit', () => {
  assert.equal(nextHeader('', '# a comment'), undefined);
  assert.equal(nextHeader('', '#!/bin/sh'), undefined);
  assert.equal(nextHeader('x', '#Software: IIS'), 'x');
  assert.equal(nextHeader('', '#Fields: a b c'), '#Fields: a b c');
  // No date and time: the header is no W3C header and no line is read by it.
  assert.equal(w3cLine('1 2 3', '#Fields: a b c', { now: NOW }), null);
  const h = IIS[3]!;
  assert.equal(w3cLine('2026-12-07 00:00:01 too few values', h, { now: NOW }), null);
  assert.equal(w3cLine('not-a-date 00:00:01 10.0.0.4 GET / - 80 - 1.2.3.4 - - 200 0 0 1', h, { now: NOW }), null);
  assert.equal(w3cLine('#Fields: x', h, { now: NOW }), null);
  // A plain log under no header, and after a non-W3C `#` line, reads as it always has.
  const [plain] = oneByOne(['# note', '2026-12-07 00:00:01 ERROR [main] a.B - failed']).slice(1);
  assert.equal(plain!.severity_text, 'ERROR');
  assert.equal(plain!.body, 'failed');
  // Zeek's header without a ts column reads no line.
  assert.equal(w3cLine('1\t2', '#separator \\x09\n#fields\ta\tb', { now: NOW }), null);
});

test('the file source\'s look back: the header in force at an offset, across its reads\' boundaries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-w3c-'));
  try {
    const file = join(dir, 'u_ex261207.log');
    // Lines of 1,000 bytes, so directives fall on every side of the 1 MiB reads, the second block after 2 MiB.
    const body = (n: number, from: number) => Array.from({ length: n }, (_, i) => `2026-12-07 00:00:01 10.0.0.4 GET /p${from + i} - 80 - 203.0.113.7 ${'x'.repeat(900)} - 200 0 0 15`).join('\n');
    const first = IIS.slice(0, 4).join('\n');
    const second = IIS.slice(7, 11).join('\n');
    // The second block's `#Fields:` line cut by the 2 MiB read's end: a filler line puts it there.
    const before = `${first}\n${body(2000, 0)}\n`;
    const cutAt = 2 * 1024 * 1024 - IIS.slice(7, 10).join('\n').length - 1 - 20;
    const text = `${before}${'f'.repeat(cutAt - before.length - 1)}\n${second}\n${body(100, 2200)}\n`;
    assert.ok(text.indexOf(IIS[10]!) < 2 * 1024 * 1024 && text.indexOf(IIS[10]!) + IIS[10]!.length > 2 * 1024 * 1024, 'the directive straddles a read');
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      assert.equal(headerBefore(fd, 0), '');
      assert.equal(headerBefore(fd, text.indexOf('\n2026') + 1), IIS[3]);
      assert.equal(headerBefore(fd, text.indexOf(second)), IIS[3]);
      assert.equal(headerBefore(fd, text.indexOf(second) + second.length + 1), IIS[10]);
      assert.equal(headerBefore(fd, text.length), IIS[10]);
    } finally {
      closeSync(fd);
    }
    // A file that does not start with a directive is not read at all.
    writeFileSync(file, `plain\n#Fields: date time a\n`);
    const fd2 = openSync(file, 'r');
    try {
      assert.equal(headerBefore(fd2, 30), '');
    } finally {
      closeSync(fd2);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
