// The pipeline traces itself: the agent's Kafka sink records a span per batch and writes its context
// into every record's `traceparent` header; the worker records a span per fetched batch, linked to
// those agent spans through the headers it read back from a real broker. Both export over OTLP/HTTP
// (protobuf, the SDK's default) to the project's own OTLP intake, whose /v1/traces turns each span
// into a log record; the test reads the spans from there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaSink } from '../../agents/sinks/kafka.ts';
import { OtlpSource } from '../../agents/sources/otlp.ts';
import { type AgentEvent } from '../../agents/source.ts';
import { Worker } from '../../pipeline/worker.ts';
import { SCHEMA_VERSION, type LogRecord } from '../../core/contracts/records.ts';
import { log } from '../../core/log.ts';
import { startTelemetry, stopTelemetry } from '../../core/telemetry.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';
import { tempStore, waitFor } from '../helpers/pipeline-data.ts';

const BATCHES = 3;
const PER_BATCH = 40;

function record(batch: number, i: number, ownTrace: boolean): AgentEvent {
  const time = new Date(Date.now() - 60_000 + batch * 1000 + i).toISOString();
  const r: LogRecord = {
    v: SCHEMA_VERSION, time, observed_time: time, service: 'traced', host: `h${i % 2}`, severity_text: 'INFO', severity_number: 9,
    body: `batch ${batch} line ${i}`, attributes: {}, resource: {},
    // An application's own trace: it stays in the record's fields, the header names the agent's batch span.
    trace_id: ownTrace ? '5b8efff798038103d269b633813fc60c' : '', span_id: ownTrace ? 'eee19b7ec3c1b174' : '',
    origin: { kind: 'generator', offset: batch * PER_BATCH + i },
  };
  return { type: 'log', record: r };
}

test('a span per agent batch and per worker batch, linked through the record headers, received by the OTLP intake', async () => {
  const brokers = await testBrokers();
  const received: LogRecord[] = [];
  const intake = new OtlpSource({ port: 0, defaultHost: 'collector' });
  // The intake's sink is this list: the spans are what is under test here, not their trip onward.
  await intake.start({
    emit: async (b) => {
      for (const e of b.events) if (e.type === 'log') received.push(e.record);
      b.onDelivered?.();
    },
    toRecord: () => assert.fail('the OTLP intake does not parse lines'),
    redact: (r) => r,
    log: log('test.intake'),
  });
  const saved = { ...process.env };
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${intake.port}`, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  const logsTopic = await createTestTopic('tr-logs', 2);
  const metricsTopic = await createTestTopic('tr-metrics');
  const dlqTopic = await createTestTopic('tr-dlq');
  const { store } = await tempStore();
  let worker: Worker | undefined;
  try {
    await startTelemetry('tributary-traces-test');
    const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5 }, log('test.sink'));
    await sink.start();
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: PER_BATCH }, (_, i) => record(b, i, b === 0 && i < 5));
      await new Promise<void>((resolve) => void sink.send({ events, onDelivered: () => resolve() }));
    }
    await sink.close();
    worker = new Worker({ brokers, store, groupId: `tr-${Date.now()}`, logsTopic, metricsTopic, dlqTopic });
    await worker.start();
    await waitFor('every record stored', () => worker!.stats.stored >= BATCHES * PER_BATCH);
    await worker.stop();
    worker = undefined;
    await stopTelemetry(); // flushes the batch span processor

    const spans = received.filter((r) => r.attributes['otel.signal'] === 'span');
    const agentSpans = spans.filter((s) => s.body === 'tributary.agent.batch');
    const workerSpans = spans.filter((s) => s.body === 'tributary.worker.batch' && s.attributes['messaging.destination.name'] === logsTopic);
    assert.equal(agentSpans.length, BATCHES, `one span per agent batch (got ${spans.map((s) => s.body).join(', ')})`);
    for (const s of agentSpans) {
      assert.equal(s.attributes['span.kind'], 'producer');
      assert.equal(s.attributes['messaging.batch.message_count'], String(PER_BATCH));
      assert.equal(s.service, 'tributary-traces-test');
      assert.match(s.trace_id ?? '', /^[0-9a-f]{32}$/);
    }
    assert.ok(workerSpans.length >= 2, `a worker span per fetched batch of each partition (got ${workerSpans.length})`);
    for (const s of workerSpans) assert.equal(s.attributes['span.kind'], 'consumer');

    // Every record's header names its own batch's span: the first record of each batch tells which.
    const raw = await readTopic(logsTopic, { expected: BATCHES * PER_BATCH });
    const agentIds = new Set(agentSpans.map((s) => `${s.trace_id}-${s.span_id}`));
    const headerIds = new Set(raw.map((m) => m.headers.traceparent!.slice(3, 52)));
    assert.deepEqual([...headerIds].sort(), [...agentIds].sort(), 'the record headers carry exactly the agent batch spans');
    for (const m of raw) {
      const r = JSON.parse(m.value.toString()) as LogRecord;
      if (r.body.match(/^batch 0 line [0-4]$/)) assert.equal(r.trace_id, '5b8efff798038103d269b633813fc60c', 'the record keeps its own trace');
    }

    const linked = new Set(workerSpans.flatMap((s) => (s.attributes['span.links'] ?? '').split(' ').filter(Boolean)));
    assert.deepEqual([...linked].sort(), [...agentIds].sort(), 'the worker batch spans link to every agent batch span, and only to them');
  } finally {
    await worker?.stop();
    await stopTelemetry();
    process.env = saved;
    await intake.stop();
    await store.close();
  }
});
