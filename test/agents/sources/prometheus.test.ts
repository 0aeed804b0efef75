import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import client from 'prom-client';
import { Agent } from '../../../agents/agent.ts';
import { validateAgentConfig } from '../../../agents/config.ts';
import { PrometheusScrapeSource, type PrometheusScrapeOptions } from '../../../agents/sources/prometheus.ts';
import { type MetricPoint } from '../../../core/contracts/records.ts';
import { type SourceContext } from '../../../agents/source.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';

// The OpenMetrics page Prometheus' Go client wrote (test/fixtures/programs/go-prometheus.go.txt).
const GO_PAGE = readFileSync(new URL('../../fixtures/programs/go-prometheus-openmetrics.txt', import.meta.url));
const OPEN_METRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

async function serve(server: Server, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server.on('request', handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const options = (targets: string[], more: Partial<PrometheusScrapeOptions> = {}): PrometheusScrapeOptions => ({
  name: 'shop', targets, intervalMs: 300, timeoutMs: 250, service: 'shop', host: 'agent-host', honorTimestamps: true, sampleLimit: 0, maxBytes: 1 << 20, ...more,
});

test("a service's prom-client page (bearer token) and a Go service's OpenMetrics page (HTTPS, gzip) scraped into Kafka; a target that stops answering is up 0", async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('prom-logs');
  const metricsTopic = await createTestTopic('prom-metrics');

  // A Node service instrumented with prom-client, its /metrics behind a bearer token.
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const jobs = new client.Counter({ name: 'jobs_processed_total', help: 'Jobs.', labelNames: ['queue'], registers: [registry] });
  jobs.inc({ queue: 'mail' }, 5);
  const nodeService = createHttp();
  let nodeAuth = '';
  const nodeAddr = await serve(nodeService, (req, res) => {
    nodeAuth = req.headers.authorization ?? '';
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    if (req.headers.authorization !== 'Bearer s3cret') return void res.writeHead(401).end();
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  // The Go service's page over HTTPS, gzipped when the scraper accepts it, as OpenMetrics when asked for it.
  const certs = makeTestCerts();
  const goService = createHttps({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) });
  let goAccept = '';
  const goAddr = await serve(goService, (req, res) => {
    goAccept = String(req.headers.accept);
    const gzip = /gzip/.test(String(req.headers['accept-encoding']));
    res.writeHead(200, { 'content-type': OPEN_METRICS, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }).end(gzip ? gzipSync(GO_PAGE) : GO_PAGE);
  });

  const source = new PrometheusScrapeSource(options([`http://${nodeAddr}/metrics`, `https://localhost:${goAddr.split(':')[1]}/metrics`], {
    authorization: 'Bearer s3cret', ca: readFileSync(certs.ca),
  }));
  const agent = new Agent({ sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  try {
    const until = Date.now() + 15_000;
    while (source.stats.scrapes < 4 && Date.now() < until) await sleep(50);
    assert.ok(source.stats.scrapes >= 4, `scrapes ${source.stats.scrapes}`);
    assert.equal(source.stats.failures, 0);
    assert.equal(nodeAuth, 'Bearer s3cret');
    assert.match(goAccept, /application\/openmetrics-text/);
    // The Node service goes away: its scrapes fail, and its up series says so.
    nodeService.closeAllConnections();
    await new Promise<void>((r) => nodeService.close(() => r()));
    const failedBy = Date.now() + 10_000;
    while (source.stats.failures < 2 && Date.now() < failedBy) await sleep(50);
    assert.ok(source.stats.failures >= 2);
    assert.equal(source.stats.targetsDown, 1);
  } finally {
    await agent.stop();
    goService.close();
  }

  const raw = await readTopic(metricsTopic, { idleMs: 1500, timeoutMs: 20_000 });
  const points = raw.map((m) => ({ key: m.key, ...(JSON.parse(m.value.toString()) as MetricPoint) }));
  const nodeInstance = nodeAddr;
  const goInstance = `localhost:${goAddr.split(':')[1]}`;
  const jobsPoint = points.find((p) => p.name === 'jobs_processed_total')!;
  assert.deepEqual([jobsPoint.kind, jobsPoint.value, jobsPoint.labels, jobsPoint.service, jobsPoint.host, jobsPoint.key], [
    'counter', 5, { job: 'shop', instance: nodeInstance, queue: 'mail' }, 'shop', 'agent-host', 'shop|agent-host',
  ]);
  assert.ok(points.some((p) => p.name === 'nodejs_heap_size_used_bytes' && p.kind === 'gauge' && p.unit === 'By' && p.value > 0));
  const goRequests = points.find((p) => p.name === 'http_requests_total' && p.labels.code === '200')!;
  assert.deepEqual([goRequests.kind, goRequests.value, goRequests.labels.instance], ['counter', 1027, goInstance]);
  // OpenMetrics' le="5.0" lands as the text format writes it.
  assert.ok(points.some((p) => p.name === 'http_request_duration_seconds_bucket' && p.labels.le === '5' && p.value === 5));
  const up = (instance: string) => points.filter((p) => p.name === 'up' && p.labels.instance === instance).sort((a, b) => a.time.localeCompare(b.time)).map((p) => p.value);
  const nodeUp = up(nodeInstance);
  assert.equal(nodeUp[0], 1);
  assert.equal(nodeUp[nodeUp.length - 1], 0, `node service up series: ${nodeUp.join(',')}`);
  assert.ok(up(goInstance).length >= 2 && up(goInstance).every((v) => v === 1));
  assert.ok(points.some((p) => p.name === 'scrape_samples_scraped' && p.labels.instance === goInstance && p.value === GO_PAGE.toString().split('\n').filter((l) => l && !l.startsWith('#')).length));
});

test('a failed scrape says why: refused credentials, a missing page, no answer in time (idle or trickling), a page cut short or not decompressing, too large, too many samples, nothing listening', async () => {
  const page = 'a 1\nb 2\nc 3\n';
  const server = createHttp();
  const addr = await serve(server, (req, res) => {
    if (req.url === '/secret') return void res.writeHead(401).end();
    if (req.url === '/slow') return; // never answers
    if (req.url === '/trickle') {
      // Headers at once, then a byte every 50 ms: never idle long, never done in time.
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const timer = setInterval(() => res.write('#'), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': '1000' });
      res.write('a 1\nb 2\n');
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    if (req.url === '/badgzip') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' }).end('this is not gzip');
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page);
    res.writeHead(404).end();
  });
  try {
    const scrape = async (path: string, more: Partial<PrometheusScrapeOptions> = {}) => {
      const url = `http://${addr}${path}`;
      const r = await new PrometheusScrapeSource(options([url], more)).scrape(url);
      return [r.error, r.points.find((p) => p.name === 'up')!.value, r.points.length] as const;
    };
    assert.deepEqual(await scrape('/metrics'), [undefined, 1, 3 + 4]);
    // include and exclude pick samples by name glob; the limit counts what they leave, as Prometheus' does.
    assert.deepEqual(await scrape('/metrics', { include: ['a', 'c*'], exclude: ['c'], sampleLimit: 1 }), [undefined, 1, 1 + 4]);
    const kept = await new PrometheusScrapeSource(options([`http://${addr}/metrics`], { exclude: ['b'] })).scrape(`http://${addr}/metrics`);
    assert.deepEqual(kept.points.map((p) => `${p.name}=${p.value}`), ['a=1', 'c=3', 'up=1', `scrape_duration_seconds=${kept.points[3]!.value}`, 'scrape_samples_scraped=3', 'scrape_samples_post_metric_relabeling=2']);
    assert.deepEqual(await scrape('/secret'), ['HTTP 401 Unauthorized (check bearer_token_env or username/password_env)', 0, 4]);
    assert.deepEqual(await scrape('/nope'), ['HTTP 404 Not Found', 0, 4]);
    assert.deepEqual(await scrape('/slow', { timeoutMs: 200 }), ['no answer within timeout_ms (200 ms)', 0, 4]);
    assert.deepEqual(await scrape('/trickle', { timeoutMs: 300 }), ['no answer within timeout_ms (300 ms)', 0, 4]);
    assert.match((await scrape('/cut'))[0]!, /^the connection closed before the page ended \((aborted|closed)\)$/);
    assert.match((await scrape('/badgzip'))[0]!, /^the page's gzip does not decompress: /);
    assert.deepEqual(await scrape('/metrics', { maxBytes: 5 }), ['the page is larger than max_bytes (5)', 0, 4]);
    assert.deepEqual(await scrape('/metrics', { sampleLimit: 2 }), ['3 samples, more than sample_limit (2)', 0, 4]);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  const closed = await new PrometheusScrapeSource(options([`http://${addr}/metrics`])).scrape(`http://${addr}/metrics`);
  assert.match(closed.error!, /ECONNREFUSED/);
});

test('a page with lines that are not samples: its samples sent, the bad line logged with its number once, again only when it changes', async () => {
  let page = 'good 1\nbad{ 2\nalso_good 3\n';
  const server = createHttp();
  const addr = await serve(server, (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page));
  const said: Array<{ msg: string; first?: string; lines?: number }> = [];
  const logStream = new Writable({ write: (chunk: Buffer, _enc, done) => (said.push(JSON.parse(chunk.toString())), done()) });
  const points: MetricPoint[] = [];
  const ctx: SourceContext = {
    emit: async (b) => void points.push(...b.events.map((e) => (e as { point: MetricPoint }).point)),
    toRecord: () => { throw new Error('no lines here'); },
    redact: (r) => r,
    log: pino({ level: 'info' }, logStream),
  };
  const source = new PrometheusScrapeSource(options([`http://${addr}/metrics`], { intervalMs: 100, timeoutMs: 90 }));
  await source.start(ctx);
  try {
    const until = Date.now() + 10_000;
    while (source.stats.scrapes < 4 && Date.now() < until) await sleep(20);
    page = 'good 1\nalso_good 3\n# TYPE x nonsense\n';
    const scrapes = source.stats.scrapes;
    while (source.stats.scrapes < scrapes + 3 && Date.now() < until) await sleep(20);
  } finally {
    await source.stop();
    server.closeAllConnections();
    server.close();
  }
  assert.ok(source.stats.scrapes >= 7);
  const warnings = said.filter((l) => /could not be read/.test(l.msg)).map((l) => [l.first, l.lines]);
  assert.deepEqual(warnings, [['line 2: expected a label name at column 6: bad{ 2', 1], ['line 3: unknown metric type "nonsense" for x: # TYPE x nonsense', 1]]);
  assert.equal(source.stats.invalidLines, source.stats.scrapes);
  assert.ok(points.filter((p) => p.name === 'good').length >= 7);
  assert.ok(points.filter((p) => p.name === 'also_good').length >= 7);
});

test('config: targets are http(s) URLs without credentials, the timeout fits the interval, secrets come from the environment', () => {
  const ok = validateAgentConfig({ sources: { app: { type: 'prometheus_scrape', targets: ['http://127.0.0.1:9100/metrics'], bearer_token_env: 'TOKEN' } } }, { env: { TOKEN: 't' } }).sources.app!;
  assert.deepEqual(ok.type === 'prometheus_scrape' && [ok.interval_ms, ok.timeout_ms, ok.honor_timestamps, ok.sample_limit], [15_000, 10_000, true, 100_000]);
  const errors = (source: object, env: NodeJS.ProcessEnv = {}) => {
    try {
      validateAgentConfig({ sources: { app: { type: 'prometheus_scrape', ...source } } }, { env });
      return [];
    } catch (err) {
      return String((err as Error).message).split('\n').filter((l) => l.includes('sources.app')).map((l) => l.trim());
    }
  };
  assert.deepEqual(errors({ targets: ['ftp://h/metrics', 'http://u:p@h:9100/metrics', 'not a url'] }), [
    'sources.app.targets[0]: "ftp://h/metrics" must be http or https',
    'sources.app.targets[1]: must not hold credentials (they would show in logs): use username and password_env',
    'sources.app.targets[2]: "not a url" is not a URL (http://host:port/metrics)',
  ]);
  assert.deepEqual(errors({ targets: ['http://h/m'], interval_ms: 5000, timeout_ms: 6000 }), ['sources.app.timeout_ms: must be at most interval_ms (5000)']);
  assert.deepEqual(errors({ targets: ['http://h/m'], bearer_token_env: 'NOPE' }), ['sources.app.bearer_token_env: environment variable NOPE is not set']);
  assert.deepEqual(errors({ targets: ['http://h/m'], username: 'u' }), ['sources.app.username: needs password_env (the password of basic authentication)']);
  assert.deepEqual(errors({ targets: ['http://h/m'], tls: { cert_file: '/nonexistent.pem' } }), [
    'sources.app.tls: cert_file and key_file go together',
    "sources.app.tls.cert_file: cannot be read: ENOENT: no such file or directory, open '/nonexistent.pem'",
  ]);
  assert.deepEqual(errors({}), ['sources.app.targets: is required']);
});
