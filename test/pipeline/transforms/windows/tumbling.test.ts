import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatWindowTime, parseWindowTime, safeCommitOffset, TumblingWindows, windowStart, type TumblingOptions, type WindowKind,
} from '../../../../pipeline/transforms/windows/tumbling.ts';
import { TributaryError } from '../../../../core/errors.ts';
import { random, ReplacingTable } from './fixtures.ts';

/** A record of the test kind: a series key and an id so rows show exactly which records they hold. */
interface Rec {
  time: number;
  key: string;
  id: number;
  partition: number;
  offset: number;
}

interface Row {
  key: string;
  start: number;
  size: number;
  version: number;
  late: number;
  ids: number[];
}

const kind: WindowKind<Rec, { key: string; ids: number[] }, Row> = {
  key: (r) => r.key,
  valid: (r) => r.id >= 0,
  create: (r) => ({ key: r.key, ids: [] }),
  add: (acc, r) => void acc.ids.push(r.id),
  row: (acc, m) => ({ key: acc.key, start: m.start, size: m.sizeMs, version: m.count, late: m.lateCount, ids: [...acc.ids] }),
  save: (acc) => ({ key: acc.key, ids: [...acc.ids] }),
  load: (d) => d as { key: string; ids: number[] },
};

function windows(options: TumblingOptions = {}): TumblingWindows<Rec, { key: string; ids: number[] }, Row> {
  return new TumblingWindows(kind, { sizesMs: [10_000], allowedLatenessMs: 0, ...options });
}

let nextId = 0;
function rec(time: number, key = 'a', partition = 0, offset = nextId): Rec {
  return { time, key, id: nextId++, partition, offset };
}

test('window times are ClickHouse DateTime64(3) literals in UTC', () => {
  const cases: [number, string][] = [
    [0, '1970-01-01 00:00:00.000'],
    [Date.UTC(2026, 10, 24, 10, 0, 0, 123), '2026-11-24 10:00:00.123'],
    [Date.UTC(2026, 11, 31, 23, 59, 59, 999), '2026-12-31 23:59:59.999'],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatWindowTime(ms), text);
    assert.equal(parseWindowTime(text), ms);
  }
  for (const bad of ['2026-11-24T10:00:00.000Z', '2026-11-24 10:00', '', 'yesterday']) assert.ok(Number.isNaN(parseWindowTime(bad)), bad);
});

test('window starts align to the epoch', () => {
  const cases: [number, number, number][] = [
    [0, 10_000, 0],
    [9_999, 10_000, 0],
    [10_000, 10_000, 10_000],
    [125_500, 60_000, 120_000],
    [-1, 10_000, -10_000],
  ];
  for (const [t, size, start] of cases) assert.equal(windowStart(t, size), start, `${t} / ${size}`);
});

test('a window closes when the watermark reaches its end, not before', () => {
  const w = windows({ allowedLatenessMs: 1_000 });
  assert.equal(w.add(rec(1_000), 0), 'on_time');
  assert.equal(w.add(rec(9_999), 0), 'on_time');
  assert.equal(w.add(rec(10_999), 0), 'on_time');
  assert.deepEqual(w.advance(0), []);
  assert.equal(w.watermark, 9_999);
  w.add(rec(11_000), 0);
  const rows = w.advance(0);
  assert.equal(w.watermark, 10_000);
  assert.equal(rows.length, 1);
  assert.deepEqual({ ...rows[0], ids: rows[0]!.ids.length }, { key: 'a', start: 0, size: 10_000, version: 2, late: 0, ids: 2 });
  assert.deepEqual(w.advance(0), [], 'a closed window is emitted once');
});

