/**
 * File source: tails every file matching the include globs, across rotation by rename, copytruncate,
 * truncation in place and deletion. A file is known by device, inode and a hash of its first bytes,
 * so a reused inode never resumes the wrong file. Lines go out in batches; a file's checkpoint moves
 * only past lines that Kafka acknowledged, in order.
 */
import { nextHeader } from '../transforms/parsers/w3c.ts';
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { CheckpointStore } from '../checkpoints.ts';
import { expandGlobs, FolderCache } from '../glob.ts';
import { watchUntilChanged } from './file-watch.ts';
import type { AgentEvent, EventBatch, RawLine, Source, SourceContext } from '../source.ts';
import { batchTexts, joinLines, type EncodedLogs, type LineBatch } from '../line-batch.ts';
import { INLINE_MAX_LINES, type RecordPool } from '../record-pool.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import { withDefaults } from '../../core/defaults.ts';
import { LineSplitter, type Encoding } from '../transforms/line-splitter.ts';
import { MultilineAssembler, type MultilineOptions } from '../transforms/multiline.ts';
import { containerFromPath } from './container-path.ts';
import { bool, checkLineSource, int, lineSourceCommon, multilineOptions, str, type LineSourceCommon } from '../config-schema.ts';
import { defineSource } from './definition.ts';

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
  /** How often to look for new data in open files (and for new files, at most every `discoverMs`). */
  pollMs?: number;
  /**
   * How often, at most, the globs are expanded again to find new files; 0: at every poll. Files already
   * open are read every `pollMs` whatever this is. Expanding a glob over hundreds of files (a folder
   * walk and a stat per file) is most of a poll's cost. Rotation does not wait for it: at every poll
   * the paths of the files being written (new bytes in one of the last two polls) and the paths a file
   * just left are looked up, and a rename or deletion there expands the globs at once.
   */
  discoverMs?: number;
  /**
   * How often a file that has not grown for RESTING_AFTER_MS is looked at (at least every `pollMs`;
   * 0: every poll). With hundreds of files mostly at rest (a node's container logs), looking at each
   * one every poll (an fstat and the bookkeeping around it) is most of what an idle agent does. A
   * resting file's next lines, or its truncation, are then seen within this interval instead of a
   * poll; files being written, rotated away or holding a multiline record are looked at every poll.
   */
  idlePollMs?: number;
  /**
   * Ask the kernel to report changes to files at rest (inotify, `fs.watch`; default true): a resting
   * file written again is then read at the next poll, and looked at otherwise only every
   * `watchedPollMs`. A file whose watch could not be set keeps `idlePollMs`.
   */
  watch?: boolean;
  /**
   * How often a watched file at rest is looked at anyway (default 10 s), for changes the kernel does not
   * report: writes through a memory map, a network file system's writes from another host.
   */
  watchedPollMs?: number;
  /** How long a file must not have grown to be at rest (RESTING_AFTER_MS; tests shorten it). */
  restingAfterMs?: number;
  /** Bytes read per read call. */
  readBytes?: number;
  /** A line longer than this (bytes) is split into parts (`tributary.line.part`) or truncated; counted. */
  maxLineBytes?: number;
  /** What to do with a line longer than maxLineBytes. */
  onLongLine?: 'split' | 'truncate';
  /** `auto` (BOM, else UTF-8), `utf8`, `utf16le` or `utf16be`; invalid bytes become U+FFFD. */
  encoding?: Encoding;
  /** Checkpoints of files gone for this long are forgotten. */
  checkpointExpireMs?: number;
  /** Assemble multiline records (stack traces); off when false (the default here; the config turns it on). */
  multiline?: Partial<MultilineOptions> | false;
  /** Attributes added to every record of this source. */
  attributes?: Record<string, string>;
  /**
   * Record threads that build and encode this source's lines off the main thread, and the id of this
   * source's builder in them (its parser and time zone; the same options as `toRecord`). A pool of no
   * threads builds and encodes every batch on the main thread (`RecordPool.encodeHere`). Unset: each
   * line's record is built on the main thread and encoded by the sink.
   */
  threads?: { pool: RecordPool; builder: number };
  /** This source's own record builder (its parser and time zone); the agent's when unset. */
  toRecord?: (line: RawLine) => LogRecord;
  /** A rotated-away or deleted file is closed after it has not grown for this long. */
  rotateWaitMs?: number;
  /** Most lines in one batch. */
  maxBatchLines?: number;
  /**
   * Read a container log's metadata from its path (Kubernetes': `k8s.namespace.name`, `k8s.pod.name`,
   * `k8s.container.name`, ...; Docker's: `container.id`; container-path.ts) into its records' attributes.
   * Default true.
   */
  containerPath?: boolean;
  /** With `containerPath`: a container's records take its name as their service (the source named none). */
  serviceFromContainer?: boolean;
}

const FINGERPRINT_BYTES = 64;
/** A file that has not grown for this long is looked at every `idlePollMs` instead of every poll. */
export const RESTING_AFTER_MS = 5000;

/** A line, or a multiline record, with the byte range it came from. */
interface Piece {
  text: string;
  start: number;
  end: number;
  attributes?: Record<string, string>;
}

/** Most characters in one batch's joined text: far under V8's longest string (2^29 - 24 characters). */
const MAX_BATCH_CHARS = 64 * 1024 * 1024;

/** A batch's lines back as pieces (a batch the threads failed, built on the main thread). */
function piecesOf(b: LineBatch): Piece[] {
  const own = b.lineAttributes ? new Map(b.lineAttributes) : undefined;
  const texts = batchTexts(b);
  return texts.map((text, i) => {
    const p: Piece = { text, start: b.starts[i]!, end: 0 };
    const attributes = own?.get(i);
    if (attributes) p.attributes = attributes;
    return p;
  });
}

