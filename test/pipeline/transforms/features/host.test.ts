import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type MetricWindowRow } from '../../../../core/contracts/rows.ts';
import { HOST_FEATURES, HOST_METRICS, HostFeatures, groupHostWindows } from '../../../../pipeline/transforms/features/host.ts';

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
