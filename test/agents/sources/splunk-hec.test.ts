// The Splunk HEC intake (agents/sources/splunk-hec.ts). First a sender that is not ours, Splunk's own
// logging library for Node (splunk-logging 0.11.1, batching events back to back as it does), through
// the agent into a real Kafka topic. Then the API's rules on requests written after Splunk's
// documentation ("Format events for HTTP Event Collector", "Troubleshoot HTTP Event Collector"): event
// and raw bodies, metadata and indexed fields, gzip, the token answers, health, channels and acks, and
// what is wrong in a body (answered as Splunk answers, but shipped). Those use a stand-in for the sink
// where they need to hold a batch undelivered (a real Kafka acknowledges at once); the test says where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent } from '../../../agents/agent.ts';
import { SplunkHecSource, splitConcatenated } from '../../../agents/sources/splunk-hec.ts';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import { validateAgentConfig } from '../../../agents/config.ts';
import type { EventBatch, SourceContext } from '../../../agents/source.ts';
import type { LogRecord } from '../../../core/contracts/records.ts';
import { log } from '../../../core/log.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { readLogs } from '../harness.ts';
import { recordingContext } from '../../helpers/intake-context.ts';

const require = createRequire(import.meta.url);

await testBrokers();

for (const where of ['built on a record thread', 'built one by one'] as const) test(`Splunk's logging library (splunk-logging), batching, with its token, through the agent into Kafka, ${where}; a wrong token is refused as Splunk refuses it`, { timeout: 120_000 }, async () => {
  const { Logger } = require('splunk-logging') as { Logger: new (config: object) => { send(context: object, cb?: (err: unknown, resp: { statusCode: number }, body: unknown) => void): void; flush(cb?: (err: unknown, resp: { statusCode: number }, body: unknown) => void): void; error: (err: unknown) => void } };
  const brokers = await testBrokers();
  const topic = await createTestTopic('hec');
  const counters = newCounters();
  const pool = where === 'built on a record thread' ? new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') }) : undefined;
  const threads = pool ? { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 'hec' }) } : undefined;
  // Batches handed to the thread, seen on their way (the pool itself is the real one).
  let toThread = 0;
  if (pool) {
    const encode = pool.encode.bind(pool);
    pool.encode = (b) => (toThread++, encode(b));
  }
  const source = new SplunkHecSource('hec', { port: 0, tokens: ['11111111-2222-3333-4444-555555555555'], service: 'hec', hostName: 'agent-host', toRecord: createRecordBuilder(counters, { parser: { type: 'auto' } }), threads });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const answers: Array<[number, unknown]> = [];
  try {
    const url = `http://127.0.0.1:${source.port}`;
    const logger = new Logger({ token: '11111111-2222-3333-4444-555555555555', url, maxBatchCount: 4 });
    logger.error = (err) => answers.push([-1, String(err)]);
    const sent = new Promise<void>((resolve) => {
      let n = 0;
      for (let i = 0; i < 12; i++) {
        const message = i % 3 === 0 ? `payment ${i} failed: card declined` : i % 3 === 1 ? { msg: `cart ${i} stale`, user: `u${i}` } : `2026-12-07 05:00:0${i % 10},123 WARN [main] c.s.Cart - slow ${i}`;
        logger.send({ message, severity: i % 3 === 0 ? 'error' : 'info', metadata: { host: 'web-3', source: '/var/log/shop.log', sourcetype: 'shop:app', index: 'main' } }, (err, resp, body) => {
          answers.push([resp?.statusCode ?? -1, err ?? body]);
          if (++n === 3) resolve();
        });
      }
    });
    await sent;
    // A wrong token: Splunk's 403, code 4.
    const wrong = new Logger({ token: 'not-the-token', url });
    wrong.error = () => undefined;
    const refused = await new Promise<[number, unknown]>((resolve) => wrong.send({ message: 'nope' }, (err, resp, body) => resolve([resp?.statusCode ?? -1, err ?? body])));
    assert.deepEqual(refused, [403, { text: 'Invalid token', code: 4 }]);
  } finally {
    await agent.stop();
    await pool?.close();
  }
  assert.deepEqual(answers, [0, 1, 2].map(() => [200, { text: 'Success', code: 0 }]), 'three batches of four, each answered once durable');
  assert.equal(counters.records, 12, 'every record built once, where the source builds them');
  assert.equal(toThread, pool ? 3 : 0, 'a batch per request (one host) to the record thread');
  const records = await readLogs(topic, 12);
  assert.equal(records.length, 12);
  for (const r of records) {
    assert.equal(r.host, 'web-3');
    assert.equal(r.origin.kind, 'splunk_hec');
    assert.equal(r.attributes['splunk.source'], '/var/log/shop.log');
    assert.equal(r.attributes['splunk.sourcetype'], 'shop:app');
    assert.equal(r.attributes['splunk.index'], 'main');
    assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < 120_000, 'the library\'s time (epoch seconds with milliseconds)');
  }
  const byBody = new Map(records.map((r) => [r.body, r]));
  // Its default event is {message, severity}: read as a JSON line, message and level recognised.
  assert.equal(byBody.get('payment 0 failed: card declined')?.severity_text, 'ERROR');
  const nested = records.find((r) => r.body.includes('cart 1 stale'));
  assert.ok(nested, `an object message kept: ${records.map((r) => r.body).join(' | ')}`);
  // The library's default event, {message, severity}: the JSON parser takes message as the body and severity as the level.
  const slow = records.find((r) => r.body === '2026-12-07 05:00:02,123 WARN [main] c.s.Cart - slow 2');
  assert.equal(slow?.severity_text, 'INFO');
  assert.equal(nested.attributes['message.user'], 'u1', 'an object message as dotted attributes');
});

