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
  ['a time no unit makes plausible', { ts: 86_400_000, card_id: 'c', amount: 1, status: 1 }, 'ts', /86400000 is not a plausible epoch time in seconds, milliseconds, microseconds or nanoseconds \(years 2000-2200\)/],
  ['a time as text that is not digits', { ts: '1764410400x', card_id: 'c', amount: 1, status: 1 }, 'ts', /ISO-8601 time with a zone/],
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
  assert.equal(parseTime(T * 1000 + 250, 'epoch_us'), T + 0.25);
  assert.equal(parseTime(String(BigInt(T) * 1_000_000n), 'epoch_ns'), T, 'digits in a string, as protobuf JSON writes int64');
});

test('auto tells seconds, milliseconds, microseconds and nanoseconds apart by size, numbers or digits in a string', () => {
  const t = T + 123;
  for (const [v, unit] of [[t / 1000, 's'], [t, 'ms'], [t * 1000, 'us'], [t * 1e6, 'ns'], [String(t), 'ms text'], [String(BigInt(t) * 1_000_000n), 'ns text'], [String(T / 1000), 's text']] as const) {
    const ms = parseTime(v, 'auto');
    assert.equal(typeof ms, 'number', `${unit}: ${String(ms)}`);
    assert.ok(Math.abs((ms as number) - (unit === 's text' ? T : t)) < 0.01, `${unit}: ${ms} against ${t}`);
  }
  // The edges: each unit's years 2000-2200, which do not overlap.
  assert.equal(parseTime(946_684_800, 'auto'), 946_684_800_000);
  assert.equal(parseTime(7_258_118_400, 'auto'), 7_258_118_400_000);
  assert.match(String(parseTime(7_258_118_401, 'auto')), /not a plausible epoch time in seconds, milliseconds, microseconds or nanoseconds/);
  assert.match(String(parseTime(946_684_799, 'auto')), /not a plausible/);
});

