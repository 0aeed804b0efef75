// Every dashboard query (panels, annotations, variables) expanded as Grafana and the ClickHouse
// plugin expand it, run against chDB loaded with the demo-like workload with incidents; and the
// rollups checked against the raw tables for the same range.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildDashboards } from '../../dashboards/index.ts';
import { durationSeconds, expandPanelQuery, panelInterval, type VariableState } from '../../dashboards/macros.ts';
import { COUNTER_RATES, END_MS, HISTOGRAM, HISTOGRAM_BUCKETS, INCIDENTS, OTLP_HISTOGRAM, seedStore, START_MS, type SeededStore } from '../helpers/dashboard-data.ts';

let data: SeededStore;

before(async () => {
  data = await seedStore({ incidents: true });
});

after(async () => {
  await data?.close();
});

interface Column {
  name: string;
  type: string;
}

interface PanelQuery {
  dashboard: string;
  title: string;
  kind: string;
  sql: string;
  interval?: string;
  timeFrom?: string;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;
const TIME = /^(Nullable\()?DateTime/;
const TEXT = /^(Nullable\()?(LowCardinality\()?String/;

function queries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const { dashboard: d } of buildDashboards()) {
    for (const p of d.panels ?? []) {
      const panel = p as { type: string; title: string; targets?: Array<{ rawSql: string }>; interval?: string; timeFrom?: string };
      for (const t of panel.targets ?? []) out.push({ dashboard: d.uid!, title: panel.title, kind: panel.type, sql: t.rawSql, interval: panel.interval, timeFrom: panel.timeFrom });
    }
    for (const a of d.annotations?.list ?? []) {
      const target = a.target as unknown as { rawSql?: string } | undefined;
      if (target?.rawSql) out.push({ dashboard: d.uid!, title: `annotation ${a.name}`, kind: 'annotation', sql: target.rawSql });
    }
  }
  return out;
}

function variableQueries(): Array<{ dashboard: string; name: string; sql: string; multi: boolean }> {
  const out: Array<{ dashboard: string; name: string; sql: string; multi: boolean }> = [];
  for (const { dashboard: d } of buildDashboards()) {
    for (const v of d.templating?.list ?? []) if (v.type === 'query') out.push({ dashboard: d.uid!, name: v.name, sql: String(v.query), multi: v.multi !== false });
  }
  return out;
}

function range(q: Pick<PanelQuery, 'timeFrom'>): { from: Date; to: Date } {
  const to = new Date(END_MS);
  const from = q.timeFrom ? new Date(END_MS - durationSeconds(q.timeFrom) * 1000) : new Date(START_MS);
  return { from, to };
}

/** The options of every query variable, as Grafana would load them for the whole data range. */
async function variableOptions(): Promise<Record<string, string[]>> {
  const options: Record<string, string[]> = {};
  for (const v of variableQueries()) {
    // Variables may read the ones before them (the features dashboard's key list reads the view's table), as in Grafana.
    const sql = expandPanelQuery(v.sql, { from: new Date(START_MS), to: new Date(END_MS), intervalSeconds: 60, variables: allSelected(options) });
    const rows = await data.store.query<Record<string, string>>(sql);
    options[v.name] = rows.map((r) => Object.values(r)[0]!);
  }
  return options;
}

function allSelected(options: Record<string, string[]>): Record<string, VariableState> {
  const vars: Record<string, VariableState> = { search: { value: '' } };
  const single = new Set(variableQueries().filter((v) => !v.multi).map((v) => v.name));
  // A single-value variable (a table or column name) has no All: its first option is selected.
  for (const [name, list] of Object.entries(options)) vars[name] = single.has(name) ? { value: list[0] ?? '' } : { value: ['$__all'], options: list };
  vars.level = { value: ['$__all'], options: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'UNSPECIFIED'] };
  return vars;
}

async function run(q: PanelQuery, variables: Record<string, VariableState>): Promise<{ sql: string; columns: Column[]; rows: Record<string, unknown>[] }> {
  const { from, to } = range(q);
  const intervalSeconds = panelInterval(from, to, 1000, q.interval ? durationSeconds(q.interval) : 0);
  const sql = expandPanelQuery(q.sql, { from, to, intervalSeconds, variables });
  const columns = await data.store.query<Column>(`DESCRIBE TABLE (${sql})`);
  const rows = await data.store.query(sql);
  return { sql, columns, rows };
}

/** The columns each panel type needs from its query. */
function checkShape(q: PanelQuery, columns: Column[]): void {
  const names = columns.map((c) => c.name);
  const numeric = columns.filter((c) => NUMERIC.test(c.type));
  const where = `${q.dashboard} / ${q.title}: columns ${columns.map((c) => `${c.name} ${c.type}`).join(', ')}`;
  switch (q.kind) {
    case 'timeseries':
      assert.equal(columns[0]?.name, 'time', `${where}: the first column is time`);
      assert.match(columns[0]!.type, TIME, where);
      assert.ok(numeric.length >= 1, `${where}: needs a numeric column`);
      for (const c of columns.slice(1)) assert.ok(NUMERIC.test(c.type) || TEXT.test(c.type), `${where}: ${c.name} is neither a value nor a label`);
      break;
    case 'stat':
      assert.ok(numeric.length >= 1, `${where}: needs a numeric column`);
      break;
    case 'bargauge':
      assert.ok(numeric.length >= 1 && columns.some((c) => TEXT.test(c.type)), `${where}: needs a label and a value`);
      break;
    case 'table':
      assert.ok(columns.length >= 2, where);
      break;
    case 'logs':
      assert.equal(names[0], 'time', where);
      assert.match(columns[0]!.type, TIME, where);
      assert.ok(names.includes('body') && names.includes('level'), `${where}: needs body and level`);
      break;
    case 'annotation':
      for (const n of ['time', 'timeEnd', 'text', 'tags']) assert.ok(names.includes(n), `${where}: needs ${n}`);
      break;
    default:
      assert.fail(`${where}: no shape rule for panel type ${q.kind}`);
  }
}

test('the dashboards have the panels the issue asks for, each with one ClickHouse query', () => {
  const all = queries();
  assert.ok(all.length >= 30, `only ${all.length} queries`);
  const titles = new Set(all.map((q) => `${q.dashboard}/${q.title}`));
  for (const t of [
    'tributary-service-overview/Records per second',
    'tributary-service-overview/Error ratio',
    'tributary-service-overview/Latency p95 and p99',
    'tributary-service-overview/Anomaly score and threshold',
    'tributary-service-overview/annotation Anomalies',
    'tributary-logs/Log records',
    'tributary-patterns/Top patterns in range',
    'tributary-patterns/New patterns (first seen in range)',
    'tributary-patterns/Top 10 patterns over time',
    'tributary-hosts/Anomaly score and threshold',
    'tributary-pipeline-health/Records in and out per stage',
    'tributary-pipeline-health/Consumer lag per worker',
    'tributary-pipeline-health/DLQ records',
    'tributary-pipeline-health/Batch latency per stage',
    'tributary-pipeline-health/Model latency',
  ]) {
    assert.ok(titles.has(t), `missing panel ${t}`);
  }
});

test('every variable query returns one column of options, with rows', async () => {
  const options = await variableOptions();
  assert.deepEqual(options.service, data.services);
  assert.deepEqual(options.host, data.hosts);
  assert.ok((options.metric ?? []).includes('system.cpu.utilization'));
});

test('every panel and annotation query runs with All selected and returns the columns its panel needs, with rows', async () => {
  const vars = allSelected(await variableOptions());
  for (const q of queries()) {
    const { sql, columns, rows } = await run(q, vars);
    checkShape(q, columns);
    assert.ok(rows.length > 0, `${q.dashboard} / ${q.title} returned no rows:\n${sql}`);
    if (q.kind === 'timeseries') {
      // The plugin turns long frames into wide ones only when time is ascending.
      const times = rows.map((r) => Date.parse(String(r.time).replace(' ', 'T') + 'Z'));
      assert.ok(times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]!)), `${q.dashboard} / ${q.title}: rows are not in time order`);
    }
  }
});

