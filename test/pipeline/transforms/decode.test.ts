// Decode and validate: what the worker accepts, and the reason it gives for what it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLog, decodeMetric, toClickHouseTime } from '../../../pipeline/transforms/decode.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const log = (o: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 1, time: '2026-11-24T10:00:00.123Z', service: 'checkout', body: 'ok', ...o }));

test('a valid log record decodes, with defaults for the optional fields', () => {
  const d = decodeLog(log({}), NOW);
  assert.ok(d.ok);
  assert.equal(d.value.service, 'checkout');
  assert.equal(d.value.observed_time, d.value.time);
  assert.deepEqual(d.value.attributes, {});
  assert.equal(d.value.severity_number, 0);
});

const refused: Array<[string, Buffer | null, 'decode' | 'validate', RegExp]> = [
  ['empty value', null, 'decode', /empty/],
  ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'decode', /UTF-8/],
  ['not JSON', Buffer.from('hello'), 'decode', /not JSON/],
  ['a JSON array', Buffer.from('[1,2]'), 'decode', /not a JSON object/],
  ['another schema version', log({ v: 2 }), 'validate', /schema version 2/],
  ['a time that is not a time', log({ time: 'yesterday' }), 'validate', /time is not a valid time/],
  ['a time far in the future', log({ time: '2027-01-01T00:00:00Z' }), 'validate', /future/],
  ['no service', log({ service: '' }), 'validate', /service/],
  ['a body that is not text', log({ body: 42 }), 'validate', /body/],
  ['a severity out of range', log({ severity_number: 99 }), 'validate', /severity_number/],
  ['an attribute that is not a string', log({ attributes: { n: 1 } }), 'validate', /attributes\.n/],
];
for (const [what, bytes, stage, reason] of refused) {
  test(`a log record with ${what} is refused at ${stage}`, () => {
    const d = decodeLog(bytes, NOW);
    assert.equal(d.ok, false);
    if (!d.ok) {
      assert.equal(d.stage, stage);
      assert.match(d.reason, reason);
    }
  });
}

test('metric points: valid, and refused with a reason', () => {
  const point = { v: 1, time: '2026-11-24T10:00:00Z', service: 'web', host: 'h1', name: 'system.cpu.utilization', kind: 'gauge', value: 0.5 };
  const ok = decodeMetric(Buffer.from(JSON.stringify(point)), NOW);
  assert.ok(ok.ok && ok.value.unit === '' && ok.value.labels !== undefined);
  const nan = decodeMetric(Buffer.from(JSON.stringify({ ...point, value: 'high' })), NOW);
  assert.ok(!nan.ok && /value must be a finite number/.test(nan.reason));
  const kind = decodeMetric(Buffer.from(JSON.stringify({ ...point, kind: 'summary' })), NOW);
  assert.ok(!kind.ok && /kind/.test(kind.reason));
});

test('times keep their nanoseconds on the way to DateTime64(9)', () => {
  assert.equal(toClickHouseTime('2026-11-24T10:00:00.123456789Z'), '2026-11-24 10:00:00.123456789');
  assert.equal(toClickHouseTime('2026-11-24T10:00:00Z'), '2026-11-24 10:00:00.000000000');
  assert.equal(toClickHouseTime('2026-11-24T12:00:00.5+02:00'), '2026-11-24 10:00:00.500000000');
});

test('otlp_proto values: read by their content-type header, or without one when they are not JSON; checked like JSON records', async () => {
  const { encodeOtlpLog } = await import('../../../core/contracts/otlp-log.ts');
  const record = { v: 1, time: '2026-11-24T10:00:00.123Z', observed_time: '2026-11-24T10:00:00.200Z', service: 'checkout', host: 'web-1', severity_text: 'WARN', severity_number: 13, body: 'slow', attributes: { a: 'b' }, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file' as const, path: '/var/log/a.log', fingerprint: 'f', offset: 10 } };
  const bytes = encodeOtlpLog(record);
  assert.deepEqual(decodeLog(bytes, NOW, 'application/x-protobuf'), { ok: true, value: record });
  assert.deepEqual(decodeLog(bytes, NOW), { ok: true, value: record }, 'no header: not JSON, read as OTLP');
  // With a JSON header the value is what the header says: not JSON, so dead-lettered with that reason.
  const asJson = decodeLog(bytes, NOW, 'application/json');
  assert.equal(asJson.ok, false);
  assert.match(asJson.ok ? '' : asJson.reason, /not valid UTF-8|not JSON/);
  // A JSON record under no header is still JSON.
  assert.equal(decodeLog(log({}), NOW).ok, true);
  const future = decodeLog(encodeOtlpLog({ ...record, time: '2026-11-26T10:00:00.000Z' }), NOW, 'application/x-protobuf');
  assert.deepEqual(future, { ok: false, stage: 'validate', reason: 'time_unix_nano is more than a day in the future: 2026-11-26T10:00:00.000Z' });
  const cut = decodeLog(bytes.subarray(0, 40), NOW, 'application/x-protobuf');
  assert.equal(cut.ok, false);
  assert.match(cut.ok ? '' : `${cut.stage}: ${cut.reason}`, /^decode: record value is not an OTLP ExportLogsServiceRequest: a field of \d+ bytes runs past the end/);
  const garbage = decodeLog(Buffer.from([0x0a, 0x05, 0x01]), NOW);
  assert.match(garbage.ok ? '' : garbage.reason, /is not JSON.*; read as OTLP protobuf \(no content-type header\): .*runs past the end/s);
});

test('an OTLP request holding several records (another producer\'s batch) gives each one; an unreadable one is refused with its place', async () => {
  const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
  const { resources } = await import('@opentelemetry/sdk-node');
  const { decodeLogs } = await import('../../../pipeline/transforms/decode.ts');
  const resource = resources.resourceFromAttributes({ 'service.name': 'payments' });
  const rec = (sec: number, body: string) => ({ hrTime: [sec, 0] as [number, number], hrTimeObserved: [sec, 0] as [number, number], severityNumber: 9, severityText: 'INFO', body, resource, instrumentationScope: { name: 's' }, attributes: {}, droppedAttributesCount: 0 });
  const t = NOW / 1000 - 60;
  const bytes = Buffer.from(ProtobufLogsSerializer.serializeRequest([rec(t, 'a'), rec(t + 2 * 86_400, 'from the future'), rec(t, 'c')])!);
  const d = decodeLogs(bytes, NOW);
  assert.ok('several' in d);
  assert.deepEqual(d.several.map((r) => r.body), ['a', 'c']);
  assert.equal(d.refused.length, 1);
  assert.equal(d.refused[0]!.stage, 'validate');
  assert.match(d.refused[0]!.reason, /^log record 2 of 3: time_unix_nano is more than a day in the future/);
  // decodeLog (one record per value) refuses it whole, saying why.
  assert.deepEqual(decodeLog(bytes, NOW, 'application/x-protobuf'), { ok: false, stage: 'decode', reason: 'the OTLP request holds 3 log records, not one' });
});
