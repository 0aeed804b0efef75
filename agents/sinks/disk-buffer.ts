/**
 * The optional disk buffer behind the Kafka sink's memory buffer: serialized Kafka messages in, the
 * same messages out in the order they went in, after a crash too. Messages are appended to numbered
 * segment files (length + CRC32 + JSON per message) and fsynced before `append` returns; the read
 * position moves (temp file, fsync, rename) only after Kafka acknowledged what was read, and a
 * segment is deleted once every message in it was acknowledged. Its total size is bounded.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type Logger } from '../../core/log.ts';

/** A message ready for Kafka: which topic kind, key, value, timestamp and headers. */
export interface WireMessage {
  topic: 'logs' | 'metrics';
  key: string;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}

export interface DiskBufferOptions {
  dir: string;
  /** Bound of the bytes on disk; `append` refuses beyond it. */
  maxBytes: number;
  /** A new segment file starts after this many bytes. */
  segmentBytes?: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

const HEADER = 8;

function segmentName(n: number): string {
  return `segment-${String(n).padStart(10, '0')}.log`;
}

export class DiskBuffer {
  private segments: number[] = [];
  private readonly sizes = new Map<number, number>();
  private writeFd?: number;
  private committed: Cursor = { segment: 0, offset: 0 };
  private totalBytes = 0;
  private readonly segmentBytes: number;
  /** Messages on disk not yet acknowledged (counted on open by scanning). */
  count = 0;
  /** Records skipped because their CRC did not match (a torn write at a crash). */
  corrupt = 0;

  constructor(
    private readonly o: DiskBufferOptions,
    private readonly log?: Logger,
  ) {
    this.segmentBytes = o.segmentBytes ?? 16 * 1024 * 1024;
    mkdirSync(o.dir, { recursive: true });
    for (const name of readdirSync(o.dir)) {
      const m = /^segment-(\d+)\.log$/.exec(name);
      if (m) this.segments.push(Number(m[1]));
    }
    this.segments.sort((a, b) => a - b);
    try {
      this.committed = JSON.parse(readFileSync(join(o.dir, 'position.json'), 'utf8')) as Cursor;
    } catch {
      this.committed = { segment: this.segments[0] ?? 0, offset: 0 };
    }
    // Segments before the committed one were fully acknowledged before a crash.
    for (const s of this.segments.filter((s) => s < this.committed.segment)) rmSync(join(o.dir, segmentName(s)), { force: true });
    this.segments = this.segments.filter((s) => s >= this.committed.segment);
    for (const s of this.segments) {
      const fd = openSync(join(o.dir, segmentName(s)), 'r');
      this.sizes.set(s, fstatSync(fd).size);
      closeSync(fd);
    }
    this.totalBytes = [...this.sizes.values()].reduce((a, b) => a + b, 0);
    if (this.segments.length > 0) {
      let c: Cursor = { ...this.committed };
      for (;;) {
        const r = this.readFrom(c, 10_000, Number.MAX_SAFE_INTEGER);
        if (r.messages.length === 0) break;
        this.count += r.messages.length;
        c = r.end;
      }
      if (this.count > 0) this.log?.info({ dir: o.dir, messages: this.count, bytes: this.totalBytes }, 'The disk buffer holds messages from before the restart; sending them first.');
    }
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** Appends messages durably; false (nothing written) when they would not fit in `maxBytes`. */
  append(messages: WireMessage[]): boolean {
    const frames: Buffer[] = [];
    let size = 0;
    for (const m of messages) {
      const body = Buffer.from(JSON.stringify(m));
      const head = Buffer.allocUnsafe(HEADER);
      head.writeUInt32LE(body.length, 0);
      head.writeUInt32LE(crc32(body), 4);
      frames.push(head, body);
      size += HEADER + body.length;
    }
    if (this.totalBytes + size > this.o.maxBytes) return false;
    let last = this.segments[this.segments.length - 1];
    // After a restart writes go to a fresh segment, so a torn tail of the old one never swallows them.
    if (this.writeFd === undefined || last === undefined || (this.sizes.get(last) ?? 0) >= this.segmentBytes) {
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      last = last === undefined ? this.committed.segment : last + 1;
      this.segments.push(last);
      this.sizes.set(last, 0);
      this.writeFd = openSync(join(this.o.dir, segmentName(last)), 'a');
    }
    const data = Buffer.concat(frames);
    writeSync(this.writeFd, data);
    fsyncSync(this.writeFd);
    this.sizes.set(last, (this.sizes.get(last) ?? 0) + data.length);
    this.totalBytes += data.length;
    this.count += messages.length;
    return true;
  }

  /** Reads the oldest unacknowledged messages; `ack(end)` after Kafka acknowledged them. */
  peek(maxMessages: number, maxBytes: number): { messages: WireMessage[]; end: Cursor } {
    return this.readFrom(this.committed, maxMessages, maxBytes);
  }

  /** Moves the durable read position past acknowledged messages and deletes finished segments. */
  ack(end: Cursor, messages: number): void {
    this.committed = end;
    this.count = Math.max(0, this.count - messages);
    const tmp = join(this.o.dir, 'position.json.tmp');
    const fd = openSync(tmp, 'w');
    writeSync(fd, JSON.stringify(end));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.o.dir, 'position.json'));
    while (this.segments.length > 0 && this.segments[0]! < end.segment) {
      const s = this.segments.shift()!;
      this.totalBytes -= this.sizes.get(s) ?? 0;
      this.sizes.delete(s);
      rmSync(join(this.o.dir, segmentName(s)), { force: true });
    }
    // The last segment, fully read: start over in a fresh one so the bytes are freed.
    const only = this.segments[0];
    if (this.segments.length === 1 && only === end.segment && end.offset >= (this.sizes.get(only) ?? 0) && this.count === 0) {
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      this.writeFd = undefined;
      rmSync(join(this.o.dir, segmentName(only)), { force: true });
      this.segments = [];
      this.sizes.delete(only);
      this.totalBytes = 0;
      this.committed = { segment: only + 1, offset: 0 };
      this.ack(this.committed, 0);
    }
  }

