/**
 * A network intake for protocols that push messages over UDP or TCP without acknowledgements (syslog,
 * GELF): the protocol (syslog.ts, gelf.ts) turns datagrams and TCP byte streams into message texts;
 * this batches them and has each batch built into records (the source's parser and redaction) and
 * encoded for the wire as a file's lines are (a record thread, or this thread with the same batch
 * encoding: line-batch.ts), then hands them to the sink in order, with the sender's address as
 * `network.peer.address`.
 *
 * Neither protocol lets a receiver say "not yet", so what can be held is bounded: over TCP a sender is
 * slowed (its connection is not read while two batches wait for the sink, and TCP's window pushes
 * back); UDP cannot be slowed, so datagrams that arrive while `maxPending` messages wait are dropped
 * and counted (`dropped`), with a warning at most every 10 s. Bound to 127.0.0.1 unless told otherwise.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { LogRecord, RecordOrigin } from '../../core/contracts/records.ts';
import type { AgentEvent, EventBatch, RawLine, Source, SourceContext } from '../source.ts';
import { joinLines, serviceFrom, type LineBatch } from '../line-batch.ts';
import type { RecordPool } from '../record-pool.ts';
import { checkParsing, checkPort, claimAddress, int, LISTEN_PATTERN, MiB, parserSchema, str, stringMap } from '../config-schema.ts';
import type { ParserConfig } from '../transforms/parsers/index.ts';
import { defineSource, type SourceBuildContext, type SourceDefinition } from './definition.ts';
import { checkTls, clientSubject, handshakeFailure, optionsFrom, peerOf, reloadOnChange, rememberPeers, resolveTlsPaths, serverOptions, tlsSchema, type TlsConfig, type TlsOptions } from './tls.ts';

/** Cuts one TCP connection's bytes into messages: their texts, or with what their transport says of each. */
export interface Framer {
  push(chunk: Buffer): string[] | Framed;
  /** The connection closed: what is left, if it makes a message. */
  end(): string[] | Framed;
  /** Called every 50 ms while the connection is open: what the framer held long enough to let go (Docker's partial lines waiting for their end). */
  tick?(now: number): Framed | undefined;
}

/** Messages with what their transport carried beside each text (Fluent Forward's events). */
export interface Framed {
  texts: string[];
  /** Each message's event time from its transport, in milliseconds (NaN: none; the parser reads one). */
  times?: number[];
  /** Each message's attributes from its transport (a record's other fields), or undefined. */
  attributes?: Array<Record<string, string> | undefined>;
  /** Written back on the connection once these messages and every one before them are durable (Fluent Forward's acks). */
  replies?: Buffer[];
}

/** What a framer may do to its connection besides reading it (a handshake's answers, closing it on bad input). */
export interface Connection {
  write(bytes: Buffer): void;
  /** Closes the connection, with a warning naming the sender and `reason`. */
  close(reason: string): void;
  /** A warning naming the sender (at most one every 10 s per intake; the rest are counted by the protocol). */
  warn(message: string): void;
}

const EMPTY = Buffer.alloc(0);

/** Characters of messages in one batch at most: one string crosses to a record thread (V8's limit is 512 MiB). */
const MAX_BATCH_CHARS = 16 * 1024 * 1024;

/** Messages of one batch, before they are built. */
interface Messages {
  texts: string[];
  peers: string[];
  /** Per message, when the transport gives them (Framed); absent for syslog and GELF. */
  times?: number[];
  attributes?: Array<Record<string, string> | undefined>;
  /** Answers written once the batch is durable, and to whom. */
  replies?: Array<[Socket, Buffer]>;
  firstSeq: number;
  observedMs: number;
}

/**
 * Where the next line feed or NUL is, searched with the buffer's own search (memchr) instead of a loop
 * over its bytes; the next NUL is remembered until passed, so a stream without NULs is searched for
 * one once per chunk, not once per message. And the buffer's text: decoded at once when every byte is
 * one character (ASCII, as most logs are), each message then a slice of it instead of a decode of its own.
 */
