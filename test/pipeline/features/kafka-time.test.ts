/**
 * Events without a time of their own (`time_field: $kafka_timestamp`), on a real broker and chDB: the
 * live worker windows them by each record's Kafka timestamp, and a backfill from Kafka gives the same
 * rows. The events are the payments of the other proofs with their `ts` taken out, each produced with
 * that time as its Kafka timestamp, so the rows must equal what the feature code makes of the
 * originals.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { openFeatureWorker } from '../../../pipeline/features/run.ts';
import { backfill, computeRows } from '../../../pipeline/features/backfill.ts';
import { type SourceEvent } from '../../../pipeline/transforms/features/views/schema.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { baseTime, tempStore, waitFor } from '../../helpers/pipeline-data.ts';
import { closing, conflictingRows, features, partitionOf, payments, produceTimed, records, viewRows } from './data.ts';

const brokers = await testBrokers();
const { store, path } = await tempStore();
after(async () => {
  await store.close();
  rmSync(path, { recursive: true, force: true });
});

test('time_field $kafka_timestamp: windows by the records\' Kafka timestamps, live and in backfill alike', async () => {
  const topic = await createTestTopic('payments-untimed', 3);
  const base = baseTime(3);
  const events = payments(base, 23).slice(0, 400);
  const config = features(topic, 'payments_untimed_raw');
  const source = config.sources![0]!;
  config.sources = [{ ...source, time_field: '$kafka_timestamp', fields: Object.fromEntries(Object.entries(source.fields).filter(([k]) => k !== 'ts')) }];
  // The value without its time; the Kafka timestamp carries it (records() sets it to the event's).
  const untimed = [...records(events), ...closing(base + 3 * 3600_000)].map((r) => {
    const { ts: _ts, ...rest } = JSON.parse(r.value) as Record<string, unknown>;
    return { ...r, value: JSON.stringify(rest) };
  });
  assert.ok(untimed.every((r) => !('ts' in (JSON.parse(r.value) as object))));
  await produceTimed(brokers, topic, untimed);
  const fw = await openFeatureWorker({
    brokers, store, groupId: `g-untimed-${Date.now()}`, logsTopic: await createTestTopic('u-logs', 1), metricsTopic: await createTestTopic('u-metrics', 1), dlqTopic: await createTestTopic('u-dlq', 1),
    batchMaxWaitMs: 100, tickMs: 200, statsIntervalMs: 1000, features: config, models: [],
  });
  await fw.worker.start();
  const view = fw.compiled.views.get('card_activity')!;
  const table = view.table;
  const valid = events.map((e, i): { time: number; partition: number; offset: number; event: SourceEvent } => ({ time: e.ts, partition: partitionOf(e.card_id), offset: i, event: { time: e.ts, fields: { ...e } } }));
  const reference = computeRows({ view, from: -Infinity, to: Infinity }, valid);
  try {
    await waitFor('every window of the data in the view table', async () => (await viewRows(store, table)).size >= reference.length, 90_000);
  } finally {
    await fw.stop();
  }
  const live = await viewRows(store, table);
  assert.equal(live.size, reference.length);
  for (const e of reference) {
    const r = live.get(`${e.row.key}|${e.row.window_start}`);
    assert.ok(r, `window ${e.row.key} ${e.row.window_start}`);
    for (const f of view.features) assert.equal(r[f.name] === null ? null : Number(r[f.name]), e.row[f.name], `${e.row.key} ${e.row.window_start} ${f.name}`);
  }
  const k = await backfill({ view, from: base - 3600_000, to: base + 3600_000, from_: 'kafka', brokers, store });
  assert.equal(k.rows, reference.length);
  assert.equal(k.invalid, 0);
  assert.equal(await conflictingRows(store, table), 0, 'every backfilled row is byte-identical to the live row of the same version');
  assert.deepEqual(await viewRows(store, table), live);
});
