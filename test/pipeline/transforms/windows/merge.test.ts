/** Partial windows of one series from several partitions merge into the rows one engine over all records gives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WindowMerger, type WindowPartial } from '../../../../pipeline/transforms/windows/merge.ts';
import { serviceKind, type ServiceWindowInput } from '../../../../pipeline/transforms/windows/service-windows.ts';
import { TumblingWindows, type WindowMeta } from '../../../../pipeline/transforms/windows/tumbling.ts';
import { type ServiceWindowRow } from '../../../../core/contracts/rows.ts';

const base = Date.UTC(2026, 0, 1);
const kind = serviceKind();

function records(n: number, partitions: number): ServiceWindowInput[] {
  return Array.from({ length: n }, (_, i) => ({
    time: base + Math.floor((i * 300_000) / n), service: 'api', severity_number: i % 7 === 0 ? 17 : 9, pattern_id: `p${i % 5}`, pattern_is_new: i < 5,
    attributes: { duration_ms: String(1 + ((i * 7919) % 1000)) }, partition: i % partitions, offset: Math.floor(i / partitions),
  }));
}

/** Per partition an engine whose closed windows come out as partials (accumulator saved). */
function partialEngine() {
  return new TumblingWindows<ServiceWindowInput, unknown, WindowPartial>({
    ...kind,
    row: (acc: unknown, m: WindowMeta) => ({ src: '', key: m.key, sizeMs: m.sizeMs, start: m.start, count: m.count, lateCount: m.lateCount, acc: kind.save!(acc as never) }),
  } as never, { sizesMs: [60_000], allowedLatenessMs: 0 });
}

test('partials of six partitions merge into the single-engine rows: counts exact, quantiles within 1 %', () => {
  const all = records(6000, 6);
  const single = new TumblingWindows(kind, { sizesMs: [60_000], allowedLatenessMs: 0 });
  for (const r of all) single.add({ ...r, partition: 0 }, r.time);
  const reference = single.flush() as ServiceWindowRow[];
  const merger = new WindowMerger<unknown, ServiceWindowRow>(kind as never, 120_000);
  let offset = 0;
  const rows: ServiceWindowRow[] = [];
  for (let p = 0; p < 6; p++) {
    const e = partialEngine();
    for (const r of all.filter((x) => x.partition === p)) e.add(r, r.time);
    // Every partial of this partition, then its watermark past every window.
    for (const part of e.flush()) merger.add({ ...part, src: `logs/${p}` }, offset++);
    merger.mark({ topic: 'logs', partition: p, partitions: 6, watermark: base + 400_000, idle: false });
    rows.push(...merger.advance());
    if (p < 5) assert.equal(rows.length, 0, 'no window closes before every partition has passed it');
  }
  assert.equal(rows.length, reference.length);
  rows.forEach((r, i) => {
    const ref = reference[i]!;
    assert.equal(r.count, ref.count);
    assert.equal(r.version, ref.version);
    assert.equal(r.count_error, ref.count_error);
    assert.equal(r.distinct_patterns, ref.distinct_patterns);
    assert.equal(r.latency_count, ref.latency_count);
    for (const q of ['p50_ms', 'p95_ms', 'p99_ms'] as const) assert.ok(Math.abs(r[q] - ref[q]) <= 0.02 * ref[q], `${q} ${r[q]} vs ${ref[q]}`);
  });
  // Windows within retention of the merged watermark (400 s) stay, holding their partials' offsets: the
  // last window's first partial came at offset 4 (partition 0's fifth window).
  assert.equal(merger.lowestHeldOffset(), 4, 'retained windows hold their partials for late ones');
});

test('a repeated partial changes nothing; a bigger one re-emits the window with the higher version; an idle source does not hold it', () => {
  const merger = new WindowMerger<unknown, ServiceWindowRow>(kind as never, 120_000);
  const e = partialEngine();
  for (const r of records(100, 1)) e.add(r, r.time);
  const parts = e.flush();
  const first = { ...parts[0]!, src: 'logs/0' };
  merger.add(first, 10);
  merger.mark({ topic: 'logs', partition: 0, partitions: 2, watermark: base + 60_000, idle: false });
  assert.deepEqual(merger.advance(), [], 'partition 1 was never heard of');
  merger.mark({ topic: 'logs', partition: 1, partitions: 2, watermark: null, idle: true });
  const rows = merger.advance();
  assert.equal(rows.length, 1, 'an idle partition does not hold the window');
  assert.equal(merger.add(first, 11), 'repeat');
  assert.deepEqual(merger.advance(), []);
  assert.equal(merger.add({ ...first, src: 'logs/1', count: 3, lateCount: 3 }, 12), 'late');
  const again = merger.advance();
  assert.equal(again.length, 1);
  assert.equal(again[0]!.version, rows[0]!.version + 3);
  assert.equal(again[0]!.late_count, 3);
});

test('an idle mark does not raise a source\'s watermark: an owner that never read the partition promises nothing', () => {
  const merger = new WindowMerger<unknown, ServiceWindowRow>(kind as never, 120_000);
  const e = partialEngine();
  for (const r of records(100, 1)) e.add(r, r.time);
  const [part] = e.flush();
  merger.mark({ topic: 'logs', partition: 0, partitions: 2, watermark: base + 400_000, idle: false });
  // Partition 1: its old owner says idle with a watermark moved far up; its new owner then reads it from the start.
  merger.mark({ topic: 'logs', partition: 1, partitions: 2, watermark: base + 400_000, idle: true });
  merger.mark({ topic: 'logs', partition: 1, partitions: 2, watermark: null, idle: false });
  assert.deepEqual(merger.advance(), [], 'partition 1 holds the window: nothing it promised');
  assert.equal(merger.add({ ...part!, src: 'logs/1' }, 0), 'on_time', 'its partial is not too late');
  merger.mark({ topic: 'logs', partition: 1, partitions: 2, watermark: base + 400_000, idle: false });
  assert.equal(merger.advance().length, 1);
});
