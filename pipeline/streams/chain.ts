/**
 * A stream: one topic's records through a chain of stages (`../stage.ts`), each stage's output the
 * next one's input. The worker drives every stream the same way; what differs between logs, metrics
 * and a user's own events is only the list of stages.
 */
import { Several, type RecordContext, type Stage, type Stream } from '../stage.ts';

export class Chain implements Stream {
  constructor(
    readonly topic: string,
    readonly stages: ReadonlyArray<Stage<unknown, unknown>>,
    readonly raw?: { table: string; hasTopicColumn: boolean },
  ) {
    if (stages.length === 0) throw new Error(`the stream of ${topic} has no stages`);
  }

  push(value: Buffer | null, ctx: RecordContext): void {
    this.from(0, value, ctx);
  }

  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    for (const s of this.stages) await s.prepare?.(values);
  }

  /** Whether any stage prepares batches (else the worker skips the call). */
  get prepares(): boolean {
    return this.stages.some((s) => s.prepare !== undefined);
  }

  private from(first: number, value: unknown, ctx: RecordContext): void {
    let x = value;
    for (let i = first; i < this.stages.length; i++) {
      x = this.stages[i]!.push(x, ctx);
      if (x === undefined) return;
      if (x instanceof Several) {
        for (const item of x.items) this.from(i + 1, item, ctx);
        return;
      }
    }
  }
}

/** A chain typed end to end: each stage takes what the one before gives. */
export function chain<A, B>(s1: Stage<Buffer | null, A>, s2: Stage<A, B>): Stage<unknown, unknown>[];
export function chain<A, B, C>(s1: Stage<Buffer | null, A>, s2: Stage<A, B>, s3: Stage<B, C>): Stage<unknown, unknown>[];
export function chain<A, B, C, D>(s1: Stage<Buffer | null, A>, s2: Stage<A, B>, s3: Stage<B, C>, s4: Stage<C, D>): Stage<unknown, unknown>[];
export function chain<A, B, C, D, E>(s1: Stage<Buffer | null, A>, s2: Stage<A, B>, s3: Stage<B, C>, s4: Stage<C, D>, s5: Stage<D, E>): Stage<unknown, unknown>[];
export function chain(...stages: Stage<never, unknown>[]): Stage<unknown, unknown>[] {
  return stages as unknown as Stage<unknown, unknown>[];
}