class ChunkReader {
  private nul = -2;
  private text: string | null | undefined;

  constructor(readonly buf: Buffer) {}

  delimiterAt(from: number): number {
    const nl = this.buf.indexOf(10, from);
    if (this.nul !== -1 && this.nul < from) this.nul = this.buf.indexOf(0, from);
    return this.nul === -1 ? nl : nl === -1 ? this.nul : Math.min(nl, this.nul);
  }

  /** The text of bytes `start` to `end`, as `buf.toString('utf8', start, end)` makes it. */
  slice(start: number, end: number): string {
    if (this.text === undefined) {
      const all = this.buf.toString('utf8');
      // UTF-8 never makes more characters than bytes, and a sequence of several bytes makes fewer: equal
      // lengths mean each byte is one character (an invalid byte is one U+FFFD wherever it is cut).
      this.text = all.length === this.buf.length ? all : null;
    }
    return this.text === null ? this.buf.toString('utf8', start, end) : this.text.slice(start, end);
  }

  /** A line-framed message's text, without the CR of a CR LF. */
  line(start: number, end: number): string {
    return this.slice(start, end > start && this.buf[end - 1] === 13 ? end - 1 : end);
  }
}

/** A message's sender as attributes: its address, and with mutual TLS its certificate's subject (`address\0subject`). */
function peerAttributes(peer: string): Record<string, string> {
  const i = peer.indexOf('\u0000');
  return i < 0 ? { 'network.peer.address': peer } : { 'network.peer.address': peer.slice(0, i), 'tls.client.subject': peer.slice(i + 1) };
}

export interface FramerStats {
  /** Messages longer than the limit, cut at it (the rest of each dropped). */
  truncated: number;
  /** Octet-counted messages a connection closed in the middle of (what had arrived is kept). */
  incomplete: number;
  [name: string]: number;
}

/**
 * Messages of one TCP connection, ended by a line feed or NUL (a CR before the LF is dropped) or, with
 * `octetCounting`, also framed by a count as RFC 6587 3.4.1 has it (`LEN SP <PRI>...`), told apart per
 * message: a digit starts a count when a space and `<` follow it. A message longer than `maxBytes` is
 * cut there and the rest of it skipped (`truncated`).
 */
export class StreamFramer implements Framer {
  private buf: Buffer = EMPTY;
  /** Bytes of an over-long counted message still to skip. */
  private skipBytes = 0;
  /** The rest of an over-long line is being skipped, up to its delimiter. */
  private skipLine = false;

  constructor(
    private readonly maxBytes: number,
    private readonly stats: FramerStats,
    private readonly options: { octetCounting: boolean },
  ) {}

