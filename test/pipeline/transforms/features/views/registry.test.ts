// Avro and protobuf event sources with their writer schemas from a schema registry
// (pipeline/transforms/features/views/registry.ts). The records and what the registry holds come from
// Confluent's own client (confluent-kafka 2.6's SchemaRegistryClient, AvroSerializer, ProtobufSerializer;
// test/fixtures/events/make_registry.py); the registry the worker reads from is a stand-in HTTP server
// (test/helpers/schema-registry.ts: no schema registry can run here) that answers as Confluent's REST
// API documents.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import avro from 'avsc';
import { EventSchema, type SourceConfig } from '../../../../../pipeline/transforms/features/views/schema.ts';
import { SchemaRegistry } from '../../../../../pipeline/transforms/features/views/registry.ts';
import { validateWorkerConfig } from '../../../../../pipeline/config.ts';
import { isTributaryError } from '../../../../../core/errors.ts';
import { registryFixture, standInRegistry } from '../../../../helpers/schema-registry.ts';

const fixture = registryFixture();
const CREDENTIALS = { username: 'tributary', password: 's3cret' };
const registry = await standInRegistry(fixture.registry, CREDENTIALS);
after(() => registry.close());

const avroRecords = fixture.records.filter((r) => r.format === 'avro');
const orders = fixture.records.filter((r) => r.format === 'protobuf');
const bytes = (hex: string) => Buffer.from(hex, 'hex');
const client = (extra: object = {}) => new SchemaRegistry({ url: registry.url, ...CREDENTIALS, ...extra });

const payments = (r: SchemaRegistry, extra: Partial<SourceConfig> = {}) => new EventSchema({
  name: 'payments', topic: 'payments.v1', time_field: 'ts', format: 'avro',
  fields: { id: 'string', amount: 'number', channel: { type: 'string', optional: true } }, ...extra,
}, r);
const orderSource = (r: SchemaRegistry, extra: Partial<SourceConfig> = {}) => new EventSchema({
  name: 'orders', topic: 'orders.v1', time_field: 'ts', format: 'protobuf',
  fields: { id: 'string', 'total.currency': 'string', 'total.units': 'integer', 'total.nanos': 'integer' }, ...extra,
}, r);

test('Avro records of two registered versions read with the schema of their id, each id fetched once', async () => {
  registry.requests.length = 0;
  const s = payments(client());
  const values = avroRecords.map((r) => bytes(r.hex));
  assert.deepEqual(new Set(values.map((v) => v.readUInt32BE(1))), new Set([1, 2]), 'the client registered two versions');
  await s.prepare(values);
  await s.prepare(values);
  for (const r of avroRecords) {
    const got = s.decode(bytes(r.hex));
    assert.ok(got.ok, !got.ok ? got.reason : '');
    const { ts, ...fields } = r.expected;
    assert.equal(got.event.time, ts);
    assert.deepEqual(got.event.fields, { channel: null, ...fields });
  }
  assert.deepEqual(registry.requests.sort(), ['/schemas/ids/1', '/schemas/ids/2']);
});

test('protobuf orders whose schema refers to other files: the references fetched by subject and version, read as .proto text and as descriptors', async () => {
  for (const serialized of [false, true]) {
    registry.serialized = serialized;
    registry.requests.length = 0;
    const s = orderSource(client(), { proto_message: 'shop.Order' });
    await s.prepare(orders.map((r) => bytes(r.hex)));
    assert.deepEqual(registry.requests, ['/schemas/ids/5', '/subjects/money.proto/versions/1', '/subjects/google%2Fprotobuf%2Ftimestamp.proto/versions/1']);
    for (const r of orders) {
      const got = s.decodeAll(bytes(r.hex));
      assert.equal(got.refused.length, 0, `${serialized}: ${got.refused[0]?.reason}`);
      const { ts, first_item: _first, ...fields } = r.expected;
      assert.equal(got.events[0]!.time, ts, `serialized ${serialized}`);
      assert.deepEqual(got.events[0]!.fields, fields, `serialized ${serialized}`);
    }
    // Field names as the .proto writes them (line_items, not lineItems).
    const withItems = orderSource(client(), { fields: { 'line_items.0': 'string' } });
    await withItems.prepare([bytes(orders[2]!.hex)]);
    const got = withItems.decode(bytes(orders[2]!.hex));
    assert.ok(got.ok, !got.ok ? got.reason : '');
    assert.equal(got.event.fields['line_items.0'], orders[2]!.expected.first_item);
  }
  registry.serialized = false;
});

test('an id the registry lacks, or of another format, is a refusal naming it; the other records read on', async () => {
  const s = payments(client());
  const unknown = Buffer.from(avroRecords[0]!.hex, 'hex');
  unknown.writeUInt32BE(77, 1);
  const values = [unknown, bytes(avroRecords[1]!.hex), bytes(orders[0]!.hex)];
  await s.prepare(values);
  const r0 = s.decodeAll(values[0]!);
  assert.match(r0.refused[0]!.reason, new RegExp(`schema id 77 is not in the schema registry at ${registry.url.replace(/\./g, '\\.')} \\(Schema 77 not found\\)`));
  assert.doesNotMatch(r0.refused[0]!.reason, /s3cret|tributary:/);
  assert.ok(s.decode(values[1]!).ok);
  assert.match(s.decodeAll(values[2]!).refused[0]!.reason, /schema id 5 is a PROTOBUF schema in the registry, not Avro/);
  const o = orderSource(client());
  await o.prepare([bytes(avroRecords[0]!.hex)]);
  assert.match(o.decodeAll(bytes(avroRecords[0]!.hex)).refused[0]!.reason, /schema id 1 is an Avro schema in the registry, not protobuf/);
});

