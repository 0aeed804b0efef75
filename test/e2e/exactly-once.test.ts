// Exactly once from a file line to a row, through crashes of either side: the real agent is killed
// with SIGKILL three times while it ships 5,000 lines/s (each time it re-sends what Kafka acknowledged
// after its last checkpoint), then the real worker is killed once; ClickHouse holds every line once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { tempDir, writeAtRate } from '../agents/harness.ts';
import { createTestTopic, testBrokers } from '../helpers/kafka.ts';
import { agentConfig, kill9, landedLines, producedTo, spawnAgent, spawnWorker, stopGently, waitDrained } from '../helpers/exactly-once.ts';

const LINE = 100;

test('agent kill -9 three times mid-stream, then worker kill -9 once: every line lands exactly once', async (t) => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('eo-logs', 3);
  const metricsTopic = await createTestTopic('eo-metrics');
  const dlqTopic = await createTestTopic('eo-dlq');
  const dir = tempDir('tributary-eo-');
  const file = join(dir, 'app.log');
  writeFileSync(file, '');
  const config = agentConfig(dir, { brokers, file, logsTopic, metricsTopic, service: 'eo' });
  const store = join(dir, 'store');
  const workerOptions = { brokers, logsTopic, metricsTopic, dlqTopic, groupId: `eo-${Date.now()}` };
  const total = 20_000;
  let agent = spawnAgent(config);
  let worker = spawnWorker(workerOptions, store);
  const kills: string[] = [];
  // Kills follow what the agent shipped, not what was written: a restarting agent has nothing in
  // flight to re-send, and on a busy machine the agent may trail the writer by seconds.
  const shippedTo = async (n: number) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const produced = await producedTo(brokers, logsTopic);
      if (produced >= n) return produced;
      if (Date.now() > deadline) throw new Error(`the agent did not ship ${n} records in time (${produced})`);
      await sleep(100);
    }
  };
  try {
    const orchestrate = (async () => {
      for (const at of [0.2, 0.4, 0.6].map((f) => Math.floor(total * f))) {
        kills.push(`agent after ${await shippedTo(at)} records`);
        await kill9(agent);
        agent = spawnAgent(config);
      }
      kills.push(`worker after ${await shippedTo(Math.floor(total * 0.8))} records`);
      await kill9(worker);
      worker = spawnWorker(workerOptions, store);
    })();
    await Promise.all([writeAtRate(() => file, 'e', total, 5000, undefined, LINE), orchestrate]);
    const produced = await waitDrained(brokers, logsTopic, worker);
    t.diagnostic(`kills: ${kills.join('; ')}`);
    t.diagnostic(`${total} lines written; ${produced} records produced (${produced - total} re-sent after the agent's kills)`);
    assert.ok(produced > total, 'the kills made the agent send lines again (else this proves nothing)');
  } finally {
    await stopGently(agent);
    await stopGently(worker);
  }
  const landed = await landedLines(store, logsTopic, LINE, total);
  assert.deepEqual(landed.missing.slice(0, 20), [], `${landed.missing.length} lines missing`);
  assert.deepEqual(landed.doubled.slice(0, 20), [], `${landed.doubled.length} lines landed more than once`);
  assert.equal(landed.rows, total);
  assert.equal(await producedTo(brokers, logsTopic) > total, true);
});
