/**
 * File source: tails every file matching the include globs, across rotation by rename, copytruncate,
 * truncation in place and deletion. A file is known by device, inode and a hash of its first bytes,
 * so a reused inode never resumes the wrong file. Lines go out in batches; a file's checkpoint moves
 * only past lines that Kafka acknowledged, in order.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CheckpointStore } from '../checkpoints.ts';
import { expandGlobs } from '../glob.ts';
import { type AgentEvent, type Source, type SourceContext } from '../source.ts';
import { withDefaults } from '../../core/defaults.ts';

export interface FileSourceOptions {
  /** Globs of files to read. */
  include: string[];
  /** Globs of files to leave alone. */
  exclude?: string[];
  /** Service name for records of these files. */
  service: string;
  host: string;
  /** Where to start in a file never seen before: `beginning` (default, nothing is missed) or `end`. */
  startAt?: 'beginning' | 'end';
  /** Folder for checkpoints. */
  stateDir: string;
  /** How often to look for new files and new data. */
  pollMs?: number;
  /** Bytes read per read call. */
  readBytes?: number;
  /** A line longer than this is split into pieces marked `tributary.split`. */
  maxLineBytes?: number;
  /** A rotated-away or deleted file is closed after it has not grown for this long. */
  rotateWaitMs?: number;
  /** Most lines in one batch. */
  maxBatchLines?: number;
}

const FINGERPRINT_BYTES = 64;

interface Pending {
  generation: number;
  end: number;
  delivered: boolean;
}

interface Tracked {
  path: string;
  fd: number;
  dev: number;
  ino: number;
  /** Hash of the first bytes and how many bytes it covers (fewer than FINGERPRINT_BYTES for a short file). */
  headHash: string;
  headLen: number;
  generation: number;
  readOffset: number;
  acked: number;
  partial: Buffer[];
  partialBytes: number;
  partialStart: number;
  pending: Pending[];
  detachedAt?: number;
  lastGrowth: number;
}

export interface FileSourceStats {
  filesOpen: number;
  linesRead: number;
  bytesRead: number;
  truncations: number;
  rotations: number;
  splitLines: number;
}

function headOf(fd: number, size: number): { hash: string; len: number } {
  const len = Math.min(size, FINGERPRINT_BYTES);
  const buf = Buffer.alloc(len);
  if (len > 0) readSync(fd, buf, 0, len, 0);
  return { hash: createHash('sha1').update(buf).digest('hex').slice(0, 16), len };
}

function fingerprintOf(t: Pick<Tracked, 'dev' | 'ino' | 'headHash' | 'headLen'>): string {
  return `${t.dev}:${t.ino}:${t.headHash}:${t.headLen}`;
}

export class FileSource implements Source {
  readonly name: string;
  readonly stats: FileSourceStats = { filesOpen: 0, linesRead: 0, bytesRead: 0, truncations: 0, rotations: 0, splitLines: 0 };
  private readonly options: Required<Omit<FileSourceOptions, 'exclude'>> & { exclude: string[] };
  private readonly files = new Map<string, Tracked>(); // by dev:ino
  private readonly checkpoints: CheckpointStore;
  private ctx!: SourceContext;
  private timer?: NodeJS.Timeout;
  private running = false;
  private polling?: Promise<void>;
  private firstScan = true;
  private lastFlush = 0;

  constructor(name: string, options: FileSourceOptions) {
    this.name = name;
    this.options = withDefaults(
      {
        exclude: [] as string[],
        startAt: 'beginning' as const,
        pollMs: 250,
        readBytes: 256 * 1024,
        maxLineBytes: 1024 * 1024,
        rotateWaitMs: 5000,
        maxBatchLines: 2000,
      },
      options,
    ) as FileSource['options'];
    this.checkpoints = new CheckpointStore(join(this.options.stateDir, `checkpoints-${name}.json`));
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.running = true;
    const loop = async () => {
      if (!this.running) return;
      this.polling = this.poll().catch((err: unknown) => ctx.log.warn({ err, source: this.name }, 'A file poll failed; trying again.'));
      await this.polling;
      if (this.running) this.timer = setTimeout(loop, this.options.pollMs);
    };
    await loop();
  }

