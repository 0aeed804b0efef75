/**
 * What a worker taking a log partition over needs to keep dropping re-sent lines
 * (`stages/origin.ts`): per file fingerprint, the highest source offset landed from that partition
 * below the Kafka offset it starts reading at, among rows observed within the horizon.
 */
import { type Store } from '../../../core/storage/store.ts';

export async function landedOrigins(store: Store, topic: string, partition: number, before: number, horizonMs: number, now = Date.now()): Promise<Map<string, number>> {
  const rows = await store.query<{ fp: string; o: string | number }>(
    `SELECT source_fingerprint AS fp, toString(max(source_offset)) AS o FROM logs
     WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16} AND kafka_offset < {before:UInt64}
       AND source_kind = 'file' AND source_fingerprint != '' AND observed_time >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
     GROUP BY fp`,
    { topic, partition, before: String(before), since: now - horizonMs },
  );
  return new Map(rows.map((r) => [r.fp, Number(r.o)]));
}
