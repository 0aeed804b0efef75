import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type MetricWindowRow } from '../../../../core/contracts/rows.ts';
import { HOST_FEATURE_SET, HOST_FEATURES, HOST_METRICS, HostFeatures, groupHostWindows, type HostWindow } from '../../../../pipeline/transforms/features/host.ts';
import { RollingBaseline } from '../../../../pipeline/transforms/features/baseline.ts';

function rows(host: string, start: string, values: Partial<Record<keyof typeof HOST_METRICS, number>>): MetricWindowRow[] {
  return Object.entries(values).map(([k, v]) => ({
    service: 'search', host, name: HOST_METRICS[k as keyof typeof HOST_METRICS], window_start: start, window_end: start, window_size_s: 60,
    version: 6, count: 6, min: v, max: v, mean: v, last: v, p95: v, score: 0, threshold: 0, anomaly: 0, model: '', model_version: '', scored: 0,
  }));
}

const normal = { cpu: 0.4, memory: 0.6, load: 3, diskRead: 1e5, diskWrite: 5e5, netReceive: 1e6, netTransmit: 3e6 };

test('rows group per host and window start', () => {
  const g = groupHostWindows([...rows('a', 't1', normal), ...rows('b', 't1', normal), ...rows('a', 't2', { cpu: 1 })]);
  assert.deepEqual(g.map((x) => [x.host, x.window_start, x.rows.length]), [['a', 't1', 7], ['b', 't1', 7], ['a', 't2', 1]]);
});

test('saturation moves CPU, memory and load features; a missing series reads as its baseline', () => {
  const f = new HostFeatures();
  for (let i = 0; i < 6; i++) f.next(groupHostWindows(rows('a', `t${i}`, normal))[0]!);
  const idx = (n: (typeof HOST_FEATURES)[number]): number => HOST_FEATURES.indexOf(n);
  const calm = f.peek(groupHostWindows(rows('a', 'x', normal))[0]!);
  assert.equal(calm.warm, true);
  assert.equal(calm.values[idx('cpu_delta')], 0);
  const hot = f.peek(groupHostWindows(rows('a', 'x', { ...normal, cpu: 0.97, load: 9, memory: 0.97 }))[0]!);
  assert.ok(hot.values[idx('cpu_mean')]! > 0.9);
  assert.ok(hot.values[idx('cpu_delta')]! > 0.5);
  assert.ok(hot.values[idx('memory_delta')]! > 0.3);
  assert.ok(hot.values[idx('log_load_ratio')]! > 1);
  const partial = f.peek(groupHostWindows(rows('a', 'x', { cpu: 0.4 }))[0]!);
  assert.equal(partial.values[idx('memory_delta')], 0);
  assert.equal(partial.values[idx('memory_mean')], 0.6);
  assert.equal(partial.values[idx('log_net_ratio')], 0);
  const g = HostFeatures.restore(JSON.parse(JSON.stringify(f.snapshot())));
  assert.deepEqual(g.peek(groupHostWindows(rows('a', 'x', { ...normal, cpu: 0.9 }))[0]!), f.peek(groupHostWindows(rows('a', 'x', { ...normal, cpu: 0.9 }))[0]!));
});

/**
 * The host features as they were written before they became a feature set (fixed code, kept here as
 * the reference): the shipped host model was trained on these values, so the set must give the same.
 */
function referenceHost(history = 60): (w: HostWindow) => number[] {
  const bases = new Map<string, Record<'cpu' | 'memory' | 'load' | 'disk' | 'net', RollingBaseline>>();
  return (w) => {
    const by = new Map(w.rows.map((r) => [r.name, r]));
    const sum = (a: string, c: string): number | undefined => (by.get(a) || by.get(c) ? (by.get(a)?.mean ?? 0) + (by.get(c)?.mean ?? 0) : undefined);
    const r = {
      cpu: by.get(HOST_METRICS.cpu)?.mean, cpuMax: by.get(HOST_METRICS.cpu)?.max, memory: by.get(HOST_METRICS.memory)?.mean, load: by.get(HOST_METRICS.load)?.mean,
      disk: sum(HOST_METRICS.diskRead, HOST_METRICS.diskWrite), net: sum(HOST_METRICS.netReceive, HOST_METRICS.netTransmit),
    };
    const b = bases.get(w.host);
    const robustZ = (value: number | undefined, base: RollingBaseline | undefined, floor: number): number =>
      value === undefined || !base || base.size === 0 ? 0 : (value - base.median(value)) / Math.max(1.4826 * base.mad(), floor);
    const ratio = (value: number | undefined, base: RollingBaseline | undefined, eps: number): number =>
      value === undefined ? 0 : Math.log((value + eps) / ((base ? base.median(value) : value) + eps));
    const cpu = r.cpu ?? b?.cpu.median(0) ?? 0;
    const memory = r.memory ?? b?.memory.median(0) ?? 0;
    const values = [
      cpu, r.cpuMax ?? cpu, r.cpu === undefined ? 0 : r.cpu - (b ? b.cpu.median(r.cpu) : r.cpu),
      memory, r.memory === undefined ? 0 : r.memory - (b ? b.memory.median(r.memory) : r.memory),
      ratio(r.load, b?.load, 0.1), ratio(r.disk, b?.disk, 1), ratio(r.net, b?.net, 1), robustZ(r.cpu, b?.cpu, 0.02), robustZ(r.memory, b?.memory, 0.01),
    ];
    let nb = b;
    if (!nb) bases.set(w.host, (nb = { cpu: new RollingBaseline(history), memory: new RollingBaseline(history), load: new RollingBaseline(history), disk: new RollingBaseline(history), net: new RollingBaseline(history) }));
    for (const k of ['cpu', 'memory', 'load', 'disk', 'net'] as const) if (r[k] !== undefined) nb[k].push(r[k]);
    return values;
  };
}

test('the host feature set gives exactly the values of the fixed code it replaced (missing series, short and full baselines)', () => {
  assert.deepEqual(HOST_FEATURE_SET.outputs, HOST_FEATURES);
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const f = new HostFeatures();
  const ref = referenceHost();
  let compared = 0;
  for (let t = 0; t < 150; t++) {
    for (const host of ['a', 'b', 'c']) {
      const values: Partial<Record<keyof typeof HOST_METRICS, number>> = {};
      for (const k of Object.keys(HOST_METRICS) as (keyof typeof HOST_METRICS)[]) {
        // Each series is missing now and then (and host c never has network series).
        if (rnd() < 0.15 || (host === 'c' && k.startsWith('net'))) continue;
        values[k] = k === 'cpu' || k === 'memory' ? Math.round(rnd() * 1000) / 1000 : Math.round(rnd() * (k === 'load' ? 8 : 1e6));
      }
      const w = groupHostWindows(rows(host, `t${t}`, values))[0];
      if (!w) continue;
      assert.deepEqual(f.next(w).values, ref(w), `${host} t${t}`);
      compared++;
    }
  }
  assert.ok(compared > 400);
});
