import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateWorkload, randomIncidents, INCIDENT_KINDS, type IncidentSpec, type GeneratedLog } from '../../workload/generator.ts';

const START = Date.parse('2026-11-24T10:00:00.000Z');
const MIN = 60_000;

function digest(logs: Iterable<GeneratedLog>): { n: number; hash: string } {
  const h = createHash('sha256');
  let n = 0;
  for (const l of logs) {
    h.update(l.line + '\n');
    n++;
  }
  return { n, hash: h.digest('hex') };
}

test('the same seed gives the same logs and metrics, another seed does not', () => {
  const opts = { seed: 42, startMs: START, durationMs: 3 * MIN, incidents: [{ kind: 'error_burst', service: 'checkout', startMs: START + MIN, durationMs: MIN } satisfies IncidentSpec] };
  const a = generateWorkload(opts);
  const b = generateWorkload(opts);
  const da = digest(a.logs());
  assert.deepEqual(digest(b.logs()), da);
  assert.deepEqual(digest(a.logs()), da, 'iterating twice starts over');
  assert.notDeepEqual(digest(generateWorkload({ ...opts, seed: 43 }).logs()), da);
  const ma = JSON.stringify([...a.metrics(10_000)]);
  assert.equal(JSON.stringify([...b.metrics(10_000)]), ma);
  assert.ok(da.n > 3 * 60 * 30, `about 41 records/s, got ${da.n} in 3 minutes`);
});

test('logs come in event-time order with every service writing in its own format', () => {
  const w = generateWorkload({ seed: 1, startMs: START, durationMs: MIN });
  let last = 0;
  const seen = new Map<string, string>();
  for (const l of w.logs()) {
    assert.ok(l.timeMs >= last);
    assert.ok(l.timeMs >= START && l.timeMs < START + MIN);
    last = l.timeMs;
    if (!seen.has(l.service)) seen.set(l.service, l.line);
  }
  assert.deepEqual([...seen.keys()].sort(), ['auth', 'checkout', 'inventory', 'payments', 'search']);
  assert.match(seen.get('checkout')!, /^2026-11-24T10:00:\d\d\.\d{3}Z (INFO|DEBUG|WARN|ERROR) \[checkout\] /);
  assert.equal(typeof JSON.parse(seen.get('payments')!).level, 'number');
  assert.equal(typeof JSON.parse(seen.get('auth')!).level, 'string');
  assert.match(seen.get('search')!, /^time=\S+ level=\w+ service=search /);
});

/** Stats of one service (optionally one host) over [from, to). */
function stats(logs: GeneratedLog[], service: string, from: number, to: number, host?: string) {
  const sel = logs.filter((l) => l.service === service && l.timeMs >= from && l.timeMs < to && (!host || l.host === host));
  const durations = sel.map((l) => Number(l.attributes.duration_ms)).filter((d) => Number.isFinite(d)).sort((a, b) => a - b);
  return {
    n: sel.length,
    errorRatio: sel.filter((l) => l.severity_text === 'ERROR').length / Math.max(1, sel.length),
    p50: durations[Math.floor(durations.length / 2)] ?? 0,
    bodies: new Set(sel.map((l) => l.body.replace(/[0-9a-f]{6,}|\d+/g, '#'))),
    labelled: sel.filter((l) => l.incident).length,
  };
}

test('every log incident kind changes what it should in its range, and only there', () => {
  const cases: { spec: IncidentSpec; check: (before: ReturnType<typeof stats>, during: ReturnType<typeof stats>) => void }[] = [
    { spec: { kind: 'error_burst', service: 'checkout', startMs: 0, durationMs: 0 }, check: (b, d) => assert.ok(d.errorRatio > 0.1 && d.errorRatio > 10 * b.errorRatio, `${b.errorRatio} -> ${d.errorRatio}`) },
    { spec: { kind: 'latency_regression', service: 'payments', startMs: 0, durationMs: 0 }, check: (b, d) => assert.ok(d.p50 > 2 * b.p50, `${b.p50} -> ${d.p50}`) },
    { spec: { kind: 'traffic_drop', service: 'search', startMs: 0, durationMs: 0 }, check: (b, d) => assert.ok(d.n < 0.5 * b.n, `${b.n} -> ${d.n}`) },
    { spec: { kind: 'service_silent', service: 'auth', startMs: 0, durationMs: 0 }, check: (b, d) => { assert.ok(b.n > 100); assert.equal(d.n, 0); } },
    {
      spec: { kind: 'new_error_pattern', service: 'inventory', startMs: 0, durationMs: 0 },
      check: (b, d) => {
        const novel = [...d.bodies].filter((x) => !b.bodies.has(x));
        assert.ok(novel.length >= 1, 'a body never seen before the incident');
        assert.ok(d.errorRatio > b.errorRatio);
      },
    },
  ];
  const incidents = cases.map((c) => ({ ...c.spec, startMs: START + 5 * MIN, durationMs: 5 * MIN }));
  const w = generateWorkload({ seed: 5, startMs: START, durationMs: 15 * MIN, incidents });
  const logs = [...w.logs()];
  for (const c of cases) {
    const before = stats(logs, c.spec.service, START, START + 5 * MIN);
    const during = stats(logs, c.spec.service, START + 5 * MIN, START + 10 * MIN);
    const after = stats(logs, c.spec.service, START + 10 * MIN, START + 15 * MIN);
    c.check(before, during);
    assert.equal(before.labelled, 0);
    assert.equal(after.labelled, 0);
    if (c.spec.kind !== 'service_silent') assert.equal(during.labelled, during.n, `${c.spec.kind}: every record in range is labelled`);
    assert.ok(after.n > 0.6 * before.n, `${c.spec.kind}: the service recovers`);
  }
  assert.equal(w.incidents.length, 5);
  assert.deepEqual(w.incidents[0]!.hosts, ['checkout-1', 'checkout-2']);
});

