import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wire, recordsOf } from '../../../agents/sinks/wire.ts';
import { decodeOtlpLogs } from '../../../core/contracts/otlp-log.ts';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../../../core/contracts/records.ts';
import { type AgentEvent } from '../../../agents/source.ts';

const record = (i: number, extra: Partial<LogRecord> = {}): LogRecord => ({
  v: SCHEMA_VERSION, time: `2026-11-24T10:00:0${i % 10}.000Z`, observed_time: '2026-11-24T10:00:10.000Z', service: 'svc', host: 'h1',
  severity_text: 'INFO', severity_number: 9, body: `line ${i}`, attributes: {}, resource: {}, origin: { kind: 'stdin', offset: i }, ...extra,
});
const point: MetricPoint = { v: SCHEMA_VERSION, time: '2026-11-24T10:00:00.000Z', service: 'svc', host: 'h1', name: 'm', kind: 'gauge', value: 1, unit: '1', labels: {} };
const options = { logsTopic: 'logs', metricsTopic: 'metrics', key: 'service_host' as const, maxRecordBytes: 4096 };
const logHeaders = { traceparent: '00-11111111111111111111111111111111-2222222222222222-01', 'content-type': 'application/x-protobuf' };
const headers = { ...logHeaders, 'content-type': 'application/json' };

test('events: one message per record, or (otlp_proto, records_per_message) runs of log records packed with metric points between them kept apart and in order', () => {
  const events: AgentEvent[] = [
    ...Array.from({ length: 7 }, (_, i) => ({ type: 'log' as const, record: record(i) })),
    { type: 'metric', point },
    ...Array.from({ length: 5 }, (_, i) => ({ type: 'log' as const, record: record(7 + i, i === 2 ? { host: 'h2' } : {}) })),
  ];
  const truncated: number[] = [];
  const one = new Wire({ ...options, encoding: 'otlp_proto', recordsPerMessage: 1 }, (_, bytes) => truncated.push(bytes));
  assert.equal(one.packs, false);
  assert.equal(one.fromEvents(events, logHeaders, headers, true).length, 13);
  const wire = new Wire({ ...options, encoding: 'otlp_proto', recordsPerMessage: 3 }, (_, bytes) => truncated.push(bytes));
  const out = wire.fromEvents(events, logHeaders, headers, true);
  // 7 logs -> 3+3+1; the point; then 2 (h1), 1 (h2: another key), 2 (h1 again).
  assert.deepEqual(out.map((m) => [m.topic, m.key, m.records ?? 1]), [
    ['logs', 'svc|h1', 3], ['logs', 'svc|h1', 3], ['logs', 'svc|h1', 1], ['metrics', 'svc|h1', 1], ['logs', 'svc|h1', 2], ['logs', 'svc|h2', 1], ['logs', 'svc|h1', 2],
  ]);
  assert.equal(recordsOf(out), 13);
  const offsets = out.filter((m) => m.topic === 'logs').flatMap((m) => {
    const d = decodeOtlpLogs(m.value as Buffer);
    assert.ok(d.ok);
    return d.records.map((r) => (assert.ok(r.ok), r.value.origin.offset));
  });
  assert.deepEqual(offsets, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // Each packed message's timestamp is its newest record's.
  assert.equal(out[0]!.timestamp, String(Date.parse('2026-11-24T10:00:02.000Z')));
  assert.equal(out[3]!.headers, headers, 'the point keeps the JSON headers');
  assert.ok(out.filter((m) => m.topic === 'logs').every((m) => m.headers === logHeaders));
  assert.deepEqual(truncated, []);
});

test('producer messages share one key Buffer and one header section per distinct value; a record with its own trace gets its own section', () => {
  const wire = new Wire({ ...options, encoding: 'json', recordsPerMessage: 1 }, () => undefined);
  const events: AgentEvent[] = [
    { type: 'log', record: record(0) },
    { type: 'log', record: record(1, { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' }) },
    { type: 'log', record: record(2) },
  ];
  const messages = wire.fromEvents(events, headers, headers, true).map((m) => wire.toProducerMessage(m));
  assert.equal(messages[0]!.key, messages[2]!.key, 'the same Buffer for the same key');
  assert.equal(messages[0]!.headers, messages[2]!.headers, 'the same section for the same headers');
  assert.notEqual(messages[1]!.headers, messages[0]!.headers);
  assert.ok((messages[1]!.headers as Buffer).includes('00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01'));
  assert.ok(!(messages[0]!.headers as Buffer).includes('5b8efff798038103d269b633813fc60c'));
  assert.deepEqual(messages.map((m) => m.topic), ['logs', 'logs', 'logs']);
  const kafkajs = wire.toKafkajs(wire.fromEvents([{ type: 'metric', point }], headers, headers, true)[0]!);
  assert.equal(kafkajs.headers!['content-type']!.toString(), 'application/json');
});

test('with the source key strategy, records of one batch from two files get their own keys (the key is worked out again when the origin changes)', () => {
  const wire = new Wire({ ...options, key: 'source', encoding: 'json', recordsPerMessage: 1 }, () => undefined);
  const events: AgentEvent[] = ['/var/log/a.log', '/var/log/a.log', '/var/log/b.log', '/var/log/a.log'].map((path, i) => ({ type: 'log' as const, record: record(i, { origin: { kind: 'file', path, offset: i } }) }));
  assert.deepEqual(wire.fromEvents(events, headers, headers, true).map((m) => m.key), ['svc|h1|/var/log/a.log', 'svc|h1|/var/log/a.log', 'svc|h1|/var/log/b.log', 'svc|h1|/var/log/a.log']);
  const packed = new Wire({ ...options, key: 'source', encoding: 'otlp_proto', recordsPerMessage: 10 }, () => undefined);
  assert.deepEqual(packed.fromEvents(events, logHeaders, headers, true).map((m) => [m.key, m.records ?? 1]), [['svc|h1|/var/log/a.log', 2], ['svc|h1|/var/log/b.log', 1], ['svc|h1|/var/log/a.log', 1]]);
});
