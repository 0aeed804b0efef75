/**
 * Fluentd's Forward protocol (github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1), as
 * Docker's `fluentd` log driver, the fluent-logger libraries, Fluent Bit's and Fluentd's `forward`
 * outputs send it: MessagePack arrays over TCP, in any of the four modes, told apart by the second
 * element: Message `[tag, time, record, option]`, Forward `[tag, [[time, record], ...], option]`,
 * PackedForward `[tag, <entries back to back>, option]` and CompressedPackedForward (the same,
 * gzipped, `option.compressed: "gzip"`). A time is whole seconds or an EventTime (extension 0: seconds
 * and nanoseconds), or Fluent Bit's `[time, metadata]`; a `nil` between messages is a heartbeat.
 *
 * Each event becomes one line for the source's parser: its message field (`log` for Docker and Fluent
 * Bit's tail, else `message`, `msg`; `message_key` names others) with the record's other fields as
 * attributes (Docker's as OpenTelemetry's container names, Fluent Bit's `kubernetes` map as `k8s.*`),
 * or, without one, the record as a JSON line. The event's time is the record's time, as the wrapper's
 * time is for Docker's json-file lines. The tag is `fluent.tag`.
 *
 * Acknowledgements: a message with `option.chunk` is answered `{ack: chunk}` once every event of it is
 * durable (acknowledged by Kafka, or in the disk buffer), not when it arrived, so a sender that waits
 * for acks (Fluent Bit's `Require_ack_response`, Fluentd's `require_ack_response`, Docker's
 * `fluentd-request-ack`) resends what a crash lost. With `shared_key` the connection opens with the
 * protocol's handshake (HELO, PING, PONG; SHA-512 of salt, host name, nonce and key) and a sender that
 * does not prove the key is closed before anything of it is read.
 *
 * Docker cuts a line longer than 16 KiB into parts (`partial_message`, `partial_id`, `partial_ordinal`,
 * `partial_last`; before Docker 19.03, `partial_message` on every part but the last) and sends each as
 * its own event: the parts are held and joined into one line, which takes the first part's time and
 * the last one's fields. A part is acknowledged when it arrives (Docker's driver waits for each ack
 * before the next part, so holding it would stall the container): an agent that crashes mid-line
 * loses that line's earlier parts. A line still unfinished after `PARTIAL_WAIT_MS`, past `maxBytes`,
 * or when its connection ends is shipped as far as it came, marked `log.partial`.
 *
 * Bounds: a message of at most `maxBytes` (after decompression); a larger one, or bytes that are no
 * MessagePack, close the connection (nothing after them could be framed) and are counted (`too_large`,
 * `bad`); a well-framed message or entry that is not what the protocol says is counted (`bad`) and
 * shipped as a record of its JSON with the reason in `tributary.intake.error`, so nothing is lost.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { checkParsing, checkPort, claimAddress, bool, int, isLoopback, LISTEN_PATTERN, MiB, parserSchema, str, stringMap } from '../config-schema.ts';
import type { ParserConfig } from '../transforms/parsers/index.ts';
import { defineSource } from './definition.ts';
import { intakeOptions, ListenerSource, type Connection, type Framed, type Framer, type FramerStats, type IntakeOptions, type Protocol } from './listener.ts';
import { checkTls, resolveTlsPaths, tlsSchema, type TlsConfig } from './tls.ts';
import { decodeMsgpackRawItem, decodeMsgpackStream, encodeMsgpack, MsgpackExt, MsgpackScanner, type MsgpackValue } from './msgpack.ts';

export const FORWARD_PORT = 24224;
/** Message fields tried, in order, when the source names none (Docker and Fluent Bit's tail write `log`). */
export const FORWARD_MESSAGE_KEYS = ['log', 'message', 'msg'];

export interface ForwardStats extends FramerStats {
  /** Bytes that are no MessagePack (the connection closed), and messages or entries that are no Forward message or entry (kept as records of their JSON). */
  bad: number;
  /** Messages past `max_message_bytes`, as sent or decompressed (the connection is closed). */
  too_large: number;
  /** Events read. */
  events: number;
  /** `{ack}` answers written. */
  acks: number;
  /** Connections closed for a wrong or missing shared key. */
  auth_failed: number;
  /** Heartbeats (`nil`) received. */
  heartbeats: number;
  /** Parts of Docker's long lines received, lines joined from them, and lines shipped unfinished (marked log.partial). */
  partial_parts: number;
  partial_lines: number;
  partial_unfinished: number;
}

