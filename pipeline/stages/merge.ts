/**
 * The merge stage: records of the group's partials topic (partial windows and source watermarks, see
 * `stages/windows.ts`) flow in, one merger per partials partition and window kind
 * (`transforms/windows/merge.ts`), and on every tick whole windows flow out to their table
 * (`service_windows`, `metric_windows`), ready for scoring. Every partial of a series lands on one
 * partition (keyed by series), so the merged rows equal those of one engine over all the records.
 */
import { type WindowKind } from '../transforms/windows/tumbling.ts';
import { WindowMerger, type SourceMark, type WindowPartial } from '../transforms/windows/merge.ts';
import { type RecordContext, type Stage, type TickRows } from '../stage.ts';
import { type StatSample } from '../stats.ts';

export interface MergeKind {
  /** Short name on the partials topic (`service`, `metric`). */
  name: string;
  table: string;
  kind: WindowKind<never, unknown, unknown>;
  retentionMs: number;
}

type Message = ({ t: 'p'; k: string } & WindowPartial) | ({ t: 'w'; k: string } & SourceMark);

export class MergeStage implements Stage<Buffer | null, void> {
  readonly name = 'merge';
  private readonly kinds: Map<string, MergeKind>;
  private readonly mergers = new Map<number, Map<string, WindowMerger<unknown, unknown>>>();

  constructor(kinds: readonly MergeKind[]) {
    this.kinds = new Map(kinds.map((k) => [k.name, k]));
  }

  push(value: Buffer | null, ctx: RecordContext): undefined {
    let m: Message;
    try {
      m = JSON.parse(value?.toString() ?? '') as Message;
    } catch (err) {
      ctx.out.dead('merge', `partials record is not JSON: ${(err as Error).message}`);
      return undefined;
    }
    const merger = this.merger(ctx.partition, m?.k);
    if (!merger) {
      ctx.out.dead('merge', `partials record of an unknown window kind ${JSON.stringify(m?.k)}`);
      return undefined;
    }
    if (m.t === 'w') merger.mark(m);
    else if (m.t === 'p') merger.add(m, ctx.offset);
    else ctx.out.dead('merge', 'partials record is neither a partial nor a mark');
    return undefined;
  }

  flush(): TickRows {
    const out: TickRows = new Map();
    for (const byKind of this.mergers.values()) {
      for (const [name, merger] of byKind) {
        const rows = merger.advance() as object[];
        if (rows.length === 0) continue;
        const table = this.kinds.get(name)!.table;
        out.set(table, [...(out.get(table) ?? []), ...rows]);
      }
    }
    return out;
  }

  heldOffsets(): ReadonlyMap<number, number> {
    const out = new Map<number, number>();
    for (const [p, byKind] of this.mergers) {
      for (const m of byKind.values()) {
        const low = m.lowestHeldOffset();
        if (low !== undefined && low < (out.get(p) ?? Infinity)) out.set(p, low);
      }
    }
    return out;
  }

  revoke(partition: number): void {
    this.mergers.delete(partition);
  }

  /** Counters summed over mergers (for stats and tests). */
  totals(): { partials: number; late: number; tooLate: number; rows: number; held: number } {
    const t = { partials: 0, late: 0, tooLate: 0, rows: 0, held: 0 };
    for (const byKind of this.mergers.values()) {
      for (const m of byKind.values()) {
        t.partials += m.counters.partials;
        t.late += m.counters.late;
        t.tooLate += m.counters.tooLate;
        t.rows += m.counters.rows;
        t.held += m.heldWindows;
      }
    }
    return t;
  }

  samples(): StatSample[] {
    return [{ stage: 'windows', name: 'held_windows', value: this.totals().held, kind: 'gauge' }];
  }

  private merger(partition: number, kind: string | undefined): WindowMerger<unknown, unknown> | undefined {
    const k = kind === undefined ? undefined : this.kinds.get(kind);
    if (!k) return undefined;
    let byKind = this.mergers.get(partition);
    if (!byKind) this.mergers.set(partition, (byKind = new Map()));
    let m = byKind.get(k.name);
    if (!m) byKind.set(k.name, (m = new WindowMerger(k.kind as never, k.retentionMs)));
    return m;
  }
}
