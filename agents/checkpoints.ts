/**
 * File checkpoints: for each file identity, the byte offset up to which Kafka acknowledged every
 * record. Written to a temp file, fsynced, then renamed, so a crash leaves the old or the new
 * checkpoint file, never half of one. Checkpoints of files not seen for `expireMs` are dropped.
 * They are written off the event loop (`flush`).
 */
import { readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { log } from '../core/log.ts';

export interface FileCheckpoint {
  /** `dev:ino:headHash:headLen`, see FileSource. */
  fingerprint: string;
  path: string;
  offset: number;
  updatedAt: number;
}

function validEntry(c: unknown): c is FileCheckpoint {
  const e = c as FileCheckpoint;
  return typeof e === 'object' && e !== null && typeof e.fingerprint === 'string' && e.fingerprint !== '' && typeof e.path === 'string' && Number.isSafeInteger(e.offset) && e.offset >= 0;
}

/**
 * `text` to `path` durably: a temp file, fsync, rename, fsync of the folder (made when missing, as
 * `openForWriting` does), on libuv's threads.
 */
export async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  let file;
  try {
    file = await open(tmp, 'w');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(tmp), { recursive: true });
    file = await open(tmp, 'w');
  }
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* some file systems cannot fsync a directory */
  }
}

/** How often a failing background write is logged, at most. */
const FAILURE_LOG_MS = 60_000;

export class CheckpointStore {
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;
  /** The write under way, if any; `again` when it was asked for once more meanwhile. */
  private writing?: Promise<void>;
  private again = false;
  private lastFailureLog = 0;
  /** Writes done and failed. */
  readonly stats = { writes: 0, failures: 0 };
  /**
   * What was wrong with the file at start: an unreadable file is moved aside (`keptAs`) and the agent
   * starts without it; entries that make no sense are skipped. Never a crash loop.
   */
  readonly recovery = { unreadable: 0, skippedEntries: 0, keptAs: '' };

  constructor(
    readonly path: string,
    private readonly expireMs = 7 * 24 * 3600 * 1000,
  ) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`checkpoint file ${path} cannot be read: ${(err as Error).message}`); // permissions: a human must act
    }
    let data: { files?: unknown };
    try {
      data = JSON.parse(text) as { files?: unknown };
      if (typeof data !== 'object' || data === null || Array.isArray(data) || (data.files !== undefined && !Array.isArray(data.files))) throw new Error('not a checkpoint file (no files list)');
    } catch (err) {
      // Truncated or garbage (a disk that lied about fsync, a hand edit): keep it for a human, start without.
      this.recovery.unreadable = 1;
      this.recovery.keptAs = `${path}.corrupt-${Date.now()}`;
      renameSync(path, this.recovery.keptAs);
      log('agent.checkpoints').error(
        { path, keptAs: this.recovery.keptAs, bytes: text.length, reason: (err as Error).message },
        'The checkpoint file is unreadable; it was moved aside and the agent starts without checkpoints: files are read again from their start_at position (lines already shipped are sent again and dropped as duplicates by the worker within its horizon).',
      );
      return;
    }
    for (const c of (data.files as unknown[] | undefined) ?? []) {
      if (validEntry(c)) this.entries.set(c.fingerprint, c);
      else this.recovery.skippedEntries++;
    }
    if (this.recovery.skippedEntries > 0) {
      this.dirty = true;
      log('agent.checkpoints').error({ path, skipped: this.recovery.skippedEntries, kept: this.entries.size }, 'Some checkpoint entries made no sense (no fingerprint, or an offset that is not a whole number >= 0) and were skipped; their files start from start_at.');
    }
  }

  get(fingerprint: string): FileCheckpoint | undefined {
    return this.entries.get(fingerprint);
  }

  all(): FileCheckpoint[] {
    return [...this.entries.values()];
  }

  set(fingerprint: string, path: string, offset: number, now = Date.now()): void {
    const prev = this.entries.get(fingerprint);
    if (prev && prev.offset === offset && prev.path === path) {
      prev.updatedAt = now;
      return;
    }
    this.entries.set(fingerprint, { fingerprint, path, offset, updatedAt: now });
    this.dirty = true;
  }

  delete(fingerprint: string): void {
    if (this.entries.delete(fingerprint)) this.dirty = true;
  }

  /** Drops checkpoints of files that are gone and were not touched for the expiry period. */
  expire(live: ReadonlySet<string>, now = Date.now()): number {
    let n = 0;
    for (const [fp, c] of this.entries) {
      if (!live.has(fp) && now - c.updatedAt > this.expireMs) {
        this.entries.delete(fp);
        n++;
      }
    }
    if (n > 0) this.dirty = true;
    return n;
  }

  /**
   * Writes the checkpoints durably when something changed, off the event loop. Each write waits for
   * the disk twice (the file's fsync and the folder's): about a millisecond on a local SSD, tens of
   * milliseconds on a network disk or one the host keeps busy, and the file source writes up to ten
   * times a second while it catches up. In line, that wait held reading and sending back (bench:agent,
   * parsing off, every fsync held 20 ms by strace: a third fewer lines/s). One write at a time, each of
   * the checkpoints as they are when it starts, so the file never goes back; a call while one is under
   * way makes one more after it, and its promise covers that one. A failure is logged (at most once a
   * minute) and the next call tries again: checkpoints that stand still cost only lines re-sent after a
   * restart, which the worker drops as duplicates. Resolves when the writes it asked for are done or
   * failed; never rejects.
   */
  flush(): Promise<void> {
    if (this.writing) {
      this.again = true;
      return this.writing;
    }
    if (!this.dirty) return Promise.resolve();
    const writing: Promise<void> = this.write().then(() => {
      this.writing = undefined;
      // Asked again after the writer last looked: one more write.
      if (this.again) return this.flush();
    });
    this.writing = writing;
    return writing;
  }

  private async write(): Promise<void> {
    do {
      this.again = false;
      if (!this.dirty) return;
      const text = JSON.stringify({ version: 1, files: this.all() });
      this.dirty = false;
      try {
        await writeDurably(this.path, text);
        this.stats.writes++;
      } catch (err) {
        this.dirty = true;
        this.stats.failures++;
        const now = Date.now();
        if (now - this.lastFailureLog >= FAILURE_LOG_MS) {
          this.lastFailureLog = now;
          log('agent.checkpoints').error(
            { path: this.path, failures: this.stats.failures, reason: (err as Error).message },
            'The checkpoints cannot be written; they are tried again at the next write. Until then a restart reads again from the last checkpoints written (the worker drops the lines sent twice).',
          );
        }
        return;
      }
    } while (this.again);
  }
}
