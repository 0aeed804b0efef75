/**
 * `npm run bench:agent-light`: what a shipper costs at the rates most hosts have, not at full speed.
 * A file is appended every 100 ms at a given rate; the shipper tails it into a fresh topic, and its
 * CPU (all threads, /proc/<pid>/stat) is read over a measured window, as % of one core. Before the
 * window each shipper is warmed as a long-running one would be: a burst of 100,000 lines (so its code
 * is compiled and its heap has grown), a pause, then 10 s at the rate. The CPU is then read over
 * BENCH_WINDOWS (default 4) windows in a row: a Node.js shipper keeps getting cheaper for minutes after
 * a burst (V8 shrinks the heap grown for it, and compiles the code a slow rate reaches only slowly),
 * so the first window is what a shipper costs just after a backlog and the last ones what it costs
 * when it has run at that rate for a while. Every window is printed and kept in the JSON.
 *
 * Shippers: `tributary agent` with its defaults (from its bundle, as users run it), rsyslog (imfile ->
 * omkafka, bench/rsyslog; BENCH_RSYSLOG=0 leaves it out, and a machine without Debian's apt-get leaves
 * it out with the reason) and, with BENCH_OTELCOL=1, the OpenTelemetry Collector on
 * bench/otelcol/filelog-kafka.yaml. Rates:
 * BENCH_RATES (default 0,100,1000 lines/s; empty for none); BENCH_SECONDS the window (default 30).
 *
 * Many files at rest: BENCH_FILES (default 300; 0 for none) idle one-line files in 10 folders under
 * `<dir>/**\/*.log`, read by each shipper on that glob; once they are shipped and a few seconds have
 * passed, the CPU and memory over the same window. The agent runs twice, with the default
 * `discover_ms` and with `discover_ms: 0` (the globs expanded at every poll): with many files, finding
 * them is most of what an idle shipper does. No burst here, so its memory is that of an agent that
 * never had a backlog.
 *
 * Side by side: BENCH_BASELINE=<checkout of an earlier commit> (with its node_modules, e.g. a git
 * worktree with a link to this one's) adds that commit's agent, started by its own bin/tributary, as a
 * shipper of its own (at every rate, and with its defaults on the many files); BENCH_ROUNDS (default 1)
 * runs every row that many times, the shippers' order reversed every other round, so a change and its
 * baseline alternate in time. The tables then give the median of the rounds and their range; one
 * window is 30 s unless BENCH_SECONDS says otherwise (an idle agent's fifth needs 90 s windows).
 *
 * Prints the CPU and the resident memory (at the end of the window, and the peak since start) and
 * writes bench/results/agent-light.json (`rows`, and `manyFiles` beside them; each row with its round).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchLine } from './agent.ts';
import { ensureOtelcol, metricSum, startOtelcol } from './otelcol/run.ts';
import { ensureRsyslog, startRsyslog, type Rsyslog } from './rsyslog/run.ts';
import { cpuSeconds, procStatus, statusKb } from './proc.ts';
import { freePort } from '../core/ports.ts';
import { defaultStackOptions, stackDown, stackUp } from '../core/kafka/stack.ts';
import { createKafka, waitForTopicLeaders } from '../core/kafka/client.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const RATES = (process.env.BENCH_RATES ?? '0,100,1000').split(',').filter((r) => r.trim() !== '').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WINDOWS = Math.max(1, Number(process.env.BENCH_WINDOWS ?? 4));
const BURST = 100_000;
const FILES = Number(process.env.BENCH_FILES ?? 300);
/** After the many files are shipped, before the window: the shipper has settled into its idle polls. */
const SETTLE_SECONDS = 5;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const BASELINE = process.env.BENCH_BASELINE || undefined;

/** Appends `n` bench lines to `file`, numbering on from `next.i`. */
function append(file: string, n: number, next: { i: number }): void {
  if (n <= 0) return;
  const parts: string[] = [];
  for (let k = 0; k < n; k++) parts.push(benchLine(next.i++));
  appendFileSync(file, parts.join(''));
}

