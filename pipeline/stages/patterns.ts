/**
 * The pattern stage: decoded log records in, each with its pattern (id, template, whether it is new)
 * out, from the online miner (`transforms/patterns`). The miner is `Stateful`: its snapshot is saved
 * in `pipeline_state` and restored by whichever worker starts next. A replayed record that once
 * created a pattern is marked new again, so a rebuilt window counts the same new patterns.
 */
import { type LogRecord } from '../../core/contracts/records.ts';
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

  constructor(private readonly options: Partial<PatternMinerOptions>, group: string) {
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

  private rememberFirstSeen(id: string, origin: string): void {
    this.firstSeen.set(id, origin);
    if (this.firstSeen.size > 2 * this.miner.options.maxClusters) {
      for (const k of this.firstSeen.keys()) if (this.miner.template(k) === undefined) this.firstSeen.delete(k);
    }
  }
}