test('a late record re-emits its window with version + 1 and counts as late', () => {
  const w = windows();
  const first = [rec(1_000), rec(2_000), rec(3_000)];
  for (const r of first) w.add(r, 0);
  w.add(rec(25_000), 0);
  const closed = w.advance(0);
  assert.deepEqual(closed.map((r) => [r.start, r.version, r.late]), [[0, 3, 0], [10_000, 0, 0]].slice(0, 1));
  const late = rec(4_000);
  assert.equal(w.add(late, 0), 'late');
  const again = w.advance(0);
  assert.equal(again.length, 1);
  assert.equal(again[0]!.start, 0);
  assert.equal(again[0]!.version, closed[0]!.version + 1);
  assert.equal(again[0]!.late, 1);
  assert.deepEqual(again[0]!.ids, [...first.map((r) => r.id), late.id]);
  // Two late records before the next advance give one row that includes both.
  w.add(rec(5_000), 0);
  w.add(rec(6_000), 0);
  const twice = w.advance(0);
  assert.deepEqual(twice.map((r) => [r.start, r.version, r.late]), [[0, 6, 3]]);
  assert.equal(w.counters.late, 3);
  assert.equal(w.counters.rowsReEmitted, 2);
});

test('a late record for a window that had no records opens and emits it', () => {
  const w = windows();
  w.add(rec(35_000), 0);
  w.advance(0);
  assert.equal(w.add(rec(12_000, 'b'), 0), 'late');
  assert.deepEqual(w.advance(0).map((r) => [r.key, r.start, r.version, r.late]), [['b', 10_000, 1, 1]]);
});

test('a record beyond retention is too late: counted, returned, in no window', () => {
  const w = windows({ retentionMs: 20_000 });
  w.add(rec(1_000), 0);
  w.add(rec(40_000), 0);
  w.advance(0); // watermark 40 000: window [0, 10 000) ended 30 000 ago, beyond 20 000 of retention
  const tooLate = rec(5_000);
  assert.equal(w.add(tooLate, 0), 'too_late');
  assert.equal(w.counters.droppedTooLate, 1);
  // Window [10 000, 20 000) ends exactly retention before the watermark: too late as well.
  assert.equal(w.add(rec(15_000), 0), 'too_late');
  // Window [20 000, 30 000) is closed but retained: late.
  assert.equal(w.add(rec(25_000), 0), 'late');
  // Window [30 000, 40 000) is closed but retained: late.
  assert.equal(w.add(rec(31_000), 0), 'late');
  const rows = [...w.advance(0), ...w.flush()];
  assert.ok(rows.every((r) => !r.ids.includes(tooLate.id)));
  assert.equal(w.counters.droppedTooLate, 2);
  assert.equal(w.counters.records, 4);
});

test('too late for one size means counted in no size', () => {
  const w = windows({ sizesMs: [10_000, 60_000], retentionMs: 15_000 });
  w.add(rec(1_000), 0);
  w.add(rec(50_000), 0);
  w.advance(0); // watermark 50 000: the 10 s window of t=20 000 ended 20 000 ago; its 60 s window is open
  assert.equal(w.add(rec(20_000), 0), 'too_late');
  const rows = w.flush();
  const sixty = rows.find((r) => r.size === 60_000)!;
  assert.equal(sixty.version, 2);
});

test('lowest held offsets cover open windows, and retained ones unless told otherwise', () => {
  const w = windows({ retentionMs: 20_000, idleTimeoutMs: 1_000 });
  w.add(rec(1_000, 'a', 0, 100), 0);
  w.add(rec(2_000, 'a', 1, 7), 0);
  w.add(rec(3_000, 'b', 0, 101), 0);
  w.add(rec(15_000, 'a', 0, 102), 0);
  w.add(rec(16_000, 'c', 1, 9), 0);
  assert.deepEqual([...w.lowestHeldOffsets()], [[0, 100], [1, 7]]);
  w.advance(0); // watermark 15 000 closes [0, 10 000)
  assert.equal(w.watermark, 15_000);
  assert.deepEqual([...w.lowestHeldOffsets()], [[0, 100], [1, 7]]);
  assert.deepEqual([...w.lowestHeldOffsets({ includeClosed: false })], [[0, 102], [1, 9]]);
  // A late record makes its closed window pending again until the next advance.
  w.add(rec(4_000, 'b', 1, 8), 0);
  assert.deepEqual([...w.lowestHeldOffsets({ includeClosed: false })], [[0, 101], [1, 8]]);
  // Partition 1 goes idle, so partition 0 alone moves the watermark to 30 000: [0, 10 000) ended
  // 20 000 before it and is pruned.
  w.add(rec(30_000, 'a', 0, 103), 2_000);
  w.advance(2_000);
  assert.equal(w.watermark, 30_000);
  assert.deepEqual([...w.lowestHeldOffsets()], [[0, 102], [1, 9]]);
  assert.equal(w.heldWindows, 3);
});