  close(): void {
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  private readFrom(start: Cursor, maxMessages: number, maxBytes: number): { messages: WireMessage[]; end: Cursor } {
    const messages: WireMessage[] = [];
    let c = { ...start };
    let bytes = 0;
    for (const s of this.segments) {
      if (s < c.segment) continue;
      if (s > c.segment) c = { segment: s, offset: 0 };
      const path = join(this.o.dir, segmentName(s));
      if (!existsSync(path)) continue;
      const fd = openSync(path, 'r');
      try {
        const size = fstatSync(fd).size;
        const head = Buffer.allocUnsafe(HEADER);
        while (c.offset + HEADER <= size && messages.length < maxMessages && bytes < maxBytes) {
          readSync(fd, head, 0, HEADER, c.offset);
          const len = head.readUInt32LE(0);
          if (c.offset + HEADER + len > size) break; // torn tail: written again after restart
          const body = Buffer.allocUnsafe(len);
          readSync(fd, body, 0, len, c.offset + HEADER);
          c.offset += HEADER + len;
          if (crc32(body) !== head.readUInt32LE(4)) {
            this.corrupt++;
            this.log?.error({ segment: path, offset: c.offset }, 'A disk buffer record failed its checksum and was skipped (counted as dropped).');
            continue;
          }
          messages.push(JSON.parse(body.toString('utf8')) as WireMessage);
          bytes += len;
        }
      } finally {
        closeSync(fd);
      }
      if (messages.length >= maxMessages || bytes >= maxBytes) break;
    }
    return { messages, end: c };
  }
}

/** Whether a folder holds a disk buffer with data in it (for `--check`). */
export function hasDiskBuffer(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((n) => n.startsWith('segment-'));
}