export interface ForwardOptions {
  maxBytes: number;
  /** Message fields to try, in order. */
  messageKeys: readonly string[];
  /** The shared key senders must prove, when set; the handshake then opens each connection. */
  sharedKey?: string;
  /** Our name in the handshake's PONG. */
  serverHostname?: string;
  /** How long a long line's parts wait for its last one (PARTIAL_WAIT_MS). */
  partialWaitMs?: number;
}

type Fields = { [key: string]: MsgpackValue };

const isMap = (v: MsgpackValue | undefined): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof MsgpackExt);

/** An event's time in milliseconds (with its fraction) from whole seconds, an EventTime or `[time, metadata]`; NaN when none. */
export function forwardTimeMs(t: MsgpackValue | undefined): number {
  if (typeof t === 'number') return Number.isFinite(t) && t >= 0 ? t * 1000 : NaN;
  if (t instanceof MsgpackExt) return t.eventTimeMs;
  if (Array.isArray(t)) return forwardTimeMs(t[0]);
  return NaN;
}

/** Docker's fluentd driver's fields (docs.docker.com, "Fluentd logging driver"), as OpenTelemetry names them. */
const DOCKER_FIELDS: Record<string, string> = {
  container_id: 'container.id',
  container_name: 'container.name',
  source: 'log.iostream',
  partial_message: 'log.partial',
  partial_id: 'docker.partial_id',
  partial_ordinal: 'docker.partial_ordinal',
  partial_last: 'docker.partial_last',
};

/** The fields Docker's driver adds to the parts of a long line, which a joined line no longer carries. */
const PARTIAL_FIELDS = ['partial_message', 'partial_id', 'partial_ordinal', 'partial_last'];

/** How long the parts of a line wait for its last part before they are shipped as they are. */
export const PARTIAL_WAIT_MS = 5000;
/** Lines being joined at once on one connection (Docker's driver has one per output stream under way). */
const MAX_PARTIALS = 64;

/** A long line's parts so far (`ForwardFramer.partial`). */
interface Partial {
  tag: string;
  key: string;
  parts: string[];
  bytes: number;
  /** The first part's time. */
  time: number;
  /** When its first part arrived (for PARTIAL_WAIT_MS). */
  since: number;
  /** The last part's record. */
  record: Fields;
}

/** Fluent Bit's kubernetes filter's fields, as OpenTelemetry names them (labels and annotations below). */
const KUBERNETES_FIELDS: Record<string, string> = {
  pod_name: 'k8s.pod.name',
  namespace_name: 'k8s.namespace.name',
  pod_id: 'k8s.pod.uid',
  container_name: 'k8s.container.name',
  container_image: 'container.image.name',
  container_image_id: 'container.image.id',
  container_hash: 'container.image.id',
  docker_id: 'container.id',
  host: 'k8s.node.name',
};

/** A field's value as attribute text. */
function text(v: MsgpackValue): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof MsgpackExt) return v.type === 0 && v.length === 8 ? new Date(v.eventTimeMs).toISOString() : `ext${v.type}:${v.data.toString('hex')}`;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v, jsonValue);
  return String(v);
}

/** JSON.stringify's replacer for decoded values: bytes as text, 64-bit integers as digits, EventTimes as times. */
function jsonValue(this: unknown, _key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof MsgpackExt) return text(v);
  // Buffer.toJSON has run by now: {type: 'Buffer', data: [...]}.
  if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString('utf8');
  return v;
}

/** `jsonValue`, but bytes as `base64:...`: a value kept because it was not understood is kept whole. */
function keptValue(this: unknown, key: string, v: unknown): unknown {
  if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return `base64:${Buffer.from((v as { data: number[] }).data).toString('base64')}`;
  return jsonValue.call(this, key, v);
}

