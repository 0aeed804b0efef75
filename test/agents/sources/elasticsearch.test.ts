// The Elasticsearch bulk intake (agents/sources/elasticsearch.ts). First a sender that is not ours,
// Elasticsearch's own client for Node (@elastic/elasticsearch 8.15.3: its product check, `helpers.bulk`,
// `index`, gzip, API keys and basic authentication), through the agent into a real Kafka topic. Then the
// bulk format's rules, written after Elasticsearch's documentation ("Bulk API"): actions and documents,
// the path's index, what it refuses (answered as it answers, but shipped), when an answer comes. Those
// use a stand-in for the sink where they need to hold a batch undelivered (a real Kafka acknowledges at
// once); the test says where. No Filebeat, Logstash, Fluent Bit or Vector binary can be had on this
// machine: the documents below are shaped as Filebeat 8 writes them (ECS), and the bodies as the bulk
// API's documentation gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Client, errors } from '@elastic/elasticsearch';
import { Agent } from '../../../agents/agent.ts';
import { bulkItems, ElasticsearchSource } from '../../../agents/sources/elasticsearch.ts';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import { validateAgentConfig } from '../../../agents/config.ts';
import type { EventBatch, SourceContext } from '../../../agents/source.ts';
import type { LogRecord } from '../../../core/contracts/records.ts';
import { log } from '../../../core/log.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { readLogs } from '../harness.ts';
import { recordingContext } from '../../helpers/intake-context.ts';

await testBrokers();

/**
 * A document as Filebeat 8's filestream input writes it (ECS): the line it read as `message`, its time
 * of reading as `@timestamp` (a second after the line's own), the file and host around it; every third
 * one as a logger that writes ECS itself (ecs-logging, or a shipper that parsed the line) sends it, with
 * `log.level` and the message alone.
 */
function filebeatDoc(i: number): Record<string, unknown> {
  const read = new Date(Date.UTC(2026, 11, 7, 10, 0, i, 500)).toISOString();
  const around = { log: { file: { path: '/var/log/shop/app.log' }, offset: i * 100 }, input: { type: 'filestream' }, host: { name: 'web-4' }, agent: { type: 'filebeat', version: '8.17.0', name: 'web-4' }, ecs: { version: '8.0.0' } };
  if (i % 3 === 2) return { '@timestamp': read, message: `payment ${i} failed: card declined`, ...around, log: { ...around.log, level: 'error', logger: 'com.acme.Payments' }, service: { name: 'payments' } };
  const stamp = `2026-12-07 10:00:${String(i).padStart(2, '0')},000`;
  return { '@timestamp': read, message: i % 3 === 0 ? `${stamp} INFO [worker-${i % 4}] com.acme.orders.OrderService - GET /orders/${i} 200 ${i} ms` : `order ${i} has no stamp of its own`, ...around };
}