  push(chunk: Buffer): string[] {
    const buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const r = new ChunkReader(buf);
    const out: string[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, buf.length - i);
        this.skipBytes -= n;
        i += n;
        continue;
      }
      if (this.skipLine) {
        const end = r.delimiterAt(i);
        if (end === -1) {
          i = buf.length;
          break;
        }
        this.skipLine = false;
        i = end + 1;
        continue;
      }
      const c = buf[i]!;
      // Between messages: the delimiters some senders add after counted messages too.
      if (c === 10 || c === 13 || c === 0) {
        i++;
        continue;
      }
      if (this.options.octetCounting && c >= 0x31 && c <= 0x39) {
        const counted = this.counted(r, i, out);
        if (counted === -1) break;
        if (counted > i) {
          i = counted;
          continue;
        }
      }
      const end = r.delimiterAt(i);
      if (end === -1) {
        if (buf.length - i > this.maxBytes) {
          out.push(r.slice(i, i + this.maxBytes));
          this.stats.truncated++;
          this.skipLine = true;
          i = buf.length;
        }
        break;
      }
      if (end - i > this.maxBytes) {
        out.push(r.slice(i, i + this.maxBytes));
        this.stats.truncated++;
      } else {
        out.push(r.line(i, end));
      }
      i = end + 1;
    }
    // Copied when small, so that a kept tail does not hold a large chunk alive.
    this.buf = i >= buf.length ? EMPTY : buf.length - i < 4096 ? Buffer.from(buf.subarray(i)) : buf.subarray(i);
    return out;
  }

  /**
   * An octet-counted message at `i`: the index after it (its text pushed to `out`), `i` when this is
   * not a count (a line-framed message that starts with a digit), or -1 to wait for more bytes.
   */
  private counted(r: ChunkReader, i: number, out: string[]): number {
    const buf = r.buf;
    let j = i;
    let len = 0;
    while (j < buf.length && j - i < 9 && buf[j]! >= 0x30 && buf[j]! <= 0x39) len = len * 10 + (buf[j++]! - 0x30);
    // A count and its space, then the message's `<`; a digit run too long to be a count is a line.
    if (j + 1 >= buf.length) return j - i < 9 ? -1 : i;
    if (buf[j] !== 0x20 || buf[j + 1] !== 0x3c /* < */) return i;
    const start = j + 1;
    if (len > this.maxBytes) {
      if (buf.length - start < this.maxBytes) return -1;
      out.push(r.slice(start, start + this.maxBytes));
      this.stats.truncated++;
      this.skipBytes = len - this.maxBytes;
      return start + this.maxBytes;
    }
    if (buf.length - start < len) return -1;
    out.push(r.slice(start, start + len));
    return start + len;
  }

  end(): string[] {
    const buf = this.buf;
    this.buf = EMPTY;
    if (buf.length === 0 || this.skipLine || this.skipBytes > 0) return [];
    // A counted message cut short by the close: keep what arrived of it.
    const m = this.options.octetCounting && /^[1-9]\d{0,8} </.exec(buf.toString('latin1', 0, Math.min(buf.length, 11)));
    if (m) {
      this.stats.incomplete++;
      return [buf.toString('utf8', m[0].length - 1)];
    }
    return [new ChunkReader(buf).line(0, buf.length)];
  }
}

/** What a protocol supplies: how datagrams and TCP streams become message texts. */
export interface Protocol {
  kind: RecordOrigin['kind'];
  /** The messages a datagram holds (none while a chunked message is incomplete). */
  datagram(buf: Buffer, peer: string): string[];
  /** A framer for a new TCP connection; `conn` lets it answer (a handshake) or close it. */
  framer(conn?: Connection): Framer;
  /** Counters of its own (bad frames, truncations), reported with the source's. */
  stats: Record<string, number>;
  /** Timers of its own (expiry of partial messages) stop here. */
  close?(): void;
  /** The protocol proves who sends (Fluent Forward's shared key): no warning when listening beyond loopback. */
  authenticates?: boolean;
}

export interface ListenerOptions {
  mode: 'udp' | 'tcp';
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port (see `port` after start). */
  port: number;
  service: string;
  /** The agent's host, for messages that name none. */
  hostName: string;
  /** When the source names no service: the attribute whose value becomes the service (syslog's APP-NAME). */
  serviceFrom?: string | readonly string[];
  attributes?: Record<string, string>;
  toRecord?: (line: RawLine) => LogRecord;
  /**
   * The agent's record threads and this source's builder on them: batches are built and encoded there
   * (or here, with the same encoding, when the pool runs no threads). Without it (or when a batch
   * fails there) records are built here one by one with `toRecord`.
   */
  threads?: { pool: RecordPool; builder: number };
  maxBatchLines?: number;
  /** UDP: most messages waiting for the sink; beyond, datagrams are dropped and counted. */
  maxPending?: number;
  /** TCP: most connections open at once; more are closed at once and counted (`refused_connections`). */
  maxConnections?: number;
  /** TCP: serve TLS (tls.ts); a handshake that fails is counted (`tls_failed`) and nothing of that sender is read. */
  tls?: TlsOptions;
}

