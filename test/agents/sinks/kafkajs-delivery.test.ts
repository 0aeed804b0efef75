// The kafkajs delivery loop's partitioner (agents/sinks/kafkajs-delivery.ts); the loop itself is
// exercised through the sink by test/agents/sinks/kafka.test.ts (client: 'kafkajs').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners } from 'kafkajs';
import { memoDefaultPartitioner } from '../../../agents/sinks/kafkajs-delivery.ts';

test('the memoised partitioner puts every key on the partition kafkajs\'s default partitioner picks', () => {
  const memo = memoDefaultPartitioner();
  const reference = Partitioners.DefaultPartitioner();
  const keys = Array.from({ length: 500 }, (_, i) => Buffer.from(i % 3 ? `svc-${i}` : `svc-${i}|host-${i % 7}`));
  for (const partitions of [6, 1, 12, 6]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        const args = { topic: 'logs', partitionMetadata, message: { key, value: 'v' } };
        assert.equal(memo(args), reference(args), `${key} on ${partitions} partitions`);
      }
    }
  }
  // An explicit partition wins, as with the default.
  const partitionMetadata = [0, 1, 2].map((p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  assert.equal(memo({ topic: 'logs', partitionMetadata, message: { key: keys[0], value: 'v', partition: 2 } }), 2);
});
