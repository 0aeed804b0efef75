/**
 * `npm run soak -- --minutes 30 [--rate 5000]`: the agent and the worker (real processes) on a real
 * broker for that long, at `rate` lines/s, with a broker restart at a third of the run and a worker
 * kill -9 at two thirds. Every 10 s it samples both processes' RSS and the worker's consumer lag
 * (from its /metrics). At the end every line must be in ClickHouse exactly once, and memory after
 * warm-up (the first fifth of each process's life, at least 60 s) must not grow by more than 10 %.
 * Writes bench/results/soak.json and bench/results/soak.svg; exits 1 when a check fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka } from '../core/kafka/client.ts';
import { defaultStackOptions, stackDown, stackUp, type StackOptions } from '../core/kafka/stack.ts';
import { openStore } from '../core/storage/open.ts';
import { freePort } from '../core/ports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const LINE = 100;

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, rate: { type: 'string', default: '5000' }, out: { type: 'string', default: join(root, 'bench/results') } } });
const minutes = Number(values.minutes);
const rate = Number(values.rate);
if (!(minutes > 0) || !(rate > 0)) throw new Error(`--minutes and --rate must be positive numbers (got ${values.minutes}, ${values.rate})`);
const durationMs = minutes * 60_000;


function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    // A process that has only just started (after the kill) has no meaningful RSS yet.
    return m && Number(m[1]) > 10 * 1024 ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function line(n: number): string {
  const head = `soak ${String(n).padStart(10, '0')} ${new Date().toISOString()} INFO order processed `;
  return head + 'x'.repeat(LINE - head.length - 1) + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'tributary-soak-'));
const stack: StackOptions = { ...defaultStackOptions(), home: join(dir, 'kafka'), port: await freePort(), controllerPort: await freePort(), heap: '-Xms256m -Xmx768m' };
process.stderr.write(`soak: ${minutes} min at ${rate} lines/s in ${dir}\n`);
await stackUp(stack);
const brokers = [`127.0.0.1:${stack.port}`];
const file = join(dir, 'app.log');
writeFileSync(file, '');
const config = join(dir, 'agent.yaml');
writeFileSync(
  config,
  [
    'service: { name: soak }',
    `kafka: { brokers: ${JSON.stringify(brokers)} }`,
    `state_dir: ${join(dir, 'agent')}`,
    'self_metrics: { enabled: false }',
    'sources:',
    `  app: { type: file, include: [${file}], poll_ms: 100, multiline: false, parser: plain }`,
    '',
  ].join('\n'),
);
const store = join(dir, 'store');
const healthPort = await freePort();
const env = { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_HOME: join(dir, 'home') };
const spawnAgent = () => spawn(join(root, 'bin/tributary'), ['agent', '--config', config], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
const spawnWorker = () =>
  spawn(process.execPath, [join(root, 'bin/tributary.js'), 'worker', '--brokers', brokers.join(','), '--store', store, '--health', `127.0.0.1:${healthPort}`], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
const agent = spawnAgent();
let worker: ChildProcess = spawnWorker();

async function lag(): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    let sum = 0;
    for (const m of text.matchAll(/^tributary_consumer_lag\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
    return sum;
  } catch {
    return NaN;
  }
}

interface Sample {
  t: number;
  written: number;
  agentRssMb: number;
  workerRssMb: number;
  workerLife: number;
  lag: number;
}
const samples: Sample[] = [];
const events: Array<{ t: number; what: string }> = [];
const started = Date.now();
let written = 0;
let workerLife = 1;
let brokerRestarted = false;
let workerKilled = false;
let restart: Promise<void> | undefined;

// The writer: `rate` lines/s in 100 ms ticks, on its own schedule.
const writer = (async () => {
  while (Date.now() - started < durationMs) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    if (due > written) {
      let chunk = '';
      for (let i = written; i < due; i++) chunk += line(i);
      appendFileSync(file, chunk);
      written = due;
    }
    await sleep(100);
  }
})();

let nextSample = started;
while (Date.now() - started < durationMs) {
  const t = Date.now() - started;
  if (!brokerRestarted && t >= durationMs / 3) {
    brokerRestarted = true;
    events.push({ t, what: 'broker restart' });
    // In the background: sampling goes on while the broker is away.
    restart = (async () => {
      await stackDown(stack);
      await sleep(5000);
      await stackUp(stack);
      events.push({ t: Date.now() - started, what: 'broker back' });
    })();
  }
  if (!workerKilled && t >= (2 * durationMs) / 3) {
    workerKilled = true;
    events.push({ t: Date.now() - started, what: 'worker kill -9' });
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    worker = spawnWorker();
    workerLife++;
  }
  if (Date.now() >= nextSample) {
    while (nextSample <= Date.now()) nextSample += 10_000;
    const s = { t: Date.now() - started, written, agentRssMb: rssMb(agent.pid), workerRssMb: rssMb(worker.pid), workerLife, lag: await lag() };
    samples.push(s);
    process.stderr.write(`soak ${(s.t / 1000).toFixed(0)} s: written ${s.written}, lag ${s.lag}, RSS agent ${s.agentRssMb.toFixed(0)} MB, worker ${s.workerRssMb.toFixed(0)} MB\n`);
  }
  await sleep(250);
}
await writer;
await restart;
events.push({ t: Date.now() - started, what: 'writing stopped' });

// Drain: the topic stops growing and the worker's lag stays at 0.
const admin = createKafka({ brokers, clientId: 'tributary-soak' }).admin();
await admin.connect();
let stableSince = Date.now();
let produced = -1;
const drainDeadline = Date.now() + 10 * 60_000;
for (;;) {
  const now = (await admin.fetchTopicOffsets('logs.v1')).reduce((a, p) => a + Number(p.high), 0);
  if (now !== produced) {
    produced = now;
    stableSince = Date.now();
  }
  if (Date.now() - stableSince > 5000 && (await lag()) === 0) break;
  if (Date.now() > drainDeadline) break;
  await sleep(1000);
}
await admin.disconnect();
events.push({ t: Date.now() - started, what: 'drained' });
agent.kill('SIGTERM');
worker.kill('SIGTERM');
await Promise.all([new Promise((r) => agent.once('exit', r)), new Promise((r) => worker.once('exit', r))]);

const db = await openStore({ driver: 'embedded', path: store });
const rows = await db.query<{ o: string | number; c: string | number }>("SELECT source_offset AS o, count() AS c FROM logs WHERE service = 'soak' GROUP BY o");
await db.close();
const counts = new Map(rows.map((r) => [Number(r.o), Number(r.c)]));
let missing = 0;
let doubled = 0;
for (let i = 0; i < written; i++) {
  const c = counts.get(i * LINE) ?? 0;
  if (c === 0) missing++;
  if (c > 1) doubled++;
}

/** RSS growth of one process life: last third of its samples against the samples right after warm-up. */
function growth(key: 'agentRssMb' | 'workerRssMb', life?: number): { warm: number; end: number; pct: number } | undefined {
  const mine = samples.filter((s) => Number.isFinite(s[key]) && (life === undefined || s.workerLife === life));
  if (mine.length < 6) return undefined;
  const warmAt = mine[0]!.t + Math.max(60_000, (mine[mine.length - 1]!.t - mine[0]!.t) / 5);
  const after = mine.filter((s) => s.t >= warmAt);
  if (after.length < 3) return undefined;
  const warm = Math.max(...after.slice(0, Math.max(1, Math.floor(after.length / 3))).map((s) => s[key]));
  const end = Math.max(...after.slice(-Math.max(1, Math.floor(after.length / 3))).map((s) => s[key]));
  return { warm, end, pct: ((end - warm) / warm) * 100 };
}
const memory = { agent: growth('agentRssMb'), worker: growth('workerRssMb', 1), workerAfterKill: growth('workerRssMb', 2) };
const failures: string[] = [];
if (missing > 0) failures.push(`${missing} lines missing`);
if (doubled > 0) failures.push(`${doubled} lines landed twice`);
for (const [who, g] of Object.entries(memory)) if (g && g.pct > 10) failures.push(`${who} RSS grew ${g.pct.toFixed(1)} % after warm-up (${g.warm.toFixed(0)} -> ${g.end.toFixed(0)} MB)`);

