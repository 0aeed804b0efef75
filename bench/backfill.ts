/**
 * `npm run bench:backfill`: a feature view backfilled from Kafka over many events, with the process's
 * JavaScript heap capped, to show what the backfill holds in memory. Starts its own broker on free
 * ports, writes BENCH_EVENTS payment events (default 1,500,000: 20,000 cards over 6 hours, in time order
 * with up to 15 s of jitter, 6 partitions), then runs `backfill` from Kafka into a CSV file in a child
 * process started with `--max-old-space-size=BENCH_HEAP_MB` (default 700), and prints events, rows,
 * seconds, CPU seconds and peak RSS, or that the child ran out of heap. BENCH_BASELINE=<a checkout of
 * an earlier commit> runs that checkout's backfill the same way after ours (and checks both wrote the
 * same rows). First, in this process, the view's own state: the view engine (no Kafka) over the same
 * shape of events for 2,000 and for 20,000 cards, the heap after a collection before the last windows
 * close, over the cards (what any worker or backfill of this view holds per key, closed windows kept for
 * late records included); BENCH_STATE_ONLY=1 stops after it. Writes bench/results/backfill.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../core/ports.ts';
import { peakRssKb } from './proc.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const BASE = Date.UTC(2026, 10, 1);
const SPAN_MS = 6 * 3600_000;
const CARDS = 20_000;

/** The view: a card's 5-minute windows, four aggregations and a derived feature over six windows. */
function featuresConfig(topic: string, paymentsSource: Record<string, unknown>): unknown {
  return {
    sources: [{ ...paymentsSource, topic }],
    views: [{
      name: 'card_activity', source: 'payments', key: 'card_id', window: { size: '5m', allowed_lateness: '5s' },
      aggregations: [{ name: 'n', fn: 'count' }, { name: 'total', fn: 'sum', field: 'amount' }, { name: 'hi', fn: 'max', field: 'amount' }, { name: 'merchants', fn: 'distinct_count', field: 'merchant_id' }],
      derived: [{ name: 'total_z', fn: 'robust_z', of: 'total', history: 6, min_history: 2 }],
    }],
  };
}

/** Event `j` of `events`: over 6 hours in time order with up to 15 s of jitter, one of `cards` cards. */
function payment(j: number, events: number, cards: number): { ts: number; card_id: string; merchant_id: string; amount: number; online: boolean; status: number } {
  const ts = BASE + Math.floor((j / events) * SPAN_MS) + ((j * 7919) % 30_000) - 15_000;
  const card_id = `card-${String((j * 2654435761) % cards).padStart(5, '0')}`;
  return { ts, card_id, merchant_id: `m-${j % 700}`, amount: (j % 10_000) / 100, online: j % 3 === 0, status: j % 50 === 0 ? 402 : 200 };
}

/**
 * The view's state for `cards` cards: the engine fed 75 events per card (the backfill's density), the
 * heap after a collection before the last windows close, less the heap before; MB.
 */
async function viewStateMb(cards: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:backfill does)');
  const { PAYMENTS_SOURCE } = await import('../workload/payments.ts');
  const { compileFeatures } = await import('../pipeline/features/config.ts');
  const { ViewEngine } = await import('../pipeline/transforms/features/views/engine.ts');
  const view = compileFeatures(featuresConfig('payments', PAYMENTS_SOURCE) as Parameters<typeof compileFeatures>[0]).views.get('card_activity')!;
  gc();
  const before = process.memoryUsage().heapUsed;
  const engine = new ViewEngine(view);
  const events = cards * 75;
  for (let j = 0; j < events; j++) {
    const e = payment(j, events, cards);
    engine.add({ time: e.ts, fields: e }, 0, j, e.ts);
    if (j % 1000 === 999) engine.advance(e.ts);
  }
  gc();
  const held = process.memoryUsage().heapUsed - before;
  engine.flush();
  return held / 1e6;
}

interface ChildResult {
  events?: number;
  rows?: number;
  seconds?: number;
  cpuSeconds?: number;
  peakRssMb: number;
  outOfHeap?: boolean;
  csv: string;
}

/** The child: one checkout's backfill (`checkout` is the folder its modules come from). */
async function child(checkout: string, brokers: string, topic: string, csv: string): Promise<void> {
  const { PAYMENTS_SOURCE } = (await import(join(checkout, 'workload/payments.ts'))) as { PAYMENTS_SOURCE: Record<string, unknown> };
  const { compileFeatures } = (await import(join(checkout, 'pipeline/features/config.ts'))) as { compileFeatures: (c: unknown) => { views: Map<string, unknown> } };
  const { backfill } = (await import(join(checkout, 'pipeline/features/backfill.ts'))) as { backfill: (o: Record<string, unknown>) => Promise<{ events: number; rows: number }> };
  const view = compileFeatures(featuresConfig(topic, PAYMENTS_SOURCE)).views.get('card_activity');
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await backfill({ view, from: BASE, to: BASE + SPAN_MS, from_: 'kafka', brokers: [brokers], out: csv });
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ events: r.events, rows: r.rows, seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 }) + '\n');
  process.exit(0);
}

