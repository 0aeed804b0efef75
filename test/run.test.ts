// The test runner (test/run.ts) as a developer uses it: stopped while its tests run (Ctrl-C, a kill),
// it stops its Kafka broker too. A real runner, a real broker, a real signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portOpen } from '../core/ports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const)
test(`a run stopped by ${signal} while its tests run stops its broker and removes its folder`, async () => {
  // Not this run's broker, and not node:test's mark of a nested run (its runner would then skip the file).
  const { TRIBUTARY_TEST_BROKERS: _, NODE_TEST_CONTEXT: __, ...env } = process.env;
  const run = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/fixtures/runner/waits.fixture.ts'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const up = await new Promise<{ port: number; home: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no broker after 120 s:\n${err}`)), 120_000);
    run.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /Kafka is up at 127\.0\.0\.1:(\d+) \(its folder (\S+)\)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), home: m[2]! });
      }
    });
    run.once('exit', () => reject(new Error(`the runner left before its broker was up:\n${err}`)));
  });
  try {
    assert.ok(await portOpen(up.port), 'the broker takes connections while the tests run');
    // The waiting test is under way (node:test started it) before the signal.
    await new Promise((r) => setTimeout(r, 3000));
    const exited = new Promise<number | null>((resolve) => run.once('exit', (c) => resolve(c)));
    run.kill(signal);
    const exitCode = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000))]);
    assert.equal(exitCode, code, `the runner's exit (${signal}); it wrote:\n${err}`);
    assert.equal(await portOpen(up.port), false, 'the broker no longer takes connections');
    assert.equal(spawnSync('pgrep', ['-f', up.home]).status, 1, `no process of ${up.home} left`);
    assert.equal(existsSync(up.home), false, 'its folder is removed');
  } finally {
    // Whatever happened above, no broker of this test outlives it.
    run.kill('SIGKILL');
    spawnSync('pkill', ['-9', '-f', up.home]);
  }
});
