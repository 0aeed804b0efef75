/**
 * A snappy block of one literal: the simplest valid encoding of any bytes (no compression), for tests and
 * benches that send bytes of their choosing to the remote write intake. Test-side only: the agent decodes
 * snappy (agents/sources/snappy.ts) and never writes it.
 */
export function snappyLiteral(body: Buffer): Buffer {
  const head: number[] = [];
  for (let n = body.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      head.push(n);
      break;
    }
    head.push((n % 128) | 0x80);
  }
  // The literal's length - 1: in the tag below 60, else in the 1 to 3 bytes after tag 60, 61 or 62.
  const n = body.length - 1;
  if (n < 60) head.push(n << 2);
  else if (n < 1 << 8) head.push(60 << 2, n);
  else if (n < 1 << 16) head.push(61 << 2, n & 0xff, n >> 8);
  else head.push(62 << 2, n & 0xff, (n >> 8) & 0xff, n >> 16);
  return Buffer.concat([Buffer.from(head), body]);
}
