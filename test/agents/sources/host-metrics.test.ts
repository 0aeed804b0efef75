import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPoints, readSample } from '../../../agents/sources/host-metrics.ts';

// The names the workload generator uses for host metrics: real and generated hosts share series.
const WORKLOAD_NAMES = [
  'system.cpu.utilization', 'system.memory.utilization', 'system.cpu.load_average.1m', 'system.disk.io.read',
  'system.disk.io.write', 'system.network.io.receive', 'system.network.io.transmit',
];

test('two /proc samples give gauges with the workload names and sane values', async () => {
  const a = readSample('/proc');
  // Some CPU work between the samples, so utilisation is measurable.
  const until = Date.now() + 300;
  while (Date.now() < until) Math.sqrt(Math.random());
  await sleep(100);
  const b = readSample('/proc');
  const points = hostPoints(a, b, '/proc', 'host', 'h1');
  const names = points.map((p) => p.name);
  for (const n of WORKLOAD_NAMES) assert.ok(names.includes(n), `missing ${n}`);
  const byName = Object.fromEntries(points.map((p) => [p.name, p]));
  const cpu = byName['system.cpu.utilization']!.value;
  assert.ok(cpu > 0 && cpu <= 1, `cpu ${cpu}`);
  const mem = byName['system.memory.utilization']!.value;
  assert.ok(mem > 0 && mem < 1, `memory ${mem}`);
  assert.ok(points.every((p) => p.kind === 'gauge' && p.service === 'host' && p.host === 'h1' && Number.isFinite(p.value) && p.value >= 0));
});