/**
 * The file's bytes around what a read just gave: the chunk, after the bytes kept from the reads before
 * (`Tracked.tail`), from file offset `start`. A batch of lines inside it goes to a record thread as
 * these bytes (`LineBatch.bytes`) instead of its lines' texts joined.
 */
interface ByteWindow {
  start: number;
  kept: Buffer | undefined;
  chunk: Buffer;
}

/** Most bytes kept from one read for the next (`Tracked.tail`): a held line or multiline record larger than this goes as text. */
const MAX_TAIL_BYTES = 64 * 1024;
const NO_ENDS = new Uint32Array(0);

/** A copy of the window's bytes [from, to) (file offsets), in memory of its own. */
function windowBytes(w: ByteWindow, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  const kept = w.kept?.length ?? 0;
  const a = from - w.start;
  const b = to - w.start;
  if (a < kept) out.set(w.kept!.subarray(a, Math.min(b, kept)));
  if (b > kept) out.set(w.chunk.subarray(Math.max(a, kept) - kept, b - kept), Math.max(0, kept - a));
  return out;
}

/** Acknowledged bytes that make the checkpoints be written before their second is up (about 1,000 lines of 250 bytes). */
const CHECKPOINT_EARLY_BYTES = 256 * 1024;
const CHECKPOINT_MIN_INTERVAL_MS = 100;

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
  /** The file's first bytes (fewer than FINGERPRINT_BYTES for a short file) and their hash. */
  head: Head;
  generation: number;
  readOffset: number;
  acked: number;
  splitter: LineSplitter;
  assembler?: MultilineAssembler;
  lastSize: number;
  lastMtime: number;
  pending: Pending[];
  detachedAt?: number;
  lastGrowth: number;
  /** The poll (`FileSource.polls`) that last read new bytes from this file. */
  grewInPoll: number;
  /** When a poll last looked at this file (`readAvailable`). */
  lastLook: number;
  /** The kernel's watch on this file while it rests (`watchUntilChanged`), closed at its first event. */
  watcher?: { close(): void };
  /** Setting a watch failed during this rest: not tried again until the file grows. */
  watchFailed?: boolean;
  /** A copy of the bytes from file offset `start` to where reading stopped that no batch took yet (a held line, a pending multiline record). */
  tail?: { start: number; bytes: Buffer };
  /** The W3C or Zeek directives in force after the lines handed over so far ('' for none; parsers/w3c.ts). */
  header: string;
}

export interface FileSourceStats {
  filesOpen: number;
  /** Open files the last poll passed by, at rest (`idlePollMs`). */
  filesResting: number;
  /** Open files at rest whose changes the kernel reports (`watch`). */
  filesWatched: number;
  /** Watches on resting files that could not be set (those files are looked at every `idlePollMs`). */
  watchFailures: number;
  linesRead: number;
  bytesRead: number;
  truncations: number;
  rotations: number;
  /** Lines longer than maxLineBytes (split or truncated). */
  longLines: number;
  /** Lines that held invalid bytes (replaced by U+FFFD). */
  replacedLines: number;
  /** Files whose checkpoint was found and resumed. */
  resumed: number;
  /** Checkpoint writes that failed (each retried at the next write; said at most once a minute). */
  checkpointWriteFailures: number;
}

interface Head {
  bytes: Buffer;
  hash: string;
  /** The fingerprint of the file this head was read from, made once (`fingerprintOf`): asked for every open file every second. */
  fingerprint?: string;
}

function headOf(fd: number, size: number): Head {
  const bytes = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
  if (bytes.length > 0) readSync(fd, bytes, 0, bytes.length, 0);
  return { bytes, hash: createHash('sha1').update(bytes).digest('hex').slice(0, 16) };
}

const headScratch = Buffer.alloc(FINGERPRINT_BYTES);

/**
 * Whether the file still starts with `head`, byte for byte. Asked at every poll that finds a file
 * grown, so no hash is made for it (a hash per poll was 4 % of a settled agent's main thread at 100
 * lines/s).
 */
function startsWith(fd: number, head: Buffer): boolean {
  const n = readSync(fd, headScratch, 0, head.length, 0);
  return n === head.length && headScratch.compare(head, 0, head.length, 0, n) === 0;
}

/** Longest directive line looked at (a W3C `#Fields:` line of every IIS column is under 1 KiB). */
const MAX_DIRECTIVE_BYTES = 64 * 1024;

/**
 * The W3C or Zeek directives in force at byte `offset` of a file ('' for none), for a file opened there
 * (a checkpoint, `start_at: end`): its lines before `offset` that start with `#`, read in 1 MiB steps.
 * Only a file that starts with `#` is read: every W3C and Zeek log opens with its directives.
 */
