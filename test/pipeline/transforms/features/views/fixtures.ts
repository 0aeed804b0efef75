/** A payments source and view shared by the view tests. */
import { EventSchema, type SourceConfig } from '../../../../../pipeline/transforms/features/views/schema.ts';
import { compileView, type ViewConfig } from '../../../../../pipeline/transforms/features/views/definition.ts';

export const PAYMENTS: SourceConfig = {
  name: 'payments',
  topic: 'payments.v1',
  time_field: 'ts',
  fields: { card_id: 'string', merchant: 'string', amount: 'number', status: 'integer', online: { type: 'boolean', optional: true }, latency: { type: 'number', optional: true } },
};

export const sources = (): Map<string, EventSchema> => new Map([['payments', new EventSchema(PAYMENTS)]]);

export function view(over: Partial<ViewConfig> = {}) {
  const config: ViewConfig = {
    name: 'card',
    source: 'payments',
    key: 'card_id',
    window: { size: '10s', allowed_lateness: '0s' },
    aggregations: [
      { name: 'n', fn: 'count' },
      { name: 'total', fn: 'sum', field: 'amount' },
      { name: 'avg', fn: 'mean', field: 'amount' },
      { name: 'lo', fn: 'min', field: 'amount' },
      { name: 'hi', fn: 'max', field: 'amount' },
      { name: 'sd', fn: 'stddev', field: 'amount' },
      { name: 'p90', fn: 'quantile', field: 'amount', q: 0.9 },
      { name: 'merchants', fn: 'distinct_count', field: 'merchant' },
      { name: 'errors', fn: 'count_if', condition: 'status >= 500' },
      { name: 'error_ratio', fn: 'ratio_if', condition: 'status >= 500' },
      { name: 'last_amount', fn: 'last', field: 'amount' },
      { name: 'per_s', fn: 'rate' },
      { name: 'lat', fn: 'mean', field: 'latency' },
      { name: 'lat0', fn: 'mean', field: 'latency', default: -1 },
    ],
    ...over,
  };
  return compileView(config, sources(), 'views[0]');
}

/** Seeded generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
