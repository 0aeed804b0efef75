/**
 * The optional disk buffer behind the Kafka sink's memory buffer: serialized Kafka messages in, the
 * same messages out in the order they went in, after a crash too. Messages are appended to numbered
 * segment files (length + CRC32 + JSON per message) and fsynced before `append` returns; the read
 * position moves (temp file, fsync, rename) only after Kafka acknowledged what was read, and a
 * segment is deleted once every message in it was acknowledged. Its total size is bounded.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../core/log.ts';
import { CONTENT_TYPE_PROTOBUF, HEADERS } from '../../core/contracts/topics.ts';

/** A message ready for Kafka: which topic kind, key, value, timestamp and headers. */
export interface WireMessage {
  topic: 'logs' | 'metrics';
  key: string;
  /** The record's JSON (a string, or its UTF-8 bytes when a record thread encoded it), or its OTLP protobuf bytes. */
  value: string | Buffer;
  timestamp: string;
  headers: Record<string, string>;
  /** Log records the value holds when more than one (`kafka.records_per_message`); kept on disk with it. */
  records?: number;
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
  /** Log records (and metric points) those messages hold: `count`, unless messages hold several. */
  records = 0;
  /** Records skipped because their CRC did not match or their bytes were not a message (counted as dropped). */
  corrupt = 0;
  /** Bytes skipped: frames whose length runs past their segment (a torn tail, or garbage). */
  skippedBytes = 0;
  /** Appends refused because the disk was full (ENOSPC/EDQUOT); reading pauses meanwhile. */
  diskFull = 0;
  /** Appends refused because the folder could not be written otherwise (removed, read-only, an I/O error). */
  writeErrors = 0;
  /** Read positions that could not be written (sending goes on; a restart re-sends from the last one written). */
  positionErrors = 0;
  /** The read position file was unreadable at start: reading restarted at the oldest segment. */
  positionRebuilt = false;
  private readonly reported = new Set<string>();

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
    const fallback = { segment: this.segments[0] ?? 0, offset: 0 };
    try {
      const c = JSON.parse(readFileSync(join(o.dir, 'position.json'), 'utf8')) as Cursor;
      if (!Number.isSafeInteger(c?.segment) || !Number.isSafeInteger(c?.offset) || c.segment < 0 || c.offset < 0) throw new Error(`not a position: ${JSON.stringify(c).slice(0, 100)}`);
      this.committed = c;
    } catch (err) {
      this.committed = fallback;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.positionRebuilt = true;
        this.log?.error(
          { dir: o.dir, reason: (err as Error).message, restartAt: fallback },
          'The disk buffer read position is unreadable; reading starts again at the oldest segment (messages Kafka had already taken from it are sent again and dropped as duplicates by the worker).',
        );
      }
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
        for (const m of r.messages) this.records += m.records ?? 1;
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
      const body = Buffer.from(JSON.stringify(frameOf(m)));
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
      const next = last === undefined ? this.committed.segment : last + 1;
      let fd: number;
      try {
        fd = openSync(join(this.o.dir, segmentName(next)), 'a');
      } catch (err) {
        return this.refuse(err as NodeJS.ErrnoException);
      }
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      this.writeFd = fd;
      last = next;
      this.segments.push(last);
      this.sizes.set(last, 0);
    }
    const data = Buffer.concat(frames);
    const before = this.sizes.get(last) ?? 0;
    try {
      // A nearly full disk takes part of a write without an error: that is full too.
      const written = writeSync(this.writeFd, data);
      if (written < data.length) throw Object.assign(new Error(`short write (${written} of ${data.length} bytes)`), { code: 'ENOSPC' });
      fsyncSync(this.writeFd);
    } catch (err) {
      // Nothing half-written may stay: a partial frame would swallow the next append.
      try {
        ftruncateSync(this.writeFd, before);
      } catch {
        /* the next start skips a torn tail anyway */
      }
      return this.refuse(err as NodeJS.ErrnoException);
    }
    this.sizes.set(last, before + data.length);
    this.totalBytes += data.length;
    this.count += messages.length;
    for (const m of messages) this.records += m.records ?? 1;
    return true;
  }

  /**
   * An append that could not be written, refused like one past `maxBytes`: the sink holds the records
   * in memory and reading pauses, nothing is acknowledged to a source. A full disk is said as such; any
   * other failure (the folder removed or remounted read-only, an I/O error) is refused too, said at
   * ERROR (thrown, as before 2026-11-30, it escaped into the sink's path that takes a source's batch).
   */
  private refuse(err: NodeJS.ErrnoException): false {
    const code = err.code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      if (this.diskFull++ === 0 || this.diskFull % 1000 === 0) {
        this.log?.warn({ dir: this.o.dir, code, bufferedBytes: this.totalBytes, refusals: this.diskFull }, 'The disk of the disk buffer is full; reading pauses until Kafka takes what is buffered (nothing acknowledged is lost).');
      }
    } else if (this.writeErrors++ === 0 || this.writeErrors % 1000 === 0) {
      this.log?.error({ dir: this.o.dir, code, reason: err.message, refusals: this.writeErrors }, 'The disk buffer cannot be written; reading pauses while memory is full, until Kafka takes what is buffered or the folder can be written again (nothing acknowledged is lost).');
    }
    return false;
  }

  /** Reads the oldest unacknowledged messages; `ack(end)` after Kafka acknowledged them. */
  peek(maxMessages: number, maxBytes: number): { messages: WireMessage[]; end: Cursor } {
    return this.readFrom(this.committed, maxMessages, maxBytes);
  }

  /** Nothing readable is left (what remains failed its checks): counts go to zero. */
  forgetCount(): void {
    this.count = 0;
    this.records = 0;
  }

  /** Moves the durable read position past acknowledged messages (holding `records` records) and deletes finished segments. */
  ack(end: Cursor, messages: number, records = messages): void {
    this.committed = end;
    this.count = Math.max(0, this.count - messages);
    this.records = Math.max(0, this.records - records);
    try {
      const tmp = join(this.o.dir, 'position.json.tmp');
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, JSON.stringify(end));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.o.dir, 'position.json'));
    } catch (err) {
      // Kafka has the messages; only a restart would send them again (the worker drops them as duplicates).
      if (this.positionErrors++ === 0 || this.positionErrors % 1000 === 0) {
        this.log?.error({ dir: this.o.dir, reason: (err as Error).message, failures: this.positionErrors }, 'The disk buffer read position cannot be written; sending goes on, and after a restart what Kafka took since the last position written is sent again (dropped as duplicates by the worker).');
      }
    }
    while (this.segments.length > 0 && this.segments[0]! < end.segment) {
      const s = this.segments.shift()!;
      this.totalBytes -= this.sizes.get(s) ?? 0;
      this.sizes.delete(s);
      try {
        rmSync(join(this.o.dir, segmentName(s)), { force: true });
      } catch {
        /* a read-only folder: the next start drops segments before the position it reads */
      }
    }
    // The last segment, fully read: start over in a fresh one so the bytes are freed.
    const only = this.segments[0];
    if (this.segments.length === 1 && only === end.segment && end.offset >= (this.sizes.get(only) ?? 0) && this.count === 0) {
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      this.writeFd = undefined;
      try {
        rmSync(join(this.o.dir, segmentName(only)), { force: true });
      } catch {
        /* as above */
      }
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

  /** Says once per place what could not be read; counts the bytes. */
  private reportSkip(path: string, offset: number, bytes: number, garbage: boolean): void {
    const key = `${path}:${offset}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.skippedBytes += bytes;
    if (garbage) this.log?.error({ segment: path, offset, bytes }, 'A disk buffer segment is corrupt from this offset (a message length that cannot be right); the rest of the segment is skipped and the buffer goes on with the next one.');
    else this.log?.info({ segment: path, offset, bytes }, 'A disk buffer segment ends in a message torn by a crash mid-append; it is skipped (its lines were never acknowledged to their source, which reads them again).');
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
          if (c.offset + HEADER + len > size) {
            // A frame running past the end: a torn tail (a crash mid-append: never acknowledged to its
            // source, which reads those lines again), or garbage if the length is absurd. Either way
            // the rest of this segment cannot be framed; later segments are read as usual.
            this.reportSkip(path, c.offset, size - c.offset, len > this.o.maxBytes || len > 256 * 1024 * 1024);
            break;
          }
          const body = Buffer.allocUnsafe(len);
          readSync(fd, body, 0, len, c.offset + HEADER);
          c.offset += HEADER + len;
          let message: WireMessage | undefined;
          if (crc32(body) === head.readUInt32LE(4)) {
            try {
              message = messageOf(JSON.parse(body.toString('utf8')) as StoredMessage);
            } catch {
              /* counted below */
            }
          }
          if (!message) {
            const key = `${path}:${c.offset}`;
            if (this.reported.has(key)) continue;
            this.reported.add(key);
            this.corrupt++;
            this.log?.error({ segment: path, offset: c.offset - HEADER - len, bytes: len }, 'A disk buffer record failed its checksum (or was not a message) and was skipped (counted as dropped).');
            continue;
          }
          messages.push(message);
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

/** A message as a frame holds it: JSON values as text, binary ones (OTLP protobuf) in base64. */
type StoredMessage = Omit<WireMessage, 'value'> & { value: string; base64?: true };

function frameOf(m: WireMessage): StoredMessage {
  if (typeof m.value === 'string') return m as StoredMessage;
  if (m.headers[HEADERS.contentType] === CONTENT_TYPE_PROTOBUF) return { ...m, value: m.value.toString('base64'), base64: true };
  return { ...m, value: m.value.toString('utf8') };
}

function messageOf(f: StoredMessage): WireMessage {
  if (!f.base64) return f;
  const { base64: _, ...m } = f;
  return { ...m, value: Buffer.from(f.value, 'base64') };
}

/** Whether a folder holds a disk buffer with data in it (for `--check`). */
export function hasDiskBuffer(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((n) => n.startsWith('segment-'));
}
