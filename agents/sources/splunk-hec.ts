/**
 * Splunk's HTTP Event Collector (HEC) as an intake, so that what sends to Splunk (its logging libraries,
 * Docker's `splunk` log driver, the OpenTelemetry Collector's and Vector's `splunk_hec` exporters, Fluent
 * Bit's `splunk` output) can send here unchanged: `POST /services/collector/event` (also
 * `/services/collector` and `.../event/1.0`) takes event objects back to back, `/services/collector/raw`
 * (and `/1.0`) takes lines; `GET /services/collector/health` answers code 17; `POST
 * /services/collector/ack` answers for the ackIds it gave.
 *
 * An event's `event` is one line for the source's parser when it is text (a JSON object is read as its
 * JSON line), its `time` (epoch seconds) the record's time, `host` its host, and `source`,
 * `sourcetype`, `index` and its indexed `fields` attributes (`splunk.source`, `splunk.sourcetype`,
 * `splunk.index`, each field by its name). A request is answered `{"text":"Success","code":0}` only
 * once its records are durable (acknowledged by Kafka, or in the disk buffer), so a sender that gets no
 * answer sends again and nothing is lost; with a channel (`X-Splunk-Request-Channel`) the answer carries
 * an `ackId`, and since it comes only once the records are durable every ackId asked about is true.
 *
 * Splunk's answers for what is wrong (docs.splunk.com, "Troubleshoot HTTP Event Collector"): 401 code 2
 * (no token), 3 (not `Splunk <token>`), 403 code 4 (a wrong token), 400 code 5 (no data), 6 (invalid
 * data format, with `invalid-event-number`), 12 (no `event`), 13 (a blank one), 413, 503 code 9 (busy).
 * Unlike Splunk, the events of a refused request are not dropped: the well-formed ones before the bad
 * one are shipped, and the bad one (and, past bytes that are no JSON, the rest of the body) is shipped
 * as a record of its text with the reason in `tributary.intake.error`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { checkParsing, checkPort, claimAddress, int, isLoopback, LISTEN_PATTERN, MiB, parserSchema, str, stringMap } from '../config-schema.ts';
import type { ParserConfig } from '../transforms/parsers/index.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import type { AgentEvent, RawLine, Source, SourceContext } from '../source.ts';
import type { RecordBuilder } from '../record-builder.ts';
import type { RecordPool } from '../record-pool.ts';
import { joinLines, type LineBatch } from '../line-batch.ts';
import type { EventBatch } from '../source.ts';
import { defineSource } from './definition.ts';
import { closeServer, emitDurable, encodedBatches, listen, listenAddress, readRequest, RequestSlots, requestPeer, sameStrings, type Peer } from './http-intake.ts';
import { checkTls, optionsFrom, resolveTlsPaths, tlsSchema, type TlsConfig, type TlsOptions } from './tls.ts';

export const HEC_PORT = 8088;

export interface SplunkHecOptions {
  host?: string;
  /** 8088 by default; 0 picks a free port (see `port` after start). */
  port?: number;
  /** Tokens senders may use (`Authorization: Splunk <token>`); none: any or no token (loopback only). */
  tokens?: readonly string[];
  service: string;
  /** The agent's host name, for events that name none. */
  hostName: string;
  /** Largest request body, as sent and after gunzip. */
  maxBodyBytes?: number;
  /** How long a request waits for its records to be durable before it is answered 503. */
  ackTimeoutMs?: number;
  attributes?: Record<string, string>;
  /** The source's parser and time zone (the agent's own builder when unset). */
  toRecord?: RecordBuilder;
  /** The agent's record threads and this source's builder on them: a request's events are built there, a batch per host (else here, one by one). */
  threads?: { pool: RecordPool; builder: number };
  /** HTTPS (tls.ts). */
  tls?: TlsOptions;
}

export interface SplunkHecStats {
  requests: number;
  events: number;
  /** Requests refused (401, 403, 404, 413, 415, 503) and answered 400 for bad events (whose events were still shipped). */
  refused: number;
  unauthorized: number;
  bad_events: number;
  acks: number;
  /** TLS handshakes that failed (no certificate or one not signed by ca_file with verify_client, plain HTTP sent to HTTPS). */
  tls_failed: number;
}

