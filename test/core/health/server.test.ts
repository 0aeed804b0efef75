// The health server on a real socket: what each endpoint answers, the Prometheus text of
// OpenTelemetry instruments, and that it binds to loopback unless told otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMetrics } from '../../../core/health/metrics.ts';
import { parseListen, startHealthServer } from '../../../core/health/server.ts';
import { ProgressCheck } from '../../../core/health/kafka-probe.ts';

test('healthz, readyz (200 or 503 with the failing check) and metrics in Prometheus text', async () => {
  const metrics = new HealthMetrics('test');
  let stored = 41;
  metrics.counter('records_out', 'rows stored', () => [{ value: stored, labels: { stage: 'store' } }]);
  metrics.gauge('consumer_lag', 'lag per partition', () => [
    { value: 3, labels: { topic: 'logs.v1', partition: '0' } },
    { value: 0, labels: { topic: 'logs.v1', partition: '1' } },
  ]);
  let kafkaOk = true;
  const server = await startHealthServer({ listen: '0', metrics, ready: () => ({ kafka: { ok: kafkaOk, detail: kafkaOk ? 'fine' : 'Kafka at x did not answer' }, store: { ok: true } }) });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    assert.equal(server.host, '127.0.0.1', 'loopback by default');
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');

    let r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 200);
    kafkaOk = false;
    r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 503);
    const body = (await r.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> };
    assert.equal(body.ready, false);
    assert.match(body.checks.kafka!.detail, /did not answer/);
    assert.equal(body.checks.store!.ok, true);

    stored = 42;
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    const text = await m.text();
    assert.match(text, /^# TYPE tributary_records_out_total counter$/m);
    assert.match(text, /^tributary_records_out_total\{stage="store"\} 42$/m);
    assert.match(text, /^tributary_consumer_lag\{topic="logs.v1",partition="0"\} 3$/m);
    assert.equal(await metrics.text(), text, 'text() is what a scrape gets');
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
    await metrics.shutdown();
  }
});

test('a listen address is [host:]port; anything else is a usage error naming it', () => {
  assert.deepEqual(parseListen('9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen(':9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.throws(() => parseListen('localhost'), /\[host:\]port .*"localhost"/);
  assert.throws(() => parseListen('1:99999'), /99999/);
});

test('a taken port is a clear error', async () => {
  const first = await startHealthServer({ listen: '0', ready: () => ({}) });
  try {
    await assert.rejects(startHealthServer({ listen: String(first.port), ready: () => ({}) }), /cannot listen on 127\.0\.0\.1:\d+: the port is taken/);
  } finally {
    await first.close();
  }
});

test('progress: red only when work waits and nothing moves for the stall period', () => {
  let done = 0;
  let pending = 0;
  const p = new ProgressCheck(() => done, () => pending, 1000);
  assert.equal(p.check(0).ok, true);
  pending = 5;
  assert.equal(p.check(500).ok, true);
  assert.equal(p.check(1600).ok, false, 'waiting and stuck');
  assert.match(p.check(1700).detail!, /5 records waiting and none done/);
  done = 5;
  assert.equal(p.check(1800).ok, true, 'moved again');
  pending = 0;
  assert.equal(p.check(10_000).ok, true, 'idle is fine');
});
