import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { Agent } from '../../../agents/agent.ts';
import { OtlpSource, spansFromRequest, logsFromRequest } from '../../../agents/sources/otlp.ts';
import { type LogRecord, type MetricPoint } from '../../../core/contracts/records.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';

await testBrokers();

async function startIntake(token?: string, host = '127.0.0.1') {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('otlp-logs');
  const metricsTopic = await createTestTopic('otlp-metrics');
  const source = new OtlpSource({ host, port: 0, defaultHost: 'intake-host', token });
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  return { agent, source, logsTopic, metricsTopic, url: `http://127.0.0.1:${source.port}` };
}

function emitLogs(provider: LoggerProvider, n: number, tag: string): void {
  const logger = provider.getLogger('otlp-test');
  for (let i = 0; i < n; i++) {
    logger.emit({
      severityNumber: i % 2 ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: i % 2 ? 'ERROR' : 'INFO',
      body: `${tag} message ${i} password=hunter2`,
      attributes: { 'http.route': '/pay', attempt: i },
    });
  }
}

test('OTLP/HTTP protobuf logs from the OpenTelemetry SDK exporter land on the logs topic, redacted', async () => {
  const s = await startIntake();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'web-1' }),
    processors: [new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${s.url}/v1/logs` }) })],
  });
  emitLogs(provider, 20, 'proto');
  await provider.forceFlush();
  await provider.shutdown();
  const raw = await readTopic(s.logsTopic, { expected: 20 });
  await s.agent.stop();
  const records = raw.map((m) => JSON.parse(m.value.toString()) as LogRecord);
  assert.equal(records.length, 20);
  const r = records.find((x) => x.body.startsWith('proto message 1 '))!;
  assert.equal(r.service, 'checkout');
  assert.equal(r.host, 'web-1');
  assert.equal(r.severity_number, 17);
  assert.equal(r.severity_text, 'ERROR');
  assert.equal(r.attributes['http.route'], '/pay');
  assert.equal(r.attributes.attempt, '1');
  assert.equal(r.origin.kind, 'otlp');
  assert.ok(!r.body.includes('hunter2'), `not redacted: ${r.body}`);
  assert.equal(raw[0]!.key, 'checkout|web-1', 'the default log key is service|host');
  assert.match(raw[0]!.headers.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(s.source.stats.logRecords, 20);
});

test('OTLP/HTTP JSON logs from the SDK exporter are accepted too', async () => {
  const s = await startIntake();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'search' }),
    processors: [new BatchLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${s.url}/v1/logs` }) })],
  });
  emitLogs(provider, 5, 'json');
  await provider.forceFlush();
  await provider.shutdown();
  const raw = await readTopic(s.logsTopic, { expected: 5 });
  await s.agent.stop();
  const records = raw.map((m) => JSON.parse(m.value.toString()) as LogRecord);
  assert.equal(records.length, 5);
  assert.ok(records.every((r) => r.service === 'search' && r.host === 'intake-host'));
  assert.ok(records.some((r) => r.severity_text === 'ERROR'));
});

test('OTLP over HTTPS with client certificates from the SDK exporter; a client without one is refused in the handshake; beyond loopback the certificate stands for the token', async () => {
  const certs = makeTestCerts();
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verifyClient: true, minVersion: 'TLSv1.2' as const };
  assert.throws(() => new OtlpSource({ host: '0.0.0.0', port: 0, defaultHost: 'h' }), /reachable from other machines/);
  new OtlpSource({ host: '0.0.0.0', port: 0, defaultHost: 'h', tls });
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('otlp-tls');
  const source = new OtlpSource({ port: 0, defaultHost: 'intake-host', tls });
  const agent = new Agent({ sink: { brokers, logsTopic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  try {
    const url = `https://localhost:${source.port}/v1/logs`;
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'vault', 'host.name': 'web-2' }),
      processors: [new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url, httpAgentOptions: { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } }) })],
    });
    emitLogs(provider, 6, 'tls');
    await provider.forceFlush();
    await provider.shutdown();
    const refused = await new Promise<string>((resolve) => {
      const req = httpsRequest(url, { method: 'POST', ca: readFileSync(certs.ca), headers: { 'content-type': 'application/json' } }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err) => resolve(`failed: ${err.message}`));
      req.end('{"resourceLogs":[]}');
    });
    assert.match(refused, /^failed/);
    const raw = await readTopic(logsTopic, { expected: 6 });
    const records = raw.map((m) => JSON.parse(m.value.toString()) as LogRecord);
    assert.deepEqual(records.map((r) => r.body.split(' ').slice(0, 3).join(' ')).sort(), [0, 1, 2, 3, 4, 5].map((i) => `tls message ${i}`));
    assert.ok(records.every((r) => r.service === 'vault' && r.host === 'web-2'));
  } finally {
    await agent.stop();
  }
  assert.equal(source.stats.tls_failed, 1);
  assert.equal(source.stats.requests, 1, 'one export, nothing of the refused client');
});

