/**
 * `npm run bench:report`: prints, as Markdown, the tables of the last benchmark and evaluation runs
 * (`bench/results/*.json`, written by the scripts named in each table), and draws their charts into
 * `bench/charts/*.svg` (bench/charts.ts), linked under each table. The README's performance section is
 * this output, so every figure there, table or chart, comes from a script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { writeCharts } from './charts.ts';

const dir = fileURLToPath(new URL('./results/', import.meta.url));
const load = <T>(name: string): T | undefined => (existsSync(join(dir, name)) ? (JSON.parse(readFileSync(join(dir, name), 'utf8')) as T) : undefined);
const n = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const out: string[] = [];
const charts = await writeCharts(dir, fileURLToPath(new URL('./charts/', import.meta.url)));
/** The charts drawn from one results file, as README images (paths from the repository root). */
const images = (source: string) => {
  for (const c of charts.filter((x) => x.source === source)) out.push(`![${c.title}](bench/charts/${c.file})`, '');
};
const table = (head: string[], rows: (string | number)[][]) => {
  out.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
};

interface Spread { min: number; median: number; max: number }
interface ShipperRow { name: string; linesPerSecond: Spread; cpuMicrosecondsPerLine: Spread; steadyCpuMicrosecondsPerLine?: Spread; peakRssMb: Spread }
const agent = load<{ date: string; lines: number; lineBytes: number; rounds: number; rows?: ShipperRow[]; agentVsKcat: number; agentVsKcatLoghub?: number; cpuMicrosecondsPerLine?: Record<string, number> }>('agent.json');
if (agent?.rows) {
  out.push(`### Agent: file to Kafka (\`npm run bench:agent\`, ${agent.date.slice(0, 10)})`, '');
  out.push(`${n(agent.lines)} lines of ${agent.lineBytes} bytes, each shipper into a fresh 6-partition topic, lz4, acks=all, idempotent; ${agent.rounds} interleaved rounds, median (min–max), each shipper in its own process.`, '');
  const f = (x: Spread, d = 0) => `${n(x.median, d)} (${n(x.min, d)}–${n(x.max, d)})`;
  table(['shipper', 'lines/s', 'CPU µs per line', 'from 10 % to 90 % acknowledged', 'peak RSS MB'], agent.rows.map((r) => [r.name, f(r.linesPerSecond), f(r.cpuMicrosecondsPerLine, 2), r.steadyCpuMicrosecondsPerLine ? f(r.steadyCpuMicrosecondsPerLine, 2) : '–', f(r.peakRssMb)]));
  if (agent.cpuMicrosecondsPerLine) {
    out.push(`Our own stages per line (CPU µs, one core, best of 3 on 50k lines): ${Object.entries(agent.cpuMicrosecondsPerLine).map(([k, v]) => `${k} ${v}`).join(', ')}. The agent with its defaults reaches ${pct(agent.agentVsKcat)} of kcat's rate${agent.agentVsKcatLoghub !== undefined ? ` (${pct(agent.agentVsKcatLoghub)} on the Loghub lines)` : ''}.`, '');
  }
  images('agent.json');
}

const intake = load<{ date: string; lines: number; bytesPerMessage: number; rounds: number; rows: Array<{ shipper: string; messagesPerSecond: number[]; cpuUsPerMessage: number[]; steadyCpuUsPerMessage: number[]; peakRssMb: number[] }> }>('intake.json');
if (intake) {
  out.push(`### Agent: syslog over TCP to Kafka (\`npm run bench:intake\`, ${intake.date.slice(0, 10)})`, '');
  out.push(`${n(intake.lines)} RFC 3164 messages (${n(intake.bytesPerMessage)} bytes on average) down one TCP connection, each shipper into a fresh 6-partition topic, lz4, acks=all, idempotent; ${intake.rounds} interleaved rounds, median (min–max).`, '');
  const f = (xs: number[], d = 0) => {
    const s = [...xs].sort((a, b) => a - b);
    const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    return s.length === 0 ? '–' : `${n(median, d)} (${n(s[0], d)}–${n(s[s.length - 1], d)})`;
  };
  table(['shipper', 'messages/s', 'CPU µs per message', 'from 10 % to 90 % stored', 'peak RSS MB'], intake.rows.map((r) => [r.shipper, f(r.messagesPerSecond), f(r.cpuUsPerMessage, 2), f(r.steadyCpuUsPerMessage, 2), f(r.peakRssMb)]));
}