  async pause(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  async stop(): Promise<void> {
    await this.pause();
    this.saveCheckpoints(true);
    for (const t of this.files.values()) closeSync(t.fd);
    this.files.clear();
    this.stats.filesOpen = 0;
  }

  /** One round: find files, notice rotation and truncation, read what is new. */
  private async poll(): Promise<void> {
    const now = Date.now();
    const paths = expandGlobs(this.options.include, this.options.exclude);
    const atPath = new Map<string, string>();
    for (const path of paths) {
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      atPath.set(key, path);
      if (!this.files.has(key)) this.open(path, now);
    }
    this.firstScan = false;
    for (const [key, t] of this.files) {
      const path = atPath.get(key);
      if (path) {
        if (t.detachedAt !== undefined || t.path !== path) t.path = path;
        t.detachedAt = undefined;
      } else if (t.detachedAt === undefined) {
        t.detachedAt = now;
        this.stats.rotations++;
      }
      await this.readAvailable(t, now);
      if (t.detachedAt !== undefined && now - t.lastGrowth > this.options.rotateWaitMs && t.pending.every((p) => p.delivered)) {
        this.close(key, t);
      }
    }
    this.saveCheckpoints(false);
  }

  private open(path: string, now: number): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    const st = fstatSync(fd);
    const head = headOf(fd, st.size);
    const t: Tracked = {
      path, fd, dev: st.dev, ino: st.ino, headHash: head.hash, headLen: head.len, generation: 0,
      readOffset: 0, acked: 0, partial: [], partialBytes: 0, partialStart: 0, pending: [], lastGrowth: now,
    };
    const resumed = this.findCheckpoint(t);
    if (resumed !== undefined) {
      t.readOffset = t.acked = t.partialStart = Math.min(resumed, st.size);
    } else if (this.firstScan && this.options.startAt === 'end') {
      t.readOffset = t.acked = t.partialStart = st.size;
    }
    this.files.set(`${st.dev}:${st.ino}`, t);
    this.stats.filesOpen = this.files.size;
    this.ctx.log.debug({ path, offset: t.readOffset, resumed: resumed !== undefined }, 'Opened a file.');
  }

  /** A checkpoint matches when device and inode match and the file still starts with the same bytes. */
  private findCheckpoint(t: Tracked): number | undefined {
    for (const c of this.checkpoints.all()) {
      const [dev, ino, hash, lenText] = c.fingerprint.split(':');
      if (Number(dev) !== t.dev || Number(ino) !== t.ino) continue;
      const len = Number(lenText);
      const head = len === t.headLen ? { hash: t.headHash } : headOf(t.fd, len);
      if (head.hash === hash && t.headLen >= len) {
        this.checkpoints.delete(c.fingerprint);
        return c.offset;
      }
    }
    return undefined;
  }

  private close(key: string, t: Tracked): void {
    this.saveOne(t);
    closeSync(t.fd);
    this.files.delete(key);
    this.stats.filesOpen = this.files.size;
  }

  private async readAvailable(t: Tracked, now: number): Promise<void> {
    const size = fstatSync(t.fd).size;
    if (size < t.readOffset) {
      // Truncated in place (or copytruncate): what follows is new data from offset 0.
      this.stats.truncations++;
      this.ctx.log.info({ path: t.path, was: t.readOffset, now: size }, 'A file was truncated; reading it again from the start.');
      this.checkpoints.delete(fingerprintOf(t));
      t.generation++;
      t.readOffset = t.acked = t.partialStart = 0;
      t.partial = [];
      t.partialBytes = 0;
      t.pending = [];
    }
    if (t.headLen < FINGERPRINT_BYTES && size > t.headLen) {
      const oldFp = fingerprintOf(t);
      const head = headOf(t.fd, size);
      t.headHash = head.hash;
      t.headLen = head.len;
      this.checkpoints.delete(oldFp);
    }
    const buf = Buffer.allocUnsafe(this.options.readBytes);
    while (this.running && t.readOffset < size) {
      const n = readSync(t.fd, buf, 0, Math.min(buf.length, size - t.readOffset), t.readOffset);
      if (n <= 0) break;
      t.lastGrowth = now;
      this.stats.bytesRead += n;
      const chunkStart = t.readOffset;
      t.readOffset += n;
      await this.splitAndEmit(t, buf.subarray(0, n), chunkStart);
    }
  }

