// The OpenTelemetry Collector reads OTLP protobuf from our Kafka topics: its own kafka receiver
// (upstream 0.165, encoding otlp_proto) consumes one ExportLogsServiceRequest per message, as the
// agent's kafka.encoding otlp_proto writes them, and its kafka exporter writes what it understood as
// OTLP/JSON to another topic, which must hold every record unchanged (bench/otelcol/interop.ts compares
// them with the input topic as the Collector's pdata decodes it). Real broker, real Collector process.
//
// The Collector (bench/otelcol) is built first: seconds with Go's caches warm; the first build on a
// machine downloads and compiles about 190 modules (measured with empty Go caches: 4.2 min on the
// quiet 2-core machine, 5.8 min beside other work at load average 7-10; under the hook's timeout).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureOtelcol } from '../../bench/otelcol/run.ts';
import { interopLines, produceAgentRecords, produceSdkRecords, throughCollector } from '../../bench/otelcol/interop.ts';
import { createTestTopic } from '../helpers/kafka.ts';

before(() => {
  // Always through build.sh: the binary must be the one main.go and go.mod describe now.
  ensureOtelcol(true);
}, { timeout: 900_000 });

test('records from an OTLP encoder that is not ours pass through the Collector intact', async () => {
  const topic = await createTestTopic('otelcol-in-sdk', 3);
  const count = await produceSdkRecords(topic, 200);
  const r = await throughCollector(topic, count);
  assert.equal(r.unmarshalFailed, 0, 'the Collector could not decode some messages');
  assert.equal(r.messagesIn, count);
  assert.equal(r.sent.length, count);
  assert.deepEqual(r.missing, [], 'records sent that did not arrive (or arrived changed)');
  assert.deepEqual(r.extra, [], 'records that arrived but were not sent');
  assert.equal(r.arrived.length, count);
  // The comparison is not vacuous: spot-check fields the encoder was given.
  const traced = r.arrived.filter((x) => typeof x.record.traceId === 'string' && x.record.traceId.length === 32);
  assert.equal(traced.length, count / 4);
  assert.ok(r.arrived.some((x) => JSON.stringify(x.record.body) === JSON.stringify({ stringValue: 'ünïcødé ✓ — 日本語 #1' })));
});

test("the agent's own records (kafka.encoding otlp_proto) pass through the Collector intact", async () => {
  const topic = await createTestTopic('otelcol-in-agent', 3);
  // Loghub's eight systems, pino JSON and logfmt: parsed fields, severities, times and attributes of every kind the agent writes.
  const lines = interopLines();
  const count = await produceAgentRecords(topic, lines);
  assert.equal(count, lines.length);
  const r = await throughCollector(topic, count);
  assert.equal(r.unmarshalFailed, 0, 'the Collector could not decode some of the agent\'s messages');
  assert.equal(r.messagesIn, count, 'one record per Kafka message');
  assert.equal(r.sent.length, count);
  assert.deepEqual(r.missing, [], 'records the agent sent that did not arrive (or arrived changed)');
  assert.deepEqual(r.extra, [], 'records that arrived but the agent did not send');
  // Not vacuous: the records carry what the agent puts in them.
  type Kv = Array<{ key: string; value: { stringValue?: string } }>;
  for (const x of r.arrived) {
    assert.ok((x.resource as { attributes?: Kv }).attributes?.some((a) => a.key === 'service.name' && a.value.stringValue), 'service.name on the resource');
    assert.match(String(x.record.timeUnixNano), /^\d{19}$/);
    assert.ok(x.record.body !== undefined);
  }
  assert.ok(r.arrived.some((x) => x.record.severityNumber === 17 || x.record.severityText === 'ERROR'), 'an error-level line keeps its severity');
});

test("the agent's records packed several to a message (records_per_message 100) pass through the Collector intact", async () => {
  const topic = await createTestTopic('otelcol-in-agent-packed', 3);
  const lines = interopLines();
  const count = await produceAgentRecords(topic, lines, 100);
  assert.equal(count, lines.length);
  const r = await throughCollector(topic, count);
  assert.equal(r.unmarshalFailed, 0, 'the Collector could not decode some of the agent\'s messages');
  assert.ok(r.messagesIn <= Math.ceil(count / 100) + 3, `${r.messagesIn} messages for ${count} records`);
  assert.equal(r.sent.length, count);
  assert.deepEqual(r.missing, [], 'records the agent sent that did not arrive (or arrived changed)');
  assert.deepEqual(r.extra, [], 'records that arrived but the agent did not send');
});
