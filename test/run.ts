/**
 * `npm test`: starts one real Kafka broker for the whole run, runs every test file with node:test
 * (one file at a time, since some tests stop and restart that broker), then stops the broker.
 * Pass file paths to run only those. First checks the machine's tools (test/preflight.ts). Stopped
 * (Ctrl-C, SIGTERM, a closed terminal), it stops the broker and removes its folder before it leaves.
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackDown } from '../core/kafka/stack.ts';
import { ownBrokerOptions, startOwnBroker } from './helpers/kafka.ts';
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
const stack = await ownBrokerOptions();
let child: ReturnType<typeof spawn> | undefined;
let stopping = false;
/** Stops the tests and the broker, removes its folder, and leaves with `code`. */
async function finish(code: number): Promise<never> {
  stopping = true;
  await stackDown(stack).catch(() => undefined);
  rmSync(stack.home, { recursive: true, force: true });
  process.exit(code);
}
// The broker is a process of its own (a JVM of up to 1 GB): Ctrl-C or a kill stops it too, instead of
// leaving it running for every interrupted run (the tests, which got the signal as well, go first).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(signal, () => {
    if (stopping) return;
    child?.kill(signal);
    void finish(code);
  });
}
// A reader that went away (`npm test | head`) must not take the broker's shutdown with it.
for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
await startOwnBroker(stack);
process.stderr.write(`Kafka is up at 127.0.0.1:${stack.port} (its folder ${stack.home}) after ${((Date.now() - started) / 1000).toFixed(1)} s; running ${files.length} test files.\n`);

const env = {
  ...process.env,
  TRIBUTARY_TEST_BROKERS: `127.0.0.1:${stack.port}`,
  TRIBUTARY_TEST_KAFKA_HOME: stack.home,
  TRIBUTARY_TEST_KAFKA_PORT: String(stack.port),
  TRIBUTARY_TEST_KAFKA_CONTROLLER_PORT: String(stack.controllerPort),
  TRIBUTARY_LOG_LEVEL: process.env.TRIBUTARY_LOG_LEVEL ?? 'warn',
  TRIBUTARY_LOG_FORMAT: 'json',
};
// --test-force-exit ends each file's process once its tests are done (a client left connected must not
// hold the run). test/helpers/blocking-output.mjs makes those processes write their results blocking, so
// none are still on their way when that happens (nodejs/node#64833).
const tests = spawn(process.execPath, ['--import', 'tsx', '--import', fileURLToPath(new URL('./helpers/blocking-output.mjs', import.meta.url)), '--import', fileURLToPath(new URL('./helpers/assert-ok-message.mjs', import.meta.url)), '--test', '--test-force-exit', '--test-concurrency=1', '--test-timeout=900000', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
child = tests;
const code: number = await new Promise((resolve) => tests.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (!stopping) await finish(code);
