// bench:agent's clients-alone rows against the real test broker: a run resolves only once Kafka holds
// every line of the file (the rate it reports would otherwise count lines still on their way). The
// project's own two clients only: the others are installed for the benchmark alone (bench/clients).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENTS, fileBatches } from '../../bench/clients/produce.ts';
import { createKafka, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { testBrokers } from '../helpers/kafka.ts';

const brokers = await testBrokers();

test('fileBatches gives every line once, in order, in batches of the size asked, the last line without a newline too', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-produce-'));
  try {
    const file = join(work, 'lines.log');
    writeFileSync(file, Array.from({ length: 12_001 }, (_, i) => `line ${i}`).join('\n'));
    const batches = [...fileBatches(file, 5000)];
    assert.deepEqual(batches.map((b) => b.length), [5000, 5000, 2001]);
    assert.deepEqual(batches.flat(), Array.from({ length: 12_001 }, (_, i) => `line ${i}`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

for (const client of ['native', 'kafkajs'] as const) {
  test(`the ${client} client's run resolves with every line of the file in the topic, timed from after its connection`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'tributary-produce-'));
    const admin = createKafka({ brokers, clientId: 'produce-test' }).admin();
    await admin.connect();
    const topic = `bench-produce-${client}-${randomBytes(4).toString('hex')}`;
    try {
      const file = join(work, 'lines.log');
      const lines = 23_456;
      writeFileSync(file, Array.from({ length: lines }, (_, i) => `${i} ${'x'.repeat(200)}`).join('\n') + '\n');
      await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
      await waitForTopicLeaders(admin, [topic], 30_000);
      let begun = 0;
      const close = await CLIENTS[client]!({ file, brokers: brokers[0]!, topic, begin: () => begun++ });
      // Counted before closing: a close that flushes would hide a run that returned early.
      const stored = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      await close();
      assert.equal(begun, 1);
      assert.equal(stored, lines);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      rmSync(work, { recursive: true, force: true });
    }
  });
}