for (const where of ['built on a record thread', 'built one by one'] as const) test(`Elasticsearch's client (@elastic/elasticsearch): its product check, helpers.bulk with an API key and gzip, and index, through the agent into Kafka, ${where}; a wrong key is refused as Elasticsearch refuses it`, { timeout: 120_000 }, async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('es');
  const counters = newCounters();
  const pool = where === 'built on a record thread' ? new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') }) : undefined;
  const threads = pool ? { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 'es' }) } : undefined;
  let toThread = 0;
  if (pool) {
    const encode = pool.encode.bind(pool);
    pool.encode = (b) => (toThread++, encode(b));
  }
  const apiKey = Buffer.from('key-id:key-secret').toString('base64');
  const source = new ElasticsearchSource('es', { port: 0, apiKeys: [apiKey], service: 'es', hostName: 'agent-host', toRecord: createRecordBuilder(counters, { parser: { type: 'auto' } }), threads });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const node = `http://127.0.0.1:${source.port}`;
  const client = new Client({ node, auth: { apiKey }, compression: true });
  try {
    const info = await client.info();
    assert.equal(info.version.number, '8.17.0');
    assert.equal(info.tagline, 'You Know, for Search');
    const result = await client.helpers.bulk({ datasource: Array.from({ length: 30 }, (_, i) => filebeatDoc(i)), onDocument: () => ({ create: { _index: 'filebeat-8.17.0' } }), flushBytes: 2000, concurrency: 2 });
    assert.deepEqual([result.total, result.successful, result.failed, result.aborted], [30, 30, 0, false]);
    const one = await client.index({ index: 'audit', document: { '@timestamp': '2026-12-07T10:01:00.000Z', message: 'user alice logged in', 'event.action': 'login' } });
    assert.equal(one.result, 'created');
    assert.ok(one._id.length > 8, `an id was given: ${one._id}`);
    const wrong = new Client({ node, auth: { apiKey: Buffer.from('key-id:wrong').toString('base64') } });
    const refused = await wrong.index({ index: 'audit', document: { message: 'nope' } }).then(() => undefined, (err: unknown) => err);
    assert.ok(refused instanceof errors.ResponseError, `refused: ${String(refused)}`);
    assert.equal(refused.statusCode, 401);
    assert.equal((refused.body as { error: { type: string } }).error.type, 'security_exception');
    await wrong.close();
  } finally {
    await client.close();
    await agent.stop();
    await pool?.close();
  }
  assert.equal(counters.records, 31, 'every document built once, where the source builds them');
  assert.ok(pool ? toThread >= 3 : toThread === 0, `a batch per request to the record thread (${toThread})`);
  const records = await readLogs(topic, 31);
  assert.equal(records.length, 31);
  const fb = records.filter((r) => r.attributes['elasticsearch.index'] === 'filebeat-8.17.0');
  assert.equal(fb.length, 30);
  for (const r of fb) {
    const i = Number(/(\d+)/.exec(r.body)![1]);
    assert.equal(r.host, 'web-4', 'host.name');
    assert.equal(r.attributes['log.file.path'], '/var/log/shop/app.log');
    assert.equal(r.attributes['agent.type'], 'filebeat');
    assert.equal(r.attributes['network.peer.address'], '127.0.0.1');
    assert.equal(r.origin.kind, 'elasticsearch');
    if (i % 3 === 0) {
      // The line Filebeat read, parsed as the agent parses it from the file: its own time, level, thread and logger.
      assert.equal(r.body, `GET /orders/${i} 200 ${i} ms`);
      assert.equal(r.time, new Date(Date.UTC(2026, 11, 7, 10, 0, i)).toISOString(), 'the line\'s own time, not Filebeat\'s time of reading');
      assert.equal(r.severity_text, 'INFO');
      assert.deepEqual([r.attributes['thread.name'], r.attributes['log.logger'], r.attributes['log.offset']], [`worker-${i % 4}`, 'com.acme.orders.OrderService', String(i * 100)]);
      assert.equal(r.service, 'es', 'no service.name: the source\'s');
    } else if (i % 3 === 1) {
      assert.equal(r.body, `order ${i} has no stamp of its own`);
      assert.equal(r.time, new Date(Date.UTC(2026, 11, 7, 10, 0, i, 500)).toISOString(), 'no time of its own: @timestamp');
    } else {
      // An event already structured: read whole as JSON (ECS's fields).
      assert.equal(r.body, `payment ${i} failed: card declined`);
      assert.equal(r.severity_text, 'ERROR', 'log.level');
      assert.equal(r.service, 'payments', 'service.name');
      assert.equal(r.attributes['log.logger'], 'com.acme.Payments');
      assert.equal(r.time, new Date(Date.UTC(2026, 11, 7, 10, 0, i, 500)).toISOString());
    }
  }
  const audit = records.find((r) => r.attributes['elasticsearch.index'] === 'audit');
  assert.equal(audit?.body, 'user alice logged in');
  assert.equal(audit?.attributes['event.action'], 'login');
  assert.equal(audit?.service, 'es', 'no service.name: the source\'s');
  assert.deepEqual([source.stats.unauthorized, source.stats.bad_items], [1, 0]);
});