interface Light {
  /** The first window after the warm-up. */
  corePct: number;
  /** Every window's CPU, % of a core, in order (the last is the settled figure). */
  windowsCorePct: number[];
  /** Resident memory at the end of the window, and the most it reached since the shipper started (burst included), MB. */
  rssMb: number;
  peakRssMb: number;
  cpuSeconds: number;
  lines: number;
  seconds: number;
}

/** VmRSS and VmHWM of a process (all its threads), MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = procStatus(pid);
  const mb = (k: string) => Math.round(statusKb(status, k) / 1024);
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
    const windows: CpuWindow[] = [];
    for (let w = 0; w < WINDOWS; w++) {
      windows.push(await cpuWindow(pid));
      alive();
    }
    const { rss, peak } = memoryOf(pid);
    const first = windows[0]!;
    return {
      corePct: first.corePct,
      windowsCorePct: windows.map((w) => w.corePct),
      rssMb: rss,
      peakRssMb: peak,
      cpuSeconds: first.cpu,
      lines: Math.round(((next.i - lines0) * first.seconds) / windows.reduce((a, w) => a + w.seconds, 0)),
      seconds: first.seconds,
    };
  } finally {
    clearInterval(writer);
  }
}

interface CpuWindow {
  cpu: number;
  seconds: number;
  corePct: number;
}

/** A process's CPU (all its threads) over one window of SECONDS. */
async function cpuWindow(pid: number): Promise<CpuWindow> {
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const cpu = cpuSeconds(pid) - cpu0;
  const seconds = (Date.now() - t0) / 1000;
  return { cpu, seconds, corePct: Math.round((10_000 * cpu) / seconds) / 100 };
}

/**
 * The agent as users run it (bin/tributary of `checkout`, this one by default: its Node flags, then its
 * bundle) with one file source, `source` its settings, until `run` ends. `name` is its own for the run
 * (its config and state folder).
 */
