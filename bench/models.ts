/**
 * Scoring throughput and cost, measured in one run: windows scored per second batched (one
 * `session.run` per tick) against one call per window; how long one batch holds the event loop
 * against a worker-thread round trip for the same batch; and the share of the worker's CPU that
 * scoring takes at 10k records/s (pattern mining + windows + features + scoring, no Kafka or store).
 *
 *   npm run bench:models        (about a minute; writes bench/results/models.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ServiceWindowRow } from '../core/contracts/rows.ts';
import { severityNumber } from '../core/contracts/records.ts';
import { generateWorkload } from '../workload/generator.ts';
import { defaultServices, type ServiceProfile } from '../workload/services.ts';
import { replayServiceWindows } from '../workload/replay.ts';
import { PatternMiner } from '../pipeline/transforms/patterns/miner.ts';
import { ServiceWindows } from '../pipeline/transforms/windows/service-windows.ts';
import { ServiceFeatures } from '../pipeline/transforms/features/service.ts';
import { Scorer, defaultScoringConfig } from '../pipeline/transforms/scoring/scorer.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const START = Date.parse('2026-12-01T00:00:00.000Z');

/** `n` services cloned from the default five (renamed), for a wider fan-out at the same total rate. */
function manyServices(n: number): ServiceProfile[] {
  const base = defaultServices();
  return Array.from({ length: n }, (_, i) => {
    const b = base[i % base.length]!;
    const name = `${b.name}-${i}`;
    return { ...b, name, hosts: [`${name}-a`, `${name}-b`], baseRate: b.baseRate * (5 / n) };
  });
}

/** Real feature vectors of closed service windows, warm ones only. */
function featureVectors(count: number): number[][] {
  const w = generateWorkload({ seed: 4242, startMs: START, durationMs: 6 * 3_600_000, services: manyServices(40), rateScale: 0.5 });
  const f = new ServiceFeatures();
  const out: number[][] = [];
  for (const rows of replayServiceWindows(w)) {
    for (const r of rows) {
      const v = f.next(r);
      if (v.warm) out.push(v.values);
      if (out.length >= count) return out;
    }
  }
  return out;
}

async function throughput(scorer: Scorer, vectors: number[][]): Promise<Record<string, number>> {
  const res: Record<string, number> = {};
  for (const batch of [1, 10, 100, 1000]) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 1500) {
      for (let i = 0; i + batch <= vectors.length; i += batch) {
        await scorer.scoreVectors('service', vectors.slice(i, i + batch));
        n += batch;
      }
    }
    res[`batch_${batch}`] = n / ((performance.now() - t0) / 1000);
  }
  return res;
}

