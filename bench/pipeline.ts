/**
 * `npm run bench:pipeline`: how fast one worker process moves records from Kafka into ClickHouse (raw
 * logs, pattern deltas, service and metric windows, scores), and how long a line written to a file
 * takes until its row is visible in ClickHouse (file -> agent -> Kafka -> worker -> insert), at 1k and
 * 10k lines/s. Starts its own Kafka broker (temp folder, free ports) and chDB store; writes
 * bench/results/pipeline.json and prints a table.
 *
 * Then, scaling out: ONE service whose records are spread over 6 partitions, drained by 1, 2 and 3
 * worker processes (each its own process and chDB folder, as workers on separate hosts would be):
 * records/s over all of them, and records per CPU-second summed over the worker processes. And the
 * consumer client alone: kafkajs fetching the throughput records with nothing done per record, then
 * with the worker's decode, CPU per record.
 *
 * Environment: BENCH_RECORDS (throughput records, default 200000), BENCH_SCALE_RECORDS (scaling
 * records, default 100000), BENCH_SECONDS (per latency run, default 15).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, CompressionTypes } from '../core/kafka/client.ts';
import { defaultStackOptions, ensureTopics, stackDown, stackUp, type StackOptions } from '../core/kafka/stack.ts';
import { migrate } from '../core/storage/migrate.ts';
import { openStore } from '../core/storage/open.ts';
import { type InsertOptions, type Store } from '../core/storage/store.ts';
import { Worker, windowScorerOf } from '../pipeline/worker.ts';
import { defaultScoringConfig, Scorer } from '../pipeline/transforms/scoring/scorer.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent } from '../agents/agent.ts';
import { decodeLog } from '../pipeline/transforms/decode.ts';
import { FileSource } from '../agents/sources/file.ts';
import { freePort } from '../core/ports.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SCALE_RECORDS = Number(process.env.BENCH_SCALE_RECORDS ?? 100_000);


function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const BODIES = [
  (i: number) => `user u${i % 997} logged in from 10.${i % 200}.${i % 7}.${i % 251}`,
  (i: number) => `GET /api/items/${i % 5000} returned 200 in ${i % 300} ms`,
  (i: number) => `cache miss for key session:${(i * 7919) % 100000}`,
  (i: number) => `worker ${i % 16} finished job ${i} with status ok`,
  (i: number) => `connection to db-${i % 3} reset after ${i % 60} s`,
  (i: number) => `payment ${i.toString(16)} declined: insufficient funds`,
];

/** Produces `n` log records (12 services, keyed by service) and n/20 metric points, event time over the last minutes. */
async function produceDataset(brokers: string[], n: number): Promise<void> {
  const producer = createKafka({ brokers, clientId: 'bench-producer' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const start = Date.now() - 30 * 60_000;
  const span = 20 * 60_000;
  const chunk = 5000;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const messages = [];
    for (let i = i0; i < Math.min(n, i0 + chunk); i++) {
      const service = `svc-${i % 12}`;
      const time = new Date(start + Math.floor((i * span) / n)).toISOString();
      const sev = i % 20 === 0 ? 17 : i % 7 === 0 ? 13 : 9;
      messages.push({
        key: service,
        value: JSON.stringify({
          v: 1, time, observed_time: time, service, host: `host-${i % 5}`, severity_text: sev === 17 ? 'ERROR' : sev === 13 ? 'WARN' : 'INFO', severity_number: sev,
          body: BODIES[i % BODIES.length]!(i), attributes: { duration_ms: String((i * 37) % 900), route: `/api/r${i % 20}` }, resource: {}, trace_id: '', span_id: '',
          origin: { kind: 'generator', offset: i },
        }),
      });
    }
    await producer.send({ topic: 'logs.v1', acks: -1, compression: CompressionTypes.LZ4, messages });
  }
  const points = [];
  for (let i = 0; i < n / 20; i++) {
    const service = `svc-${i % 12}`;
    const host = `host-${i % 5}`;
    points.push({ key: `${service}|${host}`, value: JSON.stringify({ v: 1, time: new Date(start + Math.floor((i * span * 20) / n)).toISOString(), service, host, name: i % 2 ? 'cpu_percent' : 'mem_bytes', kind: 'gauge', value: (i * 13) % 100, unit: '', labels: {} }) });
  }
  for (let i = 0; i < points.length; i += chunk) await producer.send({ topic: 'metrics.v1', acks: -1, compression: CompressionTypes.LZ4, messages: points.slice(i, i + chunk) });
  await producer.disconnect();
}

interface Throughput {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  patterns: number;
  serviceWindows: number;
  metricWindows: number;
  scoredWindows: number;
}

async function throughput(brokers: string[], storePath: string): Promise<Throughput> {
  process.stderr.write(`Producing ${RECORDS} log records and ${RECORDS / 20} metric points...\n`);
  await produceDataset(brokers, RECORDS);
  const store = await openStore({ driver: 'embedded', path: storePath });
  await migrate(store);
  const scoring = await Scorer.open({ ...defaultScoringConfig(root), watch: false });
  const worker = new Worker({ brokers, store, groupId: 'bench-throughput', scorer: windowScorerOf(scoring) });
  process.stderr.write('Running one worker over them...\n');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await worker.start();
  while (worker.stats.stored < RECORDS || worker.stats.pending > 0) await sleep(20);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await sleep(1500); // a tick or two, so the windows closed so far land
  await worker.stop();
  await scoring.close();
  const one = async (sql: string) => Number((await store.query<{ n: string }>(sql))[0]!.n);
  const result: Throughput = {
    records: RECORDS,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(RECORDS / seconds),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    recordsPerCpuSecond: Math.round(RECORDS / ((cpu.user + cpu.system) / 1e6)),
    patterns: await one('SELECT uniqExact(service, pattern_id) AS n FROM log_patterns'),
    serviceWindows: await one('SELECT count() AS n FROM service_windows FINAL'),
    metricWindows: await one('SELECT count() AS n FROM metric_windows FINAL'),
    scoredWindows: await one('SELECT countIf(scored = 1) AS n FROM service_windows FINAL'),
  };
  await store.close();
  return result;
}

interface Scale {
  workers: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  serviceWindows: number;
}

interface ProcReport {
  stats: { stored: number; pending: number; serviceWindowRows: number };
  cpu: { user: number; system: number };
}

/** One worker in its own process (test/helpers/worker-process.ts), reporting its stats and CPU every 100 ms. */
function spawnWorker(options: object, storePath: string): { child: ChildProcess; last: () => ProcReport | undefined; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/worker-process.ts'), JSON.stringify(options), storePath], {
    cwd: root, env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: ProcReport | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as ProcReport;
    } catch {
      // not a report
    }
  });
  return { child, last: () => last, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** One service over 6 partitions, drained by `n` worker processes: wall rate and records per CPU-second over all of them. */
async function scale(brokers: string[], n: number): Promise<Scale> {
  const logsTopic = `bench-scale-${n}-logs`;
  const metricsTopic = `bench-scale-${n}-metrics`;
  await ensureTopics(brokers, [
    { name: logsTopic, partitions: 6, replicationFactor: 1, retentionMs: 3600_000 },
    { name: metricsTopic, partitions: 1, replicationFactor: 1, retentionMs: 3600_000 },
  ]);
  const options = { brokers, groupId: `bench-scale-${n}`, logsTopic, metricsTopic };
  const workers = Array.from({ length: n }, () => spawnWorker(options, storeDir()));
  try {
    // Every worker joined and idle (its startup CPU is not counted).
    const deadline = Date.now() + 120_000;
    while (!workers.every((w) => w.last()) && Date.now() < deadline) await sleep(100);
    await sleep(8000);
    const cpu0 = workers.map((w) => w.last()!.cpu);
    const producer = createKafka({ brokers, clientId: 'bench-scale' }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const start = Date.now() - 30 * 60_000;
    const span = 20 * 60_000;
    const t0 = performance.now();
    for (let i0 = 0; i0 < SCALE_RECORDS; i0 += 5000) {
      const messages = [];
      for (let i = i0; i < Math.min(SCALE_RECORDS, i0 + 5000); i++) {
        const time = new Date(start + Math.floor((i * span) / SCALE_RECORDS)).toISOString();
        const sev = i % 20 === 0 ? 17 : 9;
        messages.push({
          partition: i % 6,
          value: JSON.stringify({
            v: 1, time, observed_time: time, service: 'busy', host: `host-${i % 5}`, severity_text: sev === 17 ? 'ERROR' : 'INFO', severity_number: sev,
            body: BODIES[i % BODIES.length]!(i), attributes: { duration_ms: String((i * 37) % 900) }, resource: {}, trace_id: '', span_id: '', origin: { kind: 'generator', offset: i },
          }),
        });
      }
      await producer.send({ topic: logsTopic, acks: -1, compression: CompressionTypes.LZ4, messages });
    }
    await producer.disconnect();
    const stored = () => workers.reduce((a, w) => a + (w.last()?.stats.stored ?? 0), 0);
    while (stored() < SCALE_RECORDS || workers.some((w) => (w.last()?.stats.pending ?? 1) > 0)) await sleep(20);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = workers.reduce((a, w, i) => a + (w.last()!.cpu.user + w.last()!.cpu.system - cpu0[i]!.user - cpu0[i]!.system) / 1e6, 0);
    await sleep(2000);
    const serviceWindows = workers.reduce((a, w) => a + w.last()!.stats.serviceWindowRows, 0);
    return {
      workers: n, records: SCALE_RECORDS, seconds: Number(seconds.toFixed(2)), recordsPerSecond: Math.round(SCALE_RECORDS / seconds),
      cpuSeconds: Number(cpuSeconds.toFixed(2)), recordsPerCpuSecond: Math.round(SCALE_RECORDS / cpuSeconds), serviceWindows,
    };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
}

interface ConsumerCost {
  records: number;
  /** CPU per record, kafkajs fetch only (eachBatch doing nothing). */
  fetchUsPerRecord: number;
  /** CPU per record, fetch plus the worker's decode and validation. */
  fetchDecodeUsPerRecord: number;
}

/** The consumer client's own cost: kafkajs reading the throughput records, without and with decoding. */
async function consumerCost(brokers: string[], decode: boolean): Promise<number> {
  const consumer = createKafka({ brokers, clientId: 'bench-consumer' }).consumer({ groupId: `bench-consumer-${decode}-${Date.now()}`, maxBytesPerPartition: 4 * 1024 * 1024, minBytes: 256 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['logs.v1'], fromBeginning: true });
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        if (decode) {
          const d = decodeLog(m.value, now);
          if (d.ok) sink += d.value.body.length;
        } else sink += m.value?.length ?? 0;
      }
      n += batch.messages.length;
    },
  });
  while (n < RECORDS) await sleep(20);
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  if (sink < 0) process.stderr.write(String(sink));
  return Number((((cpu.user + cpu.system) / n)).toFixed(2));
}

