// The harness the OTLP interop tests stand on: test/interop/otlp-pdata (the Collector's pdata decoder,
// built with Go) must read what an OTLP encoder that is not ours writes, field by field, and must name
// the message it cannot read. The encoder here is OpenTelemetry JS's own protobuf serializer
// (@opentelemetry/otlp-transformer, hand-written wire code independent of our agents/ schema), so a
// pass says the decoder and the JSON it prints are right, not that two copies of our code agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resources } from '@opentelemetry/sdk-node';
import type { logs } from '@opentelemetry/sdk-node';
import { pdataDecoder } from '../helpers/otlp-pdata.ts';

type Readable = logs.ReadableLogRecord;

const resource = resources.resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'web-1' });
const scope = { name: 'tributary.test', version: '1.2.3' };

/** One log record as the JS SDK hands it to an exporter; times in nanoseconds past the epoch. */
function record(i: number, extra: Partial<Readable> = {}): Readable {
  const ns = 1_764_410_400_123_456_789n + BigInt(i) * 1_000_001n;
  const hr = (n: bigint): [number, number] => [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
  return {
    hrTime: hr(ns),
    hrTimeObserved: hr(ns + 5_000n),
    severityNumber: 13,
    severityText: 'WARN',
    body: `disk ${i} at 91% on /var — ünïcode\nsecond line`,
    resource,
    instrumentationScope: scope,
    attributes: { 'log.file.path': '/var/log/app.log', 'retry.count': 3 + i, ratio: 0.25, ok: true },
    droppedAttributesCount: 0,
    ...extra,
  };
}

/** One ExportLogsServiceRequest holding one record, as the agent's otlp_proto encoding writes per Kafka message. */
const encode = (r: Readable): Buffer => Buffer.from(ProtobufLogsSerializer.serializeRequest([r])!);

interface AnyValue {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface Json {
  resourceLogs: Array<{
    resource: { attributes: Array<{ key: string; value: AnyValue }> };
    scopeLogs: Array<{ scope: { name: string; version: string }; logRecords: Array<Record<string, unknown> & { attributes: Array<{ key: string; value: AnyValue }> }> }>;
  }>;
}

test('messages from an independent OTLP encoder decode through the Collector pdata to every field', async () => {
  const decode = await pdataDecoder();
  const traced = record(2, { spanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } });
  const out = (await decode([encode(record(0)), encode(record(1)), encode(traced)])) as Json[];
  assert.equal(out.length, 3);
  out.forEach((msg, i) => {
    assert.equal(msg.resourceLogs.length, 1);
    const rl = msg.resourceLogs[0]!;
    assert.deepEqual(Object.fromEntries(rl.resource.attributes.map((a) => [a.key, a.value.stringValue])), { 'service.name': 'checkout', 'host.name': 'web-1' });
    assert.deepEqual(rl.scopeLogs[0]!.scope, { name: 'tributary.test', version: '1.2.3' });
    const lr = rl.scopeLogs[0]!.logRecords;
    assert.equal(lr.length, 1);
    const r = lr[0]!;
    // Nanosecond times survive whole: OTLP/JSON writes 64-bit integers as decimal strings.
    const ns = 1_764_410_400_123_456_789n + BigInt(i) * 1_000_001n;
    assert.equal(r.timeUnixNano, String(ns));
    assert.equal(r.observedTimeUnixNano, String(ns + 5_000n));
    assert.equal(r.severityNumber, 13);
    assert.equal(r.severityText, 'WARN');
    assert.deepEqual(r.body, { stringValue: `disk ${i} at 91% on /var — ünïcode\nsecond line` });
    assert.deepEqual(Object.fromEntries(r.attributes.map((a) => [a.key, a.value])), {
      'log.file.path': { stringValue: '/var/log/app.log' },
      'retry.count': { intValue: String(3 + i) },
      ratio: { doubleValue: 0.25 },
      ok: { boolValue: true },
    });
  });
  const t = out[2]!.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
  assert.equal(t.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(t.spanId, 'b7ad6b7169203331');
  assert.equal(t.flags, 1);
});

test('a message the Collector cannot decode fails the call and is named by its index', async () => {
  const decode = await pdataDecoder();
  const good = encode(record(0));
  // A record cut short inside its body: a length that points past the end, as a truncated or
  // wrongly framed Kafka value would.
  const truncated = good.subarray(0, good.length - 7);
  await assert.rejects(decode([good, good, truncated, good]), /message 2: not an OTLP ExportLogsServiceRequest: .+/);
  // Our JSON record is not OTLP protobuf either: the Collector's otlp_proto receiver would drop it.
  await assert.rejects(decode([Buffer.from('{"body":"plain json record"}')]), /message 0: not an OTLP/);
});
