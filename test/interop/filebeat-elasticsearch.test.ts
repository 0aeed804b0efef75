// Filebeat, Elastic's own shipper, sends to the agent's Elasticsearch intake as it sends to an
// Elasticsearch: version 7.17.29 built from its Go module as Elastic builds it (test/interop/filebeat,
// its main.go; Beats' replace directives in go.mod) tails a file with its filestream input and ships it
// with its elasticsearch output (basic authentication, gzip, bulk requests of 250), and the agent ships
// each document into a real Kafka topic. Filebeat asks GET / and GET /_license before it sends a thing;
// then every line must arrive once, parsed as the agent parses it from the file.
//
// The build: seconds with Go's caches warm; the first one on a machine downloads and compiles Beats'
// modules (1.8 min here with the modules already downloaded, 2.3 min with none).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agents/agent.ts';
import { ElasticsearchSource } from '../../agents/sources/elasticsearch.ts';
import { createRecordBuilder, newCounters } from '../../agents/record-builder.ts';
import { RecordPool } from '../../agents/record-pool.ts';
import { log } from '../../core/log.ts';
import { buildGo } from '../helpers/go-build.ts';
import { createTestTopic, testBrokers } from '../helpers/kafka.ts';
import { readLogs } from '../agents/harness.ts';

let filebeat = '';
before(async () => {
  filebeat = await buildGo('test/interop/filebeat', 'dist/filebeat/filebeat', '.', 'the Filebeat interop test (test/interop/filebeat-elasticsearch.test.ts)');
}, { timeout: 900_000 });

const LINES = 1200;

/** Line `i` of the file Filebeat tails: a log4j line with its logger's line, a pino JSON line, or a line with no stamp. */
function line(i: number): string {
  const stamp = new Date(Date.UTC(2026, 11, 7, 9, 0, 0) + i * 1000);
  if (i % 3 === 0) return `${stamp.toISOString().replace('T', ' ').replace('Z', '').replace('.', ',')} ${i % 30 === 0 ? 'ERROR' : 'INFO '} [worker-${i % 4}] com.acme.orders.OrderService:42 - order ${i} processed`;
  if (i % 3 === 1) return JSON.stringify({ level: 30, time: stamp.getTime(), pid: 7, hostname: 'app-1', msg: `cart ${i} updated`, cart: { items: i % 5 } });
  return `order ${i} waits for stock`;
}

test('Filebeat 7.17 tails a file and ships it to the Elasticsearch intake: every line once into Kafka, parsed as from the file, with Filebeat\'s fields around it', { timeout: 300_000 }, async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('filebeat', 3);
  const dir = mkdtempSync(join(tmpdir(), 'filebeat-'));
  const file = join(dir, 'app.log');
  writeFileSync(file, Array.from({ length: LINES }, (_, i) => line(i) + '\n').join(''));
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const source = new ElasticsearchSource('beats', { port: 0, username: 'filebeat', password: 's3cret', service: 'shop', hostName: 'agent-host', toRecord: createRecordBuilder(counters), threads: { pool, builder: pool.addBuilder({}) } });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const config = join(dir, 'filebeat.yml');
  writeFileSync(config, [
    'filebeat.inputs:',
    '  - type: filestream',
    '    id: app',
    `    paths: ["${file}"]`,
    'output.elasticsearch:',
    `  hosts: ["http://127.0.0.1:${source.port}"]`,
    '  username: filebeat',
    '  password: s3cret',
    '  bulk_max_size: 250',
    '  compression_level: 1',
    // What the intake is not (an index template, an ILM policy): Filebeat is told not to set them up.
    'setup.template.enabled: false',
    'setup.ilm.enabled: false',
    'queue.mem.flush.timeout: 0.1s',
    `path.data: ${join(dir, 'data')}`,
    `path.logs: ${join(dir, 'logs')}`,
    'logging.level: info',
    '',
  ].join('\n'));
  let output = '';
  const child = spawn(filebeat, ['-c', config, '-e', '--strict.perms=false', '--path.home', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let records;
  try {
    records = await readLogs(topic, LINES, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\nFilebeat said:\n${output.slice(-4000)}`);
    });
    // Nothing more after every line arrived (a resend would show as a duplicate).
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await agent.stop();
    await pool.close();
  }
  const all = await readLogs(topic, LINES, 5_000);
  assert.equal(all.length, LINES, 'every line once, none twice');
  assert.match(output, /Connection to backoff\(elasticsearch\(http:\/\/127\.0\.0\.1:\d+\)\) established/, 'Filebeat connected (its version and license checks passed)');
  const seen = new Set<number>();
  for (const r of records) {
    const i = Number(/(?:order|cart) (\d+)/.exec(r.body)?.[1]);
    assert.ok(Number.isInteger(i) && !seen.has(i), `line ${i} once: ${r.body}`);
    seen.add(i);
    assert.equal(r.attributes['log.file.path'], file);
    assert.equal(r.attributes['agent.type'], 'filebeat');
    assert.equal(r.attributes['agent.version'], '7.17.29');
    assert.match(r.attributes['elasticsearch.index'] ?? '', /^filebeat-7\.17\.29-\d{4}\.\d{2}\.\d{2}$/);
    assert.equal(r.origin.kind, 'elasticsearch');
    const stamp = new Date(Date.UTC(2026, 11, 7, 9, 0, 0) + i * 1000).toISOString();
    if (i % 3 === 0) {
      assert.equal(r.body, `order ${i} processed`);
      assert.equal(r.time, stamp, 'the line\'s own time');
      assert.equal(r.severity_text, i % 30 === 0 ? 'ERROR' : 'INFO');
      assert.deepEqual([r.attributes['thread.name'], r.attributes['log.logger'], r.attributes['code.line.number']], [`worker-${i % 4}`, 'com.acme.orders.OrderService', '42']);
    } else if (i % 3 === 1) {
      assert.equal(r.body, `cart ${i} updated`);
      assert.equal(r.time, stamp);
      assert.equal(r.severity_text, 'INFO', 'pino level 30');
      assert.equal(r.attributes['cart.items'], String(i % 5));
    } else {
      assert.equal(r.body, `order ${i} waits for stock`);
      assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < 300_000, `no stamp of its own: Filebeat's time of reading (${r.time})`);
    }
  }
  assert.equal(source.stats.documents, LINES);
  assert.ok(source.stats.requests >= LINES / 250, `bulk requests of at most 250 (${source.stats.requests})`);
  assert.equal(source.stats.bad_items, 0);
});
