import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../../core/kafka/protocol/crc32c.ts';
import { Reader, Writer } from '../../../../core/kafka/protocol/codec.ts';
import { batchRecords, buildBatch, compressRecords, decodeBatches, encodeHeaders, encodeRecords, stampProducer, type CompressionName, type ProduceRecord } from '../../../../core/kafka/protocol/record-batch.ts';

test('CRC-32C matches the published check value and is the same in pieces or whole', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43); // RFC 3720 B.4: 32 bytes of ones
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  for (const cut of [0, 1, 7, 8, 9, 500, 999]) assert.equal(crc32c(data, cut), crc32c(data.subarray(cut)), `from ${cut}`);
  assert.equal(crc32c(data, 0, 1000, crc32c(Buffer.alloc(0))), crc32c(data));
});

test('varints and varlongs round-trip at their edges, and a truncated read names what it read', () => {
  const values = [0, 1, -1, 63, -64, 64, -65, 8191, 8192, 2 ** 31 - 1, -(2 ** 31)];
  const longs = [...values, 2 ** 40, -(2 ** 40), 2 ** 52 - 1, -(2 ** 52), 1795934165638];
  const w = new Writer(4);
  for (const v of values) w.varint(v);
  for (const v of longs) w.varlong(v);
  const r = new Reader(w.result());
  for (const v of values) assert.equal(r.varint(), v);
  for (const v of longs) assert.equal(r.varlong(), v);
  // Known encodings from the protocol guide: zigzag 1 -> 2, -1 -> 1, 300 -> [0xd8, 0x04].
  assert.deepEqual([...new Writer().varint(1).varint(-1).varint(300).result()], [2, 1, 0xd8, 0x04]);
  assert.throws(() => new Reader(Buffer.from([0, 5, 65]), 0, 'Metadata response').string(), /truncated Metadata response: string needs 5 bytes/);
});

const records = (n: number): ProduceRecord[] => {
  const headers = encodeHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'content-type': 'application/json' });
  return Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 4 ? null : Buffer.from(`svc-${i % 3}`),
    value: i % 7 === 3 ? Buffer.from([0, 255, i & 255]) : JSON.stringify({ i, body: `line ${i} ünïcödé ${'x'.repeat(i % 300)}` }),
    timestamp: 1795934165638 + (i % 11) * 1000 - 4000, // some before the first: negative deltas
    headers: i % 6 === 5 ? undefined : headers,
  }));
};

for (const compression of ['none', 'gzip', 'lz4'] as CompressionName[]) {
  test(`a ${compression} batch decodes to what went in, with its producer fields and a valid CRC`, async () => {
    const input = records(500);
    const enc = encodeRecords(input);
    const payload = await compressRecords(enc.body, compression);
    const batch = buildBatch(enc, payload, compression, { producerId: 4242n, producerEpoch: 3, baseSequence: 1000 });
    const [b, ...rest] = decodeBatches(batch);
    assert.equal(rest.length, 0);
    assert.equal(b!.producerId, 4242n);
    assert.equal(b!.producerEpoch, 3);
    assert.equal(b!.baseSequence, 1000);
    assert.equal(b!.compression, { none: 0, gzip: 1, lz4: 3 }[compression]);
    assert.equal(b!.maxTimestamp, Math.max(...input.map((r) => r.timestamp)));
    assert.equal(b!.records.length, 500);
    b!.records.forEach((r, i) => {
      const want = input[i]!;
      assert.equal(r.offset, BigInt(i));
      assert.equal(r.timestamp, want.timestamp);
      assert.deepEqual(r.key, want.key);
      assert.deepEqual(r.value, Buffer.isBuffer(want.value) ? want.value : Buffer.from(want.value));
      assert.equal(r.headers.length, want.headers ? 2 : 0);
      if (want.headers) assert.equal(r.headers[1]![1]!.toString(), 'application/json');
    });
    // Restamping (renumbering after a refused batch) changes the fields and keeps the CRC valid.
    stampProducer(batch, { producerId: 7n, producerEpoch: 0, baseSequence: 0 });
    assert.equal(decodeBatches(batch)[0]!.baseSequence, 0);
    // A flipped bit anywhere the CRC covers is caught.
    batch[batch.length - 3]! ^= 0x10;
    assert.throws(() => decodeBatches(batch), /CRC-32C/);
  });
}

