/**
 * A chDB store loaded with a demo-like workload for the dashboard and alert tests: the project's
 * workload generator (workload/) gives the log lines and host metrics with labelled incidents, the
 * project's pattern miner and window aggregators (pipeline/transforms/) give pattern ids, pattern
 * deltas and closed windows, and rows go in as the worker inserts them (contract row types,
 * JSONEachRow, batches with deduplication tokens).
 *
 * Two things are stand-ins, because their producers are not part of this test: the model score of
 * a window (high inside a labelled incident, low outside, as a working model would give), and the
 * workers' own counters in `pipeline_stats` (with a DLQ burst and a lagging worker when asked).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { severityNumber } from '../../core/contracts/records.ts';
import { type AnomalyRow, type LogRow, type MetricRow, type MetricWindowRow, type PatternRow, type PipelineStatRow, type ServiceWindowRow } from '../../core/contracts/rows.ts';
import { AGENT_SERVICE, PipelineStat, STAGES } from '../../core/contracts/pipeline-stats.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { type Store } from '../../core/storage/store.ts';
import { PatternMiner } from '../../pipeline/transforms/patterns/miner.ts';
import { formatWindowTime } from '../../pipeline/transforms/windows/tumbling.ts';
import { generateWorkload, type IncidentSpec, type LabelledIncident } from '../../workload/generator.ts';
import { hash32 } from '../../workload/prng.ts';
import { hostWindowLabel, replayHostWindows, replayServiceWindows, serviceWindowLabel, windowTimeMs } from '../../workload/replay.ts';
import { type PredictionRow } from '../../core/contracts/rows.ts';
import { generatePayments, PAYMENTS_SOURCE } from '../../workload/payments.ts';
import { compileView } from '../../pipeline/transforms/features/views/definition.ts';
import { ViewEngine } from '../../pipeline/transforms/features/views/engine.ts';
import { EventSchema } from '../../pipeline/transforms/features/views/schema.ts';
import { ensureViewTable } from '../../pipeline/transforms/features/views/table.ts';

export const START_MS = Date.parse('2026-11-24T10:00:00Z');
export const DURATION_MS = 90 * 60_000;
export const END_MS = START_MS + DURATION_MS;
export const THRESHOLD = 0.6;
export const WORKERS = ['worker-1', 'worker-2'];

/** What the incident workload injects, and where, so tests can say who must alert. */
export const INCIDENTS = {
  errorBurst: { kind: 'error_burst', service: 'checkout', startMs: END_MS - 8 * 60_000, durationMs: 8 * 60_000 },
  silent: { kind: 'service_silent', service: 'payments', startMs: END_MS - 20 * 60_000, durationMs: 20 * 60_000 },
  cpu: { kind: 'cpu_saturation', service: 'search', host: 'search-1', startMs: END_MS - 15 * 60_000, durationMs: 15 * 60_000 },
  /** Worker stage that sends records to the DLQ in the last 10 minutes. */
  dlq: { instance: 'worker-1', stage: 'decode', startMs: END_MS - 10 * 60_000 },
  /** Worker whose consumer lag climbs in the last 5 minutes. */
  lag: { instance: 'worker-2', startMs: END_MS - 5 * 60_000 },
  /** Worker that found records Kafka deleted before it read them, 20 minutes before the end. */
  deletedUnread: { instance: 'worker-2', atMs: END_MS - 20 * 60_000, records: 250 },
  /** A Prometheus page (a prometheus_scrape source's target) that stops answering 6 minutes before the end. */
  scrapeDown: { service: 'search', job: 'search-metrics', instance: 'search-2:9100', startMs: END_MS - 6 * 60_000 },
  /** A scraped request counter whose process restarts (its totals fall to near 0) 30 minutes before the end. */
  counterReset: { service: 'checkout', host: 'checkout-1', name: 'http_requests_total', atMs: END_MS - 30 * 60_000 },
} as const;

/** Requests per second of the seeded `http_requests_total`, by its `code` label. */
export const COUNTER_RATES: Readonly<Record<string, number>> = { '200': 5, '500': 0.5 };

