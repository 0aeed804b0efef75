// GELF messages (agents/transforms/parsers/gelf.ts) through the auto and json parsers. The messages are
// what gelf-pro 1.4 (a GELF client for Node, a dev dependency) writes for a log call, and Docker's gelf
// driver's fields as its documentation lists them (no Docker engine here: that message is written by
// hand after the list, a test double of the driver).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createJsonParser } from '../../../../agents/transforms/parsers/json.ts';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';

const gelf = createRequire(import.meta.url)('gelf-pro') as { getStringFromObject(obj: Record<string, unknown>): string };

test('a GELF client\'s message: short_message is the body, the syslog level a severity, host the host, _fields attributes', () => {
  const line = gelf.getStringFromObject({
    short_message: 'payment 42 refused', full_message: 'Error: refused\n    at pay (/app/pay.js:10:5)', level: 3, host: 'pay-1', timestamp: 1764405600.25,
    service: 'payments', order: { id: 42, total: 9.5 }, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  });
  assert.match(line, /"_service":"payments"/, 'the client writes additional fields with an underscore');
  check('GELF', [[line, {
    time: '2025-11-29T08:40:00.250Z', level: 'ERR', number: 17, body: 'payment 42 refused', host: 'pay-1', service: 'payments',
    attributes: { full_message: 'Error: refused\n    at pay (/app/pay.js:10:5)', order_id: '42', order_total: '9.5', version: undefined, _service: undefined, level: undefined },
  }]]);
  assert.equal(parse(line, ctx).traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('every GELF level is a syslog severity, 0 emergency to 7 debug', () => {
  const words = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
  for (let level = 0; level < 8; level++) {
    const r = parse(gelf.getStringFromObject({ short_message: 'x', level, host: 'h' }), ctx);
    assert.equal(r.severityText, words[level], `level ${level}`);
  }
  // A level some clients write as a word is read as a word; no level, no severity from it.
  assert.equal(parse('{"version":"1.1","host":"h","short_message":"x","level":"warn"}', ctx).severityText, 'WARN');
  assert.equal(parse('{"version":"1.1","host":"h","short_message":"x"}', ctx).severityNumber, undefined);
});

test('Docker\'s gelf driver\'s fields become OpenTelemetry\'s container attributes', () => {
  const line = JSON.stringify({
    version: '1.1', host: 'docker-host-1', short_message: '10.0.0.7 - - "GET /health HTTP/1.1" 200 2', timestamp: 1764405600.5, level: 6,
    _command: 'nginx -g daemon off;', _container_id: 'a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3', _container_name: 'web', _created: '2026-11-29T06:00:00.000000000Z',
    _image_id: 'sha256:0123456789abcdef', _image_name: 'nginx:1.27', _tag: 'a7c3e4f1b2d5',
  });
  check('GELF', [[line, {
    time: '2025-11-29T08:40:00.500Z', level: 'INFO', host: 'docker-host-1', body: '10.0.0.7 - - "GET /health HTTP/1.1" 200 2',
    attributes: { 'container.name': 'web', 'container.id': 'a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3', 'container.image.name': 'nginx:1.27', 'container.image.id': 'sha256:0123456789abcdef', 'container.command': 'nginx -g daemon off;', tag: 'a7c3e4f1b2d5' },
  }]]);
});

test('a JSON line with a short_message but not GELF\'s other required fields stays a plain JSON line', () => {
  const r = parse('{"short_message":"hi","msg":"the message","level":"info"}', ctx);
  assert.equal(r.body, 'the message');
  assert.equal(r.attributes.short_message, 'hi');
});

test('the json parser reads GELF too, whatever message key it was given', () => {
  const json = createJsonParser({ messageKeys: ['text'] });
  const r = json('{"version":"1.1","host":"h","short_message":"from gelf","_text":"a field"}', ctx)!;
  assert.equal(r.body, 'from gelf');
  assert.equal(r.attributes.text, 'a field');
});
