/**
 * The workers' small durable state in ClickHouse (`pipeline_state`): keys and string values, newest
 * write wins. It holds the snapshots of stateful stages (the pattern miner, feature baselines) and, per
 * partition, the offset range of the raw batch being landed (see `006_pipeline_state.sql` for why each
 * lives here).
 */
import { createHash } from 'node:crypto';
import { type Store } from '../../../core/storage/store.ts';
import { type ClickHouseSink } from './sink.ts';

let lastMicros = 0;

/** Microseconds since the epoch, strictly increasing within the process (newest write wins). */
function nowMicros(): number {
  const us = Date.now() * 1000;
  lastMicros = us > lastMicros ? us : lastMicros + 1;
  return lastMicros;
}

function formatMicros(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(us % 1000).padStart(3, '0')}`;
}

export class PipelineState {
  constructor(
    private readonly store: Store,
    private readonly sink: ClickHouseSink,
    private readonly writer: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const rows = await this.store.query<{ value: string; n: string | number }>(
      'SELECT argMax(value, updated_at) AS value, count() AS n FROM pipeline_state WHERE key = {key:String}',
      { key },
    );
    return rows.length > 0 && Number(rows[0]!.n) > 0 ? rows[0]!.value : undefined;
  }

  /** Every key under `prefix` with its newest value, oldest write first. */
  async list(prefix: string): Promise<Array<{ key: string; value: string }>> {
    return this.store.query<{ key: string; value: string }>(
      'SELECT key, argMax(value, updated_at) AS value, max(updated_at) AS at FROM pipeline_state WHERE startsWith(key, {prefix:String}) GROUP BY key ORDER BY at',
      { prefix },
    );
  }

  /**
   * Writes a value, retrying while the store is unreachable. The deduplication token is `token`, or a
   * hash of key and value: writing the same value twice leaves one row.
   */
  async put(key: string, value: string, keepAlive?: () => Promise<void>, token?: string): Promise<void> {
    const dedup = token ?? `state/${key}/${createHash('sha1').update(value).digest('hex')}`;
    await this.sink.insert('pipeline_state', [{ key, value, updated_at: formatMicros(nowMicros()), writer: this.writer }], dedup, keepAlive);
  }
}