/** Nested maps as dotted names (`kubernetes.labels.app`), Docker's and Kubernetes' fields renamed. */
function flatten(fields: Fields, skip: string | undefined, out: Record<string, string>): void {
  const docker = typeof fields.container_id === 'string' && typeof fields.source === 'string';
  for (const key of Object.keys(fields)) {
    if (key === skip) continue;
    const v = fields[key]!;
    if (v === null) continue;
    if (key === 'kubernetes' && isMap(v)) {
      kubernetes(v, out);
      continue;
    }
    if (docker && DOCKER_FIELDS[key] !== undefined) {
      const t = text(v);
      // Docker names containers with a leading slash (`/web`).
      out[DOCKER_FIELDS[key]!] = key === 'container_name' && t.startsWith('/') ? t.slice(1) : t;
      continue;
    }
    if (isMap(v)) nested(key, v, out, 1);
    else out[key] = text(v);
  }
}

function nested(prefix: string, v: Fields, out: Record<string, string>, depth: number): void {
  for (const k of Object.keys(v)) {
    const x = v[k]!;
    if (x === null) continue;
    if (isMap(x) && depth < 8) nested(`${prefix}.${k}`, x, out, depth + 1);
    else out[`${prefix}.${k}`] = text(x);
  }
}

function kubernetes(k: Fields, out: Record<string, string>): void {
  for (const key of Object.keys(k)) {
    const v = k[key]!;
    if (v === null) continue;
    if ((key === 'labels' || key === 'annotations') && isMap(v)) {
      const kind = key === 'labels' ? 'label' : 'annotation';
      for (const name of Object.keys(v)) if (v[name] !== null) out[`k8s.pod.${kind}.${name}`] = text(v[name]!);
    } else if (KUBERNETES_FIELDS[key] !== undefined) {
      out[KUBERNETES_FIELDS[key]!] = text(v);
    } else if (isMap(v)) {
      nested(`kubernetes.${key}`, v, out, 1);
    } else {
      out[`kubernetes.${key}`] = text(v);
    }
  }
}

/** The record's message field: the first of `keys` that holds text. */
function messageKey(record: Fields, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = record[k];
    if (typeof v === 'string' || Buffer.isBuffer(v)) return k;
  }
  return undefined;
}

function eventText(record: Fields, key: string | undefined): string {
  if (key === undefined) return JSON.stringify(record, jsonValue);
  return trimEnd(text(record[key]!));
}

/** Docker drops the line's end; a library's caller may not. */
function trimEnd(line: string): string {
  return line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line;
}

/** A record without Docker's partial fields. */
function withoutPartial(record: Fields): Fields {
  const out: Fields = {};
  for (const k of Object.keys(record)) if (!PARTIAL_FIELDS.includes(k)) out[k] = record[k]!;
  return out;
}

function eventAttributes(tag: string, record: Fields, key: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = { 'fluent.tag': tag };
  if (key !== undefined) flatten(record, key, attributes);
  return attributes;
}

/**
 * Whether `record` has the same fields as `last` besides the message field, each the same string (the
 * decoder hands out the same string for the same short text) or number: then its attributes are the
 * last record's. Nested maps are never the same object, so records with them are worked out each time.
 */
function sameFields(record: Fields, last: Fields, key: string): boolean {
  let n = 0;
  for (const k in record) {
    n++;
    if (k === key) continue;
    const v = record[k];
    if (v !== last[k] || (typeof v === 'object' && v !== null)) return false;
  }
  let m = 0;
  for (const _ in last) m++;
  return n === m;
}

/** A Forward connection's state: the handshake, then messages. */
class ForwardFramer implements Framer {
  private buf: Buffer = Buffer.alloc(0);
  /** Walks the message at the buffer's start, resuming as its bytes arrive. */
  private readonly scanner = new MsgpackScanner();
  private nonce?: Buffer;
  private closed = false;
  /** The last event's tag, message field, record and attributes. */
  private last?: { tag: string; key: string; record: Fields; attributes: Record<string, string> };
  /** Docker's long lines being joined, by their partial_id (or, from a Docker before 19.03, their stream). */
  private readonly partials = new Map<string, Partial>();