async function withAgent<T>(work: string, name: string, brokers: string, topic: string, source: string, run: (pid: number, alive: () => void) => Promise<T>, checkout = root): Promise<T> {
  const config = join(work, `${name}.yaml`);
  writeFileSync(config, `kafka:\n  brokers: ["${brokers}"]\n  topics: { logs: ${topic} }\nstate_dir: ${join(work, `state-${name}`)}\nself_metrics: { enabled: false }\nsources:\n  app: { type: file, ${source} }\n`);
  const child: ChildProcess = spawn(join(checkout, 'bin/tributary'), ['agent', '--config', config], { env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    return await run(child.pid!, () => {
      if (exited) throw new Error('the agent exited during the run');
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (exited ? r(undefined) : child.once('exit', r)));
  }
}

async function agentRun(work: string, name: string, brokers: string, topic: string, rate: number, checkout?: string): Promise<Light> {
  const file = join(work, `${name}.log`);
  writeFileSync(file, '');
  return withAgent(work, name, brokers, topic, `include: ["${file}"]`, async (pid, alive) => {
    await sleep(3000);
    return measure(pid, file, rate, alive);
  }, checkout);
}

async function otelcolLight(work: string, name: string, brokers: string, topic: string, rate: number): Promise<Light> {
  const file = join(work, `${name}.log`);
  writeFileSync(file, '');
  const c = await startOtelcol('filelog-kafka.yaml', { OTELCOL_FILE: file, OTELCOL_BROKERS: brokers, OTELCOL_TOPIC: topic, OTELCOL_ENCODING: 'otlp_proto' });
  try {
    await sleep(3000);
    return await measure(c.pid, file, rate, () => c.checkAlive());
  } finally {
    await c.stop();
  }
}

async function rsyslogLight(rs: Rsyslog, work: string, name: string, brokers: string, topic: string, rate: number): Promise<Light> {
  const file = join(work, `${name}.log`);
  writeFileSync(file, '');
  const r = startRsyslog(rs, file, brokers, topic);
  try {
    await sleep(3000);
    return await measure(r.pid, file, rate, () => r.checkAlive());
  } finally {
    await r.stop();
  }
}

/** Many files at rest: `FILES` one-line files, 30 to a folder, under `dir`; returns the glob over them. */
function manyFiles(dir: string): string {
  const next = { i: 0 };
  for (let k = 0; k < FILES; k++) {
    const folder = join(dir, `svc-${Math.floor(k / 30)}`);
    mkdirSync(folder, { recursive: true });
    append(join(folder, `app-${k}.log`), 1, next);
  }
  return join(dir, '**/*.log');
}

interface AtRest {
  corePct: number;
  rssMb: number;
  peakRssMb: number;
  cpuSeconds: number;
  seconds: number;
  /** Lines the shipper had shipped (Kafka acknowledged) before the window: every file was found. */
  shipped: number;
}

/** Waits until the shipper shipped every file's line, lets it settle, then measures its idle CPU and memory. */
async function measureAtRest(pid: number, shipped: () => Promise<number>, alive: () => void): Promise<AtRest> {
  const started = Date.now();
  let lines = await shipped();
  while (lines < FILES) {
    alive();
    if (Date.now() - started > 60_000) throw new Error(`only ${lines} of the ${FILES} files' lines were shipped after 60 s`);
    await sleep(250);
    lines = await shipped();
  }
  await sleep(SETTLE_SECONDS * 1000);
  alive();
  const { cpu, seconds, corePct } = await cpuWindow(pid);
  alive();
  const { rss, peak } = memoryOf(pid);
  return { corePct, rssMb: rss, peakRssMb: peak, cpuSeconds: cpu, seconds, shipped: lines };
}

/** The agent from its bundle on the many files' glob; `discoverMs` undefined leaves its default. */
async function agentAtRest(work: string, name: string, brokers: string, topic: string, glob: string, discoverMs: number | undefined, shipped: () => Promise<number>, checkout?: string): Promise<AtRest> {
  const discover = discoverMs === undefined ? '' : `, discover_ms: ${discoverMs}`;
  return withAgent(work, name, brokers, topic, `include: ["${glob}"]${discover}`, (pid, alive) => measureAtRest(pid, shipped, alive), checkout);
}

async function otelcolAtRest(brokers: string, topic: string, glob: string): Promise<AtRest> {
  const c = await startOtelcol('filelog-kafka.yaml', { OTELCOL_FILE: glob, OTELCOL_BROKERS: brokers, OTELCOL_TOPIC: topic, OTELCOL_ENCODING: 'otlp_proto' });
  try {
    // Records, not Kafka messages: otlp_proto packs a batch into one message.
    const shipped = async () => metricSum((await c.scrape()) ?? '', 'otelcol_exporter_sent_log_records') ?? 0;
    return await measureAtRest(c.pid, shipped, () => c.checkAlive());
  } finally {
    await c.stop();
  }
}

async function rsyslogAtRest(rs: Rsyslog, brokers: string, topic: string, glob: string, shipped: () => Promise<number>): Promise<AtRest> {
  // imfile's wildcards match within one folder level: the files sit one folder down.
  const r = startRsyslog(rs, glob.replace('**/', '*/'), brokers, topic);
  try {
    return await measureAtRest(r.pid, shipped, () => r.checkAlive());
  } finally {
    await r.stop();
  }
}

/** Runs `round` in the order given on even rounds and reversed on odd ones, so neither side is always first. */
function inTurn<T>(items: T[], round: number): T[] {
  return round % 2 === 0 ? items : [...items].reverse();
}

/** `x` of rows as `median (min-max)`, or the one figure of a single round. */
function spreadText(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : Math.round(((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) * 100) / 100;
  return s.length === 1 ? `${s[0]}` : `${median} (${s[0]}-${s[s.length - 1]})`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-light-'));
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  await stackUp(stack);
  const brokers = `127.0.0.1:${stack.port}`;
  // A run's name (its config, state folder and file) is its shipper's, rate and round: no run resumes another's checkpoints.
  const shippers: Array<{ name: string; run: (topic: string, rate: number, id: string) => Promise<Light> }> = [
    { name: 'tributary agent, defaults', run: (topic, rate, id) => agentRun(work, `agent-${id}`, brokers, topic, rate) },
  ];
  const baselineName = BASELINE ? `tributary agent, defaults, at the baseline ${spawnSync('git', ['-C', BASELINE, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).stdout.trim() || BASELINE} (BENCH_BASELINE)` : '';
  if (BASELINE) shippers.push({ name: baselineName, run: (topic, rate, id) => agentRun(work, `baseline-${id}`, brokers, topic, rate, BASELINE) });
  let rsyslog: Rsyslog | undefined;
  if (process.env.BENCH_RSYSLOG !== '0') {
    try {
      rsyslog = ensureRsyslog();
      const rs = rsyslog;
      shippers.push({ name: `${rs.version.split(',')[0]} (imfile -> omkafka)`, run: (topic, rate, id) => rsyslogLight(rs, work, `rsyslog-${id}`, brokers, topic, rate) });
    } catch (err) {
      process.stderr.write(`The rsyslog rows are left out: ${(err as Error).message}\n`);
    }
  }
  if (process.env.BENCH_OTELCOL) {
    ensureOtelcol();
    shippers.push({ name: 'OpenTelemetry Collector 0.165 (filelog -> kafka, otlp_proto)', run: (topic, rate, id) => otelcolLight(work, `otelcol-${id}`, brokers, topic, rate) });
  }
  const rows: Array<{ shipper: string; rate: number; round: number } & Light> = [];
  const many: Array<{ shipper: string; round: number } & AtRest> = [];
  const settings: Array<{ name: string; run: (topic: string, shipped: () => Promise<number>, id: string) => Promise<AtRest> }> = [];
  try {
    const admin = createKafka({ brokers: [brokers], clientId: 'bench-light' }).admin();
    await admin.connect();
    let n = 0;
    for (const rate of RATES) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of inTurn(shippers, round)) {
          const topic = `light-${n++}`;
          await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
          await waitForTopicLeaders(admin, [topic], 60_000);
          const r = await s.run(topic, rate, `${rate}-${round}`);
          rows.push({ shipper: s.name, rate, round, ...r });
          process.stderr.write(`${s.name} at ${rate} lines/s${ROUNDS > 1 ? `, round ${round + 1}` : ''}: ${r.windowsCorePct.join(' / ')} % of a core\n`);
        }
      }
    }
    if (FILES > 0) {
      const glob = manyFiles(join(work, 'many'));
      settings.push(
        { name: 'tributary agent, defaults', run: (topic, shipped, id) => agentAtRest(work, `many-default-${id}`, brokers, topic, glob, undefined, shipped) },
        { name: 'tributary agent, discover_ms: 0', run: (topic, shipped, id) => agentAtRest(work, `many-0-${id}`, brokers, topic, glob, 0, shipped) },
      );
      if (BASELINE) settings.push({ name: baselineName, run: (topic, shipped, id) => agentAtRest(work, `many-baseline-${id}`, brokers, topic, glob, undefined, shipped, BASELINE) });
      if (rsyslog) {
        const rs = rsyslog;
        settings.push({ name: `${rs.version.split(',')[0]} (imfile -> omkafka)`, run: (topic, shipped) => rsyslogAtRest(rs, brokers, topic, glob, shipped) });
      }
      if (process.env.BENCH_OTELCOL) settings.push({ name: 'OpenTelemetry Collector 0.165 (filelog -> kafka, otlp_proto)', run: (topic) => otelcolAtRest(brokers, topic, glob) });
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of inTurn(settings, round)) {
          const topic = `light-${n++}`;
          await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
          await waitForTopicLeaders(admin, [topic], 60_000);
          // 0 while the admin's metadata is behind the new topic's leaders (NOT_LEADER_FOR_PARTITION): asked again.
          const shipped = () => admin.fetchTopicOffsets(topic).then((o) => o.reduce((a, p) => a + Number(p.high), 0), () => 0);
          const r = await s.run(topic, shipped, String(round));
          many.push({ shipper: s.name, round, ...r });
          process.stderr.write(`${s.name}, ${FILES} files at rest${ROUNDS > 1 ? `, round ${round + 1}` : ''}: ${r.corePct} % of a core\n`);
        }
      }
    }
    await admin.disconnect();
  } finally {
    await stackDown(stack);
    // The work folder holds a Kafka store (hundreds of MB after the bursts).
    rmSync(work, { recursive: true, force: true });
  }
  const rounds = ROUNDS > 1 ? `, median of ${ROUNDS} rounds (min-max)` : '';
  if (RATES.length > 0) printRates(shippers.map((s) => s.name), rows, rounds);
  if (many.length > 0) {
    const table = ['| shipper | CPU, % of a core | RSS MB (peak) |', '|---|---:|---:|'];
    for (const name of settings.map((s) => s.name)) {
      const of = many.filter((r) => r.shipper === name);
      table.push(`| ${name} | ${spreadText(of.map((r) => r.corePct))} % | ${spreadText(of.map((r) => r.rssMb))} (${spreadText(of.map((r) => r.peakRssMb))}) |`);
    }
    console.log(`\n${FILES} idle one-line files under <dir>/**/*.log, after they were shipped and ${SETTLE_SECONDS} s more, over ${SECONDS} s${rounds}:\n${table.join('\n')}`);
  }
  writeFileSync(
    join(root, 'bench/results/agent-light.json'),
    JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, windows: WINDOWS, burst: BURST, rounds: ROUNDS, ...(BASELINE ? { baseline: baselineName } : {}), rows, manyFiles: { files: FILES, glob: '<dir>/**/*.log', settleSeconds: SETTLE_SECONDS, rows: many } }, null, 2) + '\n',
  );
}

