/**
 * Evaluation of the shipped models on generated workloads whose seeds training never saw: windows go
 * through the worker's own miner, windows, features and scorer, and the scores are compared with the
 * injected incidents. Prints a table and writes bench/results/models-eval.json.
 *
 *   npm run eval:models            (about a minute)
 *
 * Window labels (workload/replay.ts): positive when at least half of the window lies in an incident,
 * ambiguous (left out) when less than half does; host windows inside a log incident of the host's
 * service are left out too. Cold windows (baseline not warm) are left unscored by the worker and out
 * of the counts. A false alarm has no kind, so precision is per model; recall is per kind.
 * Incident recall: some window of the incident's series flagged between its start and its end.
 * Delay: windows from the one holding the incident's start to the first flagged one (0 = that window).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWorkload, randomIncidents, LOG_INCIDENT_KINDS, type IncidentKind, type LabelledIncident } from '../workload/generator.ts';
import { defaultServices, type ServiceProfile } from '../workload/services.ts';
import { hostWindowLabel, replayHostWindows, replayServiceWindows, serviceWindowLabel } from '../workload/replay.ts';
import { Scorer, defaultScoringConfig, windowTimeMs } from '../pipeline/transforms/scoring/scorer.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WINDOW_MS = 60_000;

/**
 * Seeds disjoint from models/make-dataset.ts (101-103 train, 201 validation). The third run uses
 * services training never saw: other rates, a noisier and higher normal error rate, slower requests,
 * busier hosts with more memory in use, so that features tuned to the training services would show.
 */
export const EVAL_RUNS: { seed: number; hours: number; rateScale: number; unfamiliar?: boolean }[] = [
  { seed: 9001, hours: 12, rateScale: 1.3 },
  { seed: 9002, hours: 12, rateScale: 0.6 },
  { seed: 9003, hours: 12, rateScale: 1, unfamiliar: true },
];

/** Services unlike the training ones (see EVAL_RUNS). */
export function unfamiliarServices(): ServiceProfile[] {
  return defaultServices().map((s, i) => ({
    ...s,
    name: `${s.name}-v2`,
    hosts: s.hosts.map((h) => h.replace(s.name, `${s.name}-v2`)),
    baseRate: s.baseRate * [0.02, 4, 0.5, 2, 8][i]!,
    errorShare: s.errorShare * [8, 3, 10, 1, 5][i]!,
    warnShare: s.warnShare * 2,
    latencyMedianMs: s.latencyMedianMs * [3, 0.5, 2, 1, 4][i]!,
    latencySigma: s.latencySigma * 1.3,
    baseCpu: Math.min(0.7, s.baseCpu * 1.8),
    baseMemory: Math.min(0.82, s.baseMemory + 0.2),
    cpus: s.cpus * 2,
  }));
}

interface Flag {
  series: string;
  start: number;
  anomaly: boolean;
  label: 1 | 0 | -1;
  kind: IncidentKind | '';
}

