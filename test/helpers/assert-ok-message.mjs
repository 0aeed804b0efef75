/**
 * Loaded into every test file's process (`--import` in test/run.ts, as blocking-output.mjs is): a
 * failing `assert.ok(value)` with no message of its own gets one. Without it, Node 20 builds the message
 * from the source of the failing call, and under a loader (tsx) it tokenised a large test file for
 * minutes (nodejs/node#52677, #52962): a failed `assert.ok` in test/agents/transforms/programs.test.ts
 * spun a core for over two minutes instead of failing, and a test may run for 900 s before the runner
 * stops it. The stack trace still names the failing line. Plain JavaScript, for the reason
 * blocking-output.mjs gives.
 */
import assert from 'node:assert';
import { syncBuiltinESMExports } from 'node:module';

const original = assert.ok;
/** `assert.ok` with a message when the caller gave none. */
function ok(value, message) {
  if (value) return;
  original(value, message === undefined ? 'assert.ok: the value is falsy (no message given; the stack below names the line)' : message);
}
assert.ok = ok;
assert.strict.ok = ok;
syncBuiltinESMExports();
