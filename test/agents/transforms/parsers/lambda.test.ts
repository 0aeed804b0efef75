// AWS Lambda's lines on their own. The Python runtime's and the platform's are also checked on real
// output (programs.test.ts); the Node.js runtime's are written here as its runtime interface client
// formats them (`${new Date().toISOString()}\t${requestId}\t${level}\t${message}`, line breaks as `\r`):
// it was not run here (its npm package builds native code at install; not tried this session).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildParser } from '../../../../agents/transforms/parsers/index.ts';
import { lambdaPlatform } from '../../../../agents/transforms/parsers/lambda.ts';

const auto = buildParser('auto');
const ctx = { now: Date.UTC(2026, 11, 3, 12), timeZone: 'UTC' };
const id = '6bc28136-1a2b-4365-b021-0ce6b2e64ab0';

test("the Node.js runtime's console lines: time, request id, level, the message's line breaks back", () => {
  const r = auto(`2026-12-03T06:20:00.456Z\t${id}\tERROR\tInvoke Error\rError: boom\r    at Runtime.handler (/var/task/index.js:3:9)`, ctx)!;
  assert.deepEqual([new Date(r.time!).toISOString(), r.severityText, r.attributes['faas.invocation_id'], r.body], ['2026-12-03T06:20:00.456Z', 'ERROR', id, 'Invoke Error\nError: boom\n    at Runtime.handler (/var/task/index.js:3:9)']);
  // Outside a request (module loading) the id is `undefined`: no attribute.
  const init = auto('2026-12-03T06:20:00.001Z\tundefined\tINFO\tloading config', ctx)!;
  assert.deepEqual([init.severityText, init.body, init.attributes], ['INFO', 'loading config', {}]);
  // Tabs after a stamp that are not the runtime's: the general header reads them as before.
  assert.equal(auto('2026-12-03T06:20:00.001Z\tworker-1\tINFO\tmsg', ctx)!.attributes['faas.invocation_id'], undefined);
});

test("the Python runtime's lines need its level, a stamp and the tabs; other bracketed levels are left to the header", () => {
  const r = auto(`[WARNING]\t2026-12-03T06:35:35.596Z\t${id}\tstock low\rsecond line`, ctx)!;
  assert.deepEqual([r.severityText, r.body, r.attributes], ['WARNING', 'stock low\nsecond line', { 'faas.invocation_id': id }]);
  assert.equal(auto('[INFO]\tnot a stamp\tx\ty', ctx)!.attributes['faas.invocation_id'], undefined);
  const plain = auto('[ERROR] disk full on /var', ctx)!;
  assert.deepEqual([plain.severityText, plain.body, plain.attributes['exception.type']], ['ERROR', 'disk full on /var', undefined]);
});

test("the platform's lines: figures with their units in the names; anything else starting with those words is not one", () => {
  assert.deepEqual(lambdaPlatform('INIT_START Runtime Version: python:3.12.v20\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc')!.attributes, { 'aws.lambda.runtime_version': 'python:3.12.v20', 'aws.lambda.runtime_version_arn': 'arn:aws:lambda:eu-west-1::runtime:abc' });
  assert.deepEqual(lambdaPlatform(`REPORT RequestId: ${id}\tDuration: 3.12 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t`)!.attributes, { 'faas.invocation_id': id, 'aws.lambda.duration_ms': '3.12', 'aws.lambda.billed_duration_ms': '4', 'aws.lambda.memory_size_mb': '128', 'aws.lambda.max_memory_used_mb': '70' });
  assert.equal(lambdaPlatform('START the engine'), null);
  assert.equal(lambdaPlatform('RESTARTING now: x'), null);
  assert.equal(auto('END of file reached', ctx)!.attributes['faas.invocation_id'], undefined);
});
