/**
 * Charts of the benchmark and evaluation results: bench/results/*.json in, one SVG per figure out
 * (bench/charts/), drawn by Vega-Lite specs compiled and rendered by Vega in Node (no browser, no canvas:
 * the SVG renderer estimates text widths). `npm run bench:report` calls this, so every chart, like every
 * table, comes from a script's JSON and never from a hand.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface Chart {
  /** File name under the charts folder. */
  file: string;
  /** What it shows, also the image's alt text in the README. */
  title: string;
  /** The results file it is drawn from. */
  source: string;
  spec: TopLevelSpec;
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#e6e6e6', labelLimit: 260 },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' },
} as const;
/** Ours first and in one colour everywhere; peers after it. */
const OURS = '#2f6f9f';
const PEERS = ['#9aa5b1', '#c7ccd1', '#6b7785'];

function load(dir: string, name: string): Json | undefined {
  const path = join(dir, name);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : undefined;
}

function agentCharts(r: Json): Chart[] {
  const rows: Array<{ producer: string; linesPerSecond: number; cpuMicrosPerLine: number }> = [];
  const add = (producer: string, p: unknown) => {
    const o = p as Json | undefined;
    const rate = num(o?.linesPerSecond);
    const cpu = num(o?.cpuSecondsPer100k);
    if (rate !== undefined && cpu !== undefined) rows.push({ producer, linesPerSecond: rate, cpuMicrosPerLine: cpu * 10 }); // s per 100k lines -> µs per line
  };
  // bench:agent writes one row per shipper with min / median / max over its rounds; the medians are drawn.
  const shipperRows = Array.isArray(r.rows) ? (r.rows as Json[]) : [];
  for (const row of shipperRows) {
    const rate = num((row.linesPerSecond as Json | undefined)?.median);
    const cpu = num((row.cpuMicrosecondsPerLine as Json | undefined)?.median);
    if (rate !== undefined && cpu !== undefined) rows.push({ producer: String(row.name), linesPerSecond: rate, cpuMicrosPerLine: cpu });
  }
  if (shipperRows.length === 0) {
    add('tributary agent', r.agent);
    add('kafkajs alone, no parsing', r.kafkajsAlone);
    add('kcat (librdkafka)', r.kcat);
  }
  if (rows.length === 0) return [];
  let peer = 0;
  const range = rows.map((x) => (/^(tributary|our )/.test(x.producer) ? OURS : PEERS[peer++ % PEERS.length]!));
  const color = { field: 'producer', type: 'nominal', legend: null, sort: rows.map((x) => x.producer), scale: { domain: rows.map((x) => x.producer), range } } as const;
  const bar = (field: string, title: string) => ({
    width: 260,
    height: 22 * rows.length,
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'producer', type: 'nominal', sort: null, title: null },
      x: { field, type: 'quantitative', title },
      color,
      tooltip: [{ field: 'producer' }, { field, format: ',.1f' }],
    },
  });
  const text = (field: string, format: string) => ({ mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { y: { field: 'producer', type: 'nominal', sort: null }, x: { field, type: 'quantitative' }, text: { field, format } } });
  return [{
    file: 'agent-throughput.svg',
    title: 'Agent: lines per second and CPU per line, against our producer alone, the other Node.js clients alone, kcat and the Collector (medians)',
    source: 'agent.json',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `Agent, file to Kafka (${String(r.lineBytes ?? '?')}-byte lines, lz4, acks=all)`,
      data: { values: rows },
      hconcat: [
        { layer: [bar('linesPerSecond', 'lines per second (more is better)'), text('linesPerSecond', ',.0f')] },
        { layer: [bar('cpuMicrosPerLine', 'CPU µs per line (less is better)'), text('cpuMicrosPerLine', ',.1f')], encoding: { y: { field: 'producer', type: 'nominal', sort: null, axis: null } } },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  }];
}