/** The options of a protocol's source (SyslogSource, GelfSource). */
export interface IntakeOptions extends Omit<ListenerOptions, 'serviceFrom'> {
  /** Largest message (see the protocol). */
  maxMessageBytes: number;
  /** The source names no service: a service the message names wins over `service`. */
  serviceFromMessage?: boolean;
}

export class ListenerSource implements Source {
  private readonly own = { messages: 0, bytes: 0, dropped: 0, connections: 0, refused_connections: 0, tls_failed: 0 };
  private stopReloading?: () => void;
  private lastRefusalWarning = 0;
  port = 0;
  private udp?: UdpSocket;
  private tcp?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiting = new Set<Socket>();
  /** Open connections whose framers hold messages back for a while (`Framer.tick`). */
  private readonly ticking = new Map<Socket, { framer: Framer; peer: string }>();
  /** Messages waiting for the next batch, each with its sender's address; the batch's first sequence number and arrival time. */
  private texts: string[] = [];
  private peers: string[] = [];
  /** Per message, once a framer gave times or attributes (kept in step with `texts`). */
  private times?: number[];
  private attrs?: Array<Record<string, string> | undefined>;
  private replies?: Array<[Socket, Buffer]>;
  /** Settles once the last batch handed to the sink is durable (or failed): replies of no messages wait for it. */
  private lastDelivered: Promise<void> = Promise.resolve();
  private lastWarning = 0;
  private chars = 0;
  private firstSeq = 0;
  private observedMs = 0;
  /** Batches handed to the sink and not yet taken, and the messages they hold. */
  private queued = 0;
  private queuedEvents = 0;
  private chain = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private lastDropWarning = 0;
  private ctx?: SourceContext;

