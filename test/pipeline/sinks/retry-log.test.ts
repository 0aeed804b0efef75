import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaError } from '../../../core/kafka/producer.ts';
import { retryLogger } from '../../../pipeline/sinks/retry-log.ts';

test('a producer retrying for a minute says so once, with the count and the reason', async () => {
  const lines: Array<{ o: Record<string, unknown>; msg: string }> = [];
  // A logger that records (pino's own output is not what is tested here).
  const onRetry = retryLogger('test', 200, { warn: (o: object, msg?: string) => void lines.push({ o: o as Record<string, unknown>, msg: msg ?? '' }) } as never);
  const err = new KafkaError('Kafka does not know the topic dlq.v1', 'UNKNOWN_TOPIC_OR_PARTITION', 'refresh');
  for (let i = 0; i < 50; i++) onRetry(err);
  assert.equal(lines.length, 1, 'the first retry is said at once, the next 49 within the interval are not');
  await new Promise((r) => setTimeout(r, 250));
  onRetry(err);
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]!.o, { err: 'Kafka does not know the topic dlq.v1', type: 'UNKNOWN_TOPIC_OR_PARTITION', retries: 50 });
  assert.match(lines[1]!.msg, /retrying until it does/);
});
