// The other direction of OTLP over Kafka: the OpenTelemetry Collector (our build of upstream 0.165,
// bench/otelcol) tails a file with its filelog receiver and writes it with its kafka exporter
// (encoding otlp_proto: one ExportLogsServiceRequest per batch of records, no content-type header),
// and our worker lands every record in ClickHouse: each Kafka record's several log records go through
// the stream one by one. Real broker, real Collector process, chDB.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureOtelcol, metricSum, startOtelcol } from '../../bench/otelcol/run.ts';
import { Worker } from '../../pipeline/worker.ts';
import { openStore } from '../../core/storage/open.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';

before(() => {
  ensureOtelcol();
}, { timeout: 900_000 });

test('records the Collector writes to Kafka (otlp_proto, many per message) land in ClickHouse, one row each', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('otelcol-in', 3);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-otelcol-'));
  const file = join(dir, 'app.log');
  // Loghub lines (HDFS): the Collector without operators keeps each line whole as the body and stamps
  // only its observed time (now, inside the table's TTL), and names no service.
  const loghub = readFileSync(new URL('../fixtures/loghub-2k/HDFS/HDFS_2k.log', import.meta.url), 'utf8').split(/\r?\n/).filter(Boolean).slice(0, 300);
  const lines = [...loghub, 'naïve café — 東京 ✓', 'x'.repeat(3000)];
  writeFileSync(file, lines.join('\n') + '\n');
  const collector = await startOtelcol('filelog-kafka.yaml', { OTELCOL_FILE: file, OTELCOL_BROKERS: brokers[0]!, OTELCOL_TOPIC: topic, OTELCOL_ENCODING: 'otlp_proto' });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      collector.checkAlive();
      const sent = metricSum((await collector.scrape()) ?? '', 'otelcol_exporter_sent_log_records');
      if (sent === lines.length) break;
      if (Date.now() > deadline) throw new Error(`the Collector sent ${sent} of ${lines.length} records: ${collector.stderr()}`);
      await sleep(100);
    }
  } finally {
    await collector.stop();
  }
  const messages = await readTopic(topic, { idleMs: 1000 });
  assert.ok(messages.length < lines.length, `the Collector batches records: ${messages.length} messages for ${lines.length} lines`);
  assert.ok(messages.every((m) => m.headers['content-type'] === undefined), 'no content-type header: the worker must recognise OTLP by its bytes');

  const store = await openStore({ driver: 'embedded', path: join(dir, 'store') });
  await migrate(store);
  const worker = new Worker({ brokers, store, logsTopic: topic, metricsTopic: await createTestTopic('otelcol-m', 1), dlqTopic: await createTestTopic('otelcol-dlq', 1), groupId: `otelcol-${Date.now()}` });
  try {
    await worker.start();
    const count = async () => Number((await store.query<{ n: string }>('SELECT count() AS n FROM logs WHERE kafka_topic = {t:String}', { t: topic }))[0]!.n);
    const deadline = Date.now() + 60_000;
    while ((await count()) < lines.length && Date.now() < deadline) await sleep(200);
    const rows = await store.query<{ body: string; service: string; source_kind: string; attributes: Record<string, string>; kafka_offset: string }>(
      'SELECT body, service, source_kind, attributes, kafka_offset FROM logs WHERE kafka_topic = {t:String}',
      { t: topic },
    );
    assert.equal(worker.stats.dead, 0, 'nothing dead-lettered');
    assert.equal(rows.length, lines.length, `rows: ${rows.length}, distinct bodies ${new Set(rows.map((r) => r.body)).size}, messages ${messages.length}`);
    const got = new Set(rows.map((r) => r.body));
    assert.deepEqual(lines.filter((l) => !got.has(l)).map((l) => l.slice(0, 80)), [], 'lines missing');
    assert.deepEqual(rows.map((r) => r.body).sort(), [...lines].sort(), 'every line once, whole');
    // No service.name on the Collector's records: OpenTelemetry's fallback name.
    assert.ok(rows.every((r) => r.service === 'unknown_service' && r.source_kind === 'otlp' && r.attributes['log.file.name'] === 'app.log'));
    assert.ok(new Set(rows.map((r) => r.kafka_offset)).size < rows.length, 'several rows share one Kafka record');
  } finally {
    await worker.stop();
    await store.close();
  }
});