/** An answer in Splunk's words: its HTTP status, text and code. */
const ANSWERS = {
  success: [200, 'Success', 0],
  noToken: [401, 'Token is required', 2],
  badAuth: [401, 'Invalid authorization', 3],
  badToken: [403, 'Invalid token', 4],
  noData: [400, 'No data', 5],
  badFormat: [400, 'Invalid data format', 6],
  busy: [503, 'Server is busy', 9],
  noEvent: [400, 'Event field is required', 12],
  blankEvent: [400, 'Event field cannot be blank', 13],
  healthy: [200, 'HEC is healthy', 17],
} as const;
type Answer = keyof typeof ANSWERS;

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One event of a request: its line, time, host and attributes; or, when it was not an event, why. */
interface HecEvent {
  text: string;
  timeMs?: number;
  host?: string;
  attributes: Record<string, string>;
  /** Set when the event is kept although it is not what HEC takes (its text is what was sent). */
  error?: { answer: Answer; why: string };
}

/** `time` as Splunk takes it: epoch seconds with a fraction, as a number or its text. */
function timeMs(v: unknown): number | undefined {
  const s = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The attributes HEC's metadata gives (`source`, `sourcetype`, `index`, the indexed `fields`). */
function metadata(from: Obj, into: Record<string, string>): void {
  for (const key of ['source', 'sourcetype', 'index'] as const) {
    const v = from[key];
    if (typeof v === 'string' && v !== '') into[`splunk.${key}`] = v;
  }
  if (isObj(from.fields)) {
    for (const [k, v] of Object.entries(from.fields)) if (v !== null && v !== undefined) into[k] = Array.isArray(v) ? v.map(text).join(',') : text(v);
  }
}

const isWs = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Where the object starting at `i` ends (after its closing brace), by its braces outside strings; -1 when it does not close. */
function objectEnd(body: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < body.length; j++) {
    const c = body.charCodeAt(j);
    if (inString) {
      if (c === 92) j++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if ((c === 125 || c === 93) && --depth === 0) return j + 1;
  }
  return -1;
}

/** A `}` that may end an object: another `{` follows it (after blanks), or the body ends. */
const CANDIDATE_END = /\}[ \t\r\n]*(?=\{|$)/g;

/**
 * The JSON objects of a body of them back to back (whitespace, or nothing, between them), each with
 * where it starts, its text and its value (`error` when its braces close but it is no JSON); `rest` is
 * from where the body stopped being objects (-1: none). Each object is found by V8's own parser: the
 * text up to the next `}` before a `{` is parsed, and up to the one after when that `}{` was inside a
 * string; only an object that does not parse at all is walked character by character to find its end.
 */
export function splitConcatenated(body: string): { values: Array<{ at: number; json: string; value?: unknown; error?: string }>; rest: number } {
  const values: Array<{ at: number; json: string; value?: unknown; error?: string }> = [];
  const n = body.length;
  let i = 0;
  for (;;) {
    while (i < n && isWs(body.charCodeAt(i))) i++;
    if (i >= n) return { values, rest: -1 };
    if (body.charCodeAt(i) !== 123 /* { */) return { values, rest: i };
    let found = false;
    CANDIDATE_END.lastIndex = i;
    for (let tries = 0; tries < 8; tries++) {
      const m = CANDIDATE_END.exec(body);
      if (m === null) break;
      const json = body.slice(i, m.index + 1);
      try {
        values.push({ at: i, json, value: JSON.parse(json) });
        i = CANDIDATE_END.lastIndex;
        found = true;
        break;
      } catch {
        // A `}{` inside a string, or an object that is no JSON: the next candidate, a few times.
        if (CANDIDATE_END.lastIndex === m.index) CANDIDATE_END.lastIndex++;
      }
    }
    if (found) continue;
    const end = objectEnd(body, i);
    if (end === -1) return { values, rest: i };
    const json = body.slice(i, end);
    try {
      values.push({ at: i, json, value: JSON.parse(json) });
    } catch (err) {
      values.push({ at: i, json, error: (err as Error).message });
    }
    i = end;
  }
}

/**
 * Docker's `splunk` log driver's event (its `inline` and `json` formats): `{line, source, tag, attrs}`,
 * the container's line (text, or with `splunk-format: json` the JSON it parsed), its stream, the
 * driver's tag and the labels and variables it was told to add. The line, with those as attributes; or
 * undefined for any other event.
 */
function dockerEvent(event: unknown, attributes: Record<string, string>): string | undefined {
  if (!isObj(event) || event.line === undefined || (event.source !== 'stdout' && event.source !== 'stderr')) return undefined;
  for (const k of Object.keys(event)) if (k !== 'line' && k !== 'source' && k !== 'tag' && k !== 'attrs') return undefined;
  attributes['log.iostream'] = event.source;
  if (typeof event.tag === 'string' && event.tag !== '') attributes['container.tag'] = event.tag;
  if (isObj(event.attrs)) for (const [k, v] of Object.entries(event.attrs)) if (typeof v === 'string') attributes[k] = v;
  return typeof event.line === 'string' ? event.line : JSON.stringify(event.line);
}

/** A body of `/event`'s as events; a value that is no event is kept with the answer it earns. */
export function hecEvents(body: string, defaults: Obj): HecEvent[] {
  const out: HecEvent[] = [];
  const { values, rest } = splitConcatenated(body);
  for (const { json, value, error } of values) {
    if (error !== undefined || !isObj(value)) {
      out.push({ text: json, attributes: {}, error: { answer: 'badFormat', why: `not JSON (${error ?? 'not an object'})` } });
      continue;
    }
    const e = value;
    const attributes: Record<string, string> = {};
    metadata(defaults, attributes);
    metadata(e, attributes);
    const host = typeof e.host === 'string' && e.host !== '' ? e.host : typeof defaults.host === 'string' && defaults.host !== '' ? defaults.host : undefined;
    const t = timeMs(e.time) ?? timeMs(defaults.time);
    if (!('event' in e) || e.event === null || e.event === undefined) {
      out.push({ text: json, attributes, error: { answer: 'noEvent', why: 'an event without its event field' } });
      continue;
    }
    const docker = dockerEvent(e.event, attributes);
    const line = docker ?? (typeof e.event === 'string' ? e.event : JSON.stringify(e.event));
    if (line.trim() === '' || line === '{}') {
      out.push({ text: json, attributes, error: { answer: 'blankEvent', why: 'an event whose event field is blank' } });
      continue;
    }
    out.push({ text: line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line, timeMs: t, host, attributes });
  }
  if (rest !== -1) out.push({ text: body.slice(rest), attributes: {}, error: { answer: 'badFormat', why: `bytes that are no JSON object from offset ${rest} on` } });
  return out;
}

/** A body of `/raw`'s as events: each non-blank line one, the query's metadata on each. */
export function hecRawEvents(body: string, query: URLSearchParams): HecEvent[] {
  const attributes: Record<string, string> = {};
  metadata(Object.fromEntries(query), attributes);
  const host = query.get('host') || undefined;
  const t = timeMs(query.get('time') ?? undefined);
  const out: HecEvent[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') out.push({ text: line, timeMs: t, host, attributes });
  }
  return out;
}

const EVENT_PATHS = new Set(['/services/collector', '/services/collector/event', '/services/collector/event/1.0']);
const RAW_PATHS = new Set(['/services/collector/raw', '/services/collector/raw/1.0']);
const HEALTH_PATHS = new Set(['/services/collector/health', '/services/collector/health/1.0']);
/** Requests read and held at once (each up to max_body_bytes and its records): more wait unread. */
const MAX_IN_FLIGHT = 4;
/** Channels remembered for acks (the oldest is forgotten first). */
const MAX_CHANNELS = 10_000;

export class SplunkHecSource implements Source {
  readonly stats: SplunkHecStats = { requests: 0, events: 0, refused: 0, unauthorized: 0, bad_events: 0, acks: 0, tls_failed: 0 };
  private server?: Server;
  private ctx?: SourceContext;
  private accepting = false;
  private readonly tokens: Buffer[];
  /** The next ackId of each channel. */
  private readonly channels = new Map<string, number>();
  private seq = 0;
  private readonly slots = new RequestSlots(MAX_IN_FLIGHT);
  /** The last event's attributes, shared with the next events whose attributes are the same. */
  private lastAttributes?: Record<string, string>;
  port = 0;

  constructor(
    readonly name: string,
    private readonly o: SplunkHecOptions,
  ) {
    this.tokens = (o.tokens ?? []).map((t) => Buffer.from(t));
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.accepting = true;
    const host = this.o.host ?? '127.0.0.1';
    const https = this.o.tls && { tls: this.o.tls, log: ctx.log, what: 'splunk_hec', onFailure: () => this.stats.tls_failed++ };
    ({ server: this.server, port: this.port } = await listen(host, this.o.port ?? HEC_PORT, (req, res) => void this.handle(req, res), https));
    ctx.log.info({ host, port: this.port, tokens: this.tokens.length, tls: this.o.tls ? (this.o.tls.verifyClient ? 'mutual' : 'on') : 'off' }, 'The Splunk HEC intake is listening.');
  }

  async pause(): Promise<void> {
    this.accepting = false;
    await closeServer(this.server);
  }

  async stop(): Promise<void> {
    if (this.server?.listening) await this.pause();
  }

  private answer(res: ServerResponse, what: Answer, extra: Obj = {}): void {
    const [status, message, code] = ANSWERS[what];
    if (status >= 400 && what !== 'badFormat' && what !== 'noEvent' && what !== 'blankEvent') this.stats.refused++;
    if (status === 401 || status === 403) this.stats.unauthorized++;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '5' } : {}) });
    res.end(JSON.stringify({ text: message, code, ...extra }));
  }

  private other(res: ServerResponse, status: number, message: string): void {
    this.stats.refused++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ text: message, code: status === 413 ? 6 : 8 }));
  }

  /** The token check: the answer to give, or undefined when the sender may go on. */
  private auth(req: IncomingMessage): Answer | undefined {
    if (this.tokens.length === 0) return undefined;
    const header = req.headers.authorization;
    if (header === undefined || header === '') return 'noToken';
    let token: string | undefined;
    const space = header.indexOf(' ');
    const scheme = space === -1 ? '' : header.slice(0, space).toLowerCase();
    if (scheme === 'splunk' || scheme === 'bearer') token = header.slice(space + 1).trim();
    else if (scheme === 'basic') {
      // Splunk takes the token as the password of basic authentication (any user name).
      const decoded = Buffer.from(header.slice(space + 1).trim(), 'base64').toString('utf8');
      token = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (token === undefined) return 'badAuth';
    const got = Buffer.from(token);
    return this.tokens.some((t) => t.length === got.length && timingSafeEqual(t, got)) ? undefined : 'badToken';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hec');
    const path = url.pathname.replace(/\/+$/, '');
    if (HEALTH_PATHS.has(path)) return this.answer(res, this.accepting ? 'healthy' : 'busy');
    const events = EVENT_PATHS.has(path);
    const raw = RAW_PATHS.has(path);
    const ack = path === '/services/collector/ack';
    if (req.method !== 'POST' || (!events && !raw && !ack)) return this.other(res, 404, 'POST /services/collector/event, /services/collector/raw or /services/collector/ack');
    const denied = this.auth(req);
    if (denied) return this.answer(res, denied);
    if (!this.accepting) return this.answer(res, 'busy');
    await this.slots.run(() => this.take(req, res, url, raw, ack));
  }

  private async take(req: IncomingMessage, res: ServerResponse, url: URL, raw: boolean, ack: boolean): Promise<void> {
    const body = await readRequest(req, this.o.maxBodyBytes ?? 16 * MiB);
    if (body === undefined) return;
    if (!Buffer.isBuffer(body)) return body.problem === 'bad_encoding' ? this.answer(res, 'badFormat') : this.other(res, 413, body.reason);
    const channel = (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel') ?? undefined;
    if (ack) return this.acks(res, channel, body);
    const got = raw ? hecRawEvents(body.toString('utf8'), url.searchParams) : hecEvents(body.toString('utf8'), Object.fromEntries(url.searchParams));
    if (got.length === 0) return this.answer(res, 'noData');
    this.stats.requests++;
    this.stats.events += got.length;
    const bad = got.findIndex((e) => e.error !== undefined);
    const peer = requestPeer(req, this.o.tls?.verifyClient === true);
    if (bad !== -1) {
      this.stats.bad_events += got.filter((e) => e.error !== undefined).length;
      this.ctx!.log.warn({ peer: peer['network.peer.address'], event: bad, reason: got[bad]!.error!.why, events: got.length }, 'A Splunk HEC request held events HEC does not take; answered 400 as Splunk would, but every event, the bad ones as records of their text (tributary.intake.error), is shipped.');
    }
    const ok = await emitDurable(this.ctx!, await this.batches(got, peer), this.o.ackTimeoutMs ?? 30_000);
    if (!ok) return this.answer(res, 'busy');
    if (bad !== -1) return this.answer(res, got[bad]!.error!.answer, { 'invalid-event-number': bad });
    return this.answer(res, 'success', channel !== undefined ? { ackId: this.ackId(channel) } : {});
  }

  /**
   * A request's events as batches for the sink: on the record threads a batch per host (a batch has one
   * host), built and encoded there; without them, or when they fail, built here one by one.
   */
  private async batches(got: HecEvent[], peer: Peer): Promise<EventBatch[]> {
    const threads = this.o.threads;
    // Each event's sequence number (its origin offset) in the request's order, whichever batch it is in.
    const first = this.seq;
    this.seq += got.length;
    const here = (): EventBatch[] => [{ events: got.map((e, i): AgentEvent => ({ type: 'log', record: this.record(e, peer, first + i) })) }];
    if (!threads?.pool.usable) return here();
    const byHost = new Map<string, number[]>();
    got.forEach((e, i) => {
      const host = e.host ?? this.o.hostName;
      const list = byHost.get(host);
      if (list) list.push(i);
      else byHost.set(host, [i]);
    });
    const observedMs = Date.now();
    const batches = [...byHost].map(([host, which]) => this.lineBatch(threads.builder, host, which.map((i) => got[i]!), which.map((i) => first + i), peer, observedMs));
    try {
      return await encodedBatches(threads.pool, batches);
    } catch (err) {
      this.ctx!.log.warn({ records: got.length, reason: (err as Error).message }, 'A Splunk HEC request could not be encoded on the record threads; its records were built one by one.');
      return here();
    }
  }

  /** One host's events of a request as a record thread's batch: their texts, times and attributes (shared when alike). */
  private lineBatch(builder: number, host: string, events: HecEvent[], seqs: number[], peer: Peer, observedMs: number): LineBatch {
    const own = events.map((e) => this.attributesOf(e, peer));
    const shared = own.every((a) => a === own[0]);
    const batch: LineBatch = {
      builder,
      ...joinLines(events.map((e) => e.text)),
      starts: seqs,
      kind: 'splunk_hec',
      path: '',
      fingerprint: '',
      service: this.o.service,
      host,
      observedMs,
      lineTimes: Float64Array.from(events, (e) => e.timeMs ?? NaN),
    };
    if (shared) batch.attributes = own[0];
    else batch.lineAttributes = own.map((a, i) => [i, a]);
    return batch;
  }

  /** An event's attributes; the same object for events whose attributes are alike (one sender's metadata), so a batch carries them once. */
  private attributesOf(e: HecEvent, peer: Peer): Record<string, string> {
    const a: Record<string, string> = { ...this.o.attributes, ...e.attributes, ...peer };
    if (e.error) a['tributary.intake.error'] = e.error.why;
    const last = this.lastAttributes;
    if (last !== undefined && sameStrings(a, last)) return last;
    this.lastAttributes = a;
    return a;
  }

  private record(e: HecEvent, peer: Peer, seq: number): LogRecord {
    const toRecord = this.o.toRecord ?? this.ctx!.toRecord;
    const attributes = this.attributesOf(e, peer);
    const line: RawLine = { text: e.text, origin: { kind: 'splunk_hec', offset: seq }, service: this.o.service, host: e.host ?? this.o.hostName, observedMs: Date.now(), attributes };
    if (e.timeMs !== undefined) line.timeMs = e.timeMs;
    return toRecord(line);
  }

  private ackId(channel: string): number {
    const id = this.channels.get(channel) ?? 0;
    this.channels.delete(channel);
    this.channels.set(channel, id + 1);
    if (this.channels.size > MAX_CHANNELS) this.channels.delete(this.channels.keys().next().value!);
    return id;
  }

  /** `/services/collector/ack`: an ackId this channel was given is durable (it was answered only then). */
  private acks(res: ServerResponse, channel: string | undefined, body: Buffer): void {
    if (channel === undefined) {
      this.stats.refused++;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: 'Data channel is missing', code: 10 }));
      return;
    }
    let asked: unknown;
    try {
      asked = (JSON.parse(body.toString('utf8')) as Obj).acks;
    } catch {
      return this.answer(res, 'badFormat');
    }
    if (!Array.isArray(asked)) return this.answer(res, 'badFormat');
    const next = this.channels.get(channel) ?? 0;
    const acks: Record<string, boolean> = {};
    for (const id of asked) if (typeof id === 'number') acks[String(id)] = id >= 0 && id < next;
    this.stats.acks++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ acks }));
  }
}

