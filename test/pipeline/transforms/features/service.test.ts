import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';
import { SERVICE_FEATURE_SET, SERVICE_FEATURES, ServiceFeatures, emptyServiceWindow } from '../../../../pipeline/transforms/features/service.ts';
import { RollingBaseline } from '../../../../pipeline/transforms/features/baseline.ts';

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

/**
 * The service features as they were written before they became a feature set (fixed code, kept here
 * as the reference): the shipped service model was trained on these values, so the set must give the same.
 */
function referenceService(): (r: ServiceWindowRow) => number[] {
  type B = Record<'rate' | 'errorRatio' | 'warnRatio' | 'p50' | 'p95' | 'p99' | 'distinct', RollingBaseline>;
  const bases = new Map<string, B>();
  return (row) => {
    const b = bases.get(row.service);
    const count = row.count;
    const errors = row.count_error + row.count_fatal;
    const errorRatio = count > 0 ? errors / count : 0;
    const warnRatio = count > 0 ? row.count_warn / count : 0;
    const baseRate = b ? b.rate.median(row.rate) : row.rate;
    const baseErr = b ? b.errorRatio.median(errorRatio) : errorRatio;
    const baseWarn = b ? b.warnRatio.median(warnRatio) : warnRatio;
    const expectedErrors = baseErr * count;
    const lat = (value: number, base: RollingBaseline | undefined): number => {
      if (row.latency_count === 0 || !base || base.size === 0) return 0;
      const x = Math.log(value + 1);
      const m = base.median(x);
      const step = Math.log(Math.exp(m) + 1) - m;
      return (x - m) / (Math.max(1.4826 * base.mad(), 0.05, step) * (1 + 4 / base.size));
    };
    const baseDistinct = b ? b.distinct.median(row.distinct_patterns) : row.distinct_patterns;
    const values = [
      Math.log((count + 10) / (baseRate * row.window_size_s + 10)), errorRatio, (errors - expectedErrors) / (count + 20),
      count > 0 ? (errors - expectedErrors) / Math.sqrt(expectedErrors + 1) : 0, (row.count_warn - baseWarn * count) / (count + 20),
      count > 0 ? (row.count_warn - baseWarn * count) / Math.sqrt(baseWarn * count + 1) : 0,
      lat(row.p50_ms, b?.p50), lat(row.p95_ms, b?.p95), lat(row.p99_ms, b?.p99), Math.log1p(row.new_patterns),
      (row.distinct_patterns - baseDistinct) / Math.sqrt(baseDistinct + 1),
    ];
    let nb = b;
    if (!nb) {
      const mk = (): RollingBaseline => new RollingBaseline(60);
      bases.set(row.service, (nb = { rate: mk(), errorRatio: mk(), warnRatio: mk(), p50: mk(), p95: mk(), p99: mk(), distinct: mk() }));
    }
    nb.rate.push(row.rate);
    nb.distinct.push(row.distinct_patterns);
    if (count > 0) {
      nb.errorRatio.push(errors / count);
      nb.warnRatio.push(row.count_warn / count);
    }
    if (row.latency_count > 0) {
      nb.p50.push(Math.log(row.p50_ms + 1));
      nb.p95.push(Math.log(row.p95_ms + 1));
      nb.p99.push(Math.log(row.p99_ms + 1));
    }
    return values;
  };
}

test('the service feature set gives the values of the fixed code it replaced (empty windows, no latency, short and full baselines)', () => {
  assert.deepEqual(SERVICE_FEATURE_SET.outputs, SERVICE_FEATURES);
  let seed = 11;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const f = new ServiceFeatures();
  const ref = referenceService();
  const off: string[] = [];
  for (let t = 0; t < 150; t++) {
    for (const service of ['a', 'b', 'c']) {
      // Now and then an empty window, or one without latency; bursts of errors and warnings.
      const count = rnd() < 0.1 ? 0 : Math.floor(rnd() * (service === 'a' ? 5000 : 40));
      const errors = Math.floor(count * rnd() * (rnd() < 0.1 ? 0.5 : 0.02));
      const warns = Math.floor(count * rnd() * 0.05);
      const latency = count > 0 && rnd() < 0.8 ? Math.max(1, Math.floor(count * 0.7)) : 0;
      const p50 = Math.floor(5 + rnd() * 50);
      const r = row({
        service, count, count_info: count - errors - warns, count_warn: warns, count_error: errors, count_fatal: errors > 3 ? 1 : 0, rate: count / 60,
        latency_count: latency, p50_ms: latency ? p50 : 0, p95_ms: latency ? p50 * 3 : 0, p99_ms: latency ? p50 * 5 + Math.floor(rnd() * 100) : 0,
        distinct_patterns: Math.floor(rnd() * 12), new_patterns: rnd() < 0.1 ? Math.floor(rnd() * 4) : 0,
      });
      const got = f.next(r).values;
      const want = ref(r);
      // Exact but for log_rate_ratio of a service's first window: ln((c + 10) / (c / 60 x 60 + 10)) can be 1e-16, the set says 0.
      got.forEach((x, i) => {
        if (Math.abs(x - want[i]!) > 1e-12) off.push(`${service} t${t} ${SERVICE_FEATURES[i]}: ${x} vs ${want[i]}`);
      });
    }
  }
  assert.deepEqual(off, []);
});
