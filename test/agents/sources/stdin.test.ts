import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { checkSeq, readLogs, seqLine, tempDir } from '../harness.ts';

await testBrokers();
const root = fileURLToPath(new URL('../../..', import.meta.url));

test('some-service | tributary agent --service <name> ships every line (a traceback as one record) and exits when stdin ends', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('stdin');
  const child = spawn(process.execPath, [join(root, 'bin/tributary.js'), 'agent', '--service', 'piped', '--brokers', brokers.join(','), '--logs-topic', topic, '--state-dir', tempDir()], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  let text = '';
  for (let i = 0; i < 5000; i++) text += seqLine('p', i);
  const trace = '2026-11-24 10:00:00,123 ERROR request failed\nTraceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\nValueError: bad input';
  text += trace + '\n';
  text += 'last line without a newline';
  child.stdin!.end(text);
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  const records = await readLogs(topic, 5002);
  const report = checkSeq(records, { p: 5000 })['p']!;
  assert.equal(report.missingCount, 0);
  assert.equal(report.duplicates, 0);
  assert.ok(records.every((r) => r.service === 'piped' && r.origin.kind === 'stdin'));
  assert.equal(records.length, 5002);
  assert.ok(records.some((r) => r.body === trace.slice(trace.indexOf('request failed'))), 'the traceback is one record, its body the message');
  assert.ok(records.some((r) => r.body === 'last line without a newline'));
});
