/**
 * `npm test`: starts one real Kafka broker for the whole run, runs every test file with node:test
 * (one file at a time, since some tests stop and restart that broker), then stops the broker.
 * Pass file paths to run only those. First checks the machine's tools (test/preflight.ts).
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackDown } from '../core/kafka/stack.ts';
import { startOwnBroker } from './helpers/kafka.ts';
import { missingMessage, preflight } from './preflight.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.length > 0 ? args : findTests(join(root, 'test'));
// Before the broker: a missing tool stops the run here, naming the package, instead of failing test by test.
const check = preflight();
if (check.missing.length > 0) {
  process.stderr.write(missingMessage(check.missing, check.reason) + '\n');
  process.exit(1);
}
const started = Date.now();
process.stderr.write(`Starting a Kafka broker for the test run...\n`);
const stack = await startOwnBroker();
process.stderr.write(`Kafka is up at 127.0.0.1:${stack.port} after ${((Date.now() - started) / 1000).toFixed(1)} s; running ${files.length} test files.\n`);

const env = {
  ...process.env,
  TRIBUTARY_TEST_BROKERS: `127.0.0.1:${stack.port}`,
  TRIBUTARY_TEST_KAFKA_HOME: stack.home,
  TRIBUTARY_TEST_KAFKA_PORT: String(stack.port),
  TRIBUTARY_TEST_KAFKA_CONTROLLER_PORT: String(stack.controllerPort),
  TRIBUTARY_LOG_LEVEL: process.env.TRIBUTARY_LOG_LEVEL ?? 'warn',
  TRIBUTARY_LOG_FORMAT: 'json',
};
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=1', '--test-timeout=900000', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const code: number = await new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await stackDown(stack);
rmSync(stack.home, { recursive: true, force: true });
process.exit(code);
