/** The payments data, view and model shared by the feature-view proofs. */
import { join } from 'node:path';
import { writeFileSync, mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type FeaturesConfig } from '../../../pipeline/features/config.ts';
import { generatePayments, PAYMENTS_SOURCE, type PaymentEvent } from '../../../workload/payments.ts';
import { type Store } from '../../../core/storage/store.ts';

export const PARTITIONS = 3;

export function features(topic: string, rawTable = 'payments_raw'): FeaturesConfig {
  return {
    // `region` (the card's partition) is added by `records`, for a view whose keys each live on one partition.
    sources: [{ ...PAYMENTS_SOURCE, fields: { ...PAYMENTS_SOURCE.fields, region: { type: 'integer', optional: true } }, topic, raw_table: rawTable }],
    views: [{
      name: 'card_activity',
      source: 'payments',
      key: 'card_id',
      window: { size: '5m', allowed_lateness: '5s' },
      aggregations: [
        { name: 'n', fn: 'count' },
        { name: 'total', fn: 'sum', field: 'amount' },
        { name: 'avg', fn: 'mean', field: 'amount' },
        { name: 'hi', fn: 'max', field: 'amount' },
        { name: 'p90', fn: 'quantile', field: 'amount', q: 0.9 },
        { name: 'merchants', fn: 'distinct_count', field: 'merchant_id' },
        { name: 'online_ratio', fn: 'ratio_if', condition: 'online' },
        { name: 'declines', fn: 'count_if', condition: 'status == 402' },
        { name: 'last_amount', fn: 'last', field: 'amount' },
        { name: 'per_s', fn: 'rate' },
        { name: 'fraud_events', fn: 'count_if', condition: 'is_fraud == true' },
      ],
      derived: [
        { name: 'total_z', fn: 'robust_z', of: 'total', history: 6, min_history: 2 },
        { name: 'n_change', fn: 'change', of: 'n', history: 6, min_history: 2 },
        { name: 'decline_share', fn: 'ratio', of: ['declines', 'n'] },
      ],
    }],
  };
}

/**
 * A dense view over the same events: a handful of keys (the card's partition, online or not), each
 * with a window every minute, so a replay after a crash always reaches back past the newest windows
 * its derived features compare with (a short history makes that certain).
 */
export function channelView(): NonNullable<FeaturesConfig['views']>[number] {
  return {
    name: 'channel',
    source: 'payments',
    key: ['region', 'online'],
    window: { size: '1m', allowed_lateness: '5s' },
    aggregations: [
      { name: 'n', fn: 'count' },
      { name: 'total', fn: 'sum', field: 'amount' },
      { name: 'declines', fn: 'count_if', condition: 'status == 402' },
    ],
    derived: [
      { name: 'total_z', fn: 'robust_z', of: 'total', history: 3, min_history: 2 },
      { name: 'n_change', fn: 'change', of: 'n', history: 3, min_history: 2 },
    ],
  };
}

/** A binary model over (n, total, declines) bound to the view (the test fixture graph), in a temp folder. */
export function modelEntry(): { manifest: string } {
  const dir = mkdtempSync(join(tmpdir(), 'features-model-'));
  copyFileSync(join(import.meta.dirname, '../../fixtures/view-models/binary.onnx'), join(dir, 'model.onnx'));
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({
    name: 'card-test', version: '1', view: 'card_activity', model_file: 'model.onnx', features: ['n', 'total', 'declines'],
    normalization: { center: [2, 100, 0], scale: [2, 100, 1] }, input: { name: 'x' }, output: { name: 'p', kind: 'binary', classes: ['ok', 'fraud'] }, threshold: 0.5,
  }));
  return { manifest };
}

export function payments(base: number, seed = 11): PaymentEvent[] {
  return generatePayments({ seed, start: base, spanMs: 40 * 60_000, cards: 120 });
}

export function partitionOf(card: string): number {
  let h = 0;
  for (let i = 0; i < card.length; i++) h = (h * 31 + card.charCodeAt(i)) >>> 0;
  return h % PARTITIONS;
}

/** Records for Kafka: keyed by card on a fixed partition, Kafka timestamp = event time. */
export function records(events: readonly PaymentEvent[]): Array<{ key: string; value: string; partition: number; timestamp: string }> {
  return events.map((e) => ({ key: e.card_id, value: JSON.stringify({ ...e, region: partitionOf(e.card_id) }), partition: partitionOf(e.card_id), timestamp: String(e.ts) }));
}

/** One event per partition far past the data, so that every window of the data closes. */
export function closing(at: number): Array<{ key: string; value: string; partition: number; timestamp: string }> {
  return Array.from({ length: PARTITIONS }, (_, p) => ({
    key: `zz-close-${p}`, partition: p, timestamp: String(at),
    value: JSON.stringify({ ts: at, card_id: `zz-close-${p}`, merchant_id: 'm', amount: 0, online: false, status: 200, is_fraud: false }),
  }));
}

/** Rows of the view table (FINAL), without late_count (which depends on tick timing), by key and window. */
export async function viewRows(store: Store, table: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await store.query<Record<string, unknown>>(`SELECT * EXCEPT (late_count), toString(window_start) AS window_start, toString(window_end) AS window_end FROM ${table} FINAL WHERE key NOT LIKE 'zz-%'`);
  return new Map(rows.map((r) => [`${r.key}|${r.window_start}`, r]));
}

/** Produces records with their Kafka timestamp (acks=all), in chunks. */
export async function produceTimed(brokers: string[], topic: string, recs: ReadonlyArray<{ key: string; value: string; partition: number; timestamp: string }>, opts: { chunk?: number; pauseMs?: number } = {}): Promise<void> {
  const { createKafka } = await import('../../../core/kafka/client.ts');
  const producer = createKafka({ brokers, clientId: 'tributary-test-producer' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const chunk = opts.chunk ?? 2000;
    for (let i = 0; i < recs.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: recs.slice(i, i + chunk) });
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every physical row of the view table with the same (key, window, version) is byte-identical (late_count aside): no replay changed a landed row. */
export async function conflictingRows(store: Store, table: string): Promise<number> {
  const r = await store.query<{ n: string }>(
    `SELECT count() AS n FROM (SELECT key, window_start, version, uniqExact(cityHash64(* EXCEPT (late_count))) AS variants FROM ${table} GROUP BY key, window_start, version HAVING variants > 1)`,
  );
  return Number(r[0]!.n);
}