test('with one service selected, panels that show a service show only that one', async () => {
  const vars = allSelected(await variableOptions());
  vars.service = { value: ['checkout'], options: data.services };
  let checked = 0;
  for (const q of queries()) {
    if (!q.sql.includes('$service')) continue;
    const { rows } = await run(q, vars);
    assert.ok(rows.length > 0, `${q.dashboard} / ${q.title} returned no rows for checkout`);
    for (const r of rows) if ('service' in r) assert.equal(r.service, 'checkout', `${q.dashboard} / ${q.title}`);
    checked++;
  }
  assert.ok(checked >= 15, `only ${checked} panels filter by service`);
});

test('a multi-value selection keeps both services and the level and text filters narrow the log list', async () => {
  const vars = allSelected(await variableOptions());
  vars.service = { value: ['checkout', 'search'], options: data.services };
  const rate = queries().find((q) => q.title === 'Records per second')!;
  const { rows } = await run(rate, vars);
  assert.deepEqual([...new Set(rows.map((r) => r.service))].sort(), ['checkout', 'search']);

  const list = queries().find((q) => q.title === 'Log records')!;
  vars.level = { value: ['ERROR'], options: [] };
  const errors = await run(list, vars);
  assert.ok(errors.rows.length > 0);
  for (const r of errors.rows) assert.equal(r.level, 'ERROR');
  const word = String(errors.rows[0]!.body).split(' ')[0]!;
  vars.search = { value: word };
  const found = await run(list, vars);
  assert.ok(found.rows.length > 0);
  for (const r of found.rows) assert.ok(String(r.body).includes(word));
  vars.search = { value: "no line has this ' text" };
  assert.equal((await run(list, vars)).rows.length, 0);
});