/**
 * A stand-in for the sink (no Kafka): it keeps each batch and calls its onDelivered only when the test
 * says, which a real broker would do at once; the tests of when answers come need the batch held.
 */
function heldSink() {
  const batches: EventBatch[] = [];
  const ctx: SourceContext = { emit: async (b) => void batches.push(b), toRecord: createRecordBuilder(), redact: (r) => r, log: log('test') };
  const records = () => batches.flatMap((b) => b.events.map((e) => (e as { record: LogRecord }).record));
  return { ctx, batches, records, deliver: () => batches.forEach((b) => b.onDelivered?.()) };
}

async function post(port: number, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { authorization: 'Splunk tok', ...headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function started(o: Partial<ConstructorParameters<typeof SplunkHecSource>[1]> = {}) {
  const sink = heldSink();
  const source = new SplunkHecSource('hec', { port: 0, tokens: ['tok'], service: 'svc', hostName: 'agent-host', ...o });
  await source.start(sink.ctx);
  // Delivered at once unless a test holds it.
  let hold = false;
  const emit = sink.ctx.emit;
  sink.ctx.emit = async (b) => {
    await emit(b);
    if (!hold) b.onDelivered?.();
  };
  return { sink, source, holdNext: (v: boolean) => (hold = v) };
}

test('over HTTPS with client certificates: splunk-logging checking the intake\'s certificate and sending its own; without one, or trusting another CA, nothing is read', async () => {
  const { Logger } = require('splunk-logging') as { Logger: new (config: object) => { requestOptions: object; send(context: object, cb?: (err: unknown, resp: { statusCode: number } | undefined, body: unknown) => void): void; error: (err: unknown) => void } };
  const certs = makeTestCerts();
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verifyClient: true, minVersion: 'TLSv1.2' as const };
  const { sink, source } = await started({ tls });
  const send = (requestOptions: object, message: string) => new Promise<[number, unknown]>((resolve) => {
    const logger = new Logger({ token: 'tok', url: `https://localhost:${source.port}` });
    logger.error = () => undefined;
    // strictSSL: the library's default is not to check the server (Splunk ships a self-signed one); here it checks.
    logger.requestOptions = { strictSSL: true, ...requestOptions };
    logger.send({ message, metadata: { host: 'web-9' } }, (err, resp, body) => resolve([resp?.statusCode ?? -1, err ? String((err as Error).message ?? err) : body]));
  });
  const ca = readFileSync(certs.ca);
  const client = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
  try {
    for (let i = 0; i < 3; i++) assert.deepEqual(await send({ ca, ...client }, `secure ${i}`), [200, { text: 'Success', code: 0 }]);
    const noCert = await send({ ca }, 'no certificate');
    assert.equal(noCert[0], -1, `refused in the handshake: ${JSON.stringify(noCert)}`);
    const distrusts = await send({ ca: readFileSync(certs.otherCa), ...client }, 'distrusts the intake');
    assert.equal(distrusts[0], -1);
    assert.match(String(distrusts[1]), /certificate/i, 'the client refused the intake\'s certificate');
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await source.stop();
  }
  assert.deepEqual(sink.records().map((r) => [r.body, r.host, r.attributes['tls.client.subject']]), [0, 1, 2].map((i) => [`secure ${i}`, 'web-9', 'CN=sender-1']));
  assert.equal(source.stats.tls_failed, 2);
  assert.equal(source.stats.requests, 3, 'nothing of the refused senders was read');
});

test('events back to back: text and object events, time as seconds or text, host, metadata and indexed fields; raw lines with the query\'s metadata; gzip', async () => {
  const { sink, source } = await started();
  try {
    const body = [
      '{"time": 1796630400.123, "host": "db-1", "source": "mysqld", "sourcetype": "mysql:error", "index": "db", "event": "2026-12-07T05:00:00.000000Z 0 [Warning] [MY-010068] [Server] CA certificate is self signed."}',
      '{"time": "1796630401", "event": {"level": "error", "msg": "disk full", "path": "/data"}, "fields": {"region": "eu-west-1", "zones": ["a", "b"], "replicas": 3}}',
      '\n{"event": "plain text\\n"}',
    ].join('');
    const r = await post(source.port, '/services/collector/event', body);
    assert.deepEqual(r, { status: 200, body: { text: 'Success', code: 0 } });
    const raw = await post(source.port, '/services/collector/raw?host=fw-2&sourcetype=pan:traffic&source=udp:514', 'line one\r\n\nline two\n');
    assert.equal(raw.status, 200);
    const gz = await post(source.port, '/services/collector', gzipSync('{"event":"zipped"}'), { 'content-encoding': 'gzip' });
    assert.equal(gz.status, 200);
  } finally {
    await source.stop();
  }
  const rs = sink.records();
  assert.deepEqual(rs.map((r) => r.body), ['CA certificate is self signed.', 'disk full', 'plain text', 'line one', 'line two', 'zipped']);
  const [mysql, json, plain, one] = rs;
  assert.equal(mysql!.host, 'db-1');
  assert.equal(mysql!.time, '2026-12-07T08:00:00.123Z', 'the event\'s time wins over the line\'s own');
  assert.equal(mysql!.severity_text, 'WARNING');
  assert.deepEqual([mysql!.attributes['splunk.source'], mysql!.attributes['splunk.sourcetype'], mysql!.attributes['splunk.index']], ['mysqld', 'mysql:error', 'db']);
  assert.equal(json!.time, '2026-12-07T08:00:01.000Z');
  assert.equal(json!.severity_text, 'ERROR');
  assert.equal(json!.attributes.path, '/data');
  assert.deepEqual([json!.attributes.region, json!.attributes.zones, json!.attributes.replicas], ['eu-west-1', 'a,b', '3']);
  assert.equal(json!.host, 'agent-host', 'no host: the agent\'s');
  assert.equal(plain!.attributes['network.peer.address'], '127.0.0.1');
  assert.equal(one!.host, 'fw-2');
  assert.deepEqual([one!.attributes['splunk.sourcetype'], one!.attributes['splunk.source']], ['pan:traffic', 'udp:514']);
  assert.ok(rs.every((r) => r.origin.kind === 'splunk_hec' && r.service === 'svc'));
  assert.deepEqual([source.stats.requests, source.stats.events, source.stats.refused], [3, 6, 0]);
});

test('on a record thread the records are those built one by one: hosts in one request split into batches, times, metadata, fields, kept bad events', async () => {
  const bodies: Array<[string, string]> = [
    ['/services/collector/event', '{"time":1796630400.5,"host":"db-1","sourcetype":"mysql","event":"2026-12-07T05:00:00Z ERROR [db] lost connection"}{"event":{"level":"warn","msg":"slow","ms":812}}{"host":"db-2","event":"level=info msg=\\"checkpoint\\" pages=12","fields":{"region":"eu"}}{"event":"plain"}{"nope":1}'],
    ['/services/collector/raw?host=fw-2&sourcetype=pan', 'line one\nline two\n'],
  ];
  const shipped = async (threads: boolean) => {
    const pool = threads ? new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters: newCounters(), log: log('test') }) : undefined;
    const { ctx, records } = recordingContext();
    const source = new SplunkHecSource('hec', { port: 0, service: 'svc', hostName: 'agent-host', threads: pool ? { pool, builder: pool.addBuilder({}) } : undefined });
    await source.start(ctx);
    try {
      for (const [path, body] of bodies) await post(source.port, path, body);
    } finally {
      await source.stop();
      await pool?.close();
    }
    return records.map((r) => JSON.stringify({ ...r, observed_time: '', time: r.time === r.observed_time ? '' : r.time }));
  };
  const here = await shipped(false);
  const threaded = await shipped(true);
  assert.equal(here.length, 7);
  // Batched by host on the thread: compared as sets.
  assert.deepEqual([...threaded].sort(), [...here].sort());
});