test('OTLP/HTTP protobuf metrics become metric points keyed service|host', async () => {
  const s = await startIntake();
  const reader = new PeriodicExportingMetricReader({ exporter: new ProtoMetricExporter({ url: `${s.url}/v1/metrics` }), exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'payments', 'host.name': 'pay-1' }), readers: [reader] });
  const meter = provider.getMeter('otlp-test');
  meter.createCounter('orders').add(7, { region: 'eu' });
  meter.createHistogram('latency_ms').record(10);
  meter.createHistogram('latency_ms').record(30);
  meter.createGauge('queue_depth').record(4);
  await provider.forceFlush();
  await provider.shutdown();
  const raw = await readTopic(s.metricsTopic, { idleMs: 1500, timeoutMs: 20_000 });
  await s.agent.stop();
  const points = raw.map((m) => JSON.parse(m.value.toString()) as MetricPoint);
  const orders = points.find((p) => p.name === 'orders')!;
  assert.equal(orders.kind, 'counter');
  assert.equal(orders.value, 7);
  assert.equal(orders.labels.region, 'eu');
  assert.equal(points.find((p) => p.name === 'latency_ms')!.value, 20);
  assert.equal(points.find((p) => p.name === 'latency_ms.count')!.value, 2);
  // The SDK's default bounds (0, 5, 10, 25, 50, ...), as Prometheus' cumulative buckets by le.
  const buckets = points.filter((p) => p.name === 'latency_ms.bucket');
  assert.deepEqual(buckets.slice(0, 5).map((p) => [p.labels.le, p.value, p.kind]), [['0', 0, 'counter'], ['5', 0, 'counter'], ['10', 1, 'counter'], ['25', 1, 'counter'], ['50', 2, 'counter']]);
  assert.deepEqual([buckets.at(-1)!.labels.le, buckets.at(-1)!.value], ['+Inf', 2]);
  assert.equal(points.find((p) => p.name === 'queue_depth')!.value, 4);
  assert.equal(raw[0]!.key, 'payments|pay-1');
});

