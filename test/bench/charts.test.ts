// The charts of bench:report (bench/charts.ts) are drawn from the results JSON: each bar carries the
// figure it was drawn from (its aria-label), so these tests read the SVG back and compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartsFrom, renderSvg, writeCharts } from '../../bench/charts.ts';

const results = fileURLToPath(new URL('../../bench/results/', import.meta.url));

/** The aria-labels of the bars (or lines) of an SVG, e.g. "system: HDFS; ...; ga: 1.000". */
function marks(svg: string): string[] {
  return [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol"/g)].map((m) => m[1]!);
}

test('the committed results give a chart per results file, each an SVG whose bars are the figures of that file', async () => {
  const charts = chartsFrom(results);
  const byFile = new Map(charts.map((c) => [c.source, c]));
  for (const source of ['agent.json', 'pipeline.json', 'patterns.json', 'models-eval.json']) assert.ok(byFile.has(source), `a chart from ${source}`);
  const patterns = JSON.parse(readFileSync(join(results, 'patterns.json'), 'utf8')) as { systems: Array<{ system: string; ga: number; drainGa: number }> };
  const svg = await renderSvg(byFile.get('patterns.json')!.spec);
  assert.match(svg, /^<svg /);
  const bars = marks(svg);
  assert.equal(bars.length, patterns.systems.length * 2);
  for (const s of patterns.systems) {
    assert.ok(bars.some((b) => b.includes(`system: ${s.system};`) && b.includes('parser: Tributary') && b.includes(`ga: ${s.ga.toFixed(3)}`)), `Tributary bar of ${s.system}`);
    assert.ok(bars.some((b) => b.includes(`system: ${s.system};`) && b.includes('parser: Drain') && b.includes(`ga: ${s.drainGa.toFixed(3)}`)), `Drain bar of ${s.system}`);
  }
});

test('charts follow the results: other figures draw other bars, a soak run gets its memory chart, missing files get none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-charts-'));
  const out = join(dir, 'charts');
  try {
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ lineBytes: 100, agent: { linesPerSecond: 12345, cpuSecondsPer100k: 2 }, kcat: { linesPerSecond: 99999, cpuSecondsPer100k: 0.5 } }));
    writeFileSync(join(dir, 'soak.json'), JSON.stringify({ samples: [0, 10, 20, 30].map((m) => ({ elapsedMin: m, workerRssMb: 200 + m, agentHeapBytes: (50 + m) * 1024 * 1024 })) }));
    const written = await writeCharts(dir, out);
    assert.deepEqual(written.map((c) => c.file).sort(), ['agent-throughput.svg', 'soak-memory.svg']);
    const agent = readFileSync(join(out, 'agent-throughput.svg'), 'utf8');
    const bars = marks(agent);
    assert.ok(bars.some((b) => b.includes('producer: tributary agent') && b.includes('linesPerSecond: 12,345.0')), bars.join('\n'));
    assert.ok(bars.some((b) => b.includes('producer: tributary agent') && b.includes('cpuMicrosPerLine: 20.0')), 'CPU s per 100k lines drawn as µs per line');
    assert.ok(bars.some((b) => b.includes('producer: kcat (librdkafka)') && b.includes('linesPerSecond: 99,999.0')));
    assert.ok(!bars.some((b) => b.includes('kafkajs alone')), 'no bar for a producer the results do not have');
    const soak = readFileSync(join(out, 'soak-memory.svg'), 'utf8');
    assert.match(soak, /workerRss/);
    assert.match(soak, /agentHeap/);
    assert.equal(existsSync(join(out, 'pattern-accuracy.svg')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