test('the minute and hour rollups agree with the raw logs, per service and level', async () => {
  const raw = await data.store.query<{ service: string; level: string; n: string }>(
    'SELECT service, level, count() AS n FROM logs GROUP BY service, level ORDER BY service, level',
  );
  for (const table of ['logs_1m', 'logs_1h']) {
    const rolled = await data.store.query<{ service: string; level: string; n: string }>(
      `SELECT service, level, countMerge(records) AS n FROM ${table} GROUP BY service, level ORDER BY service, level`,
    );
    assert.deepEqual(rolled, raw, table);
  }
  const bytes = await data.store.query('SELECT service, sum(length(body)) AS b FROM logs GROUP BY service ORDER BY service');
  const rolledBytes = await data.store.query('SELECT service, sumMerge(body_bytes) AS b FROM logs_1h GROUP BY service ORDER BY service');
  assert.deepEqual(rolledBytes, bytes);
});

test('the rate panel on the minute rollup adds up to the raw count for the same range', async () => {
  const vars = allSelected(await variableOptions());
  const rate = queries().find((q) => q.title === 'Records per second')!;
  const { rows } = await run(rate, vars);
  const { from, to } = range(rate);
  const interval = panelInterval(from, to, 1000, 60);
  const fromRollup: Record<string, number> = {};
  for (const r of rows) fromRollup[String(r.service)] = (fromRollup[String(r.service)] ?? 0) + Number(r.rate) * interval;
  const raw = await data.store.query<{ service: string; n: string }>(
    `SELECT service, count() AS n FROM logs WHERE time >= toDateTime(${from.getTime() / 1000}) AND time <= toDateTime(${to.getTime() / 1000}) GROUP BY service`,
  );
  for (const r of raw) assert.ok(Math.abs(fromRollup[r.service]! - Number(r.n)) < 1e-6 * Number(r.n) + 1e-6, `${r.service}: ${fromRollup[r.service]} vs ${r.n}`);
});

