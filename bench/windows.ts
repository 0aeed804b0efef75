/**
 * Micro-benchmark of the event-time windows: generated log records and metric points in, records/s
 * through `add` + `advance` out (printed only), plus DDSketch adds/s and the memory held in windows.
 * Run: `node --import tsx bench/windows.ts`. 50 services on 12 partitions, 10 s and 60 s windows.
 */
import { DDSketch } from '../pipeline/transforms/windows/ddsketch.ts';
import { MetricWindows, type MetricWindowInput } from '../pipeline/transforms/windows/metric-windows.ts';
import { ServiceWindows, type ServiceWindowInput } from '../pipeline/transforms/windows/service-windows.ts';

const N = 1_000_000;
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logs(n: number): ServiceWindowInput[] {
  const r = rng(1);
  const offsets = new Array<number>(12).fill(0);
  const out: ServiceWindowInput[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.floor(r() * 50);
    const p = s % 12;
    out.push({
      // 10k records/s of event time, with a little disorder.
      time: T0 + i / 10 - Math.floor(r() * 300),
      service: `svc-${s}`,
      severity_number: [9, 9, 9, 9, 13, 17, 5][Math.floor(r() * 7)]!,
      pattern_id: `p${Math.floor(r() * 400)}`,
      pattern_is_new: false,
      attributes: r() < 0.7 ? { duration_ms: (1 + r() * 400).toFixed(1), route: '/x' } : { route: '/y' },
      partition: p,
      offset: offsets[p]!++,
    });
  }
  return out;
}

function metrics(n: number): MetricWindowInput[] {
  const r = rng(2);
  const out: MetricWindowInput[] = [];
  for (let i = 0; i < n; i++) {
    const h = Math.floor(r() * 40);
    out.push({ time: T0 + i / 10, service: 'node', host: `h${h}`, name: `m${Math.floor(r() * 10)}`, value: r() * 100, partition: h % 12, offset: i });
  }
  return out;
}

function time<T>(label: string, n: number, f: () => T): T {
  const t = process.hrtime.bigint();
  const out = f();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`${label.padEnd(34)} ${String(Math.round(n / s)).padStart(10)} /s  (${n} in ${s.toFixed(2)} s)`);
  return out;
}

const values = Array.from({ length: N }, (_, i) => 1 + ((i * 7919) % 100_000) / 10);
time('DDSketch.add', N, () => {
  const sk = new DDSketch();
  for (const v of values) sk.add(v);
  return sk;
});

const recs = logs(N);
const rowsOut = time('ServiceWindows add+advance', N, () => {
  const w = new ServiceWindows();
  let rows = 0;
  for (let i = 0; i < recs.length; i++) {
    w.add(recs[i]!, i / 10);
    if (i % 1000 === 999) rows += w.advance(i / 10).length;
  }
  rows += w.flush().length;
  console.log(`  rows ${rows}, windows held at end ${w.heldWindows}, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
  return rows;
});
void rowsOut;

const pts = metrics(N);
time('MetricWindows add+advance', N, () => {
  const w = new MetricWindows();
  let rows = 0;
  for (let i = 0; i < pts.length; i++) {
    w.add(pts[i]!, i / 10);
    if (i % 1000 === 999) rows += w.advance(i / 10).length;
  }
  return rows + w.flush().length;
});