  constructor(
    private readonly o: ForwardOptions,
    private readonly stats: ForwardStats,
    private readonly conn: Connection,
  ) {
    if (o.sharedKey !== undefined) {
      this.nonce = randomBytes(16);
      // auth: a salt for user names and passwords, which this intake does not take (empty: none asked).
      conn.write(encodeMsgpack(['HELO', { nonce: this.nonce, auth: Buffer.alloc(0), keepalive: true }]));
    }
  }

  push(chunk: Buffer): Framed {
    const out: Framed = { texts: [], times: [], attributes: [], replies: [] };
    if (this.closed) return out;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    while (pos < this.buf.length && !this.closed) {
      let len: number;
      try {
        len = this.scanner.length(this.buf, pos);
      } catch (err) {
        this.fail('bad', err as Error);
        break;
      }
      if (len === -1) {
        if (this.buf.length - pos > this.o.maxBytes) this.fail('too_large', new Error(`a message of more than ${this.o.maxBytes} bytes`));
        break;
      }
      if (len > this.o.maxBytes) {
        this.fail('too_large', new Error(`a message of ${len} bytes, more than ${this.o.maxBytes}`));
        break;
      }
      this.message(this.buf, pos, pos + len, out);
      pos += len;
    }
    if (this.closed) this.buf = Buffer.alloc(0);
    else if (pos > 0) {
      const rest = this.buf.length - pos;
      // Copied when small, so that a kept tail does not hold a large chunk alive.
      this.buf = rest === 0 ? Buffer.alloc(0) : rest < 4096 ? Buffer.from(this.buf.subarray(pos)) : this.buf.subarray(pos);
    }
    return out;
  }

  end(): Framed {
    if (this.buf.length > 0 && !this.closed) this.stats.incomplete++;
    this.buf = Buffer.alloc(0);
    const out: Framed = { texts: [], times: [], attributes: [] };
    for (const id of [...this.partials.keys()]) this.letGo(id, out);
    this.stats.events += out.texts.length;
    return out;
  }

  tick(now: number): Framed | undefined {
    if (this.partials.size === 0) return undefined;
    let out: Framed | undefined;
    for (const [id, p] of this.partials) {
      if (now - p.since < (this.o.partialWaitMs ?? PARTIAL_WAIT_MS)) continue;
      out ??= { texts: [], times: [], attributes: [] };
      this.letGo(id, out);
    }
    if (out) this.stats.events += out.texts.length;
    return out;
  }

  private fail(what: 'bad' | 'too_large' | 'auth_failed', err: Error): void {
    this.stats[what]++;
    this.closed = true;
    this.conn.close(what === 'auth_failed' ? err.message : `${what === 'bad' ? 'bytes that are no Forward message' : 'a message too large'} (${err.message}); the connection is closed`);
  }

  private message(buf: Buffer, start: number, end: number, out: Framed): void {
    let v: MsgpackValue;
    try {
      // PackedForward's entries (item 1) as their bytes.
      v = decodeMsgpackRawItem(buf, start, end, 1);
    } catch (err) {
      // Framed, so the stream can go on past it.
      this.stats.bad++;
      this.conn.warn(`a message that does not decode (${(err as Error).message}) was skipped`);
      return;
    }
    if (v === null) {
      this.stats.heartbeats++;
      return;
    }
    if (this.nonce !== undefined) {
      this.ping(v);
      return;
    }
    if (!Array.isArray(v) || v.length < 2 || v.length > 4 || (typeof v[0] !== 'string' && !Buffer.isBuffer(v[0]))) {
      this.kept(undefined, v, 'a message that is not an array of a tag and events', out);
      return;
    }
    const tag = text(v[0]);
    const second = v[1];
    let option: MsgpackValue | undefined;
    const before = out.texts.length;
    if (Array.isArray(second)) {
      // Forward: [tag, [[time, record], ...], option]
      option = v[2];
      for (const entry of second) this.entry(tag, entry, out);
    } else if (typeof second === 'string' || Buffer.isBuffer(second)) {
      // PackedForward, or CompressedPackedForward: entries back to back, gzipped when the option says so.
      option = v[2];
      let bytes = typeof second === 'string' ? Buffer.from(second, 'utf8') : second;
      const compressed = isMap(option) ? option.compressed : undefined;
      if (compressed === 'gzip') {
        try {
          bytes = gunzipSync(bytes, { maxOutputLength: this.o.maxBytes });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') this.stats.too_large++;
          else this.stats.bad++;
          this.conn.warn(`a compressed message was skipped: ${(err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `more than ${this.o.maxBytes} bytes decompressed` : (err as Error).message}`);
          return;
        }
      } else if (compressed !== undefined && compressed !== 'text') {
        this.kept(tag, v, `a message compressed with ${text(compressed)}, which is not gzip`, out);
        return;
      }
      let entries: MsgpackValue[];
      try {
        entries = decodeMsgpackStream(bytes);
      } catch (err) {
        this.kept(tag, v, `a message whose entries do not decode (${(err as Error).message})`, out);
        return;
      }
      for (const entry of entries) this.entry(tag, entry, out);
    } else {
      // Message: [tag, time, record, option]
      option = v[3];
      this.entry(tag, [second, v[2]], out);
    }
    this.stats.events += out.texts.length - before;
    if (isMap(option) && option.chunk !== undefined && option.chunk !== null) {
      out.replies!.push(encodeMsgpack({ ack: text(option.chunk) }));
      this.stats.acks++;
    }
  }

