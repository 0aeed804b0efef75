// Prometheus remote write, on requests a real Prometheus (3.x, agent mode, v0.316.0) sent: captured from its
// remote_write to a plain HTTP server (test/fixtures/programs/README.md), one 1.0 request of metadata, one of
// series, one 2.0 request. The intake runs in a real agent into a real Kafka topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from '../../../agents/agent.ts';
import { kindOf, RemoteWriteSource } from '../../../agents/sources/remote-write.ts';
import { decodeRequestV2, decodeWriteRequest } from '../../../agents/sources/remote-write-wire.ts';
import { snappyDecode } from '../../../agents/sources/snappy.ts';
import { type MetricPoint } from '../../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';
import { snappyLiteral } from '../../helpers/snappy.ts';
import { encodeProto } from '../../helpers/protobuf.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/programs/${name}`, import.meta.url));
const V1 = fixture('prometheus-remote-write-v1.bin');
const V1_METADATA = fixture('prometheus-remote-write-v1-metadata.bin');
const V2 = fixture('prometheus-remote-write-v2.bin');
const V1_TYPE = 'application/x-protobuf';
const V2_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';
const unsnappy = (b: Buffer) => snappyDecode(b, 1 << 20) as Buffer;


test("Prometheus' 1.0 and 2.0 requests decode to the series it scraped (test/fixtures/programs/prometheus-remote-write-page.txt)", () => {
  const meta = decodeWriteRequest(unsnappy(V1_METADATA));
  assert.equal(meta.series.length, 0);
  assert.deepEqual([...meta.metadata], [
    ['jobs_processed_total', { type: 'counter', unit: '' }], ['queue_depth', { type: 'gauge', unit: '' }],
    ['retries', { type: 'counter', unit: '' }], ['job_duration_seconds', { type: 'histogram', unit: '' }],
  ]);
  for (const [request, version] of [[decodeWriteRequest(unsnappy(V1)), 1], [decodeRequestV2(unsnappy(V2)), 2]] as const) {
    const byName = (n: string) => request.series.filter((s) => s.labels.__name__ === n);
    assert.equal(request.series.length, 14, `${version}`);
    assert.deepEqual(byName('jobs_processed_total').map((s) => [s.labels.queue, s.labels.job, s.labels.instance, s.values]), [['mail', 'shop', '127.0.0.1:9811', [5]], ['sms', 'shop', '127.0.0.1:9811', [2]]]);
    assert.deepEqual(byName('job_duration_seconds_bucket').map((s) => [s.labels.le, s.values[0]]), [['0.1', 1], ['1.0', 3], ['+Inf', 4]]);
    assert.equal(byName('job_duration_seconds_sum')[0]!.values[0], 2.5);
    assert.equal(byName('up')[0]!.values[0], 1);
    // One scrape: every sample at its time, a recent one.
    const times = new Set(request.series.flatMap((s) => s.times));
    assert.equal(times.size, 1);
    assert.ok([...times][0]! > Date.parse('2026-12-01'));
    // 2.0 carries each series' metadata itself.
    if (version === 2) {
      assert.deepEqual(byName('retries').map((s) => s.type), ['counter']);
      assert.deepEqual(byName('scrape_duration_seconds').map((s) => [s.type, s.unit]), [['gauge', 'seconds']]);
    }
  }
});

test('kinds: the metadata where there is some, else the name as Prometheus names things', () => {
  const k = (name: string, labels: Record<string, string> = {}, declared?: Parameters<typeof kindOf>[2]) => kindOf(name, labels, declared);
  assert.deepEqual(k('http_requests_total'), { kind: 'counter', unit: '' });
  assert.deepEqual(k('retries'), { kind: 'gauge', unit: '' });
  assert.deepEqual(k('retries', {}, { type: 'counter', unit: '' }), { kind: 'counter', unit: '' });
  assert.deepEqual(k('latency_seconds_bucket', { le: '0.5' }), { kind: 'counter', unit: '' });
  assert.deepEqual(k('latency_seconds_sum'), { kind: 'counter', unit: 's' });
  assert.deepEqual(k('latency_seconds_count'), { kind: 'counter', unit: '' });
  assert.deepEqual(k('latency_seconds', { quantile: '0.99' }, { type: 'summary', unit: 'seconds' }), { kind: 'gauge', unit: 's' });
  assert.deepEqual(k('queue_bytes', {}, { type: 'gauge', unit: '' }), { kind: 'gauge', unit: 'By' });
  assert.equal(k('http_requests_created'), undefined);
});