test('the bulk body: actions with their index and id, the path\'s index, blank lines and CRLF, a last line without its newline; what Elasticsearch refuses, each item with its reason', () => {
  const body = [
    '{"index":{"_index":"logs-a","_id":"1"}}',
    '{"message":"one"}',
    '',
    '{"create":{}}\r',
    '{"message":"two"}\r',
    '{"delete":{"_index":"logs-a","_id":"1"}}',
    '{"update":{"_id":"1"}}',
    '{"doc":{"message":"changed"}}',
    '{"index":{}}',
    'not json at all',
    '{"index":{"_id":7}}',
    '[1,2]',
    '{"create":{"_index":"logs-b"}}',
    '{"message":"last, no newline"}',
  ].join('\n');
  const got = bulkItems(body, 'from-path');
  assert.equal(got.rest, undefined);
  assert.deepEqual(got.items.map((i) => [i.action, i.index, i.id, i.text, i.error?.status, i.error?.type]), [
    ['index', 'logs-a', '1', '{"message":"one"}', undefined, undefined],
    ['create', 'from-path', undefined, '{"message":"two"}', undefined, undefined],
    ['delete', 'logs-a', '1', undefined, 400, 'action_request_validation_exception'],
    ['update', 'from-path', '1', undefined, 400, 'action_request_validation_exception'],
    ['index', 'from-path', undefined, 'not json at all', 400, 'document_parsing_exception'],
    ['index', 'from-path', '7', '[1,2]', 400, 'document_parsing_exception'],
    ['create', 'logs-b', undefined, '{"message":"last, no newline"}', undefined, undefined],
  ]);
  assert.match(got.items[4]!.error!.reason, /line 10 is not a JSON object/);
  // An action line that is none ends the body there: the rest, from it, with the line's number.
  const cut = bulkItems('{"index":{}}\n{"a":1}\n\n{"index":{}} trailing\n{"b":2}\n{"index":{}}\n{"c":3}\n');
  assert.equal(cut.items.length, 1);
  assert.deepEqual(cut.rest, { text: '{"index":{}} trailing\n{"b":2}\n{"index":{}}\n{"c":3}', line: 4, reason: 'Malformed action/metadata line [4]: expected an action object' });
  assert.match(bulkItems('{"upsert":{}}\n{}\n').rest!.reason, /unknown action \[upsert\]/);
  assert.match(bulkItems('{"index":{},"create":{}}\n{}\n').rest!.reason, /expected one action, found 2/);
  assert.match(bulkItems('{"index":"x"}\n{}\n').rest!.reason, /the action \[index\] is not an object/);
  // An action with nothing after it.
  const tail = bulkItems('{"index":{}}\n{"a":1}\n{"create":{}}\n');
  assert.deepEqual(tail.items.map((i) => i.error?.status), [undefined, 400]);
  assert.deepEqual(bulkItems('\n \n'), { items: [] });
});

/**
 * A stand-in for the sink (no Kafka): it keeps each batch and calls its onDelivered only when the test
 * says, which a real broker would do at once; the tests of when answers come need the batch held.
 */
async function started(o: Partial<ConstructorParameters<typeof ElasticsearchSource>[1]> = {}) {
  const batches: EventBatch[] = [];
  let hold = false;
  const ctx: SourceContext = {
    emit: async (b) => {
      batches.push(b);
      if (!hold) b.onDelivered?.();
    },
    toRecord: createRecordBuilder(),
    redact: (r) => r,
    log: log('test'),
  };
  const source = new ElasticsearchSource('es', { port: 0, service: 'svc', hostName: 'agent-host', ...o });
  await source.start(ctx);
  const records = () => batches.flatMap((b) => b.events.map((e) => (e as { record: LogRecord }).record));
  return { source, batches, records, holdNext: (v: boolean) => (hold = v), deliver: () => batches.forEach((b) => b.onDelivered?.()) };
}

