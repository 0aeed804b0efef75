/**
 * `npm run bench:features`: the feature view stage's own cost, without Kafka or ClickHouse around it.
 * Card payments (workload/payments.ts field shapes) flow through a view with 8 aggregations (count,
 * sum, mean, max, p90 from a DDSketch, distinct merchants from a HyperLogLog, a condition ratio, last)
 * and 2 derived features, in 1-minute windows, at 1 000 and 100 000 keys; then one ONNX model scores
 * every closed window, batched (one session.run per tick) and per window (one run each), in the same run.
 * Reports events per CPU-second, memory held per open key (heap after GC with every key's window open,
 * over the keys), and scoring time per window. Writes bench/results/features.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileView } from '../pipeline/transforms/features/views/definition.ts';
import { ViewEngine, type ViewEmission } from '../pipeline/transforms/features/views/engine.ts';
import { EventSchema } from '../pipeline/transforms/features/views/schema.ts';
import { ViewModels } from '../pipeline/transforms/scoring/view-models.ts';
import { Rng } from '../workload/prng.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:features does)');

const source = new EventSchema({
  name: 'payments', topic: 'payments.v1', time_field: 'ts',
  fields: { card_id: 'string', merchant_id: 'string', amount: 'number', online: 'boolean', status: 'integer' },
});
const view = compileView({
  name: 'bench', source: 'payments', key: 'card_id', window: { size: '1m', allowed_lateness: '0s', retention: '1m' },
  aggregations: [
    { name: 'n', fn: 'count' },
    { name: 'total', fn: 'sum', field: 'amount' },
    { name: 'avg', fn: 'mean', field: 'amount' },
    { name: 'hi', fn: 'max', field: 'amount' },
    { name: 'p90', fn: 'quantile', field: 'amount', q: 0.9 },
    { name: 'merchants', fn: 'distinct_count', field: 'merchant_id' },
    { name: 'declines', fn: 'ratio_if', condition: 'status == 402' },
    { name: 'last_amount', fn: 'last', field: 'amount' },
  ],
  derived: [
    { name: 'total_z', fn: 'robust_z', of: 'total', history: 10, default: 0 },
    { name: 'per_txn', fn: 'ratio', of: ['merchants', 'n'] },
  ],
}, new Map([['payments', source]]), 'bench');

const T0 = Date.parse('2026-11-29T00:00:00Z');

/** `perKey` events for each of `keys` cards inside one minute, then the same again in the next minute. */
function events(keys: number, perKey: number, minute: number): Array<{ time: number; fields: Record<string, string | number | boolean> }> {
  const r = new Rng(`bench-${keys}-${minute}`);
  const out = [];
  const n = keys * perKey;
  for (let i = 0; i < n; i++) {
    out.push({
      time: T0 + minute * 60_000 + Math.floor((i / n) * 59_000),
      fields: { card_id: `card-${i % keys}`, merchant_id: `m-${r.int(0, 500)}`, amount: Math.round(r.logNormal(40, 0.6) * 100) / 100, online: r.chance(0.2), status: r.chance(0.03) ? 402 : 200 },
    });
  }
  return out;
}

interface Run {
  keys: number;
  events: number;
  eventsPerCpuSecond: number;
  eventsPerSecondWall: number;
  heldWindows: number;
  bytesPerOpenKey: number;
  closedWindows: number;
  scoringBatchedUsPerWindow: number;
  scoringBatchedRuns: number;
  scoringPerWindowUsPerWindow: number;
  scoringPerWindowRuns: number;
}

