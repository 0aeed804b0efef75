// test/helpers/blocking-output.mjs, as test/run.ts loads it: node:test with --test-force-exit, on a test
// file whose results are large (long test names), its last test failing. Without the preload Node 20
// cut the last results on their way from the file's process (6 of 8 reported, here, in most runs;
// nodejs/node#64833); with it every result and the failure's name must arrive, every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const preload = fileURLToPath(new URL('./blocking-output.mjs', import.meta.url));

test('every result of a test file reaches the runner under --test-force-exit, the last one failing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-force-exit-'));
  try {
    const file = join(dir, 'long-names.test.mjs');
    writeFileSync(file, [
      "import { test } from 'node:test';",
      "for (let i = 1; i <= 7; i++) test(`passes ${i} ${'x'.repeat(20000)}`, () => {});",
      "test(`fails last ${'y'.repeat(20000)}`, () => { throw new Error('the last test failed'); });",
    ].join('\n'));
    // A runner of its own, not a part of this file's (node:test marks its files' processes so).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    for (let run = 1; run <= 3; run++) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', preload, '--test', '--test-force-exit', '--test-reporter=tap', file], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
      assert.equal(r.status, 1, `run ${run}: the failing test fails the run`);
      assert.match(r.stdout, /^# tests 8$/m, `run ${run}: all 8 results arrived (${/^# tests \d+$/m.exec(r.stdout)?.[0]})`);
      assert.match(r.stdout, /^# pass 7$/m, `run ${run}`);
      assert.match(r.stdout, /^# fail 1$/m, `run ${run}`);
      assert.match(r.stdout, /not ok \d+ - fails last y/, `run ${run}: the failing test is named`);
      assert.match(r.stdout, /the last test failed/, `run ${run}: with its error`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
