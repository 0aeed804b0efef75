/**
 * MessagePack (github.com/msgpack/msgpack/blob/master/spec.md), as much as an intake needs: a value's
 * length in a buffer without decoding it (so a TCP stream can be cut into whole values), a decoder
 * into plain JavaScript values, and the few shapes an intake writes back. Nothing here trusts a length
 * a sender wrote: every length is checked against the bytes there are, and nesting is bounded, so a
 * hostile value costs at most a pass over its own bytes.
 */
import { SHORT, shortString } from './recent-strings.ts';

/** An extension value (type -128..127 and its bytes), e.g. Fluentd's EventTime (type 0, 8 bytes). */
export class MsgpackExt {
  /** The bytes it was read from, and where its data sits in them (no Buffer made per value until `data` is asked for). */
  private readonly buf: Buffer;
  private readonly start: number;
  readonly length: number;

  constructor(
    readonly type: number,
    data: Buffer,
    start = 0,
    length = data.length - start,
  ) {
    this.buf = data;
    this.start = start;
    this.length = length;
  }

  get data(): Buffer {
    return this.start === 0 && this.length === this.buf.length ? this.buf : this.buf.subarray(this.start, this.start + this.length);
  }

  /** Fluentd's EventTime (type 0, 8 bytes: seconds and nanoseconds) in milliseconds; NaN for any other extension. */
  get eventTimeMs(): number {
    if (this.type !== 0 || this.length !== 8) return NaN;
    return this.buf.readUInt32BE(this.start) * 1000 + this.buf.readUInt32BE(this.start + 4) / 1e6;
  }
}

export type MsgpackValue = null | boolean | number | bigint | string | Buffer | MsgpackExt | MsgpackValue[] | { [key: string]: MsgpackValue };

/** A value that breaks the format where no more bytes could mend it: the stream cannot be read on. */
export class MsgpackError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
  }
}

/** Deeper nesting than any log event has; bounds the decoder's recursion. */
const MAX_DEPTH = 64;

/**
 * The byte length of the value starting at `pos`, or -1 when the buffer ends before it does. Walks
 * headers only: a string, binary or extension is skipped by its length, so a large payload costs one
 * step. Throws MsgpackError for the one byte the format leaves unused (0xc1) or nesting past 64.
 */
export function msgpackLength(buf: Buffer, pos: number): number {
  return new MsgpackScanner().length(buf, pos);
}

/**
 * `msgpackLength` that resumes: after -1 (the value not all there), the next call with the same
 * value's bytes grown (the same start) goes on from where the last one stopped, so a value arriving in
 * many pieces is walked once in all, not once per piece.
 */
export class MsgpackScanner {
  /** Bytes of the value walked so far, values still to walk at this level, and at each open level above. */
  private done = 0;
  private pending = 1;
  private levels: number[] = [];