test('an incident on one host leaves the other host alone', () => {
  const spec: IncidentSpec = { kind: 'error_burst', service: 'checkout', host: 'checkout-2', startMs: START + MIN, durationMs: 3 * MIN };
  const logs = [...generateWorkload({ seed: 9, startMs: START, durationMs: 5 * MIN, incidents: [spec] }).logs()];
  const one = stats(logs, 'checkout', START + MIN, START + 4 * MIN, 'checkout-1');
  const two = stats(logs, 'checkout', START + MIN, START + 4 * MIN, 'checkout-2');
  assert.ok(one.errorRatio < 0.03 && two.errorRatio > 0.1, `${one.errorRatio} / ${two.errorRatio}`);
});

test('CPU and memory saturation raise their host metrics, labelled, on that host only', () => {
  const incidents: IncidentSpec[] = [
    { kind: 'cpu_saturation', service: 'search', host: 'search-1', startMs: START + 10 * MIN, durationMs: 10 * MIN },
    { kind: 'memory_saturation', service: 'payments', host: 'payments-2', startMs: START + 10 * MIN, durationMs: 10 * MIN },
  ];
  const w = generateWorkload({ seed: 3, startMs: START, durationMs: 30 * MIN, incidents });
  const points = [...w.metrics(10_000)];
  const mean = (host: string, name: string, from: number, to: number): number => {
    const v = points.filter((p) => p.point.host === host && p.point.name === name && Date.parse(p.point.time) >= from && Date.parse(p.point.time) < to).map((p) => p.point.value);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const before = [START, START + 10 * MIN] as const;
  const late = [START + 15 * MIN, START + 20 * MIN] as const;
  assert.ok(mean('search-1', 'system.cpu.utilization', ...late) > 0.85);
  assert.ok(mean('search-1', 'system.cpu.utilization', ...before) < 0.6);
  assert.ok(mean('search-2', 'system.cpu.utilization', ...late) < 0.6);
  assert.ok(mean('search-1', 'system.cpu.load_average.1m', ...late) > 2 * mean('search-1', 'system.cpu.load_average.1m', ...before));
  assert.ok(mean('payments-2', 'system.memory.utilization', ...late) > 0.9);
  assert.ok(mean('payments-2', 'system.memory.utilization', ...before) < 0.7);
  const labelled = points.filter((p) => p.incident);
  assert.ok(labelled.every((p) => (p.point.host === 'search-1' && p.incident === 'cpu_saturation') || (p.point.host === 'payments-2' && p.incident === 'memory_saturation')));
  assert.equal(labelled.length, 2 * 60 * 7);
  const names = new Set(points.map((p) => p.point.name));
  assert.equal(names.size, 7);
});

test('randomIncidents draws every kind without overlap on a service, deterministically', () => {
  const opts = { startMs: START, durationMs: 24 * 60 * MIN, perKind: 4 };
  const a = randomIncidents(11, opts);
  assert.deepEqual(randomIncidents(11, opts), a);
  assert.notDeepEqual(randomIncidents(12, opts), a);
  assert.equal(a.length, INCIDENT_KINDS.length * 4);
  for (const k of INCIDENT_KINDS) assert.equal(a.filter((x) => x.kind === k).length, 4);
  for (const x of a) {
    assert.ok(x.startMs >= START + 30 * MIN);
    for (const y of a) {
      if (x === y || x.service !== y.service) continue;
      assert.ok(x.startMs + x.durationMs <= y.startMs || y.startMs + y.durationMs <= x.startMs, 'no overlap');
    }
  }
});
