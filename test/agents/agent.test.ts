import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type MetricPoint } from '../../core/contracts/records.ts';
import { createTestTopic, readTopic, restartTestBroker, stopTestBroker, testBrokers } from '../helpers/kafka.ts';
import { checkSeq, readLogs, startFileAgent, tempDir, until, writeAtRate, writeSeq } from './harness.ts';

await testBrokers();

const root = fileURLToPath(new URL('../..', import.meta.url));

function spawnAgent(config: string): ChildProcess {
  return spawn(process.execPath, [join(root, 'bin/tributary.js'), 'agent', '--config', config], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

test('kill -9 of the agent mid-stream, then restart: no gap, duplicates at most what was in flight', async (t) => {
  const brokers = await testBrokers();
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const logsTopic = await createTestTopic('kill9-logs', 3);
  const metricsTopic = await createTestTopic('kill9-metrics');
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      'service: { name: kill9 }',
      `kafka: { brokers: ${JSON.stringify(brokers)}, topics: { logs: ${logsTopic}, metrics: ${metricsTopic} }, batch: { linger_ms: 5 } }`,
      `state_dir: ${join(dir, 'state')}`,
      'self_metrics: { enabled: true, interval_ms: 1000 }',
      'sources:',
      `  app: { type: file, include: [${path}], poll_ms: 100, multiline: false }`,
      '',
    ].join('\n'),
  );
  const total = 30_000;
  const rate = 5000;
  let child = spawnAgent(config);
  // The first line shipped before the stream starts: an agent still starting (on a fresh clone its
  // first start builds its bundle) would read a backlog in its first second, before its first
  // checkpoint write, and the bound below is about a running agent.
  writeSeq(path, 'k', 0, 1);
  await readLogs(logsTopic, 1, 60_000);
  let killedAt = 0;
  await writeAtRate(
    () => path,
    'k',
    total,
    rate,
    async (written) => {
      if (killedAt === 0 && written >= total / 2) {
        killedAt = written;
        child.kill('SIGKILL');
        await once(child, 'exit');
        child = spawnAgent(config);
      }
    },
    100,
    1,
  );
  const records = await readLogs(logsTopic, total, 90_000);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  const report = checkSeq(records, { k: total })['k']!;
  t.diagnostic(`killed after ${killedAt} lines; read back ${report.count}, duplicates ${report.duplicates} (lines acknowledged after the last checkpoint write)`);
  assert.equal(report.missingCount, 0, `missing: ${report.missing.join(',')}`);
  // Checkpoints are written at least every second: at 5,000 lines/s at most about that many lines
  // were acknowledged but not yet checkpointed when the process died.
  assert.ok(report.duplicates <= rate * 2, `${report.duplicates} duplicates`);
  assert.equal(code, 0, 'SIGTERM ends the agent cleanly');
  const metrics = (await readTopic(metricsTopic, { idleMs: 1000, timeoutMs: 15_000 })).map((m) => JSON.parse(m.value.toString()) as MetricPoint);
  const sent = metrics.filter((p) => p.name === 'tributary.agent.sink.sent');
  assert.ok(sent.length > 0, 'the agent sends its own counters');
  assert.equal(sent[0]!.service, 'tributary-agent');
  assert.equal(sent[0]!.kind, 'counter');
});

test('Kafka stopped for 20 s, then started: memory fills, the disk buffer fills, reading pauses, and nothing is lost', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const a = await startFileAgent(
    { include: [path], stateDir: join(dir, 'state') },
    { maxBufferedEvents: 2000, diskBuffer: { dir: join(dir, 'buffer'), maxBytes: 2 * 1024 * 1024, segmentBytes: 256 * 1024 } },
  );
  const total = 25_000;
  const writing = writeAtRate(() => path, 'o', total, 1000);
  await until(() => a.agent.sink.stats.sent >= 2000, 20_000, 'first lines');
  await stopTestBroker();
  const stoppedAt = Date.now();
  await sleep(20_000);
  const during = { ...a.agent.sink.stats };
  await restartTestBroker();
  t.diagnostic(`broker down ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s; during the outage: buffered=${during.buffered} spilled=${during.spilled} diskRefusals=${during.diskRefusals} backpressureWaits=${during.backpressureWaits}`);
  await writing;
  const records = await readLogs(a.topic, total, 120_000);
  await a.agent.stop();
  const report = checkSeq(records, { o: total })['o']!;
  t.diagnostic(`read back ${report.count}, duplicates ${report.duplicates}`);
  assert.equal(report.missingCount, 0, `missing: ${report.missing.join(',')}`);
  assert.ok(during.buffered <= 2000 + 2000, 'memory stayed within its bound');
  assert.ok(during.spilled > 0, 'the disk buffer took over');
  assert.ok(during.diskRefusals > 0 && during.backpressureWaits > 0, 'then reading paused');
  assert.equal(a.agent.sink.stats.dropped, 0);
  assert.equal(a.agent.sink.stats.diskBuffered, 0);
});

test('a missing metrics topic switches the agent counters off instead of holding the logs back', async () => {
  const brokers = await testBrokers();
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const logsTopic = await createTestTopic('nometrics-logs');
  const { Agent } = await import('../../agents/agent.ts');
  const { FileSource } = await import('../../agents/sources/file.ts');
  const agent = new Agent({
    sink: { brokers, logsTopic, metricsTopic: `missing-${Date.now()}`, lingerMs: 5 },
    sources: [new FileSource('files', { include: [path], service: 'm', host: 'h', stateDir: join(dir, 'state'), pollMs: 100 })],
    selfMetrics: { intervalMs: 100 },
  });
  await agent.start();
  await sleep(500);
  await writeAtRate(() => path, 'm', 500, 5000);
  const records = await readLogs(logsTopic, 500);
  await agent.stop();
  assert.equal(checkSeq(records, { m: 500 })['m']!.missingCount, 0);
});