test('Docker\'s splunk log driver\'s events (inline and json formats, after moby\'s daemon/logger/splunk): the container\'s line, its stream, tag and attrs', async () => {
  const { sink, source } = await started();
  try {
    // What the driver posts: time as "%f" seconds, the daemon's host, the event {line, source, tag, attrs}.
    const inline = { event: { line: 'GET /health 200 1.2ms', source: 'stdout', tag: '3c9e7c1d0a5f', attrs: { 'com.example.team': 'shop' } }, time: '1796630400.250000', host: 'docker-host-1', source: 'shop-web', sourcetype: 'httpevent', index: 'containers' };
    const json = { event: { line: { level: 'error', msg: 'db down', retry: 3 }, source: 'stderr', tag: '3c9e7c1d0a5f' }, time: '1796630401.000000', host: 'docker-host-1' };
    assert.equal((await post(source.port, '/services/collector/event/1.0', JSON.stringify(inline) + JSON.stringify(json))).status, 200);
  } finally {
    await source.stop();
  }
  const [a, b] = sink.records();
  assert.deepEqual([a!.body, a!.time, a!.host, a!.attributes['log.iostream'], a!.attributes['container.tag'], a!.attributes['com.example.team'], a!.attributes['splunk.source']], ['GET /health 200 1.2ms', '2026-12-07T08:00:00.250Z', 'docker-host-1', 'stdout', '3c9e7c1d0a5f', 'shop', 'shop-web']);
  assert.deepEqual([b!.body, b!.severity_text, b!.attributes.retry, b!.attributes['log.iostream']], ['db down', 'ERROR', '3', 'stderr']);
});

