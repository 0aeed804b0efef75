/**
 * Known data sets for the worker's proofs: deterministic log records and metric points go to real
 * topics, and the checks read ClickHouse back row by row against them (raw rows exactly once, window
 * rows against a reference computed from the input, dead letters with their reasons).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../core/kafka/client.ts';
import { TributaryError } from '../../core/errors.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { type InsertOptions, type Params, type Store } from '../../core/storage/store.ts';
import { type ServiceWindowInput } from '../../pipeline/transforms/windows/service-windows.ts';
import { exactQuantile, serviceWindowReference, withinRelative } from '../pipeline/transforms/windows/fixtures.ts';
import { testBrokers } from './kafka.ts';

export const SEVERITIES: ReadonlyArray<[string, number]> = [['INFO', 9], ['INFO', 9], ['INFO', 9], ['DEBUG', 5], ['WARN', 13], ['ERROR', 17], ['INFO', 9], ['FATAL', 21]];
const TEMPLATES = [
  (i: number) => `user u${i % 97} logged in from 10.0.${i % 7}.${i % 251}`,
  (i: number) => `GET /api/items/${i % 1000} returned 200 in ${i % 300} ms`,
  (i: number) => `cache miss for key session:${(i * 7919) % 100000}`,
  (i: number) => `worker ${i % 16} finished job ${i} with status ok`,
  (i: number) => `connection to db-${i % 3} reset after ${i % 60} s`,
];

export interface LogInput {
  key: string;
  value: string;
  service: string;
  time: number;
  severity_number: number;
  body: string;
  attributes: Record<string, string>;
}

/** Start of the event-time range: whole hours before now, so windows align and nothing is in the future. */
export function baseTime(hoursAgo = 2): number {
  return Math.floor((Date.now() - hoursAgo * 3600_000) / 3600_000) * 3600_000;
}

/** `n` log records of `services` services, event time increasing over `spanMs` (with some disorder). */
export function makeLogs(n: number, opts: { base: number; spanMs: number; services?: number; seed?: number }): LogInput[] {
  const services = opts.services ?? 6;
  const out: LogInput[] = [];
  for (let i = 0; i < n; i++) {
    const service = `svc-${i % services}`;
    // Up to 2 s of disorder within the allowed lateness, deterministic.
    const jitter = ((i * 2654435761) % 2000) - 1000;
    const time = opts.base + Math.max(0, Math.floor((i * opts.spanMs) / n) + jitter);
    const [severity_text, severity_number] = SEVERITIES[(i * 31 + (opts.seed ?? 0)) % SEVERITIES.length]!;
    const body = TEMPLATES[(i * 13) % TEMPLATES.length]!(i);
    const attributes: Record<string, string> = { seq: String(i) };
    if (i % 3 !== 0) attributes.duration_ms = String(1 + ((i * 7877) % 5000) / 10);
    const record = {
      v: 1, time: new Date(time).toISOString(), observed_time: new Date(time).toISOString(), service, host: `host-${i % 4}`,
      severity_text, severity_number, body, attributes, resource: {}, trace_id: '', span_id: '', origin: { kind: 'generator', offset: i },
    };
    out.push({ key: service, value: JSON.stringify(record), service, time, severity_number, body, attributes });
  }
  return out;
}

/** One record per partition far ahead in event time, so every window of the data closes. */
export function closingRecords(partitions: number, time: number): Array<{ partition: number; value: string }> {
  const out = [];
  for (let p = 0; p < partitions; p++) {
    const record = { v: 1, time: new Date(time).toISOString(), service: `zz-tick-${p}`, host: 'h', severity_number: 9, body: 'tick', attributes: {}, origin: { kind: 'generator' } };
    out.push({ partition: p, value: JSON.stringify(record) });
  }
  return out;
}

export interface MetricInput {
  key: string;
  value: string;
  service: string;
  host: string;
  name: string;
  time: number;
  v: number;
}

export function makeMetrics(n: number, opts: { base: number; spanMs: number }): MetricInput[] {
  const out: MetricInput[] = [];
  for (let i = 0; i < n; i++) {
    const service = `svc-${i % 3}`;
    const host = `host-${i % 2}`;
    const name = i % 4 < 2 ? 'cpu_percent' : 'mem_bytes';
    const time = opts.base + Math.floor((i * opts.spanMs) / n);
    const v = name === 'cpu_percent' ? ((i * 37) % 1000) / 10 : 1e6 + ((i * 7919) % 100000);
    const point = { v: 1, time: new Date(time).toISOString(), service, host, name, kind: 'gauge', value: v, unit: name === 'cpu_percent' ? '%' : 'By', labels: {} };
    out.push({ key: `${service}|${host}`, value: JSON.stringify(point), service, host, name, time, v });
  }
  return out;
}

