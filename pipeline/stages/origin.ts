/**
 * Exactly once from a file line to a row: drops a log record whose origin already landed.
 *
 * An agent that dies between Kafka's acknowledgement and its checkpoint sends the same lines again
 * after its restart. Each record carries its origin (file fingerprint and byte offset, see
 * core/contracts/records.ts), and an agent sends a file's lines in order, all on one partition (the
 * key is the service). So per partition and fingerprint, the highest byte offset seen is enough: a
 * record at or below it is a re-send and stops here (counted as `duplicate_records`, stage decode).
 *
 * The state is bounded: a fingerprint not seen for `horizonMs` (default 6 h) is forgotten, and a
 * worker taking a partition over rebuilds it from the landed rows (`source_fingerprint`,
 * `source_offset` of `logs`) observed within the horizon and below the offset it starts reading at,
 * then replays from there, so it reaches the same decisions as the previous owner. Past the horizon a
 * re-sent line lands a second time. Records of other origins (stdin, OTLP, pino) pass through: for
 * them delivery is at least once.
 */
import { type LogRecord } from '../../core/contracts/records.ts';
import { type RecordContext, type Stage } from '../stage.ts';
import { type StatSample } from '../stats.ts';

export const DEFAULT_DEDUP_HORIZON_MS = 6 * 3600_000;

interface Seen {
  offset: number;
  /** Processing time it was last seen, for the horizon. */
  at: number;
}

export class OriginDedupStage implements Stage<LogRecord, LogRecord> {
  readonly name = 'origin';
  /** Records dropped as re-sends (not counting replays); fingerprints forgotten past the horizon. */
  readonly counts = { duplicates: 0, expired: 0 };
  private readonly byPartition = new Map<number, Map<string, Seen>>();
  private lastExpiry = 0;

  constructor(readonly horizonMs = DEFAULT_DEDUP_HORIZON_MS) {}

  push(r: LogRecord, ctx: RecordContext): LogRecord | undefined {
    const o = r.origin;
    if (o?.kind !== 'file' || !o.fingerprint || typeof o.offset !== 'number') return r;
    let seen = this.byPartition.get(ctx.partition);
    if (!seen) this.byPartition.set(ctx.partition, (seen = new Map()));
    const s = seen.get(o.fingerprint);
    if (s && o.offset <= s.offset) {
      s.at = ctx.now;
      if (!ctx.replay) this.counts.duplicates++;
      return undefined;
    }
    if (s) {
      s.offset = o.offset;
      s.at = ctx.now;
    } else {
      seen.set(o.fingerprint, { offset: o.offset, at: ctx.now });
    }
    return r;
  }

  /** What landed before this worker's first record of the partition: fingerprint -> highest offset. */
  seed(partition: number, landed: ReadonlyMap<string, number>, now = Date.now()): void {
    const seen = new Map<string, Seen>();
    for (const [fp, offset] of landed) seen.set(fp, { offset, at: now });
    this.byPartition.set(partition, seen);
  }

  revoke(partition: number): void {
    this.byPartition.delete(partition);
  }

  /** Forgets fingerprints not seen within the horizon (nothing lands here: this stage writes no rows). */
  flush(now: number): Map<string, object[]> {
    if (now - this.lastExpiry >= 60_000) {
      this.lastExpiry = now;
      for (const seen of this.byPartition.values()) {
        for (const [fp, s] of seen) {
          if (now - s.at > this.horizonMs) {
            seen.delete(fp);
            this.counts.expired++;
          }
        }
      }
    }
    return new Map();
  }

  /** Fingerprints held, over all partitions (the bounded state). */
  get size(): number {
    let n = 0;
    for (const seen of this.byPartition.values()) n += seen.size;
    return n;
  }

  samples(): StatSample[] {
    return [
      { stage: 'decode', name: 'duplicate_records', value: this.counts.duplicates, kind: 'counter' },
      { stage: 'decode', name: 'origins_held', value: this.size, kind: 'gauge' },
    ];
  }
}