/** Wraps the store: when an insert into `logs` returns, its rows are visible; that instant ends a line's trip. */
class VisibilityProbe implements Store {
  readonly driver: Store['driver'];
  readonly location: string;
  readonly latencies: number[] = [];
  constructor(private readonly inner: Store) {
    this.driver = inner.driver;
    this.location = inner.location;
  }
  command(sql: string, params?: Record<string, unknown>) { return this.inner.command(sql, params); }
  query<T>(sql: string, params?: Record<string, unknown>) { return this.inner.query<T>(sql, params); }
  ping() { return this.inner.ping(); }
  close() { return this.inner.close(); }
  async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    await this.inner.insert(table, rows, options);
    if (table !== 'logs') return;
    const now = Date.now();
    for (const r of rows) {
      const m = /sent=(\d{13})/.exec(JSON.stringify(r));
      if (m) this.latencies.push(now - Number(m[1]));
    }
  }
}

interface Latency {
  rate: number;
  lines: number;
  seen: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function latency(brokers: string[], rate: number, storePath: string): Promise<Latency> {
  const logsTopic = `bench-logs-${rate}`;
  await ensureTopics(brokers, [{ name: logsTopic, partitions: 6, replicationFactor: 1, retentionMs: 3600_000 }]);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-files-'));
  const files = [0, 1, 2, 3].map((i) => join(dir, `svc-${i}.log`));
  for (const f of files) writeFileSync(f, '');
  const inner = await openStore({ driver: 'embedded', path: storePath });
  await migrate(inner);
  const store = new VisibilityProbe(inner);
  const worker = new Worker({ brokers, store, groupId: `bench-latency-${rate}`, logsTopic, metricsTopic: 'metrics.v1', fromBeginning: true });
  await worker.start();
  const sources = files.map((f, i) => new FileSource(`file-${i}`, { include: [f], service: `bench-${i}`, host: 'bench', stateDir: join(dir, 'state'), pollMs: 50 }));
  const agent = new Agent({ sink: { brokers, logsTopic, lingerMs: 20 }, sources });
  await agent.start();
  await sleep(3000); // let the worker join its group and the agent open its files
  process.stderr.write(`Writing ${rate} lines/s for ${SECONDS} s into ${files.length} files...\n`);
  const total = rate * SECONDS;
  const stepMs = 20;
  const perStep = (rate * stepMs) / 1000;
  let written = 0;
  const t0 = Date.now();
  while (written < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / stepMs + 1) * perStep));
    const byFile: string[][] = files.map(() => []);
    for (; written < due; written++) {
      byFile[written % files.length]!.push(`${new Date().toISOString()} INFO request seq=${written} sent=${Date.now()} GET /api/items/${written % 1000} took ${written % 300} ms`);
    }
    byFile.forEach((lines, i) => lines.length > 0 && appendFileSync(files[i]!, lines.join('\n') + '\n'));
    await sleep(stepMs);
  }
  const deadline = Date.now() + 60_000;
  while (store.latencies.length < total && Date.now() < deadline) await sleep(100);
  await agent.stop();
  await worker.stop();
  await inner.close();
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...store.latencies].sort((a, b) => a - b);
  return { rate, lines: total, seen: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? NaN };
}