/** Runs a child under a heap cap; peak RSS from the kernel's count for the child (`/proc/<pid>/status` VmHWM, read as it ends). */
function runChild(checkout: string, brokers: string, topic: string, csv: string, heapMb: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', checkout, brokers, topic, csv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peakKb = 0;
    const probe = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, peakRssKb(c.pid!));
      } catch {
        // The child is gone.
      }
    }, 100);
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.once('error', reject);
    c.once('close', (code) => {
      clearInterval(probe);
      const line = out.split('\n').find((l) => l.startsWith('{"events"'));
      if (code === 0 && line) resolve({ ...(JSON.parse(line) as Omit<ChildResult, 'peakRssMb' | 'csv'>), peakRssMb: Math.round(peakKb / 1024), csv });
      else if (/heap out of memory|heap limit/.test(err)) resolve({ outOfHeap: true, peakRssMb: Math.round(peakKb / 1024), csv });
      else reject(new Error(`backfill child of ${checkout} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

async function produce(brokers: string, topic: string, events: number): Promise<void> {
  const { createKafka, waitForTopicLeaders } = await import('../core/kafka/client.ts');
  const kafka = createKafka({ brokers: [brokers], clientId: 'bench-backfill' });
  const admin = kafka.admin();
  await admin.connect();
  // kafkajs's own wait for leaders can ask a broker that has just started before it knows the topic.
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
  await waitForTopicLeaders(admin, [topic], 60_000);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < events; i += 10_000) {
    const messages = [];
    for (let j = i; j < Math.min(events, i + 10_000); j++) {
      const e = payment(j, events, CARDS);
      messages.push({ key: e.card_id, timestamp: String(e.ts), value: JSON.stringify(e) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function main(): Promise<void> {
  const events = Number(process.env.BENCH_EVENTS ?? 1_500_000);
  const heapMb = Number(process.env.BENCH_HEAP_MB ?? 700);
  const baseline = process.env.BENCH_BASELINE;
  const small = await viewStateMb(2_000);
  const large = await viewStateMb(CARDS);
  const viewState = { mbAt2000Cards: Math.round(small), mbAt20000Cards: Math.round(large), kbPerCard: Math.round(((large - small) / (CARDS - 2_000)) * 1000 * 10) / 10 };
  console.log(`The view's state: ${viewState.mbAt2000Cards} MB for 2,000 cards, ${viewState.mbAt20000Cards} MB for 20,000 (${viewState.kbPerCard} KB per card)`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  if (process.env.BENCH_STATE_ONLY) return;
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-backfill-'));
  const { defaultStackOptions, stackDown, stackUp } = await import('../core/kafka/stack.ts');
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  const brokers = `127.0.0.1:${stack.port}`;
  process.stderr.write(`Starting a Kafka broker on ${brokers}; ${events.toLocaleString('en')} events; backfills capped at a ${heapMb} MB heap...\n`);
  try {
    await stackUp(stack);
    const topic = 'payments-backfill';
    await produce(brokers, topic, events);
    const runs: Array<{ name: string } & ChildResult> = [];
    const commitOf = (dir: string): string => spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || dir;
    for (const [name, checkout] of [[`this checkout (${commitOf(root)})`, root], ...(baseline ? [[`baseline ${commitOf(baseline)}`, baseline]] : [])] as Array<[string, string]>) {
      const r = await runChild(checkout, brokers, topic, join(work, `${runs.length}.csv`), heapMb);
      runs.push({ name, ...r });
      console.log(r.outOfHeap ? `${name}: ran out of its ${heapMb} MB heap (peak RSS ${r.peakRssMb} MB)` : `${name}: ${r.events!.toLocaleString('en')} events, ${r.rows!.toLocaleString('en')} rows, ${r.seconds!.toFixed(1)} s, ${r.cpuSeconds!.toFixed(1)} CPU s, peak RSS ${r.peakRssMb} MB`);
    }
    const done = runs.filter((r) => !r.outOfHeap);
    if (done.length === 2) {
      const rows = done.map((r) => readFileSync(r.csv, 'utf8').split('\n').sort().join('\n'));
      console.log(rows[0] === rows[1] ? 'Both wrote the same rows.' : 'The two backfills wrote different rows.');
    }
    writeFileSync(join(root, 'bench/results/backfill.json'), JSON.stringify({ at: new Date().toISOString(), events, cards: CARDS, heapMb, viewState, runs: runs.map(({ csv: _csv, ...r }) => r) }, null, 2) + '\n');
  } finally {
    await stackDown(stack).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]!);
else await main();
