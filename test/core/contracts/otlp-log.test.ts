// The otlp_proto encoding of a log record (core/contracts/otlp-log.ts): our reader gives back every
// record the agent builds, the OpenTelemetry Collector's own decoder (pdata, built with Go) reads our
// bytes to the same fields, and our reader takes what OpenTelemetry JS's serializer writes. Bad
// bytes give a reason, never an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resources } from '@opentelemetry/sdk-node';
import type { logs } from '@opentelemetry/sdk-node';
import { benchLine } from '../../../bench/agent.ts';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { decodeOtlpLog, decodeOtlpLogs, encodeOtlpLog, nanosText, OTLP_SCOPE_NAME } from '../../../core/contracts/otlp-log.ts';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { pdataDecoder } from '../../helpers/otlp-pdata.ts';

const loghub = fileURLToPath(new URL('../../fixtures/loghub-2k', import.meta.url));

/** Records the agent builds from real lines (every Loghub sample, the bench mix), plus the rare shapes. */
function corpus(perSystem = Infinity): LogRecord[] {
  const build = createRecordBuilder(newCounters(), { resource: { 'deployment.environment': 'prod', 'cloud.region': 'eu-west-1' } });
  const plain = createRecordBuilder(newCounters(), { parser: 'plain' });
  const observedMs = Date.UTC(2026, 10, 29, 12, 0, 0, 250) + 0.5;
  const out: LogRecord[] = [];
  const systems = readdirSync(loghub).filter((d) => !d.includes('.') && d !== 'LICENSE');
  for (const s of systems) {
    const lines = readFileSync(join(loghub, s, `${s}_2k.log`), 'utf8').split('\n').filter(Boolean).slice(0, perSystem);
    lines.forEach((text, i) => out.push(build({ text, origin: { kind: 'file', path: `/var/log/${s}.log`, fingerprint: `64:${i % 7}:abcdef`, offset: i * 151 }, service: s.toLowerCase(), host: 'node-7', observedMs })));
  }
  for (let i = 0; i < Math.min(2000, perSystem); i++) out.push(build({ text: benchLine(i).slice(0, -1), origin: { kind: 'file', path: '/var/log/app.log', fingerprint: 'f', offset: i * 250 }, service: 'bench', host: 'h', observedMs }));
  const odd = (text: string, origin: LogRecord['origin'] = { kind: 'stdin', offset: 3 }) => plain({ text, origin, service: 'ödd-svc', host: '', observedMs });
  out.push(
    odd(''),
    odd('naïve café — 東京 ✓ 🚀'),
    odd('é'.repeat(20_000)), // nested lengths of three varint bytes
    odd('x'.repeat(127)),
    odd('x'.repeat(128)),
    odd('no origin offset', { kind: 'otlp' }),
    odd('generator', { kind: 'generator', offset: 2 ** 40 }),
  );
  out.push(
    { v: 1, time: '2026-11-29T12:00:00.123456789Z', observed_time: '2026-11-29T12:00:01.000Z', service: 's', host: 'h', severity_text: 'FATAL', severity_number: 21, body: 'nanoseconds', attributes: { __proto__: 'kept as a key', 'retry.count': '3' } as Record<string, string>, trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', origin: { kind: 'pino', offset: 9 } },
    { v: 1, time: '1970-01-01T00:00:00.001Z', observed_time: '2554-07-21T23:34:33.000Z', service: 's', host: 'h', severity_text: 'UNSPECIFIED', severity_number: 0, body: 'edges of uint64 nanoseconds', attributes: {}, origin: { kind: 'otlp' } },
  );
  // JSON.parse keeps `__proto__` as an own key, as a record read from JSON would have it.
  out[out.length - 2]!.attributes = JSON.parse('{"__proto__":"kept as a key","retry.count":"3"}') as Record<string, string>;
  return out;
}

/** A record as a reader gives it back: defaults filled in, JSON-equal. */
function normal(r: LogRecord): LogRecord {
  return { ...r, resource: r.resource ?? {}, trace_id: r.trace_id ?? '', span_id: r.span_id ?? '' };
}

/** Nanoseconds of an RFC 3339 UTC time, computed apart from the encoder (BigInt, the fraction as written). */
function nanosOf(time: string): string {
  const m = /^(.{19})(?:\.(\d{1,9}))?Z$/.exec(time)!;
  return (BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))).toString();
}

