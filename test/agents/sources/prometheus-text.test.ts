import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import client from 'prom-client';
import { parseExposition } from '../../../agents/sources/prometheus-text.ts';
import { pointsOf } from '../../../agents/sources/prometheus.ts';

// Pages written by Prometheus' Go client (test/fixtures/programs/go-prometheus.go.txt): one registry,
// asked once for the text format and once for OpenMetrics.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/programs/${name}`, import.meta.url), 'utf8');
const TEXT = fixture('go-prometheus-text.txt');
const OPEN_METRICS = fixture('go-prometheus-openmetrics.txt');

const sampleLines = (page: string) => page.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const target = { service: 'shop', host: 'h1', targetLabels: { job: 'shop', instance: '127.0.0.1:8080' }, timeMs: Date.parse('2026-12-07T12:00:00Z'), honorTimestamps: true };

test("client_golang's text page: every sample read, with its family's type", () => {
  const page = parseExposition(TEXT);
  assert.deepEqual(page.errors, []);
  assert.equal(page.samples.length, sampleLines(TEXT).length);
  const one = (name: string, labels: Record<string, string> = {}) => page.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.deepEqual(one('http_requests_total', { code: '500' }).map((s) => [s.family, s.type, s.suffix, s.value, s.labels.method]), [['http_requests_total', 'counter', '', 3, 'post']]);
  assert.deepEqual(one('http_request_duration_seconds_bucket').map((s) => [s.type, s.suffix, s.labels.le, s.value]), [
    ['histogram', '_bucket', '0.005', 1], ['histogram', '_bucket', '0.05', 3], ['histogram', '_bucket', '0.5', 4], ['histogram', '_bucket', '5', 5], ['histogram', '_bucket', '+Inf', 6],
  ]);
  assert.deepEqual(one('response_size_bytes_count').map((s) => [s.family, s.type, s.suffix, s.value]), [['response_size_bytes', 'summary', '_count', 3]]);
  // The label value's escapes undone: quotes, a backslash and a new line.
  assert.equal(one('room_temperature_celsius')[0]!.labels.room, 'lab "A"\\B\nC');
  assert.ok(one('go_goroutines')[0]!.value >= 1);
});

