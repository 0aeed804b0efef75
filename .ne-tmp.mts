import { PrometheusScrapeSource } from './agents/sources/prometheus.ts';
const s = new PrometheusScrapeSource({ name: 'node', targets: [], intervalMs: 1000, timeoutMs: 5000, service: 's', host: 'h', honorTimestamps: true, sampleLimit: 0, maxBytes: 1 << 26 });
const r = await s.scrape('http://127.0.0.1:19100/metrics');
console.log(r.error, r.samples, r.invalidLines, r.firstInvalid, r.nonFinite, r.points.length);
const kinds: Record<string, number> = {};
for (const p of r.points) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
console.log(kinds, r.points.filter((p) => p.name.startsWith('node_cpu_seconds_total')).slice(0, 2), r.points.slice(-3));
