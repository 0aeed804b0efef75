import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ViewEngine, type ViewEmission } from '../../../../../pipeline/transforms/features/views/engine.ts';
import { type SourceEvent } from '../../../../../pipeline/transforms/features/views/schema.ts';
import { formatWindowTime } from '../../../../../pipeline/transforms/windows/tumbling.ts';
import { random, view } from './fixtures.ts';

const T0 = Date.parse('2026-11-29T10:00:00Z');

interface In {
  ev: SourceEvent;
  partition: number;
  offset: number;
}

/** Events of 12 cards over ~3 minutes, slightly out of order (up to 1.5 s), on 3 partitions keyed by card. */
function stream(seed: number, n = 3000): In[] {
  const r = random(seed);
  const offsets = [0, 0, 0];
  const out: In[] = [];
  for (let i = 0; i < n; i++) {
    const card = `c${Math.floor(r() * 12)}`;
    const partition = Number(card.slice(1)) % 3;
    const status = r() < 0.1 ? 503 : 200;
    const fields: SourceEvent['fields'] = { card_id: card, merchant: `m${Math.floor(r() * 30)}`, amount: Math.round(r() * 50000) / 100, status, online: r() < 0.5, latency: null };
    out.push({ ev: { time: T0 + i * 60 - Math.floor(r() * 1500), fields }, partition, offset: offsets[partition]++ });
  }
  return out;
}

function run(engine: ViewEngine, input: In[], tickEvery = 50): ViewEmission[] {
  const rows: ViewEmission[] = [];
  input.forEach((x, i) => {
    engine.add(x.ev, x.partition, x.offset, x.ev.time);
    if (i % tickEvery === 0) rows.push(...engine.advance(x.ev.time));
  });
  rows.push(...engine.flush());
  return rows;
}

/** The highest version of each (key, window start): what ReplacingMergeTree keeps. */
function final(rows: ViewEmission[]): Map<string, ViewEmission> {
  const out = new Map<string, ViewEmission>();
  for (const e of rows) {
    const k = `${e.row.key}|${e.row.window_start}`;
    const cur = out.get(k);
    if (!cur || e.row.version >= cur.row.version) out.set(k, e);
  }
  return out;
}

/** Every feature computed straight from the input, per key and window. */
function reference(input: In[], sizeMs: number, hopMs: number): Map<string, Record<string, number | null>> {
  const groups = new Map<string, In[]>();
  for (const x of input) {
    const last = Math.floor(x.ev.time / hopMs) * hopMs;
    for (let s = last; s > x.ev.time - sizeMs; s -= hopMs) {
      const k = `${x.ev.fields.card_id}|${formatWindowTime(s)}`;
      groups.set(k, [...(groups.get(k) ?? []), x]);
    }
  }
  const out = new Map<string, Record<string, number | null>>();
  for (const [k, xs] of groups) {
    const a = xs.map((x) => x.ev.fields.amount as number);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sorted = [...a].sort((p, q) => p - q);
    const lastEv = [...xs].sort((p, q) => p.ev.time - q.ev.time || p.partition - q.partition || p.offset - q.offset).at(-1)!;
    const errors = xs.filter((x) => (x.ev.fields.status as number) >= 500).length;
    out.set(k, {
      n: xs.length, total: a.reduce((s, v) => s + v, 0), avg: mean, lo: sorted[0]!, hi: sorted.at(-1)!,
      sd: Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length),
      p90: sorted[Math.floor(0.9 * (a.length - 1))]!,
      merchants: new Set(xs.map((x) => x.ev.fields.merchant)).size,
      errors, error_ratio: errors / xs.length, last_amount: lastEv.ev.fields.amount as number,
      per_s: xs.length / (sizeMs / 1000), lat: null, lat0: -1,
    });
  }
  return out;
}