function pipelineCharts(r: Json): Chart[] {
  const latency = Array.isArray(r.latency) ? (r.latency as Json[]) : [];
  const rows: Array<{ rate: string; percentile: string; ms: number }> = [];
  for (const l of latency) {
    const rate = `${(num(l.rate) ?? 0).toLocaleString('en-US')} lines/s`;
    for (const [percentile, key] of [['p50', 'p50Ms'], ['p99', 'p99Ms'], ['max', 'maxMs']] as const) {
      const ms = num(l[key]);
      if (ms !== undefined) rows.push({ rate, percentile, ms });
    }
  }
  if (rows.length === 0) return [];
  return [{
    file: 'worker-latency.svg',
    title: 'Worker: file line to visible row, latency percentiles per input rate',
    source: 'pipeline.json',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'File line to visible row in ClickHouse (ms)',
      data: { values: rows },
      width: 360,
      height: 160,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'rate', type: 'nominal', title: null, axis: { labelAngle: 0 } },
            xOffset: { field: 'percentile', sort: ['p50', 'p99', 'max'] },
            y: { field: 'ms', type: 'quantitative', title: 'milliseconds' },
            color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p99', 'max'], scale: { range: [OURS, '#7fa7c6', PEERS[0]] }, title: null },
          },
        },
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#b33' },
          encoding: { y: { datum: 2000 } },
        },
        {
          mark: { type: 'text', align: 'right', dy: -5, color: '#b33', fontSize: 10 },
          encoding: { y: { datum: 2000 }, x: { value: 360 }, text: { value: 'aim: p99 under 2 s' } },
        },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  }];
}

function patternCharts(r: Json): Chart[] {
  const systems = Array.isArray(r.systems) ? (r.systems as Json[]) : [];
  const rows: Array<{ system: string; parser: string; ga: number }> = [];
  for (const s of systems) {
    const ga = num(s.ga);
    const drain = num(s.drainGa);
    if (ga !== undefined) rows.push({ system: String(s.system), parser: 'Tributary', ga });
    if (drain !== undefined) rows.push({ system: String(s.system), parser: 'Drain (published)', ga: drain });
  }
  if (rows.length === 0) return [];
  return [{
    file: 'pattern-accuracy.svg',
    title: 'Log patterns: grouping accuracy per Loghub system, Tributary against Drain',
    source: 'patterns.json',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Grouping accuracy on Loghub-2k (1.0 = every line grouped right)',
      data: { values: rows },
      width: 440,
      height: 170,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'system', type: 'nominal', title: null, axis: { labelAngle: 0 }, sort: null },
        xOffset: { field: 'parser', sort: ['Tributary', 'Drain (published)'] },
        y: { field: 'ga', type: 'quantitative', title: 'grouping accuracy', scale: { domain: [0, 1] } },
        color: { field: 'parser', type: 'nominal', sort: ['Tributary', 'Drain (published)'], scale: { range: [OURS, PEERS[0]] }, title: null },
        tooltip: [{ field: 'system' }, { field: 'parser' }, { field: 'ga', format: '.3f' }],
      },
      config: CONFIG,
    } as TopLevelSpec,
  }];
}

function modelCharts(r: Json): Chart[] {
  const perKind = (r.per_kind ?? {}) as Record<string, Json>;
  const rows: Array<{ kind: string; measure: string; recall: number }> = [];
  for (const [kind, v] of Object.entries(perKind)) {
    const incident = num(v.incident_recall);
    const window = num(v.window_recall);
    if (incident !== undefined) rows.push({ kind, measure: 'incidents caught', recall: incident });
    if (window !== undefined) rows.push({ kind, measure: 'anomalous windows flagged', recall: window });
  }
  if (rows.length === 0) return [];
  return [{
    file: 'detection-by-kind.svg',
    title: 'Anomaly models: incident recall and window recall per incident kind',
    source: 'models-eval.json',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Detection per incident kind (seeds training never saw)',
      data: { values: rows },
      width: 300,
      height: { step: 13 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'kind', type: 'nominal', title: null, sort: null },
        yOffset: { field: 'measure', sort: ['incidents caught', 'anomalous windows flagged'] },
        x: { field: 'recall', type: 'quantitative', title: 'recall', scale: { domain: [0, 1] }, axis: { format: '%' } },
        color: { field: 'measure', type: 'nominal', sort: ['incidents caught', 'anomalous windows flagged'], scale: { range: [OURS, '#7fa7c6'] }, title: null },
        tooltip: [{ field: 'kind' }, { field: 'measure' }, { field: 'recall', format: '.1%' }],
      },
      config: CONFIG,
    } as TopLevelSpec,
  }];
}

