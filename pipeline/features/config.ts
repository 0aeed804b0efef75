/**
 * The `sources:` and `views:` sections of the worker's configuration, and the models bound to views:
 * checked together (a view names a source, a model names a view) and compiled into what the worker
 * runs: one event stream per source topic, with a view stage per view of that source.
 *
 *   sources:
 *     - name: payments
 *       topic: payments.v1
 *       time_field: ts
 *       fields: { card_id: string, amount: number, status: integer }
 *       raw_table: payments_raw          # optional: every valid event lands here too
 *   views:
 *     - name: card_activity
 *       source: payments
 *       key: card_id
 *       window: { size: 5m, hop: 1m, allowed_lateness: 10s }
 *       aggregations: [{ name: txn_count, fn: count }, { name: amount_sum, fn: sum, field: amount }]
 *       derived: [{ name: amount_z, fn: robust_z, of: amount_sum }]
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../../core/errors.ts';
import { type Store } from '../../core/storage/store.ts';
import { compileView, didYouMean, viewSchema, type CompiledView, type ViewConfig } from '../transforms/features/views/definition.ts';
import { EventSchema, sourceSchema, type SourceConfig } from '../transforms/features/views/schema.ts';
import { SchemaRegistry, type SchemaRegistryConfig } from '../transforms/features/views/registry.ts';
import { ensureViewTable } from '../transforms/features/views/table.ts';
import { type ViewModels } from '../transforms/scoring/view-models.ts';
import { DecodeStage } from '../stages/decode.ts';
import { ensureRawTable, eventDecoder, RawEventStage } from '../stages/events.ts';
import { ViewStage } from '../stages/views.ts';
import { Chain } from '../streams/chain.ts';
import { type Stage } from '../stage.ts';

export interface FeaturesConfig {
  sources?: SourceConfig[];
  views?: ViewConfig[];
  /** Where Avro and protobuf sources fetch writer schemas (the worker config's `schema_registry`). */
  schema_registry?: SchemaRegistryConfig;
}

/** JSON Schema of the two sections, for the worker's config loader and its generated reference. */
export const featuresConfigProperties = {
  sources: { type: 'array', items: sourceSchema, description: 'Topics of events (JSON of any shape, Avro or Protobuf) the worker reads besides logs and metrics.' },
  views: { type: 'array', items: viewSchema, description: 'Feature views: per key and window, declared aggregations and derived features, each in a table of its own.' },
} as const;

export interface CompiledFeatures {
  sources: Map<string, EventSchema>;
  views: Map<string, CompiledView>;
}

/** Checks and compiles both sections; throws CONFIG_INVALID naming the key path. */
export function compileFeatures(config: FeaturesConfig): CompiledFeatures {
  const sources = new Map<string, EventSchema>();
  const topics = new Map<string, string>();
  // One client for every source: a registry's ids are global, and each is fetched once.
  const url = config.schema_registry?.url;
  const registry = url !== undefined ? new SchemaRegistry({ ...config.schema_registry, url }) : undefined;
  (config.sources ?? []).forEach((s, i) => {
    const path = `sources[${i}]`;
    if (typeof s?.name !== 'string') throw new TributaryError('CONFIG_INVALID', `${path}.name: required`);
    if (sources.has(s.name)) throw new TributaryError('CONFIG_INVALID', `${path}.name: source "${s.name}" is defined twice`);
    if (topics.has(s.topic)) throw new TributaryError('CONFIG_INVALID', `${path}.topic: ${s.topic} is already read by source "${topics.get(s.topic)}" (one source per topic)`);
    for (const k of Object.keys(s)) if (!(k in sourceSchema.properties)) throw new TributaryError('CONFIG_INVALID', `${path}.${k}: unknown key${didYouMean(k, Object.keys(sourceSchema.properties))}`);
    for (const k of sourceSchema.required) if ((s as unknown as Record<string, unknown>)[k] === undefined) throw new TributaryError('CONFIG_INVALID', `${path}: "${k}" is required`);
    sources.set(s.name, new EventSchema(s, registry));
    topics.set(s.topic, s.name);
  });
  const views = new Map<string, CompiledView>();
  (config.views ?? []).forEach((v, i) => {
    const c = compileView(v, sources, `views[${i}]`);
    if (views.has(c.name)) throw new TributaryError('CONFIG_INVALID', `views[${i}].name: view "${c.name}" is defined twice`);
    views.set(c.name, c);
  });
  return { sources, views };
}

/** Creates the raw and view tables (idempotent; refuses a view table whose columns changed without a version bump). */
export async function ensureFeatureTables(store: Store, compiled: CompiledFeatures): Promise<void> {
  for (const s of compiled.sources.values()) if (s.config.raw_table) await ensureRawTable(store, s, s.config.raw_table);
  for (const v of compiled.views.values()) await ensureViewTable(store, v);
}

/** One stream per source with views (or a raw table): decode against the schema, raw rows, view stages. */
export function featureStreams(compiled: CompiledFeatures, models: ViewModels | undefined, group: string): { streams: Chain[]; views: ViewStage[] } {
  const streams: Chain[] = [];
  const all: ViewStage[] = [];
  for (const s of compiled.sources.values()) {
    const views = [...compiled.views.values()].filter((v) => v.source === s).map((v) => new ViewStage(v, models, group));
    if (views.length === 0 && !s.config.raw_table) continue;
    const stages: Stage<never, unknown>[] = [new DecodeStage(eventDecoder(s), s.needsPrepare ? (values) => s.prepare(values) : undefined)];
    if (s.config.raw_table) stages.push(new RawEventStage(s.config.raw_table));
    stages.push(...views);
    streams.push(new Chain(s.topic, stages as unknown as Stage<unknown, unknown>[], s.config.raw_table ? { table: s.config.raw_table, hasTopicColumn: false } : undefined));
    all.push(...views);
  }
  return { streams, views: all };
}

/**
 * Whether a model manifest binds the model to a feature view (it names a `view`). Such models are
 * scored by the view stages; the others by the window scorer. An unreadable manifest is not a view
 * model here: the window scorer then refuses it with the reason.
 */
export function isViewManifest(path: string): boolean {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { view?: unknown };
    return typeof m?.view === 'string';
  } catch {
    return false;
  }
}
