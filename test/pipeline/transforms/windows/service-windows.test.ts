import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseLatency, ServiceWindows, severityBucket, type ServiceWindowInput, type ServiceWindowOptions,
} from '../../../../pipeline/transforms/windows/service-windows.ts';
import { type AddStatus } from '../../../../pipeline/transforms/windows/tumbling.ts';
import { severityText } from '../../../../core/contracts/records.ts';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';
import { exactQuantile, random, ReplacingTable, serviceWindowReference, withinRelative } from './fixtures.ts';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function input(time: number, over: Partial<ServiceWindowInput> = {}): ServiceWindowInput {
  return {
    time, service: 'checkout', severity_number: 9, pattern_id: 'p1', pattern_is_new: false,
    attributes: {}, partition: 0, offset: 0, ...over,
  };
}

test('severity numbers map to the six buckets of severityText', () => {
  const names = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  for (let n = -1; n <= 25; n++) {
    const b = severityBucket(n);
    if (n <= 0) assert.equal(b, -1, `${n}`);
    else assert.equal(names[b], severityText(n), `${n}`);
  }
});

test('latency attributes parse as plain non-negative numbers only', () => {
  const cases: [string | number | undefined, number | undefined][] = [
    ['12', 12], ['12.5', 12.5], [' 7 ', 7], ['0', 0], [3, 3], ['1e3', 1000],
    ['12ms', undefined], ['', undefined], ['  ', undefined], ['-3', undefined], ['NaN', undefined],
    ['Infinity', undefined], [undefined, undefined], [NaN, undefined], [-1, undefined],
  ];
  for (const [v, want] of cases) assert.equal(parseLatency(v), want, JSON.stringify(v));
});

test('one window holds the expected fields, and score fields are left for the scorer', () => {
  const w = new ServiceWindows({ sizesMs: [10_000], allowedLatenessMs: 0 });
  const recs: Partial<ServiceWindowInput>[] = [
    { severity_number: 1, pattern_id: 'a', pattern_is_new: true, attributes: { duration_ms: '10' } },
    { severity_number: 5, pattern_id: 'a', attributes: { latency_ms: '20' } },
    { severity_number: 9, pattern_id: 'b', attributes: { elapsed_ms: '30' } },
    { severity_number: 13, pattern_id: 'b', attributes: { duration_ms: 'slow', latency_ms: '40' } },
    { severity_number: 17, pattern_id: 'c', pattern_is_new: true, attributes: { other: '99' } },
    { severity_number: 24, pattern_id: '', attributes: {} },
    { severity_number: 0, pattern_id: 'c', attributes: { duration_ms: '-1' } },
  ];
  recs.forEach((r, i) => w.add(input(T0 + i * 1_000, { ...r, offset: i }), 0));
  w.add(input(T0 + 10_000, { offset: 99 }), 0);
  const rows = w.advance(0);
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.deepEqual({ ...row, p50_ms: 0, p95_ms: 0, p99_ms: 0 }, {
    service: 'checkout',
    window_start: '2026-11-24 10:00:00.000',
    window_end: '2026-11-24 10:00:10.000',
    window_size_s: 10,
    version: 7,
    count: 7,
    count_trace: 1,
    count_debug: 1,
    count_info: 1,
    count_warn: 1,
    count_error: 1,
    count_fatal: 1,
    error_ratio: 2 / 7,
    rate: 0.7,
    distinct_patterns: 3,
    new_patterns: 2,
    latency_count: 4,
    p50_ms: 0,
    p95_ms: 0,
    p99_ms: 0,
    late_count: 0,
    score: 0,
    threshold: 0,
    anomaly: 0,
    model: '',
    model_version: '',
    scored: 0,
  });
  // Exact lower quantiles of [10, 20, 30, 40]: p50 -> 20, p95 -> 30, p99 -> 30.
  assert.ok(withinRelative(row.p50_ms, 20, 0.01), `${row.p50_ms}`);
  assert.ok(withinRelative(row.p95_ms, 30, 0.01), `${row.p95_ms}`);
  assert.ok(withinRelative(row.p99_ms, 30, 0.01), `${row.p99_ms}`);
});

test('configured latency attribute names replace the defaults', () => {
  const w = new ServiceWindows({ sizesMs: [10_000], latencyAttributes: ['took'] });
  w.add(input(T0, { attributes: { took: '5', duration_ms: '500' } }), 0);
  w.add(input(T0, { attributes: { duration_ms: '500' } }), 0);
  const [row] = w.flush();
  assert.equal(row!.latency_count, 1);
  assert.ok(withinRelative(row!.p99_ms, 5, 0.01));
});

