/**
 * GELF over the network, as Docker's `gelf` log driver and Graylog's libraries send it (Graylog's
 * "GELF via UDP" and "GELF via TCP"): a UDP datagram holds a message, gzip- or zlib-compressed or plain,
 * or a chunk of one (magic bytes 0x1e 0x0f, an 8-byte message id, the chunk's number and the count, at
 * most 128); chunks of a message are joined once all arrived, in any order, and a message still
 * missing chunks after 5 s is dropped and counted (`incomplete`), as Graylog does. Over TCP messages
 * are plain and end with a NUL byte (a line feed ends one too). The JSON is read by the source's
 * parser, `json` by default, which knows GELF's fields (parsers/gelf.ts).
 *
 * Bounds: a message (joined, and after decompression) of at most `maxBytes`, larger ones dropped and
 * counted (`too_large`); at most 1000 messages waiting for chunks. Chunk ids are per sender address.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { ListenerSource, listenerSourceDefinition, StreamFramer, type FramerStats, type IntakeOptions, type Protocol } from './listener.ts';

export const GELF_CHUNK_TIMEOUT_MS = 5000;
const MAX_CHUNKS = 128;
const MAX_PARTIAL_MESSAGES = 1000;

interface Partial {
  parts: Array<Buffer | undefined>;
  got: number;
  bytes: number;
  firstMs: number;
}

export interface GelfStats extends FramerStats {
  /** Datagrams that are no GELF: a short or inconsistent chunk header, data that does not decompress. */
  bad: number;
  /** Messages over the size bound (joined or decompressed). */
  too_large: number;
  /** Chunked messages dropped because chunks were still missing after the timeout (or too many waited). */
  incomplete: number;
}

function isZlib(buf: Buffer): boolean {
  // RFC 1950: deflate with a window of at most 32 KiB, and a header check that is a multiple of 31.
  return buf.length >= 2 && (buf[0]! & 0x0f) === 8 && (buf[0]! >> 4) <= 7 && ((buf[0]! << 8) | buf[1]!) % 31 === 0;
}

/** The GELF protocol for a ListenerSource. `now` is for tests of the chunk timeout. */
export function gelfProtocol(maxBytes: number, now: () => number = Date.now): Protocol & { stats: GelfStats; expire(): void } {
  const stats: GelfStats = { truncated: 0, incomplete: 0, bad: 0, too_large: 0 };
  const partials = new Map<string, Partial>();

  const decode = (payload: Buffer): string[] => {
    let text: Buffer = payload;
    try {
      if (payload[0] === 0x1f && payload[1] === 0x8b) text = gunzipSync(payload, { maxOutputLength: maxBytes });
      else if (isZlib(payload)) text = inflateSync(payload, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') stats.too_large++;
      else stats.bad++;
      return [];
    }
    if (text.length > maxBytes) {
      stats.too_large++;
      return [];
    }
    let end = text.length;
    while (end > 0 && (text[end - 1] === 0 || text[end - 1] === 10 || text[end - 1] === 13)) end--;
    return end === 0 ? [] : [text.toString('utf8', 0, end)];
  };

  const expire = (): void => {
    const cutoff = now() - GELF_CHUNK_TIMEOUT_MS;
    for (const [id, p] of partials) {
      if (p.firstMs > cutoff) continue;
      partials.delete(id);
      stats.incomplete++;
    }
  };
  const timer = setInterval(expire, 1000);
  timer.unref();

  return {
    kind: 'gelf',
    stats,
    expire,
    close: () => clearInterval(timer),
    framer: () => new StreamFramer(maxBytes, stats, { octetCounting: false }),
    datagram(buf, peer) {
      if (buf.length < 2 || buf[0] !== 0x1e || buf[1] !== 0x0f) return decode(buf);
      const seq = buf[10];
      const count = buf[11];
      if (buf.length < 12 || count === undefined || seq === undefined || count === 0 || count > MAX_CHUNKS || seq >= count) {
        stats.bad++;
        return [];
      }
      const id = `${peer}/${buf.toString('hex', 2, 10)}`;
      let p = partials.get(id);
      if (p === undefined) {
        if (partials.size >= MAX_PARTIAL_MESSAGES) {
          // The oldest waits longest for its missing chunks.
          partials.delete(partials.keys().next().value as string);
          stats.incomplete++;
        }
        partials.set(id, (p = { parts: new Array<Buffer | undefined>(count), got: 0, bytes: 0, firstMs: now() }));
      }
      if (p.parts.length !== count) {
        partials.delete(id);
        stats.bad++;
        return [];
      }
      if (p.parts[seq] !== undefined) return [];
      p.parts[seq] = buf.subarray(12);
      p.got++;
      p.bytes += buf.length - 12;
      if (p.bytes > maxBytes) {
        partials.delete(id);
        stats.too_large++;
        return [];
      }
      if (p.got < count) return [];
      partials.delete(id);
      return decode(Buffer.concat(p.parts as Buffer[]));
    },
  };
}

/** A GELF intake: one mode (UDP or TCP) on one address. */
export class GelfSource extends ListenerSource {
  constructor(name: string, o: IntakeOptions) {
    super(name, gelfProtocol(o.maxMessageBytes), { ...o, serviceFrom: o.serviceFromMessage ? 'container.name' : undefined });
  }
}

export const gelfSourceDefinition = listenerSourceDefinition(
  'gelf',
  'GELF pushed over UDP (chunked, gzip or zlib) or TCP (NUL-ended), as Docker\'s gelf log driver and Graylog\'s libraries send it.',
  12201,
  1024 * 1024,
  GelfSource,
);
