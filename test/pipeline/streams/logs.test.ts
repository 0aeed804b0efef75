/**
 * The logs stream's stage chain without Kafka: bytes in, batch rows, pattern deltas, dead letters and
 * partial windows out. The repartition sink is a stand-in that records what it is given (the chain is
 * what is under test here; the real sink and topic are in worker.test.ts and scale-out.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logStream } from '../../../pipeline/streams/logs.ts';
import { Batch, BatchCursor, NO_WRITES } from '../../../pipeline/sinks/clickhouse/landing.ts';
import { type RecordContext } from '../../../pipeline/stage.ts';
import { type RepartitionSink } from '../../../pipeline/sinks/repartition.ts';
import { type SourceMark, type WindowPartial } from '../../../pipeline/transforms/windows/merge.ts';

const sent: { partials: WindowPartial[]; marks: SourceMark[] } = { partials: [], marks: [] };
const sink = (() => ({
  partitionsOf: () => 1,
  send: async (_kind: string, partials: WindowPartial[], marks: SourceMark[]) => {
    sent.partials.push(...partials);
    sent.marks.push(...marks);
  },
})) as unknown as () => RepartitionSink;

const base = Date.UTC(2026, 0, 1);
const rec = (ms: number, body: string, service = 'api') => Buffer.from(JSON.stringify({ v: 1, time: new Date(base + ms).toISOString(), service, body, severity_number: 9 }));

function feed(values: Array<Buffer | null>, opts: { replayUpTo?: number } = {}) {
  const s = logStream('logs.v1', { windows: { sizesMs: [10_000], allowedLatenessMs: 0 }, patterns: {}, group: 'g', sink });
  const cursor = new BatchCursor();
  cursor.batch = new Batch(0);
  cursor.topic = 'logs.v1';
  const ctx: RecordContext = { topic: 'logs.v1', partition: 0, offset: 0, now: base, replay: false, out: cursor };
  s.windows.assign(0, base);
  values.forEach((v, offset) => {
    ctx.offset = offset;
    cursor.offset = offset;
    cursor.record = { key: null, value: v };
    ctx.replay = offset <= (opts.replayUpTo ?? -1);
    ctx.out = ctx.replay ? NO_WRITES : cursor;
    s.stream.push(v, ctx);
  });
  return { s, batch: cursor.batch };
}

test('records become raw rows, per-pattern deltas and dead letters, and closed windows flow out on flush', async () => {
  const { s, batch } = feed([rec(1000, 'user 1 logged in'), rec(2000, 'user 2 logged in'), Buffer.from('nope'), rec(15_000, 'disk full')]);
  assert.equal(batch.tables.get('logs')?.length, 3);
  const patterns = [...batch.aggregates.get('log_patterns')!.values()].map((a) => a.finish!(a.acc as never) as { count: number; template: string });
  assert.deepEqual(patterns.map((p) => p.count).sort(), [1, 2]);
  assert.equal(batch.dead.length, 1);
  assert.equal(batch.dead[0]!.stage, 'decode');
  assert.equal(batch.dead[0]!.offset, '2');
  sent.partials = [];
  await s.windows.flush(base + 20_000);
  assert.deepEqual(sent.partials.map((r) => [r.src, r.count]), [['logs.v1/0', 2]], 'the first window closed (the watermark is at 15 s) and went out as a partial');
  assert.deepEqual(sent.marks.at(-1), { topic: 'logs.v1', partition: 0, partitions: 1, watermark: base + 15_000, idle: false });
  assert.deepEqual(s.windows.heldOffsets!(), new Map([[0, 0]]), 'closed windows are kept for late records, so offset 0 is still held');
});

test('replayed records rebuild the windows but write nothing', async () => {
  const { s, batch } = feed([rec(1000, 'a 1'), rec(2000, 'a 2'), Buffer.from('nope'), rec(3000, 'a 3'), rec(15_000, 'b')], { replayUpTo: 2 });
  assert.equal(batch.tables.get('logs')?.length, 2, 'only the records after the landed ones');
  assert.equal(batch.dead.length, 0, 'a replayed poison record is not dead-lettered again');
  sent.partials = [];
  await s.windows.flush(base + 60_000);
  assert.deepEqual(sent.partials.map((r) => r.count), [3], 'the window holds replayed and new records');
});

test('a record too late for its windows is stored raw and dead-lettered with stage windows', async () => {
  const s = logStream('logs.v1', { windows: { sizesMs: [10_000], allowedLatenessMs: 0, retentionMs: 10_000 }, patterns: {}, group: 'g', sink });
  const cursor = new BatchCursor();
  cursor.batch = new Batch(0);
  const ctx: RecordContext = { topic: 'logs.v1', partition: 0, offset: 0, now: base, replay: false, out: cursor };
  s.stream.push(rec(100_000, 'ahead'), ctx);
  s.windows.assign(0, base);
  await s.windows.flush(base);
  ctx.offset = 1;
  cursor.offset = 1;
  s.stream.push(rec(1000, 'far behind'), ctx);
  assert.equal(cursor.batch.tables.get('logs')?.length, 2);
  assert.equal(cursor.batch.dead.length, 1);
  assert.equal(cursor.batch.dead[0]!.stage, 'windows');
  assert.match(cursor.batch.dead[0]!.reason, /too late/);
  assert.equal(s.windows.counts.tooLate, 1);
});

test('the miner\'s merges go into the batch as pattern_merges rows naming the id each merged id stands for now', () => {
  // Five bodies that differ in one plain word: the fifth merges the four clusters before it into the first.
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  const { s, batch } = feed(words.map((w, i) => rec(1000 + i, `job finished on worker ${w} with success`)));
  const rows = batch.tables.get('logs') as Array<{ pattern_id: string }>;
  const first = rows[0]!.pattern_id;
  assert.equal(new Set(rows.slice(0, 4).map((r) => r.pattern_id)).size, 4, 'the rows before the merge keep their own ids');
  const merges = [...batch.aggregates.get('pattern_merges')!.values()].map((a) => a.acc as { pattern_id: string; merged_into: string; merged_at: string });
  assert.deepEqual(merges.map((m) => [m.pattern_id, m.merged_into]).sort(), rows.slice(1, 4).map((r) => [r.pattern_id, first]).sort());
  assert.match(merges[0]!.merged_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  for (const r of rows) assert.equal(s.patterns.miner.resolve(r.pattern_id), first);
});

test('merges made while replaying write nothing, and are not written later either', () => {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  const { batch } = feed(words.map((w, i) => rec(1000 + i, `job finished on worker ${w} with success`)), { replayUpTo: 4 });
  assert.equal(batch.tables.get('logs')?.length, 1);
  assert.equal(batch.aggregates.get('pattern_merges'), undefined, 'the merge was landed by the batch that first made it');
});
