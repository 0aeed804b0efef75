/**
 * Training data for the shipped models: generated workloads with random labelled incidents go through
 * the worker's own miner, windows and feature code (`workload/replay.ts`), and one CSV row per closed
 * window comes out (features in manifest order plus labels), so Python never reimplements a feature.
 *
 *   npx tsx models/make-dataset.ts [--out models/data]
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateWorkload, randomIncidents } from '../workload/generator.ts';
import { hostWindowLabel, replayHostWindows, replayServiceWindows, serviceWindowLabel, windowTimeMs } from '../workload/replay.ts';
import { SERVICE_FEATURES, ServiceFeatures } from '../pipeline/transforms/features/service.ts';
import { HOST_FEATURES, HostFeatures } from '../pipeline/transforms/features/host.ts';

/** Seeds of the training and validation sets; `bench/models-eval.ts` uses seeds outside this list. */
export const TRAINING_RUNS = [
  { set: 'train', seed: 101, hours: 12, rateScale: 1 },
  { set: 'train', seed: 102, hours: 12, rateScale: 0.4 },
  { set: 'train', seed: 103, hours: 8, rateScale: 2.5 },
  { set: 'val', seed: 201, hours: 8, rateScale: 1.5 },
] as const;

export const DATASET_START_MS = Date.parse('2026-11-01T00:00:00.000Z');

const HEADER = ['set', 'seed', 'key', 'window_start_ms', 'label', 'kind', 'warm'];

function csvLine(cells: (string | number)[]): string {
  return cells.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toPrecision(17)) : c)).join(',') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'models/data' } } });
  const outDir = values.out!;
  mkdirSync(outDir, { recursive: true });
  const svcOut = createWriteStream(join(outDir, 'service.csv'));
  const hostOut = createWriteStream(join(outDir, 'host.csv'));
  const rawOut = createWriteStream(join(outDir, 'raw.jsonl'));
  svcOut.write(csvLine([...HEADER, ...SERVICE_FEATURES]));
  hostOut.write(csvLine([...HEADER, ...HOST_FEATURES]));
  for (const run of TRAINING_RUNS) {
    const t0 = Date.now();
    const durationMs = run.hours * 3_600_000;
    const incidents = randomIncidents(run.seed, { startMs: DATASET_START_MS, durationMs, perKind: Math.round(run.hours * 0.6) });
    const w = generateWorkload({ seed: run.seed, startMs: DATASET_START_MS, durationMs, rateScale: run.rateScale, incidents });
    const sf = new ServiceFeatures();
    let nSvc = 0;
    for (const rows of replayServiceWindows(w)) {
      for (const row of rows) {
        const start = windowTimeMs(row.window_start);
        const l = serviceWindowLabel(w.incidents, row.service, start, windowTimeMs(row.window_end));
        // A sample of validation windows with the baseline they were compared with, for the test
        // vectors: the parity test recomputes their features from these with the same code.
        if (run.set === 'val' && (nSvc % 23 === 0 || (l.label === 1 && nSvc % 3 === 0))) {
          const snap = sf.snapshot()[row.service];
          rawOut.write(JSON.stringify({ family: 'service', key: row.service, window_start_ms: start, row, baseline: snap ? { [row.service]: snap } : {} }) + '\n');
        }
        const f = sf.next(row);
        svcOut.write(csvLine([run.set, run.seed, row.service, start, l.label, l.kind, f.warm ? 1 : 0, ...f.values]));
        nSvc++;
      }
    }
    const hf = new HostFeatures();
    let nHost = 0;
    for (const group of replayHostWindows(w)) {
      for (const hw of group) {
        const start = windowTimeMs(hw.window_start);
        const l = hostWindowLabel(w.incidents, hw.service, hw.host, start, windowTimeMs(hw.window_end));
        if (run.set === 'val' && (nHost % 47 === 0 || (l.label === 1 && nHost % 3 === 0))) {
          const snap = hf.snapshot()[hw.host];
          rawOut.write(JSON.stringify({ family: 'host', key: hw.host, window_start_ms: start, window: hw, baseline: snap ? { [hw.host]: snap } : {} }) + '\n');
        }
        const f = hf.next(hw);
        hostOut.write(csvLine([run.set, run.seed, hw.host, start, l.label, l.kind, f.warm ? 1 : 0, ...f.values]));
        nHost++;
      }
    }
    process.stderr.write(`seed ${run.seed} (${run.set}): ${w.incidents.length} incidents, ${nSvc} service windows, ${nHost} host windows in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  await Promise.all([svcOut, hostOut, rawOut].map((s) => new Promise((r) => s.end(r))));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
