/**
 * Large buffers kept for reuse. A fresh buffer of hundreds of KB is memory the kernel maps and the
 * process first touches page by page, then unmaps; on this kind of VM that costs about as much as
 * the work done in the buffer (a page fault per 4 KB). A pool keeps a few and hands out the smallest
 * that fits. Used where a buffer's life is known to end: a record thread's values buffers (handed back
 * once acknowledged, agents/record-pool.ts) and the producer's uncompressed records sections (free
 * once compressed, core/kafka/producer.ts).
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** Keeps at most `keep` buffers, none under `minBytes` (small ones are not worth keeping). */
  constructor(
    readonly keep: number,
    readonly minBytes: number,
  ) {}

  add(buffers: readonly ArrayBuffer[] | undefined): void {
    for (const b of buffers ?? []) if (this.free.length < this.keep && b.byteLength >= this.minBytes) this.free.push(b);
  }

  get kept(): number {
    return this.free.length;
  }

  /**
   * The smallest kept buffer of at least `bytes`; else a new one with an eighth to spare (rounded to
   * 64 KiB), so that it fits the next ones too, and the smallest kept one is let go (kept buffers too
   * small for today's sizes would otherwise stay for good).
   */
  readonly take = (bytes: number): ArrayBuffer => {
    let best = -1;
    let smallest = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i]!.byteLength;
      if (len >= bytes && (best < 0 || len < this.free[best]!.byteLength)) best = i;
      if (smallest < 0 || len < this.free[smallest]!.byteLength) smallest = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0]!;
    if (smallest >= 0) this.free.splice(smallest, 1);
    return new ArrayBuffer(bytes < this.minBytes ? bytes : Math.ceil((bytes + bytes / 8) / 65536) * 65536);
  };
}