/** Produces keyed records (acks=all), in chunks, optionally pacing them over `overMs`. */
export async function produce(topic: string, records: ReadonlyArray<{ key?: string; value: string | Buffer; partition?: number }>, opts: { chunk?: number; overMs?: number } = {}): Promise<void> {
  const brokers = await testBrokers();
  const producer = createKafka({ brokers, clientId: 'tributary-test-producer' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const chunk = opts.chunk ?? 2000;
    const pause = opts.overMs ? opts.overMs / Math.ceil(records.length / chunk) : 0;
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, partition: r.partition })) });
      if (pause > 0) await sleep(pause);
    }
  } finally {
    await producer.disconnect();
  }
}

/** End offsets of a topic per partition (what a worker must have read to be done). */
export async function endOffsets(topic: string): Promise<Map<number, number>> {
  const admin = createKafka({ brokers: await testBrokers(), clientId: 'tributary-test-admin' }).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Committed offsets of a group on a topic. */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = createKafka({ brokers: await testBrokers(), clientId: 'tributary-test-admin' }).admin();
  await admin.connect();
  try {
    const r = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a partition's records before `offset`, as retention would (Kafka's DeleteRecords). */
export async function deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<void> {
  const admin = createKafka({ brokers: await testBrokers(), clientId: 'tributary-test-admin', quiet: true }).admin();
  await admin.connect();
  try {
    await admin.fetchTopicOffsets(topic); // loads the topic's metadata, which deleteTopicRecords needs
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

/** The tables a worker writes; emptied between tests that share one store (chDB allows one folder per process). */
export const WORKER_TABLES = ['logs', 'metrics', 'service_windows', 'metric_windows', 'log_patterns', 'anomalies', 'model_scores', 'pipeline_stats', 'pipeline_state'];

export async function truncateWorkerTables(store: Store): Promise<void> {
  for (const t of WORKER_TABLES) await store.command(`TRUNCATE TABLE IF EXISTS ${t}`);
}

/** A fresh, migrated chDB store in a temp folder. */
export async function tempStore(): Promise<{ store: Store; path: string }> {
  const path = mkdtempSync(join(tmpdir(), 'tributary-store-'));
  const store = await openStore({ driver: 'embedded', path });
  await migrate(store);
  return { store, path };
}

/**
 * A Store that runs one operation at a time (so several in-process workers and the test can share
 * one chDB session), and that can be switched off: while `down`, every call fails as an unreachable
 * ClickHouse server would (a retryable STORE_UNAVAILABLE). chDB runs in-process and cannot be stopped,
 * so this is the test double for a ClickHouse outage; it wraps the real engine, it does not mock it.
 */
export class TestStore implements Store {
  readonly driver: Store['driver'];
  readonly location: string;
  down = false;
  refused = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly inner: Store) {
    this.driver = inner.driver;
    this.location = inner.location;
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.down) {
        this.refused++;
        throw new TributaryError('STORE_UNAVAILABLE', 'ClickHouse is down (test outage)', { canRetry: true });
      }
      return fn();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  command(sql: string, params?: Params): Promise<void> {
    return this.run(() => this.inner.command(sql, params));
  }
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    return this.run(() => this.inner.query<T>(sql, params));
  }
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    return this.run(() => this.inner.insert(table, rows, options));
  }
  ping(): Promise<void> {
    return this.run(() => this.inner.ping());
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Raw log rows: every produced record exactly once, by (partition, offset), with its body. */
export async function assertLogsExactlyOnce(store: Store, topic: string, expected: ReadonlyMap<string, string>): Promise<void> {
  const rows = await store.query<{ p: number; o: string; body: string }>(
    'SELECT kafka_partition AS p, toString(kafka_offset) AS o, body FROM logs WHERE kafka_topic = {topic:String}',
    { topic },
  );
  const seen = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.p}/${r.o}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const doubled = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(doubled.slice(0, 5), [], `${doubled.length} records stored more than once`);
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} records missing`);
  const extra = [...seen.keys()].filter((k) => !expected.has(k));
  assert.deepEqual(extra.slice(0, 5), [], `${extra.length} unexpected rows`);
  for (const r of rows) assert.equal(r.body, expected.get(`${r.p}/${r.o}`), `body of ${r.p}/${r.o}`);
  assert.equal(rows.length, expected.size);
}

/** What the worker read, by `partition/offset` -> the record's body, from the topic itself. */
export async function bodiesByPosition(records: ReadonlyArray<{ partition: number; offset: string; value: Buffer }>, exclude: ReadonlySet<string> = new Set()): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of records) {
    if (exclude.has(`${r.partition}/${r.offset}`)) continue;
    try {
      const o = JSON.parse(r.value.toString()) as { body?: unknown };
      if (typeof o.body === 'string') out.set(`${r.partition}/${r.offset}`, o.body);
    } catch {
      // not a log record: not expected in the logs table
    }
  }
  return out;
}

export type StoredWindow = Record<string, number | string>;

/** Service window rows of a store (FINAL: one row per key, the highest version), keyed `service|size|start`. */
export async function serviceWindowRows(store: Store, ignoreServicePrefix = 'zz-'): Promise<Map<string, StoredWindow>> {
  const rows = await store.query<StoredWindow>(
    `SELECT service, window_size_s, formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') || '.000' AS ws, version, count, count_trace, count_debug,
       count_info, count_warn, count_error, count_fatal, error_ratio, rate, latency_count, p50_ms, p95_ms, p99_ms
     FROM service_windows FINAL WHERE NOT startsWith(service, {prefix:String})`,
    { prefix: ignoreServicePrefix },
  );
  return new Map(rows.map((r) => [`${r.service}|${r.window_size_s}|${r.ws}`, r]));
}

/**
 * Service windows in the store (FINAL: one row per key, the highest version) against the reference
 * computed from the input records: every field exactly, quantiles within the sketch's 1%.
 */
export async function assertServiceWindows(store: Store, inputs: readonly LogInput[]): Promise<number> {
  return checkServiceWindows(await serviceWindowRows(store), inputs);
}

export function checkServiceWindows(stored: ReadonlyMap<string, StoredWindow>, inputs: readonly LogInput[]): number {
  const records: ServiceWindowInput[] = inputs.map((r, i) => ({
    time: r.time, service: r.service, severity_number: r.severity_number, pattern_id: '', pattern_is_new: false, attributes: r.attributes, partition: 0, offset: i,
  }));
  const reference = serviceWindowReference(records);
  const missing = [...reference.keys()].filter((k) => !stored.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${reference.size} windows missing`);
  const extra = [...stored.keys()].filter((k) => !reference.has(k));
  assert.deepEqual(extra.slice(0, 5), [], `${extra.length} unexpected windows`);
  for (const [k, exp] of reference) {
    const got = stored.get(k)!;
    for (const f of ['count', 'version', 'count_trace', 'count_debug', 'count_info', 'count_warn', 'count_error', 'count_fatal', 'latency_count'] as const) {
      assert.equal(Number(got[f]), exp.row[f], `${k} ${f}`);
    }
    assert.ok(Math.abs(Number(got.error_ratio) - exp.row.error_ratio) < 1e-9, `${k} error_ratio`);
    assert.ok(Math.abs(Number(got.rate) - exp.row.rate) < 1e-9, `${k} rate`);
    if (exp.latencies.length > 0) {
      for (const [f, q] of [['p50_ms', 0.5], ['p95_ms', 0.95], ['p99_ms', 0.99]] as const) {
        const x = exactQuantile(exp.latencies, q);
        assert.ok(withinRelative(Number(got[f]), x, 0.01), `${k} ${f}: ${got[f]} vs exact ${x}`);
      }
    }
  }
  return reference.size;
}