const pipeline = load<{ when: string; throughput: { records: number; recordsPerSecond: number; recordsPerCpuSecond: number; patterns: number; serviceWindows: number; metricWindows: number }; latency: Array<{ rate: number; seen: number; lines: number; p50Ms: number; p99Ms: number; maxMs: number }> }>('pipeline.json');
if (pipeline) {
  out.push(`### Worker: Kafka to ClickHouse (\`npm run bench:pipeline\`, ${pipeline.when.slice(0, 10)})`, '');
  table(['measure', 'result'], [
    ['records/s, one worker process (raw logs, patterns, windows, scores written)', n(pipeline.throughput.recordsPerSecond)],
    ['records per CPU-second of that process', n(pipeline.throughput.recordsPerCpuSecond)],
    ...pipeline.latency.map((l) => [`file line -> visible row at ${n(l.rate)} lines/s: p50 / p99 / max`, `${n(l.p50Ms)} / ${n(l.p99Ms)} / ${n(l.maxMs)} ms (${n(l.seen)} of ${n(l.lines)} lines)`]),
  ]);
  images('pipeline.json');
}

const patterns = load<{ generatedAt: string; systems: Array<{ system: string; ga: number; drainGa: number }>; average: { ga: number; drainGa: number }; speed: { minerLinesPerCpuSecond: number; cliLinesPerCpuSecond: number; lines: number } }>('patterns.json');
if (patterns) {
  out.push(`### Log patterns: grouping accuracy on Loghub-2k (\`npm run eval:patterns\`, ${patterns.generatedAt.slice(0, 10)})`, '');
  table(['system', 'Tributary', 'Drain'], [...patterns.systems.map((s) => [s.system, s.ga.toFixed(3), s.drainGa.toFixed(3)]), ['**average**', `**${patterns.average.ga.toFixed(3)}**`, patterns.average.drainGa.toFixed(3)]]);
  out.push(`Speed over ${n(patterns.speed.lines)} lines: ${n(patterns.speed.minerLinesPerCpuSecond)} lines per CPU-second in the miner, ${n(patterns.speed.cliLinesPerCpuSecond)} through \`tributary patterns\` end to end.`, '');
  images('patterns.json');
}

const evalm = load<{ generated_at: string; per_kind: Record<string, { window_recall: number; incident_recall: number; median_delay_windows: number }>; per_model: Record<string, { precision: number; recall: number }>; overall: { incident_recall: number; incidents: number; window_precision: number; window_recall: number; median_delay_windows: number } }>('models-eval.json');
if (evalm) {
  out.push(`### Anomaly models (\`npm run eval:models\`, ${evalm.generated_at.slice(0, 10)}; seeds training never saw)`, '');
  table(['incident kind', 'incident recall', 'window recall', 'median delay (windows)'], Object.entries(evalm.per_kind).map(([k, v]) => [k, pct(v.incident_recall), pct(v.window_recall), v.median_delay_windows]));
  out.push(`Overall: incident recall ${pct(evalm.overall.incident_recall)} of ${evalm.overall.incidents} incidents, window precision ${pct(evalm.overall.window_precision)}, window recall ${pct(evalm.overall.window_recall)}, median delay ${evalm.overall.median_delay_windows} windows. ` +
    Object.entries(evalm.per_model).map(([m, v]) => `${m} model: precision ${pct(v.precision)}, recall ${pct(v.recall)}`).join('; ') + '.', '');
  images('models-eval.json');
}

const models = load<{ generated_at: string; throughput_windows_per_s: Record<string, number>; cpu_share: Array<{ label: string; scoring_share_of_worker_cpu: number; tick_scoring_p50_ms: number }> }>('models.json');
if (models) {
  out.push(`### Scoring (\`npm run bench:models\`, ${models.generated_at.slice(0, 10)})`, '');
  table(['windows per session.run', 'windows scored/s'], Object.entries(models.throughput_windows_per_s).map(([k, v]) => [k.replace('batch_', ''), n(v)]));
  out.push(`At 10k records/s, scoring takes ${models.cpu_share.map((c) => `${pct(c.scoring_share_of_worker_cpu)} of worker CPU with ${c.label}`).join(' and ')}.`, '');
}

// Results this report has no table for yet (a soak run) still get their chart.
images('soak.json');
process.stdout.write(out.join('\n') + '\n');