  private entry(tag: string, entry: MsgpackValue, out: Framed): void {
    if (!Array.isArray(entry) || entry.length !== 2 || !isMap(entry[1])) {
      this.kept(tag, entry, 'an entry that is not [time, record]', out);
      return;
    }
    const record = entry[1];
    const key = messageKey(record, this.o.messageKeys);
    if (key !== undefined && (this.partials.size > 0 || record.partial_message !== undefined) && this.partial(tag, entry[0], record, key, out)) return;
    this.emit(tag, record, key, eventText(record, key), forwardTimeMs(entry[0]), out);
  }

  /**
   * A part of one of Docker's long lines: held, or, when it is the last, joined with the parts before
   * it and shipped (true); false when `record` is none of that (a line of its own).
   */
  private partial(tag: string, time: MsgpackValue | undefined, record: Fields, key: string, out: Framed): boolean {
    const docker = typeof record.container_id === 'string' && typeof record.source === 'string';
    if (!docker) return false;
    const flagged = record.partial_message === 'true';
    // Docker 19.03 and later name each line's parts; earlier ones mark every part but the last, whose
    // stream (stdout, stderr) tells which line it ends.
    const id = typeof record.partial_id === 'string' ? `id:${record.partial_id}` : `stream:${record.container_id}/${record.source}`;
    const held = this.partials.get(id);
    if (!flagged && held === undefined) return false;
    const part = text(record[key]!);
    const last = !flagged || record.partial_last === 'true';
    if (held === undefined && last) {
      // A line of one part (Docker marks those too when it splits at a buffer's end).
      this.emit(tag, withoutPartial(record), key, eventText(record, key), forwardTimeMs(time), out);
      return true;
    }
    const p: Partial = held ?? { tag, key, parts: [], bytes: 0, time: forwardTimeMs(time), since: Date.now(), record };
    p.parts.push(part);
    p.bytes += part.length;
    p.record = record;
    if (held === undefined) {
      if (this.partials.size >= MAX_PARTIALS) this.letGo(this.partials.keys().next().value!, out);
      this.partials.set(id, p);
    }
    this.stats.partial_parts++;
    if (last) {
      this.partials.delete(id);
      this.stats.partial_lines++;
      this.emit(p.tag, withoutPartial(record), p.key, trimEnd(p.parts.join('')), p.time, out);
    } else if (p.bytes > this.o.maxBytes) {
      this.letGo(id, out);
    }
    return true;
  }

  /** A line's parts so far shipped as one record marked `log.partial` (it waited too long, grew too large, or its connection ended). */
  private letGo(id: string, out: Framed): void {
    const p = this.partials.get(id)!;
    this.partials.delete(id);
    this.stats.partial_unfinished++;
    const record = withoutPartial(p.record);
    record.partial_message = 'true';
    this.emit(p.tag, record, p.key, trimEnd(p.parts.join('')), p.time, out);
  }