test('the error ratio and latency from the rollups match the raw logs', async () => {
  const raw = await data.store.query<{ service: string; ratio: number; p95: number }>(`
    SELECT service, countIf(severity_number >= 17) / count() AS ratio,
      quantileExactIf(0.95)(toFloat64OrZero(attributes['duration_ms']), mapContains(attributes, 'duration_ms')) AS p95
    FROM logs GROUP BY service ORDER BY service`);
  const rolled = await data.store.query<{ service: string; ratio: number; p95: number }>(`
    SELECT service, countMergeIf(records, level IN ('ERROR', 'FATAL')) / countMerge(records) AS ratio,
      quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[2] AS p95
    FROM logs_1h GROUP BY service ORDER BY service`);
  assert.equal(rolled.length, raw.length);
  for (const [i, r] of raw.entries()) {
    assert.equal(rolled[i]!.service, r.service);
    assert.ok(Math.abs(rolled[i]!.ratio - r.ratio) < 1e-9, `${r.service} error ratio`);
    // t-digest is approximate: within 10 % of the exact quantile.
    assert.ok(Math.abs(rolled[i]!.p95 - r.p95) <= 0.1 * r.p95 + 1, `${r.service} p95 ${rolled[i]!.p95} vs ${r.p95}`);
  }
});

test('pattern totals and the hourly pattern rollup agree with the raw logs', async () => {
  const raw = await data.store.query('SELECT service, pattern_id, count() AS n FROM logs GROUP BY service, pattern_id ORDER BY service, pattern_id');
  const rollup = await data.store.query('SELECT service, pattern_id, countMerge(records) AS n FROM log_patterns_1h GROUP BY service, pattern_id ORDER BY service, pattern_id');
  const deltas = await data.store.query('SELECT service, pattern_id, sum(count) AS n FROM log_patterns GROUP BY service, pattern_id ORDER BY service, pattern_id');
  assert.deepEqual(rollup, raw);
  assert.deepEqual(deltas, raw);
  const seen = await data.store.query<{ ok: number }>(`
    SELECT min(t.first_seen = r.first AND t.last_seen = r.last) AS ok FROM
      (SELECT service, pattern_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM log_patterns GROUP BY service, pattern_id) AS t
      JOIN (SELECT service, pattern_id, toDateTime64(min(time), 3) AS first, toDateTime64(max(time), 3) AS last FROM logs GROUP BY service, pattern_id) AS r
      ON t.service = r.service AND t.pattern_id = r.pattern_id`);
  assert.equal(Number(seen[0]!.ok), 1, 'first_seen/last_seen match min/max of the raw times');
});

test('the hourly metrics rollup agrees with the raw metrics', async () => {
  const raw = await data.store.query(`SELECT host, name, toStartOfHour(time) AS hour, count() AS n, round(avg(value), 6) AS a, max(value) AS mx
    FROM metrics GROUP BY host, name, hour ORDER BY host, name, hour`);
  const rolled = await data.store.query(`SELECT host, name, hour, countMerge(points) AS n, round(avgMerge(avg_value), 6) AS a, maxMerge(max_value) AS mx
    FROM metrics_1h GROUP BY host, name, hour ORDER BY host, name, hour`);
  assert.deepEqual(rolled, raw);
});

test('FINAL reads the newest version of a re-emitted window, once', async () => {
  const { service, window_start, version } = data.lateWindow;
  const rows = await data.store.query<{ n: string; v: number }>(
    'SELECT count() AS n, max(version) AS v FROM service_windows FINAL WHERE service = {service:String} AND window_start = {start:DateTime64(3)}',
    { service, start: window_start },
  );
  assert.equal(Number(rows[0]!.n), 1);
  assert.equal(Number(rows[0]!.v), version);
  const all = await data.store.query<{ n: string }>('SELECT count() AS n FROM service_windows FINAL');
  assert.equal(Number(all[0]!.n), data.counts.serviceWindows!);
});

test('the pattern trend reads raw logs for short ranges and the hourly rollup for long ones, with the same totals', async () => {
  const vars = allSelected(await variableOptions());
  const trend = queries().find((q) => q.title === 'Top 10 patterns over time')!;
  const totals = async (from: Date): Promise<{ interval: number; sums: Record<string, number> }> => {
    const to = new Date(END_MS);
    const interval = panelInterval(from, to);
    const rows = await data.store.query<{ pattern: string; records: string }>(expandPanelQuery(trend.sql, { from, to, intervalSeconds: interval, variables: vars }));
    const sums: Record<string, number> = {};
    for (const r of rows) sums[r.pattern] = (sums[r.pattern] ?? 0) + Number(r.records);
    return { interval, sums };
  };
  const short = await totals(new Date(START_MS));
  const long = await totals(new Date(END_MS - 30 * 86400_000));
  assert.ok(short.interval < 3600 && long.interval >= 3600, `intervals ${short.interval} and ${long.interval}`);
  assert.equal(Object.keys(short.sums).length, 10);
  assert.deepEqual(long.sums, short.sums);
});

