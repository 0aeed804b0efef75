import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSchema, parseTime } from '../../../../../pipeline/transforms/features/views/schema.ts';

const schema = new EventSchema({
  name: 'payments',
  topic: 'payments.v1',
  time_field: 'ts',
  fields: {
    card_id: 'string',
    amount: 'number',
    status: 'integer',
    online: { type: 'boolean', optional: true },
    channel: { type: 'string', default: 'web' },
    'device.id': { type: 'string', optional: true },
  },
});

const T = Date.parse('2026-11-29T10:00:00Z');

test('a valid event gives its time and typed fields, optional ones null or their default', () => {
  const r = schema.decode(Buffer.from(JSON.stringify({ ts: T, card_id: 'c1', amount: 12.5, status: 200, device: { id: 'd9' }, extra: 'ignored' })));
  assert.deepEqual(r, { ok: true, event: { time: T, fields: { card_id: 'c1', amount: 12.5, status: 200, online: null, channel: 'web', 'device.id': 'd9' } } });
});

const BAD: [string, unknown, string, RegExp][] = [
  ['not JSON', '{nope', '', /^not JSON/],
  ['a list', [1, 2], '', /not a JSON object/],
  ['no time', { card_id: 'c', amount: 1, status: 1 }, 'ts', /required and missing \(it is the event-time field\)/],
  ['time in seconds where ms are expected', { ts: T / 1000, card_id: 'c', amount: 1, status: 1 }, 'ts', /not a plausible epoch time in milliseconds/],
  ['time as an unzoned string', { ts: '2026-11-29 10:00:00', card_id: 'c', amount: 1, status: 1 }, 'ts', /ISO-8601 time with a zone/],
  ['missing required field', { ts: T, amount: 1, status: 1 }, 'card_id', /is required and missing/],
  ['number as text', { ts: T, card_id: 'c', amount: '12.5', status: 1 }, 'amount', /should be a finite number, got string "12.5"/],
  ['fractional integer', { ts: T, card_id: 'c', amount: 1, status: 1.5 }, 'status', /should be an integer/],
  ['boolean as number', { ts: T, card_id: 'c', amount: 1, status: 1, online: 1 }, 'online', /should be true or false/],
  ['object for a string', { ts: T, card_id: { a: 1 }, amount: 1, status: 1 }, 'card_id', /should be a string, got an object/],
];

for (const [name, value, field, reason] of BAD) {
  test(`refused with field and reason: ${name}`, () => {
    const r = schema.decode(typeof value === 'string' ? value : JSON.stringify(value));
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.field, field);
    assert.match(r.reason, reason);
  });
}

test('time formats', () => {
  assert.equal(parseTime(T, 'auto'), T);
  assert.equal(parseTime(T / 1000, 'epoch_s'), T);
  assert.equal(parseTime('2026-11-29T10:00:00Z', 'auto'), T);
  assert.equal(parseTime('2026-11-29T11:00:00+01:00', 'iso8601'), T);
  assert.match(String(parseTime('2026-11-29T10:00:00Z', 'epoch_ms')), /should be epoch milliseconds/);
});

test('a default of the wrong type is a config error', () => {
  assert.throws(() => new EventSchema({ name: 's', topic: 't', time_field: 'ts', fields: { a: { type: 'number', default: 'x' } } }), /sources\.s\.fields\.a\.default: should be a finite number/);
});