function printRates(names: string[], rows: Array<{ shipper: string; rate: number } & Light>, rounds: string): void {
  const table = ['| shipper | ' + RATES.map((r) => `${r} lines/s`).join(' | ') + ' |', '|---|' + RATES.map(() => '---:|').join('')];
  const of = (name: string, rate: number) => rows.filter((x) => x.shipper === name && x.rate === rate);
  // Each window's figure across the rounds (window 1's median, then window 2's, ...).
  const windows = (xs: Light[]) => xs[0]!.windowsCorePct.map((_, w) => spreadText(xs.map((x) => x.windowsCorePct[w]!))).join(' / ');
  for (const name of names) table.push(`| ${name} | ${RATES.map((r) => `${windows(of(name, r))} %`).join(' | ')} |`);
  const memory = ['| shipper | ' + RATES.map((r) => `${r} lines/s`).join(' | ') + ' |', '|---|' + RATES.map(() => '---:|').join('')];
  for (const name of names) memory.push(`| ${name} | ${RATES.map((r) => `${spreadText(of(name, r).map((x) => x.rssMb))} (${spreadText(of(name, r).map((x) => x.peakRssMb))})`).join(' | ')} |`);
  const over = WINDOWS > 1 ? `over ${WINDOWS} windows of ${SECONDS} s in a row` : `over ${SECONDS} s`;
  console.log(`CPU as % of one core, after a warm-up (${BURST.toLocaleString('en')}-line burst, then 10 s at the rate), ${over}${rounds}:\n${table.join('\n')}`);
  console.log(`\nResident memory at the end of the window, MB (in brackets the peak since start, the burst's)${rounds}:\n${memory.join('\n')}`);
}

await main();
