/**
 * The decode stage: Kafka record bytes in, a checked record out (`transforms/decode.ts`), or the
 * record goes to the dead-letter topic with the reason. Every stream's chain starts with one.
 */
import { type Decoded } from '../transforms/decode.ts';
import { type RecordContext, type Stage } from '../stage.ts';

export class DecodeStage<T> implements Stage<Buffer | null, T> {
  readonly name = 'decode';
  /** Records decoded (not replayed), and records sent to the dead-letter topic. */
  readonly counts = { ok: 0, dead: 0 };

  constructor(private readonly decode: (value: Buffer | null, now: number, contentType?: string) => Decoded<T>) {}

  push(value: Buffer | null, ctx: RecordContext): T | undefined {
    const d = this.decode(value, ctx.now, ctx.contentType);
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
