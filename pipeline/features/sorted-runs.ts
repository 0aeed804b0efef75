/**
 * An external sort of a backfill's events into (event time, partition, offset) order, for history read
 * from Kafka, whose partitions arrive interleaved and whose events within one partition need not be in
 * event-time order. Up to `runEvents` events are held in memory; when that many have come, they are
 * sorted and written to a temporary file (a run, one JSON array per line), and at the end the runs are
 * merged through a heap, a chunk at a time. Memory stays at about one run plus a 256 KB read buffer per
 * run (50 runs for 10 million events), however long the range; a range that fits in one run never
 * touches the disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { BackfillInput } from './backfill.ts';

/** Events held before a run is written: about 60 MB of decoded events of six fields (300 bytes each). */
export const RUN_EVENTS = 200_000;

/** The backfill's order: event time, then partition, then offset. */
export function compareInputs(a: BackfillInput, b: BackfillInput): number {
  return a.time - b.time || a.partition - b.partition || a.offset - b.offset;
}

// On disk, an event is [time, partition, offset, fields]: the event's own time is its input's.
type Stored = [number, number, number, BackfillInput['event']['fields']];

export class SortedRuns {
  private held: BackfillInput[] = [];
  private readonly files: string[] = [];
  private dir: string | undefined;
  /** Events added so far. */
  count = 0;

  /** `blockBytes`: how much of a run file is read at a time in the merge. */
  constructor(
    private readonly runEvents = RUN_EVENTS,
    private readonly blockBytes = 256 * 1024,
  ) {
    if (!(runEvents >= 1)) throw new Error(`runEvents must be at least 1, got ${runEvents}`);
  }

  /** How many runs went to disk. */
  get spilled(): number {
    return this.files.length;
  }

  /** The temporary folder of the runs (undefined until the first run is written, and after `close`). */
  get folder(): string | undefined {
    return this.dir;
  }

  async add(e: BackfillInput): Promise<void> {
    this.held.push(e);
    this.count++;
    if (this.held.length >= this.runEvents) await this.spill();
  }

  private async spill(): Promise<void> {
    const run = this.held.sort(compareInputs);
    this.held = [];
    this.dir ??= mkdtempSync(join(tmpdir(), 'tributary-backfill-'));
    const file = join(this.dir, `run-${this.files.length}.jsonl`);
    const fh = await open(file, 'w');
    try {
      for (let i = 0; i < run.length; i += 10_000) {
        let text = '';
        for (const e of run.slice(i, i + 10_000)) text += JSON.stringify([e.time, e.partition, e.offset, e.event.fields] satisfies Stored) + '\n';
        await fh.write(text);
      }
    } finally {
      await fh.close();
    }
    this.files.push(file);
  }

  /** Every event added, in order, `chunk` at a time. Call once, after the last `add`. */
  async *sorted(chunk = 10_000): AsyncGenerator<BackfillInput[]> {
    this.held.sort(compareInputs);
    if (this.files.length === 0) {
      for (let i = 0; i < this.held.length; i += chunk) yield this.held.slice(i, i + chunk);
      this.held = [];
      return;
    }
    const readers = this.files.map((f) => new RunReader(f, this.blockBytes));
    try {
      // The run still in memory takes part in the merge like the others.
      const sources: Array<{ next(): Promise<BackfillInput | undefined> }> = [...readers];
      if (this.held.length > 0) {
        const rest = this.held;
        let i = 0;
        sources.push({ next: async () => rest[i++] });
      }
      const heap = new MinHeap();
      for (let s = 0; s < sources.length; s++) {
        const e = await sources[s]!.next();
        if (e) heap.push(e, s);
      }
      let out: BackfillInput[] = [];
      while (heap.size > 0) {
        const { e, s } = heap.pop();
        out.push(e);
        if (out.length >= chunk) {
          yield out;
          out = [];
        }
        const next = await sources[s]!.next();
        if (next) heap.push(next, s);
      }
      if (out.length > 0) yield out;
    } finally {
      await Promise.all(readers.map((r) => r.close()));
      this.held = [];
    }
  }

  /** Removes the runs' files (also when the backfill failed). */
  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** A run's events read back in order, a block of the file at a time. */
class RunReader {
  private fh: Promise<FileHandle>;
  private lines: string[] = [];
  private at = 0;
  private tail = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf: Buffer;

  constructor(
    private readonly file: string,
    blockBytes: number,
  ) {
    this.buf = Buffer.alloc(blockBytes);
    this.fh = open(file, 'r');
  }

  async next(): Promise<BackfillInput | undefined> {
    while (this.at >= this.lines.length) {
      if (this.ended) return undefined;
      await this.fill();
    }
    const [time, partition, offset, fields] = JSON.parse(this.lines[this.at++]!) as Stored;
    return { time, partition, offset, event: { time, fields } };
  }

  private async fill(): Promise<void> {
    const { bytesRead } = await (await this.fh).read(this.buf, 0, this.buf.length, null);
    if (bytesRead === 0) {
      this.ended = true;
      if (this.tail !== '') throw new Error(`${this.file}: a run ends inside a line`);
      this.lines = [];
      this.at = 0;
      return;
    }
    // A block may end inside a character (the decoder keeps its first bytes) or a line (kept as the tail).
    const text = this.tail + this.decoder.write(this.buf.subarray(0, bytesRead));
    const cut = text.lastIndexOf('\n');
    this.lines = cut === -1 ? [] : text.slice(0, cut).split('\n');
    this.tail = text.slice(cut + 1);
    this.at = 0;
  }

  async close(): Promise<void> {
    await (await this.fh).close();
  }
}

/** A binary heap of events by `compareInputs`, each with the index of the source it came from. */
class MinHeap {
  private readonly items: Array<{ e: BackfillInput; s: number }> = [];

  get size(): number {
    return this.items.length;
  }

  push(e: BackfillInput, s: number): void {
    const a = this.items;
    a.push({ e, s });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): { e: BackfillInput; s: number } {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }

  // Ties (the same event twice) go to the lower source, so the merge is stable.
  private less(x: { e: BackfillInput; s: number }, y: { e: BackfillInput; s: number }): boolean {
    const c = compareInputs(x.e, y.e);
    return c < 0 || (c === 0 && x.s < y.s);
  }
}