  length(buf: Buffer, start: number): number {
    let pos = start + this.done;
    while (this.pending > 0) {
      if (pos >= buf.length) return this.stop(pos, start);
      const b = buf[pos]!;
      let items = 0;
      let size: number;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) size = 1;
      else if (b === 0xc1) throw new MsgpackError('0xc1 is not a MessagePack value', pos);
      else if (b >= 0xa0 && b <= 0xbf) size = 1 + (b & 0x1f);
      else if (b >= 0x90 && b <= 0x9f) {
        size = 1;
        items = b & 0x0f;
      } else if (b >= 0x80 && b <= 0x8f) {
        size = 1;
        items = (b & 0x0f) * 2;
      } else {
        const head = HEADER_BYTES[b - 0xc4]!;
        if (pos + head > buf.length) return this.stop(pos, start);
        size = head;
        switch (b) {
          case 0xc4: case 0xd9: size += buf[pos + 1]!; break;
          case 0xc5: case 0xda: size += buf.readUInt16BE(pos + 1); break;
          case 0xc6: case 0xdb: size += buf.readUInt32BE(pos + 1); break;
          case 0xc7: size += buf[pos + 1]!; break;
          case 0xc8: size += buf.readUInt16BE(pos + 1); break;
          case 0xc9: size += buf.readUInt32BE(pos + 1); break;
          case 0xdc: items = buf.readUInt16BE(pos + 1); break;
          case 0xdd: items = buf.readUInt32BE(pos + 1); break;
          case 0xde: items = buf.readUInt16BE(pos + 1) * 2; break;
          case 0xdf: items = buf.readUInt32BE(pos + 1) * 2; break;
        }
      }
      // A string, binary or extension not all there: wait for it without taking its header.
      if (items === 0 && pos + size > buf.length) return this.stop(pos, start);
      pos += size;
      this.pending--;
      if (items > 0) {
        if (this.levels.length >= MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`, pos);
        this.levels.push(this.pending);
        this.pending = items;
      }
      while (this.pending === 0 && this.levels.length > 0) this.pending = this.levels.pop()!;
    }
    const length = pos - start;
    this.reset();
    return length;
  }

  /** Forgets a value walked in part (the connection moved past it, or closed). */
  reset(): void {
    this.done = 0;
    this.pending = 1;
    this.levels.length = 0;
  }

  private stop(pos: number, start: number): number {
    this.done = pos - start;
    return -1;
  }
}

/** Bytes of the header byte and its fixed part, for 0xc4..0xdf (bin/ext/float/int/fixext/str/array/map). */
const HEADER_BYTES = [
  2, 3, 5, // bin 8/16/32: type, length
  3, 4, 6, // ext 8/16/32: type, length, ext type
  5, 9, // float 32/64
  2, 3, 5, 9, // uint 8..64
  2, 3, 5, 9, // int 8..64
  3, 4, 6, 10, 18, // fixext 1/2/4/8/16: type, ext type, data
  2, 3, 5, // str 8/16/32
  3, 5, 3, 5, // array 16/32, map 16/32
];

/** Decodes the one whole value at `buf[pos..end)`; `msgpackLength` found where it ends. */
export function decodeMsgpack(buf: Buffer, pos = 0, end = buf.length): MsgpackValue {
  const r = new Reader(buf, pos, end);
  const v = r.value(0);
  if (r.pos !== end) throw new MsgpackError(`${end - r.pos} bytes after the value`, r.pos);
  return v;
}

/**
 * `decodeMsgpack`, except that when the value is an array, its item `raw` is kept as its bytes if it is
 * a string or binary (Fluentd's PackedForward entries, which older senders write as a string: decoding
 * them as UTF-8 text would break the values inside).
 */
export function decodeMsgpackRawItem(buf: Buffer, start: number, end: number, raw: number): MsgpackValue {
  const r = new Reader(buf, start, end);
  const v = r.rawItemArray(raw);
  if (r.pos !== end) throw new MsgpackError(`${end - r.pos} bytes after the value`, r.pos);
  return v;
}

/** Values back to back in `buf` (Fluentd's PackedForward entries): each decoded, in order. */
export function decodeMsgpackStream(buf: Buffer): MsgpackValue[] {
  const out: MsgpackValue[] = [];
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < buf.length) out.push(r.value(0));
  return out;
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.end) throw new MsgpackError(`a value needs ${n} bytes, ${this.end - this.pos} left`, this.pos);
  }

  value(depth: number): MsgpackValue {
    if (depth > MAX_DEPTH) throw new MsgpackError(`nesting deeper than ${MAX_DEPTH}`, this.pos);
    this.need(1);
    const buf = this.buf;
    const b = buf[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    const at = this.pos;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: this.need(1); return this.bin(buf[this.pos++]!);
      case 0xc5: this.need(2); this.pos += 2; return this.bin(buf.readUInt16BE(at));
      case 0xc6: this.need(4); this.pos += 4; return this.bin(buf.readUInt32BE(at));
      case 0xc7: this.need(1); this.pos += 1; return this.ext(buf[at]!);
      case 0xc8: this.need(2); this.pos += 2; return this.ext(buf.readUInt16BE(at));
      case 0xc9: this.need(4); this.pos += 4; return this.ext(buf.readUInt32BE(at));
      case 0xca: this.need(4); this.pos += 4; return buf.readFloatBE(at);
      case 0xcb: this.need(8); this.pos += 8; return buf.readDoubleBE(at);
      case 0xcc: this.need(1); this.pos += 1; return buf[at]!;
      case 0xcd: this.need(2); this.pos += 2; return buf.readUInt16BE(at);
      case 0xce: this.need(4); this.pos += 4; return buf.readUInt32BE(at);
      case 0xcf: this.need(8); this.pos += 8; return safe(buf.readBigUInt64BE(at));
      case 0xd0: this.need(1); this.pos += 1; return buf.readInt8(at);
      case 0xd1: this.need(2); this.pos += 2; return buf.readInt16BE(at);
      case 0xd2: this.need(4); this.pos += 4; return buf.readInt32BE(at);
      case 0xd3: this.need(8); this.pos += 8; return safe(buf.readBigInt64BE(at));
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: this.need(1); this.pos += 1; return this.str(buf[at]!);
      case 0xda: this.need(2); this.pos += 2; return this.str(buf.readUInt16BE(at));
      case 0xdb: this.need(4); this.pos += 4; return this.str(buf.readUInt32BE(at));
      case 0xdc: this.need(2); this.pos += 2; return this.array(buf.readUInt16BE(at), depth);
      case 0xdd: this.need(4); this.pos += 4; return this.array(buf.readUInt32BE(at), depth);
      case 0xde: this.need(2); this.pos += 2; return this.map(buf.readUInt16BE(at), depth);
      case 0xdf: this.need(4); this.pos += 4; return this.map(buf.readUInt32BE(at), depth);
      default: throw new MsgpackError('0xc1 is not a MessagePack value', at - 1);
    }
  }

  rawItemArray(raw: number): MsgpackValue {
    this.need(1);
    const b = this.buf[this.pos]!;
    const n = b >= 0x90 && b <= 0x9f ? b & 0x0f : -1;
    if (n <= raw) return this.value(0);
    this.pos++;
    const out = new Array<MsgpackValue>(n);
    for (let i = 0; i < n; i++) out[i] = i === raw ? this.rawBytes() ?? this.value(1) : this.value(1);
    return out;
  }

  /** The payload of a string or binary value here (read past), or undefined (nothing read) for other types. */
  private rawBytes(): Buffer | undefined {
    this.need(1);
    const b = this.buf[this.pos]!;
    const head = b >= 0xa0 && b <= 0xbf ? 1 : b === 0xc4 || b === 0xd9 ? 2 : b === 0xc5 || b === 0xda ? 3 : b === 0xc6 || b === 0xdb ? 5 : 0;
    if (head === 0) return undefined;
    this.need(head);
    const n = head === 1 ? b & 0x1f : head === 2 ? this.buf[this.pos + 1]! : head === 3 ? this.buf.readUInt16BE(this.pos + 1) : this.buf.readUInt32BE(this.pos + 1);
    this.pos += head;
    return this.bin(n);
  }

  private str(n: number): string {
    this.need(n);
    const s = n <= SHORT ? shortString(this.buf, this.pos, n) : this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bin(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private ext(n: number): MsgpackExt {
    this.need(1 + n);
    const type = this.buf.readInt8(this.pos);
    const ext = new MsgpackExt(type, this.buf, this.pos + 1, n);
    this.pos += 1 + n;
    return ext;
  }

  private array(n: number, depth: number): MsgpackValue[] {
    // Each item takes a byte at least: a count past the bytes left is refused before any allocation.
    this.need(n);
    const out = new Array<MsgpackValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): { [key: string]: MsgpackValue } {
    this.need(2 * n);
    const out: { [key: string]: MsgpackValue } = {};
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      const key = typeof k === 'string' ? k : Buffer.isBuffer(k) ? k.toString('utf8') : String(k);
      const v = this.value(depth + 1);
      // A sender's `__proto__` is a key like any other, not the map's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }
}

/** A 64-bit integer as a number when it is one exactly, else as a bigint. */
function safe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** What an intake writes back (acks, a handshake's HELO and PONG): nulls, booleans, small unsigned integers, strings, bytes, and short arrays and maps of them. */
export type MsgpackReply = null | boolean | number | string | Buffer | readonly MsgpackReply[] | { readonly [key: string]: MsgpackReply };

/** A reply encoded (`MsgpackReply`); bytes as binary, strings as strings. */
export function encodeMsgpack(value: MsgpackReply): Buffer {
  const parts: Buffer[] = [];
  const write = (v: unknown): void => {
    if (v === null) parts.push(Buffer.from([0xc0]));
    else if (typeof v === 'boolean') parts.push(Buffer.from([v ? 0xc3 : 0xc2]));
    else if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`encodeMsgpack writes unsigned 32-bit integers only, not ${v}`);
      const b = Buffer.alloc(5);
      b[0] = 0xce;
      b.writeUInt32BE(v, 1);
      parts.push(b);
    } else if (typeof v === 'string') {
      const s = Buffer.from(v, 'utf8');
      if (s.length < 32) parts.push(Buffer.from([0xa0 | s.length]));
      else if (s.length < 0x100) parts.push(Buffer.from([0xd9, s.length]));
      else if (s.length < 0x10000) parts.push(Buffer.from([0xda, s.length >> 8, s.length & 0xff]));
      else {
        const h = Buffer.alloc(5);
        h[0] = 0xdb;
        h.writeUInt32BE(s.length, 1);
        parts.push(h);
      }
      parts.push(s);
    } else if (Buffer.isBuffer(v)) {
      const h = Buffer.alloc(5);
      h[0] = 0xc6;
      h.writeUInt32BE(v.length, 1);
      parts.push(h, v);
    } else if (Array.isArray(v)) {
      if (v.length >= 16) throw new RangeError('encodeMsgpack writes arrays of at most 15 items');
      parts.push(Buffer.from([0x90 | v.length]));
      for (const x of v) write(x);
    } else {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length >= 16) throw new RangeError('encodeMsgpack writes maps of at most 15 entries');
      parts.push(Buffer.from([0x80 | entries.length]));
      for (const [k, x] of entries) {
        write(k);
        write(x);
      }
    }
  };
  write(value);
  return Buffer.concat(parts);
}
