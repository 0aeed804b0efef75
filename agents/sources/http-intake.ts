/**
 * What the HTTP intakes (OTLP, Splunk HEC, Elasticsearch's bulk API) share: listening and closing, a request's body read up to a
 * bound, records emitted so that a request is answered only once they are durable, and who sent it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gunzipSync, inflateSync } from 'node:zlib';
import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../../core/log.ts';
import type { AgentEvent, EventBatch, SourceContext } from '../source.ts';
import type { LineBatch } from '../line-batch.ts';
import type { RecordPool } from '../record-pool.ts';
import { clientSubject, handshakeFailure, peerOf, reloadOnChange, rememberPeers, serverOptions, type TlsOptions } from './tls.ts';

/** The request's body; `too_large` once it passes `max` bytes (the rest is not read); undefined when the connection failed. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too_large' | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > max) return 'too_large';
      chunks.push(c as Buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}

/** What `readRequest` found wrong with a body: past the bound as sent or decompressed, or not in its `Content-Encoding`. */
export type BodyProblem = { problem: 'too_large' | 'too_large_decompressed' | 'bad_encoding'; reason: string };

/**
 * The request's body, read up to `max` bytes and decompressed (gzip; deflate too when `deflate`) up to
 * `max` again; or what was wrong with it, for the intake to answer in its own words; undefined when
 * the connection failed.
 */
export async function readRequest(req: IncomingMessage, max: number, deflate = false): Promise<Buffer | BodyProblem | undefined> {
  const body = await readBody(req, max);
  if (body === undefined) return undefined;
  if (body === 'too_large') return { problem: 'too_large', reason: `the body is larger than ${max} bytes` };
  const encoding = req.headers['content-encoding'];
  if (encoding !== 'gzip' && !(deflate && encoding === 'deflate')) return body;
  try {
    return encoding === 'gzip' ? gunzipSync(body, { maxOutputLength: max }) : inflateSync(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { problem: 'too_large_decompressed', reason: `more than ${max} bytes decompressed` };
    return { problem: 'bad_encoding', reason: `the body is not ${encoding} (${(err as Error).message})` };
  }
}

/**
 * At most `max` requests read and held at once; a request waiting for its turn leaves its body unread,
 * which stops its connection (and a sender pipelining requests on it) at TCP's window.
 */
export class RequestSlots {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run(work: () => Promise<void>): Promise<void> {
    if (this.inFlight >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    try {
      await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

/** A `listen` setting (`127.0.0.1:8088`, `[::1]:9200`) as its host and port. */
export function listenAddress(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

/** Batches of lines built and encoded on the record threads (or, with a pool of none, here), in order, as the sink takes them. */
export async function encodedBatches(pool: RecordPool, batches: LineBatch[]): Promise<EventBatch[]> {
  const encoded = pool.threaded ? await Promise.all(batches.map((b) => pool.encode(b))) : batches.map((b) => pool.encodeHere(b));
  return encoded.map((e): EventBatch => ({ events: [], encoded: e }));
}

/**
 * Emits the events as one batch (or the batches, in order); true once every one is durable (Kafka, or
 * the disk buffer), false after `timeoutMs` without, or when the sink refused one.
 */
export function emitDurable(ctx: SourceContext, events: AgentEvent[] | EventBatch[], timeoutMs: number): Promise<boolean> {
  const batches: EventBatch[] = events.length > 0 && 'events' in events[0]! ? (events as EventBatch[]) : [{ events: events as AgentEvent[] }];
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    let waiting = batches.length;
    void (async () => {
      for (const b of batches) {
        try {
          await ctx.emit({
            ...b,
            onDelivered: () => {
              if (--waiting > 0) return;
              clearTimeout(timer);
              resolve(true);
            },
          });
        } catch (err) {
          clearTimeout(timer);
          ctx.log.error({ err: (err as Error).message, records: b.encoded?.count ?? b.events.length }, 'The sink refused a batch of an HTTP intake.');
          resolve(false);
          return;
        }
      }
    })();
  });
}

/** HTTPS, and where a failed handshake is told. */
export interface HttpsOptions {
  tls: TlsOptions;
  log: Logger;
  /** The intake's name in warnings (`splunk_hec`). */
  what: string;
  /** Counts a failed handshake (the intake's `tls_failed`). */
  onFailure(): void;
}

/** A server for `handle` listening on host:port (0: a free one), HTTPS with `https`; resolves with it and its port. */
export async function listen(host: string, port: number, handle: (req: IncomingMessage, res: ServerResponse) => void, https?: HttpsOptions): Promise<{ server: Server; port: number }> {
  let server: Server;
  if (https) {
    const s = createHttpsServer(serverOptions(https.tls), handle);
    let lastWarning = 0;
    rememberPeers(s);
    s.on('tlsClientError', (err: Error, socket: Socket) => {
      https.onFailure();
      const now = Date.now();
      if (now - lastWarning < 10_000) return;
      lastWarning = now;
      const peer = peerOf(socket);
      https.log.warn({ intake: https.what, peer }, `The ${https.what} intake: from ${peer}, a TLS handshake failed: ${handshakeFailure(err, socket as { authorizationError?: Error })}.`);
    });
    // The renewal checks of its certificate end with the server.
    s.on('close', reloadOnChange(s, https.tls, https.log, `${https.what} ${host}`));
    server = s as unknown as Server;
  } else {
    server = createServer(handle);
  }
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as { port: number }).port };
}

/** Stops taking connections and closes the open ones (idle keep-alive connections would hold `close` back). */
export async function closeServer(server: Server | undefined): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections?.();
}

/** Who sent a request, as its records' attributes: its address, and with mutual TLS its certificate's subject. */
export type Peer = { 'network.peer.address': string; 'tls.client.subject'?: string };

export function requestPeer(req: IncomingMessage, verifyClient: boolean): Peer {
  const subject = verifyClient ? clientSubject(req.socket) : undefined;
  const address = req.socket.remoteAddress ?? '';
  return subject === undefined ? { 'network.peer.address': address } : { 'network.peer.address': address, 'tls.client.subject': subject };
}

/** Whether two attribute maps hold the same names and values (an intake then gives its records one object). */
export function sameStrings(a: Record<string, string>, b: Record<string, string>): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** Whether a request's `Authorization` is `expected` (`Bearer <token>`), compared in constant time. */
export function bearerMatches(req: IncomingMessage, expected: Buffer): boolean {
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