export function headerBefore(fd: number, offset: number): string {
  const first = Buffer.alloc(1);
  if (readSync(fd, first, 0, 1, 0) !== 1 || first[0] !== 35 /* # */) return '';
  let header = '';
  const chunk = Buffer.alloc(1024 * 1024);
  // `at` is where the bytes in `chunk` start; a directive line is read from the start of its line.
  let at = 0;
  // Whether `at` starts a line (else the bytes up to the next line feed are the end of one).
  let lineAt = true;
  while (at < offset) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, offset - at), at);
    if (n <= 0) break;
    const bytes = chunk.subarray(0, n);
    let lineStart = 0;
    let next = at;
    if (!lineAt) {
      const nl = bytes.indexOf(10);
      if (nl === -1 || nl + 1 >= n) {
        lineAt = nl !== -1;
        at += n;
        continue;
      }
      lineStart = nl + 1;
    }
    lineAt = true;
    for (;;) {
      if (bytes[lineStart] === 35) {
        const nl = bytes.indexOf(10, lineStart);
        if (nl === -1) {
          // A directive cut by the chunk's end: read again from its start (a longer one is no directive of ours).
          if (lineStart > 0 && n - lineStart < MAX_DIRECTIVE_BYTES) next = at + lineStart;
          else {
            next = at + n;
            lineAt = false;
          }
          break;
        }
        const line = bytes.toString('utf8', lineStart, nl > lineStart && bytes[nl - 1] === 13 ? nl - 1 : nl);
        header = nextHeader(header, line) ?? header;
        lineStart = nl + 1;
      } else {
        const nl = bytes.indexOf('\n#', lineStart);
        if (nl === -1) {
          next = at + n;
          lineAt = bytes[n - 1] === 10;
          break;
        }
        lineStart = nl + 1;
      }
      if (lineStart >= n) {
        next = at + n;
        break;
      }
    }
    if (next <= at) break;
    at = next;
  }
  return header;
}

function fingerprintOf(t: Pick<Tracked, 'dev' | 'ino' | 'head'>): string {
  return (t.head.fingerprint ??= `${t.dev}:${t.ino}:${t.head.hash}:${t.head.bytes.length}`);
}

export class FileSource implements Source {
  readonly name: string;
  private readonly counts = { filesOpen: 0, linesRead: 0, bytesRead: 0, truncations: 0, rotations: 0, resumed: 0 };
  /** Long and replaced lines of splitters already gone (closed files, truncations). */
  private readonly retired = { longLines: 0, replacedLines: 0 };
  private readonly readBuffer: Buffer;
  private readonly hasAttributes: boolean;
  private readonly options: Required<Omit<FileSourceOptions, 'exclude' | 'toRecord'>> & Pick<FileSourceOptions, 'toRecord'> & { exclude: string[] };
  private readonly files = new Map<string, Tracked>(); // by dev:ino
  private readonly checkpoints: CheckpointStore;
  private ctx!: SourceContext;
  private timer?: NodeJS.Timeout;
  private running = false;
  private polling?: Promise<void>;
  private firstScan = true;
  private lastFlush = 0;
  /** Where each file (by dev:ino) was found by the last expansion of the globs, and when that was. */
  private atPath = new Map<string, string>();
  private lastDiscovery = 0;
  /** The globs' folders as last read: one that has not changed since is not read again (`FolderCache`). */
  readonly folders = new FolderCache();
  /** Polls so far, so that a file's growth can be dated in polls. */
  private polls = 0;
  /**
   * Paths an open file was last found at and has left (renamed or deleted), and when: a replacement
   * created there a little later is looked for at every poll, for `rotateWaitMs`, instead of waiting
   * for the next expansion of the globs.
   */
  private readonly vacated = new Map<string, number>();
  /** Bytes acknowledged since the checkpoints were last written. */
  private ackedSinceFlush = 0;
  /** Files the last poll passed by at rest (`stats().filesResting`). */
  private restingInPoll = 0;
  /** Watches that could not be set, and when a failure was last said (once a minute at most). */
  private watchFailures = 0;
  private watchFailureSaid = -Infinity;

  constructor(name: string, options: FileSourceOptions) {
    this.name = name;
    this.options = withDefaults(
      {
        exclude: [] as string[],
        startAt: 'beginning' as const,
        pollMs: 250,
        discoverMs: 1000,
        idlePollMs: 1000,
        watch: true,
        watchedPollMs: 10_000,
        restingAfterMs: RESTING_AFTER_MS,
        readBytes: 256 * 1024,
        maxLineBytes: 256 * 1024,
        onLongLine: 'split' as const,
        encoding: 'auto' as Encoding,
        checkpointExpireMs: 7 * 24 * 3600 * 1000,
        multiline: false as const,
        attributes: {} as Record<string, string>,
        rotateWaitMs: 5000,
        maxBatchLines: 2000,
        containerPath: true,
        serviceFromContainer: false,
      },
      options,
    ) as FileSource['options'];
    this.checkpoints = new CheckpointStore(join(this.options.stateDir, `checkpoints-${name}.json`), this.options.checkpointExpireMs);
    this.readBuffer = Buffer.allocUnsafe(this.options.readBytes);
    this.hasAttributes = Object.keys(this.options.attributes).length > 0;
  }

  get stats(): FileSourceStats {
    let longLines = this.retired.longLines;
    let replacedLines = this.retired.replacedLines;
    let filesWatched = 0;
    for (const t of this.files.values()) {
      longLines += t.splitter.stats.longLines;
      replacedLines += t.splitter.stats.linesWithReplacement;
      if (t.watcher) filesWatched++;
    }
    return {
      ...this.counts, filesOpen: this.files.size, filesResting: this.restingInPoll, filesWatched, watchFailures: this.watchFailures,
      longLines, replacedLines, checkpointWriteFailures: this.checkpoints.stats.failures,
    };
  }

  private retire(s: LineSplitter): void {
    this.retired.longLines += s.stats.longLines;
    this.retired.replacedLines += s.stats.linesWithReplacement;
  }

