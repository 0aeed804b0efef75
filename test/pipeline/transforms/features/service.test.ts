import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';
import { SERVICE_FEATURES, ServiceFeatures, emptyServiceWindow } from '../../../../pipeline/transforms/features/service.ts';

function row(over: Partial<ServiceWindowRow>): ServiceWindowRow {
  return {
    ...emptyServiceWindow('checkout', '2026-11-24 10:00:00.000', '2026-11-24 10:01:00.000', 60),
    count: 600, count_info: 590, count_warn: 8, count_error: 2, rate: 10, distinct_patterns: 6,
    latency_count: 500, p50_ms: 30, p95_ms: 80, p99_ms: 120, ...over,
  };
}

function feature(values: number[], name: (typeof SERVICE_FEATURES)[number]): number {
  return values[SERVICE_FEATURES.indexOf(name)]!;
}

test('a window like its baseline has features near zero and is warm after five windows', () => {
  const f = new ServiceFeatures();
  for (let i = 0; i < 5; i++) assert.equal(f.next(row({})).warm, i >= 5);
  const v = f.next(row({}));
  assert.equal(v.warm, true);
  assert.equal(v.values.length, SERVICE_FEATURES.length);
  assert.equal(feature(v.values, 'log_rate_ratio'), 0);
  assert.equal(feature(v.values, 'error_ratio_delta'), 0);
  assert.equal(feature(v.values, 'p95_z'), 0);
  assert.equal(feature(v.values, 'log_new_patterns'), 0);
});

test('each kind of change moves its own feature', () => {
  const cases: [Partial<ServiceWindowRow>, (typeof SERVICE_FEATURES)[number], (x: number) => boolean][] = [
    [{ count: 60, count_info: 59, count_error: 1, rate: 1 }, 'log_rate_ratio', (x) => x < -2],
    [{ count: 0, count_info: 0, count_warn: 0, count_error: 0, rate: 0, latency_count: 0 }, 'log_rate_ratio', (x) => x < -4],
    [{ count_info: 450, count_error: 150 }, 'error_ratio_delta', (x) => x > 0.2],
    [{ count_info: 450, count_error: 150 }, 'error_count_z', (x) => x > 20],
    [{ p50_ms: 150, p95_ms: 400 }, 'p95_z', (x) => x > 10],
    [{ new_patterns: 2, distinct_patterns: 8 }, 'log_new_patterns', (x) => x > 1],
    [{ new_patterns: 2, distinct_patterns: 8 }, 'distinct_patterns_delta', (x) => Math.abs(x - 2 / Math.sqrt(7)) < 1e-12],
  ];
  for (const [over, name, ok] of cases) {
    const f = new ServiceFeatures();
    for (let i = 0; i < 10; i++) f.next(row({}));
    const v = f.peek(row(over));
    assert.ok(ok(feature(v.values, name)), `${name} = ${feature(v.values, name)} for ${JSON.stringify(over)}`);
  }
});

test('peek does not change the baseline; snapshot and restore give the same features', () => {
  const f = new ServiceFeatures();
  for (let i = 0; i < 8; i++) f.next(row({ rate: 10 + i, count: 600 + 60 * i }));
  const probe = row({ rate: 3, count: 180, count_info: 170 });
  const a = f.peek(probe);
  assert.deepEqual(f.peek(probe), a);
  const g = ServiceFeatures.restore(JSON.parse(JSON.stringify(f.snapshot())));
  assert.deepEqual(g.peek(probe), a);
  assert.deepEqual(g.services(), ['checkout']);
});