/** Longest synchronous stretch of one `session.run` per batch size, and a worker round trip for the same bytes. */
async function loopBlocking(scorer: Scorer, vectors: number[][]): Promise<Record<string, { run_ms: number; worker_round_trip_ms: number }>> {
  const worker = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.on("message", (m) => parentPort.postMessage(m, [m.buffer]));', { eval: true });
  const echo = (a: Float32Array): Promise<void> => new Promise((r) => { worker.once('message', () => r()); worker.postMessage(a, [a.buffer as ArrayBuffer]); });
  const out: Record<string, { run_ms: number; worker_round_trip_ms: number }> = {};
  for (const batch of [10, 100, 1000, 10000]) {
    const rows = Array.from({ length: batch }, (_, i) => vectors[i % vectors.length]!);
    const runs: number[] = [];
    const trips: number[] = [];
    for (let k = 0; k < 30; k++) {
      await scorer.scoreVectors('service', rows);
      runs.push(scorer.counters.lastRunMs);
      const t0 = performance.now();
      await echo(new Float32Array(batch * rows[0]!.length));
      trips.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    trips.sort((a, b) => a - b);
    out[`batch_${batch}`] = { run_ms: runs[Math.floor(runs.length / 2)]!, worker_round_trip_ms: trips[Math.floor(trips.length / 2)]! };
  }
  await worker.terminate();
  return out;
}

/** The worker's CPU path at about 10k records/s of event time, with scoring timed apart. */
async function cpuShare(services: ServiceProfile[], label: string): Promise<Record<string, number | string>> {
  const minutes = 3;
  const totalRate = services.reduce((a, s) => a + s.baseRate, 0);
  const w = generateWorkload({ seed: 77, startMs: START, durationMs: minutes * 60_000, services, rateScale: 10_000 / totalRate });
  const logs = [...w.logs()];
  const scorer = await Scorer.open({ ...defaultScoringConfig(ROOT), watch: false });
  const miner = new PatternMiner();
  const windows = new ServiceWindows({ sizesMs: [10_000, 60_000], allowedLatenessMs: 2000, emptyWindows: 60 });
  let scoringUs = 0;
  let scoredRows = 0;
  let batches = 0;
  const tickMs: number[] = [];
  let nextTick = START + 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const score = async (rows: ServiceWindowRow[]): Promise<void> => {
    if (rows.length === 0) return;
    const c = process.cpuUsage();
    const w0 = performance.now();
    await scorer.scoreServiceWindows(rows);
    tickMs.push(performance.now() - w0);
    const d = process.cpuUsage(c);
    scoringUs += d.user + d.system;
    scoredRows += rows.length;
    batches++;
  };
  let i = 0;
  for (const l of logs) {
    if (l.timeMs >= nextTick) {
      // One tick per second of event time, as the worker closes windows once per poll loop.
      await score(windows.advance(l.timeMs));
      nextTick = l.timeMs + 1000;
    }
    const m = miner.match(l.body);
    windows.add({ time: l.timeMs, service: l.service, severity_number: severityNumber(l.severity_text), pattern_id: m.patternId, pattern_is_new: m.isNew, attributes: l.attributes, partition: 0, offset: i++ }, l.timeMs);
  }
  await score(windows.flush());
  const total = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  tickMs.sort((a, b) => a - b);
  await scorer.close();
  const totalUs = total.user + total.system;
  return {
    label,
    services: services.length,
    records: logs.length,
    records_per_s_event_time: logs.length / (minutes * 60),
    processing_records_per_s: logs.length / (wall / 1000),
    windows: scoredRows,
    batches,
    scoring_cpu_ms: scoringUs / 1000,
    worker_cpu_ms: totalUs / 1000,
    scoring_share_of_worker_cpu: scoringUs / totalUs,
    scoring_cpu_ms_per_stream_second: scoringUs / 1000 / (minutes * 60),
    /** Wall time of one tick's scoring (features + run), which is what holds the event loop. */
    tick_scoring_p50_ms: tickMs[Math.floor(tickMs.length / 2)] ?? 0,
    tick_scoring_max_ms: tickMs[tickMs.length - 1] ?? 0,
  };
}

async function main(): Promise<void> {
  process.env.TRIBUTARY_LOG_LEVEL ??= 'warn';
  const scorer = await Scorer.open({ ...defaultScoringConfig(ROOT), watch: false });
  const vectors = featureVectors(2000);
  const tp = await throughput(scorer, vectors);
  const blocking = await loopBlocking(scorer, vectors);
  await scorer.close();
  const share5 = await cpuShare(defaultServices(), '5 services');
  const share200 = await cpuShare(manyServices(200), '200 services');

  const f = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
  const lines = [
    `bench:models (${vectors.length} real window feature vectors; Node ${process.version})`,
    '',
    'windows scored per second (scoreVectors: normalisation + one session.run per call)',
    ...Object.entries(tp).map(([k, v]) => `  ${k.replace('batch_', 'batch of ').padEnd(16)} ${f(v)} windows/s`),
    `  batched (1000) vs one call per window: x${(tp.batch_1000! / tp.batch_1!).toFixed(0)}`,
    '',
    'event loop: median session.run time (synchronous) vs a worker-thread round trip of the same input',
    ...Object.entries(blocking).map(([k, v]) => `  ${k.replace('batch_', 'batch of ').padEnd(16)} run ${v.run_ms.toFixed(3)} ms   worker round trip ${v.worker_round_trip_ms.toFixed(3)} ms`),
    '',
    'worker CPU at ~10k records/s (miner + 10 s and 60 s windows + features + scoring)',
    ...[share5, share200].map((s) => `  ${String(s.label).padEnd(13)} ${f(s.records as number)} records, ${s.windows} windows in ${s.batches} ticks: scoring ${(s.scoring_cpu_ms as number).toFixed(0)} ms of ${(s.worker_cpu_ms as number).toFixed(0)} ms CPU = ${(100 * (s.scoring_share_of_worker_cpu as number)).toFixed(2)} %  (${(s.scoring_cpu_ms_per_stream_second as number).toFixed(2)} ms per second of stream); one tick's scoring p50 ${(s.tick_scoring_p50_ms as number).toFixed(2)} ms, max ${(s.tick_scoring_max_ms as number).toFixed(2)} ms`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const out = join(ROOT, 'bench', 'results', 'models.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ generated_at: new Date().toISOString(), node: process.version, throughput_windows_per_s: tp, event_loop: blocking, cpu_share: [share5, share200] }, null, 2) + '\n');
  process.stdout.write(`\nwrote ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