  /**
   * Resolves once the files present at start are found and opened (what `start_at` applies to); their
   * reading goes on in the background. Waiting for that reading too would hold the agent's start, and
   * its other sources, for as long as a backlog takes to ship.
   */
  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.running = true;
    const scanned = new Promise<void>((resolve) => (this.scanned = resolve));
    const loop = async () => {
      if (!this.running) return;
      this.polling = this.poll().catch((err: unknown) => ctx.log.warn({ err, source: this.name }, 'A file poll failed; trying again.'));
      await this.polling;
      this.scanned?.();
      if (this.running) this.timer = setTimeout(loop, this.options.pollMs);
    };
    void loop();
    await scanned;
  }

  /** Called when the first scan has opened the files present at start (or the first poll failed). */
  private scanned?: () => void;

  async pause(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    // Batches still on record threads reach the sink before the agent flushes it.
    this.unemitted.length = 0;
    await this.emitted.catch((err: Error) => this.ctx.log.error({ reason: err.message }, 'A batch could not be handed to the sink.'));
  }

  async stop(): Promise<void> {
    await this.pause();
    await this.saveCheckpoints(true);
    for (const t of this.files.values()) {
      this.unwatch(t);
      closeSync(t.fd);
      this.retire(t.splitter);
    }
    this.files.clear();
  }

  /** One round: find files, notice rotation and truncation, read what is new. */
  private async poll(): Promise<void> {
    const now = Date.now();
    this.polls++;
    if (this.firstScan || now - this.lastDiscovery >= this.options.discoverMs || this.rotatedSinceDiscovery(now)) {
      this.lastDiscovery = now;
      const known = new Map<string, Stats>();
      const paths = expandGlobs(this.options.include, this.options.exclude, process.cwd(), known, this.folders);
      const atPath = new Map<string, string>();
      for (const path of paths) {
        const st = known.get(path);
        if (!st) continue;
        const key = `${st.dev}:${st.ino}`;
        atPath.set(key, path);
        if (!this.files.has(key)) this.open(path, now);
      }
      this.atPath = atPath;
    }
    const atPath = this.atPath;
    let resting = 0;
    this.firstScan = false;
    this.scanned?.();
    this.scanned = undefined;
    for (const [key, t] of this.files) {
      const path = atPath.get(key);
      if (path) {
        if (t.path !== path) this.vacate(t.path, now);
        t.path = path;
        t.detachedAt = undefined;
      } else if (t.detachedAt === undefined) {
        this.vacate(t.path, now);
        t.detachedAt = now;
        this.counts.rotations++;
      }
      // A file come to rest is watched, then looked at once more: a write after the watch is set is
      // reported, one before it is read by this look.
      const watchNow = this.options.watch && this.passesRestingBy && !t.watcher && !t.watchFailed && this.atRest(t, now);
      if (watchNow) this.watch(t, now);
      else if (this.resting(t, now)) {
        resting++;
        continue;
      }
      t.lastLook = now;
      await this.readAvailable(t, now);
      // Written again: read every poll now, and a watch would only add a callback per write.
      if (t.lastGrowth === now) {
        this.unwatch(t);
        t.watchFailed = false;
      }
      if (t.detachedAt !== undefined && now - t.lastGrowth > this.options.rotateWaitMs && t.pending.every((p) => p.delivered)) {
        this.close(key, t);
      }
    }
    this.restingInPoll = resting;
    void this.saveCheckpoints(false);
  }

  /**
   * Whether a poll passes `t` by: it is at rest (`atRest`) and was looked at less than `watchedPollMs`
   * ago (watched) or `idlePollMs` (not watched).
   */
  private resting(t: Tracked, now: number): boolean {
    return (
      this.passesRestingBy &&
      now - t.lastLook < (t.watcher ? Math.max(this.options.watchedPollMs, this.options.idlePollMs) : this.options.idlePollMs) &&
      this.atRest(t, now)
    );
  }

  /** Whether files at rest are passed by at all (`idlePollMs` longer than a poll); no watches are set when not. */
  private get passesRestingBy(): boolean {
    return this.options.idlePollMs > this.options.pollMs;
  }

  /** Idle (no new bytes for `restingAfterMs`), still at its path, nothing in flight or held for a multiline record. */
  private atRest(t: Tracked, now: number): boolean {
    return (
      t.detachedAt === undefined &&
      now - t.lastGrowth >= this.options.restingAfterMs &&
      t.pending.length === 0 &&
      t.assembler?.pendingStart === undefined
    );
  }

  /** Asks the kernel to report the next change to `t` (`watchUntilChanged`); on failure `t` keeps `idlePollMs`. */
  private watch(t: Tracked, now: number): void {
    // A change ends the watch: the next poll finds the file at rest and unwatched, so it watches it
    // again and looks (above).
    const set = watchUntilChanged(t.path, t.dev, t.ino, () => {
      if (t.watcher === watcher) t.watcher = undefined;
    });
    const watcher = 'watcher' in set ? set.watcher : undefined;
    if (watcher) {
      t.watcher = watcher;
      return;
    }
    t.watchFailed = true;
    this.watchFailures++;
    if (now - this.watchFailureSaid >= 60_000) {
      this.watchFailureSaid = now;
      this.ctx.log.warn({ source: this.name, path: t.path, reason: 'error' in set ? set.error : undefined, failures: this.watchFailures }, `A file at rest could not be watched; it is looked at every ${this.options.idlePollMs} ms instead.`);
    }
  }

  private unwatch(t: Tracked): void {
    const w = t.watcher;
    t.watcher = undefined;
    w?.close();
  }

  private vacate(path: string, now: number): void {
    if (this.options.discoverMs > 0) this.vacated.set(path, now);
  }

  /** The key (dev:ino, as `files` is keyed) of the file a path names now; undefined when none, or it cannot be looked at. */
  private keyAt(path: string): string | undefined {
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      return st ? `${st.dev}:${st.ino}` : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether a file was rotated since the globs were last expanded, looking only where rotation
   * happens: the path of each file being written (it read new bytes in one of the last two polls)
   * is gone or names another file (rename rotation; copytruncate is seen by fstat), or a path a file
   * left lately now names a file not open (the replacement, created after the rename). Idle files are
   * not looked up by path, which is the saving; a new file that replaces none waits for the expansion.
   */
  private rotatedSinceDiscovery(now: number): boolean {
    for (const [path, since] of this.vacated) {
      if (now - since > this.options.rotateWaitMs) {
        this.vacated.delete(path);
        continue;
      }
      const key = this.keyAt(path);
      if (key === undefined) continue;
      if (!this.files.has(key)) return true;
      this.vacated.delete(path);
    }
    for (const [key, t] of this.files) {
      if (t.detachedAt !== undefined || t.grewInPoll < this.polls - 2) continue;
      if (this.keyAt(t.path) !== key) return true;
    }
    return false;
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
      path, fd, dev: st.dev, ino: st.ino, head, generation: 0,
      readOffset: 0, acked: 0, splitter: undefined as unknown as LineSplitter, lastSize: st.size, lastMtime: 0, pending: [], lastGrowth: now, grewInPoll: this.polls, lastLook: 0, header: '',
    };
    const resumed = this.findCheckpoint(t);
    if (resumed !== undefined) {
      t.readOffset = t.acked = Math.min(resumed, st.size);
      this.counts.resumed++;
    } else if (this.firstScan && this.options.startAt === 'end') {
      // Start after the last complete line, so the line being written is not cut in two.
      t.readOffset = t.acked = this.lastNewlineEnd(fd, st.size);
    }
    t.splitter = this.newSplitter(fd, t.readOffset);
    t.assembler = this.newAssembler();
    // Started mid-file: the lines ahead are read under the directives above them.
    if (t.readOffset > 0) t.header = headerBefore(fd, t.readOffset);
    t.lastSize = -1;
    this.files.set(`${st.dev}:${st.ino}`, t);
    this.ctx.log.debug({ path, offset: t.readOffset, resumed: resumed !== undefined }, 'Opened a file.');
  }

  /** A checkpoint matches when device and inode match and the file still starts with the same bytes. */
  private findCheckpoint(t: Tracked): number | undefined {
    for (const c of this.checkpoints.all()) {
      const [dev, ino, hash, lenText] = c.fingerprint.split(':');
      if (Number(dev) !== t.dev || Number(ino) !== t.ino) continue;
      const len = Number(lenText);
      const head = len === t.head.bytes.length ? t.head : headOf(t.fd, len);
      if (head.hash === hash && t.head.bytes.length >= len) {
        this.checkpoints.delete(c.fingerprint);
        return c.offset;
      }
    }
    return undefined;
  }

  private close(key: string, t: Tracked): void {
    this.unwatch(t);
    this.saveOne(t);
    closeSync(t.fd);
    this.retire(t.splitter);
    this.files.delete(key);
  }

  private lastNewlineEnd(fd: number, size: number): number {
    const window = Buffer.alloc(Math.min(size, 64 * 1024));
    const n = readSync(fd, window, 0, window.length, size - window.length);
    const nl = window.subarray(0, n).lastIndexOf(10);
    return nl < 0 ? size - n : size - n + nl + 1;
  }

  private async readAvailable(t: Tracked, now: number): Promise<void> {
    const st = fstatSync(t.fd);
    const size = st.size;
    // Truncated in place, or copytruncate followed by enough new writes to pass our offset: the
    // file no longer starts with the bytes we fingerprinted, so what is there is new data.
    let truncated = size < t.readOffset;
    if (!truncated && (size !== t.lastSize || st.mtimeMs !== t.lastMtime) && t.head.bytes.length > 0 && size >= t.head.bytes.length) {
      truncated = !startsWith(t.fd, t.head.bytes);
    }
    t.lastSize = size;
    t.lastMtime = st.mtimeMs;
    if (truncated) {
      this.counts.truncations++;
      this.ctx.log.info({ path: t.path, was: t.readOffset, now: size }, 'A file was truncated; reading it again from the start.');
      this.checkpoints.delete(fingerprintOf(t));
      t.generation++;
      t.readOffset = t.acked = 0;
      t.pending = [];
      this.retire(t.splitter);
      t.splitter = this.newSplitter(t.fd, 0);
      t.assembler = this.newAssembler();
      t.header = '';
      t.head = headOf(t.fd, size);
    }
    if (t.head.bytes.length < FINGERPRINT_BYTES && size > t.head.bytes.length) {
      const oldFp = fingerprintOf(t);
      t.head = headOf(t.fd, size);
      this.checkpoints.delete(oldFp);
    }
    const buf = this.readBuffer;
    while (this.running && t.readOffset < size) {
      await this.roomForBatches();
      if (!this.running) break;
      const n = readSync(t.fd, buf, 0, Math.min(buf.length, size - t.readOffset), t.readOffset);
      if (n <= 0) break;
      t.lastGrowth = now;
      t.grewInPoll = this.polls;
      this.counts.bytesRead += n;
      const chunkStart = t.readOffset;
      t.readOffset += n;
      const chunk = buf.subarray(0, n);
      const kept = t.tail !== undefined && t.tail.start + t.tail.bytes.length === chunkStart ? t.tail : undefined;
      const window: ByteWindow = { start: kept?.start ?? chunkStart, kept: kept?.bytes, chunk };
      await this.emitLines(t, this.assemble(t, t.splitter.push(chunk, chunkStart), now), window);
      this.keepTail(t, window, chunkStart + n);
      // Without record threads nothing above waits on the event loop while the sink has room: a turn
      // per chunk lets timers (the producer's linger, health probes) and acknowledgements in between,
      // instead of once the memory buffer is full.
      if (!this.options.threads?.pool.threaded) await turn();
    }
    // A rotated-away file that stopped growing will not get its last newline: ship the rest as a line.
    if (this.running && t.detachedAt !== undefined && now - t.lastGrowth > this.options.rotateWaitMs) {
      const rest = this.assemble(t, t.splitter.flush(), now);
      if (t.assembler) rest.push(...t.assembler.flush());
      await this.emitLines(t, rest);
    } else if (this.running && t.assembler) {
      // A stack trace's last line cannot know it is the last: the timeout ends the record.
      await this.emitLines(t, t.assembler.poll(now));
    }
  }

  /** Keeps a copy of the window's bytes that the next read's lines may still need (`Tracked.tail`). */
  private keepTail(t: Tracked, w: ByteWindow, end: number): void {
    const from = t.assembler?.pendingStart ?? t.splitter.completeOffset;
    t.tail = undefined;
    if (!this.options.threads?.pool.threaded || from >= end || from < w.start || end - from > MAX_TAIL_BYTES) return;
    t.tail = { start: from, bytes: Buffer.from(windowBytes(w, from, end).buffer) };
  }

  private newAssembler(): MultilineAssembler | undefined {
    return this.options.multiline === false ? undefined : new MultilineAssembler(this.options.multiline);
  }

  private assemble(t: Tracked, lines: Piece[], now: number): Piece[] {
    if (!t.assembler || lines.length === 0) return lines;
    const out: Piece[] = [];
    for (const line of lines) for (const r of t.assembler.push(line, now)) out.push(r);
    return out;
  }

  private newSplitter(fd: number, offset: number): LineSplitter {
    const head = Buffer.alloc(4);
    const n = offset > 0 ? readSync(fd, head, 0, 4, 0) : 0;
    return new LineSplitter(
      { encoding: this.options.encoding, maxLineBytes: this.options.maxLineBytes, onLongLine: this.options.onLongLine, head: n > 0 ? head.subarray(0, n) : undefined },
      offset,
    );
  }

  private async emitLines(t: Tracked, lines: Piece[], window?: ByteWindow): Promise<void> {
    if (lines.length === 0) return;
    const observedMs = Date.now();
    const fingerprint = fingerprintOf(t);
    const threads = this.options.threads?.pool.usable ? this.options.threads : undefined;
    for (let i = 0; i < lines.length; ) {
      // At most maxBatchLines, and few enough characters for one string (long lines can be MiBs each).
      let j = i;
      let chars = 0;
      while (j < lines.length && j - i < this.options.maxBatchLines && (j === i || chars + lines[j]!.text.length <= MAX_BATCH_CHARS)) chars += lines[j++]!.text.length;
      const slice = lines.slice(i, j);
      i = j;
      this.counts.linesRead += slice.length;
      // The directives in force at the slice's first line; its own (a server restarted mid-file) change them for what follows.
      const header = t.header;
      for (let k = 0; k < slice.length; k++) if (slice[k]!.text.charCodeAt(0) === 35 /* # */) t.header = nextHeader(t.header, slice[k]!.text) ?? t.header;
      const entry: Pending = { generation: t.generation, end: slice[slice.length - 1]!.end, delivered: false };
      t.pending.push(entry);
      const onDelivered = () => this.delivered(t, entry);
      if (!threads) {
        await this.ctx.emit({ events: this.buildEvents(t.path, fingerprint, slice, observedMs, header), onDelivered });
        continue;
      }
      // No threads, or a few lines with nothing of this source on the threads (so the order read is
      // kept): built here.
      const here = !threads.pool.threaded || (this.onThreads === 0 && slice.length <= INLINE_MAX_LINES);
      const batch = this.lineBatch(threads.builder, t.path, fingerprint, slice, observedMs, here ? undefined : this.bytesOf(t, slice, window));
      if (header !== '') batch.header = header;
      if (here) {
        let encoded: EncodedLogs | undefined;
        try {
          encoded = threads.pool.encodeHere(batch);
        } catch (err) {
          this.ctx.log.warn({ path: t.path, lines: slice.length, reason: (err as Error).message }, 'A batch could not be encoded; its records were built one by one.');
        }
        await this.ctx.emit(encoded ? { events: [], encoded, onDelivered } : { events: this.buildEvents(t.path, fingerprint, slice, observedMs, header), onDelivered });
        continue;
      }
      this.handToThreads(threads, t, batch, onDelivered);
    }
  }

  /**
   * The bytes of a slice's lines for a record thread, when they can stand for its texts: UTF-8, every
   * line inside the window and right after the one before, none with attributes of its own (a long
   * line's parts, multiline parts), so each text is exactly what `batchTexts` makes of its bytes.
   */
  private bytesOf(t: Tracked, slice: Piece[], w: ByteWindow | undefined): Uint8Array | undefined {
    if (w === undefined || t.splitter.detectedEncoding !== 'utf8') return undefined;
    const from = slice[0]!.start;
    const to = slice[slice.length - 1]!.end;
    if (from < w.start || to > w.start + (w.kept?.length ?? 0) + w.chunk.length) return undefined;
    for (let j = 0; j < slice.length; j++) {
      const p = slice[j]!;
      if (p.attributes !== undefined || (j > 0 && slice[j - 1]!.end !== p.start)) return undefined;
    }
    return windowBytes(w, from, to);
  }

  private lineBatch(builder: number, path: string, fingerprint: string, slice: Piece[], observedMs: number, bytes?: Uint8Array): LineBatch {
    const batch: LineBatch = {
      builder,
      ...(bytes ? { text: '', textEnds: NO_ENDS, bytes } : joinLines(slice.map((l) => l.text))),
      starts: slice.map((l) => l.start),
      path,
      fingerprint,
      service: this.options.service,
      host: this.options.host,
      observedMs,
    };
    const file = this.fileMeta(path);
    batch.service = file.service;
    if (file.attributes) batch.attributes = file.attributes;
    for (let j = 0; j < slice.length; j++) {
      const own = slice[j]!.attributes;
      if (own) (batch.lineAttributes ??= []).push([j, own]);
    }
    return batch;
  }

  /**
   * Built on a thread while this one reads on; handed to the sink in the order read. Until then only
   * the batch is kept (its lines in one string): a batch the threads fail is built here from it, so
   * nothing is lost. Reading waits for room (`roomForBatches`) before the next chunk, not here, so the
   * chunk's line objects are garbage by then instead of living through the wait.
   */
  private handToThreads(threads: NonNullable<FileSourceOptions['threads']>, t: Tracked, batch: LineBatch, onDelivered: () => void): void {
    const built = threads.pool.encode(batch).then(
      (encoded): EventBatch => ({ events: [], encoded, onDelivered }),
      (err: Error): EventBatch => {
        this.ctx.log.warn({ path: t.path, lines: batch.starts.length, reason: err.message }, 'A record thread failed a batch; it was built on the main thread.');
        return { events: this.buildEvents(batch.path, batch.fingerprint, piecesOf(batch), batch.observedMs, batch.header ?? ''), onDelivered };
      },
    );
    const before = this.emitted;
    this.onThreads++;
    const emitted = (async () => {
      try {
        const b = await built;
        await before;
        await this.ctx.emit(b);
      } finally {
        this.onThreads--;
      }
    })();
    emitted.catch(() => undefined);
    this.emitted = emitted;
    this.unemitted.push(emitted);
  }

  /** Bounded: a few batches per thread under way, then reading waits for the oldest to reach the sink. */
  private async roomForBatches(): Promise<void> {
    const threads = this.options.threads?.pool.usable ? this.options.threads : undefined;
    if (!threads) return;
    while (this.unemitted.length > threads.pool.size * 2 + 1) await this.unemitted.shift();
  }

  /** Batches handed to record threads and not yet to the sink, oldest first; `emitted` is the newest. */
  private readonly unemitted: Array<Promise<void>> = [];
  /** Batches handed to record threads and not yet to the sink (`unemitted` may hold settled ones too). */
  private onThreads = 0;
  private emitted: Promise<void> = Promise.resolve();

  private buildEvents(path: string, fingerprint: string, slice: Piece[], observedMs: number, header: string): AgentEvent[] {
    const toRecord = this.options.toRecord ?? this.ctx.toRecord;
    const file = this.fileMeta(path);
    return slice.map((line, i) => ({
      type: 'log',
      record: toRecord({
        text: line.text,
        origin: { kind: 'file', path, fingerprint, offset: line.start },
        service: file.service,
        host: this.options.host,
        observedMs,
        attributes: line.attributes ? { ...file.attributes, ...line.attributes } : file.attributes ? { ...file.attributes } : undefined,
        // The slice's header at its first line; the builder follows the slice's directives from there.
        header: i === 0 ? header : undefined,
      }),
    }));
  }

  /** A file's service and the attributes of its records: the source's, and what its path says of its container. */
  private fileMeta(path: string): { service: string; attributes: Record<string, string> | undefined } {
    let m = this.metaByPath.get(path);
    if (m === undefined) {
      const k8s = this.options.containerPath ? containerFromPath(path) : undefined;
      const attributes = k8s ? { ...k8s.attributes, ...this.options.attributes } : this.hasAttributes ? this.options.attributes : undefined;
      m = { service: k8s?.container !== undefined && this.options.serviceFromContainer ? k8s.container : this.options.service, attributes };
      // Bounded by the files seen; a node's churn of pods is forgotten wholesale now and then.
      if (this.metaByPath.size >= 10_000) this.metaByPath.clear();
      this.metaByPath.set(path, m);
    }
    return m;
  }

  private readonly metaByPath = new Map<string, { service: string; attributes: Record<string, string> | undefined }>();

  /** Moves the acknowledged offset over every delivered batch at the front of the queue, in order. */
  private delivered(t: Tracked, entry: Pending): void {
    entry.delivered = true;
    if (entry.generation !== t.generation) return;
    while (t.pending.length > 0 && t.pending[0]!.delivered) {
      const done = t.pending.shift()!;
      if (done.generation === t.generation) {
        this.ackedSinceFlush += Math.max(0, done.end - t.acked);
        t.acked = done.end;
      }
    }
    this.saveOne(t);
    // A long read round must not hold checkpoints back: they bound what a crash re-sends. Once a
    // second, and sooner when much was acknowledged (a catch-up after a start or an outage moves tens
    // of thousands of lines a second), but never more than ten times a second: each write costs two fsyncs.
    const since = Date.now() - this.lastFlush;
    if (since >= 1000 || (since >= CHECKPOINT_MIN_INTERVAL_MS && this.ackedSinceFlush >= CHECKPOINT_EARLY_BYTES)) {
      this.lastFlush = Date.now();
      this.ackedSinceFlush = 0;
      void this.checkpoints.flush();
    }
  }

  private saveOne(t: Tracked): void {
    this.checkpoints.set(fingerprintOf(t), t.path, t.acked);
  }

  /** Checkpoints of every file, at most once a second unless `force` (at stop, which waits for the write). */
  private saveCheckpoints(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastFlush < 1000) return Promise.resolve();
    this.lastFlush = now;
    this.ackedSinceFlush = 0;
    const live = new Set<string>();
    for (const t of this.files.values()) {
      this.saveOne(t);
      live.add(fingerprintOf(t));
    }
    this.checkpoints.expire(live, now);
    return this.checkpoints.flush();
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

