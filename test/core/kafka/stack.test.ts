// The local stack: a real broker from Kafka's jars, in a temp folder on free ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { defaultStackOptions, dropTimeRetention, ensureTopics, stackDown, stackStatus, stackUp, type StackOptions } from '../../../core/kafka/stack.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { KafkaProducer } from '../../../core/kafka/producer.ts';
import { TOPICS } from '../../../core/contracts/topics.ts';
import { freePort } from '../../../core/ports.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

test('up starts a broker with the project topics, a second up changes nothing, down stops it', async () => {
  const options: StackOptions = { ...defaultStackOptions(), home: mkdtempSync(join(tmpdir(), 'tributary-stack-')), port: await freePort(), controllerPort: await freePort() };
  const first = await stackUp(options);
  const upAt = Date.now();
  try {
    assert.equal(first.alreadyRunning, false);
    // Records whose timestamp (the event time) is years old: with time-based retention Kafka deleted them
    // at its first retention check, about 30 s after the broker started (seen: gone 37 s after `up`).
    const old = new KafkaProducer({ brokers: [`127.0.0.1:${options.port}`] });
    await old.connect();
    assert.deepEqual((await old.send(Array.from({ length: 50 }, (_, i) => ({ topic: TOPICS.logs.name, key: null, value: `old ${i}`, timestamp: Date.UTC(2015, 5, 1) + i })))).failed, []);
    await old.close();
    assert.deepEqual(first.created.sort(), Object.values(TOPICS).map((t) => t.name).sort());
    const status = stackStatus(options);
    assert.equal(status.running, true);
    assert.equal(status.brokers, `127.0.0.1:${options.port}`);

    const admin = createKafka({ brokers: [status.brokers], clientId: 'stack-test' }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS).map((t) => t.name) });
    await admin.disconnect();
    for (const spec of Object.values(TOPICS)) {
      const topic = meta.topics.find((t) => t.name === spec.name);
      assert.equal(topic?.partitions.length, spec.partitions, `${spec.name} has ${spec.partitions} partitions`);
    }

    const second = await stackUp(options);
    assert.equal(second.alreadyRunning, true);
    assert.equal(second.downloaded, false);
    assert.equal(second.pid, first.pid);

    await new Promise((r) => setTimeout(r, Math.max(0, upAt + 50_000 - Date.now())));
    const reader = createKafka({ brokers: [status.brokers], clientId: 'stack-test' }).admin();
    await reader.connect();
    const offsets = await reader.fetchTopicOffsets(TOPICS.logs.name);
    await reader.disconnect();
    const kept = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    assert.equal(kept, 50, `records dated 2015 kept 50 s after up: ${JSON.stringify(offsets)}`);
  } finally {
    const down = await stackDown(options);
    assert.equal(down.stopped, true);
  }
  assert.equal(stackStatus(options).running, false);
  // Restart on the same data: the jars are cached, so nothing is downloaded.
  const again = await stackUp(options);
  try {
    assert.equal(again.downloaded, false);
    assert.deepEqual(again.created, []);
  } finally {
    await stackDown(options);
  }
});

test('without Java the error names what to install', () => {
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'stack', 'up'], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: '/nonexistent', HOME: process.env.HOME, TRIBUTARY_HOME: mkdtempSync(join(tmpdir(), 'tributary-nojava-')), TRIBUTARY_KAFKA_PORT: '1', TRIBUTARY_LOG_FORMAT: 'json' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Java .*17|openjdk-17/);
});

test('stack status says when nothing runs', () => {
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'stack', 'status'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, TRIBUTARY_HOME: mkdtempSync(join(tmpdir(), 'tributary-status-')) },
  });
  assert.equal(r.status, 3);
  assert.match(r.stdout, /not running/);
});

test('a cluster id never starts with "-" (the storage tool would take it for an option)', async () => {
  const { kafkaUuid } = await import('../../../core/kafka/stack.ts');
  for (let i = 0; i < 5000; i++) {
    const id = kafkaUuid();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});

// The 3-broker cluster (--nodes 3) is proven in test/e2e/cluster-exactly-once.test.ts, which needs one anyway.

// A local stack made before it kept records by size gave its topics the spec's 7 days: `up` drops that
// setting (keeping the topic's others), so history stops being deleted on arrival after an upgrade.
test('up on an older local stack drops the topics\' own retention.ms and keeps their other settings; a user cluster keeps it', async () => {
  const brokers = await testBrokers();
  const admin = createKafka({ brokers, clientId: 'stack-test', quiet: true }).admin();
  await admin.connect();
  const settings = async (topic: string) => {
    const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'min.insync.replicas', 'cleanup.policy'] }] });
    return Object.fromEntries(r.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, own: e.configSource === 1 }]));
  };
  try {
    const topic = await createTestTopic('old-stack', 1, [{ name: 'retention.ms', value: '604800000' }, { name: 'min.insync.replicas', value: '1' }, { name: 'cleanup.policy', value: 'delete' }]);
    const spec = { ...TOPICS.logs, name: topic };
    assert.deepEqual((await settings(topic))['retention.ms'], { value: '604800000', own: true });
    // Not the local stack (`stack up --brokers`): nothing changes.
    assert.deepEqual(await ensureTopics(brokers, [spec]), []);
    assert.deepEqual((await settings(topic))['retention.ms'], { value: '604800000', own: true });
    await ensureTopics(brokers, [spec], { local: true });
    const after = await settings(topic);
    assert.deepEqual(after['retention.ms'], { value: '-1', own: false }, 'the brokers\' retention (by size) applies');
    assert.deepEqual(after['min.insync.replicas'], { value: '1', own: true });
    assert.deepEqual(after['cleanup.policy'], { value: 'delete', own: true });
    assert.deepEqual(await dropTimeRetention(admin, [topic]), [], 'nothing left to drop');
  } finally {
    await admin.disconnect();
  }
});