test('every record the agent builds from Loghub and the bench mix comes back from its otlp_proto bytes', () => {
  const records = corpus();
  assert.ok(records.length > 18_000);
  for (const [i, r] of records.entries()) {
    const d = decodeOtlpLog(encodeOtlpLog(r));
    assert.ok(d.ok, `record ${i}: ${d.ok ? '' : d.reason}`);
    assert.deepEqual(d.value, normal(r), `record ${i}`);
  }
});

test('the OpenTelemetry Collector\'s decoder (pdata) reads the agent\'s otlp_proto bytes to every field', async () => {
  const decode = await pdataDecoder();
  const records = corpus(60);
  type Any = { stringValue?: string; intValue?: string };
  type Out = { resourceLogs: Array<{ resource: { attributes: Array<{ key: string; value: Any }> }; scopeLogs: Array<{ scope: { name: string; version: string }; logRecords: Array<Record<string, unknown> & { attributes?: Array<{ key: string; value: Any }>; body: Any }> }> }> };
  const out = (await decode(records.map(encodeOtlpLog))) as Out[];
  assert.equal(out.length, records.length);
  for (const [i, r] of records.entries()) {
    const rl = out[i]!.resourceLogs;
    assert.equal(rl.length, 1);
    const resource = Object.fromEntries(rl[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.deepEqual(resource, { 'service.name': r.service, ...(r.host ? { 'host.name': r.host } : {}), ...r.resource }, `record ${i}`);
    const sl = rl[0]!.scopeLogs;
    assert.equal(sl.length, 1);
    assert.deepEqual(sl[0]!.scope, { name: OTLP_SCOPE_NAME, version: '1' });
    assert.equal(sl[0]!.logRecords.length, 1);
    const lr = sl[0]!.logRecords[0]!;
    assert.equal(lr.timeUnixNano, nanosOf(r.time), `record ${i} time ${r.time}`);
    assert.equal(lr.observedTimeUnixNano, nanosOf(r.observed_time), `record ${i} observed ${r.observed_time}`);
    assert.equal(lr.severityNumber ?? 0, r.severity_number);
    assert.equal(lr.severityText ?? 'UNSPECIFIED', r.severity_text);
    assert.equal(lr.body.stringValue ?? '', r.body, `record ${i} body`);
    const attributes = Object.fromEntries((lr.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.intValue]));
    const o = r.origin;
    const origin = { ...(o.kind !== 'file' ? { 'tributary.origin.kind': o.kind } : {}), ...(o.path !== undefined ? { 'log.file.path': o.path } : {}), ...(o.fingerprint !== undefined ? { 'tributary.origin.fingerprint': o.fingerprint } : {}), ...(o.offset !== undefined ? { 'tributary.origin.offset': String(o.offset) } : {}) };
    assert.deepEqual(attributes, { ...r.attributes, ...origin }, `record ${i} attributes`);
    assert.equal(lr.traceId ?? '', r.trace_id ?? '');
    assert.equal(lr.spanId ?? '', r.span_id ?? '');
  }
});

type Readable = logs.ReadableLogRecord;

function otelRecord(extra: Partial<Readable> = {}): Readable {
  return {
    hrTime: [1_764_410_400, 123_456_789],
    hrTimeObserved: [1_764_410_401, 0],
    severityNumber: 17,
    severityText: 'ERROR',
    body: 'payment refused',
    resource: resources.resourceFromAttributes({ 'service.name': 'payments', 'host.name': 'web-2', 'k8s.pod.name': 'payments-7f9' }),
    instrumentationScope: { name: 'otel-js', version: '2.0.0' },
    attributes: { 'http.status_code': 402, ratio: 0.25, retried: true, tags: ['a', 'b'], 'log.file.path': '/srv/app.log' },
    droppedAttributesCount: 0,
    ...extra,
  };
}

test('values written by OpenTelemetry JS\'s protobuf serializer read as records, several per request too; what cannot be a record says why', () => {
  const one = (r: Readable): Buffer => Buffer.from(ProtobufLogsSerializer.serializeRequest([r])!);
  const d = decodeOtlpLog(one(otelRecord({ spanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } })));
  assert.ok(d.ok, d.ok ? '' : d.reason);
  assert.deepEqual(d.value, {
    v: 1,
    time: '2025-11-29T10:00:00.123456789Z',
    observed_time: '2025-11-29T10:00:01.000Z',
    service: 'payments',
    host: 'web-2',
    severity_text: 'ERROR',
    severity_number: 17,
    body: 'payment refused',
    // Values that are not strings are written out; a file path without our fingerprint stays an attribute.
    attributes: { 'http.status_code': '402', ratio: '0.25', retried: 'true', tags: '["a","b"]', 'log.file.path': '/srv/app.log' },
    resource: { 'k8s.pod.name': 'payments-7f9' },
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    origin: { kind: 'otlp' },
  });
  // No event time: the observed time stands in (the OpenTelemetry data model's rule).
  const untimed = decodeOtlpLog(one(otelRecord({ hrTime: [0, 0] })));
  assert.ok(untimed.ok && untimed.value.time === '2025-11-29T10:00:01.000Z');

  // Several records in one request (as the Collector's kafka exporter writes them), each with its own
  // resource; one of them unreadable, which says where it is and does not take the others down.
  const other = otelRecord({ resource: resources.resourceFromAttributes({ 'service.name': 'ledger' }), body: 'second' });
  const several = Buffer.from(ProtobufLogsSerializer.serializeRequest([otelRecord(), other, otelRecord({ hrTime: [0, 0], hrTimeObserved: [0, 0] })])!);
  const all = decodeOtlpLogs(several);
  assert.ok(all.ok);
  assert.deepEqual(all.records.map((r) => (r.ok ? `${r.value.service}: ${r.value.body}` : r.reason)), ['payments: payment refused', 'ledger: second', 'the OTLP log record has neither time_unix_nano nor observed_time_unix_nano']);
  assert.deepEqual(decodeOtlpLog(several), { ok: false, reason: 'the OTLP request holds 3 log records, not one' });
  // No service.name: OpenTelemetry's fallback name.
  const anonymous = decodeOtlpLog(one(otelRecord({ resource: resources.resourceFromAttributes({ 'host.name': 'x' }) })));
  assert.ok(anonymous.ok && anonymous.value.service === 'unknown_service' && anonymous.value.host === 'x');
  assert.deepEqual(decodeOtlpLog(one(otelRecord({ hrTime: [0, 0], hrTimeObserved: [0, 0] }))), { ok: false, reason: 'the OTLP log record has neither time_unix_nano nor observed_time_unix_nano' });
  // A severity word without a number (left unset by the sender): the number the word means; an unknown word stays 0.
  const worded = (severityText: string) => decodeOtlpLog(one(otelRecord({ severityNumber: undefined, severityText })));
  assert.deepEqual([worded('Warning'), worded('ok')].map((d) => d.ok && [d.value.severity_text, d.value.severity_number]), [['Warning', 13], ['ok', 0]]);
});

test('every cut of a value, and random bytes, give a reason and never throw', () => {
  const value = encodeOtlpLog(corpus(1)[0]!);
  for (let n = 0; n < value.length; n++) {
    const d = decodeOtlpLog(value.subarray(0, n));
    assert.equal(d.ok, false, `cut at ${n} of ${value.length}`);
    assert.match(d.ok ? '' : d.reason, n === 0 ? /holds no log record/ : /runs past the end|holds no log record|is not one protobuf uses/);
  }
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
    if (i % 2) bytes[0] = 0x0a;
    const d = decodeOtlpLog(bytes);
    if (!d.ok) assert.ok(d.reason.length > 10);
  }
});

test('nanosText writes what isoOf writes: three fractional digits, six or nine when they are not zero', () => {
  assert.equal(nanosText(1_764_410_400_000_000_000n), '2025-11-29T10:00:00.000Z');
  assert.equal(nanosText(1_764_410_400_120_000_000n), '2025-11-29T10:00:00.120Z');
  assert.equal(nanosText(1_764_410_400_123_456_000n), '2025-11-29T10:00:00.123456Z');
  assert.equal(nanosText(1_764_410_400_123_456_700n), '2025-11-29T10:00:00.123456700Z');
});