test('a declared unit is kept, and a time in another unit is refused naming the unit it would be', () => {
  assert.match(String(parseTime(T / 1000, 'epoch_ms')), /not a plausible epoch time in milliseconds \(years 2000-2200\); in seconds it would be \(time_format: epoch_s, or auto\)/);
  assert.match(String(parseTime(T * 1e6, 'epoch_us')), /in nanoseconds it would be \(time_format: epoch_ns/);
  assert.match(String(parseTime(true, 'epoch_s')), /should be epoch seconds \(a number\), got true/);
});

test('from_text: a number or integer field reads the number written as text, and refuses text that spells none', () => {
  const s = new EventSchema({ name: 'cdc', topic: 'db.public.orders', time_field: 'payload.ts_ms', fields: { 'payload.after.total': { type: 'number', from_text: true }, 'payload.after.id': { type: 'integer', from_text: true }, 'payload.after.qty': 'integer' } });
  const rec = (total: unknown, id: unknown = '9007199254740991', qty: unknown = 2) => JSON.stringify({ payload: { ts_ms: T, after: { total, id, qty } } });
  assert.deepEqual(s.decode(rec('12.50')), { ok: true, event: { time: T, fields: { 'payload.after.total': 12.5, 'payload.after.id': 9007199254740991, 'payload.after.qty': 2 } } });
  assert.deepEqual(s.decode(rec(12.5)), { ok: true, event: { time: T, fields: { 'payload.after.total': 12.5, 'payload.after.id': 9007199254740991, 'payload.after.qty': 2 } } }, 'numbers still read as numbers');
  for (const [bad, why] of [['12abc', /should be a number \(or one written as text\), got text "12abc"/], ['', /got text ""/], ['0x1F', /got text "0x1F"/], ['NaN', /got text "NaN"/], ['Infinity', /got text "Infinity"/]] as const) {
    const r = s.decode(rec(bad));
    assert.ok(!r.ok && r.field === 'payload.after.total' && why.test(r.reason), `${bad}: ${JSON.stringify(r)}`);
  }
  // Debezium's precise decimal: 12.50 with scale 2 is 1250 = 0x04E2, written as base64.
  const precise = s.decode(rec(Buffer.from([0x04, 0xe2]).toString('base64')));
  assert.ok(!precise.ok && /got text "BOI=" \(base64\? Kafka Connect writes decimals so/.test(precise.reason), JSON.stringify(precise));
  const big = s.decode(rec(1, '9007199254740993'));
  assert.ok(!big.ok && big.field === 'payload.after.id' && /should be an integer.*read from text "9007199254740993"/.test(big.reason), JSON.stringify(big));
  const qty = s.decode(rec(1, '1', '2'));
  assert.ok(!qty.ok && qty.field === 'payload.after.qty' && /should be an integer, got string "2"/.test(qty.reason), 'a field without from_text is not coerced');
  assert.throws(() => new EventSchema({ name: 's', topic: 't', time_field: 'ts', fields: { a: { type: 'string', from_text: true } } }), /sources\.s\.fields\.a\.from_text: only number and integer fields/);
});

test('a record framed by a schema registry: a JSON payload is read, others refused naming the framing and the schema id', () => {
  const header = (id: number) => {
    const h = Buffer.alloc(5);
    h.writeUInt32BE(id, 1);
    return h;
  };
  const json = Buffer.from(JSON.stringify({ ts: T, card_id: 'c1', amount: 1, status: 200 }));
  const r = schema.decode(Buffer.concat([header(42), json]));
  assert.ok(r.ok && r.event.fields.card_id === 'c1', JSON.stringify(r));
  // An Avro payload as Confluent's serializer writes it (a string, then a double): not JSON.
  const avro = Buffer.concat([header(7), Buffer.from([0x04, 0x63, 0x31]), Buffer.from(new Float64Array([12.5]).buffer)]);
  const bad = schema.decode(avro);
  assert.ok(!bad.ok && /framed by a schema registry \(magic byte 0, schema id 7\).*Avro and Protobuf payloads are read with format: avro or protobuf and the producer's schema/.test(bad.reason), JSON.stringify(bad));
  const plain = schema.decode(Buffer.from([0x01, 0x02]));
  assert.ok(!plain.ok && /^not JSON/.test(plain.reason), 'other bytes are plain "not JSON"');
});

test('a default of the wrong type is a config error', () => {
  assert.throws(() => new EventSchema({ name: 's', topic: 't', time_field: 'ts', fields: { a: { type: 'number', default: 'x' } } }), /sources\.s\.fields\.a\.default: should be a finite number/);
});

test('a time without a zone is read in the source\'s time_zone, and refused with a hint without one', () => {
  assert.match(String(parseTime('2026-11-29T10:00:00', 'auto')), /with a zone .*\(a time without a zone: set the source's time_zone to read it\)/);
  assert.equal(parseTime('2026-11-29T10:00:00', 'auto', 'UTC'), T);
  assert.equal(parseTime('2026-11-29 11:00:00.250', 'iso8601', 'Europe/Berlin'), T + 250, 'CET in winter: an hour ahead of UTC');
  assert.equal(parseTime('2026-07-01T12:00:00', 'auto', 'Europe/Berlin'), Date.parse('2026-07-01T10:00:00Z'), 'CEST in summer: two hours');
  assert.equal(parseTime('2026-11-29T10:00:00Z', 'auto', 'Europe/Berlin'), T, 'a time with its own zone keeps it');
  assert.match(String(parseTime('2026-02-30T10:00:00', 'auto', 'UTC')), /is not a valid date/);
  const s = new EventSchema({ name: 'py', topic: 'py.events', time_field: 'created_at', time_zone: 'America/New_York', fields: { user: 'string' } });
  const r = s.decode(JSON.stringify({ created_at: '2026-11-29T05:00:00.123456', user: 'u1' }));
  assert.deepEqual(r, { ok: true, event: { time: T + 123.456, fields: { user: 'u1' } } });
  assert.throws(() => new EventSchema({ name: 'py', topic: 't', time_field: 'ts', time_zone: 'Mars/Olympus', fields: { a: 'string' } }), /sources\.py\.time_zone: "Mars\/Olympus" is not an IANA time zone/);
});

test('decodeAll: a JSON list holds several events, each checked alone; a tombstone holds none', () => {
  const ev = (card: string, ts: unknown = T) => ({ ts, card_id: card, amount: 1, status: 200 });
  const r = schema.decodeAll(JSON.stringify([ev('a'), ev('b', 'yesterday'), ev('c', T + 5)]));
  assert.equal(r.list, true);
  assert.deepEqual(r.events.map((e) => [e.fields.card_id, e.time]), [['a', T], ['c', T + 5]], 'in the list\'s order');
  assert.equal(r.refused.length, 1);
  assert.equal(r.refused[0]!.field, 'ts');
  assert.match(r.refused[0]!.reason, /^\(event 2 of the record's 3\) should be an ISO-8601 time/);
  assert.deepEqual(schema.decodeAll(null), { list: false, events: [], refused: [] }, 'a tombstone');
  assert.deepEqual(schema.decodeAll(Buffer.alloc(0)).refused, [{ field: '', reason: 'the record is empty' }], 'an empty value is not a tombstone');
  const one = schema.decodeAll(JSON.stringify(ev('z')));
  assert.deepEqual([one.list, one.events.length, one.refused.length], [false, 1, 0]);
  assert.deepEqual(schema.decodeAll('[]'), { list: true, events: [], refused: [] });
});

test('time_field $kafka_timestamp: the record\'s Kafka timestamp is the event time; without one the record is refused', () => {
  const s = new EventSchema({ name: 'clicks', topic: 'clicks', time_field: '$kafka_timestamp', fields: { user: 'string' } });
  assert.deepEqual(s.decode(JSON.stringify({ user: 'u1', ts: 'ignored' }), T), { ok: true, event: { time: T, fields: { user: 'u1' } } });
  assert.deepEqual(s.decodeAll(JSON.stringify([{ user: 'a' }, { user: 'b' }]), T).events.map((e) => e.time), [T, T], 'a list\'s events share their record\'s timestamp');
  const r = s.decode(JSON.stringify({ user: 'u1' }));
  assert.ok(!r.ok && r.field === '$kafka_timestamp' && /the record has no Kafka timestamp/.test(r.reason), JSON.stringify(r));
  assert.equal(s.decode(JSON.stringify({ user: 'u1' }), -1).ok, false, 'Kafka\'s -1 (no timestamp) is none');
});
