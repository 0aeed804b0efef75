import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { DiskBuffer, type WireMessage } from '../../../agents/sinks/disk-buffer.ts';
import { tempDir } from '../harness.ts';

const msg = (i: number): WireMessage => ({ topic: 'logs', key: 'svc', value: JSON.stringify({ i, pad: 'x'.repeat(100) }), timestamp: String(i), headers: { traceparent: 't' } });
const nums = (ms: WireMessage[]) => ms.map((m) => (JSON.parse(String(m.value)) as { i: number }).i);

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

test('a corrupt segment: garbage in the middle skips the rest of that segment (said and counted), later segments are read', () => {
  const dir = tempDir();
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024, segmentBytes: 1000 });
  for (let i = 0; i < 30; i += 5) a.append(Array.from({ length: 5 }, (_, k) => msg(i + k)));
  a.close();
  const segs = readdirSync(dir).filter((n) => n.startsWith('segment-')).sort();
  assert.ok(segs.length >= 3);
  // Overwrite the second frame of the first segment with bytes that cannot be a frame.
  const first = join(dir, segs[0]!);
  const data = readFileSync(first);
  const second = 8 + data.readUInt32LE(0);
  data.fill(0xff, second, second + 16);
  writeFileSync(first, data);
  const lines: string[] = [];
  const logger = { error: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`), info: () => undefined, warn: () => undefined } as never;
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024, segmentBytes: 1000 }, logger);
  const out = nums(b.peek(1000, 1e9).messages);
  assert.equal(out[0], 0, 'what precedes the damage is read');
  assert.ok(!out.includes(1), 'the damaged frame is not made up');
  assert.ok(out.includes(29), 'later segments are read');
  assert.ok(b.skippedBytes > 0);
  assert.equal(lines.filter((l) => /segment is corrupt from this offset/.test(l)).length, 1, 'said once, with where');
  assert.match(lines[0]!, new RegExp(segs[0]!));
});

test('a record whose checksum passes but is not JSON is skipped and counted, not a crash', () => {
  const dir = tempDir();
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  a.append([msg(0)]);
  a.close();
  const seg = join(dir, readdirSync(dir).find((n) => n.startsWith('segment-'))!);
  const body = Buffer.from('not json at all');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  appendFileSync(seg, Buffer.concat([head, body]));
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  b.append([msg(1)]);
  assert.deepEqual(nums(b.peek(100, 1e9).messages), [0, 1]);
  assert.equal(b.corrupt, 1);
});

test('a garbage read position restarts at the oldest segment (said), instead of failing', () => {
  const dir = tempDir();
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  a.append([msg(0), msg(1), msg(2)]);
  const { end } = a.peek(1, 1e9);
  a.ack(end, 1);
  a.close();
  writeFileSync(join(dir, 'position.json'), '{"segment": "x"');
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  assert.equal(b.positionRebuilt, true);
  assert.deepEqual(nums(b.peek(100, 1e9).messages), [0, 1, 2], 'at least once: message 0 is sent again');
});

/** A real full disk: a 64 KiB tmpfs when this process may mount one, else /dev/full (writes there fail with ENOSPC). */
function fullDiskDir(t: { diagnostic(m: string): void }): { dir: string; nextSegmentIsFull: boolean; done(): void } {
  // Lazy: a file still open in it must not leave the mount behind.
  const dir = tempDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return { dir, nextSegmentIsFull: false, done: () => void spawnSync('umount', ['-l', dir]) };
  t.diagnostic(`cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim()}); the segment file is /dev/full instead`);
  return { dir, nextSegmentIsFull: true, done: () => undefined };
}

test('disk full while buffering: the append is refused (reading pauses), nothing half-written stays, what was buffered is intact', (t) => {
  const disk = fullDiskDir(t);
  const b = new DiskBuffer({ dir: disk.dir, maxBytes: 100 * 1024 * 1024, segmentBytes: 1024 * 1024 });
  try {
    let appended = 0;
    if (disk.nextSegmentIsFull) {
      symlinkSync('/dev/full', join(disk.dir, 'segment-0000000000.log'));
    } else {
      while (b.append([msg(appended)])) appended++;
    }
    assert.equal(b.append([msg(appended)]), false, 'refused, not thrown');
    assert.ok(b.diskFull >= 1);
    assert.equal(b.count, appended);
    if (!disk.nextSegmentIsFull) {
      assert.ok(appended > 100, `${appended} messages fit before the disk was full`);
      const size = statSync(join(disk.dir, readdirSync(disk.dir).find((n) => n.startsWith('segment-'))!)).size;
      assert.equal(size, b.bytes, 'no partial frame left behind');
      // Kafka takes some: room again, and nothing acknowledged is lost.
      const got = b.peek(1000, 1e9);
      assert.deepEqual(nums(got.messages), Array.from({ length: appended }, (_, i) => i));
    }
  } finally {
    b.close();
    disk.done();
  }
});

test('a folder that cannot be written (a file in its place): appends are refused, not thrown, positions fail without a stop; once it is back, nothing acknowledged was lost', () => {
  const dir = join(tempDir(), 'buffer');
  const b = new DiskBuffer({ dir, maxBytes: 100 * 1024 * 1024, segmentBytes: 1024 });
  try {
    for (let i = 0; i < 20; i++) assert.ok(b.append([msg(i)]));
    const taken = b.peek(5, 1e9);
    const aside = `${dir}.aside`;
    renameSync(dir, aside);
    writeFileSync(dir, 'not a folder');
    // The open segment still takes appends until it is full; the next one cannot be made (ENOTDIR).
    let next = 20;
    while (next < 200 && b.append([msg(next)])) next++;
    assert.ok(next < 200, 'an append was refused');
    assert.equal(b.writeErrors, 1);
    assert.equal(b.diskFull, 0);
    // Kafka took the first five meanwhile: their position cannot be written, and sending goes on.
    b.ack(taken.end, taken.messages.length);
    assert.equal(b.positionErrors, 1);
    unlinkSync(dir);
    renameSync(aside, dir);
    assert.ok(b.append([msg(1000)]), 'appends go on once the folder is back');
    const rest = b.peek(10_000, 1e9);
    assert.deepEqual(nums(rest.messages), [...Array.from({ length: next - 5 }, (_, i) => i + 5), 1000]);
    b.ack(rest.end, rest.messages.length);
    assert.equal(b.positionErrors, 1, 'the position is written again');
  } finally {
    b.close();
  }
  const reopened = new DiskBuffer({ dir, maxBytes: 100 * 1024 * 1024, segmentBytes: 1024 });
  assert.equal(reopened.count, 0, 'after a restart nothing is sent again: the last position was written');
  reopened.close();
});

test('OTLP protobuf values (kafka.encoding: otlp_proto) come back byte for byte, after a restart too; JSON bytes stay text', async () => {
  const { encodeOtlpLog } = await import('../../../core/contracts/otlp-log.ts');
  const dir = tempDir();
  const record = { v: 1, time: '2026-11-29T12:00:00.123Z', observed_time: '2026-11-29T12:00:00.200Z', service: 'svc', host: 'h', severity_text: 'INFO', severity_number: 9, attributes: {}, origin: { kind: 'stdin' as const, offset: 1 } };
  // Bytes that are not UTF-8 (a protobuf length of 0xe9 after a tag) would not survive a text round trip.
  const values = [encodeOtlpLog({ ...record, body: 'é'.repeat(120) }), encodeOtlpLog({ ...record, body: 'x'.repeat(300) }), Buffer.from([0x0a, 0xff, 0xfe, 0x00, 0xc3])];
  const proto = values.map((value, i): WireMessage => ({ topic: 'logs', key: 'svc|h', value, timestamp: String(i), headers: { 'content-type': 'application/x-protobuf' } }));
  const json: WireMessage = { topic: 'logs', key: 'svc|h', value: Buffer.from('{"v":1,"body":"é"}'), timestamp: '9', headers: { 'content-type': 'application/json' } };
  assert.ok(new DiskBuffer({ dir, maxBytes: 1 << 20 }).append([...proto, json]));
  const { messages } = new DiskBuffer({ dir, maxBytes: 1 << 20 }).peek(10, 1e9);
  assert.equal(messages.length, 4);
  messages.slice(0, 3).forEach((m, i) => {
    assert.ok(Buffer.isBuffer(m.value) && m.value.equals(values[i]!), `message ${i}`);
    assert.deepEqual(m.headers, proto[i]!.headers);
    assert.equal('base64' in m, false, 'the frame marker stays in the frame');
  });
  assert.equal(messages[3]!.value, '{"v":1,"body":"é"}');
});

test('messages that hold several log records (records_per_message) keep their count on disk: records counted on append, on reopen, and out on ack', () => {
  const dir = tempDir();
  const packed = (i: number, records: number): WireMessage => ({ ...msg(i), value: Buffer.from([0x0a, i, 0xff, 0x00]), headers: { 'content-type': 'application/x-protobuf' }, ...(records > 1 ? { records } : {}) });
  const a = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  assert.ok(a.append([packed(1, 100), packed(2, 1), packed(3, 37)]));
  assert.deepEqual([a.count, a.records], [3, 138]);
  const first = a.peek(1, 1e9);
  assert.equal(first.messages[0]!.records, 100);
  a.ack(first.end, 1, 100);
  assert.deepEqual([a.count, a.records], [2, 38]);
  a.close();
  const b = new DiskBuffer({ dir, maxBytes: 1024 * 1024 });
  assert.deepEqual([b.count, b.records], [2, 38], 'counted again from the disk after a restart');
  const rest = b.peek(10, 1e9);
  assert.deepEqual(rest.messages.map((m) => [m.records, [...(m.value as Buffer)]]), [[undefined, [0x0a, 2, 0xff, 0x00]], [37, [0x0a, 3, 0xff, 0x00]]]);
});