test('a registry that is down is retriable and not remembered; wrong credentials are not retriable and not echoed', async () => {
  const s = payments(client());
  const value = bytes(avroRecords[0]!.hex);
  registry.failWith = 503;
  try {
    await assert.rejects(s.prepare([value]), (err: unknown) => isTributaryError(err) && err.code === 'REGISTRY_UNAVAILABLE' && err.canRetry && /HTTP 503/.test(err.message));
  } finally {
    registry.failWith = undefined;
  }
  await s.prepare([value]);
  assert.ok(s.decode(value).ok, 'asked again once it answered');

  const wrong = payments(client({ password: 'not-the-password' }));
  await assert.rejects(wrong.prepare([value]), (err: unknown) => isTributaryError(err) && err.code === 'REGISTRY_AUTH' && !err.canRetry && !/not-the-password/.test(err.message));
  // Credentials in the URL, as Confluent's clients take them; never in a message.
  const inUrl = new SchemaRegistry({ url: registry.url.replace('http://', 'http://tributary:s3cret@') });
  assert.equal(inUrl.where, registry.url);
  assert.equal((await inUrl.lookup(1)).ok, true);

  const closed = await standInRegistry([]);
  await closed.close();
  const gone = payments(new SchemaRegistry({ url: closed.url, timeout_ms: 500 }));
  await assert.rejects(gone.prepare([value]), (err: unknown) => isTributaryError(err) && err.code === 'REGISTRY_UNAVAILABLE' && err.canRetry && /ECONNREFUSED/.test(err.message));
});

test('Avro references: a named type of another registered schema', async () => {
  // Written here with avsc (Python's AvroSerializer does not register references): the reference's type
  // must be known by its name when the schema that uses it is read.
  const merchant = { type: 'record', name: 'Merchant', namespace: 'shop', fields: [{ name: 'id', type: 'string' }, { name: 'country', type: 'string' }] };
  const payment = { type: 'record', name: 'Payment', namespace: 'shop', fields: [{ name: 'id', type: 'string' }, { name: 'ts', type: 'long' }, { name: 'merchant', type: 'shop.Merchant' }] };
  const own = await standInRegistry([
    { id: 10, subject: 'shop.Merchant', version: 3, schemaType: 'AVRO', schema: JSON.stringify(merchant), references: [] },
    { id: 11, subject: 'payments-value', version: 1, schemaType: 'AVRO', schema: JSON.stringify(payment), references: [{ name: 'shop.Merchant', subject: 'shop.Merchant', version: 3 }] },
  ]);
  try {
    const registryOfTypes: Record<string, avro.Type> = {};
    avro.Type.forSchema(merchant as avro.Schema, { registry: registryOfTypes });
    const t = avro.Type.forSchema(payment as avro.Schema, { registry: registryOfTypes });
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 11]), t.toBuffer({ id: 'p1', ts: 1796000000000, merchant: { id: 'm1', country: 'DE' } })]);
    const s = new EventSchema({ name: 'p', topic: 't', time_field: 'ts', format: 'avro', fields: { id: 'string', 'merchant.country': 'string' } }, new SchemaRegistry({ url: own.url }));
    await s.prepare([value]);
    const got = s.decode(value);
    assert.ok(got.ok, !got.ok ? got.reason : '');
    assert.deepEqual(got.event.fields, { id: 'p1', 'merchant.country': 'DE' });
    assert.deepEqual(own.requests, ['/schemas/ids/11', '/subjects/shop.Merchant/versions/3']);
  } finally {
    await own.close();
  }
});

test('configuration: a registry stands in for schema files; without either the source is refused, naming the key', () => {
  const source = { name: 'payments', topic: 'payments.v1', time_field: 'ts', format: 'avro', fields: { id: 'string' } };
  assert.throws(() => validateWorkerConfig({ sources: [source] }, { env: {} }), /format avro needs the writer schema: avro_schema .*or schema_registry\.url/);
  assert.throws(() => validateWorkerConfig({ sources: [{ ...source, format: 'protobuf' }] }, { env: {} }), /format protobuf needs proto_file .*or schema_registry\.url/);
  const cfg = validateWorkerConfig({ sources: [source] }, { env: { SCHEMA_REGISTRY_URL: 'https://registry.example:8081', SCHEMA_REGISTRY_USER: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' } });
  assert.deepEqual(cfg.schema_registry, { url: 'https://registry.example:8081', username: 'key', password: 'secret', timeout_ms: 10_000 });
  assert.throws(() => validateWorkerConfig({ sources: [source], schema_registry: { url: 'not a url' } }, { env: {} }), /schema_registry\.url: not a URL/);
  assert.throws(() => validateWorkerConfig({ sources: [source], schema_registry: { url: 'ftp://x' } }, { env: {} }), /schema_registry\.url: ftp: is not http or https/);
});