test('answers come only once the records are durable; with a channel an ackId, which /ack then reports', async () => {
  const { sink, source, holdNext } = await started();
  try {
    holdNext(true);
    let answered = false;
    const pending = post(source.port, '/services/collector/event', '{"event":"one"}', { 'x-splunk-request-channel': 'c-1' }).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(answered, false, 'no answer before the sink says the batch is durable');
    assert.equal(sink.batches.length, 1);
    holdNext(false);
    sink.deliver();
    assert.deepEqual(await pending, { status: 200, body: { text: 'Success', code: 0, ackId: 0 } });
    assert.deepEqual((await post(source.port, '/services/collector/event?channel=c-1', '{"event":"two"}')).body, { text: 'Success', code: 0, ackId: 1 });
    assert.deepEqual(await post(source.port, '/services/collector/ack', '{"acks":[0,1,2]}', { 'x-splunk-request-channel': 'c-1' }), { status: 200, body: { acks: { '0': true, '1': true, '2': false } } });
    assert.deepEqual((await post(source.port, '/services/collector/ack', '{"acks":[0]}')).body, { text: 'Data channel is missing', code: 10 });
    const health = await fetch(`http://127.0.0.1:${source.port}/services/collector/health`);
    assert.deepEqual([health.status, await health.json()], [200, { text: 'HEC is healthy', code: 17 }]);
  } finally {
    await source.stop();
  }
});