test('an idle partition stops holding windows open after the idle timeout', () => {
  const w = windows({ idleTimeoutMs: 5_000 });
  w.add(rec(1_000, 'a', 0), 0);
  w.add(rec(2_000, 'b', 1), 0);
  w.add(rec(21_000, 'a', 0), 1_000);
  assert.deepEqual(w.advance(1_000), [], 'partition 1 (event time 2 000) holds the watermark');
  w.add(rec(22_000, 'a', 0), 5_001);
  const rows = w.advance(5_001);
  assert.deepEqual(rows.map((r) => [r.key, r.start]), [['a', 0], ['b', 0], ['a', 10_000]].filter((x) => x[1] === 0));
  assert.equal(w.watermark, 22_000);
});

test('flush closes every window that holds records', () => {
  const w = windows({ sizesMs: [10_000, 60_000], allowedLatenessMs: 70_000 });
  for (const t of [1_000, 15_000, 59_000, 61_000]) w.add(rec(t), 0);
  assert.deepEqual(w.advance(0), []);
  const rows = w.flush();
  assert.deepEqual(rows.map((r) => [r.size, r.start, r.version]), [
    [10_000, 0, 1], [10_000, 10_000, 1], [10_000, 50_000, 1], [10_000, 60_000, 1], [60_000, 0, 3], [60_000, 60_000, 1],
  ]);
  assert.deepEqual(w.flush(), []);
});

test('empty windows: up to the budget after a series goes silent, and again after it resumes', () => {
  const w = windows({ emptyWindows: 2 });
  w.add(rec(1_000, 'a'), 0);
  w.add(rec(5_000, 'b'), 0);
  w.add(rec(65_000, 'b'), 0);
  const rows = w.advance(0); // watermark 65 000
  const a = rows.filter((r) => r.key === 'a').map((r) => [r.start, r.version]);
  assert.deepEqual(a, [[0, 1], [10_000, 0], [20_000, 0]]);
  const b = rows.filter((r) => r.key === 'b').map((r) => [r.start, r.version]);
  assert.deepEqual(b, [[0, 1], [10_000, 0], [20_000, 0]]);
  w.add(rec(72_000, 'a'), 0);
  w.add(rec(99_000, 'b'), 0);
  const more = w.advance(0); // watermark 99 000
  assert.deepEqual(more.filter((r) => r.key === 'a').map((r) => [r.start, r.version]), [[70_000, 1], [80_000, 0], [90_000, 0]].slice(0, 2));
  assert.deepEqual(more.filter((r) => r.key === 'b').map((r) => [r.start, r.version]), [[60_000, 1], [70_000, 0], [80_000, 0]]);
  // Flush fills gaps only up to the window holding the highest event time, never past it.
  const end = w.flush();
  assert.deepEqual(end.map((r) => [r.key, r.start, r.version]), [['a', 90_000, 0], ['b', 90_000, 1]]);
  assert.equal(w.counters.rowsEmpty, 8);
});

test('records with no usable time or refused by the kind are returned as invalid', () => {
  const w = windows();
  assert.equal(w.add({ ...rec(0), time: NaN }, 0), 'invalid');
  assert.equal(w.add({ ...rec(0), id: -1 }, 0), 'invalid');
  assert.equal(w.counters.invalid, 2);
  assert.deepEqual(w.flush(), []);
});