export interface FileSourceConfig extends LineSourceCommon {
  type: 'file';
  include: string[];
  exclude: string[];
  start_at: 'beginning' | 'end';
  poll_ms: number;
  discover_ms: number;
  idle_poll_ms: number;
  watch: boolean;
  watched_poll_ms: number;
  read_bytes: number;
  rotate_wait_ms: number;
  checkpoint_expire_ms: number;
  container_path: boolean;
}

export const fileSourceDefinition = defineSource<FileSourceConfig>({
  type: 'file',
  description: 'Tail files matched by globs, across rotation and truncation.',
  required: ['include'],
  properties: {
      include: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'Globs of files to read; relative globs are relative to the config file.' },
      exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Globs of files to leave alone.' },
      start_at: str('Where to start in a file seen for the first time: beginning (default: nothing is missed, and files that appear later must be read whole anyway) or end.', { enum: ['beginning', 'end'], default: 'beginning' }),
      poll_ms: int('How often to look for new data in open files (and for new files, at most every discover_ms).', 10, 250),
      discover_ms: int('How often, at most, the globs are expanded again to find new files (0: at every poll); files already open are still read every poll_ms. Rotation does not wait for it: at every poll the paths of the files being written (new bytes in one of the last two polls) and, for rotate_wait_ms, the paths files just left are looked up, and a rename or deletion there expands the globs at once. A new file that replaces none of these (a new name, or the replacement of an idle file) is found within this interval; one created and moved out of the globs or deleted within it is never read.', 0, 1000),
      idle_poll_ms: int('How often a file that has not grown for 5 s is looked at (at least every poll_ms; 0: every poll). With many files mostly at rest (a node\'s container logs) looking at each one every poll is most of what an idle agent does; a resting file\'s next lines, or its truncation, are then seen within this interval. Files being written, rotated away or holding a multiline record are looked at every poll.', 0, 1000),
      watch: bool('Ask the kernel (inotify, through fs.watch) to report the next change to each file at rest: a resting file written, truncated or renamed is then read at the next poll instead of at its next look, and is looked at otherwise only every watched_poll_ms. The watch is on the file itself, so writes through a link are seen; one watch per resting file (fs.inotify.max_user_watches; a file whose watch cannot be set keeps idle_poll_ms, counted in watch_failures). Off: resting files are found by idle_poll_ms alone.', true),
      watched_poll_ms: int('How often a watched file at rest is looked at anyway (at least idle_poll_ms), for changes the kernel does not report: writes through a memory map, or by another host on a network file system (turn watch off for those).', 0, 10_000),
      read_bytes: int('Bytes read per read call.', 4096, 256 * 1024),
      rotate_wait_ms: int('A rotated-away or deleted file is closed after it has not grown for this long.', 0, 5000),
      checkpoint_expire_ms: int('Checkpoints of files gone for this long are forgotten.', 0, 7 * 24 * 3600 * 1000),
      container_path: bool('Read a container log\'s metadata from its path, as the kubelet names the files (/var/log/pods/NAMESPACE_POD_UID/CONTAINER/N.log and /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log, under any mount point): k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.container.name, k8s.container.restart_count or container.id as attributes, and the container\'s name as the service when the source names none; Docker\'s json-file logs (/var/lib/docker/containers/ID/ID-json.log) give container.id. Other files are not touched.', true),
      ...lineSourceCommon,
  },
  resolvePaths(src, baseDir) {
    src.include = src.include.map((g) => (isAbsolute(g) ? g : join(baseDir, g)));
    src.exclude = src.exclude.map((g) => (isAbsolute(g) ? g : join(baseDir, g)));
  },
  check: (src, path, issues) => checkLineSource(src, path, issues),
  create(src, ctx) {
    const builder = ctx.builderOptions(src);
    // With threads 0 too: the pool then builds each batch on the main thread, encoded as a thread would.
    const pool = ctx.pool();
    return new FileSource(ctx.name, {
      include: src.include,
      exclude: src.exclude,
      service: ctx.service,
      host: ctx.host,
      startAt: src.start_at,
      stateDir: ctx.stateDir,
      pollMs: src.poll_ms,
      discoverMs: src.discover_ms,
      idlePollMs: src.idle_poll_ms,
      watch: src.watch,
      watchedPollMs: src.watched_poll_ms,
      readBytes: src.read_bytes,
      maxLineBytes: src.max_line_bytes,
      onLongLine: src.on_long_line,
      encoding: src.encoding,
      rotateWaitMs: src.rotate_wait_ms,
      checkpointExpireMs: src.checkpoint_expire_ms,
      containerPath: src.container_path,
      // The source's own service wins; the agent-wide default loses to the container's name.
      serviceFromContainer: !ctx.serviceNamed,
      multiline: multilineOptions(src.multiline) ?? false,
      attributes: src.attributes,
      toRecord: ctx.recordBuilder(src),
      threads: { pool, builder: pool.addBuilder(builder) },
    });
  },
  describe: (src) => src.include.join(' '),
});
