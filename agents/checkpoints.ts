/**
 * File checkpoints: for each file identity, the byte offset up to which Kafka acknowledged every
 * record. Written to a temp file, fsynced, then renamed, so a crash leaves the old or the new
 * checkpoint file, never half of one. Checkpoints of files not seen for `expireMs` are dropped.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FileCheckpoint {
  /** `dev:ino:headHash:headLen`, see FileSource. */
  fingerprint: string;
  path: string;
  offset: number;
  updatedAt: number;
}

export class CheckpointStore {
  private readonly entries = new Map<string, FileCheckpoint>();
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly expireMs = 7 * 24 * 3600 * 1000,
  ) {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as { files?: FileCheckpoint[] };
      for (const c of data.files ?? []) this.entries.set(c.fingerprint, c);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`checkpoint file ${path} is unreadable: ${(err as Error).message}`);
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
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
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
