// The client helpers against the real test broker: metadata asked for a topic that Kafka does not know yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKafka, fetchTopicMetadataRetrying } from '../../../core/kafka/client.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { testBrokers } from '../../helpers/kafka.ts';

const brokers = await testBrokers();

test('fetchTopicMetadataRetrying asks again until a topic made meanwhile is known, where one plain read fails', async () => {
  const admin = createKafka({ brokers, clientId: 'client-test' }).admin();
  await admin.connect();
  const topic = `metadata-late-${randomBytes(4).toString('hex')}`;
  try {
    // What the worker's start did before: one read, which fails while the topic is not there.
    await assert.rejects(admin.fetchTopicMetadata({ topics: [topic] }), /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i);
    const asked = fetchTopicMetadataRetrying(admin, [topic], 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    const meta = await asked;
    assert.deepEqual(meta.topics.map((t) => [t.name, t.partitions.length]), [[topic, 3]]);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('fetchTopicMetadataRetrying names a topic that never comes once its time is up', async () => {
  const admin = createKafka({ brokers, clientId: 'client-test' }).admin();
  await admin.connect();
  const topic = `metadata-never-${randomBytes(4).toString('hex')}`;
  try {
    const started = Date.now();
    const err = await fetchTopicMetadataRetrying(admin, [topic], 1500).then(() => undefined, (e: unknown) => e);
    assert.ok(isTributaryError(err), `expected a TributaryError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, new RegExp(`does not know the topic ${topic} after 1.5 s`));
    // It kept asking for its whole time, not once.
    assert.ok(Date.now() - started >= 1400, `gave up after ${Date.now() - started} ms`);
  } finally {
    await admin.disconnect();
  }
});
