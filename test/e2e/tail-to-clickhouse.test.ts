// The whole path on real parts: lines written to a file, the agent tails them into a real Kafka
// broker, the worker lands them in ClickHouse (chDB), and a client that is not ours (kcat) reads the
// topic back as valid contract JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
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

test('kafka.encoding otlp_proto, one record to a message or 50 (records_per_message): the same lines land the same rows as JSON, and the Collector\'s decoder reads every record on the topic', async () => {
  const { validateAgentConfig } = await import('../../agents/config.ts');
  const { agentFromConfig } = await import('../../agents/from-config.ts');
  const { readTopic } = await import('../helpers/kafka.ts');
  const { pdataDecoder } = await import('../helpers/otlp-pdata.ts');
  const brokers = await testBrokers();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-otlp-'));
  const file = join(dir, 'app.log');
  const now = Date.now();
  // Real lines (a Loghub sample, stamped now: rows dated 2017 would fall to the table's TTL at once),
  // the agent's own shapes, a trace, unicode, and a line past max_record_bytes.
  const loghub = readFileSync(new URL('../fixtures/loghub-2k/OpenStack/OpenStack_2k.log', import.meta.url), 'utf8').split('\n').slice(0, 120);
  const lines = [
    ...loghub.map((l, i) => `${new Date(now - 60_000 + i).toISOString()} ${l}`),
    JSON.stringify({ level: 50, time: now, msg: 'payment failed', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', order: 'o-1' }),
    `${new Date(now).toISOString()} WARN naïve café — 東京 password=hunter2`,
    'level=info msg="logfmt line" user=ana@example.com took=12ms',
    'x'.repeat(6000),
  ];
  appendFileSync(file, lines.join('\n') + '\n');
  const store = await openStore({ driver: 'embedded', path: join(dir, 'store') });
  await migrate(store);
  const topics: Record<string, string> = {};
  try {
    for (const mode of ['json', 'otlp_proto', 'packed'] as const) {
      const encoding = mode === 'packed' ? 'otlp_proto' : mode;
      const logsTopic = (topics[mode] = await createTestTopic(`e2e-${mode}`, 3));
      const cfg = validateAgentConfig({
        kafka: { brokers, topics: { logs: logsTopic }, encoding, max_record_bytes: 4096, ...(mode === 'packed' ? { records_per_message: 50 } : {}) },
        host: { name: 'web-1', resource: { 'deployment.environment': 'test' } },
        state_dir: join(dir, `agent-${mode}`),
        self_metrics: { enabled: false },
        // Multiline off: every line its own record (OpenStack's lines start with a file name, not a stamp).
        sources: { app: { type: 'file', include: [file], service: 'checkout', poll_ms: 50, multiline: { enabled: false } } },
      });
      const agent = agentFromConfig(cfg);
      const worker = new Worker({ brokers, store, logsTopic, metricsTopic: await createTestTopic('e2e-m', 1), dlqTopic: await createTestTopic('e2e-dlq', 1), groupId: `e2e-${mode}-${Date.now()}` });
      try {
        await agent.start();
        await worker.start();
        const count = async () => Number((await store.query<{ n: string }>('SELECT count() AS n FROM logs WHERE kafka_topic = {t:String}', { t: logsTopic }))[0]!.n);
        await until(`${mode} rows stored`, async () => (await count()) === lines.length).catch(async (err: Error) => {
          throw new Error(`${err.message}: ${await count()} of ${lines.length} rows; worker ${JSON.stringify(worker.stats)}; agent sent ${agent.sink.stats.sent}`);
        });
        assert.equal(worker.stats.dead, 0, `${mode}: nothing dead-lettered`);
        assert.equal(agent.sink.stats.sent, lines.length, `${mode}: the agent counts records sent, not messages`);
      } finally {
        await agent.stop();
        await worker.stop();
      }
    }
    const columns = 'time, observed_time, service, host, severity_text, severity_number, body, attributes, resource, trace_id, span_id, source_kind, source_path, source_offset';
    const rowsOf = (t: string) => store.query<Record<string, unknown>>(`SELECT ${columns} FROM logs WHERE kafka_topic = {t:String} ORDER BY source_offset`, { t });
    const json = await rowsOf(topics.json!);
    const otlp = await rowsOf(topics.otlp_proto!);
    const packed = await rowsOf(topics.packed!);
    assert.equal(json.length, lines.length);
    // observed_time is when each agent read the file, and the time of a line without one: the two
    // runs read it at different moments.
    const same = (rows: Array<Record<string, unknown>>) => rows.map(({ observed_time: o, time, ...r }) => ({ ...r, time: time === o ? 'read time' : time }));
    assert.deepEqual(same(otlp), same(json));
    assert.deepEqual(same(packed), same(json));
    assert.ok(otlp.some((r) => r.trace_id === '0af7651916cd43dd8448eb211c80319c' && (r.attributes as Record<string, string>)['tributary.truncated'] === undefined));
    assert.ok(otlp.some((r) => (r.attributes as Record<string, string>)['tributary.truncated'] === '6000'), 'the long line was cut to max_record_bytes');
    assert.ok(otlp.every((r) => !String(r.body).includes('hunter2')), 'redaction ran before encoding');
  } finally {
    await store.close();
  }
  // On the topic: the protobuf content type on every record, and values the Collector's pdata reads.
  const messages = await readTopic(topics.otlp_proto!, { expected: lines.length });
  assert.equal(messages.length, lines.length);
  assert.ok(messages.every((m) => m.headers['content-type'] === 'application/x-protobuf'));
  const decoded = (await (await pdataDecoder())(messages.map((m) => m.value))) as Array<{ resourceLogs: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> } }> }>;
  assert.equal(decoded.length, lines.length);
  for (const d of decoded) {
    const resource = Object.fromEntries(d.resourceLogs[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.deepEqual(resource, { 'service.name': 'checkout', 'host.name': 'web-1', 'deployment.environment': 'test' });
  }
  // Packed: fewer messages (each within max_record_bytes, 4096 here: about a dozen of these lines),
  // each one request of up to 50 records the Collector's pdata reads.
  const packedMessages = await readTopic(topics.packed!, { idleMs: 1500 });
  assert.ok(packedMessages.length <= lines.length / 4, `${packedMessages.length} messages for ${lines.length} records`);
  assert.ok(packedMessages.every((m) => m.value.length <= 4096));
  const packedDecoded = (await (await pdataDecoder())(packedMessages.map((m) => m.value))) as Array<{ resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> }>;
  assert.equal(packedDecoded.reduce((n, d) => n + d.resourceLogs.reduce((k, rl) => k + rl.scopeLogs.reduce((j, sl) => j + sl.logRecords.length, 0), 0), 0), lines.length);
});
