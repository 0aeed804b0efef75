/**
 * A byte stream in (Buffer chunks, each with the file offset of its first byte), lines out, each
 * with the byte range it came from so that a checkpoint can name the exact place to resume.
 * Handles `\n` and `\r\n`, UTF-8 (invalid bytes become U+FFFD) and UTF-16LE/BE (by BOM or config),
 * splits or truncates over-long lines with a marker attribute, and holds a trailing partial line
 * until its newline arrives. Never throws for any input bytes.
 */

export type Encoding = 'auto' | 'utf8' | 'utf16le' | 'utf16be';
export const ENCODINGS: readonly Encoding[] = ['auto', 'utf8', 'utf16le', 'utf16be'];

export interface LineSplitterOptions {
  /** `auto` reads a BOM at offset 0 (UTF-8, UTF-16LE, UTF-16BE) and falls back to UTF-8. */
  encoding: Encoding;
  /** Longest line, in bytes of the source encoding, before it is split or truncated. */
  maxLineBytes: number;
  /** `split`: emit the long line in parts of maxLineBytes; `truncate`: keep the first maxLineBytes, drop the rest. */
  onLongLine: 'split' | 'truncate';
  /** The file's first bytes, to read a BOM when reading starts past offset 0 (resuming from a checkpoint). */
  head?: Buffer;
}

export const LINE_SPLITTER_DEFAULTS: Readonly<LineSplitterOptions> = {
  encoding: 'auto',
  maxLineBytes: 1024 * 1024,
  onLongLine: 'split',
};

/** Marker attributes on lines that were longer than the maximum. */
export const LINE_PART_ATTRIBUTE = 'tributary.line.part';
export const LINE_TRUNCATED_ATTRIBUTE = 'tributary.line.truncated_bytes';

export interface Line {
  text: string;
  /** File offset of the line's first byte. */
  start: number;
  /** File offset just past the line's terminator: where the next line starts. */
  end: number;
  /** Only on lines longer than the maximum: the part number (split) or the bytes dropped (truncate). */
  attributes?: Record<string, string>;
}

export interface LineSplitterStats {
  lines: number;
  /** Lines longer than maxLineBytes (each counted once, however many parts). */
  longLines: number;
  /** Parts emitted for split long lines. */
  splitParts: number;
  /** Bytes dropped by truncation. */
  truncatedBytes: number;
  /** Lines holding at least one U+FFFD (invalid input bytes, or a U+FFFD that was in the input). */
  linesWithReplacement: number;
  /** Chunks that did not start where the previous one ended (the held partial line was dropped). */
  discontinuities: number;
  /** Bytes of held partial lines dropped at a discontinuity. */
  discardedBytes: number;
}

/**
 * Bytes of whole lines decoded at once by the splitter. Runs stay under V8's 128 KB limit for strings in
 * the young generation (a longer one would be mapped pages of its own), and a line's text is a slice of
 * its run's string.
 */
export const DECODE_RUN_BYTES = 64 * 1024;

interface DecodedRun {
  buf: Buffer;
  from: number;
  to: number;
  text: string;
  oneByte: boolean;
  /** The run holds a U+FFFD (only then is each line looked at for one). */
  replacement: boolean;
}

/** Reads a byte-order mark: the encoding it announces and its length, or undefined. */
export function detectBom(bytes: Buffer): { encoding: Exclude<Encoding, 'auto'>; length: number } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf8', length: 3 };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf16le', length: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf16be', length: 2 };
  return undefined;
}

