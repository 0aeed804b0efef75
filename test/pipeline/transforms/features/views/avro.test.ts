// Avro event sources (pipeline/transforms/features/views/avro.ts) on bytes another library wrote:
// Confluent's own AvroSerializer (confluent-kafka 2.6, encoding with fastavro 1.9.7) framed the payments
// of test/fixtures/events/avro-payments.json with two versions of a writer schema (make_events.py), and
// fastavro wrote a few plain payloads without a frame.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EventSchema, type SourceConfig } from '../../../../../pipeline/transforms/features/views/schema.ts';
import { validateWorkerConfig } from '../../../../../pipeline/config.ts';
import { tempDir } from '../../../../agents/harness.ts';

const DIR = fileURLToPath(new URL('../../../../fixtures/events/', import.meta.url));
const V1 = join(DIR, 'payment-v1.avsc');
const V2 = join(DIR, 'payment-v2.avsc');
interface Fixture {
  framing: 'confluent' | 'none';
  schema_id?: number;
  hex: string;
  expected: Record<string, string | number | boolean | null>;
}
const { records } = JSON.parse(readFileSync(join(DIR, 'avro-payments.json'), 'utf8')) as { records: Fixture[] };
const framed = records.filter((r) => r.framing === 'confluent');
const plain = records.filter((r) => r.framing === 'none');

const FIELDS: SourceConfig['fields'] = {
  id: 'string', card_id: 'string', amount: 'number', currency: 'string', status: 'integer', approved: { type: 'boolean', optional: true },
  'merchant.id': 'string', 'merchant.country': 'string', risk: 'number', created_us: 'integer', channel: { type: 'string', optional: true },
};
const source = (extra: Partial<SourceConfig>): EventSchema => new EventSchema({ name: 'payments', topic: 'payments.avro', time_field: 'ts', fields: FIELDS, format: 'avro', ...extra });

test('records of two schema versions, each read with the writer schema of its id: every field as written, decimals as numbers, the time from timestamp-millis', () => {
  const s = source({ avro_schemas: { '7': V1, '8': V2 } });
  assert.deepEqual([...new Set(framed.map((r) => r.schema_id))], [7, 8], 'both versions are in the fixtures');
  for (const r of framed) {
    const got = s.decode(Buffer.from(r.hex, 'hex'));
    assert.ok(got.ok, `${r.expected.id}: ${!got.ok && got.reason}`);
    const { ts, ...fields } = r.expected;
    assert.equal(got.event.time, ts, `${r.expected.id}: time`);
    assert.deepEqual(got.event.fields, { channel: null, ...fields }, `${r.expected.id}`);
  }
  assert.ok(framed.some((r) => (r.expected.amount as number) < 0), 'negative decimals are among them');
});

test('a time in timestamp-micros is read by its size; plain Avro (avro_raw) with its one schema', () => {
  const micros = source({ time_field: 'created_us', avro_schema: V1 });
  const r = framed[3]!;
  const got = micros.decode(Buffer.from(r.hex, 'hex'));
  assert.ok(got.ok);
  assert.equal(got.event.time, (r.expected.created_us as number) / 1000);
  const raw = source({ format: 'avro_raw', avro_schema: V1 });
  for (const p of plain) {
    const e = raw.decode(Buffer.from(p.hex, 'hex'));
    assert.ok(e.ok, !e.ok ? e.reason : '');
    assert.equal(e.event.fields.id, p.expected.id);
    assert.equal(e.event.fields.amount, p.expected.amount);
  }
});

test('records that cannot be read are refused with the reason: an id without a schema, JSON, a cut or padded payload, a schema that does not fit', () => {
  const onlyV1 = source({ avro_schemas: { '7': V1 } });
  const v2 = framed.find((r) => r.schema_id === 8)!;
  const refused = (s: EventSchema, bytes: Buffer): string => {
    const r = s.decodeAll(bytes);
    assert.equal(r.events.length, 0);
    return r.refused[0]!.reason;
  };
  assert.match(refused(onlyV1, Buffer.from(v2.hex, 'hex')), /written with schema id 8, which has no schema in avro_schemas \(known: 7\)/);
  assert.match(refused(onlyV1, Buffer.from('{"id":"p1"}')), /not in Confluent's wire format .* starts with byte 0x7b \('\{': JSON\? then the source's format is json\)/);
  assert.match(refused(onlyV1, Buffer.from(plain[0]!.hex, 'hex')), /payloads without the frame are format avro_raw|not Avro of the writer schema/);
  const v1 = Buffer.from(framed[2]!.hex, 'hex');
  assert.match(refused(onlyV1, v1.subarray(0, v1.length - 3)), /not Avro of the writer schema \(id 7, shop\.payments\.Payment\): truncated buffer/);
  assert.match(refused(onlyV1, Buffer.concat([v1, Buffer.from([2, 4])])), /trailing data/);
  // A v2 record read with the v1 schema: the bytes do not fit it (where they happen to, the values are wrong: ids are never guessed).
  const wrong = source({ avro_schema: V1 });
  const reasons = framed.filter((r) => r.schema_id === 8).map((r) => wrong.decodeAll(Buffer.from(r.hex, 'hex')));
  assert.ok(reasons.some((r) => r.refused.length > 0 || r.events[0]!.fields.currency !== 'EUR'), 'read with the wrong schema, v2 records do not come out right');
});

test('configuration mistakes name the source and the key', () => {
  assert.throws(() => source({}), /sources\.payments: format avro needs the writer schema: avro_schema/);
  assert.throws(() => source({ format: 'json', avro_schema: V1 }), /sources\.payments: avro_schema is given but format is json/);
  assert.throws(() => source({ avro_schema: join(DIR, 'missing.avsc') }), /sources\.payments\.avro_schema: cannot read the Avro schema .*missing\.avsc/);
  assert.throws(() => source({ avro_schema: { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nonesuch' }] } }), /sources\.payments\.avro_schema: not an Avro schema/);
  assert.throws(() => source({ format: 'avro_raw', avro_schemas: { '7': V1 } }), /avro_raw\) carries no schema id/);
  assert.throws(() => source({ avro_schemas: { seven: V1 } }), /sources\.payments\.avro_schemas: "seven" is not a schema registry id/);
  // Inline schemas work as files do.
  const inline = source({ avro_schema: JSON.parse(readFileSync(V1, 'utf8')) as Record<string, unknown> });
  assert.ok(inline.decode(Buffer.from(framed[0]!.hex, 'hex')).ok);
});

test('in the worker\'s config, schema files are relative to the config file', () => {
  const dir = tempDir('tributary-avro-config-');
  writeFileSync(join(dir, 'v1.avsc'), readFileSync(V1));
  const cfg = validateWorkerConfig({ sources: [{ name: 'payments', topic: 't', time_field: 'ts', format: 'avro', avro_schema: 'v1.avsc', avro_schemas: { '7': 'v1.avsc', '9': { type: 'string' } }, fields: { id: 'string' } }] }, { env: {}, baseDir: dir });
  assert.equal(cfg.sources[0]!.avro_schema, join(dir, 'v1.avsc'));
  assert.deepEqual(cfg.sources[0]!.avro_schemas, { '7': join(dir, 'v1.avsc'), '9': { type: 'string' } });
});
