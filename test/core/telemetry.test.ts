// The OpenTelemetry Node SDK, started by core/telemetry.ts, exports a span to a real OTLP/HTTP endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { newTraceparent, parseTraceparent, startTelemetry, stopTelemetry, telemetryWanted, traceparentOf, tracer } from '../../core/telemetry.ts';

test('fresh traceparents: well formed, readable, and never the same (past several refills of the random pool)', () => {
  const seen = new Set<string>();
  const traceIds = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const t = newTraceparent();
    assert.match(t, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.ok(parseTraceparent(t), t);
    seen.add(t);
    traceIds.add(t.slice(3, 35));
  }
  assert.equal(seen.size, 2000);
  assert.equal(traceIds.size, 2000, 'no trace id reused, not even with another span id');
});

test('stays off unless asked for', () => {
  assert.equal(telemetryWanted({}), false);
  assert.equal(telemetryWanted({ TRIBUTARY_OTEL: '1' }), true);
  assert.equal(telemetryWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
});

test('no traceparent from a span no SDK records', () => {
  assert.equal(traceparentOf(tracer().startSpan('idle')), undefined);
});

test('exports the pipeline\'s spans over OTLP when an endpoint is set', async () => {
  const received: Array<{ url: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  process.env.OTEL_METRICS_EXPORTER = 'none';
  process.env.OTEL_LOGS_EXPORTER = 'none';
  try {
    await startTelemetry('tributary-test');
    tracer().startActiveSpan('worker.batch', (span) => {
      span.setAttribute('records', 42);
      const header = traceparentOf(span);
      assert.match(header ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const c = span.spanContext();
      assert.deepEqual(parseTraceparent(header!), { traceId: c.traceId, spanId: c.spanId, traceFlags: 1, isRemote: true });
      span.end();
    });
    await stopTelemetry();
    const traces = received.find((r) => r.url === '/v1/traces');
    assert.ok(traces, `a trace export arrived (got ${received.map((r) => r.url).join(', ') || 'nothing'})`);
    assert.match(traces.body, /worker\.batch/);
    assert.match(traces.body, /tributary-test/);
  } finally {
    server.close();
  }
});
