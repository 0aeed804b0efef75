/**
 * File checkpoints: for each file identity, the byte offset up to which Kafka acknowledged every
 * record. Written to a temp file, fsynced, then renamed, so a crash leaves the old or the new
 * checkpoint file, never half of one. Checkpoints of files not seen for `expireMs` are dropped.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { log } from '../core/log.ts';
import { openForWriting } from '../core/paths.ts';

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

export class CheckpointStore {
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;
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

  /** Writes the checkpoints durably when something changed. */
  flush(): void {
    if (!this.dirty) return;
    const tmp = `${this.path}.tmp`;
    const fd = openForWriting(tmp);
    try {
      writeSync(fd, JSON.stringify({ version: 1, files: this.all() }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    try {
      const dirFd = openSync(dirname(this.path), 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch {
      /* some file systems cannot fsync a directory */
    }
    this.dirty = false;
  }
}
