/**
 * The real Kafka broker the integration tests share. `npm test` (test/run.ts) starts one broker per
 * run and passes its address in TRIBUTARY_TEST_BROKERS; a test file run on its own starts one itself.
 * Each test gets its own topics, so tests never see each other's records.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { defaultStackOptions, QUICK_JVM, stackDown, stackStatus, stackUp, type StackOptions } from '../../core/kafka/stack.ts';
import { freePort } from '../../core/ports.ts';

let own: StackOptions | undefined;

/** Stack options of the shared test broker (to stop and restart it in outage tests). */
export function testStackOptions(): StackOptions | undefined {
  const home = process.env.TRIBUTARY_TEST_KAFKA_HOME;
  const port = process.env.TRIBUTARY_TEST_KAFKA_PORT;
  const controllerPort = process.env.TRIBUTARY_TEST_KAFKA_CONTROLLER_PORT;
  if (home && port && controllerPort) return { ...defaultStackOptions(), heap: `${defaultStackOptions().heap} ${QUICK_JVM}`, home, port: Number(port), controllerPort: Number(controllerPort) };
  return own;
}

/** Options of a broker in a temp folder on free ports (`startOwnBroker` starts it). */
export async function ownBrokerOptions(): Promise<StackOptions> {
  const defaults = defaultStackOptions();
  return {
    ...defaults,
    // Started once per run and restarted by the outage tests: the quick JVM starts it with half the CPU.
    heap: `${defaults.heap} ${QUICK_JVM}`,
    home: mkdtempSync(join(tmpdir(), 'tributary-kafka-')),
    port: await freePort(),
    controllerPort: await freePort(),
  };
}

/** Starts a broker in a temp folder on free ports. */
export async function startOwnBroker(options?: StackOptions): Promise<StackOptions> {
  const o = options ?? (await ownBrokerOptions());
  await stackUp(o);
  return o;
}

/** Addresses of the test broker, starting one for this file when the runner did not. */
export async function testBrokers(): Promise<string[]> {
  if (process.env.TRIBUTARY_TEST_BROKERS) return process.env.TRIBUTARY_TEST_BROKERS.split(',');
  if (!own) {
    own = await startOwnBroker();
    const options = own;
    // Not node:test's after(): called inside a test, that hook would stop the broker after that test.
    let stopping = false;
    process.on('beforeExit', () => {
      if (stopping) return;
      stopping = true;
      void stackDown(options).then(() => rmSync(options.home, { recursive: true, force: true }));
    });
    // `--test-force-exit` (and any process.exit) skips beforeExit: a file run on its own that way left
    // its broker running (a dozen idle JVMs after an afternoon of single-file runs). 'exit' allows only
    // synchronous work: kill whatever broker the pid file names now (an outage test may have restarted it).
    process.on('exit', () => {
      if (stopping) return;
      const pid = stackStatus(options).pid;
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(options.home, { recursive: true, force: true });
    });
    process.env.TRIBUTARY_TEST_BROKERS = `127.0.0.1:${own.port}`;
  }
  return [`127.0.0.1:${own.port}`];
}

/** Stops the test broker (outage tests); `restartTestBroker` brings it back on the same port and data. */
export async function stopTestBroker(): Promise<void> {
  const options = testStackOptions();
  if (!options) throw new Error('no test broker to stop: call testBrokers() first');
  await stackDown(options);
}

export async function restartTestBroker(): Promise<void> {
  const options = testStackOptions();
  if (!options) throw new Error('no test broker to restart: call testBrokers() first');
  await stackUp(options);
}

/** Creates a topic with a unique name for one test, with topic-level settings if given (`retention.ms`, ...). */
export async function createTestTopic(prefix: string, partitions = 1, configEntries: Array<{ name: string; value: string }> = []): Promise<string> {
  const brokers = await testBrokers();
  const topic = `${prefix}-${randomBytes(4).toString('hex')}`;
  const admin = createKafka({ brokers, clientId: 'tributary-test' }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }] });
    await waitForTopicLeaders(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Reads every record of a topic from the beginning until `expected` arrived or `timeoutMs` passed. */
export async function readTopic(topic: string, opts: { expected?: number; timeoutMs?: number; idleMs?: number } = {}): Promise<Array<{ partition: number; offset: string; key: string | null; value: Buffer; headers: Record<string, string>; timestamp: string }>> {
  const brokers = await testBrokers();
  const kafka = createKafka({ brokers, clientId: 'tributary-test-reader' });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  const out: Array<{ partition: number; offset: string; key: string | null; value: Buffer; headers: Record<string, string>; timestamp: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastArrival = Date.now();
  const start = Date.now();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      lastArrival = Date.now();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      out.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers, timestamp: message.timestamp });
    },
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const idleMs = opts.idleMs ?? 3000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (opts.expected !== undefined && out.length >= opts.expected && Date.now() - lastArrival > 500) break;
    if (opts.expected === undefined && out.length > 0 && Date.now() - lastArrival > idleMs) break;
    if (Date.now() - start > timeoutMs) break;
  }
  await consumer.disconnect();
  return out;
}
