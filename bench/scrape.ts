/**
 * What a Prometheus scrape costs the agent (`npm run bench:scrape`): CPU µs per sample and per page for
 * reading a page into metric points (agents/sources/prometheus-text.ts and prometheus.ts), on the pages
 * of real client libraries: Prometheus' Go client (test/fixtures/programs/go-prometheus-text.txt and
 * its OpenMetrics twin) and prom-client's default metrics with a few of its own; then whole scrapes over
 * loopback HTTP (request, answer, parse, points) of the largest page, gzipped and not; and a remote write
 * request of Prometheus' own, from snappy to points. Best of
 * BENCH_ROUNDS (3) runs of BENCH_PAGES (2,000) pages each, printed and written to
 * bench/results/scrape.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import client from 'prom-client';
import { parseExposition } from '../agents/sources/prometheus-text.ts';
import { pointsOf, PrometheusScrapeSource } from '../agents/sources/prometheus.ts';
import { RemoteWriteSource } from '../agents/sources/remote-write.ts';
import { decodeRequestV2, decodeWriteRequest } from '../agents/sources/remote-write-wire.ts';
import { snappyDecode } from '../agents/sources/snappy.ts';
import { snappyLiteral } from '../test/helpers/snappy.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PAGES = Number(process.env.BENCH_PAGES ?? 2000);

async function promClientPage(): Promise<string> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['route', 'code'], registers: [registry] });
  const latency = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Latency.', labelNames: ['route'], registers: [registry] });
  for (const route of ['/api/cart', '/api/pay', '/api/search', '/health']) {
    for (const code of ['200', '404', '500']) requests.inc({ route, code }, 17);
    for (let i = 0; i < 20; i++) latency.observe({ route }, i / 40);
  }
  return registry.metrics();
}

/** CPU µs per call of `f`, the best of ROUNDS runs of `n` calls. */
function cpuPer(n: number, f: () => void): number {
  f();
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / n);
  }
  return best;
}

const target = { service: 'bench', host: 'h', targetLabels: { job: 'bench', instance: '127.0.0.1:9100' }, timeMs: Date.now(), honorTimestamps: true };
const pages: Array<{ name: string; text: string; openMetrics: boolean }> = [
  { name: "Go client, text format (go-prometheus-text.txt)", text: readFileSync(`${root}test/fixtures/programs/go-prometheus-text.txt`, 'utf8'), openMetrics: false },
  { name: 'Go client, OpenMetrics (go-prometheus-openmetrics.txt)', text: readFileSync(`${root}test/fixtures/programs/go-prometheus-openmetrics.txt`, 'utf8'), openMetrics: true },
  { name: 'prom-client 15.1.3, default metrics and a counter and histogram of 4 routes', text: await promClientPage(), openMetrics: false },
];

const rows: Array<Record<string, string | number>> = [];
for (const p of pages) {
  const samples = parseExposition(p.text, p.openMetrics).samples.length;
  const perPage = cpuPer(PAGES, () => pointsOf(parseExposition(p.text, p.openMetrics), target));
  rows.push({ page: p.name, bytes: Buffer.byteLength(p.text), samples, cpu_us_per_page: Math.round(perPage), cpu_us_per_sample: Math.round((perPage / samples) * 100) / 100 });
}

// Whole scrapes over loopback. The target answering is in this process too, so its CPU (writing a
// ready answer) is in the figure: an upper bound on the agent's.
const largest = pages.reduce((a, b) => (Buffer.byteLength(b.text) > Buffer.byteLength(a.text) ? b : a));
const gz = gzipSync(largest.text);
for (const gzip of [false, true]) {
  const server = createServer((req, res) => {
    const zipped = gzip && /gzip/.test(String(req.headers['accept-encoding']));
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', ...(zipped ? { 'content-encoding': 'gzip' } : {}) }).end(zipped ? gz : largest.text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const source = new PrometheusScrapeSource({ name: 'bench', targets: [url], intervalMs: 1000, timeoutMs: 5000, service: 'bench', host: 'h', honorTimestamps: true, sampleLimit: 0, maxBytes: 1 << 26 });
  const n = Math.max(50, Math.floor(PAGES / 10));
  let best = Infinity;
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const result = await source.scrape(url);
      if (result.error) throw new Error(result.error);
    }
    const u = process.cpuUsage(t);
    if (r > 0) best = Math.min(best, (u.user + u.system) / n);
  }
  server.close();
  const samples = parseExposition(largest.text).samples.length;
  rows.push({ page: `whole scrapes over loopback HTTP${gzip ? ', gzip' : ''} (${largest.name.split(',')[0]}; the target's CPU included)`, bytes: gzip ? gz.length : Buffer.byteLength(largest.text), samples, cpu_us_per_page: Math.round(best), cpu_us_per_sample: Math.round((best / samples) * 100) / 100 });
}

// Remote write (agents/sources/remote-write.ts): a request Prometheus 3 sent (test/fixtures/programs), its
// series repeated to the 2,000-odd samples of a full batch (max_samples_per_send), from the snappy block to
// points. The block is written as one literal (this bench has no snappy compressor), so snappy's copies are
// not in the figure; the protobuf and the points are.
const remote = new RemoteWriteSource({ port: 0, agentHost: 'h', defaultService: 'bench' });
for (const [version, file, decode] of [['1.0', 'prometheus-remote-write-v1.bin', decodeWriteRequest], ['2.0', 'prometheus-remote-write-v2.bin', decodeRequestV2]] as const) {
  const one = snappyDecode(readFileSync(`${root}test/fixtures/programs/${file}`), 1 << 20) as Buffer;
  // Repeated fields of a message concatenate: the same request 150 times is one request of 150 times its series.
  const body = snappyLiteral(Buffer.concat(Array.from({ length: 150 }, () => one)));
  const samples = decode(snappyDecode(body, 1 << 26) as Buffer).series.reduce((n, x) => n + x.values.length, 0);
  const perRequest = cpuPer(Math.max(20, Math.floor(PAGES / 20)), () => remote.pointsOf(decode(snappyDecode(body, 1 << 26) as Buffer).series, '127.0.0.1'));
  rows.push({ page: `remote write ${version}: a request of Prometheus 3's, its series ×150, snappy to points`, bytes: body.length, samples, cpu_us_per_page: Math.round(perRequest), cpu_us_per_sample: Math.round((perRequest / samples) * 100) / 100 });
}

console.log('| page | bytes | samples | CPU µs per page | CPU µs per sample |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.page} | ${r.bytes} | ${r.samples} | ${r.cpu_us_per_page} | ${r.cpu_us_per_sample} |`);
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/scrape.json`, JSON.stringify({ at: new Date().toISOString(), node: process.version, rounds: ROUNDS, pages: PAGES, rows }, null, 2) + '\n');