  /** One event as a line for the parser, with its time and attributes. */
  private emit(tag: string, record: Fields, key: string | undefined, line: string, time: number, out: Framed): void {
    out.texts.push(line);
    out.times!.push(time);
    // One container's lines carry the same fields: they share one attributes object (made, and cloned to
    // a record thread, once), which nothing writes to but the intake, with the same values each time.
    const last = this.last;
    if (key !== undefined && last !== undefined && last.tag === tag && last.key === key && sameFields(record, last.record, key)) {
      out.attributes!.push(last.attributes);
      return;
    }
    const attributes = eventAttributes(tag, record, key);
    this.last = key === undefined ? undefined : { tag, key, record, attributes };
    out.attributes!.push(attributes);
  }

  /**
   * What decoded but is not what the protocol says (counted in `bad`, warned of) is still shipped, as a
   * record of its JSON with the reason in `tributary.intake.error`: nothing a sender sent is lost.
   */
  private kept(tag: string | undefined, value: MsgpackValue, why: string, out: Framed): void {
    this.stats.bad++;
    this.conn.warn(`${why} was kept as a record of its JSON (tributary.intake.error)`);
    out.texts.push(JSON.stringify(value, keptValue) ?? 'null');
    out.times!.push(NaN);
    out.attributes!.push(tag === undefined ? { 'tributary.intake.error': why } : { 'fluent.tag': tag, 'tributary.intake.error': why });
  }

  /** The handshake's PING: checked against the shared key, answered with PONG; a wrong one closes the connection. */
  private ping(v: MsgpackValue): void {
    const nonce = this.nonce!;
    const bytes = (x: MsgpackValue | undefined): Buffer => (Buffer.isBuffer(x) ? x : typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.alloc(0));
    if (!Array.isArray(v) || v[0] !== 'PING' || v.length < 4) {
      this.fail('auth_failed', new Error('a sender did not open with the handshake\'s PING (shared_key is set); the connection is closed'));
      return;
    }
    const [, clientHost, salt, digest] = v;
    const key = Buffer.from(this.o.sharedKey!, 'utf8');
    const want = createHash('sha512').update(Buffer.concat([bytes(salt), bytes(clientHost), nonce, key])).digest('hex');
    const got = bytes(digest);
    if (got.length !== want.length || !timingSafeEqual(got, Buffer.from(want))) {
      this.conn.write(encodeMsgpack(['PONG', false, 'shared_key mismatch', this.o.serverHostname ?? hostname(), '']));
      this.fail('auth_failed', new Error(`a sender (${text(clientHost ?? '')}) did not prove the shared key; the connection is closed`));
      return;
    }
    const proof = createHash('sha512').update(Buffer.concat([bytes(salt), Buffer.from(this.o.serverHostname ?? hostname()), nonce, key])).digest('hex');
    this.conn.write(encodeMsgpack(['PONG', true, '', this.o.serverHostname ?? hostname(), proof]));
    this.nonce = undefined;
  }
}

/** The Forward protocol for a ListenerSource (TCP only: UDP carries only Fluentd's heartbeats). */
export function forwardProtocol(o: ForwardOptions): Protocol & { stats: ForwardStats } {
  const stats: ForwardStats = { truncated: 0, incomplete: 0, bad: 0, too_large: 0, events: 0, acks: 0, auth_failed: 0, heartbeats: 0, partial_parts: 0, partial_lines: 0, partial_unfinished: 0 };
  return {
    kind: 'forward',
    stats,
    datagram: () => [],
    framer: (conn) => new ForwardFramer(o, stats, conn!),
    authenticates: o.sharedKey !== undefined,
  };
}

/** The service, when the source names none: Docker's container name, else Kubernetes' (Fluent Bit's kubernetes filter), as the file source takes a pod's container. */
const SERVICE_FROM = ['container.name', 'k8s.container.name'] as const;

/** A Forward intake on one TCP address. */
export class ForwardSource extends ListenerSource {
  constructor(name: string, o: IntakeOptions & { messageKeys?: readonly string[]; sharedKey?: string; partialWaitMs?: number }) {
    super(name, forwardProtocol({ maxBytes: o.maxMessageBytes, messageKeys: o.messageKeys ?? FORWARD_MESSAGE_KEYS, sharedKey: o.sharedKey, partialWaitMs: o.partialWaitMs }), { ...o, mode: 'tcp', serviceFrom: o.serviceFromMessage ? SERVICE_FROM : undefined });
  }
}

