import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaSink } from '../../../agents/sinks/kafka.ts';
import { log } from '../../../core/log.ts';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';

await testBrokers();

const record = (i: number, body = `line ${i}`, extra: Partial<LogRecord> = {}): LogRecord => ({
  v: SCHEMA_VERSION, time: '2026-11-24T10:00:00.000Z', observed_time: '2026-11-24T10:00:01.000Z', service: 'svc', host: 'h1',
  severity_text: 'INFO', severity_number: 9, body, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i }, ...extra,
});

test('gzip batches, keys per DESIGN.md, headers, event-time timestamps, and an oversized record cut to fit', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('sink-logs', 3);
  const metricsTopic = await createTestTopic('sink-metrics', 3);
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, compression: 'gzip', lingerMs: 5, maxRecordBytes: 50_000, batchMaxEvents: 7 }, log('test.sink'));
  await sink.start();
  const point: MetricPoint = { v: SCHEMA_VERSION, time: '2026-11-24T10:00:00.000Z', service: 'svc', host: 'h1', name: 'm', kind: 'gauge', value: 1, unit: '1', labels: {} };
  let delivered = 0;
  await sink.send({
    events: [
      ...Array.from({ length: 20 }, (_, i) => ({ type: 'log' as const, record: record(i) })),
      { type: 'log', record: record(20, 'B'.repeat(200_000)) },
      { type: 'log', record: record(21, 'traced', { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' }) },
      { type: 'metric', point },
    ],
    onDelivered: () => delivered++,
  });
  await sink.close();
  assert.equal(delivered, 1);
  assert.equal(sink.stats.sent, 23);
  assert.ok(sink.stats.batches >= 4, 'batches of at most 7 events');
  assert.equal(sink.stats.truncated, 1);
  const logs = await readTopic(logsTopic, { expected: 22 });
  assert.equal(logs.length, 22);
  assert.ok(logs.every((m) => m.key === 'svc' && m.timestamp === String(Date.parse('2026-11-24T10:00:00.000Z'))));
  assert.ok(logs.every((m) => m.headers['content-type'] === 'application/json' && m.headers['tributary-schema'] === String(SCHEMA_VERSION)));
  assert.ok(logs.every((m) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(m.headers.traceparent!)));
  const big = logs.map((m) => JSON.parse(m.value.toString()) as LogRecord).find((r) => r.origin.offset === 20)!;
  assert.equal(big.attributes['tributary.truncated'], '200000');
  assert.ok(big.body.length < 50_000);
  const traced = logs.find((m) => (JSON.parse(m.value.toString()) as LogRecord).origin.offset === 21)!;
  assert.equal(traced.headers.traceparent, '00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01');
  const metrics = await readTopic(metricsTopic, { expected: 1 });
  assert.equal(metrics[0]!.key, 'svc|h1');
});

test('send waits while the memory buffer is full (backpressure), and resumes when Kafka acknowledged', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('sink-bp');
  const sink = new KafkaSink({ brokers, logsTopic, lingerMs: 50, maxBufferedEvents: 10, batchMaxEvents: 10 }, log('test.sink'));
  await sink.start();
  for (let b = 0; b < 10; b++) await sink.send({ events: Array.from({ length: 10 }, (_, i) => ({ type: 'log' as const, record: record(b * 10 + i) })) });
  await sink.close();
  assert.ok(sink.stats.backpressureWaits > 0);
  assert.equal(sink.stats.sent, 100);
  assert.equal((await readTopic(logsTopic, { expected: 100 })).length, 100);
});
