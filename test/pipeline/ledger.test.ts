import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger, type PartitionEntry } from '../../pipeline/ledger.ts';
import { Batch } from '../../pipeline/sinks/clickhouse/landing.ts';
import { type Stage, type Stream } from '../../pipeline/stage.ts';

function streamHolding(held: Map<number, number>): Stream {
  const stage: Stage<unknown, unknown> = { name: 'windows', push: () => undefined, heldOffsets: () => held };
  return { topic: 't', stages: [stage], push: () => undefined };
}

function entry(stream: Stream, partition: number, nextOffset: number): PartitionEntry {
  const key = `t/${partition}`;
  return { key, topic: 't', partition, stream, nextOffset, resumeAfter: -1, committed: -1, highWatermark: nextOffset + 10, lane: { key, topic: 't', partition, live: true } };
}

test('commits the lowest of: next offset, batches not landed, offsets held by stages', () => {
  const held = new Map([[1, 40]]);
  const stream = streamHolding(held);
  const ledger = new Ledger();
  const a = entry(stream, 0, 100);
  const b = entry(stream, 1, 100);
  const c = entry(stream, 2, 100);
  c.lane.inflight = new Batch(70);
  c.lane.building = new Batch(90);
  for (const e of [a, b, c]) ledger.add(e);
  const targets = ledger.targets(new Set(['t/0', 't/1', 't/2']));
  assert.deepEqual(targets.map((t) => [t.entry.partition, t.offset]), [[0, 100], [1, 40], [2, 70]]);
  ledger.committed(targets);
  assert.deepEqual(ledger.targets(new Set(['t/0', 't/1', 't/2'])), [], 'nothing new to commit');
  assert.equal(ledger.lag(), 30);
});

test('commits nothing while tick rows are not durable, and nothing for partitions no longer assigned', () => {
  const ledger = new Ledger();
  ledger.add(entry(streamHolding(new Map()), 0, 50));
  ledger.add(entry(streamHolding(new Map()), 1, 50));
  ledger.tickRows(3);
  assert.deepEqual(ledger.targets(new Set(['t/0', 't/1'])), []);
  ledger.tickRows(-3);
  assert.deepEqual(ledger.targets(new Set(['t/1'])).map((t) => t.entry.partition), [1]);
});

test('a partition that has read nothing yet is not committed', () => {
  const ledger = new Ledger();
  ledger.add(entry(streamHolding(new Map()), 0, -1));
  assert.deepEqual(ledger.targets(new Set(['t/0'])), []);
});