/**
 * A native histogram at schema 0 (base 2), its counts as Prometheus' integer histograms send them
 * (spans, then each bucket's change from the one before): positive buckets -1, 0 and 2 (Prometheus'
 * bucket i holds (2^(i-1), 2^i]) with 2, 3 and 2 values; negative bucket 0 ([-1, -0.5)) with 2; 1 zero.
 */
const INT_HISTOGRAM = {
  countInt: 10, sum: 4.25, schema: 0, zeroThreshold: 2 ** -128, zeroCountInt: 1,
  negativeSpans: [{ offset: 0, length: 1 }], negativeDeltas: [2],
  positiveSpans: [{ offset: -1, length: 2 }, { offset: 1, length: 1 }], positiveDeltas: [2, 1, -1],
  timestamp: 1_700_000_000_000,
};
/** The cumulative buckets the one above holds, by le: worked by hand. */
const INT_BUCKETS = [['-0.5', 2], [String(2 ** -128), 3], ['0.5', 5], ['1', 8], ['2', 8], ['4', 10], ['+Inf', 10]];

test("native histograms, 1.0 and 2.0: Prometheus' spans and deltas, float counts and custom bounds become _count, _sum and _bucket by le", async () => {
  const labels = (name: string) => [['__name__', name], ['job', 'api'], ['instance', 'web-1:9100']];
  const v1 = encodeProto('WriteRequest', { timeseries: [{ labels: labels('rpc_duration_seconds').map(([name, value]) => ({ name, value })), histograms: [INT_HISTOGRAM] }] });
  // 2.0: the same series' symbols; a float histogram with custom bounds 0.1 and 1 (schema -53), 1, 2 and 3 values.
  const symbols = ['', ...labels('queue_wait_seconds').flat()];
  const custom = { countFloat: 6, sum: 3.5, schema: -53, positiveSpans: [{ offset: 0, length: 3 }], positiveCounts: [1, 2, 3], customValues: [0.1, 1], timestamp: 1_700_000_000_000 };
  const v2 = encodeProto('RequestV2', { symbols, timeseries: [{ labelsRefs: [1, 2, 3, 4, 5, 6], histograms: [custom] }] });
  const [h1] = decodeWriteRequest(v1).series[0]!.histograms;
  // A histogram series that went away: Prometheus writes its sum as the staleness NaN (the bytes put in by
  // hand: a NaN's payload need not survive a JavaScript number). Counted as a marker, not a sample, in 1.0 and 2.0.
  const marker = 12345.125;
  const staleBytes = (b: Buffer) => {
    const at = b.indexOf(Buffer.from(new Float64Array([marker]).buffer));
    assert.ok(at > 0);
    b.writeUInt32LE(0x00000002, at);
    b.writeUInt32LE(0x7ff00000, at + 4);
    return b;
  };
  const staleV1 = decodeWriteRequest(staleBytes(encodeProto('WriteRequest', { timeseries: [{ labels: labels('rpc_duration_seconds').map(([name, value]) => ({ name, value })), histograms: [INT_HISTOGRAM, { ...INT_HISTOGRAM, sum: marker, timestamp: 1_700_000_060_000 }] }] }))).series[0]!;
  assert.deepEqual([staleV1.histograms.length, staleV1.stale], [1, 1]);
  const staleV2 = decodeRequestV2(staleBytes(encodeProto('RequestV2', { symbols, timeseries: [{ labelsRefs: [1, 2, 3, 4, 5, 6], histograms: [{ ...custom, sum: marker }] }] }))).series[0]!;
  assert.deepEqual([staleV2.histograms.length, staleV2.stale], [0, 1]);
  assert.deepEqual([h1!.count, h1!.sum, h1!.schema, h1!.zeroCount, h1!.positive, h1!.negative], [10, 4.25, 0, 1, [[-1, 2], [0, 3], [2, 2]], [[0, 2]]]);
  const s = await startIntake();
  assert.equal((await s.post(snappyLiteral(v1))).status, 204);
  const r2 = await s.post(snappyLiteral(v2), V2_TYPE);
  assert.equal(r2.status, 204);
  assert.equal(r2.headers.get('x-prometheus-remote-write-histograms-written'), '1');
  const raw = await readTopic(s.metricsTopic, { expected: 2 * 2 + INT_BUCKETS.length + 3, idleMs: 1500 });
  await s.agent.stop();
  const points = raw.map((m) => ({ key: m.key, ...(JSON.parse(m.value.toString()) as MetricPoint) }));
  const of = (name: string) => points.filter((p) => p.name === name);
  assert.deepEqual(of('rpc_duration_seconds_bucket').map((p) => [p.labels.le, p.value]), INT_BUCKETS);
  assert.deepEqual(of('rpc_duration_seconds_count').map((p) => [p.value, p.kind, p.unit]), [[10, 'counter', '']]);
  assert.deepEqual(of('rpc_duration_seconds_sum').map((p) => [p.value, p.kind, p.unit]), [[4.25, 'counter', 's']]);
  assert.deepEqual(of('queue_wait_seconds_bucket').map((p) => [p.labels.le, p.value]), [['0.1', 1], ['1', 3], ['+Inf', 6]]);
  assert.ok(points.every((p) => p.service === 'api' && p.host === 'web-1' && p.key === 'api|web-1' && p.time === '2023-11-14T22:13:20.000Z' && p.labels.job === 'api' && !('__name__' in p.labels)));
  assert.ok(of('rpc_duration_seconds_bucket').every((p) => p.kind === 'counter' && p.unit === ''));
  assert.equal(s.source.stats.histograms, 2);
  // Spans that hold more buckets than counts are given: refused, naming the byte.
  const broken = encodeProto('WriteRequest', { timeseries: [{ labels: [{ name: '__name__', value: 'x' }], histograms: [{ positiveSpans: [{ offset: 0, length: 3 }], positiveDeltas: [1, 1] }] }] });
  assert.throws(() => decodeWriteRequest(broken), /spans hold 3 buckets but 2 counts are given \(byte \d+\)/);
});