  constructor(
    readonly name: string,
    private readonly protocol: Protocol,
    private readonly o: ListenerOptions,
  ) {}

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const host = this.o.host ?? '127.0.0.1';
    if (this.o.mode === 'udp') {
      const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      this.udp = udp;
      udp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
      udp.on('error', (err) => ctx.log.error({ err: err.message }, 'The UDP intake failed.'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.o.port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      this.port = udp.address().port;
    } else {
      const tls = this.o.tls;
      const tcp: Server = tls ? createTlsServer(serverOptions(tls), (socket) => this.onConnection(socket)) : createServer((socket) => this.onConnection(socket));
      if (tls) {
        rememberPeers(tcp as TlsServer);
        tcp.on('tlsClientError', (err: Error, socket: Socket) => {
          this.own.tls_failed++;
          this.warn(peerOf(socket), `a TLS handshake failed: ${handshakeFailure(err, socket as { authorizationError?: Error })}`);
        });
        this.stopReloading = reloadOnChange(tcp as TlsServer, tls, ctx.log, `${this.protocol.kind} ${host}`);
      }
      // Each connection holds up to a message's bytes: their number is bounded too.
      tcp.maxConnections = this.o.maxConnections ?? 1000;
      tcp.on('drop', () => {
        this.own.refused_connections++;
        const now = Date.now();
        if (now - this.lastRefusalWarning > 10_000) {
          this.lastRefusalWarning = now;
          ctx.log.warn({ refused: this.own.refused_connections, open: this.sockets.size, max: tcp.maxConnections }, `The ${this.protocol.kind} intake has as many connections open as it takes (max_connections); new ones are closed and counted.`);
        }
      });
      this.tcp = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.o.port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.port = (tcp.address() as { port: number }).port;
    }
    if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host) && !this.o.tls?.verifyClient && !this.protocol.authenticates) {
      ctx.log.warn({ protocol: this.protocol.kind, host, port: this.port }, `The ${this.protocol.kind} intake listens beyond this host and takes messages from whoever reaches it (the protocol has no authentication); let only trusted senders reach the port, or set tls.verify_client.`);
    }
    this.timer = setInterval(() => {
      if (this.ticking.size > 0) {
        const now = Date.now();
        for (const [socket, t] of this.ticking) {
          const got = t.framer.tick!(now);
          if (got) this.add(got, t.peer, socket);
        }
      }
      void this.flush();
    }, 50);
    ctx.log.info({ protocol: this.protocol.kind, mode: this.o.mode, host, port: this.port, tls: this.o.tls ? (this.o.tls.verifyClient ? 'mutual' : 'on') : 'off' }, `The ${this.protocol.kind} intake is listening.`);
  }

  /** Stops listening and hands what was received to the sink. */
  async pause(): Promise<void> {
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    this.udp = undefined;
    if (this.tcp) {
      const closed = new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await closed;
      this.tcp = undefined;
    }
    if (this.timer) clearInterval(this.timer);
    this.stopReloading?.();
    this.protocol.close?.();
    await this.flush();
  }

  async stop(): Promise<void> {
    if (this.udp || this.tcp) await this.pause();
  }

  private onDatagram(buf: Buffer, rinfo: RemoteInfo): void {
    if (this.texts.length + this.queuedEvents >= (this.o.maxPending ?? 10_000)) {
      this.own.dropped++;
      const now = Date.now();
      if (now - this.lastDropWarning > 10_000) {
        this.lastDropWarning = now;
        this.ctx?.log.warn({ dropped: this.own.dropped, pending: this.texts.length + this.queuedEvents }, 'Datagrams are arriving faster than Kafka takes them; UDP cannot be slowed, so these are dropped (counted in dropped). TCP would slow the senders instead.');
      }
      return;
    }
    this.own.bytes += buf.length;
    this.add(this.protocol.datagram(buf, `${rinfo.address}:${rinfo.port}`), rinfo.address);
  }

  private onConnection(socket: Socket): void {
    this.own.connections++;
    this.sockets.add(socket);
    const address = socket.remoteAddress ?? '';
    // With a client certificate the peer carries its subject too (peerAttributes splits them).
    const subject = this.o.tls?.verifyClient ? clientSubject(socket) : undefined;
    const peer = subject === undefined ? address : `${address}\u0000${subject}`;
    const framer = this.protocol.framer({
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      close: (reason) => {
        this.warn(address, reason);
        socket.end();
        socket.destroySoon();
      },
      warn: (message) => this.warn(address, message),
    });
    socket.on('data', (chunk: Buffer) => {
      this.own.bytes += chunk.length;
      this.add(framer.push(chunk), peer, socket);
      if (this.queued >= 2) {
        socket.pause();
        this.waiting.add(socket);
      }
    });
    if (framer.tick) this.ticking.set(socket, { framer, peer });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.add(framer.end(), peer, socket);
    };
    socket.on('end', end);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // A connection reset (or closed by pause) ends without 'end': what its framer held is still shipped.
      if (framer.tick) end();
      this.sockets.delete(socket);
      this.waiting.delete(socket);
      this.ticking.delete(socket);
    });
  }

  private warn(peer: string, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.ctx?.log.warn({ protocol: this.protocol.kind, peer, ...this.protocol.stats }, `The ${this.protocol.kind} intake: from ${peer}, ${message}.`);
  }

  private add(got: string[] | Framed, peer: string, socket?: Socket): void {
    const framed = Array.isArray(got) ? undefined : got;
    const messages = framed ? framed.texts : (got as string[]);
    if (framed?.replies?.length && socket) {
      // Answered with the batch these messages join; with none, once what was sent before is durable.
      if (messages.length > 0 || this.texts.length > 0) {
        this.replies ??= [];
        for (const r of framed.replies) this.replies.push([socket, r]);
      } else {
        const replies = framed.replies;
        void this.lastDelivered.then(() => {
          for (const r of replies) if (!socket.destroyed) socket.write(r);
        });
      }
    }
    if (messages.length === 0 || !this.ctx) return;
    if (this.texts.length === 0) {
      this.firstSeq = this.seq;
      this.observedMs = Date.now();
    }
    if (framed?.times || this.times) {
      // Kept in step with texts: messages before these had none.
      this.times ??= new Array<number>(this.texts.length).fill(NaN);
      this.attrs ??= new Array<Record<string, string> | undefined>(this.texts.length).fill(undefined);
      for (let i = 0; i < messages.length; i++) {
        this.times.push(framed?.times?.[i] ?? NaN);
        this.attrs.push(framed?.attributes?.[i]);
      }
    }
    for (const text of messages) {
      this.texts.push(text);
      this.peers.push(peer);
      this.chars += text.length;
    }
    this.seq += messages.length;
    this.own.messages += messages.length;
    if (this.texts.length >= (this.o.maxBatchLines ?? 1000) || this.chars >= MAX_BATCH_CHARS) void this.flush();
  }

  private flush(): Promise<void> {
    if (this.texts.length === 0 || !this.ctx) return this.chain;
    const ctx = this.ctx;
    const m: Messages = { texts: this.texts, peers: this.peers, firstSeq: this.firstSeq, observedMs: this.observedMs };
    if (this.times) m.times = this.times;
    if (this.attrs) m.attributes = this.attrs;
    if (this.replies) m.replies = this.replies;
    this.texts = [];
    this.peers = [];
    this.times = undefined;
    this.attrs = undefined;
    this.replies = undefined;
    this.chars = 0;
    const n = m.texts.length;
    this.queued++;
    this.queuedEvents += n;
    // Built (on a record thread) while earlier batches wait for the sink; handed over in arrival order.
    const built = this.build(m);
    let settle!: () => void;
    this.lastDelivered = new Promise<void>((resolve) => (settle = resolve));
    this.chain = this.chain.then(async () => {
      try {
        const batch = await built;
        batch.onDelivered = () => {
          // Durable: a sender waiting for acks may forget these messages.
          for (const [socket, reply] of m.replies ?? []) if (!socket.destroyed) socket.write(reply);
          settle();
        };
        await ctx.emit(batch);
      } catch (err) {
        settle();
        ctx.log.error({ err: (err as Error).message, records: n }, 'The sink refused a batch of this intake.');
      } finally {
        this.queued--;
        this.queuedEvents -= n;
        if (this.queued < 2) {
          for (const s of this.waiting) s.resume();
          this.waiting.clear();
        }
      }
    });
    return this.chain;
  }

  /** A batch's records, encoded by the record pool when there is one; else built one by one. */
  private build(m: Messages): Promise<EventBatch> {
    const threads = this.o.threads;
    if (threads?.pool.usable) {
      const batch = this.lineBatch(threads.builder, m);
      if (threads.pool.threaded) {
        return threads.pool.encode(batch).then(
          (encoded) => ({ events: [], encoded }),
          (err: Error) => this.fallback(m, err),
        );
      }
      try {
        return Promise.resolve({ events: [], encoded: threads.pool.encodeHere(batch) });
      } catch (err) {
        return Promise.resolve(this.fallback(m, err as Error));
      }
    }
    return Promise.resolve({ events: this.records(m) });
  }

  private fallback(m: Messages, err: Error): EventBatch {
    this.ctx!.log.warn({ protocol: this.protocol.kind, records: m.texts.length, reason: err.message }, 'A batch could not be encoded on the record threads; its records were built one by one.');
    return { events: this.records(m) };
  }

  /** The messages as a record thread's batch: the texts in one string, the sender's address on each record. */
  private lineBatch(builder: number, m: Messages): LineBatch {
    const one = m.peers.every((p) => p === m.peers[0]);
    const batch: LineBatch = {
      builder,
      ...joinLines(m.texts),
      starts: m.texts.map((_, i) => m.firstSeq + i),
      kind: this.protocol.kind as Exclude<RecordOrigin['kind'], 'file'>,
      path: '',
      fingerprint: '',
      service: this.o.service,
      host: this.o.hostName,
      observedMs: m.observedMs,
    };
    if (this.o.serviceFrom !== undefined) batch.serviceFrom = this.o.serviceFrom;
    if (m.times) batch.lineTimes = Float64Array.from(m.times);
    const own = m.attributes;
    if (own && one && own[0] !== undefined && own.every((a) => a === own[0])) {
      // One sender's messages sharing one attributes object (one container's lines): the batch's.
      batch.attributes = Object.assign(own[0], this.o.attributes, peerAttributes(m.peers[0]!));
    } else if (own) {
      // A message's own attributes (its record's fields) under the source's and the sender's address.
      if (this.o.attributes) batch.attributes = this.o.attributes;
      batch.lineAttributes = m.peers.map((p, j) => [j, Object.assign(own[j] ?? {}, this.o.attributes, peerAttributes(p))]);
    } else if (one) {
      batch.attributes = { ...this.o.attributes, ...peerAttributes(m.peers[0]!) };
    } else {
      if (this.o.attributes) batch.attributes = this.o.attributes;
      batch.lineAttributes = m.peers.map((p, j) => [j, peerAttributes(p)]);
    }
    return batch;
  }

  /** The messages built here, one record at a time (what a record thread's batch holds, as events). */
  private records(m: Messages): AgentEvent[] {
    const toRecord = this.o.toRecord ?? this.ctx!.toRecord;
    const out: AgentEvent[] = [];
    let attributes: Record<string, string> | undefined;
    for (let i = 0; i < m.texts.length; i++) {
      if (i === 0 || m.peers[i] !== m.peers[i - 1]) attributes = { ...this.o.attributes, ...peerAttributes(m.peers[i]!) };
      const own = m.attributes?.[i];
      const timeMs = m.times?.[i];
      const record = toRecord({
        text: m.texts[i]!,
        origin: { kind: this.protocol.kind, offset: m.firstSeq + i },
        service: this.o.service,
        host: this.o.hostName,
        observedMs: m.observedMs,
        attributes: own ? { ...own, ...attributes } : attributes,
        ...(timeMs !== undefined && !Number.isNaN(timeMs) ? { timeMs } : {}),
      });
      if (this.o.serviceFrom !== undefined) serviceFrom(record, this.o.serviceFrom, this.o.service);
      out.push({ type: 'log', record });
    }
    return out;
  }

  /** Counters of the intake and of its protocol, for the agent's self-metrics. */
  get stats(): Record<string, number> {
    return { ...this.own, ...this.protocol.stats };
  }
}