test('with a disk buffer, lines read while Kafka is down survive a kill -9 and arrive once Kafka is back', async (t) => {
  const brokers = await testBrokers();
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const logsTopic = await createTestTopic('diskcrash-logs');
  const metricsTopic = await createTestTopic('diskcrash-metrics');
  const total = 3000;
  writeSeq(path, 'd', 0, total);
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      'service: { name: diskcrash }',
      `kafka: { brokers: ${JSON.stringify(brokers)}, topics: { logs: ${logsTopic}, metrics: ${metricsTopic} }, batch: { linger_ms: 5, max_events: 100 } }`,
      `state_dir: ${join(dir, 'state')}`,
      'self_metrics: { enabled: false }',
      'buffer: { memory: { max_events: 100 }, disk: { enabled: true, max_bytes: 67108864 } }',
      'sources:',
      `  app: { type: file, include: [${path}], poll_ms: 100, multiline: false }`,
      '',
    ].join('\n'),
  );
  await stopTestBroker();
  let child = spawnAgent(config);
  const checkpoint = join(dir, 'state', 'checkpoints-app.json');
  const size = statSync(path).size;
  // The checkpoint reaches the end of the file although Kafka is down: the disk buffer holds the lines.
  await until(() => {
    try {
      return (JSON.parse(readFileSync(checkpoint, 'utf8')) as { files: Array<{ offset: number }> }).files.some((f) => f.offset === size);
    } catch {
      return false;
    }
  }, 30_000, 'the checkpoint to reach the end of the file');
  child.kill('SIGKILL');
  await once(child, 'exit');
  await restartTestBroker();
  child = spawnAgent(config);
  const records = await readLogs(logsTopic, total, 90_000);
  child.kill('SIGTERM');
  await once(child, 'exit');
  const report = checkSeq(records, { d: total })['d']!;
  t.diagnostic(`read back ${report.count}, duplicates ${report.duplicates}`);
  assert.equal(report.missingCount, 0, `missing: ${report.missing.join(',')}`);
  assert.ok(report.duplicates <= 100, 'at most the memory buffer is read twice');
});

test('real logs: the eight raw Loghub samples through `tributary agent` arrive whole and once; a last line without its newline waits for it', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('loghub-agent', 3);
  const fixtures = join(root, 'test/fixtures/loghub-2k');
  const systems = ['BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux', 'OpenStack', 'Proxifier'];
  const files = systems.map((s) => join(fixtures, s, `${s}_2k.log`));
  // Each file's line starts, and which of its lines end with a newline (six of the eight files do not end with one).
  const raw = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const complete = new Map<string, number[]>();
  for (const [f, text] of raw) {
    const starts: number[] = [];
    for (let at = 0, nl = text.indexOf('\n'); nl >= 0; at = nl + 1, nl = text.indexOf('\n', at)) starts.push(Buffer.byteLength(text.slice(0, at)));
    complete.set(f, starts);
  }
  const want = [...complete.values()].reduce((n, s) => n + s.length, 0);
  assert.equal(want, 16_000 - 6);
  const dir = tempDir();
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, JSON.stringify({ kafka: { brokers, topics: { logs: topic } }, state_dir: join(dir, 'state'), self_metrics: { enabled: false }, sources: Object.fromEntries(systems.map((s, i) => [s.toLowerCase(), { type: 'file', include: [files[i]], service: s }])) }));
  const agent = spawnAgent(config);
  try {
    const back = await readTopic(topic, { expected: want, timeoutMs: 120_000 });
    // A moment more: the six unfinished last lines must not follow.
    await sleep(1500);
    const all = await readTopic(topic, { expected: want + 1, timeoutMs: 2000 });
    assert.equal(all.length, want, 'an unfinished last line was sent');
    const seen = new Map<string, number[]>();
    let masked = 0;
    for (const m of back) {
      const r = JSON.parse(m.value.toString()) as { body: string; service: string; origin: { kind: string; path: string; offset: number } };
      assert.equal(r.origin.kind, 'file');
      (seen.get(r.origin.path) ?? seen.set(r.origin.path, []).get(r.origin.path)!).push(r.origin.offset);
      const text = raw.get(r.origin.path)!;
      const from = text.length === Buffer.byteLength(text) ? r.origin.offset : Buffer.from(text).subarray(0, r.origin.offset).toString().length;
      const line = text.slice(from, text.indexOf('\n', from)).replace(/\r$/, '');
      // The body is the line's message part; redaction may have masked a part of it.
      if (!line.includes(r.body.trim())) {
        assert.match(r.body, /\*\*\*/, `${r.origin.path}@${r.origin.offset}: ${JSON.stringify(r.body)} is not from ${JSON.stringify(line)}`);
        masked++;
      }
    }
    for (const [f, starts] of complete) assert.deepEqual((seen.get(f) ?? []).sort((a, b) => a - b), starts, f);
    assert.ok(masked < 20, `${masked} bodies masked`);
  } finally {
    agent.kill('SIGTERM');
    await once(agent, 'exit');
  }
});