/**
 * Soak runs (bench/results/soak.json, when a soak script wrote one): `samples` is a list of objects with
 * a time (`elapsedS`, `elapsedMin`, `minutes` or an ISO `time`) and memory figures; every numeric field
 * whose name says megabytes (`...Mb`/`...MB`) or bytes (`...Bytes`, drawn in MB) is a line.
 */
function soakCharts(r: Json): Chart[] {
  const samples = Array.isArray(r.samples) ? (r.samples as Json[]) : [];
  const rows: Array<{ minutes: number; series: string; mb: number }> = [];
  const t0 = samples.length > 0 && typeof samples[0]!.time === 'string' ? Date.parse(samples[0]!.time as string) : undefined;
  for (const s of samples) {
    const minutes = num(s.elapsedMin) ?? num(s.minutes) ?? (num(s.elapsedS) !== undefined ? num(s.elapsedS)! / 60 : undefined) ?? (t0 !== undefined && typeof s.time === 'string' ? (Date.parse(s.time) - t0) / 60_000 : undefined);
    if (minutes === undefined) continue;
    for (const [k, v] of Object.entries(s)) {
      const value = num(v);
      if (value === undefined) continue;
      if (/(Mb|MB)$/.test(k)) rows.push({ minutes, series: k.replace(/(Mb|MB)$/, ''), mb: value });
      else if (/Bytes$/.test(k)) rows.push({ minutes, series: k.replace(/Bytes$/, ''), mb: value / 1024 / 1024 });
    }
  }
  if (rows.length === 0) return [];
  return [{
    file: 'soak-memory.svg',
    title: 'Soak: memory over time',
    source: 'soak.json',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Memory over a soak run (MB)',
      data: { values: rows },
      width: 440,
      height: 180,
      mark: { type: 'line', point: false },
      encoding: {
        x: { field: 'minutes', type: 'quantitative', title: 'minutes into the run' },
        y: { field: 'mb', type: 'quantitative', title: 'MB' },
        color: { field: 'series', type: 'nominal', title: null },
      },
      config: CONFIG,
    } as TopLevelSpec,
  }];
}

/** Every chart the results in `dir` allow; a missing file or field means no chart for it, not an error. */
export function chartsFrom(dir: string): Chart[] {
  const charts: Chart[] = [];
  const agent = load(dir, 'agent.json');
  if (agent) charts.push(...agentCharts(agent));
  const pipeline = load(dir, 'pipeline.json');
  if (pipeline) charts.push(...pipelineCharts(pipeline));
  const patterns = load(dir, 'patterns.json');
  if (patterns) charts.push(...patternCharts(patterns));
  const models = load(dir, 'models-eval.json');
  if (models) charts.push(...modelCharts(models));
  const soak = load(dir, 'soak.json');
  if (soak) charts.push(...soakCharts(soak));
  return charts;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders every chart into `outDir`; returns what was written. */
export async function writeCharts(resultsDir: string, outDir: string): Promise<Chart[]> {
  const charts = chartsFrom(resultsDir);
  mkdirSync(outDir, { recursive: true });
  for (const c of charts) writeFileSync(join(outDir, c.file), (await renderSvg(c.spec)) + '\n');
  return charts;
}