const BOMS = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff])];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export class LineSplitter {
  readonly stats: LineSplitterStats = {
    lines: 0, longLines: 0, splitParts: 0, truncatedBytes: 0, linesWithReplacement: 0, discontinuities: 0, discardedBytes: 0,
  };
  private readonly options: LineSplitterOptions;
  private encoding: Exclude<Encoding, 'auto'> | undefined;
  /** Bytes of the current partial line, copied (the caller may reuse its read buffer). */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** File offset of the current line's first byte. */
  private lineStart: number;
  /** Where the next chunk must start; -1 before the first. */
  private next = -1;
  /** An odd trailing byte of a UTF-16 chunk, waiting for its partner. */
  private carry: Buffer | undefined;
  /** The first bytes at offset 0 while they might still be the start of a BOM. */
  private sniff: Buffer | undefined;
  /** The current chunk's bytes decoded a run of whole lines at a time (`utf8Line`). */
  private run: DecodedRun | undefined;
  /** Truncating the current line: bytes after the first maxLineBytes are dropped. */
  private truncating = false;
  private dropped = 0;
  /** Parts already emitted for the current (split) line. */
  private part = 0;
  private complete: number;

  constructor(options: Partial<LineSplitterOptions> = {}, startOffset = 0) {
    this.options = { ...LINE_SPLITTER_DEFAULTS, ...options };
    if (!(this.options.maxLineBytes >= 4)) throw new Error('maxLineBytes must be at least 4');
    const configured = this.options.encoding;
    const bom = this.options.head ? detectBom(this.options.head) : undefined;
    if (configured === 'auto') this.encoding = bom?.encoding ?? (this.options.head ? 'utf8' : undefined);
    else this.encoding = configured;
    this.lineStart = startOffset;
    this.complete = startOffset;
  }

  /** The encoding in use; undefined until the first bytes at offset 0 were seen in `auto` mode. */
  get detectedEncoding(): Exclude<Encoding, 'auto'> | undefined {
    return this.encoding;
  }

  /** Offset just past the last complete line handed out: a safe place to resume reading. */
  get completeOffset(): number {
    return this.complete;
  }

  /** Bytes held for a line whose newline has not arrived yet. */
  get pendingBytes(): number {
    return this.pendingLen + this.dropped + (this.carry?.length ?? 0) + (this.sniff?.length ?? 0);
  }

  /** Feeds one chunk read at file offset `offset`; returns the lines it completed. */
  push(chunk: Buffer, offset: number): Line[] {
    const out: Line[] = [];
    if (this.next !== -1 && offset !== this.next) {
      // The caller seeked (truncation, reopen): what was held cannot be finished.
      this.stats.discontinuities++;
      this.stats.discardedBytes += this.pendingBytes;
      this.resetLine(offset);
      this.carry = undefined;
      this.sniff = undefined;
      this.complete = offset;
    } else if (this.next === -1 && offset !== this.lineStart) {
      this.resetLine(offset);
      this.complete = offset;
    }
    this.next = offset + chunk.length;
    let buf = chunk;
    let base = offset;
    let pos = 0;
    if (this.sniff !== undefined) {
      buf = Buffer.concat([this.sniff, chunk]);
      base = 0;
      this.sniff = undefined;
    }
    if (base === 0 && this.lineStart === 0 && this.pendingLen === 0) {
      // Too few bytes to tell a BOM yet: wait for more (a 1-byte first read is legal).
      if (buf.length < 3 && BOMS.some((b) => b.subarray(0, buf.length).equals(buf))) {
        this.sniff = Buffer.from(buf);
        return out;
      }
      const bom = detectBom(buf);
      if (this.options.encoding === 'auto') this.encoding = bom?.encoding ?? 'utf8';
      if (bom !== undefined && bom.encoding === this.encoding) {
        pos = bom.length;
        this.lineStart = bom.length;
        this.complete = bom.length;
      }
    }
    this.encoding ??= 'utf8';
    const wide = this.encoding !== 'utf8';
    if (wide) {
      if (this.carry !== undefined) {
        buf = Buffer.concat([this.carry, buf]);
        base -= this.carry.length;
        this.carry = undefined;
      }
      if ((buf.length - pos) % 2 === 1) {
        this.carry = Buffer.from(buf.subarray(buf.length - 1));
        buf = buf.subarray(0, buf.length - 1);
      }
    }
    while (pos < buf.length) {
      const nl = wide ? this.findWideNewline(buf, pos) : buf.indexOf(10, pos);
      if (nl === -1) {
        this.hold(buf, pos, buf.length, out);
        break;
      }
      const termLen = wide ? 2 : 1;
      this.finishLine(buf, pos, nl, base + nl + termLen, out);
      pos = nl + termLen;
    }
    // A run is this chunk's: the caller may read the next one into the same Buffer.
    this.run = undefined;
    return out;
  }

  /**
   * Emits the held partial line as a line of its own. Call it when no more bytes will come for it:
   * stdin closed, or a rotated file fully read. Returns [] when nothing is held.
   */
  flush(): Line[] {
    const out: Line[] = [];
    if (this.sniff !== undefined) {
      this.encoding ??= 'utf8';
      this.hold(this.sniff, 0, this.sniff.length, out);
      this.sniff = undefined;
    }
    if (this.carry !== undefined) {
      this.hold(this.carry, 0, this.carry.length, out);
      this.carry = undefined;
    }
    if (this.pendingLen === 0 && this.dropped === 0) return out;
    const end = this.lineStart + this.pendingLen + this.dropped;
    this.emit(Buffer.concat(this.pending, this.pendingLen), end, out);
    return out;
  }

  private findWideNewline(buf: Buffer, from: number): number {
    const le = this.encoding === 'utf16le';
    let i = buf.indexOf(10, from);
    while (i !== -1) {
      const rel = i - from;
      if (le) {
        if (rel % 2 === 0 && buf[i + 1] === 0) return i;
      } else if (rel % 2 === 1 && buf[i - 1] === 0) {
        return i - 1;
      }
      i = buf.indexOf(10, i + 1);
    }
    return -1;
  }

  /** Adds bytes [from, to) of buf to the current line, splitting or truncating past the maximum. */
  private hold(buf: Buffer, from: number, to: number, out: Line[]): void {
    if (this.truncating) {
      this.dropped += to - from;
      return;
    }
    const max = this.options.maxLineBytes;
    while (this.pendingLen + (to - from) > max) {
      if (this.part === 0 && !this.truncating) this.stats.longLines++;
      const take = max - this.pendingLen;
      if (this.options.onLongLine === 'truncate') {
        this.pending.push(Buffer.from(buf.subarray(from, from + take)));
        this.pendingLen += take;
        this.truncating = true;
        this.dropped += to - from - take;
        return;
      }
      const piece = Buffer.concat([...this.pending, buf.subarray(from, from + take)], max);
      const cut = this.boundary(piece, max);
      this.part++;
      this.stats.splitParts++;
      const line = this.makeLine(piece.subarray(0, cut), this.lineStart, this.lineStart + cut);
      line.attributes = { [LINE_PART_ATTRIBUTE]: String(this.part) };
      out.push(line);
      this.complete = this.lineStart + cut;
      this.lineStart += cut;
      const rest = piece.subarray(cut);
      this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      this.pendingLen = rest.length;
      from += take;
    }
    if (to > from) {
      this.pending.push(Buffer.from(buf.subarray(from, to)));
      this.pendingLen += to - from;
    }
  }

  /** Completes the current line with bytes [from, nl) of buf; `end` is the offset after the terminator. */
  private finishLine(buf: Buffer, from: number, nl: number, end: number, out: Line[]): void {
    if (this.pendingLen === 0 && !this.truncating && nl - from <= this.options.maxLineBytes) {
      // The common case: the whole line sits inside this chunk.
      out.push(this.encoding === 'utf8' ? this.utf8Line(buf, from, nl, this.lineStart, end) : this.makeLine(buf.subarray(from, nl), this.lineStart, end));
      this.afterLine(end);
      return;
    }
    this.hold(buf, from, nl, out);
    this.emit(this.pendingLen === 0 ? Buffer.alloc(0) : Buffer.concat(this.pending, this.pendingLen), end, out);
  }

  private emit(bytes: Buffer, end: number, out: Line[]): void {
    const text = this.truncating ? bytes.subarray(0, this.boundary(bytes, bytes.length)) : bytes;
    // A split line whose last part is empty (the newline right after a part) is not worth a record.
    if (!(this.part > 0 && bytes.length === 0)) {
      const line = this.makeLine(text, this.lineStart, end);
      if (this.truncating) {
        line.attributes = { [LINE_TRUNCATED_ATTRIBUTE]: String(this.dropped + bytes.length - text.length) };
        this.stats.truncatedBytes += this.dropped + bytes.length - text.length;
      } else if (this.part > 0) {
        this.part++;
        this.stats.splitParts++;
        line.attributes = { [LINE_PART_ATTRIBUTE]: String(this.part) };
      }
      out.push(line);
    }
    this.afterLine(end);
  }

  private afterLine(end: number): void {
    this.complete = end;
    this.resetLine(end);
  }

  private resetLine(start: number): void {
    // Most lines never held a piece: their empty array is kept, not replaced by another per line.
    if (this.pending.length !== 0) this.pending = [];
    this.pendingLen = 0;
    this.lineStart = start;
    this.truncating = false;
    this.dropped = 0;
    this.part = 0;
  }

  /** The largest cut <= max that does not end inside a character (0 only if max is 0). */
  private boundary(bytes: Buffer, max: number): number {
    let cut = Math.min(max, bytes.length);
    if (this.encoding === 'utf16le' || this.encoding === 'utf16be') {
      cut -= cut % 2;
      const hi = this.encoding === 'utf16le' ? bytes[cut - 1] : bytes[cut - 2];
      if (cut > 2 && hi !== undefined && hi >= 0xd8 && hi <= 0xdb) cut -= 2;
      return cut;
    }
    // Find the lead byte of the last character and check that all of it is before the cut.
    let i = cut - 1;
    while (i > 0 && i > cut - 4 && (bytes[i]! & 0xc0) === 0x80) i--;
    const lead = bytes[i] ?? 0;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return i + need <= cut || i === 0 ? cut : i;
  }

  /** makeLine for UTF-8 bytes [from, to) of buf, decoded in place: no Buffer view made per line. */
  private utf8Line(buf: Buffer, from: number, to: number, start: number, end: number): Line {
    let run = this.run;
    if (run === undefined || run.buf !== buf || from < run.from || to > run.to) {
      // Whole lines up to about DECODE_RUN_BYTES (ending after a newline, so no character is cut),
      // decoded at once: a call and a string per run, not per line. A longer line is decoded alone.
      const last = to - from < DECODE_RUN_BYTES ? buf.lastIndexOf(10, Math.min(buf.length, from + DECODE_RUN_BYTES) - 1) : -1;
      if (last < to) run = undefined;
      else {
        const text = buf.toString('utf8', from, last + 1);
        // UTF-8 never makes more characters than bytes: equal lengths mean each byte is one character
        // (ASCII, or a stray byte made U+FFFD), so a line's bytes decode to its slice of the run.
        const oneByte = text.length === last + 1 - from;
        run = { buf, from, to: last + 1, text, oneByte, replacement: oneByte && text.includes('\uFFFD') };
      }
      this.run = run;
    }
    let text: string;
    let replacement: boolean;
    if (run?.oneByte) {
      text = run.text.slice(from - run.from, to - run.from);
      replacement = run.replacement && text.includes('\uFFFD');
    } else {
      text = buf.toString('utf8', from, to);
      replacement = text.includes('\uFFFD');
    }
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    this.stats.lines++;
    if (replacement) this.stats.linesWithReplacement++;
    return { text, start, end };
  }

  private makeLine(bytes: Buffer, start: number, end: number): Line {
    let text: string;
    if (this.encoding === 'utf16le' || this.encoding === 'utf16be') {
      let b = bytes;
      if (this.encoding === 'utf16be') {
        b = Buffer.from(bytes.subarray(0, bytes.length & ~1));
        b.swap16();
      }
      text = b.toString('utf16le');
      if (bytes.length % 2 === 1) text += '\uFFFD';
      text = text.replace(LONE_SURROGATE, '\uFFFD');
    } else {
      text = bytes.toString('utf8');
    }
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    this.stats.lines++;
    if (text.includes('\uFFFD')) this.stats.linesWithReplacement++;
    return { text, start, end };
  }
}