  private async splitAndEmit(t: Tracked, chunk: Buffer, chunkStart: number): Promise<void> {
    const events: AgentEvent[] = [];
    let batchEnd = t.partialStart;
    const observedMs = Date.now();
    const flush = async () => {
      if (events.length === 0) return;
      const entry: Pending = { generation: t.generation, end: batchEnd, delivered: false };
      t.pending.push(entry);
      const batch = events.splice(0);
      await this.ctx.emit({ events: batch, onDelivered: () => this.delivered(t, entry) });
    };
    const pushLine = (bytes: Buffer, start: number, end: number, split: boolean) => {
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      const record = this.ctx.toRecord({
        text,
        origin: { kind: 'file', path: t.path, fingerprint: fingerprintOf(t), offset: start },
        service: this.options.service,
        host: this.options.host,
        observedMs,
        attributes: split ? { 'tributary.split': 'true' } : undefined,
      });
      events.push({ type: 'log', record });
      this.stats.linesRead++;
      batchEnd = end;
    };
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        t.partial.push(chunk.subarray(pos));
        t.partial = [Buffer.concat(t.partial)]; // copy: the read buffer is reused
        t.partialBytes += chunk.length - pos;
        if (t.partialBytes > this.options.maxLineBytes) {
          const piece = t.partial[0]!;
          const end = t.partialStart + piece.length;
          this.stats.splitLines++;
          pushLine(piece, t.partialStart, end, true);
          t.partialStart = end;
          t.partial = [];
          t.partialBytes = 0;
        }
        break;
      }
      const lineStart = t.partialStart;
      const tailPart = chunk.subarray(pos, nl);
      const line = t.partial.length ? Buffer.concat([...t.partial, tailPart]) : tailPart;
      t.partial = [];
      t.partialBytes = 0;
      const end = chunkStart + nl + 1;
      t.partialStart = end;
      if (line.length > this.options.maxLineBytes) {
        this.stats.splitLines++;
        for (let off = 0; off < line.length; off += this.options.maxLineBytes) {
          const piece = line.subarray(off, off + this.options.maxLineBytes);
          pushLine(piece, lineStart + off, off + this.options.maxLineBytes >= line.length ? end : lineStart + off + piece.length, true);
        }
      } else {
        pushLine(line, lineStart, end, false);
      }
      pos = nl + 1;
      if (events.length >= this.options.maxBatchLines) await flush();
    }
    await flush();
  }

  /** Moves the acknowledged offset over every delivered batch at the front of the queue, in order. */
  private delivered(t: Tracked, entry: Pending): void {
    entry.delivered = true;
    if (entry.generation !== t.generation) return;
    while (t.pending.length > 0 && t.pending[0]!.delivered) {
      const done = t.pending.shift()!;
      if (done.generation === t.generation) t.acked = done.end;
    }
    this.saveOne(t);
  }

  private saveOne(t: Tracked): void {
    this.checkpoints.set(fingerprintOf(t), t.path, t.acked);
  }

  private saveCheckpoints(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastFlush < 1000) return;
    this.lastFlush = now;
    const live = new Set<string>();
    for (const t of this.files.values()) {
      this.saveOne(t);
      live.add(fingerprintOf(t));
    }
    this.checkpoints.expire(live, now);
    this.checkpoints.flush();
  }
}
