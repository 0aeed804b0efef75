// The preload that gives a failing assert.ok a message (test/helpers/assert-ok-message.mjs), in a process
// of its own so that this file does not depend on how it was started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const preload = fileURLToPath(new URL('./assert-ok-message.mjs', import.meta.url));
const run = (code: string) => spawnSync(process.execPath, ['--import', preload, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });

test('a failing assert.ok with no message fails at once with one; a given message and a truthy value are as before', () => {
  const none = run("import assert from 'node:assert/strict'; try { assert.ok([1].some((x) => x > 5)); } catch (e) { console.log(e.message); }");
  assert.equal(none.stdout.trim(), 'assert.ok: the value is falsy (no message given; the stack below names the line)');
  const given = run("import { ok } from 'node:assert'; try { ok(0, 'mine'); } catch (e) { console.log(e.message); } ok(1); console.log('passed');");
  assert.deepEqual(given.stdout.trim().split('\n'), ['mine', 'passed']);
});
