import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DiskBuffer, type WireMessage } from '../../../agents/sinks/disk-buffer.ts';
import { tempDir } from '../harness.ts';

const msg = (i: number): WireMessage => ({ topic: 'logs', key: 'svc', value: JSON.stringify({ i, pad: 'x'.repeat(100) }), timestamp: String(i), headers: { traceparent: 't' } });
const nums = (ms: WireMessage[]) => ms.map((m) => (JSON.parse(m.value) as { i: number }).i);

test('messages come out in the order they went in, across segments', () => {
  const dir = tempDir();
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024, segmentBytes: 2000 });
  for (let i = 0; i < 100; i += 10) assert.ok(b.append(Array.from({ length: 10 }, (_, k) => msg(i + k))));
  assert.ok(readdirSync(dir).filter((n) => n.startsWith('segment-')).length > 3);
  const out: number[] = [];
  while (!b.empty) {
    const { messages, end } = b.peek(7, 1e9);
    out.push(...nums(messages));
    b.ack(end, messages.length);
  }
  assert.deepEqual(out, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(b.bytes, 0);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('segment-')).length, 0);
});

test('after a restart only what was not acknowledged is replayed', () => {
  const dir = tempDir();
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024, segmentBytes: 1500 });
  a.append(Array.from({ length: 50 }, (_, i) => msg(i)));
  const { messages, end } = a.peek(20, 1e9);
  a.ack(end, messages.length);
  a.close();
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024, segmentBytes: 1500 });
  assert.equal(b.count, 30);
  b.append([msg(50)]);
  const rest = b.peek(1000, 1e9);
  assert.deepEqual(nums(rest.messages), Array.from({ length: 31 }, (_, i) => i + 20));
});

test('a torn write at the tail (a crash mid-append) is skipped, and later appends survive', () => {
  const dir = tempDir();
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  a.append([msg(0), msg(1)]);
  a.close();
  const seg = readdirSync(dir).find((n) => n.startsWith('segment-'))!;
  appendFileSync(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3])); // a header promising 200 bytes, then nothing
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  b.append([msg(2)]);
  assert.deepEqual(nums(b.peek(100, 1e9).messages), [0, 1, 2]);
});

test('append refuses past maxBytes, without writing anything', () => {
  const dir = tempDir();
  const b = new DiskBuffer({ dir, maxBytes: 1000 });
  assert.ok(b.append([msg(0), msg(1)]));
  const before = b.bytes;
  assert.equal(b.append(Array.from({ length: 10 }, (_, i) => msg(i))), false);
  assert.equal(b.bytes, before);
  assert.equal(b.count, 2);
});
