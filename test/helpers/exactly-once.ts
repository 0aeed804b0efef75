/**
 * The exactly-once proofs' parts: a real agent process tailing a file (killed with SIGKILL at will),
 * a real worker process (test/helpers/worker-process.ts), and the check that ClickHouse holds every
 * line of the file exactly once, by its byte offset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka } from '../../core/kafka/client.ts';
import { openStore } from '../../core/storage/open.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function track(child: ChildProcess): Proc {
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** Writes the agent's YAML config: one file source, its own state folder. */
export function agentConfig(dir: string, o: { brokers: string[]; file: string; logsTopic: string; metricsTopic: string; service: string }): string {
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      `service: { name: ${o.service} }`,
      `kafka: { brokers: ${JSON.stringify(o.brokers)}, topics: { logs: ${o.logsTopic}, metrics: ${o.metricsTopic} }, batch: { linger_ms: 5 } }`,
      `state_dir: ${join(dir, 'agent-state')}`,
      'self_metrics: { enabled: false }',
      'sources:',
      `  app: { type: file, include: [${o.file}], poll_ms: 50, multiline: false, parser: plain }`,
      '',
    ].join('\n'),
  );
  return config;
}

export function spawnAgent(config: string): Proc {
  return track(
    spawn(process.execPath, [join(root, 'bin/tributary.js'), 'agent', '--config', config], {
      cwd: root,
      env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
}

export interface WorkerReport {
  stats: { consumed: number; stored: number; pending: number; duplicates: number };
  progress: Array<{ topic: string; partition: number; next: number; pending: number; highWatermark: number }>;
}

export function spawnWorker(options: object, storePath: string): Proc & { last: () => WorkerReport | undefined } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/worker-process.ts'), JSON.stringify(options), storePath], {
    cwd: root,
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: WorkerReport | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as WorkerReport;
    } catch {
      /* a log line that went to stdout */
    }
  });
  return { ...track(child), last: () => last };
}

export async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export async function stopGently(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  await Promise.race([p.exited, sleep(30_000).then(() => kill9(p))]);
}

/** Sum of the topic's end offsets: every record ever produced to it (re-sends included). */
export async function producedTo(brokers: string[], topic: string): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'tributary-test', quiet: true }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the topic stops growing (the agent shipped everything, re-sends included) and the
 * worker has read to its end with nothing pending.
 */
export async function waitDrained(brokers: string[], topic: string, worker: { last: () => WorkerReport | undefined }, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let produced = -1;
  let stableSince = Date.now();
  for (;;) {
    const now = await producedTo(brokers, topic).catch(() => -1);
    if (now !== produced) {
      produced = now;
      stableSince = Date.now();
    }
    const r = worker.last();
    const read = r?.progress.filter((p) => p.topic === topic).reduce((a, p) => a + Math.max(0, p.next), 0) ?? 0;
    const pending = r?.progress.reduce((a, p) => a + p.pending, 0) ?? 1;
    if (produced >= 0 && Date.now() - stableSince > 3000 && read >= produced && pending === 0) return produced;
    if (Date.now() > deadline) throw new Error(`not drained in time: produced ${produced}, worker read ${read}, pending ${pending}`);
    await sleep(250);
  }
}

/** Per line (by its byte offset in the file), how many rows ClickHouse holds. */
export async function landedLines(storePath: string, topic: string, lineBytes: number, total: number): Promise<{ rows: number; missing: number[]; doubled: number[] }> {
  const store = await openStore({ driver: 'embedded', path: storePath });
  try {
    const rows = await store.query<{ o: string | number; c: string | number }>(
      'SELECT source_offset AS o, count() AS c FROM logs WHERE kafka_topic = {t:String} GROUP BY o',
      { t: topic },
    );
    const counts = new Map(rows.map((r) => [Number(r.o), Number(r.c)]));
    const missing: number[] = [];
    const doubled: number[] = [];
    for (let i = 0; i < total; i++) {
      const c = counts.get(i * lineBytes) ?? 0;
      if (c === 0) missing.push(i);
      if (c > 1) doubled.push(i);
    }
    return { rows: rows.reduce((a, r) => a + Number(r.c), 0), missing, doubled };
  } finally {
    await store.close();
  }
}

export { once };