interface KindStats {
  windows: number;
  detectedWindows: number;
  incidents: number;
  detectedIncidents: number;
  delays: number[];
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function evaluateRun(run: (typeof EVAL_RUNS)[number], scorer: Scorer, flags: Flag[], incidents: (LabelledIncident & { series: string })[]): Promise<void> {
  const startMs = Date.parse('2026-12-01T00:00:00.000Z');
  const durationMs = run.hours * 3_600_000;
  const services = run.unfamiliar ? unfamiliarServices() : defaultServices();
  const specs = randomIncidents(run.seed, { startMs, durationMs, services, perKind: Math.round(run.hours * 0.6) });
  const w = generateWorkload({ seed: run.seed, startMs, durationMs, services, rateScale: run.rateScale, incidents: specs });
  for (const inc of w.incidents) {
    if (LOG_INCIDENT_KINDS.includes(inc.kind)) incidents.push({ ...inc, series: `${run.seed}/service/${inc.service}` });
    else for (const h of inc.hosts) incidents.push({ ...inc, series: `${run.seed}/host/${h}` });
  }
  for (const rows of replayServiceWindows(w, { windowMs: WINDOW_MS })) {
    const { rows: scored } = await scorer.scoreServiceWindows(rows);
    for (const r of scored) {
      if (!r.scored) continue;
      const start = windowTimeMs(r.window_start);
      const l = serviceWindowLabel(w.incidents, r.service, start, start + WINDOW_MS);
      flags.push({ series: `${run.seed}/service/${r.service}`, start, anomaly: r.anomaly === 1, label: l.label, kind: l.kind });
    }
  }
  for (const group of replayHostWindows(w, { windowMs: WINDOW_MS })) {
    await scorer.scoreHostWindows(group);
    for (const hw of group) {
      const r = hw.rows[0]!;
      if (!r.scored) continue;
      const start = windowTimeMs(hw.window_start);
      const l = hostWindowLabel(w.incidents, hw.service, hw.host, start, start + WINDOW_MS);
      flags.push({ series: `${run.seed}/host/${hw.host}`, start, anomaly: r.anomaly === 1, label: l.label, kind: l.kind });
    }
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const flags: Flag[] = [];
  const incidents: (LabelledIncident & { series: string })[] = [];
  let models: { name: string; version: string }[] = [];
  for (const run of EVAL_RUNS) {
    // A fresh scorer per run, as a fresh worker: baselines of one run must not leak into the next.
    const scorer = await Scorer.open({ ...defaultScoringConfig(ROOT), watch: false });
    await evaluateRun(run, scorer, flags, incidents);
    models = scorer.models();
    await scorer.close();
  }

  const family = (f: Flag): string => (f.series.includes('/host/') ? 'host' : 'service');
  const perModel: Record<string, { precision: number; recall: number; tp: number; fp: number; fn: number; windows: number }> = {};
  for (const fam of ['service', 'host']) {
    const sel = flags.filter((f) => family(f) === fam && f.label >= 0);
    const tp = sel.filter((f) => f.anomaly && f.label === 1).length;
    const fp = sel.filter((f) => f.anomaly && f.label === 0).length;
    const fn = sel.filter((f) => !f.anomaly && f.label === 1).length;
    perModel[fam] = { precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), tp, fp, fn, windows: sel.length };
  }

  const perRun = EVAL_RUNS.map((run) => {
    const sel = flags.filter((f) => f.series.startsWith(`${run.seed}/`) && f.label >= 0);
    const tp = sel.filter((f) => f.anomaly && f.label === 1).length;
    const fp = sel.filter((f) => f.anomaly && f.label === 0).length;
    const fn = sel.filter((f) => !f.anomaly && f.label === 1).length;
    const incs = incidents.filter((i) => i.series.startsWith(`${run.seed}/`));
    return { ...run, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), tp, fp, fn, incidents: incs.length };
  });
  const bySeries = new Map<string, Flag[]>();
  for (const f of flags) (bySeries.get(f.series) ?? bySeries.set(f.series, []).get(f.series)!).push(f);
  const kinds = new Map<string, KindStats>();
  const stat = (k: string): KindStats => kinds.get(k) ?? kinds.set(k, { windows: 0, detectedWindows: 0, incidents: 0, detectedIncidents: 0, delays: [] }).get(k)!;
  for (const f of flags) {
    if (f.label !== 1) continue;
    const s = stat(f.kind);
    s.windows++;
    if (f.anomaly) s.detectedWindows++;
  }
  const missed: { series: string; kind: string; start: string; minutes: number; intensity: number }[] = [];
  for (const inc of incidents) {
    const s = stat(inc.kind);
    s.incidents++;
    const first = Math.floor(inc.startMs / WINDOW_MS) * WINDOW_MS;
    const hit = (bySeries.get(inc.series) ?? []).filter((f) => f.anomaly && f.start >= first && f.start < inc.endMs).sort((a, b) => a.start - b.start)[0];
    if (hit) {
      s.detectedIncidents++;
      s.delays.push((hit.start - first) / WINDOW_MS);
    } else {
      missed.push({ series: inc.series, kind: inc.kind, start: new Date(inc.startMs).toISOString(), minutes: inc.durationMs / 60_000, intensity: Math.round(inc.intensity * 1000) / 1000 });
    }
  }
  const allDelays = [...kinds.values()].flatMap((s) => s.delays);
  const totalIncidents = incidents.length;
  const detected = [...kinds.values()].reduce((a, s) => a + s.detectedIncidents, 0);
  const result = {
    generated_at: new Date().toISOString(),
    runs: EVAL_RUNS,
    window_s: WINDOW_MS / 1000,
    models: models.map((m) => ({ name: m.name, version: m.version })),
    per_model: perModel,
    per_run: perRun,
    per_kind: Object.fromEntries([...kinds.entries()].sort().map(([k, s]) => [k, {
      window_recall: s.detectedWindows / Math.max(1, s.windows), windows: s.windows,
      incident_recall: s.detectedIncidents / Math.max(1, s.incidents), incidents: s.incidents,
      median_delay_windows: median(s.delays), max_delay_windows: s.delays.length ? Math.max(...s.delays) : null,
    }])),
    overall: {
      incident_recall: detected / Math.max(1, totalIncidents), incidents: totalIncidents,
      window_precision: (perModel.service!.tp + perModel.host!.tp) / Math.max(1, perModel.service!.tp + perModel.host!.tp + perModel.service!.fp + perModel.host!.fp),
      window_recall: (perModel.service!.tp + perModel.host!.tp) / Math.max(1, perModel.service!.tp + perModel.host!.tp + perModel.service!.fn + perModel.host!.fn),
      median_delay_windows: median(allDelays),
    },
    missed_incidents: missed,
    seconds: (Date.now() - t0) / 1000,
  };

