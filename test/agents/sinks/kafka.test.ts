import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaSink, logKeyFor, recordTimeMs } from '../../../agents/sinks/kafka.ts';
import pino from 'pino';
import { log } from '../../../core/log.ts';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';
import { sinkRecord as record } from '../../helpers/log-records.ts';

await testBrokers();

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
  assert.ok(logs.every((m) => m.key === 'svc|h1' && m.timestamp === String(Date.parse('2026-11-24T10:00:00.000Z'))));
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

test('a record thread\'s encoded batches arrive as the same records as events would: values, keys, timestamps, own traces, cuts', async () => {
  const { createRecordBuilder, newCounters } = await import('../../../agents/record-builder.ts');
  const { encodeLines, joinLines, lineText } = await import('../../../agents/line-batch.ts');
  const brokers = await testBrokers();
  // Real lines too: 60 of each Loghub sample (formats, stamps and redaction candidates we did not write).
  const { readdirSync, readFileSync } = await import('node:fs');
  const fixtures = new URL('../../fixtures/loghub-2k/', import.meta.url);
  const loghub = readdirSync(fixtures).filter((d) => !d.includes('.') && d !== 'LICENSE').flatMap((d) => readFileSync(new URL(`${d}/${d}_2k.log`, fixtures), 'utf8').split('\n').slice(0, 60));
  const texts = [
    ...loghub,
    ...Array.from({ length: 30 }, (_, i) => `2026-11-24T10:00:${String(i).padStart(2, '0')}.250Z INFO order ${i} done`),
    JSON.stringify({ level: 'error', msg: 'traced', trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' }),
    'B'.repeat(60_000),
  ];
  const batchOf = (from: number, to: number) => ({ builder: 0, ...joinLines(texts.slice(from, to)), starts: texts.slice(from, to).map((_, i) => (from + i) * 100), path: '/var/log/app.log', fingerprint: '1:2:abc:64', service: 'svc', host: 'h1', observedMs: Date.UTC(2026, 10, 24, 12) });
  const halves = [batchOf(0, 257), batchOf(257, texts.length)];
  const run = async (topic: string, encoded: boolean) => {
    // Batches of 7 take slices across the two queue entries, from the middle of each.
    const sink = new KafkaSink({ brokers, logsTopic: topic, lingerMs: 5, maxRecordBytes: 50_000, batchMaxEvents: 7, key: 'service_host' }, log('test.sink'));
    await sink.start();
    const build = createRecordBuilder(newCounters());
    let delivered = 0;
    let released = 0;
    for (const b of halves) {
      if (encoded) {
        const e = encodeLines(build, b, 'service_host', 50_000);
        const values = Buffer.from(e.values);
        // As a record pool's release does, the buffer is taken back for another batch: here it is
        // overwritten at once, so a release before the last read of it would garble what Kafka got.
        const release = () => {
          released++;
          values.fill(0x78);
        };
        await sink.send({ events: [], encoded: { ...e, values, release }, onDelivered: () => assert.equal(released, ++delivered, 'released as it settles, once') });
      } else {
        const events = Array.from(b.textEnds, (_, i) => ({ type: 'log' as const, record: build({ text: lineText(b, i), origin: { kind: 'file' as const, path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs }) }));
        await sink.send({ events, onDelivered: () => delivered++ });
      }
    }
    await sink.close();
    assert.equal(delivered, 2);
    if (encoded) assert.equal(released, 2, 'each encoded batch released once');
    assert.equal(sink.stats.sent, texts.length);
    assert.equal(sink.stats.truncated, 1);
    assert.equal(sink.stats.buffered, 0);
    assert.equal(sink.stats.bufferedBytes, 0, 'every byte counted in is counted out');
    const got = await readTopic(topic, { expected: texts.length });
    return got
      .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
      .map((m) => ({ partition: m.partition, key: m.key, value: m.value.toString(), timestamp: m.timestamp, own: m.headers.traceparent?.startsWith('00-5b8e') ? m.headers.traceparent : undefined }));
  };
  const fromColumns = await run(await createTestTopic('sink-encoded', 3), true);
  const fromEvents = await run(await createTestTopic('sink-events', 3), false);
  assert.equal(fromColumns.length, texts.length);
  assert.deepEqual(fromColumns, fromEvents);
  assert.equal(fromColumns.filter((m) => m.own).length, 1, 'the traced record carries its own trace');
  assert.ok(fromColumns.some((m) => m.value.includes('"tributary.truncated":"60000"')));
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

test('recordTimeMs reads record times as Date.parse does', () => {
  const seconds = ['2026-11-24T10:00:00', '1970-01-01T00:00:00', '2024-02-29T23:59:59', '2026-13-01T00:00:00', '2026-11-24T24:00:00', '0000-01-01T00:00:00', '9999-12-31T23:59:59', '2026-11-24 10:00:00', 'abcdefghijklmnopqrs'];
  const tails = ['Z', '.Z', '.1Z', '.12Z', '.123Z', '.1234Z', '.123456Z', '.123456789Z', '.1234567890Z', '.12a4Z', '+00:00', '.123+01:00', 'z', '.123Zx', ''];
  for (let round = 0; round < 2; round++) for (const s of seconds) for (const t of tails) assert.deepEqual(recordTimeMs(s + t), Date.parse(s + t), s + t);
  for (let i = 0; i < 20000; i++) {
    const iso = new Date(1795564800000 + i * 37 - 5e11 * (i % 3)).toISOString();
    const time = i % 2 ? iso : `${iso.slice(0, -1)}${String(i % 1000).padStart(3, '0')}Z`;
    assert.equal(recordTimeMs(time), Date.parse(time), time);
  }
});

test('the wait is blamed honestly: on Kafka when it errs or the process has time to spare, on the agent when its main thread or its record threads are saturated', async () => {
  const sink = new KafkaSink({ brokers: ['127.0.0.1:1'] }, log('test.sink'));
  sink.whoIsSlow();
  const until = Date.now() + 300;
  while (Date.now() < until); // a saturated main thread
  assert.equal(sink.whoIsSlow().bottleneck, 'agent-cpu');
  await new Promise((r) => setTimeout(r, 300)); // idle: waiting on someone else
  assert.equal(sink.whoIsSlow().bottleneck, 'kafka');
  // Record threads busy on average while the main thread waits: the agent's own CPU, not Kafka.
  sink.recordThreadsBusy = () => 0.95;
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([sink.whoIsSlow().bottleneck, sink.whoIsSlow().recordThreadsBusy], ['agent-cpu', 0.95]);
  sink.recordThreadsBusy = () => 0.3;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sink.whoIsSlow().bottleneck, 'kafka');
  sink.stats.lastError = 'connection to 127.0.0.1:1 closed';
  assert.equal(sink.whoIsSlow().bottleneck, 'kafka-unavailable');
});

test('key strategies: service by default; service_host and source spread a service over partitions', () => {
  const r = record(1, 'x', { origin: { kind: 'file', path: '/var/log/a.log', fingerprint: '1:2', offset: 5 } });
  assert.equal(logKeyFor('service', r), 'svc');
  assert.equal(logKeyFor('service_host', r), 'svc|h1');
  assert.equal(logKeyFor('source', r), 'svc|h1|/var/log/a.log');
  assert.equal(logKeyFor('source', record(2, 'y', { origin: { kind: 'otlp' } })), 'svc|h1|otlp');
});

test('a record over the topic\'s size limit is refused for good: the batch settles with failed 1, the rest arrive, dropped counts it', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('sink-limit', 1, [{ name: 'max.message.bytes', value: '3000' }]);
  const lines: string[] = [];
  const sink = new KafkaSink({ brokers, logsTopic, lingerMs: 5, compression: 'none', client: 'native' }, pino({ level: 'error' }, { write: (l: string) => void lines.push(l) }));
  await sink.start();
  const statuses: unknown[] = [];
  const noise = Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7919) % 251)).toString('base64');
  await sink.send({ events: Array.from({ length: 10 }, (_, i) => ({ type: 'log' as const, record: record(i, i === 4 ? noise : `line ${i}`) })), onDelivered: (s) => statuses.push(s) });
  await sink.send({ events: [{ type: 'log', record: record(10) }], onDelivered: (s) => statuses.push(s) });
  await sink.close();
  assert.deepEqual(statuses, [{ failed: 1 }, { failed: 0 }]);
  assert.equal(sink.stats.dropped, 1);
  assert.equal(sink.stats.sent, 10, 'a refused record is counted in dropped, not sent');
  // The error names the refused record itself (its key and size), made again from the batch after
  // the sink let its messages go (the big one, not a neighbour: those are under 400 bytes).
  const refused = lines.map((l) => JSON.parse(l) as { msg: string; key?: string; bytes?: number; count?: number }).filter((l) => /refused records for good/.test(l.msg));
  assert.equal(refused.length, 1, lines.join(''));
  assert.equal(refused[0]!.count, 1);
  assert.equal(refused[0]!.key, 'svc|h1');
  assert.ok(refused[0]!.bytes! > noise.length, `bytes ${refused[0]!.bytes}`);
  const back = await readTopic(logsTopic, { expected: 10 });
  assert.deepEqual(back.map((m) => (JSON.parse(m.value.toString()) as LogRecord).origin.offset), [0, 1, 2, 3, 5, 6, 7, 8, 9, 10]);
});

