import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from '../../../../core/kafka/protocol/murmur2.ts';

test('keys land on the partition of the Java client (kafkajs\'s DefaultPartitioner is its port)', () => {
  const reference = Partitioners.DefaultPartitioner();
  const keys = Array.from({ length: 2000 }, (_, i) => Buffer.from(i % 4 === 0 ? `svc-${i}` : i % 4 === 1 ? `svc-${i}|host-${i % 13}` : i % 4 === 2 ? 'é'.repeat(i % 9) : String(i)));
  for (const partitions of [1, 3, 6, 12, 64]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (const key of keys) assert.equal(partitionForKey(key, partitions), reference({ topic: 't', partitionMetadata, message: { key, value: 'v' } }), `${key} on ${partitions}`);
  }
  // Values from the Java client's own test (UtilsTest.testMurmur2).
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(murmur2(Buffer.from('abc')), 479470107);
});
