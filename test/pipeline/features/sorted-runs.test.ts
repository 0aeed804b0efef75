/**
 * The backfill's external sort on real temporary files: events in any order out in (event time,
 * partition, offset) order, whole, whatever the run size and however the read blocks cut the files.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { BackfillInput } from '../../../pipeline/features/backfill.ts';
import { compareInputs, SortedRuns } from '../../../pipeline/features/sorted-runs.ts';

/** Events with many equal times, several partitions, and fields of every type (text beyond ASCII too). */
function events(n: number, seed = 7): BackfillInput[] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const names = ['café', 'naïve 🚀', 'plain', 'ÄÖÜ straße', '"quoted"\n'];
  return Array.from({ length: n }, (_, i) => {
    const time = 1_700_000_000_000 + Math.floor(rand() * n / 4) * 1000;
    return { time, partition: i % 3, offset: i, event: { time, fields: { card: names[i % names.length]!.repeat(1 + (i % 4)), amount: Math.round(rand() * 10000) / 100, online: i % 2 === 0, note: i % 5 === 0 ? null : 'x' } } };
  });
}

async function collect(runs: SortedRuns, chunk?: number): Promise<BackfillInput[][]> {
  const out: BackfillInput[][] = [];
  for await (const c of runs.sorted(chunk)) out.push(c);
  return out;
}

test('events come back whole and in order, merged from runs on disk, with block reads that cut characters', async () => {
  const input = events(5000);
  const expected = [...input].sort(compareInputs);
  // 611 events a run: eight runs on disk and one in memory; blocks of 97 bytes cut lines and the
  // multi-byte characters in them.
  const runs = new SortedRuns(611, 97);
  let folder: string | undefined;
  try {
    for (const e of [...input].reverse()) await runs.add(e);
    assert.equal(runs.count, 5000);
    assert.equal(runs.spilled, 8);
    folder = runs.folder;
    assert.ok(folder !== undefined && existsSync(folder), 'the runs are in a temporary folder');
    const chunks = await collect(runs, 1000);
    assert.deepEqual(chunks.map((c) => c.length), [1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(chunks.flat(), expected);
  } finally {
    runs.close();
  }
  assert.ok(!existsSync(folder!), 'close removes the runs');
});

test('a range that fits in one run never touches the disk', async () => {
  const input = events(300, 11);
  const runs = new SortedRuns(1000);
  for (const e of input) await runs.add(e);
  assert.equal(runs.spilled, 0);
  assert.equal(runs.folder, undefined, 'no temporary folder');
  assert.deepEqual((await collect(runs)).flat(), [...input].sort(compareInputs));
  runs.close();
});

test('a run size of one event still sorts (every event its own run)', async () => {
  const input = events(40, 3);
  const runs = new SortedRuns(1);
  try {
    for (const e of input) await runs.add(e);
    assert.equal(runs.spilled, 40);
    const merged = (await collect(runs, 7)).flat();
    assert.deepEqual(merged, [...input].sort(compareInputs));
  } finally {
    runs.close();
  }
  assert.throws(() => new SortedRuns(0), /runEvents must be at least 1, got 0/);
});