async function measure(keys: number, perKey: number, models: ViewModels): Promise<Run> {
  const first = events(keys, perKey, 0);
  const second = events(keys, perKey, 1);
  gc!();
  const before = process.memoryUsage().heapUsed;
  // As the worker's view stage runs it: with the key -> partition map that catches split keys.
  const engine = new ViewEngine(view, { owners: new Map(), onSplitKey: () => undefined });
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let offset = 0;
  for (const e of first) engine.add(e, 0, offset++, e.time);
  const cpuFill = process.cpuUsage(cpu0);
  const wallFill = performance.now() - wall0;
  // Every key's window of the first minute is open now.
  gc!();
  const held = process.memoryUsage().heapUsed - before;
  const heldWindows = engine.heldWindows;
  const cpu1 = process.cpuUsage();
  const wall1 = performance.now();
  for (const e of second) engine.add(e, 0, offset++, e.time);
  const closed: ViewEmission[] = engine.advance(T0 + 2 * 60_000);
  const cpuRest = process.cpuUsage(cpu1);
  const wallRest = performance.now() - wall1;
  const cpuSeconds = (cpuFill.user + cpuFill.system + cpuRest.user + cpuRest.system) / 1e6;
  const total = first.length + second.length;
  // Scoring the windows the first minute closed: one run, then one run per window.
  const runs0 = models.counters.runs;
  let t = performance.now();
  const batched = await models.score(view, closed);
  const batchedMs = performance.now() - t;
  const runs1 = models.counters.runs;
  const sample = closed.slice(0, Math.min(closed.length, 5000));
  t = performance.now();
  await models.score(view, sample, { perRow: true });
  const perRowMs = performance.now() - t;
  const runs2 = models.counters.runs;
  if (batched.predictions.length !== closed.length) throw new Error(`scored ${batched.predictions.length} of ${closed.length} windows`);
  return {
    keys, events: total,
    eventsPerCpuSecond: Math.round(total / cpuSeconds),
    eventsPerSecondWall: Math.round(total / ((wallFill + wallRest) / 1000)),
    heldWindows,
    bytesPerOpenKey: Math.round(held / keys),
    closedWindows: closed.length,
    scoringBatchedUsPerWindow: Number(((batchedMs * 1000) / closed.length).toFixed(2)),
    scoringBatchedRuns: runs1 - runs0,
    scoringPerWindowUsPerWindow: Number(((perRowMs * 1000) / sample.length).toFixed(2)),
    scoringPerWindowRuns: runs2 - runs1,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-features-'));
copyFileSync(join(ROOT, 'test/fixtures/view-models/binary.onnx'), join(dir, 'model.onnx'));
writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
  name: 'bench-model', version: '1', view: 'bench', model_file: 'model.onnx', features: ['n', 'total', 'declines'],
  normalization: { center: [5, 200, 0], scale: [3, 100, 0.1] }, input: { name: 'x' }, output: { name: 'p', kind: 'binary' }, threshold: 0.5,
}));
const models = await ViewModels.open([{ manifest: join(dir, 'manifest.json') }], new Map([['bench', view]]));
const runs: Run[] = [];
try {
  for (const [keys, perKey] of [[1_000, 50], [100_000, 5]] as const) {
    const r = await measure(keys, perKey, models);
    runs.push(r);
    process.stdout.write(
      `${String(keys).padStart(7)} keys: ${r.events.toLocaleString('en-US')} events, ${r.eventsPerCpuSecond.toLocaleString('en-US')} events per CPU-second ` +
        `(${r.eventsPerSecondWall.toLocaleString('en-US')}/s wall), ${r.bytesPerOpenKey.toLocaleString('en-US')} bytes per open key; scoring ${r.closedWindows.toLocaleString('en-US')} windows: ` +
        `batched ${r.scoringBatchedUsPerWindow} µs/window in ${r.scoringBatchedRuns} run, per window ${r.scoringPerWindowUsPerWindow} µs/window\n`,
    );
  }
} finally {
  await models.close();
  rmSync(dir, { recursive: true, force: true });
}
const result = {
  benchmark: 'features',
  when: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  view: { aggregations: view.aggregators.length, derived: view.derived.length, window: '1m tumbling' },
  note: 'In-process: the view engine and the model, no Kafka decode or ClickHouse insert. Memory is the heap held with every key\'s window open (events of one minute per key), after GC.',
  runs,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/features.json'), JSON.stringify(result, null, 2) + '\n');
process.stdout.write('Wrote bench/results/features.json\n');