const home = mkdtempSync(join(tmpdir(), 'tributary-bench-kafka-'));
const stack: StackOptions = { ...defaultStackOptions(), home, port: await freePort(), controllerPort: await freePort() };
const stores: string[] = [];
const storeDir = () => {
  const p = mkdtempSync(join(tmpdir(), 'tributary-bench-store-'));
  stores.push(p);
  return p;
};
process.stderr.write('Starting a Kafka broker for the benchmark...\n');
await stackUp(stack);
const brokers = [`127.0.0.1:${stack.port}`];
try {
  const tp = await throughput(brokers, storeDir());
  process.stderr.write('Measuring the consumer client alone (kafkajs fetch, then fetch + decode)...\n');
  const consumer: ConsumerCost = { records: RECORDS, fetchUsPerRecord: await consumerCost(brokers, false), fetchDecodeUsPerRecord: await consumerCost(brokers, true) };
  const scaling: Scale[] = [];
  for (const n of [1, 2, 3]) {
    process.stderr.write(`Scaling out: one service over 6 partitions, ${n} worker process(es)...\n`);
    scaling.push(await scale(brokers, n));
  }
  const lat: Latency[] = [];
  for (const rate of [1000, 10_000]) lat.push(await latency(brokers, rate, storeDir()));
  const result = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version },
    command: 'npm run bench:pipeline',
    throughput: tp,
    consumer,
    scaling,
    latency: lat,
    notes: 'Scaling rows: each worker its own process and chDB folder (as on separate hosts); CPU summed over the worker processes from the moment all had joined; the machine has ' + cpus().length + ' cores, shared. One worker process with default settings (batches of up to 20000 rows, fetch wait 250 ms, windows 10 s and 1 min, ONNX scoring on). Latency: file append -> agent (50 ms poll, 20 ms linger) -> Kafka -> worker -> the logs insert returning (the row is then visible).',
  };
  const out = join(root, 'bench/results/pipeline.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  const table = [
    '| measure | value |',
    '|---|---|',
    `| throughput, one worker process (wall) | ${tp.recordsPerSecond.toLocaleString('en')} records/s (${tp.records.toLocaleString('en')} records in ${tp.seconds} s) |`,
    `| throughput per CPU-second of the worker | ${tp.recordsPerCpuSecond.toLocaleString('en')} records/s |`,
    `| written alongside | ${tp.patterns} patterns, ${tp.serviceWindows} service windows (${tp.scoredWindows} scored), ${tp.metricWindows} metric windows |`,
    `| consumer client alone (kafkajs), CPU per record | fetch ${consumer.fetchUsPerRecord} µs, fetch + decode ${consumer.fetchDecodeUsPerRecord} µs |`,
    ...scaling.map((x) => `| one service over 6 partitions, ${x.workers} worker process${x.workers > 1 ? 'es' : ''} | ${x.recordsPerSecond.toLocaleString('en')} records/s wall, ${x.recordsPerCpuSecond.toLocaleString('en')} records per CPU-second (${x.records.toLocaleString('en')} records in ${x.seconds} s, ${x.serviceWindows} window rows) |`),
    ...lat.map((l) => `| file -> visible row at ${l.rate.toLocaleString('en')} lines/s | p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (${l.seen}/${l.lines} lines) |`),
  ].join('\n');
  process.stdout.write(`${table}\n\nWrote ${out}\n`);
} finally {
  await stackDown(stack);
  rmSync(home, { recursive: true, force: true });
  for (const s of stores) rmSync(s, { recursive: true, force: true });
}
