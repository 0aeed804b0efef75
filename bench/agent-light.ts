/**
 * `npm run bench:agent-light`: what a shipper costs at the rates most hosts have, not at full speed.
 * A file is appended every 100 ms at a given rate; the shipper tails it into a fresh topic, and its
 * CPU (all threads, /proc/<pid>/stat) is read over a measured window, as % of one core. Before the
 * window each shipper is warmed as a long-running one would be: a burst of 100,000 lines (so its code
 * is compiled and its heap has grown), a pause, then 10 s at the rate.
 *
 * Shippers: `tributary agent` with its defaults (from its bundle, as users run it) and, with
 * BENCH_OTELCOL=1, the OpenTelemetry Collector on bench/otelcol/filelog-kafka.yaml. Rates:
 * BENCH_RATES (default 0,100,1000 lines/s); BENCH_SECONDS the window (default 30).
 * Prints the CPU and the resident memory (at the end of the window, and the peak since start) and
 * writes bench/results/agent-light.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchLine } from './agent.ts';
import { cpuSeconds, ensureOtelcol, startOtelcol } from './otelcol/run.ts';
import { freePort } from '../core/ports.ts';
import { defaultStackOptions, stackDown, stackUp } from '../core/kafka/stack.ts';
import { createKafka, waitForTopicLeaders } from '../core/kafka/client.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const RATES = (process.env.BENCH_RATES ?? '0,100,1000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const BURST = 100_000;

/** Appends `n` bench lines to `file`, numbering on from `next.i`. */
function append(file: string, n: number, next: { i: number }): void {
  if (n <= 0) return;
  const parts: string[] = [];
  for (let k = 0; k < n; k++) parts.push(benchLine(next.i++));
  appendFileSync(file, parts.join(''));
}

interface Light {
  corePct: number;
  /** Resident memory at the end of the window, and the most it reached since the shipper started (burst included), MB. */
  rssMb: number;
  peakRssMb: number;
  cpuSeconds: number;
  lines: number;
  seconds: number;
}

/** VmRSS and VmHWM of a process (all its threads), MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (k: string) => Math.round(Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024);
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

/** Warms a started shipper on `file`, then measures its CPU over the window at `rate` lines/s. */
async function measure(pid: number, file: string, rate: number, alive: () => void): Promise<Light> {
  const next = { i: 0 };
  append(file, BURST, next);
  await sleep(15_000);
  const perTick = Math.round(rate / 10);
  const writer = setInterval(() => append(file, perTick, next), 100);
  try {
    await sleep(10_000);
    alive();
    const lines0 = next.i;
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    await sleep(SECONDS * 1000);
    const cpu = cpuSeconds(pid) - cpu0;
    const seconds = (Date.now() - t0) / 1000;
    alive();
    const { rss, peak } = memoryOf(pid);
    return { corePct: Math.round((10_000 * cpu) / seconds) / 100, rssMb: rss, peakRssMb: peak, cpuSeconds: cpu, lines: next.i - lines0, seconds };
  } finally {
    clearInterval(writer);
  }
}

async function agentRun(work: string, brokers: string, topic: string, rate: number): Promise<Light> {
  const file = join(work, `agent-${rate}.log`);
  writeFileSync(file, '');
  const config = join(work, `agent-${rate}.yaml`);
  writeFileSync(config, `kafka:\n  brokers: ["${brokers}"]\n  topics: { logs: ${topic} }\nstate_dir: ${join(work, `state-${rate}`)}\nself_metrics: { enabled: false }\nsources:\n  app: { type: file, include: ["${file}"] }\n`);
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin/tributary.js'), 'agent', '--config', config], { env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await sleep(3000);
    return await measure(child.pid!, file, rate, () => {
      if (exited) throw new Error('the agent exited during the run');
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
  }
}

async function otelcolLight(work: string, brokers: string, topic: string, rate: number): Promise<Light> {
  const file = join(work, `otelcol-${rate}.log`);
  writeFileSync(file, '');
  const c = await startOtelcol('filelog-kafka.yaml', { OTELCOL_FILE: file, OTELCOL_BROKERS: brokers, OTELCOL_TOPIC: topic, OTELCOL_ENCODING: 'otlp_proto' });
  try {
    await sleep(3000);
    return await measure(c.pid, file, rate, () => c.checkAlive());
  } finally {
    await c.stop();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-light-'));
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  await stackUp(stack);
  const brokers = `127.0.0.1:${stack.port}`;
  const shippers: Array<{ name: string; run: (topic: string, rate: number) => Promise<Light> }> = [
    { name: 'tributary agent, defaults', run: (topic, rate) => agentRun(work, brokers, topic, rate) },
  ];
  if (process.env.BENCH_OTELCOL) {
    ensureOtelcol();
    shippers.push({ name: 'OpenTelemetry Collector 0.165 (filelog -> kafka, otlp_proto)', run: (topic, rate) => otelcolLight(work, brokers, topic, rate) });
  }
  const rows: Array<{ shipper: string; rate: number } & Light> = [];
  try {
    const admin = createKafka({ brokers: [brokers], clientId: 'bench-light' }).admin();
    await admin.connect();
    let n = 0;
    for (const rate of RATES) {
      for (const s of shippers) {
        const topic = `light-${n++}`;
        await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
        await waitForTopicLeaders(admin, [topic], 60_000);
        const r = await s.run(topic, rate);
        rows.push({ shipper: s.name, rate, ...r });
        process.stderr.write(`${s.name} at ${rate} lines/s: ${r.corePct} % of a core\n`);
      }
    }
    await admin.disconnect();
  } finally {
    await stackDown(stack);
  }
  const table = ['| shipper | ' + RATES.map((r) => `${r} lines/s`).join(' | ') + ' |', '|---|' + RATES.map(() => '---:|').join('')];
  for (const s of shippers) table.push(`| ${s.name} | ${RATES.map((r) => `${rows.find((x) => x.shipper === s.name && x.rate === r)!.corePct} %`).join(' | ')} |`);
  const memory = ['| shipper | ' + RATES.map((r) => `${r} lines/s`).join(' | ') + ' |', '|---|' + RATES.map(() => '---:|').join('')];
  for (const s of shippers) memory.push(`| ${s.name} | ${RATES.map((r) => rows.find((x) => x.shipper === s.name && x.rate === r)!).map((x) => `${x.rssMb} (${x.peakRssMb})`).join(' | ')} |`);
  console.log(`CPU as % of one core, after a warm-up (${BURST.toLocaleString('en')}-line burst, then 10 s at the rate), over ${SECONDS} s:\n${table.join('\n')}`);
  console.log(`\nResident memory at the end of the window, MB (in brackets the peak since start, the burst's):\n${memory.join('\n')}`);
  writeFileSync(join(root, 'bench/results/agent-light.json'), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, burst: BURST, rows }, null, 2) + '\n');
}

await main();