test('the same registry as OpenMetrics gives the same series: counters under their _total, exemplars left out, # EOF the end', () => {
  const om = parseExposition(OPEN_METRICS, true);
  assert.deepEqual(om.errors, []);
  assert.equal(om.samples.length, sampleLines(OPEN_METRICS).length);
  const counter = om.samples.find((s) => s.name === 'http_requests_total' && s.labels.code === '200')!;
  assert.deepEqual([counter.family, counter.type, counter.suffix, counter.value], ['http_requests', 'counter', '_total', 1027]);
  const bucket = om.samples.find((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.le === '0.05')!;
  assert.equal(bucket.value, 3);
  assert.equal(bucket.timeMs, undefined, "an exemplar's timestamp is not the sample's");

  // As points, both pages hold the same series (bounds and quantiles written alike: 5.0 and 5, 0.0 and 0).
  const key = (p: { name: string; kind: string; unit: string; labels: Record<string, string> }) => `${p.name} ${p.kind} ${p.unit} ${JSON.stringify(Object.entries(p.labels).sort())}`;
  const fromText = pointsOf(parseExposition(TEXT), target).points;
  const fromOm = pointsOf(om, target).points;
  assert.deepEqual(fromOm.map(key).sort(), fromText.map(key).sort());
  // The program's own series have the same values in both (the runtime's moved between the two requests).
  const ours = (ps: typeof fromText) => ps.filter((p) => !/^(go|process)_/.test(p.name)).map((p) => `${key(p)}=${p.value}`).sort();
  assert.deepEqual(ours(fromOm), ours(fromText));
  assert.ok(ours(fromText).length >= 14);
});

test('points: counters cumulative, histograms and summaries in parts, units from the name, target labels beside the sample\'s', () => {
  const { points, nonFinite } = pointsOf(parseExposition(TEXT), target);
  const find = (name: string, labels: Record<string, string> = {}) => points.find((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  assert.deepEqual(find('http_requests_total', { code: '200' }), {
    v: 1, time: '2026-12-07T12:00:00.000Z', service: 'shop', host: 'h1', name: 'http_requests_total', kind: 'counter', value: 1027, unit: '',
    labels: { job: 'shop', instance: '127.0.0.1:8080', code: '200', method: 'get' },
  });
  assert.deepEqual([find('http_requests_in_flight')!.kind, find('http_requests_in_flight')!.value], ['gauge', 4]);
  const bucket = find('http_request_duration_seconds_bucket', { le: '+Inf' })!;
  assert.deepEqual([bucket.kind, bucket.value, bucket.unit, bucket.labels.route], ['counter', 6, '', '/api/cart']);
  assert.deepEqual([find('http_request_duration_seconds_sum')!.kind, find('http_request_duration_seconds_sum')!.unit, find('http_request_duration_seconds_sum')!.value], ['counter', 's', 8.843]);
  assert.deepEqual([find('response_size_bytes', { quantile: '0.99' })!.kind, find('response_size_bytes', { quantile: '0.99' })!.unit], ['gauge', 'By']);
  assert.equal(find('room_temperature_celsius')!.unit, 'Cel');
  assert.equal(find('process_resident_memory_bytes')!.unit, 'By');
  assert.equal(nonFinite, 0);
  assert.ok(points.every((p) => Number.isFinite(p.value)));
});

test("prom-client's page (Node's Prometheus client) is read whole, NaN quantiles left out and counted", async () => {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const jobs = new client.Counter({ name: 'jobs_processed_total', help: 'Jobs.', labelNames: ['queue'], registers: [registry] });
  const wait = new client.Histogram({ name: 'job_wait_seconds', help: 'Wait.', buckets: [0.1, 1], registers: [registry] });
  new client.Summary({ name: 'job_size_bytes', help: 'Sizes, none yet.', percentiles: [0.5, 0.9], registers: [registry] });
  jobs.inc({ queue: 'mail' }, 5);
  wait.observe(0.5);
  const text = await registry.metrics();
  const page = parseExposition(text, registry.contentType.includes('openmetrics'));
  assert.deepEqual(page.errors, []);
  assert.equal(page.samples.length, sampleLines(text).length);
  const { points, nonFinite } = pointsOf(page, target);
  // A summary with no observations has NaN quantiles: JSON cannot hold them.
  assert.equal(nonFinite, 2);
  assert.deepEqual(points.filter((p) => p.name === 'jobs_processed_total').map((p) => [p.kind, p.value, p.labels.queue]), [['counter', 5, 'mail']]);
  assert.deepEqual(points.filter((p) => p.name === 'job_wait_seconds_bucket').map((p) => [p.labels.le, p.value]), [['0.1', 0], ['1', 1], ['+Inf', 1]]);
  assert.ok(points.some((p) => p.name === 'nodejs_eventloop_lag_seconds' && p.kind === 'gauge' && p.unit === 's'));
  assert.ok(points.some((p) => p.name === 'process_cpu_user_seconds_total' && p.kind === 'counter' && p.unit === 's'));
});

test('a line that is not a sample is reported with its number and why; the rest of the page is read', () => {
  const page = parseExposition([
    '# TYPE a counter',
    'a_total 1',
    'b{x="1" 2',
    'c 1 2 3',
    'd abc',
    '# TYPE e weird',
    'e 5',
    '{"my.metric", "the.label"="v"} 3',
    'f{le="0.5",} 7 1765000000000',
    'g NaN',
    'h -Inf',
  ].join('\n'));
  assert.deepEqual(page.errors.map((e) => [e.line, e.reason]), [
    [3, 'expected "," or "}" after label x'],
    [4, 'unexpected "3" after the value and timestamp of c'],
    [5, '"abc" is not a number (the value of d)'],
    [6, 'unknown metric type "weird" for e'],
  ]);
  assert.deepEqual(page.samples.map((s) => [s.name, s.type, s.value]), [['a_total', 'counter', 1], ['e', 'untyped', 5], ['my.metric', 'untyped', 3], ['f', 'untyped', 7], ['g', 'untyped', NaN], ['h', 'untyped', -Infinity]]);
  assert.deepEqual(page.samples[2]!.labels, { 'the.label': 'v' });
  // The text format's timestamps are milliseconds, OpenMetrics' seconds.
  assert.equal(page.samples[3]!.timeMs, 1765000000000);
  assert.equal(parseExposition('f 7 1765000000.5', true).samples[0]!.timeMs, 1765000000500);
  const { points, nonFinite } = pointsOf(page, target);
  assert.equal(nonFinite, 2);
  assert.equal(points.find((p) => p.name === 'f')!.time, new Date(1765000000000).toISOString());
  assert.equal(pointsOf(page, { ...target, honorTimestamps: false }).points.find((p) => p.name === 'f')!.time, '2026-12-07T12:00:00.000Z');
});

test('a label named __proto__ is a label like any other, on the sample and on its point', () => {
  const page = parseExposition('p{__proto__="x",a="1"} 1');
  assert.deepEqual(Object.entries(page.samples[0]!.labels), [['__proto__', 'x'], ['a', '1']]);
  assert.deepEqual(Object.entries(pointsOf(page, target).points[0]!.labels), [['job', 'shop'], ['instance', '127.0.0.1:8080'], ['__proto__', 'x'], ['a', '1']]);
  assert.equal(Object.getPrototypeOf(pointsOf(page, target).points[0]!.labels), Object.prototype);
});

test("OpenMetrics' _created series (when a counter started) and its # UNIT: no point of their own, the unit on the counter", () => {
  const page = parseExposition(['# TYPE jobs counter', '# UNIT jobs jobs', 'jobs_total 4', 'jobs_created 1765000000.25', '# EOF', 'after_eof 1'].join('\n'), true);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.samples.map((s) => [s.name, s.suffix]), [['jobs_total', '_total'], ['jobs_created', '_created']]);
  assert.deepEqual(pointsOf(page, target).points.map((p) => [p.name, p.kind, p.value, p.unit]), [['jobs_total', 'counter', 4, 'jobs']]);
});

// Pages written by Prometheus' Python client, prometheus_client 0.26.0 (test/fixtures/programs/python-prometheus.py.txt).
const PY_TEXT = fixture('python-prometheus-text.txt');
const PY_OPEN_METRICS = fixture('python-prometheus-openmetrics.txt');

test("prometheus_client's pages: both formats give the same series, its text format's _created gauges included", () => {
  const text = parseExposition(PY_TEXT);
  const om = parseExposition(PY_OPEN_METRICS, true);
  assert.deepEqual(text.errors, []);
  assert.deepEqual(om.errors, []);
  assert.equal(text.samples.length, sampleLines(PY_TEXT).length);
  // The text format writes a counter's start as a gauge family of its own; it is the counter's _created.
  const created = text.samples.find((s) => s.name === 'http_requests_created' && s.labels.code === '500')!;
  assert.deepEqual([created.family, created.type, created.suffix], ['http_requests_total', 'counter', '_created']);
  const histogramCreated = text.samples.find((s) => s.name === 'http_request_duration_seconds_created')!;
  assert.deepEqual([histogramCreated.family, histogramCreated.type, histogramCreated.suffix], ['http_request_duration_seconds', 'histogram', '_created']);

  const key = (p: { name: string; kind: string; unit: string; labels: Record<string, string> }) => `${p.name} ${p.kind} ${p.unit} ${JSON.stringify(Object.entries(p.labels).sort())}`;
  const fromText = pointsOf(text, target).points;
  const fromOm = pointsOf(om, target).points;
  assert.deepEqual(fromOm.map(key).sort(), fromText.map(key).sort());
  assert.ok(!fromText.some((p) => p.name.endsWith('_created')), 'no point for when a series started');
  const ours = (ps: typeof fromText) => ps.filter((p) => !/^(python|process)_/.test(p.name)).map((p) => `${key(p)}=${p.value}`).sort();
  assert.deepEqual(ours(fromOm), ours(fromText));
  const one = (name: string, labels: Record<string, string> = {}) => fromText.filter((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  assert.deepEqual(one('http_requests_total', { code: '200' }).map((p) => [p.kind, p.value]), [['counter', 1027]]);
  assert.deepEqual(one('http_request_duration_seconds_bucket').map((p) => [p.kind, p.labels.le, p.value]), [
    ['counter', '0.005', 1], ['counter', '0.05', 3], ['counter', '0.5', 4], ['counter', '5', 5], ['counter', '+Inf', 6],
  ]);
  // An info is a gauge of 1 with the build as labels; an enum (a stateset) a gauge per state.
  assert.deepEqual(one('app_build_info').map((p) => [p.kind, p.value, p.labels.version]), [['gauge', 1, '1.4.2']]);
  assert.deepEqual(one('task_state').map((p) => [p.labels.task_state, p.value]), [['starting', 0], ['running', 1], ['stopped', 0]]);
  assert.equal(one('room_temperature_celsius')[0]!.labels.room, 'lab "A"\\B\nC');
  assert.equal(one('room_temperature_celsius')[0]!.unit, 'Cel');
});

// Pages written by Micrometer 1.17.2's Prometheus registry (Prometheus' Java client 1.7.0), as Spring Boot serves
// them (test/fixtures/programs/micrometer-prometheus.java.txt).
test("Micrometer's pages: both formats give the same series and values, its timer a histogram in seconds", () => {
  const TEXT_PAGE = fixture('micrometer-prometheus-text.txt');
  const OM_PAGE = fixture('micrometer-prometheus-openmetrics.txt');
  const text = parseExposition(TEXT_PAGE);
  const om = parseExposition(OM_PAGE, true);
  assert.deepEqual(text.errors, []);
  assert.deepEqual(om.errors, []);
  assert.equal(text.samples.length, sampleLines(TEXT_PAGE).length);
  assert.equal(om.samples.length, sampleLines(OM_PAGE).length);
  const key = (p: { name: string; kind: string; unit: string; labels: Record<string, string> }) => `${p.name} ${p.kind} ${p.unit} ${JSON.stringify(Object.entries(p.labels).sort())}`;
  const fromText = pointsOf(text, target).points;
  const fromOm = pointsOf(om, target).points;
  assert.deepEqual(fromOm.map(key).sort(), fromText.map(key).sort());
  const ours = (ps: typeof fromText) => ps.filter((p) => !p.name.startsWith('jvm_')).map((p) => `${key(p)}=${p.value}`).sort();
  assert.deepEqual(ours(fromOm), ours(fromText));
  const one = (name: string) => fromText.filter((p) => p.name === name);
  assert.deepEqual(one('http_requests_total').map((p) => [p.kind, p.labels.code, p.value]), [['counter', '200', 1027], ['counter', '500', 3]]);
  // The timer's percentile histogram: many buckets, cumulative, ending in +Inf with the count.
  const buckets = one('http_server_requests_seconds_bucket');
  assert.ok(buckets.length > 20);
  assert.equal(buckets.at(-1)!.labels.le, '+Inf');
  assert.equal(buckets.at(-1)!.value, 6);
  assert.equal(buckets.find((p) => p.labels.le === '0.05')!.value, 3);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative buckets');
  assert.deepEqual(one('http_server_requests_seconds_sum').map((p) => [p.kind, p.unit, p.value]), [['counter', 's', 8.843]]);
  // Its _max is a gauge family of its own, the unit word before the `_max`.
  assert.deepEqual(one('http_server_requests_seconds_max').map((p) => [p.kind, p.unit, p.value]), [['gauge', 's', 7]]);
  assert.deepEqual(one('response_size_bytes').map((p) => [p.kind, p.labels.quantile, p.unit]), [['gauge', '0.5', 'By'], ['gauge', '0.99', 'By']]);
  // The JVM binders: counters under their _total, gauges by area and pool.
  assert.ok(one('jvm_threads_started_threads_total')[0]!.kind === 'counter');
  assert.ok(fromText.filter((p) => p.name === 'jvm_memory_used_bytes').length >= 4);
});