// ---------------------------------------------------------------------------------------------
// As source types of the agent's config (syslog.ts, gelf.ts)

export interface ListenerSourceConfig {
  type: 'syslog' | 'gelf';
  mode: 'udp' | 'tcp';
  listen: string;
  max_connections: number;
  max_message_bytes: number;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
  tls?: TlsConfig;
}

/** The keys of a network intake (syslog, GELF); they differ in their defaults. */
function listenerSourceProperties(type: 'syslog' | 'gelf', port: number, maxBytes: number): Record<string, object> {
  return {
    mode: str('udp or tcp. Over UDP nothing slows a sender: datagrams that arrive while the agent holds 10 000 messages for Kafka are dropped and counted (dropped). Over TCP a sender is slowed instead (its connection is not read while the sink has no room).', { enum: ['udp', 'tcp'], default: 'udp' }),
    listen: str(`host:port the ${type === 'gelf' ? 'GELF' : 'syslog'} intake listens on. Anything but a loopback address takes messages from whoever can reach it (neither syslog nor GELF authenticates a sender): bind it to an interface only trusted senders reach.`, { default: `127.0.0.1:${port}`, pattern: LISTEN_PATTERN }),
    max_connections: int('TCP: most connections open at once (each holds up to max_message_bytes); more are closed at once and counted (refused_connections). A relay in front keeps one open.', 1, 1000, { maximum: 100_000 }),
    max_message_bytes: int(type === 'gelf' ? 'Largest message, joined from its chunks and decompressed; larger ones are dropped and counted (too_large).' : 'Largest message; a longer one is cut there and counted (truncated).', 256, maxBytes, { maximum: 16 * MiB }),
    service: str(`Service name for records whose message names none (default: ${type === 'syslog' ? 'the message\'s APP-NAME or TAG, else ' : 'the container\'s name from Docker\'s gelf driver, else '}service.name).`, { minLength: 1 }),
    attributes: stringMap('Attributes added to every record of this source (besides network.peer.address, the sender\'s address).'),
    parser: parserSchema(),
    time_zone: str('IANA time zone for timestamps written without an offset (RFC 3164 syslog stamps have none).', { default: 'UTC' }),
    tls: tlsSchema(type === 'syslog' ? 'syslog over TLS as RFC 5425 has it (rsyslog\'s and syslog-ng\'s TLS drivers; mode tcp only)' : 'GELF over TLS (mode tcp only)'),
  };
}