async function request(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

test('answers as Elasticsearch: item by item, a bad document answered 400 but shipped with its reason, update and delete refused, a malformed action line ending the request after shipping what came before and the rest as one record', async () => {
  const { source, records } = await started();
  try {
    const body = '{"index":{"_index":"app"}}\n{"message":"fine","level":"warn"}\n{"index":{"_index":"app"}}\nnot json\n{"delete":{"_index":"app","_id":"x"}}\n{"create":{"_index":"app","_id":"given"}}\n{"message":"second"}\n';
    const r = await request(source.port, 'POST', '/_bulk', body);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(r.body.errors, true);
    const items = r.body.items as Array<Record<string, { status: number; _id: string | null; _index: string; result?: string; error?: { type: string; reason: string } }>>;
    assert.deepEqual(items.map((i) => Object.keys(i)[0]), ['index', 'index', 'delete', 'create']);
    assert.deepEqual(items.map((i) => Object.values(i)[0]!.status), [201, 400, 400, 201]);
    assert.equal(items[1]!.index!.error!.type, 'document_parsing_exception');
    assert.equal(items[3]!.create!._id, 'given');
    assert.equal(items[0]!.index!.result, 'created');
    // A malformed action line: 400 for the request, as Elasticsearch; what came before it and the rest shipped.
    const cut = await request(source.port, 'POST', '/app/_bulk', '{"index":{}}\n{"message":"before"}\n{"index":{}} oops\n{"message":"after"}\n');
    assert.equal(cut.status, 400);
    assert.deepEqual((cut.body.error as { type: string }).type, 'illegal_argument_exception');
    assert.match((cut.body.error as { reason: string }).reason, /Malformed action\/metadata line \[3\]/);
  } finally {
    await source.stop();
  }
  const rs = records();
  assert.deepEqual(rs.map((r) => r.body), ['fine', 'not json', 'second', 'before', '{"index":{}} oops\n{"message":"after"}']);
  assert.equal(rs[0]!.severity_text, 'WARN');
  assert.match(rs[1]!.attributes['tributary.intake.error']!, /^the document on line 4 is not a JSON object \(Unexpected token/);
  assert.equal(rs[0]!.attributes['tributary.intake.error'], undefined);
  assert.equal(rs[3]!.attributes['elasticsearch.index'], 'app', 'the path\'s index');
  assert.match(rs[4]!.attributes['tributary.intake.error']!, /^Malformed action\/metadata line \[3\]/);
  assert.ok(rs.every((r) => r.origin.kind === 'elasticsearch' && r.service === 'svc' && r.host === 'agent-host'));
  assert.deepEqual(rs.map((r) => r.origin.offset), [0, 1, 2, 3, 4], 'a sequence number per record');
  assert.deepEqual([source.stats.requests, source.stats.documents, source.stats.bad_items, source.stats.refused], [2, 5, 2, 1]);
});

test('an answer only once the records are durable; 429 (which every sender retries) when they are not in time, and while the agent stops', async () => {
  const { source, batches, holdNext, deliver, records } = await started({ ackTimeoutMs: 300 });
  try {
    holdNext(true);
    let answered = false;
    const pending = request(source.port, 'POST', '/_bulk', '{"index":{"_index":"a"}}\n{"message":"held"}\n').then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(batches.length, 1, 'emitted');
    assert.equal(answered, false, 'not answered before it is durable');
    deliver();
    assert.equal((await pending).status, 200);
    const late = await request(source.port, 'POST', '/_bulk', '{"index":{"_index":"a"}}\n{"message":"never acknowledged"}\n');
    assert.equal(late.status, 429);
    assert.equal(late.headers.get('retry-after'), '5');
    assert.equal((late.body.error as { type: string }).type, 'es_rejected_execution_exception');
    holdNext(false);
  } finally {
    await source.stop();
  }
  assert.deepEqual(records().map((r) => r.body), ['held', 'never acknowledged'], 'the late one was emitted all the same: a resend may duplicate it, nothing is lost');
});

test('GET and HEAD /, one document by /<index>/_doc and _create, basic authentication with a user, gzip and deflate, and what is no request of the API', async () => {
  const { source, records } = await started({ password: 's3cret', username: 'filebeat', version: '8.15.0' });
  const auth = { authorization: `Basic ${Buffer.from('filebeat:s3cret').toString('base64')}` };
  try {
    const info = await request(source.port, 'GET', '/', undefined, auth);
    assert.equal(info.status, 200);
    assert.equal((info.body.version as { number: string }).number, '8.15.0');
    assert.equal((await fetch(`http://127.0.0.1:${source.port}/`, { method: 'HEAD', headers: auth })).status, 200);
    const none = await request(source.port, 'GET', '/');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Basic realm="security"/);
    assert.match((none.body.error as { reason: string }).reason, /missing authentication credentials for REST request \[\/\]/);
    const otherUser = await request(source.port, 'GET', '/', undefined, { authorization: `Basic ${Buffer.from('elastic:s3cret').toString('base64')}` });
    assert.equal(otherUser.status, 401);
    assert.match((otherUser.body.error as { reason: string }).reason, /unable to authenticate user \[elastic\]/);
    const doc = await request(source.port, 'POST', '/audit-2026.12/_doc', '{"message":"one doc"}', { ...auth, 'content-type': 'application/json' });
    assert.equal(doc.status, 201);
    assert.equal(doc.body._index, 'audit-2026.12');
    const created = await request(source.port, 'PUT', '/audit-2026.12/_create/abc', '{"message":"with its id"}', { ...auth, 'content-type': 'application/json' });
    assert.deepEqual([created.status, created.body._id], [201, 'abc']);
    const bad = await request(source.port, 'POST', '/audit/_doc', '"a string"', { ...auth, 'content-type': 'application/json' });
    assert.deepEqual([bad.status, (bad.body.error as { type: string }).type], [400, 'document_parsing_exception']);
    const gz = await request(source.port, 'POST', '/_bulk', gzipSync('{"index":{"_index":"z"}}\n{"message":"zipped"}\n'), { ...auth, 'content-encoding': 'gzip' });
    assert.equal(gz.status, 200);
    const { deflateSync } = await import('node:zlib');
    const df = await request(source.port, 'POST', '/_bulk', deflateSync('{"index":{"_index":"z"}}\n{"message":"deflated"}\n'), { ...auth, 'content-encoding': 'deflate' });
    assert.equal(df.status, 200);
    const notGzip = await request(source.port, 'POST', '/_bulk', 'plain', { ...auth, 'content-encoding': 'gzip' });
    assert.deepEqual([notGzip.status, (notGzip.body.error as { type: string }).type], [400, 'parse_exception']);
    const template = await request(source.port, 'PUT', '/_index_template/filebeat', '{}', auth);
    assert.equal(template.status, 404);
    assert.match((template.body.error as { reason: string }).reason, /no handler found for uri \[\/_index_template\/filebeat\] and method \[PUT\]/);
    assert.equal((await request(source.port, 'GET', '/_bulk', undefined, auth)).status, 405);
    assert.equal((await request(source.port, 'POST', '/_bulk', '', auth)).status, 400, 'no requests added');
  } finally {
    await source.stop();
  }
  assert.deepEqual(records().map((r) => [r.body, r.attributes['elasticsearch.index']]), [['one doc', 'audit-2026.12'], ['with its id', 'audit-2026.12'], ['"a string"', 'audit'], ['zipped', 'z'], ['deflated', 'z']]);
});

test('a body past max_body_bytes is answered 413, as sent and as decompressed', async () => {
  const { source } = await started({ maxBodyBytes: 2048 });
  try {
    const big = '{"index":{}}\n' + JSON.stringify({ message: 'x'.repeat(4000) }) + '\n';
    assert.equal((await request(source.port, 'POST', '/a/_bulk', big)).status, 413);
    const bomb = await request(source.port, 'POST', '/a/_bulk', gzipSync(big), { 'content-encoding': 'gzip' });
    assert.equal(bomb.status, 413);
    assert.match((bomb.body.error as { reason: string }).reason, /decompressed/);
  } finally {
    await source.stop();
  }
});

test('on a record thread the records are those built one by one: indexes, bad documents, the cut rest', async () => {
  const bodies = [
    '{"index":{"_index":"a"}}\n{"@timestamp":"2026-12-07T10:00:00.5Z","message":"one","log":{"level":"error"},"host":{"name":"db-1"}}\n{"index":{"_index":"b"}}\n{"msg":"two","level":"info","ms":12}\n{"index":{"_index":"b"}}\nnot json\n',
    '{"create":{"_index":"c"}}\n{"message":"2026-12-07 10:00:01,123 WARN [main] c.s.Cart - slow"}\n{"create":{"_index":"c"}}\n{"@timestamp":"2026-12-07T10:00:09.5Z","message":"2026-12-07 10:00:02,123 ERROR [main] c.s.Cart - failed","host":{"name":"db-2"},"log":{"offset":5}}\n{"create":{"_index":"c"}}\n{"@timestamp":"2026-12-07T10:00:09.5Z","message":"no stamp","host":"vec-1","service":{"name":"cart"}}\n{"index":{}} bad\n{"x":1}\n',
  ];
  const shipped = async (threads: boolean) => {
    const pool = threads ? new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters: newCounters(), log: log('test') }) : undefined;
    const { ctx, records } = recordingContext();
    const source = new ElasticsearchSource('es', { port: 0, service: 'svc', hostName: 'agent-host', threads: pool ? { pool, builder: pool.addBuilder({}) } : undefined });
    await source.start(ctx);
    try {
      for (const body of bodies) await request(source.port, 'POST', '/_bulk', body);
    } finally {
      await source.stop();
      await pool?.close();
    }
    return records.map((r) => JSON.stringify({ ...r, observed_time: '', time: r.time === r.observed_time ? '' : r.time }));
  };
  const here = await shipped(false);
  const threaded = await shipped(true);
  assert.equal(here.length, 7);
  // Batched by host and service on the thread: compared as sets.
  assert.deepEqual([...threaded].sort(), [...here].sort());
  const byBody = new Map(here.map((r) => [JSON.parse(r).body as string, JSON.parse(r) as LogRecord]));
  assert.deepEqual([byBody.get('failed')?.host, byBody.get('failed')?.severity_text, byBody.get('failed')?.time], ['db-2', 'ERROR', '2026-12-07T10:00:02.123Z']);
  assert.deepEqual([byBody.get('no stamp')?.host, byBody.get('no stamp')?.service, byBody.get('no stamp')?.time], ['vec-1', 'cart', '2026-12-07T10:00:09.500Z']);
});

test('config: the keys and their checks (credentials beyond loopback, a user without a password, variables that are not set)', () => {
  const v = (src: object, env: NodeJS.ProcessEnv = {}) => validateAgentConfig({ sources: { es: { type: 'elasticsearch', ...src } } }, { env });
  const problem = (src: object, env: NodeJS.ProcessEnv = {}): string => {
    try {
      v(src, env);
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  assert.equal((v({}).sources.es as { listen: string }).listen, '127.0.0.1:9200');
  assert.match(problem({ listen: '0.0.0.0:9200' }), /sources\.es\.api_keys_env: api_keys_env or password_env is required when listening on a non-loopback address/);
  assert.equal(problem({ listen: '0.0.0.0:9200', api_keys_env: 'ES_KEYS' }, { ES_KEYS: 'abc' }), '');
  assert.match(problem({ listen: '0.0.0.0:9200', password_env: 'ES_PASSWORD' }), /sources\.es\.password_env: environment variable ES_PASSWORD is not set/);
  assert.match(problem({ username: 'filebeat' }), /sources\.es\.username: needs password_env/);
  assert.match(problem({ version: '8' }), /sources\.es\.version/);
});
