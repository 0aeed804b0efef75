// Our own admin reads (core/kafka/admin.ts) against a real broker: Metadata of a topic that exists and
// of one that does not, DescribeConfigs of a topic's own settings and of its defaults, a bootstrap
// list whose first address is dead, and Kafka not there at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { checkAccess, KafkaAdmin, refusalOf, withAdmin } from '../../../core/kafka/admin.ts';
import { KafkaError } from '../../../core/kafka/protocol/errors.ts';
import { freePort } from '../../../core/ports.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';

const brokers = await testBrokers();

test('topicExists: true for a topic made, false for one never made', async () => {
  const made = await createTestTopic('admin-exists', 3);
  await withAdmin({ brokers, clientId: 'test' }, async (a) => {
    assert.equal(await a.topicExists(made), true);
    assert.equal(await a.topicExists(`${made}-never-made`), false);
    // Asking did not make it (Metadata asks with auto-creation off).
    assert.equal(await a.topicExists(`${made}-never-made`), false);
    const md = await a.metadata([made]);
    assert.equal(md.topics[0]?.partitions.length, 3);
    assert.ok(md.brokers.length >= 1);
  });
});

test("topicConfigs: a topic's own settings and the broker's defaults for the rest, as the broker applies them", async () => {
  const topic = await createTestTopic('admin-configs', 1, [{ name: 'retention.ms', value: '3600000' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }]);
  const plain = await createTestTopic('admin-configs-plain');
  await withAdmin({ brokers, clientId: 'test' }, async (a) => {
    const own = await a.topicConfigs(topic, ['retention.ms', 'message.timestamp.type', 'cleanup.policy']);
    assert.equal(own.get('retention.ms'), '3600000');
    assert.equal(own.get('message.timestamp.type'), 'LogAppendTime');
    assert.equal(own.get('cleanup.policy'), 'delete', 'a setting the topic does not set: the default');
    const defaults = await a.topicConfigs(plain, ['message.timestamp.type']);
    assert.equal(defaults.get('message.timestamp.type'), 'CreateTime');
    await assert.rejects(a.topicConfigs(`${plain}-never-made`, ['retention.ms']), (err: Error) => err instanceof KafkaError && /UNKNOWN_TOPIC_OR_PARTITION/.test(err.message));
  });
});

test('connect: a dead first address is passed over; all dead fails naming the last address, and checkAccess lets it be', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const admin = await KafkaAdmin.connect({ brokers: [dead, ...brokers], clientId: 'test', connectTimeoutMs: 2000 });
  try {
    assert.equal(admin.address, brokers[0]);
  } finally {
    admin.close();
  }
  await assert.rejects(KafkaAdmin.connect({ brokers: [dead], clientId: 'test', connectTimeoutMs: 2000 }), (err: Error) => err instanceof KafkaError && err.message.includes(dead));
  // Unreachable is not a refusal: an agent starts anyway and buffers.
  await checkAccess({ brokers: [dead], connectTimeoutMs: 2000 });
  assert.equal(refusalOf(new KafkaError('gone', 'NETWORK', 'refresh')), undefined);
  assert.equal(refusalOf(new KafkaError('refused', 'SASL_AUTHENTICATION_FAILED', 'fatal'))?.code, 'KAFKA_AUTH');
});

test('a peer that accepts and never answers: the request times out instead of hanging', async () => {
  // A plain TCP server stands in for a half-dead broker: a real one cannot be made to accept and never answer.
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  try {
    const started = Date.now();
    await assert.rejects(KafkaAdmin.connect({ brokers: [addr], clientId: 'test', requestTimeoutMs: 500 }), /no answer within 500 ms/);
    assert.ok(Date.now() - started < 5000);
  } finally {
    silent.close();
  }
});
