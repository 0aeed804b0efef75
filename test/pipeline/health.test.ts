// The worker's health on a real worker, the real broker and chDB (test/pipeline/health-scenario.ts,
// run as a child process): /metrics carries the pipeline_stats names and the lag per partition, /readyz
// turns red within 10 s of the broker stopping and green after it restarts; an unreadable miner snapshot
// and a garbled landing intent are said, counted and passed over; every record still lands once.
// Then the process must exit on its own: a stopped worker whose consumer lived through a broker
// restart once left a kafkajs connection open (a stale group coordinator), and the process never ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testBrokers, testStackOptions } from '../helpers/kafka.ts';

const EXIT_WITHIN_MS = 10_000;

test('a corrupt miner snapshot and a garbled intent are passed over; metrics and readyz follow the worker and the broker; the stopped worker lets its process exit', async (t) => {
  const brokers = await testBrokers();
  const o = testStackOptions()!;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./health-scenario.ts', import.meta.url))], {
    env: {
      ...process.env, TRIBUTARY_TEST_BROKERS: brokers.join(','), TRIBUTARY_TEST_KAFKA_HOME: o.home,
      TRIBUTARY_TEST_KAFKA_PORT: String(o.port), TRIBUTARY_TEST_KAFKA_CONTROLLER_PORT: String(o.controllerPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let doneAt: number | undefined;
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.startsWith('diagnostic: ')) t.diagnostic(line.slice(12));
      if (line === 'DONE') doneAt = Date.now();
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The scenario takes well under a minute; what matters is the wait after DONE.
  const ended = await Promise.race([
    exit.then((code) => ({ code })),
    (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        if (doneAt !== undefined && Date.now() - doneAt > EXIT_WITHIN_MS) return { hung: true as const };
        if (doneAt === undefined && child.exitCode === null && Date.now() - started > 240_000) return { hung: true as const };
      }
    })(),
  ]);
  if ('hung' in ended) child.kill('SIGKILL');
  assert.ok(!('hung' in ended), doneAt ? `the process was still running ${EXIT_WITHIN_MS} ms after the worker stopped and everything was closed` : `the scenario did not finish in 4 minutes:\n${stderr}`);
  assert.equal(ended.code, 0, `the scenario failed:\n${stderr}`);
  assert.ok(doneAt !== undefined, 'the scenario ran to its end');
  t.diagnostic(`the process exited ${Date.now() - doneAt} ms after the worker stopped`);
});
