/**
 * The ledger: what may be committed. Per assigned partition it knows the next offset to read and the
 * last commit; the stages say what they still hold and the landing lanes what is not yet durable, and
 * the ledger answers, per partition, the offset that may be committed now:
 *
 *   lowest of (next offset to read, first offset of the batch in flight, first offset of the batch
 *   being built, lowest offset any stage still holds)
 *
 * and nothing at all while rows emitted on a tick (closed windows, anomalies) are not yet durable.
 * So whatever is not durable in ClickHouse, open windows included, is re-read after a crash.
 */
import { safeCommitOffset } from './transforms/windows/tumbling.ts';
import { type Lane } from './sinks/clickhouse/landing.ts';
import { type Stream } from './stage.ts';

export interface PartitionEntry {
  /** `topic/partition`. */
  key: string;
  topic: string;
  partition: number;
  stream: Stream;
  /** Next offset to process; lower ones are refetches after a rejoin. -1 before the first record. */
  nextOffset: number;
  /** Offsets at or below landed before this assignment: replayed into state only. */
  resumeAfter: number;
  /** Offset last committed (the next one to read), -1 before the first commit. */
  committed: number;
  /** The partition's log end offset as of the last fetch. */
  highWatermark: number;
  /** Past the last fetched batch that held no records for us (transaction markers, aborted records): read through, though nothing was processed. */
  readThrough?: number;
  /** When reading last skipped offsets and the log's start was asked (ms): at most one question a second. */
  gapCheckedAt?: number;
  lane: Lane;
}

export interface CommitTarget {
  entry: PartitionEntry;
  offset: number;
}

export class Ledger {
  readonly entries = new Map<string, PartitionEntry>();
  /** Rows emitted on ticks and not yet durable; while any are, nothing is committed. */
  private pendingTick = 0;

  get(key: string): PartitionEntry | undefined {
    return this.entries.get(key);
  }

  add(entry: PartitionEntry): void {
    this.entries.set(entry.key, entry);
  }

  remove(key: string): PartitionEntry | undefined {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e;
  }

  /** Tick rows handed to landing (`+n`) or landed (`-n`). */
  tickRows(delta: number): void {
    this.pendingTick += delta;
  }

  get tickRowsPending(): number {
    return this.pendingTick;
  }

  /** Offsets that may be committed now and are ahead of the last commit, for the partitions in `assignment`. */
  targets(assignment: ReadonlySet<string>): CommitTarget[] {
    if (this.pendingTick > 0) return [];
    // One hold map per stage per call, not per partition.
    const holds = new Map<Stream, Array<ReadonlyMap<number, number>>>();
    const out: CommitTarget[] = [];
    for (const e of this.entries.values()) {
      if (e.nextOffset < 0 || !assignment.has(e.key)) continue;
      let streamHolds = holds.get(e.stream);
      if (!streamHolds) holds.set(e.stream, (streamHolds = e.stream.stages.flatMap((s) => (s.heldOffsets ? [s.heldOffsets()] : []))));
      const off = safeCommitOffset(e.nextOffset, e.lane.inflight?.first, e.lane.building?.first, ...streamHolds.map((h) => h.get(e.partition)));
      if (off > e.committed) out.push({ entry: e, offset: off });
    }
    return out;
  }

  committed(targets: readonly CommitTarget[]): void {
    for (const t of targets) t.entry.committed = t.offset;
  }

  /** Sum over assigned partitions of the log end minus the next offset to read. */
  lag(): number {
    let lag = 0;
    for (const e of this.entries.values()) if (e.nextOffset >= 0) lag += Math.max(0, e.highWatermark - e.nextOffset);
    return lag;
  }
}