test('a late record re-emits the service window with version + 1, late_count and the new latency', () => {
  const w = new ServiceWindows({ sizesMs: [10_000], allowedLatenessMs: 1_000 });
  for (let i = 0; i < 10; i++) w.add(input(T0 + i * 500, { attributes: { duration_ms: '10' }, offset: i }), 0);
  w.add(input(T0 + 12_000, { offset: 10 }), 0);
  const [first] = w.advance(0);
  assert.equal(first!.version, 10);
  assert.equal(first!.late_count, 0);
  assert.ok(withinRelative(first!.p99_ms, 10, 0.01));
  const status: AddStatus = w.add(input(T0 + 9_999, { severity_number: 17, attributes: { duration_ms: '5000' }, offset: 11 }), 0);
  assert.equal(status, 'late');
  const [again, ...rest] = w.advance(0);
  assert.equal(rest.length, 0);
  assert.equal(again!.window_start, first!.window_start);
  assert.equal(again!.version, first!.version + 1);
  assert.equal(again!.count, 11);
  assert.equal(again!.count_error, 1);
  assert.equal(again!.late_count, 1);
  assert.equal(again!.latency_count, 11);
  // Lower p99 of ten 10s and one 5000 is still 10 (rank floor(0.99 * 10) = 9).
  assert.ok(withinRelative(again!.p99_ms, 10, 0.01), `${again!.p99_ms}`);
});

test('a too-late record is counted, returned to the caller and kept out of every row', () => {
  const w = new ServiceWindows({ allowedLatenessMs: 0, retentionMs: 60_000 });
  w.add(input(T0, { offset: 0 }), 0);
  w.add(input(T0 + 200_000, { offset: 1 }), 0);
  const rows = w.advance(0);
  const tooLate = input(T0 + 1_000, { severity_number: 21, offset: 2 });
  assert.equal(w.add(tooLate, 0), 'too_late');
  assert.equal(w.counters.droppedTooLate, 1);
  rows.push(...w.advance(0), ...w.flush());
  assert.ok(rows.every((r) => r.count_fatal === 0));
  assert.equal(rows.reduce((n, r) => n + r.count, 0), 4, 'two records, two sizes');
});

/** Generated log records: a few services on three partitions, jittered event times, a miner-like pattern pool. */
function generate(seed: number, n: number): ServiceWindowInput[] {
  const r = random(seed);
  const seen = new Set<string>();
  const offsets = [0, 0, 0];
  const out: ServiceWindowInput[] = [];
  let clock = T0;
  const services = ['checkout', 'cart', 'search', 'auth', 'mail'];
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 30);
    const s = Math.floor(r() * services.length);
    const partition = s % 3;
    const jitter = r() < 0.05 ? Math.floor(r() * 30_000) : Math.floor(r() * 800);
    const pattern = r() < 0.05 ? '' : `p${Math.floor(Math.pow(r(), 3) * 200)}`;
    const isNew = pattern !== '' && !seen.has(pattern);
    seen.add(pattern);
    const attributes: Record<string, string> = {};
    const k = r();
    const latency = (Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())) ).toFixed(3);
    if (k < 0.3) attributes.duration_ms = latency;
    else if (k < 0.45) attributes.latency_ms = latency;
    else if (k < 0.55) attributes.elapsed_ms = latency;
    else if (k < 0.6) attributes.duration_ms = `${latency}ms`;
    else if (k < 0.65) Object.assign(attributes, { duration_ms: 'n/a', elapsed_ms: latency });
    out.push({
      time: clock - jitter,
      service: services[s]!,
      severity_number: Math.floor(r() * 25),
      pattern_id: pattern,
      pattern_is_new: isNew,
      attributes,
      partition,
      offset: offsets[partition]!++,
    });
  }
  return out;
}

const reference = (records: ServiceWindowInput[], sizes: number[]) => serviceWindowReference(records, sizes);

const rowKey = (r: ServiceWindowRow): string => `${r.service}|${r.window_size_s}|${r.window_start}`;

function feed(records: ServiceWindowInput[], options: ServiceWindowOptions): { table: ReplacingTable<ServiceWindowRow>; rows: ServiceWindowRow[]; statuses: AddStatus[]; w: ServiceWindows } {
  const w = new ServiceWindows(options);
  const table = new ReplacingTable(rowKey);
  const rows: ServiceWindowRow[] = [];
  const statuses: AddStatus[] = [];
  records.forEach((r, i) => {
    statuses.push(w.add(r, i * 5));
    if (i % 100 === 99) rows.push(...w.advance(i * 5));
  });
  rows.push(...w.flush());
  table.insert(rows);
  return { table, rows, statuses, w };
}

