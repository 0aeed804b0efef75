// The retention guard and the timestamp clamp against a real broker: topics made with the settings
// users have (time-based retention by CreateTime, LogAppendTime, none; Kafka 4's one hour for
// timestamps ahead, or another), read back through DescribeConfigs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { pino, type Logger } from 'pino';
import { createKafka } from '../../../core/kafka/client.ts';
import { DEFAULT_AFTER_MAX_MS, readRetention, readTopicTimes, RetentionGuard, TimestampClamp } from '../../../agents/sinks/retention-guard.ts';
import { KafkaSink } from '../../../agents/sinks/kafka.ts';
import { SCHEMA_VERSION, type LogRecord } from '../../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';

await testBrokers();
const DAY = 86_400_000;

function capture(): { logger: Logger; warnings: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger: Logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, warnings: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40) };
}

test('readRetention: a CreateTime topic with retention.ms is guarded; LogAppendTime, or no time limit, is not', async () => {
  const brokers = await testBrokers();
  const kept = await createTestTopic('retention-day', 1, [{ name: 'retention.ms', value: String(DAY) }]);
  const arrival = await createTestTopic('retention-append', 1, [{ name: 'retention.ms', value: String(DAY) }, { name: 'message.timestamp.type', value: 'LogAppendTime' }]);
  const unlimited = await createTestTopic('retention-none');
  assert.deepEqual(await readRetention({ brokers }, kept), { topic: kept, retentionMs: DAY });
  assert.equal(await readRetention({ brokers }, arrival), undefined);
  // The test broker keeps records by size (log.retention.ms=-1), as the local stack does.
  assert.equal(await readRetention({ brokers }, unlimited), undefined);
});

test('the guard counts only records older than the retention, and warns once per 10 minutes naming topic and fix', () => {
  const { logger, warnings } = capture();
  let counted = 0;
  const g = new RetentionGuard(logger, (n) => (counted += n));
  const now = Date.UTC(2026, 10, 30);
  g.check(Float64Array.of(now - 30 * DAY), 1, now);
  assert.equal(counted, 0, 'nothing is counted before the topic settings are known');
  g.set({ topic: 'logs.v1', retentionMs: 7 * DAY });
  g.check(Float64Array.of(now - 8 * DAY, now - 6 * DAY, now, now - 400 * DAY, 0), 4, now);
  assert.equal(counted, 2, 'the fifth entry is past count and not read');
  g.check([now - 7 * DAY - 1], 1, now + 60_000);
  g.check([now - 7 * DAY - 1], 1, now + 11 * 60_000);
  assert.equal(counted, 4);
  const w = warnings();
  assert.equal(w.length, 2);
  assert.equal(w[0]!.topic, 'logs.v1');
  assert.equal(w[0]!.records, 2);
  assert.equal(w[0]!.oldest, new Date(now - 400 * DAY).toISOString());
  assert.match(String(w[0]!.msg), /logs\.v1's retention\.ms \(7 d\).*message\.timestamp\.type=LogAppendTime/);
  assert.equal(w[1]!.records, 2, 'the second report counts what came since the first');
});

test('a message of several records (records_per_message) past the retention counts all of them', () => {
  let counted = 0;
  const g = new RetentionGuard(capture().logger, (n) => (counted += n));
  const now = Date.UTC(2026, 10, 30);
  g.set({ topic: 'logs.v1', retentionMs: 7 * DAY });
  // Its timestamp is its newest record's: only the first message is past the retention.
  g.check(Float64Array.of(now - 8 * DAY, now - 6 * DAY), 2, now, Uint32Array.of(100, 37));
  assert.equal(counted, 100);
});

test('the sink counts lines older than its logs topic keeps, says so once, and still sends every one', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('retention-sink', 1, [{ name: 'retention.ms', value: String(DAY) }]);
  const metricsTopic = await createTestTopic('retention-sink-m');
  const { logger, warnings } = capture();
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5 }, logger);
  await sink.start();
  await sink.retentionRead;
  const record = (i: number, time: string): LogRecord => ({
    v: SCHEMA_VERSION, time, observed_time: new Date().toISOString(), service: 'svc', host: 'h1', severity_text: 'INFO', severity_number: 9,
    body: `line ${i}`, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i },
  });
  const old = '2015-06-01T10:00:00.000Z';
  const events = Array.from({ length: 15 }, (_, i) => ({ type: 'log' as const, record: record(i, i < 10 ? old : new Date().toISOString()) }));
  await sink.send({ events });
  await sink.send({ events: events.slice(0, 3) });
  await sink.close();
  assert.equal(sink.stats.pastRetention, 13);
  assert.equal(sink.stats.sent, 18);
  const w = warnings().filter((l) => l.topic === logsTopic);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.records, 10);
  assert.equal((await readTopic(logsTopic, { expected: 18 })).length, 18);
});