test('a record too far ahead of processing time is refused and does not move the watermark', () => {
  const w = windows({ maxFutureMs: 60_000 });
  assert.equal(w.add(rec(1_000), 0), 'on_time');
  assert.equal(w.add(rec(60_000), 0), 'on_time', 'exactly at the limit is accepted');
  assert.equal(w.add(rec(60_001), 0), 'future');
  assert.equal(w.add(rec(4_000_000_000_000), 0), 'future');
  assert.equal(w.counters.future, 2);
  w.advance(0);
  assert.equal(w.watermark, 60_000);
  assert.equal(w.add(rec(60_001), 1), 'on_time', 'the limit follows processing time');
});

test('invalid options throw a CONFIG_INVALID error', () => {
  const bad: TumblingOptions[] = [{ maxFutureMs: -1 }, { sizesMs: [] }, { sizesMs: [0] }, { sizesMs: [1.5] }, { sizesMs: [10, 10] }, { retentionMs: -1 }, { emptyWindows: -1 }];
  for (const o of bad) {
    assert.throws(() => new TumblingWindows(kind, o), (e: unknown) => e instanceof TributaryError && e.code === 'CONFIG_INVALID', JSON.stringify(o));
  }
  assert.equal(new TumblingWindows(kind).retentionMs, 120_000);
});

/** Records on three partitions, each key on one partition, event times with jitter so some arrive late. */
function generate(seed: number, n: number): Rec[] {
  const r = random(seed);
  const offsets = [0, 0, 0];
  const out: Rec[] = [];
  let clock = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 40);
    const k = Math.floor(r() * 6);
    const partition = k % 3;
    const jitter = r() < 0.1 ? Math.floor(r() * 25_000) : Math.floor(r() * 500);
    out.push({ time: clock - jitter, key: `s${k}`, id: i, partition, offset: offsets[partition]!++ });
  }
  return out;
}

const OPTS: TumblingOptions = { sizesMs: [10_000, 60_000], allowedLatenessMs: 2_000, idleTimeoutMs: 10_000 };

function run(records: Rec[], table: ReplacingTable<Row>, w = new TumblingWindows(kind, OPTS), from = 0, to = records.length): typeof w {
  for (let i = from; i < to; i++) {
    w.add(records[i]!, i * 10);
    if (i % 50 === 49) table.insert(w.advance(i * 10));
  }
  return w;
}

const rowKey = (r: Row): string => `${r.key}|${r.size}|${r.start}`;

test('the same input gives byte-identical rows', () => {
  const records = generate(11, 3_000);
  const outputs = [0, 1].map(() => {
    const w = new TumblingWindows(kind, OPTS);
    const rows: Row[] = [];
    records.forEach((r, i) => {
      w.add(r, i * 10);
      if (i % 37 === 0) rows.push(...w.advance(i * 10));
    });
    rows.push(...w.flush());
    return JSON.stringify(rows);
  });
  assert.equal(outputs[0], outputs[1]);
});

test('every record ends up in exactly its windows, late ones included', () => {
  const records = generate(12, 5_000);
  const table = new ReplacingTable(rowKey);
  const w = run(records, table);
  table.insert(w.flush());
  assert.equal(w.counters.droppedTooLate, 0);
  assert.ok(w.counters.late > 0, 'the generated input has late records');
  const expected = new Map<string, number[]>();
  for (const r of records) {
    for (const size of [10_000, 60_000]) {
      const k = `${r.key}|${size}|${windowStart(r.time, size)}`;
      expected.set(k, [...(expected.get(k) ?? []), r.id]);
    }
  }
  assert.equal(table.rows.size, expected.size);
  for (const [k, ids] of expected) {
    const row = table.rows.get(k);
    assert.ok(row, k);
    assert.deepEqual(row.ids, ids, k);
    assert.equal(row.version, ids.length);
  }
});