for (const [name, options] of [
  ['defaults (10 s and 60 s)', {}],
  ['sizes 5 s, 15 s and 120 s, no lateness', { sizesMs: [5_000, 15_000, 120_000], allowedLatenessMs: 0 }],
  ['short retention (some records too late)', { allowedLatenessMs: 500, retentionMs: 10_000 }],
] as [string, ServiceWindowOptions][]) {
  test(`service windows equal a brute-force reference: ${name}`, () => {
    const records = generate(21, 20_000);
    const { table, statuses, w } = feed(records, options);
    const accepted = records.filter((_, i) => statuses[i] === 'on_time' || statuses[i] === 'late');
    assert.equal(statuses.filter((s) => s === 'too_late').length, w.counters.droppedTooLate);
    if (options.retentionMs) assert.ok(w.counters.droppedTooLate > 0, 'the short retention turns some records away');
    assert.ok(w.counters.late > 0, 'the input has late records');
    const sizes = options.sizesMs ?? [10_000, 60_000];
    const ref = reference(accepted, [...sizes]);
    assert.equal(table.rows.size, ref.size);
    for (const [k, want] of ref) {
      const got = table.rows.get(k);
      assert.ok(got, `missing window ${k}`);
      for (const [field, value] of Object.entries(want.row)) {
        assert.equal(got[field as keyof ServiceWindowRow], value, `${k} ${field}`);
      }
      const lat = want.latencies;
      for (const [q, field] of [[0.5, 'p50_ms'], [0.95, 'p95_ms'], [0.99, 'p99_ms']] as const) {
        if (lat.length === 0) assert.equal(got[field], 0);
        else assert.ok(withinRelative(got[field], exactQuantile(lat, q), 0.01), `${k} ${field}: ${got[field]} vs ${exactQuantile(lat, q)}`);
      }
    }
  });
}

test('the same records in the same order give byte-identical service rows', () => {
  const records = generate(22, 5_000);
  const a = JSON.stringify(feed(records, {}).rows);
  const b = JSON.stringify(feed(records, {}).rows);
  assert.equal(a, b);
  assert.ok(a.length > 1000);
});

test('a service aggregator restored from a JSON snapshot continues byte-identically', () => {
  const records = generate(25, 6_000);
  const straight = JSON.stringify(feed(records, { emptyWindows: 3 }).rows);
  const rows: ServiceWindowRow[] = [];
  let w = new ServiceWindows({ emptyWindows: 3 });
  records.forEach((r, i) => {
    if (i % 1_500 === 777) {
      const text = JSON.stringify(w.snapshot());
      w = new ServiceWindows({ emptyWindows: 3 });
      w.restore(JSON.parse(text));
    }
    w.add(r, i * 5);
    if (i % 100 === 99) rows.push(...w.advance(i * 5));
  });
  rows.push(...w.flush());
  assert.equal(JSON.stringify(rows), straight);
});

test('every emitted row has a newer version than the one it replaces', () => {
  const { rows } = feed(generate(23, 10_000), {});
  const last = new Map<string, number>();
  for (const r of rows) {
    const prev = last.get(rowKey(r));
    if (prev !== undefined) assert.ok(r.version > prev, `${rowKey(r)}: ${r.version} after ${prev}`);
    last.set(rowKey(r), r.version);
  }
});

test('in ClickHouse (chDB, the real schema), a crash and a replay leave exactly the reference windows', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openStore } = await import('../../../../core/storage/open.ts');
  const { migrate } = await import('../../../../core/storage/migrate.ts');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-windows-'));
  const store = await openStore({ driver: 'embedded', path: dir });
  try {
    await migrate(store);
    const records = generate(24, 8_000);
    const options: ServiceWindowOptions = { allowedLatenessMs: 1_000, idleTimeoutMs: 2_000 };
    const insert = async (rows: ServiceWindowRow[]): Promise<void> => {
      if (rows.length > 0) await store.insert('service_windows', rows);
    };
    // First worker: runs until the crash; every advance's rows are inserted (durable) before going on.
    const crashAt = 5_321;
    const first = new ServiceWindows(options);
    for (let i = 0; i < crashAt; i++) {
      first.add(records[i]!, i * 5);
      if (i % 250 === 249) await insert(first.advance(i * 5));
    }
    const held = first.lowestHeldOffsets();
    const committed = [0, 1, 2].map((p) => {
      const read = records.slice(0, crashAt).filter((r) => r.partition === p);
      return held.get(p) ?? (read.length ? read[read.length - 1]!.offset + 1 : 0);
    });
    // Second worker: re-reads each partition from its committed offset, to the end of the input.
    const second = new ServiceWindows(options);
    const replay = records.filter((r) => r.offset >= committed[r.partition]!);
    assert.ok(replay.length > records.length - crashAt, 'the replay re-reads records from before the crash');
    for (let i = 0; i < replay.length; i++) {
      second.add(replay[i]!, i * 5);
      if (i % 250 === 249) await insert(second.advance(i * 5));
    }
    await insert(second.flush());
    const stored = await store.query<Record<string, unknown>>(
      'SELECT service, window_size_s, toString(window_start) AS window_start, version, count, count_error, count_fatal, distinct_patterns, new_patterns, latency_count, p99_ms FROM service_windows FINAL ORDER BY service, window_size_s, window_start',
    );
    const ref = reference(records, [10_000, 60_000]);
    assert.equal(stored.length, ref.size);
    for (const s of stored) {
      const k = `${s.service}|${s.window_size_s}|${s.window_start}`;
      const want = ref.get(k);
      assert.ok(want, `unexpected window ${k}`);
      for (const f of ['version', 'count', 'count_error', 'count_fatal', 'distinct_patterns', 'new_patterns', 'latency_count'] as const) {
        assert.equal(Number(s[f]), want.row[f], `${k} ${f}`);
      }
      if (want.latencies.length > 0) assert.ok(withinRelative(Number(s.p99_ms), exactQuantile(want.latencies, 0.99), 0.01), k);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
