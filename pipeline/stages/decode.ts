/**
 * The decode stage: Kafka record bytes in, a checked record out (`transforms/decode.ts`), or the
 * record goes to the dead-letter topic with the reason. Every stream's chain starts with one.
 */
import { type Decoded, type DecodedSeveral } from '../transforms/decode.ts';
import { Several, type RecordContext, type Stage } from '../stage.ts';

export class DecodeStage<T> implements Stage<Buffer | null, T | Several<T>> {
  readonly name = 'decode';
  /** Records decoded (not replayed), and records sent to the dead-letter topic. */
  readonly counts = { ok: 0, dead: 0 };

  /** What decoding needs fetched before a batch (an event source's schemas), when anything. */
  readonly prepare?: (values: ReadonlyArray<Buffer | null>) => Promise<void>;

  constructor(
    private readonly decode: (value: Buffer | null, now: number, contentType?: string, timestamp?: number) => Decoded<T> | DecodedSeveral<T>,
    prepare?: (values: ReadonlyArray<Buffer | null>) => Promise<void>,
  ) {
    if (prepare) this.prepare = prepare;
  }

  push(value: Buffer | null, ctx: RecordContext): T | Several<T> | undefined {
    const d = this.decode(value, ctx.now, ctx.contentType, ctx.timestamp);
    if ('several' in d) {
      // One Kafka record holding several: the readable ones go on, each unreadable one is dead-lettered
      // (with the whole value and the reason, which names its place).
      if (!ctx.replay) {
        this.counts.ok += d.several.length;
        this.counts.dead += d.refused.length;
        for (const r of d.refused) ctx.out.dead(r.stage, r.reason);
      }
      return d.several.length === 0 ? undefined : d.several.length === 1 ? d.several[0] : new Several(d.several);
    }
    if (d.ok) {
      if (!ctx.replay) this.counts.ok++;
      return d.value;
    }
    if (!ctx.replay) {
      this.counts.dead++;
      ctx.out.dead(d.stage, d.reason);
    }
    return undefined;
  }
}
