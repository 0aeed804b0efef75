// The guard runs in a child process of its own: an unhandled rejection is process-wide, and the test
// runner's process must keep Node's default. The stray rejection is kafkajs's own error class, as the
// worker's crash printed it (a bare KafkaJSConnectionError, retriable); which kafkajs path leaves it
// unhandled was not found, so the test raises it itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRetriableKafkaJsError } from '../../../core/kafka/stray-rejections.ts';
import kafkajs from 'kafkajs';

const guard = fileURLToPath(new URL('../../../core/kafka/stray-rejections.ts', import.meta.url));

function child(body: string): { status: number | null; stderr: string; stdout: string } {
  const script = `
    import { guardStrayKafkaRejections, strayKafkaRejections } from ${JSON.stringify(guard)};
    import { log } from ${JSON.stringify(fileURLToPath(new URL('../../../core/log.ts', import.meta.url)))};
    import kafkajs from 'kafkajs';
    guardStrayKafkaRejections(log('test.guard'));
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test('a retriable kafkajs connection error left unhandled is logged and counted; the process goes on', () => {
  const r = child(`
    Promise.reject(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9', { broker: '127.0.0.1:9', code: 'ECONNREFUSED' }));
    await new Promise((r) => setTimeout(r, 1500));
    process.stdout.write('alive ' + strayKafkaRejections() + '\\n');
  `);
  assert.equal(r.status, 0, `the process ended early: ${r.stderr}`);
  assert.match(r.stdout, /^alive 1$/m, 'one stray rejection counted');
  assert.match(r.stderr + r.stdout, /kafkajs left a retriable connection error unhandled/);
});

test('any other unhandled rejection still ends the process, naming its error', () => {
  const r = child(`
    // kafkajs giving up after its retries is not forgiven either: that one reached nobody who waits for it.
    Promise.reject(new kafkajs.KafkaJSNumberOfRetriesExceeded(new Error('a bug of ours'), { retryCount: 5, retryTime: 100 }));
    await new Promise((r) => setTimeout(r, 1500));
    process.stdout.write('alive\\n');
  `);
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stdout, /alive/);
  assert.match(r.stderr, /a bug of ours/);
});

test('only kafkajs errors it marks retriable are forgiven', () => {
  assert.equal(isRetriableKafkaJsError(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: 'b:1' })), true);
  assert.equal(isRetriableKafkaJsError(new kafkajs.KafkaJSNonRetriableError('bad')), false);
  assert.equal(isRetriableKafkaJsError(Object.assign(new Error('x'), { retriable: true })), false);
  assert.equal(isRetriableKafkaJsError('KafkaJSConnectionError'), false);
});
