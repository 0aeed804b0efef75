/**
 * Feature views end to end on a real broker and chDB: a worker reads a JSON topic of payments, lands
 * the view's rows and the bound model's predictions, dead-letters what does not fit the schema with
 * the field and the reason; then backfills (from Kafka by timestamp, from the raw table in
 * ClickHouse, into a file, and over a range in the middle; from Kafka once through sorted runs on disk)
 * give exactly the rows the live worker wrote.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Rates, WorkerStatusSource } from '../../../cli/status.ts';
import { openFeatureWorker } from '../../../pipeline/features/run.ts';
import { backfill, computeRows } from '../../../pipeline/features/backfill.ts';
import { compileFeatures } from '../../../pipeline/features/config.ts';
import { type SourceEvent } from '../../../pipeline/transforms/features/views/schema.ts';
import { createTestTopic, readTopic, testBrokers } from '../../helpers/kafka.ts';
import { baseTime, tempStore, waitFor } from '../../helpers/pipeline-data.ts';
import { closing, conflictingRows, features, modelEntry, PARTITIONS, partitionOf, payments, produceTimed, records, viewRows } from './data.ts';

const brokers = await testBrokers();
const { store, path } = await tempStore();
const out = mkdtempSync(join(tmpdir(), 'features-out-'));
after(async () => {
  await store.close();
  rmSync(path, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

const TABLE = 'view_card_activity_v1';

test('live rows and predictions land; bad records are dead-lettered; every backfill equals the live rows', async () => {
  const topic = await createTestTopic('payments', PARTITIONS);
  const dlq = await createTestTopic('payments-dlq', 1);
  const base = baseTime(3);
  const events = payments(base);
  const bad = [
    { key: 'card-bad', partition: 0, timestamp: String(base), value: JSON.stringify({ ts: base, card_id: 'card-bad', merchant_id: 'm', amount: '12.50', online: true, status: 200 }) },
    { key: 'card-bad', partition: 0, timestamp: String(base), value: JSON.stringify({ card_id: 'card-bad', merchant_id: 'm', amount: 1, online: true, status: 200 }) },
    { key: 'card-bad', partition: 0, timestamp: String(base), value: '{"ts": 1' },
  ];
  // Two neighbouring events of one partition in one record, as a JSON list (a collector's batch); a list
  // whose two events do not fit (each dead-lettered on its own); a tombstone (no event, no dead letter).
  const recs = records(events);
  const first = events.findIndex((e, i) => i > 10 && events.slice(i + 1).some((f) => partitionOf(f.card_id) === partitionOf(e.card_id)));
  const second = events.findIndex((e, i) => i > first && partitionOf(e.card_id) === partitionOf(events[first]!.card_id));
  recs[first] = { ...recs[first]!, value: `[${recs[first]!.value},${recs[second]!.value}]` };
  recs.splice(second, 1);
  bad.push(
    { key: 'card-bad', partition: 0, timestamp: String(base), value: JSON.stringify([{ ts: base, card_id: 'card-bad', merchant_id: 'm', amount: 'x', online: true, status: 200 }, { card_id: 'card-bad' }]) },
    { key: 'card-bad', partition: 0, timestamp: String(base), value: null as unknown as string },
  );
  await produceTimed(brokers, topic, [...recs, ...bad, ...closing(base + 3 * 3600_000)]);
  const config = features(topic);
  const fw = await openFeatureWorker({
    brokers, store, groupId: `g-features-${Date.now()}`, logsTopic: await createTestTopic('f-logs', 1), metricsTopic: await createTestTopic('f-metrics', 1), dlqTopic: dlq,
    batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, features: config, models: [modelEntry()],
  });
  await fw.worker.start();
  const view = fw.compiled.views.get('card_activity')!;
  const valid = events.map((e, i): { time: number; partition: number; offset: number; event: SourceEvent } => ({ time: e.ts, partition: partitionOf(e.card_id), offset: i, event: { time: e.ts, fields: { ...e } } }));
  const reference = computeRows({ view, from: -Infinity, to: Infinity }, valid);
  try {
    await waitFor('every window of the data in the view table', async () => (await viewRows(store, TABLE)).size >= reference.length, 90_000);
    await waitFor('every prediction', async () => Number((await store.query<{ n: string }>("SELECT count() AS n FROM predictions FINAL WHERE key NOT LIKE 'zz-%'"))[0]!.n) >= reference.length, 30_000);
    // `tributary top` shows the views' stage of a worker that has views, with its rows out.
    const status = await new WorkerStatusSource(fw.worker, store, 'test', 'g', { logs: 'l', metrics: 'm', dlq: dlq }).status(new Rates());
    const views = status.stages.find((x) => x.stage === 'views');
    assert.ok(views && views.out.total >= reference.length && views.in!.total >= events.length, `the views row of the status: ${JSON.stringify(views)}`);
  } finally {
    await fw.stop();
  }
  const live = await viewRows(store, TABLE);
  assert.equal(live.size, reference.length);
  // The live rows are what the same feature code computes from the input.
  for (const e of reference) {
    const r = live.get(`${e.row.key}|${e.row.window_start}`)!;
    assert.ok(r, `window ${e.row.key} ${e.row.window_start}`);
    for (const f of view.features) assert.equal(r[f.name] === null ? null : Number(r[f.name]), e.row[f.name], `${e.row.key} ${e.row.window_start} ${f.name}`);
    assert.equal(Number(r.version), e.row.version);
  }
  // The view stage's counters reached pipeline_stats (stage `views`): every valid event in (the closing
  // events too), every window row and prediction out, nothing left out, dead-lettered or split.
  const vs = Object.fromEntries(
    (await store.query<{ name: string; v: string }>("SELECT name, sum(value) AS v FROM pipeline_stats WHERE stage = 'views' AND name != 'held_windows' GROUP BY name")).map((r) => [r.name, Number(r.v)]),
  );
  assert.ok(vs.records_in! >= events.length, `views records_in ${vs.records_in} for ${events.length} events`);
  assert.ok(vs.records_out! >= reference.length, `views records_out ${vs.records_out} for ${reference.length} windows`);
  assert.ok(vs.predictions! >= reference.length, `views predictions ${vs.predictions} for ${reference.length} windows`);
  for (const name of ['filtered_records', 'unkeyed_records', 'dlq_records', 'split_keys', 'scoring_failures']) assert.equal(vs[name] ?? 0, 0, name);
  const fraudWindows = reference.filter((e) => (e.row.fraud_events as number) > 0).length;
  assert.ok(fraudWindows > 5 && fraudWindows < reference.length / 2, `fraud windows ${fraudWindows} of ${reference.length}`);

  // Predictions: one per window, the window's version, and the features that stood out.
  const preds = await store.query<{ n: string; v: string; k: string; top: string }>(
    "SELECT count() AS n, countIf(version > 0) AS v, uniqExact(key, window_start) AS k, countIf(length(top_features) = 3) AS top FROM predictions FINAL WHERE view = 'card_activity' AND key NOT LIKE 'zz-%'",
  );
  assert.deepEqual(Object.values(preds[0]!).map(Number), [reference.length, reference.length, reference.length, reference.length]);

  // Dead letters name the source, the field and the reason.
  const dead = await readTopic(dlq, { expected: 5 });
  const reasons = dead.map((d) => (JSON.parse(d.value.toString()) as { reason: string }).reason).sort();
  assert.deepEqual(reasons.map((r) => r.replace(/ got .*$/, '').replace(/: Expected.*|: Unexpected.*/, '')), [
    'payments: field "amount" should be a finite number,',
    'payments: field "ts" is required and missing (it is the event-time field)',
    'payments: not JSON',
    'payments: field "amount" (event 1 of the record\'s 2) should be a finite number,',
    'payments: field "ts" (event 2 of the record\'s 2) is required and missing (it is the event-time field)',
  ].sort());
  // The raw table holds every valid event once.
  const raw = await store.query<{ n: string; u: string }>('SELECT count() AS n, uniqExact(kafka_partition, kafka_offset) AS u FROM payments_raw WHERE card_id NOT LIKE \'zz-%\'');
  assert.deepEqual([Number(raw[0]!.n), Number(raw[0]!.u)], [events.length, events.length - 1], 'the list\'s two events share their record\'s offset');

  // Backfill from Kafka (offsets by timestamp) into the view's own table: same rows, nothing changes.
  // 53 events a run: the events go through sorted runs on disk and their merge (sorted-runs.ts).
  const physical = async (): Promise<number> => Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${TABLE}`))[0]!.n);
  const before = await physical();
  const whole = { view, from: base - 3600_000, to: base + 3600_000 };
  const k = await backfill({ ...whole, from_: 'kafka', brokers, store, runEvents: 53 });
  assert.ok(k.events > 5 * 53, `${k.events} events: more than five runs`);
  assert.equal(k.rows, reference.length);
  assert.equal(k.invalid, 5);
  assert.ok((await physical()) >= before + reference.length, 'the backfill wrote its rows (its tokens are its own)');
  assert.equal(await conflictingRows(store, TABLE), 0, 'every backfilled row is byte-identical to the live row of the same version');
  assert.deepEqual(await viewRows(store, TABLE), live);
  // From the raw table in ClickHouse, page by page (97 events a page, so that pages end inside windows
  // and on equal event times), into a JSONL file: the same rows again.
  const file = join(out, 'train.jsonl');
  const c = await backfill({ ...whole, from_: 'clickhouse', store, out: file, pageRows: 97 });
  assert.equal(c.rows, reference.length);
  assert.equal(c.events, valid.length, 'every event read once across the pages');
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) {
    const r = live.get(`${l.key}|${l.window_start}`)!;
    for (const f of view.features) assert.equal(l[f.name], r[f.name] === null ? null : Number(r[f.name]), `${l.key} ${f.name}`);
  }
  // A range in the middle: the warm-up gives derived features their past, so rows equal the live ones.
  const mid = join(out, 'mid.csv');
  const from = base + 20 * 60_000;
  const to = base + 35 * 60_000;
  const m = await backfill({ view, from, to, from_: 'kafka', brokers, out: mid });
  const csv = readFileSync(mid, 'utf8').trim().split('\n');
  const header = csv[0]!.split(',');
  const inRange = [...live.values()].filter((r) => Date.parse(`${String(r.window_start).replace(' ', 'T')}Z`) >= from && Date.parse(`${String(r.window_start).replace(' ', 'T')}Z`) < to);
  assert.equal(m.rows, inRange.length);
  assert.ok(m.rows > 0);
  for (const line of csv.slice(1)) {
    const cells = Object.fromEntries(line.split(',').map((v, i) => [header[i]!, v]));
    const r = live.get(`${cells.key}|${cells.window_start}`)!;
    for (const f of view.features) assert.equal(cells[f.name] === '' ? null : Number(cells[f.name]), r[f.name] === null ? null : Number(r[f.name]), `${cells.key} ${cells.window_start} ${f.name}`);
  }
});

test('a view whose features changed without a version bump is refused, naming both column lists', async () => {
  const config = features('payments-other');
  const v = config.views![0]!;
  v.aggregations = v.aggregations.slice(0, 3);
  v.derived = [];
  await assert.rejects(openFeatureWorker({ brokers, store, features: config }), /view "card_activity" version 1: its table view_card_activity_v1 has columns \(.*fraud_events.*\) but the definition gives \(.*avg\); bump the view's version/);
  v.version = 2;
  const compiled = compileFeatures(config);
  assert.equal(compiled.views.get('card_activity')!.table, 'view_card_activity_v2');
});
