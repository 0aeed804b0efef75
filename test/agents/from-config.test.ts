import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateAgentConfig } from '../../agents/config.ts';
import { agentFromConfig } from '../../agents/from-config.ts';
import { CheckpointStore } from '../../agents/checkpoints.ts';
import { freePort } from '../../core/ports.ts';
import { createTestTopic, testBrokers } from '../helpers/kafka.ts';
import { readLogs, tempDir, until } from './harness.ts';

await testBrokers();

/** JSON lines of a web service: DEBUG chatter, a probe's health checks, and the lines worth keeping. */
function webLines(from: number, to: number): { text: string; kept: boolean }[] {
  const out: { text: string; kept: boolean }[] = [];
  for (let i = from; i < to; i++) {
    if (i % 5 === 0) out.push({ text: JSON.stringify({ level: 'debug', msg: `cache lookup ${i}` }), kept: false });
    else if (i % 5 === 1) out.push({ text: JSON.stringify({ level: 'info', msg: 'GET /healthz 200', user_agent: 'kube-probe/1.29', n: i }), kept: false });
    // The same path from a person is kept: the rule names the probe too.
    else if (i % 5 === 2) out.push({ text: JSON.stringify({ level: 'info', msg: 'GET /healthz 200', user_agent: 'curl/8.5.0', n: i }), kept: true });
    else out.push({ text: JSON.stringify({ level: i % 5 === 3 ? 'info' : 'error', msg: `order ${i} placed`, n: i }), kept: true });
  }
  return out;
}

test('transforms.filter and a source filter drop records on the host, through record threads and one by one: the rest arrive, the drops are counted by source, and the file\'s checkpoint passes the dropped lines', async () => {
  const brokers = await testBrokers();
  const dir = tempDir();
  const file = join(dir, 'web.log');
  const logsTopic = await createTestTopic('filter-logs', 3);
  const otlpPort = await freePort();
  // 3,000 lines, then 60 DEBUG lines at the end: the last batches are dropped whole.
  const lines = [...webLines(0, 3000), ...Array.from({ length: 60 }, (_, i) => ({ text: JSON.stringify({ level: 'debug', msg: `tail ${i}` }), kept: false }))];
  writeFileSync(file, lines.map((l) => l.text).join('\n') + '\n');
  const config = () =>
    validateAgentConfig(
      {
        kafka: { brokers, topics: { logs: logsTopic } },
        state_dir: join(dir, 'state'),
        self_metrics: { enabled: false },
        transforms: { threads: 1, filter: { min_severity: 'INFO' } },
        sources: {
          web: { type: 'file', include: [file], poll_ms: 50, multiline: { enabled: false }, filter: { drop: [{ body: '^GET /healthz\\b', 'attributes.user_agent': '^kube-probe/' }] } },
          // OTLP's records are built one by one (not on a record thread): the agent's filter, and this one.
          otlp: { type: 'otlp', listen: `127.0.0.1:${otlpPort}`, filter: { keep: [{ service: '^checkout$' }] } },
        },
      },
      { env: {} },
    );
  let agent = agentFromConfig(config());
  await agent.start();
  try {
    const otlp = (service: string, severityText: string, body: string) => ({ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(Date.now() * 1e6), severityText, body: { stringValue: body } }] }] });
    const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [otlp('checkout', 'INFO', 'otlp kept'), otlp('checkout', 'DEBUG', 'otlp debug'), otlp('batch-job', 'ERROR', 'otlp other service')] }),
    });
    assert.equal(res.status, 200);
    const expected = lines.filter((l) => l.kept).length + 1;
    const records = await readLogs(logsTopic, expected, 60_000);
    // Nothing more comes: the dropped lines are not late, they are gone.
    await sleep(1000);
    assert.equal(agent.sink.stats.sent, expected);
    const bodies = records.map((r) => r.body);
    assert.deepEqual(bodies.filter((b) => b.startsWith('otlp')), ['otlp kept']);
    const fromFile = records.filter((r) => r.origin.kind === 'file').map((r) => Number(r.attributes.n)).sort((a, b) => a - b);
    assert.deepEqual(fromFile, lines.flatMap((l) => (l.kept ? [Number(JSON.parse(l.text).n)] : [])).sort((a, b) => a - b));
    assert.ok(records.filter((r) => r.origin.kind === 'file').every((r) => r.severity_number >= 9 && r.attributes.user_agent !== 'kube-probe/1.29'));
    assert.deepEqual(agent.counters.filtered, { web: lines.filter((l) => !l.kept).length, otlp: 2 });
    assert.ok(agent.selfMetrics().some((p) => p.name === 'tributary.agent.records.filtered' && p.labels.source === 'web' && p.value === agent.counters.filtered.web));
    // The checkpoint reaches the file's end although its last lines were all dropped.
    const size = statSync(file).size;
    await until(() => new CheckpointStore(join(dir, 'state', 'checkpoints-web.json')).all()[0]?.offset === size, 20_000, 'the checkpoint at the end of the file');
    await agent.stop();

    // A restart reads from the checkpoint: only new lines, filtered as before (a few, so built on the main thread).
    const more = webLines(3000, 3010);
    appendFileSync(file, more.map((l) => l.text).join('\n') + '\n');
    agent = agentFromConfig(config());
    await agent.start();
    const all = await readLogs(logsTopic, expected + more.filter((l) => l.kept).length, 60_000);
    await sleep(1000);
    assert.equal(agent.sink.stats.sent, more.filter((l) => l.kept).length, 'nothing read again after the restart');
    assert.equal(all.filter((r) => Number(r.attributes.n) >= 3000).length, more.filter((l) => l.kept).length);
    assert.equal(agent.counters.filtered.web, more.filter((l) => !l.kept).length);
  } finally {
    await agent.stop();
  }
});
