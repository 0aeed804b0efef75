/**
 * The pattern stage: decoded log records in, each with its pattern (id, template, whether it is new)
 * out, from the online miner (`transforms/patterns`). The miner is `Stateful`: its snapshot is saved
 * in `pipeline_state` and restored by whichever worker starts next. A replayed record that once
 * created a pattern is marked new again, so a rebuilt window counts the same new patterns.
 *
 * The miner's merges go into the record's batch as `pattern_merges` rows (the last per id in a batch),
 * landed with the batch's token like its pattern deltas: rows landed before a merge keep the id they
 * were given, and readers resolve it through that table. A merge made by a replayed record landed with
 * the batch that first made it. One made in a batch that a take-over drops is not made again by the
 * next owner if its restored snapshot already holds it: those ids then read apart, as before the table.
 */
import { type LogRecord } from '../../core/contracts/records.ts';
import { type PatternMergeRow } from '../../core/contracts/rows.ts';
import { formatWindowTime } from '../transforms/windows/tumbling.ts';
import { PatternMiner, type PatternMinerSnapshot } from '../transforms/patterns/miner.ts';
import { type PatternMinerOptions } from '../transforms/patterns/options.ts';
import { type RecordContext, type Stage, type Stateful } from '../stage.ts';

export interface MinedLog {
  record: LogRecord;
  /** Event time, epoch ms. */
  time: number;
  patternId: string;
  template: string;
  isNew: boolean;
}

interface Saved {
  miner: PatternMinerSnapshot;
  firstSeen?: [string, string][];
}

export class PatternStage implements Stage<LogRecord, MinedLog>, Stateful {
  readonly name = 'patterns';
  readonly stateKey: string;
  readonly perWorker = false;
  miner: PatternMiner;
  /** Pattern id -> the record (topic/partition/offset) that created it, so a replay marks it new again. */
  private firstSeen = new Map<string, string>();
  /** The last `merged_at` written, so that a later merge of the same id always has a later time. */
  private lastMergedAt = 0;

  constructor(private readonly options: Partial<PatternMinerOptions>, group: string, readonly mergeTable = 'pattern_merges') {
    this.miner = new PatternMiner(options);
    // One miner per group (not per worker): any worker may take the partitions over.
    this.stateKey = `miner/${group}`;
  }

  push(r: LogRecord, ctx: RecordContext): MinedLog {
    const match = this.miner.match(r.body);
    const origin = `${ctx.topic}/${ctx.partition}/${ctx.offset}`;
    let isNew = match.isNew;
    if (isNew) this.rememberFirstSeen(match.patternId, origin);
    else if (this.firstSeen.get(match.patternId) === origin) isNew = true;
    const merges = this.miner.takeMerges();
    if (merges.length > 0) this.writeMerges(merges, ctx);
    return { record: r, time: Date.parse(r.time), patternId: match.patternId, template: match.template, isNew };
  }

  snapshot(): Saved {
    return { miner: this.miner.snapshot(), firstSeen: [...this.firstSeen] };
  }

  /** The newest snapshot wins: the miner is one shared state, not a merge of several. */
  restore(saved: readonly unknown[]): void {
    const last = saved[saved.length - 1] as Saved | undefined;
    if (!last) return;
    this.miner = PatternMiner.restore(last.miner, this.options);
    this.firstSeen = new Map(last.firstSeen ?? []);
  }

  private writeMerges(merges: readonly [string, string][], ctx: RecordContext): void {
    this.lastMergedAt = Math.max(Date.now(), this.lastMergedAt + 1);
    const merged_at = formatWindowTime(this.lastMergedAt);
    for (const [pattern_id, merged_into] of merges) {
      ctx.out.aggregate<PatternMergeRow>(
        this.mergeTable,
        pattern_id,
        () => ({ pattern_id, merged_into, merged_at }),
        (row) => {
          row.merged_into = merged_into;
          row.merged_at = merged_at;
        },
      );
    }
  }

  private rememberFirstSeen(id: string, origin: string): void {
    this.firstSeen.set(id, origin);
    if (this.firstSeen.size > 2 * this.miner.options.maxClusters) {
      for (const k of this.firstSeen.keys()) if (this.miner.template(k) === undefined) this.firstSeen.delete(k);
    }
  }
}