async function startIntake(more: Partial<ConstructorParameters<typeof RemoteWriteSource>[0]> = {}) {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('rw-logs');
  const metricsTopic = await createTestTopic('rw-metrics');
  const source = new RemoteWriteSource({ port: 0, agentHost: 'rw-host', defaultService: 'fallback', ...more });
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const post = (body: Buffer | string, type = V1_TYPE, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${source.port}/api/v1/write`, {
    method: 'POST', body, headers: { 'content-type': type, 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', ...headers },
  });
  return { agent, source, metricsTopic, post };
}

test("the intake: Prometheus' requests into Kafka as points keyed service|host, the kind from 1.0's metadata once it came, 2.0's own", async () => {
  const s = await startIntake();
  // Series before any metadata: `retries` (a counter not named _total) is read from its name, as a gauge.
  const first = await s.post(V1);
  assert.equal(first.status, 204);
  assert.equal((await s.post(V1_METADATA)).status, 204);
  assert.equal((await s.post(V1)).status, 204);
  const v2 = await s.post(V2, V2_TYPE);
  assert.equal(v2.status, 204);
  assert.equal(v2.headers.get('x-prometheus-remote-write-samples-written'), '14');
  const raw = await readTopic(s.metricsTopic, { expected: 42, idleMs: 1500 });
  await s.agent.stop();
  assert.equal(raw.length, 42);
  const points = raw.map((m) => ({ key: m.key, ...(JSON.parse(m.value.toString()) as MetricPoint) }));
  // Service from job, host: the instance is on loopback and so is the sender: this agent's.
  assert.ok(points.every((p) => p.service === 'shop' && p.host === 'rw-host' && p.key === 'shop|rw-host' && p.labels.job === 'shop' && p.labels.instance === '127.0.0.1:9811' && !('__name__' in p.labels)));
  const retries = points.filter((p) => p.name === 'retries').map((p) => p.kind);
  assert.deepEqual(retries, ['gauge', 'counter', 'counter']);
  const buckets = points.filter((p) => p.name === 'job_duration_seconds_bucket');
  assert.deepEqual([...new Set(buckets.map((p) => p.labels.le))], ['0.1', '1', '+Inf'], "le written as a scrape writes it (Prometheus 3's 1.0 as 1)");
  assert.ok(buckets.every((p) => p.kind === 'counter' && p.unit === ''));
  const duration = points.filter((p) => p.name === 'scrape_duration_seconds');
  assert.ok(duration.every((p) => p.kind === 'gauge' && p.unit === 's'));
  assert.deepEqual(points.filter((p) => p.name === 'jobs_processed_total' && p.labels.queue === 'mail').map((p) => [p.kind, p.value]), [['counter', 5], ['counter', 5], ['counter', 5]]);
  assert.equal(s.source.stats.requests, 4);
  assert.equal(s.source.stats.points, 42);
});

test('what the intake refuses, and why: path, token, content type, encoding, size, a body that does not decode', async () => {
  assert.throws(() => new RemoteWriteSource({ host: '0.0.0.0', agentHost: 'h', defaultService: 's' }), /bearer token/);
  const s = await startIntake({ token: 's3cret', maxBodyBytes: 4096 });
  const auth = { authorization: 'Bearer s3cret' };
  try {
    assert.equal((await s.post(V1)).status, 401);
    assert.equal((await s.post(V1, V1_TYPE, { authorization: 'Bearer nope' })).status, 401);
    const wrongPath = await fetch(`http://127.0.0.1:${s.source.port}/write`, { method: 'POST', body: V1, headers: auth });
    assert.equal(wrongPath.status, 404);
    const json = await s.post(V1, 'application/json', auth);
    assert.equal(json.status, 415);
    assert.match(await json.text(), /content-type must be application\/x-protobuf/);
    // A 2.0 message this intake does not know (a future one) is 415, which a 2.0 sender takes as "send 1.0".
    assert.equal((await s.post(V2, 'application/x-protobuf;proto=io.prometheus.write.v3.Request', auth)).status, 415);
    const plain = await fetch(`http://127.0.0.1:${s.source.port}/api/v1/write`, { method: 'POST', body: unsnappy(V1), headers: { 'content-type': V1_TYPE, ...auth } });
    assert.equal(plain.status, 415);
    assert.match(await plain.text(), /content-encoding must be snappy, not none/);
    const truncated = await s.post(V1.subarray(0, V1.length - 20), V1_TYPE, auth);
    assert.equal(truncated.status, 400);
    assert.match(await truncated.text(), /the request could not be read: .*snappy block/);
    // Snappy whole, protobuf cut short: the byte where it broke.
    const bad = await s.post(snappyLiteral(unsnappy(V1).subarray(0, 100)), V1_TYPE, auth);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /runs past its message's end \(byte \d+\)/);
    // 2.0 whose label references point past its symbols.
    const noSymbols = unsnappy(V2);
    let at = 0;
    const kept: Buffer[] = [];
    // Drop the symbol table (field 4) and keep the series (field 5).
    while (at < noSymbols.length) {
      const key = noSymbols[at]!;
      let len = 0;
      let shift = 0;
      let i = at + 1;
      for (;; i++, shift += 7) {
        len += (noSymbols[i]! & 0x7f) * 2 ** shift;
        if (noSymbols[i]! < 0x80) break;
      }
      const end = i + 1 + len;
      if (key >> 3 !== 4) kept.push(noSymbols.subarray(at, end));
      at = end;
    }
    const refs = await s.post(snappyLiteral(Buffer.concat(kept)), V2_TYPE, auth);
    assert.equal(refs.status, 400);
    assert.match(await refs.text(), /refers to symbol \d+, past the table's 0/);
    // Over max_body_bytes as sent, and (a small block declaring a large body) as decompressed.
    assert.equal((await s.post(Buffer.alloc(5000, 1), V1_TYPE, auth)).status, 413);
    const bomb = await s.post(Buffer.from([0x80, 0x80, 0x10, 0]), V1_TYPE, auth);
    assert.equal(bomb.status, 400);
    assert.match(await bomb.text(), /decodes to 262144 bytes, more than 4096/);
    // And one that is right, with the token.
    assert.equal((await s.post(V1, V1_TYPE, auth)).status, 204);
  } finally {
    await s.agent.stop();
  }
  assert.equal(s.source.stats.unauthorized, 2);
  assert.equal(s.source.stats.badRequests, 4);
  assert.equal(s.source.stats.requests, 1);
});