export interface SplunkHecSourceConfig {
  type: 'splunk_hec';
  listen: string;
  token_env?: string;
  max_body_bytes: number;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
  tls?: TlsConfig;
}

export const splunkHecSourceDefinition = defineSource<SplunkHecSourceConfig>({
  type: 'splunk_hec',
  description: 'Splunk\'s HTTP Event Collector API (/services/collector/event, /raw, /health, /ack), as Splunk\'s logging libraries, Docker\'s splunk log driver, the OpenTelemetry Collector\'s and Vector\'s splunk_hec exporters send it; answered once Kafka has the events.',
  properties: {
    listen: str('host:port the HEC intake listens on (HTTP, or HTTPS with tls). Anything but a loopback address needs token_env (or tls.verify_client).', { default: `127.0.0.1:${HEC_PORT}`, pattern: LISTEN_PATTERN }),
    token_env: str('Name of the environment variable holding the HEC token senders must send (Authorization: Splunk <token>); several separated by commas. Unset: any token is taken (loopback only).', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    max_body_bytes: int('Largest request body, as sent and decompressed; a larger one is answered 413.', 1024, 16 * MiB, { maximum: 256 * MiB }),
    service: str('Service name for the records (default: service.name).', { minLength: 1 }),
    attributes: stringMap('Attributes added to every record of this source (besides splunk.source, splunk.sourcetype, splunk.index, the indexed fields and network.peer.address).'),
    parser: parserSchema(),
    time_zone: str('IANA time zone for timestamps written without an offset inside an event\'s text (an event\'s own time is epoch seconds).', { default: 'UTC' }),
    tls: tlsSchema('HTTPS, which Splunk\'s senders default to'),
  },
  resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
  check(src, path, issues, ctx) {
    const { host } = checkPort(src.listen, `${path}.listen`, issues);
    checkParsing(src, path, issues);
    claimAddress(ctx.addresses, `tcp ${src.listen}`, `tcp ${src.listen}`, ctx.name, `${path}.listen`, issues);
    if (src.token_env !== undefined && !ctx.env[src.token_env]) {
      issues.push({ path: `${path}.token_env`, message: `environment variable ${src.token_env} is not set` });
    } else if (src.token_env === undefined && host !== '' && !isLoopback(host) && !src.tls?.verify_client) {
      issues.push({ path: `${path}.token_env`, message: `is required when listening on a non-loopback address (${src.listen}) without tls.verify_client: whoever reaches the port could write records` });
    }
    checkTls(src.tls, `${path}.tls`, issues, ctx.env);
  },
  create(src, ctx) {
    const tokens = src.token_env !== undefined ? (ctx.env[src.token_env] ?? '').split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    return new SplunkHecSource(ctx.name, {
      ...listenAddress(src.listen),
      tokens,
      service: ctx.service,
      hostName: ctx.host,
      maxBodyBytes: src.max_body_bytes,
      attributes: src.attributes,
      toRecord: ctx.recordBuilder(src),
      threads: { pool: ctx.pool(), builder: ctx.pool().addBuilder(ctx.builderOptions(src)) },
      ...(src.tls ? { tls: optionsFrom(src.tls, ctx.env) } : {}),
    });
  },
  describe: (src) => `${src.tls ? 'https' : 'http'} ${src.listen}${src.token_env !== undefined ? ' (token)' : ''}${src.tls?.verify_client ? ' (client certificates)' : ''}`,
});