/** An intake's options from its config keys (those of every intake: address, bounds, service, attributes, parsing). */
export function intakeOptions(src: Pick<ListenerSourceConfig, 'listen' | 'max_message_bytes' | 'max_connections' | 'attributes' | 'parser' | 'time_zone' | 'tls'>, mode: 'udp' | 'tcp', ctx: SourceBuildContext): IntakeOptions {
  const i = src.listen.lastIndexOf(':');
  return {
    ...(src.tls ? { tls: optionsFrom(src.tls, ctx.env) } : {}),
    mode,
    host: src.listen.slice(0, i).replace(/^\[|\]$/g, ''),
    port: Number(src.listen.slice(i + 1)),
    maxMessageBytes: src.max_message_bytes,
    maxConnections: src.max_connections,
    service: ctx.service,
    hostName: ctx.host,
    serviceFromMessage: !ctx.serviceNamed,
    attributes: src.attributes,
    toRecord: ctx.recordBuilder(src),
    threads: { pool: ctx.pool(), builder: ctx.pool().addBuilder(ctx.builderOptions(src)) },
  };
}

/** The definition of a network intake: `Intake` is its source class (SyslogSource, GelfSource). */
export function listenerSourceDefinition(type: 'syslog' | 'gelf', description: string, port: number, maxBytes: number, Intake: new (name: string, o: IntakeOptions) => ListenerSource): SourceDefinition {
  return defineSource<ListenerSourceConfig>({
    type,
    description,
    properties: listenerSourceProperties(type, port, maxBytes),
    resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
    check(src, path, issues, ctx) {
      checkPort(src.listen, `${path}.listen`, issues);
      checkParsing(src, path, issues);
      if (src.tls && src.mode === 'udp') issues.push({ path: `${path}.tls`, message: 'needs mode: tcp (TLS runs over TCP; syslog and GELF over UDP have no TLS)' });
      checkTls(src.tls, `${path}.tls`, issues, ctx.env);
      // UDP and TCP may share a port number; one protocol may not share an address.
      claimAddress(ctx.addresses, `${src.mode} ${src.listen}`, `${src.mode} ${src.listen}`, ctx.name, `${path}.listen`, issues);
    },
    create: (src, ctx) => new Intake(ctx.name, intakeOptions(src, src.mode, ctx)),
    describe: (src) => `${src.mode} ${src.listen}${src.tls ? (src.tls.verify_client ? ' (mutual TLS)' : ' (TLS)') : ''}`,
  });
}