test('the sink reads the topic\'s retention again: once it is raised, old lines no longer count', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('retention-reread', 1, [{ name: 'retention.ms', value: String(DAY) }]);
  const metricsTopic = await createTestTopic('retention-reread-m');
  const { logger } = capture();
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5, retentionRereadMs: 300 }, logger);
  await sink.start();
  await sink.retentionRead;
  const old = (i: number): LogRecord => ({
    v: SCHEMA_VERSION, time: '2015-06-01T10:00:00.000Z', observed_time: new Date().toISOString(), service: 'svc', host: 'h1', severity_text: 'INFO', severity_number: 9,
    body: `line ${i}`, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i },
  });
  const admin = createKafka({ brokers, clientId: 'retention-test', quiet: true }).admin();
  await admin.connect();
  try {
    await sink.send({ events: [0, 1, 2].map((i) => ({ type: 'log' as const, record: old(i) })) });
    assert.equal(sink.stats.pastRetention, 3);
    // What the warning says to do: raise the topic's retention (here: no time limit).
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: logsTopic, configEntries: [{ name: 'retention.ms', value: '-1' }] }] });
    const until = Date.now() + 10_000;
    while ((await readRetention({ brokers }, logsTopic)) !== undefined && Date.now() < until) await sleep(100);
    await sleep(700);
    await sink.retentionRead;
    await sink.send({ events: [3, 4].map((i) => ({ type: 'log' as const, record: old(i) })) });
    assert.equal(sink.stats.pastRetention, 3, 'not counted once the topic keeps them');
  } finally {
    await admin.disconnect();
    await sink.close();
  }
  assert.equal(sink.stats.sent, 5);
});

test('readTopicTimes: the broker\'s own default for timestamps ahead (Kafka 4: one hour), a topic\'s own limits, none under LogAppendTime', async () => {
  const brokers = await testBrokers();
  const plain = await createTestTopic('times-default');
  const strict = await createTestTopic('times-strict', 1, [{ name: 'message.timestamp.after.max.ms', value: '60000' }, { name: 'message.timestamp.before.max.ms', value: String(DAY) }]);
  const arrival = await createTestTopic('times-append', 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
  assert.deepEqual((await readTopicTimes({ brokers }, plain)).limits, { topic: plain, afterMs: DEFAULT_AFTER_MAX_MS, beforeMs: Infinity }, 'what the clamp assumes until it reads a topic is what this Kafka does');
  assert.deepEqual((await readTopicTimes({ brokers }, strict)).limits, { topic: strict, afterMs: 60_000, beforeMs: DAY });
  assert.deepEqual((await readTopicTimes({ brokers }, arrival)).limits, { topic: arrival, afterMs: Infinity, beforeMs: Infinity });
});

test('the clamp moves only timestamps outside the topic\'s window to now, counts them (a packed message\'s records all) and warns once per 10 minutes', () => {
  const { logger, warnings } = capture();
  let counted = 0;
  const c = new TimestampClamp(logger, (n) => (counted += n));
  const now = Date.UTC(2026, 11, 7, 2);
  const H = 3_600_000;
  // Before the topic is read: Kafka 4's hour ahead, a minute's margin; nothing behind.
  const times = Float64Array.of(now + 30 * 60_000, now + 5 * H, now - 400 * DAY, now + 59 * 60_000 + 1, now + 58 * 60_000);
  assert.equal(c.clamp(times, times.length, now), 2);
  assert.deepEqual([...times], [now + 30 * 60_000, now, now - 400 * DAY, now, now + 58 * 60_000]);
  c.set({ topic: 'logs.v1', afterMs: 60_000, beforeMs: DAY });
  const more = [now + 2 * 60_000, now - 2 * DAY, now, now - DAY / 2];
  assert.equal(c.clamp(more, 4, now + 1000, Uint32Array.of(100, 7, 1, 1)), 107);
  assert.deepEqual(more, [now + 1000, now + 1000, now, now - DAY / 2]);
  c.set({ topic: 'logs.v1', afterMs: Infinity, beforeMs: Infinity });
  const free = [now + 100 * DAY, 0];
  assert.equal(c.clamp(free, 2, now), 0, 'LogAppendTime, or no limits: nothing moves');
  assert.equal(counted, 109);
  const w = warnings();
  assert.equal(w.length, 1, 'once in 10 minutes');
  assert.equal(w[0]!.first, new Date(now + 5 * H).toISOString());
  assert.match(String(w[0]!.msg), /ahead of this host's clock.*message\.timestamp\.after\.max\.ms.*time field keeps the event time/);
});

test('the sink sends lines stamped hours ahead with the time of sending as their Kafka timestamp: their batch is not refused, nothing is dropped', async () => {
  const brokers = await testBrokers();
  // The broker's defaults: Kafka 4 refuses a batch holding a record stamped more than an hour ahead.
  const logsTopic = await createTestTopic('times-sink');
  const metricsTopic = await createTestTopic('times-sink-m');
  const { logger, warnings } = capture();
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5 }, logger);
  await sink.start();
  await sink.retentionRead;
  const future = new Date(Date.now() + 5 * 3_600_000).toISOString();
  const record = (i: number): LogRecord => ({
    v: SCHEMA_VERSION, time: i % 3 === 0 ? future : new Date().toISOString(), observed_time: new Date().toISOString(), service: 'svc', host: 'h1', severity_text: 'INFO', severity_number: 9,
    body: `line ${i}`, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i },
  });
  const t0 = Date.now();
  await sink.send({ events: Array.from({ length: 30 }, (_, i) => ({ type: 'log' as const, record: record(i) })) });
  await sink.close();
  assert.equal(sink.stats.dropped, 0);
  assert.equal(sink.stats.sent, 30);
  assert.equal(sink.stats.clampedTimestamps, 10);
  const got = await readTopic(logsTopic, { expected: 30 });
  assert.equal(got.length, 30);
  for (const m of got) {
    const r = JSON.parse(m.value.toString()) as LogRecord;
    const ts = Number(m.timestamp);
    if (r.time === future) assert.ok(ts >= t0 - 1000 && ts <= Date.now(), `the time of sending: ${m.timestamp}`);
    else assert.equal(ts, Date.parse(r.time));
  }
  assert.equal(warnings().filter((l) => String(l.msg).includes('ahead of this host')).length, 1);
});