/** A seeded latency histogram of checkout's: its buckets' increase per scrape, by route (cumulative, as `le` buckets are). */
export const HISTOGRAM = 'http_request_duration_seconds';
export const OTLP_HISTOGRAM = 'http.server.request.duration';
export const HISTOGRAM_BUCKETS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  '/cart': { '0.1': 20, '0.5': 50, '1': 60, '+Inf': 60 },
  '/pay': { '0.1': 10, '0.5': 30, '1': 36, '+Inf': 40 },
};

export interface SeededStore {
  store: Store;
  incidents: readonly LabelledIncident[];
  services: string[];
  hosts: string[];
  counts: Record<string, number>;
  /** The window re-emitted by a late record, with the version of its second emission. */
  lateWindow: { service: string; window_start: string; version: number };
  close(): Promise<void>;
}

function ms(t: number): string {
  return formatWindowTime(t);
}

/** A deterministic number in [0, 1) for a key, for the stand-in scores and counters. */
function unit(key: string): number {
  return hash32(key) / 4294967296;
}

async function insertBatched(store: Store, table: string, rows: object[], topic: string, batch = 5000): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) {
    const part = rows.slice(i, i + batch);
    await store.insert(table, part, { dedupToken: `${topic}/0/${i}-${i + part.length - 1}` });
  }
}

