// The agent's health endpoints on a real agent and the real broker: metrics count what was shipped,
// and /readyz turns red within 10 s of the broker stopping (with nothing flowing), green again after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../agents/agent.ts';
import { FileSource } from '../../agents/sources/file.ts';
import { serveAgentHealth } from '../../agents/health.ts';
import { createKeep, newCounters } from '../../agents/record-builder.ts';
import { createTestTopic, restartTestBroker, stopTestBroker, testBrokers } from '../helpers/kafka.ts';
import { tempDir, writeSeq } from './harness.ts';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

test('metrics count the shipped lines; readyz is red within 10 s of the broker stopping and green after it is back', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('health-logs', 2);
  const metricsTopic = await createTestTopic('health-metrics', 1);
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeSeq(file, 'h', 0, 300);
  // And 30 lines a filter drops: read, not handed on.
  writeSeq(file, 'noise', 0, 30);
  const counters = newCounters();
  const agent = new Agent({
    sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 },
    sources: [new FileSource('app', { include: [file], service: 'health', host: 'h1', stateDir: join(dir, 'state'), pollMs: 50 })],
    selfMetrics: false,
    counters,
    keep: { app: createKeep(counters, { source: 'app', filter: [{ drop: [{ body: '^seq noise ' }] }] })! },
  });
  await agent.start();
  const health = await serveAgentHealth(agent, '127.0.0.1:0', { probeIntervalMs: 1000 });
  const base = `http://127.0.0.1:${health.server.port}`;
  const ready = async () => (await fetch(`${base}/readyz`)).status === 200;
  let brokerStopped = false;
  try {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await until('the agent to ship 300 lines and drop 30', async () => agent.sink.stats.sent >= 300 && counters.filtered.app === 30);
    await until('readyz to be green', ready);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^tributary_records_out_total\{stage="ship"\} 300$/m);
    assert.match(text, /^tributary_records_in_total\{stage="read"\} 330$/m);
    assert.match(text, /^tributary_records_out_total\{stage="read"\} 300$/m);
    assert.match(text, /^tributary_records_filtered_total\{source="app"\} 30$/m);
    assert.match(text, /^tributary_lines_read_total\{source="app"\} 330$/m);
    assert.match(text, /^tributary_checkpoint_write_failures_total\{source="app"\} 0$/m);
    assert.match(text, /^tributary_buffer_fill\{buffer="memory"\} 0$/m);
    assert.match(text, /^tributary_records_dropped_total\{stage="ship"\} 0$/m);

    await stopTestBroker();
    brokerStopped = true;
    const tookMs = await until('readyz to turn red', async () => !(await ready()), 10_000);
    const body = (await (await fetch(`${base}/readyz`)).json()) as { checks: { kafka: { ok: boolean; detail: string } } };
    assert.equal(body.checks.kafka.ok, false);
    assert.match(body.checks.kafka.detail, new RegExp(`Kafka at ${brokers[0]!.replace(/\./g, '\\.')} did not answer`));
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'alive all the same');
    process.stderr.write(`readyz turned red ${tookMs} ms after the broker stopped\n`);

    await restartTestBroker();
    brokerStopped = false;
    await until('readyz to be green again', ready, 60_000);
  } finally {
    if (brokerStopped) await restartTestBroker();
    await health.close();
    await agent.stop();
  }
});
