import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../core/kafka/protocol/codec.ts';
import { encodeProduce, produceBodyBytes, type ProduceTopicData } from '../../../../core/kafka/protocol/messages.ts';

test('produceBodyBytes is exactly what encodeProduce writes, so a Produce request\'s buffer is sized once and never doubled', () => {
  const batch = (n: number) => Buffer.alloc(n, n % 251);
  const cases: ProduceTopicData[][] = [
    [],
    [{ topic: 'logs.v1', partitions: [{ partition: 0, batch: batch(61) }] }],
    [
      { topic: 'logs.v1', partitions: [0, 1, 2, 3, 4, 5].map((p) => ({ partition: p, batch: batch(1000 + p * 40_000) })) },
      // A topic name of multi-byte characters is counted in bytes.
      { topic: 'métriques.v1-東京', partitions: [{ partition: 2, batch: batch(300_000) }] },
    ],
  ];
  for (const data of cases) {
    const bytes = produceBodyBytes(data);
    const w = new Writer(bytes);
    const buf = w.buf;
    encodeProduce(w, -1, 30_000, data);
    assert.equal(w.pos, bytes, `${data.length} topics`);
    assert.equal(w.buf, buf, 'the buffer was not replaced by a larger one');
  }
});
