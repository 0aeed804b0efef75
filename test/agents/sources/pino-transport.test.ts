import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import pino from 'pino';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';

await testBrokers();

test('pino.transport({ target: "tributary/pino" }) ships every line of a Node service to Kafka', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('pino');
  const transport = pino.transport({ target: 'tributary/pino', options: { brokers, topic, service: 'payments', host: 'pay-7' } });
  const logger = pino({ base: { pid: process.pid } }, transport);
  const total = 3000;
  for (let i = 0; i < total; i++) {
    if (i % 100 === 0) logger.error({ orderId: i, authorization: 'Bearer abc.def.ghi' }, `payment ${i} failed`);
    else logger.info({ orderId: i }, `payment ${i} ok`);
  }
  // pino unrefs its worker; hold the event loop open until the transport finished flushing.
  const keepAlive = setInterval(() => undefined, 1000);
  transport.end();
  await once(transport, 'close');
  clearInterval(keepAlive);
  const raw = await readTopic(topic, { expected: total });
  const records = raw.map((m) => JSON.parse(m.value.toString()) as LogRecord);
  assert.equal(records.length, total);
  const seen = new Set(records.map((r) => Number(r.attributes.orderId)));
  assert.equal(seen.size, total, 'no gap, no duplicate');
  const failed = records.find((r) => r.body === 'payment 100 failed')!;
  assert.equal(failed.severity_number, 17);
  assert.equal(failed.service, 'payments');
  assert.equal(failed.host, 'pay-7');
  assert.equal(failed.origin.kind, 'pino');
  assert.equal(failed.attributes.authorization, '***');
  // The default key is service|host (one service spreads over partitions, one host stays in order).
  assert.equal(raw[0]!.key, 'payments|pay-7');
  // One key, one partition: the order of the app's lines is kept.
  const order = records.map((r) => Number(r.attributes.orderId));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
});