/** Metric windows (FINAL) against the reference: count, min, max, mean, last exactly; p95 within 1%. */
export async function assertMetricWindows(store: Store, inputs: readonly MetricInput[], sizesMs: readonly number[] = [10_000, 60_000]): Promise<number> {
  const groups = new Map<string, MetricInput[]>();
  for (const m of inputs) {
    for (const size of sizesMs) {
      const start = Math.floor(m.time / size) * size;
      const k = `${m.service}|${m.host}|${m.name}|${size / 1000}|${start}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(m);
    }
  }
  const rows = await store.query<Record<string, number | string>>(
    `SELECT service, host, name, window_size_s, toUnixTimestamp64Milli(window_start) AS ws, count, min, max, mean, last, p95 FROM metric_windows FINAL`,
  );
  const stored = new Map(rows.map((r) => [`${r.service}|${r.host}|${r.name}|${r.window_size_s}|${Number(r.ws)}`, r]));
  assert.equal(stored.size, groups.size, 'metric window count');
  for (const [k, ms] of groups) {
    const got = stored.get(k);
    assert.ok(got, `metric window ${k} missing`);
    const values = ms.map((m) => m.v);
    const sorted = [...values].sort((a, b) => a - b);
    assert.equal(Number(got.count), ms.length, `${k} count`);
    assert.equal(Number(got.min), sorted[0], `${k} min`);
    assert.equal(Number(got.max), sorted.at(-1), `${k} max`);
    assert.ok(Math.abs(Number(got.mean) - values.reduce((a, b) => a + b, 0) / values.length) < 1e-6, `${k} mean`);
    const lastTime = Math.max(...ms.map((m) => m.time));
    assert.equal(Number(got.last), ms.filter((m) => m.time === lastTime).at(-1)!.v, `${k} last`);
    assert.ok(withinRelative(Number(got.p95), exactQuantile(sorted, 0.95), 0.01), `${k} p95`);
  }
  return groups.size;
}