test("an SDK exporting with delta temporality: its counter's points on metrics.v1 are running totals", async () => {
  const s = await startIntake();
  const exporter = new ProtoMetricExporter({ url: `${s.url}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'payments', 'host.name': 'pay-1' }), readers: [reader] });
  const meter = provider.getMeter('otlp-test');
  const orders = meter.createCounter('orders');
  const latency = meter.createHistogram('latency_ms');
  orders.add(7, { region: 'eu' });
  latency.record(10);
  await provider.forceFlush();
  orders.add(3, { region: 'eu' });
  latency.record(30);
  latency.record(50);
  await provider.forceFlush();
  await provider.shutdown();
  const raw = await readTopic(s.metricsTopic, { idleMs: 1500, timeoutMs: 20_000 });
  await s.agent.stop();
  const points = raw.map((m) => JSON.parse(m.value.toString()) as MetricPoint);
  const values = (name: string) => points.filter((p) => p.name === name).map((p) => p.value);
  assert.deepEqual(values('orders'), [7, 10]);
  assert.deepEqual(values('latency_ms.count'), [1, 3]);
  assert.deepEqual(values('latency_ms.sum'), [10, 90]);
  assert.deepEqual(values('latency_ms'), [10, 40], "a delta histogram's mean is its interval's");
  const bucket = (le: string) => points.filter((p) => p.name === 'latency_ms.bucket' && p.labels.le === le).map((p) => p.value);
  assert.deepEqual(bucket('25'), [1, 1]);
  assert.deepEqual(bucket('50'), [1, 3]);
  assert.deepEqual(bucket('+Inf'), [1, 3]);
});

test("an SDK's exponential histogram: .bucket counters by le, each holding the values recorded at or below it", async () => {
  const s = await startIntake();
  const reader = new PeriodicExportingMetricReader({ exporter: new ProtoMetricExporter({ url: `${s.url}/v1/metrics` }), exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'payments', 'host.name': 'pay-1' }),
    readers: [reader],
    views: [{ instrumentName: 'rpc_ms', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const latency = provider.getMeter('otlp-test').createHistogram('rpc_ms', { unit: 'ms' });
  // Latencies over four orders of magnitude (the SDK picks its scale from them), and a zero.
  const values = Array.from({ length: 400 }, (_, i) => 0.05 * 1.023 ** i);
  values.push(0, 17, 17, 250);
  for (const v of values) latency.record(v, { route: '/pay' });
  await provider.forceFlush();
  await provider.shutdown();
  const raw = await readTopic(s.metricsTopic, { idleMs: 1500, timeoutMs: 20_000 });
  await s.agent.stop();
  const points = raw.map((m) => JSON.parse(m.value.toString()) as MetricPoint);
  const buckets = points.filter((p) => p.name === 'rpc_ms.bucket');
  assert.ok(buckets.length > 10, `buckets: ${buckets.length}`);
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
    assert.equal(b.value, values.filter((v) => v <= le).length, `le ${b.labels.le}`);
    assert.equal(b.labels.route, '/pay');
    assert.equal(b.kind, 'counter');
    // Bounds merged down to 4 per doubling, whatever scale the SDK chose.
    if (le !== Infinity && le !== 0) assert.ok(Math.abs(Math.log2(le) * 4 - Math.round(Math.log2(le) * 4)) < 1e-9, `le ${b.labels.le}`);
  }
  assert.deepEqual([buckets.at(-1)!.labels.le, buckets.at(-1)!.value], ['+Inf', values.length]);
  assert.equal(points.find((p) => p.name === 'rpc_ms.count')!.value, values.length);
});

test('the intake refuses to bind beyond loopback without a token, and checks the token when it has one', async () => {
  assert.throws(() => new OtlpSource({ host: '0.0.0.0', defaultHost: 'h' }), /bearer token/);
  const s = await startIntake('s3cret', '0.0.0.0');
  const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hello' }, timeUnixNano: '1700000000000000000', traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }] }] }] });
  const denied = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(denied.status, 401);
  const wrong = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body });
  assert.equal(wrong.status, 401);
  const ok = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' }, body });
  assert.equal(ok.status, 200);
  const bad = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer s3cret' }, body: 'not protobuf \xff' });
  assert.equal(bad.status, 400);
  const raw = await readTopic(s.logsTopic, { expected: 1 });
  await s.agent.stop();
  const r = JSON.parse(raw[0]!.value.toString()) as LogRecord;
  assert.equal(r.time, '2023-11-14T22:13:20.000Z');
  assert.equal(r.trace_id, '5b8efff798038103d269b633813fc60c');
  assert.equal(raw[0]!.headers.traceparent, '00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01');
  assert.equal(s.source.stats.unauthorized, 2);
  assert.equal(s.source.stats.badRequests, 1);
});

test('a log record with a severity word and no number takes the number the word means; a number given wins; an unknown word stays 0', () => {
  const log = (severityText: string | undefined, severityNumber?: number) => ({ timeUnixNano: '1700000000000000000', ...(severityText !== undefined ? { severityText } : {}), ...(severityNumber !== undefined ? { severityNumber } : {}), body: { stringValue: 'x' } });
  const records = logsFromRequest({ resourceLogs: [{ scopeLogs: [{ logRecords: [log('warning'), log('Error'), log('DEBUG', 0), log('INFO', 17), log('ok'), log(undefined, 13)] }] }] }, { host: 'h', service: 's' });
  assert.deepEqual(records.map((r) => [r.severity_text, r.severity_number]), [['WARNING', 13], ['ERROR', 17], ['DEBUG', 5], ['INFO', 17], ['OK', 0], ['WARN', 13]]);
});

test('OTLP/JSON spans become log records: name, ids, kind, parent, duration, status and links', () => {
  const req = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'worker' } }] },
      scopeSpans: [{
        scope: { name: 'tributary.worker' },
        spans: [
          {
            traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: '', name: 'tributary.worker.batch', kind: 'SPAN_KIND_CONSUMER',
            startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000012500000', attributes: [{ key: 'messaging.batch.message_count', value: { intValue: '40' } }],
            links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }, { traceId: 'bad', spanId: 'b7ad6b7169203331' }],
            status: {},
          },
          { traceId: '5b8efff798038103d269b633813fc60c', spanId: '00f067aa0ba902b7', parentSpanId: 'eee19b7ec3c1b174', name: 'insert', kind: 3, startTimeUnixNano: '1700000000001000000', status: { code: 'STATUS_CODE_ERROR', message: 'timeout' } },
        ],
      }],
    }],
  };
  const [batch, insert] = spansFromRequest(req, { host: 'h', service: 'unknown' });
  assert.equal(batch!.body, 'tributary.worker.batch');
  assert.equal(batch!.service, 'worker');
  assert.equal(batch!.time, '2023-11-14T22:13:20.000Z');
  assert.equal(batch!.trace_id, '5b8efff798038103d269b633813fc60c');
  assert.equal(batch!.span_id, 'eee19b7ec3c1b174');
  assert.equal(batch!.severity_text, 'INFO');
  assert.deepEqual(batch!.attributes, {
    'messaging.batch.message_count': '40', 'otel.signal': 'span', 'otel.scope.name': 'tributary.worker', 'span.kind': 'consumer',
    'span.duration_ms': '12.5', 'span.status': 'unset', 'span.links': '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
  });
  assert.equal(insert!.attributes['span.kind'], 'client');
  assert.equal(insert!.attributes['span.parent_span_id'], 'eee19b7ec3c1b174');
  assert.equal(insert!.attributes['span.status'], 'error');
  assert.equal(insert!.attributes['span.status_message'], 'timeout');
  assert.equal(insert!.severity_text, 'ERROR');
  assert.equal(insert!.attributes['span.duration_ms'], undefined, 'no end time, no duration');
});
