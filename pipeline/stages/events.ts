/**
 * Stages of a JSON event stream (a user's topic such as `payments.v1`): the bytes of a record are
 * checked against the source's light schema (`transforms/features/views/schema.ts`), and a record that
 * does not fit goes to `dlq.v1` with the field and the reason (a JSON list's events each on their own;
 * a tombstone holds none and is no dead letter); a valid event optionally lands in the
 * source's raw table, exactly once (it lands with the record's batch, under the batch's token).
 */
import { type Store } from '../../core/storage/store.ts';
import { type Decoded, type DecodedSeveral } from '../transforms/decode.ts';
import { type EventSchema, type FieldType, type SourceEvent } from '../transforms/features/views/schema.ts';
import { formatWindowTime } from '../transforms/windows/tumbling.ts';
import { type RecordContext, type Stage } from '../stage.ts';

/**
 * The decode step of an event stream, for `DecodeStage`: bytes -> checked event, or why not; a JSON
 * list -> its events and a reason for each that does not fit; a tombstone -> nothing, not a dead letter.
 */
export function eventDecoder(schema: EventSchema): (value: Buffer | null, now?: number, contentType?: string, timestamp?: number) => Decoded<SourceEvent> | DecodedSeveral<SourceEvent> {
  const refusal = (r: { field: string; reason: string }): { ok: false; stage: 'decode' | 'validate'; reason: string } => ({
    ok: false, stage: r.field === '' ? 'decode' : 'validate', reason: r.field === '' ? `${schema.name}: ${r.reason}` : `${schema.name}: field "${r.field}" ${r.reason}`,
  });
  return (value, _now, _contentType, timestamp) => {
    const r = schema.decodeAll(value, timestamp);
    if (!r.list && r.events.length === 1) return { ok: true, value: r.events[0]! };
    if (!r.list && r.refused.length === 1) return refusal(r.refused[0]!);
    return { several: r.events, refused: r.refused.map(refusal) };
  };
}

const CH_TYPES: Record<FieldType, string> = { string: 'Nullable(String)', number: 'Nullable(Float64)', integer: 'Nullable(Int64)', boolean: 'Nullable(Bool)' };

/** DDL of a source's raw table: event time, Kafka position, and one typed column per declared field. */
export function rawTableDdl(schema: EventSchema, table: string, ttlDays = 30): string {
  if (!/^[a-z][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  const cols = schema.fields.map((f) => `  \`${f.name}\` ${CH_TYPES[f.type]},`).join('\n');
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
  time DateTime64(3, 'UTC'),
${cols}
  kafka_partition UInt16,
  kafka_offset UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (time, kafka_partition, kafka_offset)
TTL toDateTime(time) + INTERVAL ${Math.floor(ttlDays)} DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 100000`;
}

export async function ensureRawTable(store: Store, schema: EventSchema, table: string): Promise<void> {
  await store.command(rawTableDdl(schema, table));
}

/** A checked event -> its raw row in the batch (when the source has a raw table); the event goes on. */
export class RawEventStage implements Stage<SourceEvent, SourceEvent> {
  readonly name = 'rows';

  constructor(readonly table: string) {}

  push(event: SourceEvent, ctx: RecordContext): SourceEvent {
    if (!ctx.replay) {
      ctx.out.row(this.table, { time: formatWindowTime(event.time), ...event.fields, kafka_partition: ctx.partition, kafka_offset: String(ctx.offset) });
    }
    return event;
  }
}
