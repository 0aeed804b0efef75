// Protobuf event sources (pipeline/transforms/features/views/protobuf.ts) on bytes Confluent's own
// ProtobufSerializer wrote (confluent-kafka 2.6 with Google's protobuf 4.25; make_events.py): payments
// and refunds of test/fixtures/events/payment.proto under one schema id, told apart by their message
// indexes, and plain payloads without a frame.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { messageIndexes } from '../../../../../pipeline/transforms/features/views/protobuf.ts';
import { EventSchema, type SourceConfig } from '../../../../../pipeline/transforms/features/views/schema.ts';
import { validateWorkerConfig } from '../../../../../pipeline/config.ts';

const DIR = fileURLToPath(new URL('../../../../fixtures/events/', import.meta.url));
const PROTO = join(DIR, 'payment.proto');
interface Fixture {
  framing: 'confluent' | 'none';
  message: string;
  hex: string;
  expected: Record<string, string | number | boolean | null>;
}
const { records } = JSON.parse(readFileSync(join(DIR, 'protobuf-payments.json'), 'utf8')) as { records: Fixture[] };
const payments = records.filter((r) => r.message === 'shop.Payment' && r.framing === 'confluent');
const refunds = records.filter((r) => r.message === 'shop.Refund');
const plain = records.filter((r) => r.framing === 'none');

const FIELDS: SourceConfig['fields'] = {
  id: 'string', card_id: 'string', amount: 'number', created_us: 'integer', status: 'string', 'merchant.id': 'string', 'merchant.country': 'string',
  approved: { type: 'boolean', optional: true }, channel: { type: 'string', optional: true }, attempts: 'integer',
};
const source = (extra: Partial<SourceConfig>): EventSchema => new EventSchema({ name: 'payments', topic: 'payments.pb', time_field: 'ts', fields: FIELDS, format: 'protobuf', proto_file: PROTO, ...extra });

test('payments as the ProtobufSerializer framed them: every field as written, the Timestamp as the time, enums by name, absent wrappers and optionals null', () => {
  const s = source({ proto_message: 'shop.Payment' });
  assert.ok(payments.length >= 10);
  for (const r of payments) {
    const got = s.decode(Buffer.from(r.hex, 'hex'));
    assert.ok(got.ok, `${r.expected.id}: ${!got.ok && got.reason}`);
    const { ts, ...fields } = r.expected;
    assert.equal(got.event.time, ts, `${r.expected.id}: time`);
    assert.deepEqual(got.event.fields, fields, `${r.expected.id}`);
  }
  assert.ok(payments.some((r) => r.expected.approved === null) && payments.some((r) => r.expected.channel === null), 'absent values are among them');
});

test('message indexes pick the message: refunds and payments of one schema id each read as what they are', () => {
  const refundsSource = new EventSchema({ name: 'refunds', topic: 't', time_field: 'ts', fields: { id: 'string', payment_id: 'string', amount: 'number' }, format: 'protobuf', proto_file: PROTO });
  for (const r of refunds) {
    const got = refundsSource.decode(Buffer.from(r.hex, 'hex'));
    assert.ok(got.ok, !got.ok ? got.reason : '');
    assert.deepEqual(got.event.fields, { id: r.expected.id, payment_id: r.expected.payment_id, amount: r.expected.amount });
    assert.equal(got.event.time, r.expected.ts);
  }
  // Refunds are index [0] (a single 0 byte), payments [1].
  assert.deepEqual(messageIndexes(Buffer.from(refunds[0]!.hex, 'hex'), 5), { indexes: [0], next: 6 });
  assert.deepEqual(messageIndexes(Buffer.from(payments[0]!.hex, 'hex'), 5), { indexes: [1], next: 7 });
  const onlyPayments = source({ proto_message: 'shop.Payment' });
  const r = onlyPayments.decodeAll(Buffer.from(refunds[0]!.hex, 'hex'));
  assert.match(r.refused[0]!.reason, /a shop\.Refund \(message index \[0\]\), not the shop\.Payment proto_message names/);
});

test('plain payloads (protobuf_raw) of proto_message; bytes that are not the message are refused with the reason', () => {
  const raw = source({ format: 'protobuf_raw', proto_message: 'shop.Payment' });
  for (const p of plain) {
    const e = raw.decode(Buffer.from(p.hex, 'hex'));
    assert.ok(e.ok, !e.ok ? e.reason : '');
    assert.equal(e.event.fields.id, p.expected.id);
    assert.equal(e.event.time, p.expected.ts);
  }
  const framed = source({});
  const refused = (bytes: Buffer) => framed.decodeAll(bytes).refused[0]!.reason;
  assert.match(refused(Buffer.from('{"id":"p1"}')), /not in Confluent's wire format .*'\{': JSON\?/);
  const p0 = Buffer.from(payments[2]!.hex, 'hex');
  // Protobuf cannot tell a payload cut at a field's end from a shorter message; a wire type that does not exist it can.
  assert.match(refused(Buffer.concat([p0, Buffer.from([0x0f])])), /not a protobuf shop\.Payment: (invalid wire type 7|index out of range)/);
  assert.match(refused(Buffer.concat([p0.subarray(0, 5), Buffer.from([0x06, 0x02, 0x02, 0x02])])), /message index \[1, 1, 1\] names no message/);
  assert.match(refused(Buffer.concat([p0.subarray(0, 5), Buffer.from([0xff])])), /message indexes after the schema id are cut short or malformed/);
});

test('configuration mistakes name the source and the key; proto_file is relative to the worker\'s config', () => {
  assert.throws(() => new EventSchema({ name: 'p', topic: 't', time_field: 'ts', fields: { id: 'string' }, format: 'protobuf' }), /sources\.p: format protobuf needs proto_file/);
  assert.throws(() => source({ format: 'protobuf_raw' }), /format protobuf_raw needs proto_message/);
  assert.throws(() => source({ proto_message: 'shop.Nope' }), /proto_message: shop\.Nope is not a message of .*payment\.proto \(it has shop\.Refund, shop\.Payment\)/);
  assert.throws(() => source({ proto_file: join(DIR, 'missing.proto') }), /sources\.payments\.proto_file: cannot read .*missing\.proto/);
  assert.throws(() => source({ format: 'json' }), /proto_file is given but format is json/);
  const cfg = validateWorkerConfig({ sources: [{ name: 'p', topic: 't', time_field: 'ts', format: 'protobuf', proto_file: 'payment.proto', fields: { id: 'string' } }] }, { env: {}, baseDir: DIR });
  assert.equal(cfg.sources[0]!.proto_file, PROTO);
});
