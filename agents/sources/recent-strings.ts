/**
 * Short strings of a wire format made once: label names and values, map keys, a container's name repeat
 * from record to record, and a table of recent ones hands back the same string for the same bytes (no new
 * string, less for the garbage collector). Shared by the binary intakes (msgpack.ts, remote-write-wire.ts).
 */

/** Strings this short (map keys, and values such as a container's name, that repeat from record to record) are looked up before being made. */
export const SHORT = 64;
const RECENT = new Array<string | undefined>(4096);

/**
 * A short string's text, the same string as last time when the same ASCII bytes came before (most keys
 * and many values repeat in every record): no new string, less for the garbage collector. Bytes
 * outside ASCII are decoded as UTF-8 and not kept.
 */
export function shortString(buf: Buffer, pos: number, n: number): string {
  let h = n;
  for (let i = pos; i < pos + n; i++) {
    const c = buf[i]!;
    if (c > 0x7f) return buf.toString('utf8', pos, pos + n);
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = h & 4095;
  const known = RECENT[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known.charCodeAt(i) === buf[pos + i]) i++;
    if (i === n) return known;
  }
  const s = buf.toString('latin1', pos, pos + n);
  RECENT[slot] = s;
  return s;
}
