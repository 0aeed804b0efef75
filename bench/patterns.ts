/**
 * Evaluation of the log pattern miner: the Loghub 2k samples in, grouping accuracy per system (against
 * the ground-truth EventId, beside Drain's published figure) and lines/s on one core out, printed as a
 * table and written to `bench/results/patterns.json`.
 * Run: `npm run eval:patterns` (optional: `-- --dir <loghub-2k folder>` and `-- --lines <n>` for the speed run).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PatternMiner } from '../pipeline/transforms/patterns/miner.ts';
import { availableSystems, DEFAULT_LOGHUB_DIR, DRAIN_GA, groupingAccuracy, loadSample } from './loghub.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { dir: { type: 'string' }, lines: { type: 'string' } },
});
const dir = values.dir ?? DEFAULT_LOGHUB_DIR;
const speedLines = Number(values.lines ?? 1_000_000);

/** Runs `tributary patterns` as the evaluation does: bodies on stdin, `<id>\t<template>` lines back. */
function runCli(input: string, args: string[] = []): { ids: string[]; templates: string[] } {
  const res = spawnSync(process.execPath, [join(ROOT, 'bin/tributary.js'), 'patterns', ...args], {
    input,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`tributary patterns failed (${res.status}): ${res.stderr}`);
  const lines = res.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const ids: string[] = [];
  const templates: string[] = [];
  for (const l of lines) {
    const tab = l.indexOf('\t');
    ids.push(l.slice(0, tab));
    templates.push(l.slice(tab + 1));
  }
  return { ids, templates };
}

interface SystemResult {
  system: string;
  lines: number;
  events: number;
  patterns: number;
  ga: number;
  gaStream: number;
  drainGa: number | null;
  contentMismatches: number;
}

const systems = availableSystems(dir);
if (systems.length === 0) {
  process.stderr.write(`no Loghub samples found under ${dir}\n`);
  process.exit(2);
}

const results: SystemResult[] = [];
const corpus: string[] = [];
for (const system of systems) {
  const sample = loadSample(system, dir);
  corpus.push(...sample.contents);
  const input = sample.contents.join('\n') + '\n';
  const final = runCli(input);
  const stream = runCli(input, ['--stream']);
  if (final.ids.length !== sample.contents.length) {
    throw new Error(`${system}: ${final.ids.length} output lines for ${sample.contents.length} input lines`);
  }
  results.push({
    system,
    lines: sample.contents.length,
    events: new Set(sample.eventIds).size,
    patterns: new Set(final.ids).size,
    ga: groupingAccuracy(final.ids, sample.eventIds),
    gaStream: groupingAccuracy(stream.ids, sample.eventIds),
    drainGa: DRAIN_GA[system] ?? null,
    contentMismatches: sample.contentMismatches,
  });
}

// Speed, in process: the miner alone over the samples repeated to about `speedLines` lines, CPU time.
const reps = Math.max(1, Math.round(speedLines / corpus.length));
const miner = new PatternMiner();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let r = 0; r < reps; r++) for (const body of corpus) miner.match(body);
const wallMs = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const speedTotal = reps * corpus.length;
const minerCpuLps = speedTotal / ((cpu.user + cpu.system) / 1e6);
const minerWallLps = speedTotal / (wallMs / 1000);

// Speed, end to end: the CLI over the same lines through a pipe, process start included.
const tmp = mkdtempSync(join(tmpdir(), 'tributary-patterns-'));
let cliCpuLps: number | null = null;
let cliWallLps: number;
try {
  const file = join(tmp, 'bodies.txt');
  const text = corpus.join('\n') + '\n';
  writeFileSync(file, text.repeat(reps));
  const t0 = performance.now();
  // /usr/bin/time reports the child's CPU seconds when present; the wall time is measured either way.
  const fd = openSync(file, 'r');
  const timed = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, join(ROOT, 'bin/tributary.js'), 'patterns'], {
    stdio: [fd, 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  closeSync(fd);
  const t1 = performance.now();
  if (timed.status === 0) {
    const last = timed.stderr.trim().split('\n').pop() ?? '';
    const [u, s] = last.split(' ').map(Number);
    if (Number.isFinite(u) && Number.isFinite(s)) cliCpuLps = speedTotal / (u! + s!);
    cliWallLps = speedTotal / ((t1 - t0) / 1000);
  } else {
    const s0 = performance.now();
    const fd2 = openSync(file, 'r');
    const res = spawnSync(process.execPath, [join(ROOT, 'bin/tributary.js'), 'patterns'], {
      stdio: [fd2, 'ignore', 'inherit'],
    });
    closeSync(fd2);
    if (res.status !== 0) throw new Error('tributary patterns failed in the speed run');
    cliWallLps = speedTotal / ((performance.now() - s0) / 1000);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const compared = results.filter((r) => r.drainGa !== null);
const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const summary = {
  generatedAt: new Date().toISOString(),
  dataset: dir,
  systems: results,
  average: {
    ga: avg(results.map((r) => r.ga)),
    gaStream: avg(results.map((r) => r.gaStream)),
    drainGa: avg(compared.map((r) => r.drainGa!)),
  },
  atLeastDrainOnEvery: compared.every((r) => r.ga >= r.drainGa!),
  speed: {
    lines: speedTotal,
    minerLinesPerCpuSecond: Math.round(minerCpuLps),
    minerLinesPerWallSecond: Math.round(minerWallLps),
    cliLinesPerCpuSecond: cliCpuLps === null ? null : Math.round(cliCpuLps),
    cliLinesPerWallSecond: Math.round(cliWallLps),
  },
  options: miner.options,
};

const pad = (s: string, n: number): string => s.padEnd(n);
const f3 = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
const rows = [
  `${pad('system', 10)} ${pad('lines', 6)} ${pad('events', 6)} ${pad('ours', 8)} ${pad('GA', 6)} ${pad('GA-stream', 9)} Drain`,
  ...results.map(
    (r) =>
      `${pad(r.system, 10)} ${pad(String(r.lines), 6)} ${pad(String(r.events), 6)} ${pad(String(r.patterns), 8)} ${pad(f3(r.ga), 6)} ${pad(f3(r.gaStream), 9)} ${f3(r.drainGa)}`,
  ),
  `${pad('average', 10)} ${pad('', 6)} ${pad('', 6)} ${pad('', 8)} ${pad(f3(summary.average.ga), 6)} ${pad(f3(summary.average.gaStream), 9)} ${f3(summary.average.drainGa)}`,
  '',
  `speed over ${speedTotal} lines: miner ${summary.speed.minerLinesPerCpuSecond} lines/s per CPU second ` +
    `(${summary.speed.minerLinesPerWallSecond} wall); CLI end to end ${summary.speed.cliLinesPerCpuSecond ?? '-'} lines/s per CPU second ` +
    `(${summary.speed.cliLinesPerWallSecond} wall, process start included)`,
];
process.stdout.write(rows.join('\n') + '\n');

const outDir = join(ROOT, 'bench/results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'patterns.json'), JSON.stringify(summary, null, 2) + '\n');
process.stdout.write(`wrote ${join(outDir, 'patterns.json')}\n`);