for (const compression of ['none', 'gzip', 'lz4'] as CompressionName[]) {
  test(`a built ${compression} batch gives back its records, and its halves encode as the same records would (a split)`, async () => {
    const input = records(301);
    const enc = encodeRecords(input);
    const batch = buildBatch(enc, await compressRecords(enc.body, compression), compression, { producerId: 9n, producerEpoch: 1, baseSequence: 40 });
    const back = batchRecords(batch);
    assert.equal(back.length, 301);
    // Encoded again they are the same bytes: key, value, time and header section each as they went in.
    assert.ok(encodeRecords(back).body.equals(enc.body));
    assert.deepEqual(back.map((r) => r.timestamp), input.map((r) => r.timestamp));
    for (const [from, to] of [[0, 151], [151, 301], [17, 18]] as const) {
      assert.ok(encodeRecords(back.slice(from, to)).body.equals(encodeRecords(input.slice(from, to)).body), `records ${from}-${to}`);
    }
    // A half of a half (a batch split twice) too.
    const half = encodeRecords(back.slice(151));
    const again = batchRecords(buildBatch(half, await compressRecords(half.body, compression), compression));
    assert.ok(encodeRecords(again.slice(0, 75)).body.equals(encodeRecords(input.slice(151, 226)).body));
    // A record whose length runs past the batch is an error that says so, not a wrong record.
    const raw = encodeRecords(input.slice(0, 3));
    raw.body[0] = 0x7e; // the first record's length varint: 63, past its real end
    assert.throws(() => batchRecords(buildBatch(raw, raw.body, 'none')), /record \d+: runs past its length|truncated record batch/);
  });
}

test('a subset of records (a partition\'s share) is encoded with offsets from 0', () => {
  const input = records(20);
  const enc = encodeRecords(input, [3, 9, 17]);
  const [b] = decodeBatches(buildBatch(enc, enc.body, 'none', { producerId: 1n, producerEpoch: 0, baseSequence: 5 }));
  assert.deepEqual(b!.records.map((r) => r.offset), [0n, 1n, 2n]);
  assert.deepEqual(b!.records.map((r) => r.value?.toString()), [3, 9, 17].map((i) => String(input[i]!.value)));
  assert.throws(() => encodeRecords(input, []), /at least one record/);
});

test('a records section written into a reused buffer, longer than it and full of earlier bytes, is the one a new buffer gets', () => {
  const input = records(300);
  const fresh = encodeRecords(input, undefined);
  const dirty = new ArrayBuffer(fresh.body.length * 2);
  new Uint8Array(dirty).fill(0xab);
  let asked = -1;
  const reused = encodeRecords(input, undefined, (bytes) => ((asked = bytes), dirty));
  assert.equal(asked, fresh.body.length, 'asks for the section\'s own size');
  assert.equal(reused.body.buffer, dirty, 'written into the buffer given');
  assert.equal(reused.body.length, fresh.body.length, 'the section is as long as the records, not the buffer');
  assert.ok(reused.body.equals(fresh.body));
  assert.deepEqual({ ...reused, body: undefined }, { ...fresh, body: undefined });
});

test('LZ4 compresses on the calling thread, gzip on libuv\'s pool (the allocator behind lz4-napi keeps freed memory per thread)', async () => {
  const enc = encodeRecords(records(2000));
  // Work on the pool can only come back through the event loop; work done on this thread settles
  // within this turn's microtasks. Neither depends on how fast the machine is.
  const settled = { lz4: false, gzip: false };
  const both = Promise.all([compressRecords(enc.body, 'lz4').then(() => (settled.lz4 = true)), compressRecords(enc.body, 'gzip').then(() => (settled.gzip = true))]);
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => queueMicrotask(r));
  assert.deepEqual(settled, { lz4: true, gzip: false });
  await both;
  assert.equal(settled.gzip, true);
});
