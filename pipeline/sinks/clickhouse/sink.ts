/**
 * ClickHouse sink: inserts a batch with its deterministic deduplication token and keeps trying,
 * with backoff, while the store is unreachable; the caller commits Kafka offsets only after this
 * resolves. An error that retrying cannot fix (a wrong password, a schema mismatch) is thrown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger } from '../../../core/log.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { type Store } from '../../../core/storage/store.ts';

export interface ClickHouseSinkOptions {
  /** First wait after a failed insert; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface ClickHouseSinkStats {
  inserts: number;
  rows: number;
  retries: number;
  /** Milliseconds of the last successful insert. */
  lastInsertMs: number;
  unavailableSince?: number;
}

export class ClickHouseSink {
  readonly stats: ClickHouseSinkStats = { inserts: 0, rows: 0, retries: 0, lastInsertMs: 0 };
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: ClickHouseSinkOptions = {},
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
  }

  /**
   * Inserts until it succeeds. `keepAlive` runs between attempts (the consumer's heartbeat) and may
   * throw to abandon the batch, e.g. when the partition was revoked meanwhile.
   */
  async insert(table: string, rows: readonly object[], dedupToken: string, keepAlive?: () => Promise<void>): Promise<void> {
    if (rows.length === 0) return;
    let backoff = this.initialBackoffMs;
    for (;;) {
      const started = performance.now();
      try {
        await this.store.insert(table, rows, { dedupToken });
        this.stats.inserts++;
        this.stats.rows += rows.length;
        this.stats.lastInsertMs = performance.now() - started;
        if (this.stats.unavailableSince !== undefined) {
          this.log.info({ table, downForMs: Date.now() - this.stats.unavailableSince }, 'ClickHouse is back; inserts go on.');
          this.stats.unavailableSince = undefined;
        }
        return;
      } catch (err) {
        if (!isTributaryError(err) || !err.canRetry) throw err;
        this.stats.retries++;
        if (this.stats.unavailableSince === undefined) {
          this.stats.unavailableSince = Date.now();
          this.log.warn({ table, err: err.message }, 'ClickHouse is unavailable; consumption is paused and the batch is retried.');
        }
        await keepAlive?.();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }
}
