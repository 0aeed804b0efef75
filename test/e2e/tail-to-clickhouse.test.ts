// The whole path on real parts: lines written to a file, the agent tails them into a real Kafka
// broker, the worker lands them in ClickHouse (chDB), and a client that is not ours (kcat) reads the
// topic back as valid contract JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../agents/agent.ts';
import { FileSource } from '../../agents/sources/file.ts';
import { Worker } from '../../pipeline/worker.ts';
import { openStore } from '../../core/storage/open.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { createTestTopic, testBrokers } from '../helpers/kafka.ts';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('every line written to a tailed file is in ClickHouse after going through the real broker', async () => {
  const brokers = await testBrokers();
  const logsTopic = await createTestTopic('e2e-logs', 3);
  const metricsTopic = await createTestTopic('e2e-metrics', 1);
  const dlqTopic = await createTestTopic('e2e-dlq', 1);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
  const file = join(dir, 'app.log');
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) lines.push(JSON.stringify({ level: i % 30 === 0 ? 50 : 30, time: Date.now(), msg: `order ${i} placed`, order_id: `o-${i}` }));
    else if (i % 3 === 1) lines.push(`${new Date().toISOString()} INFO request ${i} served in ${i % 17} ms`);
    else lines.push(`{"broken json line ${i}`); // malformed: kept as a plain body, never dropped
  }
  appendFileSync(file, lines.slice(0, 150).join('\n') + '\n');

  const store = await openStore({ driver: 'embedded', path: join(dir, 'store') });
  await migrate(store);
  const agent = new Agent({
    sink: { brokers, logsTopic, metricsTopic, lingerMs: 5 },
    sources: [new FileSource('app', { include: [join(dir, '*.log')], service: 'checkout', host: 'web-1', stateDir: join(dir, 'agent'), pollMs: 50 })],
  });
  const worker = new Worker({ brokers, store, logsTopic, metricsTopic, dlqTopic, groupId: `e2e-${Date.now()}` });
  try {
    await agent.start();
    await worker.start();
    await sleep(300);
    appendFileSync(file, lines.slice(150).join('\n') + '\n'); // lines that arrive while both run
    await until('all rows stored', () => worker.stats.stored >= lines.length);

    const rows = await store.query<{ body: string; service: string; host: string; severity_text: string; source_offset: number }>(
      'SELECT body, service, host, severity_text, source_offset FROM logs WHERE kafka_topic = {t:String} ORDER BY source_offset',
      { t: logsTopic },
    );
    assert.equal(rows.length, lines.length, 'one row per line, no more, no less');
    // The body is the message alone: JSON's msg, the text after a line's stamp and level; broken lines stay whole.
    const expectedBodies = lines.map((l) => (l.startsWith('{"level"') ? (JSON.parse(l) as { msg: string }).msg : l.startsWith('{') ? l : l.replace(/^\S+ INFO /, '')));
    assert.deepEqual(rows.map((r) => r.body), expectedBodies);
    assert.ok(rows.every((r) => r.service === 'checkout' && r.host === 'web-1'));
    assert.equal(rows.filter((r) => r.severity_text === 'ERROR').length, 10);
    assert.equal(worker.stats.dead, 0);
  } finally {
    await agent.stop();
    await worker.stop();
    await store.close();
  }

  // A client that is not ours reads the same records, and each is valid JSON per the contract.
  const kcat = spawnSync('kcat', ['-b', brokers[0]!, '-t', logsTopic, '-C', '-e', '-q', '-f', '%k\t%s\n'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(kcat.status, 0, `kcat failed: ${kcat.stderr}`);
  const records = kcat.stdout.trim().split('\n');
  assert.equal(records.length, lines.length);
  for (const rec of records) {
    const [key, value] = [rec.slice(0, rec.indexOf('\t')), rec.slice(rec.indexOf('\t') + 1)];
    assert.equal(key, 'checkout|web-1', 'logs are keyed by service|host');
    const r = JSON.parse(value) as Record<string, unknown>;
    assert.equal(r.v, 1);
    assert.ok(!Number.isNaN(Date.parse(r.time as string)));
    assert.equal(typeof r.body, 'string');
    assert.equal(typeof r.severity_number, 'number');
    assert.equal((r.origin as { kind: string }).kind, 'file');
    assert.equal(typeof (r.origin as { offset: number }).offset, 'number');
  }
});