/** A fresh chDB store in a temp folder (chDB allows one data folder per process, so tests share one). */
export async function openTestStore(): Promise<{ store: Store; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-dash-'));
  const store = await openStore({ driver: 'embedded', path: dir });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store of its own with the workload in the default database. */
export async function seedStore(opts: SeedOptions): Promise<SeededStore> {
  const t = await openTestStore();
  try {
    const seeded = await seedDatabase(t.store, 'default', opts);
    return { ...seeded, close: t.close };
  } catch (err) {
    await t.close();
    throw err;
  }
}

export interface SeedOptions {
  incidents: boolean;
  seed?: number;
  rateScale?: number;
}

/** Migrates `database` in the store, makes it the current one, and loads the workload into it. */
export async function seedDatabase(store: Store, database: string, opts: SeedOptions): Promise<Omit<SeededStore, 'close'>> {
  await store.command(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await store.command(`USE ${database}`);
  await migrate(store);
  const specs: IncidentSpec[] = opts.incidents ? [INCIDENTS.errorBurst, INCIDENTS.silent, INCIDENTS.cpu] : [];
  const w = generateWorkload({ seed: opts.seed ?? 7, startMs: START_MS, durationMs: DURATION_MS, rateScale: opts.rateScale ?? 0.25, incidents: specs });

  // Logs, with pattern ids from the project's miner; pattern deltas per batch, as the worker writes them.
  const miner = new PatternMiner();
  const logs: LogRow[] = [];
  const patternBatches: PatternRow[][] = [];
  let batch = new Map<string, PatternRow>();
  let offset = 0;
  for (const log of w.logs()) {
    const m = miner.match(log.body);
    const time = new Date(log.timeMs).toISOString();
    logs.push({
      time, observed_time: time, service: log.service, host: log.host, severity_text: log.severity_text,
      severity_number: severityNumber(log.severity_text), body: log.body, attributes: log.attributes, resource: { 'host.name': log.host },
      trace_id: '', span_id: '', pattern_id: m.patternId, source_kind: 'generator', source_path: '', source_fingerprint: '', source_offset: offset,
      kafka_topic: 'logs.v1', kafka_partition: 0, kafka_offset: String(offset),
    });
    offset++;
    const key = `${log.service}\u0000${m.patternId}`;
    const p = batch.get(key);
    if (p) {
      p.count++;
      p.last_seen = ms(log.timeMs);
      p.template = m.template;
    } else {
      batch.set(key, { pattern_id: m.patternId, service: log.service, template: m.template, first_seen: ms(log.timeMs), last_seen: ms(log.timeMs), count: 1 });
    }
    if (offset % 2000 === 0) {
      patternBatches.push([...batch.values()]);
      batch = new Map();
    }
  }
  if (batch.size > 0) patternBatches.push([...batch.values()]);
  await insertBatched(store, 'logs', logs, 'logs.v1');
  for (let i = 0; i < patternBatches.length; i++) await store.insert('log_patterns', patternBatches[i]!, { dedupToken: `patterns/0/${i}` });

  // Service windows from the project's aggregator, scored by the stand-in model.
  const anomalies: AnomalyRow[] = [];
  const serviceWindows: ServiceWindowRow[] = [];
  for (const rows of replayServiceWindows(w, { windowMs: 60_000, emptyWindows: 30 })) {
    for (const r of rows) {
      const start = windowTimeMs(r.window_start);
      if (start >= END_MS) continue;
      const label = serviceWindowLabel(w.incidents, r.service, start, windowTimeMs(r.window_end));
      const score = label.label === 1 ? 0.8 + 0.15 * unit(`s${r.service}${start}`) : 0.15 + 0.3 * unit(`s${r.service}${start}`);
      const row: ServiceWindowRow = { ...r, score, threshold: THRESHOLD, anomaly: score > THRESHOLD ? 1 : 0, model: 'service-window-iforest', model_version: '1', scored: 1 };
      serviceWindows.push(row);
      if (row.anomaly) {
        anomalies.push({
          kind: 'service', service: r.service, host: '', window_start: r.window_start, window_end: r.window_end, window_size_s: r.window_size_s,
          score, threshold: THRESHOLD, model: row.model, model_version: row.model_version, top_features: [`error_ratio=${r.error_ratio.toFixed(3)} (z=9.1)`],
          detected_at: r.window_end,
        });
      }
    }
  }
  await insertBatched(store, 'service_windows', serviceWindows, 'windows', 500);
  // A late record re-emits one window with version + 1: FINAL must see the newer one only.
  const reemitted = serviceWindows.find((r) => r.count > 0)!;
  await store.insert('service_windows', [{ ...reemitted, version: reemitted.version + 1, count: reemitted.count + 1, late_count: reemitted.late_count + 1 }], { dedupToken: 'windows/late/1' });

  // Metrics and metric windows (host metrics from the workload, plus the agents' own counters).
  const metrics: MetricRow[] = [];
  let moff = 0;
  for (const { point } of w.metrics(10_000)) {
    metrics.push({ time: point.time, service: point.service, host: point.host, name: point.name, kind: point.kind, value: point.value, unit: point.unit, labels: point.labels, kafka_partition: 0, kafka_offset: String(moff++) });
  }
  const hosts = [...new Set(metrics.map((m) => m.host))].sort();
  const sent = new Map<string, number>();
  for (let t = START_MS; t < END_MS; t += 10_000) {
    for (const host of hosts) {
      const total = (sent.get(host) ?? 0) + Math.round(40 + 20 * unit(`a${host}${t}`));
      sent.set(host, total);
      const time = new Date(t).toISOString();
      metrics.push({ time, service: AGENT_SERVICE, host, name: 'agent.records.sent', kind: 'counter', value: total, unit: '{record}', labels: {}, kafka_partition: 1, kafka_offset: String(moff++) });
      metrics.push({ time, service: AGENT_SERVICE, host, name: 'agent.buffer.fill', kind: 'gauge', value: 0.05 * unit(`b${host}${t}`), unit: '1', labels: {}, kafka_partition: 1, kafka_offset: String(moff++) });
    }
  }
  // A prometheus_scrape source's own series: `up` per target every 15 s (the agent's host for targets on it).
  const targets = [
    { service: 'checkout', job: 'checkout-metrics', instance: '127.0.0.1:8080', host: 'checkout-1' },
    { service: 'search', job: 'search-metrics', instance: 'search-1:9100', host: 'search-1' },
    { service: 'search', job: 'search-metrics', instance: 'search-2:9100', host: 'search-2' },
  ];
  for (let t = START_MS; t < END_MS; t += 15_000) {
    for (const target of targets) {
      const down = opts.incidents && target.instance === INCIDENTS.scrapeDown.instance && t >= INCIDENTS.scrapeDown.startMs;
      metrics.push({
        time: new Date(t).toISOString(), service: target.service, host: target.host, name: 'up', kind: 'gauge', value: down ? 0 : 1, unit: '1',
        labels: { job: target.job, instance: target.instance }, kafka_partition: 2, kafka_offset: String(moff++),
      });
    }
  }
  // Scraped counters as a Prometheus client writes them: cumulative totals every 15 s, the checkout process
  // restarting (its totals starting from 0 again) once, right after a scrape, so the first total after it is
  // exactly one scrape's increase. A request counter by status code (COUNTER_RATES per second), and a
  // latency histogram's buckets by route (HISTOGRAM_BUCKETS per scrape).
  const counter = INCIDENTS.counterReset;
  const scraped = (name: string, unit: string, labels: Record<string, string>, perScrape: number) => {
    let total = 1000 * perScrape;
    for (let t = START_MS; t < END_MS; t += 15_000) {
      total = t === counter.atMs ? perScrape : t === START_MS ? total : total + perScrape;
      metrics.push({
        time: new Date(t).toISOString(), service: counter.service, host: counter.host, name, kind: 'counter', value: total, unit,
        labels: { ...labels, job: 'checkout-metrics', instance: '127.0.0.1:8080' }, kafka_partition: 2, kafka_offset: String(moff++),
      });
    }
  };
  for (const [code, perSecond] of Object.entries(COUNTER_RATES)) scraped(counter.name, '{request}', { code }, 15 * perSecond);
  for (const [route, buckets] of Object.entries(HISTOGRAM_BUCKETS)) {
    for (const [le, perScrape] of Object.entries(buckets)) {
      scraped(`${HISTOGRAM}_bucket`, '', { route, le }, perScrape);
      // The same, as the agent writes an OpenTelemetry SDK's histogram.
      scraped(`${OTLP_HISTOGRAM}.bucket`, '', { route, le }, perScrape);
    }
  }
  await insertBatched(store, 'metrics', metrics, 'metrics.v1');

  const metricWindows: MetricWindowRow[] = [];
  for (const groups of replayHostWindows(w, { windowMs: 60_000 })) {
    for (const g of groups) {
      const start = windowTimeMs(g.window_start);
      if (start >= END_MS) continue;
      const label = hostWindowLabel(w.incidents, g.service, g.host, start, windowTimeMs(g.window_end));
      const score = label.label === 1 ? 0.8 + 0.15 * unit(`h${g.host}${start}`) : 0.1 + 0.3 * unit(`h${g.host}${start}`);
      for (const r of g.rows) metricWindows.push({ ...r, score, threshold: THRESHOLD, anomaly: score > THRESHOLD ? 1 : 0, model: 'host-metrics-iforest', model_version: '1', scored: 1 });
      if (score > THRESHOLD) {
        anomalies.push({
          kind: 'host', service: g.service, host: g.host, window_start: g.window_start, window_end: g.window_end, window_size_s: g.window_size_s,
          score, threshold: THRESHOLD, model: 'host-metrics-iforest', model_version: '1', top_features: ['cpu=0.95 (z=7.2)'], detected_at: g.window_end,
        });
      }
    }
  }
  await insertBatched(store, 'metric_windows', metricWindows, 'metric-windows', 2000);
  await insertBatched(store, 'anomalies', anomalies, 'anomalies', 500);

  // The workers' counters every 10 s: throughput per stage follows the logs; one DLQ record per
  // 10 minutes is normal; the incident adds a DLQ burst and a lagging worker.
  const perTick = new Map<number, number>();
  for (const l of logs) {
    const t = Math.floor(Date.parse(l.time) / 10_000) * 10_000;
    perTick.set(t, (perTick.get(t) ?? 0) + 1);
  }
  const stats: PipelineStatRow[] = [];
  for (let t = START_MS; t < END_MS; t += 10_000) {
    const time = ms(t);
    const records = perTick.get(t) ?? 0;
    for (const [i, instance] of WORKERS.entries()) {
      const share = i === 0 ? Math.ceil(records / 2) : Math.floor(records / 2);
      for (const stage of STAGES) {
        stats.push({ time, instance, stage, name: PipelineStat.recordsIn, value: share });
        stats.push({ time, instance, stage, name: PipelineStat.recordsOut, value: share });
        stats.push({ time, instance, stage, name: PipelineStat.batchMs, value: 5 + 40 * unit(`${instance}${stage}${t}`) });
      }
      stats.push({ time, instance, stage: 'score', name: PipelineStat.modelMs, value: 1 + 3 * unit(`m${instance}${t}`) });
      let lag = 50 + 400 * unit(`l${instance}${t}`);
      if (opts.incidents && instance === INCIDENTS.lag.instance && t >= INCIDENTS.lag.startMs) lag = 20_000 + 100 * ((t - INCIDENTS.lag.startMs) / 1000);
      stats.push({ time, instance, stage: 'consume', name: PipelineStat.consumerLag, value: Math.round(lag) });
      let dlq = (t - START_MS) % 600_000 === 0 && i === 0 ? 1 : 0;
      if (opts.incidents && instance === INCIDENTS.dlq.instance && t >= INCIDENTS.dlq.startMs) dlq += 5;
      if (dlq > 0) stats.push({ time, instance, stage: INCIDENTS.dlq.stage, name: PipelineStat.dlqRecords, value: dlq });
      if (opts.incidents && instance === INCIDENTS.deletedUnread.instance && t === INCIDENTS.deletedUnread.atMs) {
        stats.push({ time, instance, stage: 'consume', name: PipelineStat.recordsDeletedUnread, value: INCIDENTS.deletedUnread.records });
      }
    }
  }
  await insertBatched(store, 'pipeline_stats', stats, 'stats');

  // A feature view over generated card payments, through the project's view engine, and the
  // predictions of a stand-in fraud model (high score where the window holds fraud).
  const source = new EventSchema({ ...PAYMENTS_SOURCE, fields: { ...PAYMENTS_SOURCE.fields } });
  const view = compileView({
    name: 'card_activity', source: 'payments', key: 'card_id', window: { size: '5m' },
    aggregations: [{ name: 'txn_count', fn: 'count' }, { name: 'amount_sum', fn: 'sum', field: 'amount' }, { name: 'fraud_events', fn: 'count_if', condition: 'is_fraud == true' }],
    derived: [{ name: 'amount_z', fn: 'robust_z', of: 'amount_sum', default: 0 }],
  }, new Map([['payments', source]]), 'views[0]');
  const engine = new ViewEngine(view);
  generatePayments({ seed: 5, start: START_MS, spanMs: DURATION_MS, cards: 40, fraudShare: 0.2 }).forEach((e, i) => engine.add({ time: e.ts, fields: { ...e } }, 0, i, e.ts));
  const viewRows = engine.flush().map((e) => e.row).filter((r) => windowTimeMs(r.window_start) < END_MS);
  await ensureViewTable(store, view);
  await insertBatched(store, view.table, viewRows, 'view', 1000);
  const predictions: PredictionRow[] = viewRows.map((r) => {
    const fraud = (r.fraud_events as number) > 0;
    const score = fraud ? 0.7 + 0.3 * unit(`p${r.key}${r.window_start}`) : 0.3 * unit(`p${r.key}${r.window_start}`);
    return {
      view: view.name, view_version: view.version, model: 'card-fraud', model_version: '1', key: r.key, window_start: r.window_start, window_end: r.window_end,
      window_size_s: r.window_size_s, version: r.version, output_kind: 'binary', score, label: score >= 0.5 ? 'fraud' : 'legit',
      class_probabilities: { legit: 1 - score, fraud: score }, threshold: 0.5, anomaly: score >= 0.5 ? 1 : 0, shadow: 0, top_features: [`txn_count=${r.txn_count} (z=3.0)`],
    };
  });
  await insertBatched(store, 'predictions', predictions, 'predictions', 1000);

  const services = [...new Set(logs.map((l) => l.service))].sort();
  return {
    store,
    incidents: w.incidents,
    services,
    hosts,
    lateWindow: { service: reemitted.service, window_start: reemitted.window_start, version: reemitted.version + 1 },
    counts: { logs: logs.length, metrics: metrics.length, serviceWindows: serviceWindows.length, metricWindows: metricWindows.length, anomalies: anomalies.length, stats: stats.length },
  };
}