test('the 30-day panels read rollups only, never the raw logs', () => {
  const long = queries().filter((q) => q.timeFrom === '30d');
  assert.ok(long.length >= 5, `only ${long.length} 30-day panels`);
  for (const q of long) assert.doesNotMatch(q.sql, /\bFROM (logs|metrics)\b(?!_)/, `${q.dashboard} / ${q.title}`);
});

test("the counters panel reads a scraped counter's rate over its labels, through its process's restart", async () => {
  const vars = allSelected(await variableOptions());
  const panel = queries().find((q) => q.title === 'Counters per second')!;
  const { rows, sql } = await run(panel, vars);
  const { name, host, atMs } = INCIDENTS.counterReset;
  const series = rows.filter((r) => r.series === `${host} ${name}`);
  const expected = Object.values(COUNTER_RATES).reduce((a, b) => a + b, 0);
  assert.ok(series.length >= 60, `${series.length} intervals of ${host} ${name}:\n${sql}`);
  let sawRestart = false;
  // The first interval has no point before its first one, so it counts one scrape interval less.
  for (const r of series.slice(1)) {
    const t = new Date(String(r.time)).getTime();
    if (t <= atMs && atMs < t + 60_000) sawRestart = true;
    assert.ok(Math.abs(Number(r.per_second) - expected) < 1e-9, `${String(r.time)}: ${String(r.per_second)} requests/s, not ${expected}`);
  }
  assert.ok(sawRestart, 'no interval holds the restart');
  // The agent's own counters are counters too; a gauge never shows here, nor a histogram's buckets.
  assert.ok(rows.some((r) => String(r.series).endsWith(' agent.records.sent')));
  assert.ok(!rows.some((r) => String(r.series).endsWith(' agent.buffer.fill')));
  assert.ok(!rows.some((r) => String(r.series).endsWith('_bucket')));
});

test("the histogram panel gives Prometheus' histogram_quantile of the buckets' rate, summed over routes, through a restart", async () => {
  const vars = allSelected(await variableOptions());
  const panel = queries().find((q) => q.title === 'Histogram quantiles (p50, p95, p99)')!;
  const { rows, sql } = await run(panel, vars);
  const { host } = INCIDENTS.counterReset;
  // A Prometheus page's `_bucket` series and an OTLP histogram's `.bucket` (the same counts) read alike.
  assert.deepEqual([...new Set(rows.map((r) => String(r.series)))].sort(), [`${host} ${OTLP_HISTOGRAM}`, `${host} ${HISTOGRAM}`]);
  const series = rows;
  assert.ok(series.length >= 120, `${series.length} intervals:\n${sql}`);
  // Each interval's increases by bound, both routes: 30 up to 0.1 s, 80 up to 0.5, 96 up to 1, 100 in all (any
  // number of scrapes in an interval keeps the proportions). Prometheus' rule, worked by hand: p50's rank 50 is
  // in (0.1, 0.5], 20 of its 50: 0.26; p95's rank 95 in (0.5, 1], 15 of its 16: 0.96875; p99's in +Inf: 1.
  const sums: Record<string, number> = {};
  for (const buckets of Object.values(HISTOGRAM_BUCKETS)) for (const [le, n] of Object.entries(buckets)) sums[le] = (sums[le] ?? 0) + n;
  assert.deepEqual(sums, { '0.1': 30, '0.5': 80, '1': 96, '+Inf': 100 });
  for (const r of series) {
    assert.ok(Math.abs(Number(r.p50) - 0.26) < 1e-9, `${String(r.time)} p50 ${String(r.p50)}`);
    assert.ok(Math.abs(Number(r.p95) - 0.96875) < 1e-9, `${String(r.time)} p95 ${String(r.p95)}`);
    assert.equal(Number(r.p99), 1, `${String(r.time)} p99`);
  }
});