test('a crash and a replay from the safe commit offsets change nothing in the table', () => {
  const records = generate(13, 6_000);
  const reference = new ReplacingTable(rowKey);
  const full = run(records, reference);
  reference.insert(full.flush());

  for (const crashAt of [1_000, 2_550, 4_999]) {
    const table = new ReplacingTable(rowKey);
    const before = run(records, table, undefined, 0, crashAt);
    // The rows returned so far are durable; commit per partition at the lowest offset still held.
    const held = before.lowestHeldOffsets();
    const committed = [0, 1, 2].map((p) => {
      const read = records.slice(0, crashAt).filter((r) => r.partition === p);
      return safeCommitOffset(read.length ? read[read.length - 1]!.offset + 1 : 0, held.get(p));
    });
    // Restart: a new worker re-reads every partition from its committed offset.
    const replay = records.filter((r) => r.offset >= committed[r.partition]!);
    const after = run(replay, table);
    table.insert(after.flush());
    const strip = (rows: Row[]): unknown[] => rows.map(({ late: _late, ...rest }) => rest);
    assert.deepEqual(strip(table.sorted()), strip(reference.sorted()), `crash after ${crashAt} records`);
  }
});

test('revoking a partition drops the windows only it fed and stops it holding the watermark', () => {
  const w = windows({ emptyWindows: 3 });
  w.add(rec(1_000, 'a', 0, 10), 0);
  w.add(rec(2_000, 'b', 1, 20), 0);
  w.add(rec(3_000, 'mixed', 0, 11), 0);
  w.add(rec(4_000, 'mixed', 1, 21), 0);
  w.add(rec(25_000, 'a', 0, 12), 0);
  assert.deepEqual(w.advance(0), [], 'partition 1 holds the watermark at 4 000');
  assert.equal(w.revokePartition(1), 1);
  assert.deepEqual([...w.lowestHeldOffsets()], [[0, 10], [1, 21]]);
  const rows = w.advance(0);
  // Windows of 'b' are gone, and no empty rows are made for it; 'mixed' keeps both records.
  assert.deepEqual(rows.map((r) => [r.key, r.start, r.version]), [['a', 0, 1], ['mixed', 0, 2], ['a', 10_000, 0]]);
});

test('the safe commit offset is the lowest of the next offset to read and every hold', () => {
  const cases: [number, (number | undefined)[], number][] = [
    [100, [], 100],
    [100, [undefined], 100],
    [100, [40], 40],
    [100, [undefined, 70, 55], 55],
    [10, [40, 20], 10],
  ];
  for (const [next, held, want] of cases) assert.equal(safeCommitOffset(next, ...held), want, JSON.stringify([next, held]));
});

test('snapshot and restore in the middle of a stream change no row', () => {
  const records = generate(14, 4_000);
  const opts: TumblingOptions = { ...OPTS, emptyWindows: 2 };
  const straight: Row[] = [];
  const a = new TumblingWindows(kind, opts);
  records.forEach((r, i) => {
    a.add(r, i * 10);
    if (i % 50 === 49) straight.push(...a.advance(i * 10));
  });
  straight.push(...a.flush());

  const resumed: Row[] = [];
  let w = new TumblingWindows(kind, opts);
  let pending = 0;
  records.forEach((r, i) => {
    // Stop and resume from a snapshot often, between advances too, so some catch pending re-emissions.
    if (i % 31 === 7) {
      const snap = w.snapshot();
      pending += snap.windows.filter((x) => x[7]).length;
      const text = JSON.stringify(snap);
      w = new TumblingWindows(kind, opts);
      w.restore(JSON.parse(text));
    }
    w.add(r, i * 10);
    if (i % 50 === 49) resumed.push(...w.advance(i * 10));
  });
  resumed.push(...w.flush());
  assert.equal(JSON.stringify(resumed), JSON.stringify(straight));
  assert.deepEqual(w.counters, a.counters);
  assert.ok(pending > 0, 'some snapshots held re-emissions still pending');
});

test('restore refuses a used aggregator, other sizes, and a kind without save/load', () => {
  const w = windows();
  w.add(rec(1_000), 0);
  const snap = w.snapshot();
  assert.throws(() => w.restore(snap), (e: unknown) => e instanceof TributaryError && e.code === 'USAGE');
  assert.throws(() => windows({ sizesMs: [5_000] }).restore(snap), TributaryError);
  const { save: _s, load: _l, ...plain } = kind;
  assert.throws(() => new TumblingWindows(plain, {}).snapshot(), TributaryError);
});