export interface ForwardSourceConfig {
  type: 'forward';
  listen: string;
  max_connections: number;
  max_message_bytes: number;
  message_key?: string;
  shared_key_env?: string;
  allow_unauthenticated: boolean;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
  tls?: TlsConfig;
}

export const forwardSourceDefinition = defineSource<ForwardSourceConfig>({
  type: 'forward',
  description: 'Fluentd\'s Forward protocol over TCP (Message, Forward, PackedForward and gzip-compressed modes; acks after Kafka; shared-key handshake), as Docker\'s fluentd log driver, the fluent-logger libraries, Fluent Bit\'s and Fluentd\'s forward outputs send it.',
  properties: {
    listen: str('host:port the Forward intake listens on. Anything but a loopback address needs shared_key_env, tls.verify_client or allow_unauthenticated.', { default: `127.0.0.1:${FORWARD_PORT}`, pattern: LISTEN_PATTERN }),
    max_connections: int('Most connections open at once (each holds up to max_message_bytes); more are closed at once and counted (refused_connections).', 1, 1000, { maximum: 100_000 }),
    max_message_bytes: int('Largest Forward message, as sent and decompressed (Fluent Bit sends a chunk of up to 2 MB in one); a larger one closes its connection (the sender retries, counted in too_large).', 1024, 8 * MiB, { maximum: 256 * MiB }),
    message_key: str('The record field that holds the log line (default: the first of log, message, msg that is text; a record without one is read as a JSON line).', { minLength: 1 }),
    shared_key_env: str('Name of the environment variable holding the shared key senders must prove in the protocol\'s handshake (Fluent Bit\'s Shared_Key, Fluentd\'s <security> shared_key). Docker\'s log driver cannot send one.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    allow_unauthenticated: bool('Listen beyond loopback without a shared key (whoever reaches the port can write records).', false),
    service: str('Service name for records whose message names none (default: the container\'s name from Docker\'s fluentd driver or Fluent Bit\'s kubernetes filter, else service.name).', { minLength: 1 }),
    attributes: stringMap('Attributes added to every record of this source (besides fluent.tag and network.peer.address).'),
    parser: parserSchema(),
    time_zone: str('IANA time zone for timestamps written without an offset inside the message field (the event\'s own time is always UTC).', { default: 'UTC' }),
    tls: tlsSchema('Forward over TLS (Fluent Bit\'s `tls on`, Fluentd\'s `transport tls`; Docker\'s fluentd driver speaks plain TCP only)'),
  },
  resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
  check(src, path, issues, ctx) {
    const { host } = checkPort(src.listen, `${path}.listen`, issues);
    checkParsing(src, path, issues);
    claimAddress(ctx.addresses, `tcp ${src.listen}`, `tcp ${src.listen}`, ctx.name, `${path}.listen`, issues);
    if (src.shared_key_env !== undefined && !ctx.env[src.shared_key_env]) {
      issues.push({ path: `${path}.shared_key_env`, message: `environment variable ${src.shared_key_env} is not set` });
    } else if (src.shared_key_env === undefined && host !== '' && !isLoopback(host) && !src.allow_unauthenticated && !src.tls?.verify_client) {
      issues.push({ path: `${path}.shared_key_env`, message: `is required when listening on a non-loopback address (${src.listen}): whoever reaches the port could write records; require client certificates (tls.verify_client) instead, or set allow_unauthenticated: true to listen without either` });
    }
    checkTls(src.tls, `${path}.tls`, issues, ctx.env);
  },
  create: (src, ctx) =>
    new ForwardSource(ctx.name, {
      ...intakeOptions(src, 'tcp', ctx),
      messageKeys: src.message_key !== undefined ? [src.message_key] : FORWARD_MESSAGE_KEYS,
      sharedKey: src.shared_key_env !== undefined ? ctx.env[src.shared_key_env] : undefined,
    }),
  describe: (src) => `tcp ${src.listen}${src.tls ? (src.tls.verify_client ? ' (mutual TLS)' : ' (TLS)') : ''}${src.shared_key_env !== undefined ? ' (shared key)' : ''}`,
});