test('at most four requests are read and held at once; the others wait unread until one is answered', async () => {
  const { sink, source, holdNext } = await started();
  try {
    holdNext(true);
    const answers = Array.from({ length: 10 }, (_, i) => post(source.port, '/services/collector/event', `{"event":"request ${i}"}`));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(sink.batches.length, 4, 'four requests taken, six waiting');
    holdNext(false);
    for (let k = 0; k < 20 && sink.records().length < 10; k++) {
      sink.deliver();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual((await Promise.all(answers)).map((a) => a.status), Array(10).fill(200));
  } finally {
    await source.stop();
  }
  assert.equal(sink.records().length, 10);
});

test('the token, as Splunk checks it: none 401 code 2, not Splunk\'s form 401 code 3, a wrong one 403 code 4; basic authentication with the token as password; nothing of a refused request is read', async () => {
  const { sink, source } = await started({ tokens: ['tok', 'other'] });
  try {
    const send = (authorization?: string) => fetch(`http://127.0.0.1:${source.port}/services/collector/event`, { method: 'POST', body: '{"event":"x"}', headers: authorization ? { authorization } : {} }).then(async (r) => [r.status, await r.json()]);
    assert.deepEqual(await send(), [401, { text: 'Token is required', code: 2 }]);
    assert.deepEqual(await send('tok'), [401, { text: 'Invalid authorization', code: 3 }]);
    assert.deepEqual(await send('Splunk wrong'), [403, { text: 'Invalid token', code: 4 }]);
    assert.equal(sink.records().length, 0);
    assert.equal((await send('Splunk other'))[0], 200);
    assert.equal((await send(`Basic ${Buffer.from('any:tok').toString('base64')}`))[0], 200);
    assert.equal(source.stats.unauthorized, 3);
  } finally {
    await source.stop();
  }
  assert.equal(sink.records().length, 2);
});

test('what is wrong in a body is answered as Splunk answers it, and shipped all the same: bytes that are no JSON, an event without its event, a blank one, no data, too large', async () => {
  const { sink, source } = await started({ maxBodyBytes: 4096 });
  try {
    const broken = await post(source.port, '/services/collector/event', '{"event":"good 1"}{"event":"good 2"}{"event": nope}{"event":"after"}');
    assert.deepEqual(broken, { status: 400, body: { text: 'Invalid data format', code: 6, 'invalid-event-number': 2 } });
    const noEvent = await post(source.port, '/services/collector/event', '{"event":"fine"}{"host":"h","fields":{"a":"1"}}');
    assert.deepEqual(noEvent.body, { text: 'Event field is required', code: 12, 'invalid-event-number': 1 });
    const blank = await post(source.port, '/services/collector/event', '{"event":"  "}');
    assert.deepEqual(blank.body, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 });
    assert.deepEqual(await post(source.port, '/services/collector/event', ' \n'), { status: 400, body: { text: 'No data', code: 5 } });
    assert.equal((await post(source.port, '/services/collector/event', `{"event":"${'x'.repeat(5000)}"}`)).status, 413);
    assert.equal((await post(source.port, '/services/collector/nope', '{}')).status, 404);
  } finally {
    await source.stop();
  }
  const rs = sink.records();
  assert.deepEqual(rs.map((r) => [r.body, r.attributes['tributary.intake.error'] ?? '']), [
    ['good 1', ''],
    ['good 2', ''],
    // Its braces still tell where it ends: the events after it are read.
    ['{"event": nope}', 'not JSON (Unexpected token \'o\', "{"event": nope}" is not valid JSON)'],
    ['after', ''],
    ['fine', ''],
    ['{"host":"h","fields":{"a":"1"}}', 'an event without its event field'],
    // Kept as its JSON line, which the parser reads (`event` is a message key to it).
    ['  ', 'an event whose event field is blank'],
  ]);
  assert.equal(source.stats.bad_events, 3);
});

test('objects back to back are told apart by their braces, strings and escapes included', () => {
  const body = '{"a":"}{"}  {"b":{"c":[1,{"d":"\\"}"}]}}\n{"e":"\\\\"}{';
  const { values, rest } = splitConcatenated(body);
  assert.deepEqual(values.map((v) => JSON.parse(v.json)), [{ a: '}{' }, { b: { c: [1, { d: '"}' }] } }, { e: '\\' }]);
  assert.equal(rest, body.length - 1, 'an object not closed is where the values stop');
});

test('the config: loopback by default; beyond it only with a token from the environment', () => {
  const cfg = validateAgentConfig({ sources: { h: { type: 'splunk_hec' } } }, { env: {} });
  assert.deepEqual(cfg.sources.h, { type: 'splunk_hec', listen: '127.0.0.1:8088', max_body_bytes: 16 * 1024 * 1024, attributes: {}, parser: { type: 'auto' }, time_zone: 'UTC', filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
  assert.throws(() => validateAgentConfig({ sources: { h: { type: 'splunk_hec', listen: '0.0.0.0:8088' } } }, { env: {} }), /sources\.h\.token_env: is required when listening on a non-loopback address \(0\.0\.0\.0:8088\)/);
  assert.throws(() => validateAgentConfig({ sources: { h: { type: 'splunk_hec', listen: '0.0.0.0:8088', token_env: 'HEC_TOKEN' } } }, { env: {} }), /environment variable HEC_TOKEN is not set/);
  validateAgentConfig({ sources: { h: { type: 'splunk_hec', listen: '0.0.0.0:8088', token_env: 'HEC_TOKEN' } } }, { env: { HEC_TOKEN: 'a,b' } });
  assert.throws(() => validateAgentConfig({ sources: { a: { type: 'splunk_hec' }, b: { type: 'splunk_hec' } } }, { env: {} }), /tcp 127\.0\.0\.1:8088 is already used by source a/);
});
