import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCombinedParser } from '../../../../agents/transforms/parsers/combined.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };
const parse = createCombinedParser();

test('combined format', () => {
  const line = '203.0.113.9 - alice [24/Nov/2026:10:00:00 +0100] "GET /api/items?page=2 HTTP/1.1" 503 1234 "https://example.com/" "Mozilla/5.0 (X11; Linux) \\"quoted\\""';
  assert.deepEqual(parse(line, ctx), {
    body: line, time: Date.UTC(2026, 10, 24, 9), severityText: 'ERROR', severityNumber: 17,
    attributes: {
      'client.address': '203.0.113.9', 'user.name': 'alice', 'http.request.method': 'GET', 'url.path': '/api/items',
      'url.query': 'page=2', 'network.protocol.version': '1.1', 'http.response.status_code': '503',
      'http.response.body.size': '1234', 'http.request.header.referer': 'https://example.com/',
      'user_agent.original': 'Mozilla/5.0 (X11; Linux) "quoted"',
    },
  });
});

test('common format, nginx extras, odd requests', () => {
  const common = parse('::1 - - [24/Nov/2026:10:00:00 +0000] "POST /login HTTP/2.0" 404 -', ctx)!;
  assert.equal(common.severityText, 'WARN');
  assert.equal(common.attributes['http.response.body.size'], undefined);
  assert.equal(common.attributes['user_agent.original'], undefined);
  const nginx = parse('10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8" "10.1.1.1" rt=0.002', ctx)!;
  assert.equal(nginx.severityText, 'INFO');
  assert.equal(nginx.attributes['log.extra'], '"10.1.1.1" rt=0.002');
  assert.equal(nginx.attributes['http.request.header.referer'], undefined);
  const garbage = parse('10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"', ctx)!;
  assert.equal(garbage.attributes['http.request.line'], '\x16\x03\x01');
  assert.equal(createCombinedParser({ severityFromStatus: false })('::1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 500 1', ctx)!.severityNumber, undefined);
});

test('other lines: null', () => {
  for (const line of ['', 'GET / 200', '{"a":1}', '1.2.3.4 - - [x] "GET /" abc 1']) assert.equal(parse(line, ctx), null, line);
});

test("Apache's vhost_combined: the virtual host and port first (Debian's other_vhosts_access.log), through the auto parser too", async () => {
  const line = 'www.example.com:443 203.0.113.9 - - [24/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"';
  const r = parse(line, ctx)!;
  assert.deepEqual([r.attributes['server.address'], r.attributes['server.port'], r.attributes['client.address'], r.attributes['url.path'], r.body], ['www.example.com', '443', '203.0.113.9', '/a', line]);
  const { createAutoParser } = await import('../../../../agents/transforms/parsers/auto.ts');
  const a = createAutoParser()(line, ctx)!;
  assert.deepEqual([a.attributes['server.address'], a.attributes['http.response.status_code'], a.time], ['www.example.com', '200', Date.UTC(2026, 10, 24, 10)]);
  // A client written with a port is no virtual host: four fields must still come before the time.
  const ipv6 = parse('2001:db8::1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5', ctx)!;
  assert.deepEqual([ipv6.attributes['client.address'], ipv6.attributes['server.address']], ['2001:db8::1', undefined]);
  const withPort = parse('10.0.0.1:5000 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5', ctx)!;
  assert.deepEqual([withPort.attributes['client.address'], withPort.attributes['server.address']], ['10.0.0.1:5000', undefined]);
});
