// The sink's queue between a batch and its acknowledgement, alone: settling in order, the first spill
// to a real disk buffer (files in a temporary folder), records counted per message, the loop's wake-up.
// Delivery through Kafka, both loops, is test/agents/sinks/kafka.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskBuffer, type WireMessage } from '../../../agents/sinks/disk-buffer.ts';
import { recordsIn, SinkQueue, type Queued } from '../../../agents/sinks/sink-queue.ts';
import { Wire } from '../../../agents/sinks/wire.ts';

const wire = () => new Wire({ logsTopic: 'logs.v1', metricsTopic: 'metrics.v1', key: 'service_host', maxRecordBytes: 1 << 20, encoding: 'json', recordsPerMessage: 1 }, () => undefined);

function message(i: number, records?: number): WireMessage {
  return { topic: 'logs', key: 'svc|h', value: `{"n":${i}}`, timestamp: String(1_700_000_000_000 + i), headers: { 'content-type': 'application/json' }, ...(records ? { records } : {}) };
}

function batch(messages: WireMessage[], settled: string[], name: string): Queued {
  const records = messages.reduce((n, m) => n + (m.records ?? 1), 0);
  return { messages, count: messages.length, records, bytes: messages.reduce((n, m) => n + m.value.length + m.key.length, 0), next: 0, acked: 0, failed: 0, onDelivered: (s) => settled.push(`${name}:${s?.failed ?? 0}`) };
}

test('records are counted per message: one each, or what a packed message holds', () => {
  const settled: string[] = [];
  const plain = batch([message(0), message(1), message(2)], settled, 'a');
  assert.equal(recordsIn(plain, 1, 2), 2);
  const packed = batch([message(0, 100), message(1, 7), message(2, 1)], settled, 'b');
  assert.equal(packed.records, 108);
  assert.equal(recordsIn(packed, 0, 3), 108);
  assert.equal(recordsIn(packed, 1, 1), 7);
});

test('a batch settles only once every message is acknowledged and every earlier batch settled, with its refusals', () => {
  const sq = new SinkQueue(wire());
  const settled: string[] = [];
  const a = batch([message(0), message(1)], settled, 'a');
  const b = batch([message(2)], settled, 'b');
  sq.queue.push(a, b);
  let room = 0;
  sq.roomWaiters.push(() => room++);
  // b is done first: it waits for a.
  b.acked = 1;
  sq.settleFront();
  assert.deepEqual(settled, []);
  assert.equal(room, 1, 'a settle frees room for the sources even when nothing settled');
  a.acked = 1;
  sq.settleFront();
  assert.deepEqual(settled, []);
  a.acked = 2;
  a.failed = 1;
  sq.settleFront();
  assert.deepEqual(settled, ['a:1', 'b:0']);
  assert.equal(sq.queue.length, 0);
});

test('the first spill moves what waits in memory to disk, oldest first, all or nothing; a batch under way stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-sink-queue-'));
  try {
    const sq = new SinkQueue(wire());
    sq.disk = new DiskBuffer({ dir: join(dir, 'buf'), maxBytes: 1 << 20 });
    const settled: string[] = [];
    const underWay = batch([message(0), message(1)], settled, 'under-way');
    underWay.next = 2;
    sq.inFlight.add(underWay);
    const waiting = [batch([message(2)], settled, 'w1'), batch([message(3, 5), message(4)], settled, 'w2')];
    sq.queue.push(underWay, ...waiting);
    for (const q of sq.queue) {
      sq.stats.buffered += q.records;
      sq.stats.bufferedBytes += q.bytes;
    }
    sq.spillMemory();
    assert.deepEqual(sq.queue, [underWay]);
    // Durable on disk, so their sources may checkpoint: their callbacks ran (without refusals).
    assert.deepEqual(settled, ['w1:0', 'w2:0']);
    assert.equal(sq.stats.spilled, 7);
    assert.equal(sq.stats.buffered, 2);
    assert.equal(sq.stats.bufferedBytes, underWay.bytes);
    assert.equal(sq.stats.diskBuffered, 7);
    assert.deepEqual(sq.disk.peek(10, 1 << 20).messages.map((m) => m.value.toString()), ['{"n":2}', '{"n":3}', '{"n":4}']);

    // A disk that cannot take them all takes none: memory keeps them, in order.
    const full = new SinkQueue(wire());
    full.disk = new DiskBuffer({ dir: join(dir, 'tiny'), maxBytes: 64 });
    const more = [batch([message(5)], settled, 'm1'), batch([message(6), message(7)], settled, 'm2')];
    full.queue.push(...more);
    full.spillMemory();
    assert.deepEqual(full.queue, more);
    assert.equal(full.stats.spilled, 0);
    assert.ok(full.disk.empty);
    sq.disk.close();
    full.disk.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the delivery loop sleeps until woken, or until its timeout', async () => {
  const sq = new SinkQueue(wire());
  let woke = false;
  const sleeping = sq.sleep().then(() => (woke = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false);
  sq.wake();
  await sleeping;
  assert.equal(woke, true);
  const t = Date.now();
  await sq.sleep(30);
  assert.ok(Date.now() - t >= 25);
  // A wake with nobody asleep is lost, not kept for the next sleep (the loop checks its work first).
  sq.wake();
  let early = false;
  const next = sq.sleep(50).then(() => (early = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(early, false);
  await next;
});
