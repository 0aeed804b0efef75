import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricWindows, type MetricWindowInput } from '../../../../pipeline/transforms/windows/metric-windows.ts';
import { formatWindowTime, windowStart, type AddStatus } from '../../../../pipeline/transforms/windows/tumbling.ts';
import { type MetricWindowRow } from '../../../../core/contracts/rows.ts';
import { exactQuantile, random, ReplacingTable, withinRelative } from './fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function point(time: number, value: number, over: Partial<MetricWindowInput> = {}): MetricWindowInput {
  return { time, service: 'node', host: 'web-1', name: 'cpu.utilization', value, partition: 0, offset: 0, ...over };
}

test('one metric window: count, min, max, mean, last by event time, p95', () => {
  const w = new MetricWindows({ sizesMs: [60_000], allowedLatenessMs: 0 });
  // Arrival order differs from event time order: `last` follows event time.
  const pts: [number, number][] = [[0, 0.5], [30_000, 0.9], [10_000, 0.1], [20_000, 0.3]];
  for (const [dt, v] of pts) w.add(point(T0 + dt, v), 0);
  w.add(point(T0 + 60_000, 1), 0);
  const [row, ...rest] = w.advance(0);
  assert.equal(rest.length, 0);
  assert.deepEqual({ ...row!, p95: 0 }, {
    service: 'node', host: 'web-1', name: 'cpu.utilization',
    window_start: '2026-11-24 10:00:00.000', window_end: '2026-11-24 10:01:00.000', window_size_s: 60,
    version: 4, count: 4, min: 0.1, max: 0.9, mean: (0.5 + 0.9 + 0.1 + 0.3) / 4, last: 0.9, p95: 0,
    score: 0, threshold: 0, anomaly: 0, model: '', model_version: '', scored: 0,
  });
  // Lower p95 of [0.1, 0.3, 0.5, 0.9] is at rank floor(0.95 * 3) = 2: 0.5.
  assert.ok(withinRelative(row!.p95, 0.5, 0.01), `${row!.p95}`);
});

test('an equal event time keeps the later arrival as last', () => {
  const w = new MetricWindows({ sizesMs: [10_000] });
  w.add(point(T0, 1), 0);
  w.add(point(T0, 2), 0);
  assert.equal(w.flush()[0]!.last, 2);
});

test('series are kept apart by service, host and name', () => {
  const w = new MetricWindows({ sizesMs: [10_000] });
  w.add(point(T0, 1, { host: 'a|b', name: 'c' }), 0);
  w.add(point(T0, 2, { host: 'a', name: 'b|c' }), 0);
  w.add(point(T0, 3, { service: 'other' }), 0);
  w.add(point(T0, 4), 0);
  const rows = w.flush();
  assert.deepEqual(rows.map((r) => [r.service, r.host, r.name, r.count, r.last]), [
    ['node', 'a|b', 'c', 1, 1], ['node', 'a', 'b|c', 1, 2], ['other', 'web-1', 'cpu.utilization', 1, 3],
    ['node', 'web-1', 'cpu.utilization', 1, 4],
  ]);
});

test('a non-finite value is returned as invalid and counted nowhere', () => {
  const w = new MetricWindows({ sizesMs: [10_000] });
  assert.equal(w.add(point(T0, NaN), 0), 'invalid');
  assert.equal(w.add(point(T0, Infinity), 0), 'invalid');
  assert.equal(w.add(point(T0, 3), 0), 'on_time');
  assert.deepEqual(w.flush().map((r) => r.count), [1]);
  assert.equal(w.counters.invalid, 2);
});

test('a late point re-emits its metric window with version + 1', () => {
  const w = new MetricWindows({ sizesMs: [10_000], allowedLatenessMs: 0 });
  w.add(point(T0, 5), 0);
  w.add(point(T0 + 15_000, 5), 0);
  const [first] = w.advance(0);
  assert.equal(w.add(point(T0 + 9_000, 50), 0), 'late');
  const [again] = w.advance(0);
  assert.equal(again!.version, first!.version + 1);
  assert.equal(again!.max, 50);
  assert.equal(again!.last, 50);
});

function generate(seed: number, n: number): MetricWindowInput[] {
  const r = random(seed);
  const out: MetricWindowInput[] = [];
  const offsets = [0, 0];
  let clock = T0;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 50);
    const host = `web-${Math.floor(r() * 4)}`;
    const name = ['cpu.utilization', 'memory.used', 'load.1m', 'net.rx'][Math.floor(r() * 4)]!;
    const partition = host === 'web-0' || host === 'web-2' ? 0 : 1;
    const value = name === 'cpu.utilization' ? r() : name === 'net.rx' ? Math.floor(r() * 1e6) : (r() - 0.1) * 1000;
    const jitter = r() < 0.05 ? Math.floor(r() * 20_000) : Math.floor(r() * 300);
    out.push({ time: clock - jitter, service: 'node', host, name, value, partition, offset: offsets[partition]!++ });
  }
  return out;
}

test('metric windows equal a brute-force reference', () => {
  const records = generate(31, 20_000);
  const w = new MetricWindows();
  const table = new ReplacingTable<MetricWindowRow>((r) => `${r.service}|${r.host}|${r.name}|${r.window_size_s}|${r.window_start}`);
  const statuses: AddStatus[] = [];
  records.forEach((p, i) => {
    statuses.push(w.add(p, i * 5));
    if (i % 100 === 99) table.insert(w.advance(i * 5));
  });
  table.insert(w.flush());
  assert.ok(statuses.includes('late'), 'the input has late points');
  assert.ok(!statuses.includes('too_late'));
  const groups = new Map<string, MetricWindowInput[]>();
  for (const p of records) {
    for (const size of [10_000, 60_000]) {
      const k = `${p.service}|${p.host}|${p.name}|${size / 1000}|${formatWindowTime(windowStart(p.time, size))}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
  }
  assert.equal(table.rows.size, groups.size);
  for (const [k, ps] of groups) {
    const row = table.rows.get(k);
    assert.ok(row, k);
    const values = ps.map((p) => p.value);
    const sorted = [...values].sort((a, b) => a - b);
    let last = ps[0]!;
    for (const p of ps) if (p.time >= last.time) last = p;
    assert.equal(row.count, ps.length, k);
    assert.equal(row.version, ps.length, k);
    assert.equal(row.min, sorted[0], k);
    assert.equal(row.max, sorted[sorted.length - 1], k);
    assert.equal(row.mean, values.reduce((a, b) => a + b, 0) / values.length, k);
    assert.equal(row.last, last.value, k);
    assert.ok(withinRelative(row.p95, exactQuantile(sorted, 0.95), 0.01), `${k}: ${row.p95} vs ${exactQuantile(sorted, 0.95)}`);
  }
});

test('a metric aggregator restored from a JSON snapshot continues byte-identically', () => {
  const records = generate(32, 6_000);
  const run = (snapshotEvery: number): string => {
    const rows: MetricWindowRow[] = [];
    let w = new MetricWindows();
    records.forEach((p, i) => {
      if (i % snapshotEvery === snapshotEvery - 1) {
        const text = JSON.stringify(w.snapshot());
        w = new MetricWindows();
        w.restore(JSON.parse(text));
      }
      w.add(p, i * 5);
      if (i % 100 === 99) rows.push(...w.advance(i * 5));
    });
    rows.push(...w.flush());
    return JSON.stringify(rows);
  };
  assert.equal(run(1_111), run(Infinity));
});