test('an agent whose clock runs two hours ahead of the broker\'s: the records Kafka refuses for their timestamps are sent again without one, counted and warned about; nothing is dropped', async (t) => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('times-skew');
  const metricsTopic = await createTestTopic('times-skew-m');
  const { logger, warnings } = capture();
  // A test double of this host's clock (the broker shares the machine's): the agent's Date.now runs two
  // hours ahead while the sink works, so its clamp sees nothing wrong with records stamped by it.
  const realNow = Date.now;
  const skew = 2 * 3_600_000;
  Date.now = () => realNow() + skew;
  t.after(() => (Date.now = realNow));
  const sink = new KafkaSink({ brokers, logsTopic, metricsTopic, lingerMs: 5 }, logger);
  await sink.start();
  await sink.retentionRead;
  const hostNow = new Date(Date.now()).toISOString();
  const brokerNow = new Date(realNow()).toISOString();
  const record = (i: number): LogRecord => ({
    v: SCHEMA_VERSION, time: i % 3 === 0 ? brokerNow : hostNow, observed_time: hostNow, service: 'svc', host: 'h1', severity_text: 'INFO', severity_number: 9,
    body: `line ${i}`, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i },
  });
  await sink.send({ events: Array.from({ length: 30 }, (_, i) => ({ type: 'log' as const, record: record(i) })) });
  await sink.close();
  Date.now = realNow;
  assert.equal(sink.stats.dropped, 0);
  assert.equal(sink.stats.sent, 30);
  assert.equal(sink.stats.clampedTimestamps, 20, 'the records stamped by the host\'s clock, which the broker refused');
  const got = await readTopic(logsTopic, { expected: 30 });
  assert.deepEqual(got.map((m) => (JSON.parse(m.value.toString()) as LogRecord).body).sort(), Array.from({ length: 30 }, (_, i) => `line ${i}`).sort());
  for (const m of got) {
    const r = JSON.parse(m.value.toString()) as LogRecord;
    assert.equal(m.timestamp, r.time === hostNow ? '-1' : String(Date.parse(brokerNow)), r.body);
  }
  const w = warnings().filter((l) => /this host's clock or the broker's is likely off/.test(String(l.msg)));
  assert.equal(w.length, 1);
  assert.equal(w[0]!.records, 20);
});
