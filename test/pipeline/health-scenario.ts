// The worker's health scenario, run as a child process by health.test.ts (which checks that this
// process then exits on its own): a real worker, the real broker and chDB; /metrics carries the
// pipeline_stats names and the lag per partition, /readyz turns red within 10 s of the broker stopping
// and green again after it restarts; a corrupt miner snapshot and a garbled landing intent are said,
// counted and passed over. A failed assertion ends it with a non-zero code and its message on stderr.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from '../../pipeline/worker.ts';
import { serveWorkerHealth } from '../../pipeline/health.ts';
import { openStore } from '../../core/storage/open.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { PipelineState } from '../../pipeline/sinks/clickhouse/state.ts';
import { ClickHouseSink } from '../../pipeline/sinks/clickhouse/sink.ts';
import { log } from '../../core/log.ts';
import { createTestTopic, restartTestBroker, stopTestBroker, testBrokers } from '../helpers/kafka.ts';
import { baseTime, makeLogs, produce } from '../helpers/pipeline-data.ts';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

async function main(): Promise<void> {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('wh-logs', 2);
  const metricsTopic = await createTestTopic('wh-metrics', 1);
  const dlqTopic = await createTestTopic('wh-dlq', 1);
  const store = await openStore({ driver: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'tributary-wh-')), 'store') });
  await migrate(store);
  const groupId = `wh-${Date.now()}`;
  // What a crash and a bad disk might leave: half a snapshot, and an intent cut mid-write.
  const state = new PipelineState(store, new ClickHouseSink(store, log('test')), 'test');
  await state.put(`miner/${groupId}`, '{"miner": {"clusters": [ {"id": "ab');
  await state.put(`intent/${logsTopic}/0`, '1200-');
  const records = makeLogs(400, { base: baseTime(), spanMs: 60_000 });
  await produce(logsTopic, records.map((r) => ({ key: r.key, value: r.value, partition: Number(r.key.slice(4)) % 2 })));

  const worker = new Worker({ brokers, store, groupId, logsTopic, metricsTopic, dlqTopic });
  await worker.start();
  const health = await serveWorkerHealth(worker, '127.0.0.1:0', { brokers, store, topics: [logsTopic], probeIntervalMs: 1000 });
  const base = `http://127.0.0.1:${health.server.port}`;
  const ready = async () => (await fetch(`${base}/readyz`)).status === 200;
  let brokerStopped = false;
  try {
    await until('all records stored', () => worker.stats.stored >= records.length);
    assert.equal(worker.stats.stateRebuilt, 1, 'the miner snapshot was unreadable');
    assert.equal(worker.stats.badIntents, 1, 'the intent was unreadable');
    const landed = await store.query<{ c: string }>('SELECT count() AS c, uniqExact(kafka_partition, kafka_offset) AS u FROM logs WHERE kafka_topic = {t:String}', { t: logsTopic });
    assert.equal(Number(landed[0]!.c), records.length);

    await until('readyz to be green', ready);
    // The next stats tick has run by now; the counters are cumulative.
    await sleep(1200);
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, new RegExp(`^tributary_records_out_total\\{stage="store"\\} ${records.length}$`, 'm'));
    assert.match(text, /^tributary_records_in_total\{stage="consume"\} 400$/m);
    assert.match(text, /^tributary_duplicate_records_total\{stage="decode"\} 0$/m);
    assert.match(text, /^tributary_state_rebuilt_total\{stage="store"\} 2$/m);
    assert.match(text, new RegExp(`^tributary_consumer_lag\\{stage="consume",topic="${logsTopic}",partition="0"\\} 0$`, 'm'));
    assert.match(text, /^# TYPE tributary_batch_ms gauge$/m);

    await stopTestBroker();
    brokerStopped = true;
    const tookMs = await until('readyz to turn red', async () => !(await ready()), 10_000);
    process.stdout.write(`diagnostic: the worker's readyz turned red ${tookMs} ms after the broker stopped\n`);
    const body = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
    assert.equal(body.checks.kafka!.ok, false);
    assert.equal(body.checks.store!.ok, true);
    await restartTestBroker();
    brokerStopped = false;
    await until('readyz to be green again', ready, 60_000);
  } finally {
    if (brokerStopped) await restartTestBroker();
    await health.close();
    await worker.stop();
    await store.close();
  }
}

await main();
// Everything is closed: from here the process must end by itself (health.test.ts times it).
process.stdout.write('DONE\n');