function compare(got: Map<string, ViewEmission>, want: Map<string, Record<string, number | null>>): void {
  assert.equal(got.size, want.size, 'windows');
  for (const [k, w] of want) {
    const g = got.get(k);
    assert.ok(g, `window ${k} missing`);
    assert.equal(g.row.version, w.n, `${k} version`);
    for (const [f, v] of Object.entries(w)) {
      const x: string | number | null | undefined = g.row[f];
      if (v === null) assert.equal(x, null, `${k} ${f}`);
      else if (f === 'p90') assert.ok(Math.abs((x as number) - v) <= 0.01 * Math.abs(v) + 1e-9, `${k} p90 ${x} vs ${v}`);
      else if (f === 'merchants') assert.ok(Math.abs((x as number) - v) <= Math.max(1, 0.05 * v), `${k} merchants ${x} vs ${v}`);
      else assert.ok(Math.abs((x as number) - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${k} ${f}: ${x} vs ${v}`);
    }
  }
}

test('tumbling: every window of every key equals a reference computed from the input', () => {
  const input = stream(1);
  const v = view();
  const rows = run(new ViewEngine(v), input);
  compare(final(rows), reference(input, 10_000, 10_000));
  for (const e of rows) for (const f of v.features) assert.ok(e.row[f.name] === null || Number.isFinite(e.row[f.name]), `${f.name} is never NaN`);
});

test('hopping (10 s every 2 s): every window equals the reference, each event in 5 windows', () => {
  const input = stream(2, 1500);
  const engine = new ViewEngine(view({ window: { size: '10s', hop: '2s', allowed_lateness: '0s' } }));
  const got = final(run(engine, input));
  compare(got, reference(input, 10_000, 2_000));
  const total = [...got.values()].reduce((s, e) => s + (e.row.count as number), 0);
  assert.equal(total, input.length * 5);
  assert.equal([...got.values()][0]!.row.hop_s, 2);
});

test('a late event re-emits its window with version + 1; a too-late one is counted nowhere', () => {
  const engine = new ViewEngine(view({ window: { size: '10s', allowed_lateness: '0s', retention: '20s' } }));
  const ev = (t: number, amount: number): SourceEvent => ({ time: T0 + t, fields: { card_id: 'a', merchant: 'm', amount, status: 200, online: null, latency: null } });
  engine.add(ev(1000, 1), 0, 0, T0);
  engine.add(ev(2000, 2), 0, 1, T0);
  engine.add(ev(15_000, 5), 0, 2, T0);
  const first = engine.advance(T0);
  assert.equal(first.length, 1);
  assert.deepEqual([first[0]!.row.version, first[0]!.row.total, first[0]!.row.late_count], [2, 3, 0]);
  assert.equal(engine.add(ev(3000, 10), 0, 3, T0), 'late');
  const again = engine.advance(T0);
  assert.deepEqual([again[0]!.row.window_start, again[0]!.row.version, again[0]!.row.total, again[0]!.row.late_count], [formatWindowTime(T0), 3, 13, 1]);
  engine.add(ev(45_000, 1), 0, 4, T0);
  engine.advance(T0);
  assert.equal(engine.add(ev(4000, 1), 0, 5, T0), 'too_late');
  assert.equal(engine.counters.tooLate, 1);
  // Only the window of 40-50 s is still held (the others are past retention).
  assert.deepEqual(engine.lowestHeldOffsets(), new Map([[0, 4]]));
});

test('filter and missing keys: events are counted, not windowed', () => {
  const engine = new ViewEngine(view({ filter: 'amount > 10' }));
  assert.equal(engine.add({ time: T0, fields: { card_id: 'a', merchant: 'm', amount: 5, status: 200, online: null, latency: null } }, 0, 0, T0), 'filtered');
  assert.equal(engine.add({ time: T0, fields: { card_id: null, merchant: 'm', amount: 50, status: 200, online: null, latency: null } }, 0, 1, T0), 'no_key');
  assert.deepEqual([engine.counters.filtered, engine.counters.noKey, engine.heldWindows], [1, 1, 0]);
});

test('filtered events still move the watermark, so a selective filter does not hold windows open', () => {
  const engine = new ViewEngine(view({ filter: 'amount > 10' }));
  const ev = (t: number, amount: number): SourceEvent => ({ time: T0 + t, fields: { card_id: 'a', merchant: 'm', amount, status: 200, online: null, latency: null } });
  engine.add(ev(1000, 50), 0, 0, T0);
  assert.equal(engine.advance(T0).length, 0);
  assert.equal(engine.add(ev(60_000, 1), 0, 1, T0), 'filtered');
  assert.deepEqual(engine.advance(T0).map((e) => e.row.total), [50]);
});

test('multi-field keys join with | and keep each field in its own column', () => {
  const engine = new ViewEngine(view({ key: ['card_id', 'merchant'] }));
  engine.add({ time: T0, fields: { card_id: 'a', merchant: 'm1', amount: 5, status: 200, online: null, latency: null } }, 0, 0, T0);
  const [e] = engine.flush();
  assert.deepEqual([e!.row.key, e!.row.card_id, e!.row.merchant], ['a|m1', 'a', 'm1']);
});

const DERIVED_VIEW = {
  aggregations: [{ name: 'n', fn: 'count' }, { name: 'total', fn: 'sum', field: 'amount' }, { name: 'errors', fn: 'count_if', condition: 'status >= 500' }],
  derived: [
    { name: 'total_z', fn: 'robust_z', of: 'total', history: 5, min_history: 3 },
    { name: 'total_change', fn: 'change', of: 'total', history: 5 },
    { name: 'error_share', fn: 'ratio', of: ['errors', 'n'] },
    { name: 'z_or_zero', fn: 'robust_z', of: 'total', history: 5, min_history: 3, default: 0 },
  ],
};

test('derived features compare a window with the key\'s previous windows only', () => {
  const engine = new ViewEngine(view(DERIVED_VIEW));
  const totals = [10, 12, 11, 13, 50];
  totals.forEach((amount, i) => engine.add({ time: T0 + i * 10_000, fields: { card_id: 'a', merchant: 'm', amount, status: i === 4 ? 503 : 200, online: null, latency: null } }, 0, i, T0));
  const rows = engine.flush().map((e) => e.row);
  assert.deepEqual(rows.map((r) => r.total_z), [null, null, null, (13 - 11) / Math.max(1.4826 * 1, 1.1), (50 - 11.5) / Math.max(1.4826 * 1, 1.15)]);
  assert.deepEqual(rows.map((r) => r.z_or_zero).slice(0, 3), [0, 0, 0]);
  assert.deepEqual(rows.map((r) => r.total_change), [null, null, null, 2, 38.5]);
  assert.deepEqual(rows.map((r) => r.error_share), [0, 0, 0, 0, 1]);
});

test('a restart that restores baselines and replays from the held offset rebuilds identical rows', () => {
  const input = stream(3, 2000);
  const cfg = { ...DERIVED_VIEW, window: { size: '5s', allowed_lateness: '1s' } };
  const straight = final(run(new ViewEngine(view(cfg)), input));
  // First life: stop half way, keep the baselines and the lowest held offset per partition.
  const half = input.slice(0, 1000);
  const b0 = new ViewEngine(view(cfg));
  const rowsA: ViewEmission[] = [];
  half.forEach((x, i) => {
    b0.add(x.ev, x.partition, x.offset, x.ev.time);
    if (i % 50 === 0) rowsA.push(...b0.advance(x.ev.time));
  });
  const held = b0.lowestHeldOffsets();
  const baselines = JSON.parse(JSON.stringify(b0.snapshotBaselines()));
  // Second life: baselines back, every partition re-read from its held offset (or from where it stopped).
  const b1 = new ViewEngine(view(cfg));
  b1.restoreBaselines(baselines);
  const stopped = new Map<number, number>();
  for (const x of half) stopped.set(x.partition, Math.max(stopped.get(x.partition) ?? -1, x.offset + 1));
  const replay = input.filter((x) => x.offset >= (held.get(x.partition) ?? stopped.get(x.partition) ?? 0));
  const rowsB = run(b1, replay);
  const merged = final([...rowsA, ...rowsB]);
  assert.equal(merged.size, straight.size);
  for (const [k, e] of straight) assert.deepEqual(merged.get(k)!.row, e.row, k);
  // And the rows the second life wrote again are byte-identical to the first life's.
  const firstByKey = final(rowsA);
  for (const e of rowsB) {
    const prev = firstByKey.get(`${e.row.key}|${e.row.window_start}`);
    if (prev && prev.row.version === e.row.version) assert.deepEqual(e.row, prev.row);
  }
  assert.ok(b1.counters.landedBefore > 0, 'the replay rebuilt some windows the first life had landed');
});

test('a replay from far behind the baselines (a commit held back by a slower view) lands no other derived value', () => {
  // Regression: after kill -9, a dense view's rebuilt windows were computed again against a baseline
  // already trimmed to its newest windows, so their robust_z and change lost part of their past.
  const input = stream(5, 2400);
  const cfg = { ...DERIVED_VIEW, window: { size: '5s', allowed_lateness: '1s', retention: '5s' } };
  const straight = final(run(new ViewEngine(view(cfg)), input));
  const a = new ViewEngine(view(cfg));
  const rowsA: ViewEmission[] = [];
  input.slice(0, 1600).forEach((x, i) => {
    a.add(x.ev, x.partition, x.offset, x.ev.time);
    if (i % 50 === 0) rowsA.push(...a.advance(x.ev.time));
  });
  const landed = final(rowsA);
  // The saved baselines know every window landed; the replay starts at offset 0 of every partition.
  const b = new ViewEngine(view(cfg));
  b.restoreBaselines(JSON.parse(JSON.stringify(a.snapshotBaselines())));
  const rowsB = run(b, input);
  const changed: string[] = [];
  for (const e of rowsB) {
    const k = `${e.row.key}|${e.row.window_start}`;
    const prev = landed.get(k);
    if (prev && prev.row.version === e.row.version && JSON.stringify(prev.row) !== JSON.stringify(e.row)) changed.push(k);
  }
  assert.deepEqual(changed, [], 'windows landed before and written again with other values');
  const merged = final([...rowsA, ...rowsB]);
  for (const [k, e] of straight) assert.deepEqual(merged.get(k)?.row, e.row, k);
});

test('snapshot and restore continue exactly like an engine that never stopped', () => {
  const input = stream(4, 1200);
  const cfg = { ...DERIVED_VIEW, window: { size: '6s', hop: '3s', allowed_lateness: '1s' } };
  const straight = run(new ViewEngine(view(cfg)), input);
  const a = new ViewEngine(view(cfg));
  const out: ViewEmission[] = [];
  input.slice(0, 600).forEach((x, i) => {
    a.add(x.ev, x.partition, x.offset, x.ev.time);
    if (i % 50 === 0) out.push(...a.advance(x.ev.time));
  });
  const b = new ViewEngine(view(cfg));
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  input.slice(600).forEach((x, i) => {
    b.add(x.ev, x.partition, x.offset, x.ev.time);
    if ((i + 600) % 50 === 0) out.push(...b.advance(x.ev.time));
  });
  out.push(...b.flush());
  assert.deepEqual(out.map((e) => e.row), straight.map((e) => e.row));
});

test('a key whose events arrive on a second partition is reported (its windows would be computed in parts)', () => {
  const owners = new Map<string, number>();
  const split: Array<[string, number, number]> = [];
  const onSplitKey = (key: string, first: number, p: number): void => void split.push([key, first, p]);
  const cfg = view({ key: ['card_id', 'merchant'] });
  const e0 = new ViewEngine(cfg, { owners, onSplitKey });
  const e1 = new ViewEngine(cfg, { owners, onSplitKey });
  const ev = (card: string): SourceEvent => ({ time: T0, fields: { card_id: card, merchant: 'm1', amount: 1, status: 200, online: null, latency: null } });
  e0.add(ev('a'), 0, 0, T0);
  e0.add(ev('a'), 0, 1, T0);
  e1.add(ev('b'), 1, 0, T0);
  assert.deepEqual(split, []);
  e1.add(ev('a'), 1, 1, T0);
  assert.deepEqual(split, [['a|m1', 0, 1]]);
  assert.equal(e1.counters.splitKeys, 1);
});