const result = { date: new Date().toISOString(), minutes, rate, lines: written, produced, landedRows: rows.reduce((a, r) => a + Number(r.c), 0), missing, doubled, memory, events, samples, passed: failures.length === 0, failures };
mkdirSync(values.out!, { recursive: true });
writeFileSync(join(values.out!, 'soak.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(values.out!, 'soak.svg'), chart(result.samples, events));
process.stdout.write(
  `soak: ${written} lines in ${minutes} min at ${rate}/s; ${produced} records in Kafka (${produced - written} re-sent); landed ${result.landedRows}: missing ${missing}, doubled ${doubled}\n` +
    `memory after warm-up: ${Object.entries(memory).map(([k, g]) => (g ? `${k} ${g.warm.toFixed(0)} -> ${g.end.toFixed(0)} MB (${g.pct.toFixed(1)} %)` : `${k} too short to judge`)).join('; ')}\n` +
    `${failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`}  (bench/results/soak.json, soak.svg)\n`,
);
await stackDown(stack);
rmSync(dir, { recursive: true, force: true });
process.exit(failures.length === 0 ? 0 : 1);

/** RSS of both processes and the lag over time, with the events marked. */
function chart(s: Sample[], ev: Array<{ t: number; what: string }>): string {
  const W = 800;
  const H = 300;
  const pad = 50;
  const tMax = Math.max(1, ...s.map((x) => x.t), ...ev.map((e) => e.t));
  const x = (t: number) => pad + ((W - 2 * pad) * t) / tMax;
  const line = (vals: Array<[number, number]>, max: number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${vals
      .filter(([, v]) => Number.isFinite(v))
      .map(([t, v]) => `${x(t).toFixed(1)},${(H - pad - ((H - 2 * pad) * v) / Math.max(1, max)).toFixed(1)}`)
      .join(' ')}"/>`;
  const rssMax = Math.max(1, ...s.flatMap((v) => [v.agentRssMb, v.workerRssMb]).filter(Number.isFinite));
  const lagMax = Math.max(1, ...s.map((v) => v.lag).filter(Number.isFinite));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${pad}" y="20">soak: RSS (MB, left scale to ${rssMax.toFixed(0)}) of agent (blue) and worker (green); consumer lag (orange, to ${lagMax})</text>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/>
${ev.map((e) => `<line x1="${x(e.t)}" y1="${pad}" x2="${x(e.t)}" y2="${H - pad}" stroke="#c00" stroke-dasharray="4"/><text x="${x(e.t) + 2}" y="${pad + 10}" fill="#c00">${e.what}</text>`).join('\n')}
${line(s.map((v) => [v.t, v.agentRssMb]), rssMax, '#1f77b4')}
${line(s.map((v) => [v.t, v.workerRssMb]), rssMax, '#2ca02c')}
${line(s.map((v) => [v.t, v.lag]), lagMax, '#ff7f0e')}
<text x="${pad}" y="${H - pad + 15}">0 s</text><text x="${W - pad - 30}" y="${H - pad + 15}">${(tMax / 1000).toFixed(0)} s</text>
</svg>
`;
}