  const pct = (x: number): string => (100 * x).toFixed(1).padStart(6);
  const lines = [
    `models-eval: seeds ${EVAL_RUNS.map((r) => r.seed).join(', ')} (${EVAL_RUNS.reduce((a, r) => a + r.hours, 0)} h, 1-minute windows), never used in training`,
    '',
    'kind                 windows  window recall  incidents  incident recall  median delay  max delay',
    ...Object.entries(result.per_kind).map(([k, s]) =>
      `${k.padEnd(20)} ${String(s.windows).padStart(7)}  ${pct(s.window_recall)} %      ${String(s.incidents).padStart(9)}  ${pct(s.incident_recall)} %         ${String(s.median_delay_windows ?? '-').padStart(5)}  ${String(s.max_delay_windows ?? '-').padStart(9)}`),
    '',
    'model      windows  precision  recall     TP    FP    FN',
    ...Object.entries(perModel).map(([k, m]) => `${k.padEnd(9)} ${String(m.windows).padStart(8)}  ${pct(m.precision)} %  ${pct(m.recall)} %  ${String(m.tp).padStart(5)} ${String(m.fp).padStart(5)} ${String(m.fn).padStart(5)}`),
    '',
    'run                                             precision  recall     TP    FP    FN',
    ...perRun.map((r) => `${`seed ${r.seed}, ${r.hours} h, rate x${r.rateScale}${r.unfamiliar ? ', unfamiliar services' : ''}`.padEnd(47)} ${pct(r.precision)} %  ${pct(r.recall)} %  ${String(r.tp).padStart(5)} ${String(r.fp).padStart(5)} ${String(r.fn).padStart(5)}`),
    '',
    `overall: incident recall ${pct(result.overall.incident_recall)} % of ${totalIncidents}, window precision ${pct(result.overall.window_precision)} %, window recall ${pct(result.overall.window_recall)} %, median delay ${result.overall.median_delay_windows} windows`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const out = join(ROOT, 'bench', 'results', 'models-eval.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`\nwrote ${out} in ${result.seconds.toFixed(0)} s\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
