/**
 * Snappy's block format decoded (what Prometheus' remote write sends as `Content-Encoding: snappy`):
 * the decoded length as a varint, then literals and back-references. Every length and offset is checked
 * against the input and the output, so a truncated or forged body is refused with what was wrong and
 * where, never read or written out of bounds; the decoded length is checked against `maxBytes` before
 * anything is allocated.
 */

/** The decoded bytes, or why `input` is not a snappy block of at most `maxBytes`. */
export function snappyDecode(input: Uint8Array, maxBytes: number): Buffer | string {
  let at = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= input.length) return 'the snappy block ends inside its length';
    if (shift > 28) return 'the snappy block starts with a length of more than 32 bits';
    const b = input[at++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > maxBytes) return `the snappy block decodes to ${length} bytes, more than ${maxBytes}`;
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (at < input.length) {
    const tag = input[at++]!;
    const kind = tag & 3;
    if (kind === 0) {
      // A literal: its length - 1 in the tag's upper 6 bits, or (60..63) in the next 1..4 bytes.
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (at + bytes > input.length) return `the snappy block ends inside a literal's length (byte ${at})`;
        n = 0;
        for (let i = 0; i < bytes; i++) n += input[at + i]! * 2 ** (8 * i);
        at += bytes;
      }
      n += 1;
      if (at + n > input.length) return `a literal of ${n} bytes runs past the snappy block's end (byte ${at})`;
      if (o + n > length) return `a literal at byte ${at} writes past the ${length} bytes the block declares`;
      out.set(input.subarray(at, at + n), o);
      at += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (at >= input.length) return `the snappy block ends inside a copy (byte ${at})`;
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[at++]!;
    } else {
      const bytes = kind === 2 ? 2 : 4;
      if (at + bytes > input.length) return `the snappy block ends inside a copy (byte ${at})`;
      n = (tag >>> 2) + 1;
      offset = 0;
      for (let i = 0; i < bytes; i++) offset += input[at + i]! * 2 ** (8 * i);
      at += bytes;
    }
    if (offset === 0 || offset > o) return `a copy at byte ${at} refers ${offset} bytes back, before the start of the output (${o} bytes written)`;
    if (o + n > length) return `a copy at byte ${at} writes past the ${length} bytes the block declares`;
    if (offset >= n) {
      out.copyWithin(o, o - offset, o - offset + n);
      o += n;
    } else {
      // Overlapping (a run repeated): byte by byte, each reading what the copy itself just wrote.
      for (let i = 0; i < n; i++, o++) out[o] = out[o - offset]!;
    }
  }
  if (o !== length) return `the snappy block declares ${length} bytes but holds ${o}`;
  return out;
}
