// The native delivery loop (agents/sinks/native-delivery.ts), through the sink against the real test
// broker: what it says while Kafka refuses, and that it does not wait for a fuller request in vain.
// What both loops share (encoding, backpressure, refusals, packing) is test/agents/sinks/kafka.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { KafkaSink } from '../../../agents/sinks/kafka.ts';
import { log } from '../../../core/log.ts';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../../../core/contracts/records.ts';
import { createKafka, waitForTopicLeaders } from '../../../core/kafka/client.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';
import { sinkRecord as record } from '../../helpers/log-records.ts';

await testBrokers();

test('retries are logged once per kind of error until Kafka acknowledges again, not once per retry (native client)', async () => {
  const brokers = await testBrokers();
  // Topics named but not made yet (the test cluster does not create topics on demand).
  const logsTopic = `sink-missing-logs-${Date.now()}`;
  const metricsTopic = `sink-missing-metrics-${Date.now()}`;
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5, client: 'native' }, pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }));
  await sink.start();
  const said = (re: RegExp) => lines.filter((l) => re.test(l.msg)).length;
  const until = async (what: string, ok: () => boolean) => {
    const deadline = Date.now() + 30_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const admin = createKafka({ brokers, clientId: 'tributary-test' }).admin();
  await admin.connect();
  const create = async (topic: string) => {
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await waitForTopicLeaders(admin, [topic]);
  };
  try {
    let delivered = 0;
    await sink.send({ events: [{ type: 'log', record: record(0) }], onDelivered: () => delivered++ });
    await until('four retries', () => sink.stats.retries >= 4);
    assert.equal(said(/does not know one of the topics/), 1, JSON.stringify(lines));
    assert.equal(lines.find((l) => /does not know one of the topics/.test(l.msg))!.level, 50);
    await create(logsTopic);
    await until('the log record acknowledged', () => delivered === 1);
    assert.equal(said(/acknowledging again/), 1);
    assert.equal(sink.stats.lastError, undefined);
    // Acknowledged since: the next outage is told again, once.
    const point: MetricPoint = { v: SCHEMA_VERSION, time: '2026-11-24T10:00:00.000Z', service: 'svc', host: 'h1', name: 'm', kind: 'gauge', value: 1, unit: '1', labels: {} };
    const before = sink.stats.retries;
    await sink.send({ events: [{ type: 'metric', point }], onDelivered: () => delivered++ });
    await until('four more retries', () => sink.stats.retries >= before + 4);
    assert.equal(said(/does not know one of the topics/), 2, JSON.stringify(lines));
    await create(metricsTopic);
    await until('the metric acknowledged', () => delivered === 2);
    assert.equal(said(/acknowledging again/), 2);
  } finally {
    // The sink's close waits for what it holds: a failed assertion above must not leave it waiting on a topic never made.
    for (const topic of [logsTopic, metricsTopic]) await create(topic).catch(() => undefined);
    await sink.close();
    await admin.disconnect();
  }
  assert.equal((await readTopic(logsTopic, { expected: 1 })).length, 1);
  assert.equal((await readTopic(metricsTopic, { expected: 1 })).length, 1);
});


test('the native path does not linger while what waits already fills a request by bytes', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('sink-linger', 1);
  // A linger longer than the wait below: a wait for a fuller request would show as records not yet sent.
  const sink = new KafkaSink({ brokers, logsTopic, client: 'native', compression: 'none', lingerMs: 3000, batchMaxBytes: 2048, batchMaxEvents: 5000, maxRecordBytes: 2048 }, log('test.sink'));
  await sink.start();
  try {
    const body = 'x'.repeat(150);
    // About 400 bytes each: five fill a request by bytes, where the event limit would take 5,000.
    void sink.send({ events: Array.from({ length: 60 }, (_, i) => ({ type: 'log' as const, record: record(i, `${i} ${body}`) })) });
    const started = Date.now();
    // Each full request goes as soon as one is free; only the last, partial one may wait for more.
    while (sink.stats.sent < 50 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(sink.stats.sent >= 50, `after ${Date.now() - started} ms ${sink.stats.sent} of 60 acknowledged`);
  } finally {
    // Closing sends the rest (a partial last request after its linger).
    await sink.close();
  }
  const back = await readTopic(logsTopic, { expected: 60 });
  assert.deepEqual(back.map((m) => (JSON.parse(m.value.toString()) as LogRecord).origin.offset), Array.from({ length: 60 }, (_, i) => i));
});