test('otlp_proto with records_per_message: a record thread\'s batches and records built on the main thread go as the same packed messages, through both clients; counters count records', async () => {
  const { createRecordBuilder, newCounters } = await import('../../../agents/record-builder.ts');
  const { encodeLines, joinLines, lineText } = await import('../../../agents/line-batch.ts');
  const { decodeOtlpLogs } = await import('../../../core/contracts/otlp-log.ts');
  const brokers = await testBrokers();
  const { readdirSync, readFileSync } = await import('node:fs');
  const fixtures = new URL('../../fixtures/loghub-2k/', import.meta.url);
  // Loghub's lines (the syslog ones change service within a batch under the syslog parser: not here,
  // auto keeps the source's service), a traced line, and one past max_record_bytes.
  const loghub = readdirSync(fixtures).filter((d) => !d.includes('.') && d !== 'LICENSE').flatMap((d) => readFileSync(new URL(`${d}/${d}_2k.log`, fixtures), 'utf8').split('\n').slice(0, 40));
  const texts = [...loghub, JSON.stringify({ level: 'error', msg: 'traced', trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' }), 'B'.repeat(60_000), ...loghub.slice(0, 50)];
  const batchOf = (from: number, to: number) => ({ builder: 0, ...joinLines(texts.slice(from, to)), starts: texts.slice(from, to).map((_, i) => (from + i) * 100), path: '/var/log/app.log', fingerprint: '1:2:abc:64', service: 'svc', host: 'h1', observedMs: Date.UTC(2026, 10, 24, 12) });
  const halves = [batchOf(0, 157), batchOf(157, texts.length)];
  let messages = 0;
  const run = async (topic: string, encoded: boolean, client: 'native' | 'kafkajs') => {
    const sink = new KafkaSink({ brokers, logsTopic: topic, lingerMs: 5, maxRecordBytes: 50_000, batchMaxEvents: 7, key: 'service_host', encoding: 'otlp_proto', recordsPerMessage: 20, client }, log('test.sink'));
    await sink.start();
    const build = createRecordBuilder(newCounters());
    for (const b of halves) {
      if (encoded) {
        const e = encodeLines(build, b, 'service_host', 50_000, 'otlp_proto', undefined, 20);
        if (client === 'native') messages += e.count;
        await sink.send({ events: [], encoded: { ...e, values: Buffer.from(e.values) } });
      } else {
        const events = Array.from(b.textEnds, (_, i) => ({ type: 'log' as const, record: build({ text: lineText(b, i), origin: { kind: 'file' as const, path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs }) }));
        await sink.send({ events });
      }
    }
    await sink.close();
    assert.equal(sink.stats.sent, texts.length, 'sent counts log records, not messages');
    assert.equal(sink.stats.truncated, 1);
    assert.equal(sink.stats.buffered, 0);
    assert.equal(sink.stats.bufferedBytes, 0);
    const got = await readTopic(topic, { expected: messages });
    assert.ok(got.every((m) => m.headers['content-type'] === 'application/x-protobuf'));
    return got
      .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
      .map((m) => ({ key: m.key, value: m.value.toString('base64'), timestamp: m.timestamp, records: (() => {
        const d = decodeOtlpLogs(m.value);
        assert.ok(d.ok);
        return d.records.map((r) => (assert.ok(r.ok), r.value.origin.offset));
      })() }));
  };
  const fromColumns = await run(await createTestTopic('sink-packed-encoded', 3), true, 'native');
  const fromEvents = await run(await createTestTopic('sink-packed-events', 3), false, 'native');
  const throughKafkajs = await run(await createTestTopic('sink-packed-kafkajs', 3), true, 'kafkajs');
  assert.equal(fromColumns.length, messages);
  assert.ok(messages <= texts.length / 5, `${messages} messages for ${texts.length} records`);
  assert.deepEqual(fromColumns.flatMap((m) => m.records).sort((a, b) => a! - b!), texts.map((_, i) => i * 100));
  assert.deepEqual(fromEvents, fromColumns);
  assert.deepEqual(throughKafkajs, fromColumns);
});

test('otlp_proto with records_per_message: a packed message Kafka refuses drops its records, counted as records; the others arrive', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('sink-packed-limit', 1, [{ name: 'max.message.bytes', value: '3000' }]);
  const lines: string[] = [];
  const sink = new KafkaSink({ brokers, logsTopic, lingerMs: 5, compression: 'none', encoding: 'otlp_proto', recordsPerMessage: 10 }, pino({ level: 'error' }, { write: (l: string) => void lines.push(l) }));
  await sink.start();
  const statuses: unknown[] = [];
  const noise = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)).toString('base64');
  await sink.send({ events: Array.from({ length: 30 }, (_, i) => ({ type: 'log' as const, record: record(i, i === 14 ? noise : `line ${i}`) })), onDelivered: (s) => statuses.push(s) });
  await sink.close();
  assert.deepEqual(statuses, [{ failed: 10 }]);
  assert.equal(sink.stats.dropped, 10);
  assert.equal(sink.stats.sent, 20);
  assert.equal(sink.stats.buffered, 0);
  const { decodeOtlpLogs } = await import('../../../core/contracts/otlp-log.ts');
  const back = await readTopic(logsTopic, { expected: 2 });
  assert.deepEqual(back.flatMap((m) => {
    const d = decodeOtlpLogs(m.value);
    assert.ok(d.ok);
    return d.records.map((r) => (assert.ok(r.ok), r.value.origin.offset));
  }), [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
  const refused = lines.map((l) => JSON.parse(l) as { msg: string; count?: number; records?: number }).filter((l) => /refused records for good/.test(l.msg));
  assert.deepEqual(refused.map((l) => [l.count, l.records]), [[1, 10]], 'one message, its ten records');
});
