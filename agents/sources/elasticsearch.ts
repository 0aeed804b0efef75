/**
 * Elasticsearch's bulk API as an intake, so that what ships logs to Elasticsearch (Filebeat's and
 * Logstash's `elasticsearch` outputs, Fluent Bit's `es` output, Vector's `elasticsearch` sink, the
 * Elasticsearch clients' bulk helpers) can ship here by changing its address. `POST /_bulk` (also `PUT`,
 * and `/<index>/_bulk`) takes newline-delimited pairs of an action (`index` or `create`, with its
 * `_index`) and a document; `POST /<index>/_doc` (`PUT .../_doc/<id>`, `.../_create/<id>`) takes one
 * document; `GET /` (and `HEAD /`) answers as an Elasticsearch node of `version` would, since clients
 * ask it first and check `X-Elastic-Product` on every answer, and `GET /_license` as a basic license,
 * without which Filebeat does not connect.
 *
 * A document that carries a line a shipper read (`message`, else `log`, else `msg`) and no level of
 * its own is that line for the source's parser, parsed as the agent parses it read from the file, with
 * the document's other fields as attributes, `host.name` its host, `service.name` its service and
 * `@timestamp` its time where the line has none (`documentLine`); any other document is one JSON line
 * for the parser (the auto parser reads ECS's `@timestamp`, `message`, `log.level`, `host.name`,
 * `service.name`). Its index is `elasticsearch.index`. A bulk request is answered as
 * Elasticsearch answers it (`took`, `errors`, an item per action with `status` 201 and `_id`) only
 * once its records are durable (acknowledged by Kafka, or in the disk buffer); until then a sender
 * waits, and after `ack_timeout` (or while the agent stops) it gets 429, which every one of those
 * senders retries.
 *
 * What Elasticsearch would refuse is told the way it tells it, but nothing sent is dropped: a document
 * that is no JSON object is shipped as a record of its text with the reason in
 * `tributary.intake.error` and its item answered 400 (`document_parsing_exception`), which a sender
 * does not retry; an action line that is no action ends the request as Elasticsearch ends it (400,
 * `illegal_argument_exception`), after the items before it were shipped, and the rest of the body is
 * shipped as one record of its text with the reason. `update` and `delete` are answered 400 per item:
 * logs are appended, not changed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { checkEnvNames, checkParsing, checkPort, claimAddress, int, isLoopback, LISTEN_PATTERN, MiB, parserSchema, str, stringMap } from '../config-schema.ts';
import type { ParserConfig } from '../transforms/parsers/index.ts';
import { DEFAULT_FIELD_NAMES, setOwn, stringify } from '../transforms/parsers/fields.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import type { AgentEvent, EventBatch, RawLine, Source, SourceContext } from '../source.ts';
import type { RecordBuilder } from '../record-builder.ts';
import type { RecordPool } from '../record-pool.ts';
import { joinLines, type LineBatch } from '../line-batch.ts';
import { defineSource } from './definition.ts';
import { closeServer, emitDurable, encodedBatches, listen, listenAddress, readRequest, RequestSlots, requestPeer, sameStrings, type Peer } from './http-intake.ts';
import { checkTls, optionsFrom, resolveTlsPaths, tlsSchema, type TlsConfig, type TlsOptions } from './tls.ts';

export const ELASTICSEARCH_PORT = 9200;
/** The version `GET /` claims unless told another: Beats and Logstash 8 refuse to ship to a 7. */
export const CLAIMED_VERSION = '8.17.0';

export interface ElasticsearchOptions {
  host?: string;
  /** 9200 by default; 0 picks a free port (see `port` after start). */
  port?: number;
  /** Encoded API keys senders may use (`Authorization: ApiKey <key>`). */
  apiKeys?: readonly string[];
  /** Basic authentication: the password, and the user name when one is required (any when unset). */
  password?: string;
  username?: string;
  service: string;
  /** The agent's host name. */
  hostName: string;
  /** The version `GET /` answers with. */
  version?: string;
  /** Largest request body, as sent and decompressed. */
  maxBodyBytes?: number;
  /** How long a request waits for its records to be durable before it is answered 429. */
  ackTimeoutMs?: number;
  attributes?: Record<string, string>;
  toRecord?: RecordBuilder;
  /** The agent's record threads and this source's builder on them: a request's documents are built there (else here, one by one). */
  threads?: { pool: RecordPool; builder: number };
  tls?: TlsOptions;
}

export interface ElasticsearchStats {
  requests: number;
  /** Documents taken (each shipped as a record). */
  documents: number;
  /** Requests refused (401, 404, 405, 413, 429) or ended at an action line that was none. */
  refused: number;
  unauthorized: number;
  /** Items answered with an error: documents that are no JSON object (shipped all the same), updates and deletes. */
  bad_items: number;
  tls_failed: number;
}

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

type Action = 'index' | 'create' | 'update' | 'delete';
const ACTIONS = new Set<string>(['index', 'create', 'update', 'delete']);

/** One action of a bulk body: the document's text when it is one to ship, its index and id, or why it is answered with an error. */
export interface BulkItem {
  action: Action;
  index?: string;
  id?: string;
  /** The document as sent (shipped as a record's line); unset for what is not shipped (updates, deletes). */
  text?: string;
  /** The document, when it is a JSON object. */
  doc?: Obj;
  error?: { status: number; type: string; reason: string };
}

/** A bulk body's actions in order; `rest` when it stopped at a line that was no action (the body from there, the line's number and why). */
export interface BulkBody {
  items: BulkItem[];
  rest?: { text: string; line: number; reason: string };
}

const isBlank = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
};

/**
 * The actions of a bulk body (newline-delimited JSON: an action line, then the document for `index`,
 * `create` and `update`). `index` is the request path's, for actions that name none. Never throws.
 */
export function bulkItems(body: string, index?: string): BulkBody {
  const items: BulkItem[] = [];
  let at = 0;
  let lineNo = 0;
  const n = body.length;
  // Where the last line `next` gave starts.
  let lineStart = 0;
  const next = (): string | undefined => {
    while (at < n) {
      let end = body.indexOf('\n', at);
      if (end === -1) end = n;
      const line = body.slice(at, end);
      lineStart = at;
      at = end + 1;
      lineNo++;
      if (!isBlank(line)) return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
    }
    return undefined;
  };
  // Shippers write the same action line before every document of a request (`{"create":{"_index":
  // "filebeat-..."}}`): the last one read is kept with its object (never written to) and not parsed again.
  let lastLine = '';
  let lastAction: Obj | undefined;
  for (;;) {
    const line = next();
    if (line === undefined) return { items };
    let action: Obj | undefined;
    if (line === lastLine) action = lastAction;
    else {
      try {
        const v: unknown = JSON.parse(line);
        if (isObj(v)) action = v;
      } catch {
        /* told below */
      }
      lastLine = line;
      lastAction = action;
    }
    const keys = action ? Object.keys(action) : [];
    const name = keys[0];
    if (action === undefined || keys.length !== 1 || !ACTIONS.has(name!) || !isObj(action[name!])) {
      const why = action === undefined ? 'expected an action object' : keys.length !== 1 ? `expected one action, found ${keys.length}` : !ACTIONS.has(name!) ? `unknown action [${name}]` : `the action [${name}] is not an object`;
      return { items, rest: { text: body.slice(lineStart).replace(/\s+$/, ''), line: lineNo, reason: `Malformed action/metadata line [${lineNo}]: ${why}` } };
    }
    const meta = action[name!] as Obj;
    const item: BulkItem = { action: name as Action };
    const own = typeof meta._index === 'string' && meta._index !== '' ? meta._index : index;
    if (own !== undefined) item.index = own;
    if (typeof meta._id === 'string' && meta._id !== '') item.id = meta._id;
    else if (typeof meta._id === 'number') item.id = String(meta._id);
    items.push(item);
    if (name === 'delete') {
      item.error = { status: 400, type: 'action_request_validation_exception', reason: 'this intake takes log documents (index, create); delete is not done' };
      continue;
    }
    const doc = next();
    if (doc === undefined) {
      item.error = { status: 400, type: 'action_request_validation_exception', reason: `the ${name} action on line ${lineNo} has no document after it` };
      return { items };
    }
    if (name === 'update') {
      item.error = { status: 400, type: 'action_request_validation_exception', reason: 'this intake takes log documents (index, create); update is not done' };
      continue;
    }
    item.text = doc;
    const parsed = parseDocument(doc);
    if (parsed.doc) item.doc = parsed.doc;
    else item.error = { status: 400, type: 'document_parsing_exception', reason: `the document on line ${lineNo} is not a JSON object (${parsed.why})` };
  }
}

/** A document as its object, or why it is none. */
function parseDocument(text: string): { doc?: Obj; why?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { why: (err as Error).message };
  }
  return isObj(parsed) ? { doc: parsed } : { why: Array.isArray(parsed) ? 'an array' : typeof parsed };
}

/** A document's line for the parser, and what the document itself says around it. */
export interface DocumentLine {
  text: string;
  /** The document's other fields, dotted (only when its message is the line). */
  fields?: Record<string, string>;
  host?: string;
  service?: string;
  /** Its time (`@timestamp`), for a line without a time of its own. */
  timeMs?: number;
}

const LEVEL_KEYS = new Set(DEFAULT_FIELD_NAMES.levelKeys);

/**
 * What a shipper sends is the line it read (`message`) with what it knows around it (`@timestamp`,
 * `host.name`, `log.file.path`, `agent.*`, `kubernetes.*`): then the line is parsed as the agent would
 * parse it read from the file, and the rest are attributes, `host.name` (or a `host` string) the
 * record's host, `service.name` its service, `@timestamp` its time where the line has none. A document
 * with a level of its own (`log.level`, `level`, ...) is an event already structured (an ECS logger's,
 * or one a shipper parsed): read whole as a JSON line, as is one without a message.
 */
export function documentLine(text: string, doc: Obj | undefined): DocumentLine {
  if (doc === undefined) return { text };
  const key = typeof doc.message === 'string' ? 'message' : typeof doc.log === 'string' ? 'log' : typeof doc.msg === 'string' ? 'msg' : undefined;
  if (key === undefined) return { text };
  const line = doc[key] as string;
  const out: DocumentLine = { text: line.endsWith('\n') ? line.slice(0, line.endsWith('\r\n') ? -2 : -1) : line, fields: {} };
  return around(doc, '', 8, key, out) ? out : { text };
}

/** The fields of `v` around the line, dotted, into `out` (its host, service and time apart); false at a level of its own. */
function around(v: Obj, prefix: string, depth: number, key: string, out: DocumentLine): boolean {
  for (const name in v) {
    const x = v[name];
    const k = prefix === '' ? name : `${prefix}.${name}`;
    if (LEVEL_KEYS.has(k)) return false;
    if (x === null || x === undefined || (prefix === '' && name === key)) continue;
    if (typeof x === 'string') {
      if ((k === '@timestamp' || k === 'timestamp') && out.timeMs === undefined) {
        const t = Date.parse(x);
        if (t === t) {
          out.timeMs = t;
          continue;
        }
      }
      if ((k === 'host.name' || k === 'host') && x !== '' && out.host === undefined) out.host = x;
      else if (k === 'service.name' && x !== '') out.service = x;
      else setOwn(out.fields!, k, x);
    } else if (typeof x === 'object' && !Array.isArray(x) && depth > 0) {
      if (!around(x as Obj, k, depth - 1, key, out)) return false;
    } else if ((k === '@timestamp' || k === 'timestamp') && typeof x === 'number' && out.timeMs === undefined) {
      out.timeMs = x;
    } else {
      setOwn(out.fields!, k, stringify(x));
    }
  }
  return true;
}

/** Elasticsearch's shape of an error answer. */
function esError(status: number, type: string, reason: string): string {
  const cause = { type, reason };
  return JSON.stringify({ error: { root_cause: [cause], ...cause }, status });
}

/** `/<index>/_doc[/<id>]` and `/<index>/_create/<id>`: the index, the id, whether it is a create. */
const DOC_PATH = /^\/([^/_][^/]*)\/(_doc|_create)(?:\/([^/]+))?$/;
const BULK_PATH = /^(?:\/([^/_][^/]*))?\/_bulk$/;
/** Requests read and held at once (each up to max_body_bytes and its records): more wait unread. */
const MAX_IN_FLIGHT = 4;
const AUTH_CHALLENGE = ['Basic realm="security", charset="UTF-8"', 'ApiKey'];

export class ElasticsearchSource implements Source {
  readonly stats: ElasticsearchStats = { requests: 0, documents: 0, refused: 0, unauthorized: 0, bad_items: 0, tls_failed: 0 };
  private server?: Server;
  private ctx?: SourceContext;
  private accepting = false;
  private readonly apiKeys: Buffer[];
  private readonly password?: Buffer;
  /** Each document's sequence number (its origin offset). */
  private seq = 0;
  /** The next id given to a document that came without one. */
  private nextId = 0;
  private readonly slots = new RequestSlots(MAX_IN_FLIGHT);
  /** Ids given to documents that came without one: a prefix of this run, then a counter. */
  private readonly idPrefix = randomBytes(9).toString('base64url');
  private readonly clusterUuid = randomBytes(16).toString('base64url').slice(0, 22);
  /** The last document's attributes, shared with the next documents whose attributes are the same. */
  private lastAttributes?: Record<string, string>;
  port = 0;

  constructor(
    readonly name: string,
    private readonly o: ElasticsearchOptions,
  ) {
    this.apiKeys = (o.apiKeys ?? []).map((k) => Buffer.from(k));
    if (o.password !== undefined) this.password = Buffer.from(o.password);
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.accepting = true;
    const host = this.o.host ?? '127.0.0.1';
    const https = this.o.tls && { tls: this.o.tls, log: ctx.log, what: 'elasticsearch', onFailure: () => this.stats.tls_failed++ };
    ({ server: this.server, port: this.port } = await listen(host, this.o.port ?? ELASTICSEARCH_PORT, (req, res) => void this.handle(req, res), https));
    ctx.log.info({ host, port: this.port, apiKeys: this.apiKeys.length, password: this.password !== undefined, tls: this.o.tls ? (this.o.tls.verifyClient ? 'mutual' : 'on') : 'off' }, 'The Elasticsearch bulk intake is listening.');
  }

  async pause(): Promise<void> {
    this.accepting = false;
    await closeServer(this.server);
  }

  async stop(): Promise<void> {
    if (this.server?.listening) await this.pause();
  }

  private send(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
    // Elasticsearch's clients (8.x) refuse an answer without it: "the client noticed that the server is not Elasticsearch".
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'x-elastic-product': 'Elasticsearch', ...headers });
    res.end(body);
  }

  private refuse(res: ServerResponse, status: number, type: string, reason: string, headers: Record<string, string | string[]> = {}): void {
    this.stats.refused++;
    this.send(res, status, esError(status, type, reason), headers);
  }

  /** The credentials check: why the sender is refused, or undefined when it may go on. */
  private auth(req: IncomingMessage, path: string): string | undefined {
    if (this.apiKeys.length === 0 && this.password === undefined) return undefined;
    const header = req.headers.authorization;
    if (header === undefined || header === '') return `missing authentication credentials for REST request [${path}]`;
    const space = header.indexOf(' ');
    const scheme = space === -1 ? '' : header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    const matches = (a: Buffer, got: Buffer) => a.length === got.length && timingSafeEqual(a, got);
    if (scheme === 'apikey') {
      const got = Buffer.from(value);
      return this.apiKeys.some((k) => matches(k, got)) ? undefined : 'unable to authenticate with provided credentials and anonymous access is not allowed for this request';
    }
    if (scheme === 'basic' && this.password !== undefined) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon === -1 ? decoded : decoded.slice(0, colon);
      const ok = colon !== -1 && matches(this.password, Buffer.from(decoded.slice(colon + 1))) && (this.o.username === undefined || user === this.o.username);
      return ok ? undefined : `unable to authenticate user [${user}] for REST request [${path}]`;
    }
    return `unable to authenticate with provided credentials and anonymous access is not allowed for this request`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://es');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = req.method ?? 'GET';
    const denied = this.auth(req, path);
    if (denied !== undefined) {
      this.stats.unauthorized++;
      return this.refuse(res, 401, 'security_exception', denied, { 'www-authenticate': AUTH_CHALLENGE });
    }
    if (path === '/' && (method === 'GET' || method === 'HEAD')) return this.info(res, method === 'HEAD');
    // Filebeat (its default distribution) and Logstash ask for the license at each connection, and
    // Filebeat does not connect without an answer.
    if (path === '/_license' && method === 'GET') return this.send(res, 200, JSON.stringify({ license: { status: 'active', uid: this.clusterUuid, type: 'basic', issue_date: '2026-01-01T00:00:00.000Z', issue_date_in_millis: 1767225600000, max_nodes: 1000, issued_to: 'tributary', issuer: 'elasticsearch', start_date_in_millis: -1 } }));
    const bulk = BULK_PATH.exec(path);
    const doc = bulk ? null : DOC_PATH.exec(path);
    if ((!bulk && !doc) || (method !== 'POST' && method !== 'PUT') || (doc && doc[2] === '_create' && doc[3] === undefined) || (doc && method === 'PUT' && doc[3] === undefined)) {
      const what = bulk || doc ? 'method' : 'uri';
      return this.refuse(res, what === 'method' ? 405 : 404, 'illegal_argument_exception', `no handler found for uri [${path}] and method [${method}]: this intake takes POST /_bulk, /<index>/_bulk, /<index>/_doc, GET / and GET /_license`);
    }
    if (!this.accepting) return this.refuse(res, 429, 'es_rejected_execution_exception', 'the agent is stopping; send again');
    const index = (bulk ? bulk[1] : doc![1]) ?? undefined;
    await this.slots.run(() => this.take(req, res, index === undefined ? undefined : decodeURIComponent(index), doc ? { id: doc[3] === undefined ? undefined : decodeURIComponent(doc[3]), create: doc[2] === '_create' } : undefined));
  }

  private info(res: ServerResponse, head: boolean): void {
    const version = this.o.version ?? CLAIMED_VERSION;
    const body = JSON.stringify({
      name: this.o.hostName,
      cluster_name: 'tributary',
      cluster_uuid: this.clusterUuid,
      version: { number: version, build_flavor: 'default', build_type: 'tributary', build_hash: 'tributary', build_date: '2026-01-01T00:00:00.000Z', build_snapshot: false, lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
      tagline: 'You Know, for Search',
    });
    if (head) {
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'x-elastic-product': 'Elasticsearch', 'content-length': Buffer.byteLength(body) });
      res.end();
      return;
    }
    this.send(res, 200, body);
  }

  private async take(req: IncomingMessage, res: ServerResponse, index: string | undefined, doc: { id?: string; create: boolean } | undefined): Promise<void> {
    const started = Date.now();
    const body = await readRequest(req, this.o.maxBodyBytes ?? 16 * MiB, true);
    if (body === undefined) return;
    if (!Buffer.isBuffer(body)) return body.problem === 'bad_encoding' ? this.refuse(res, 400, 'parse_exception', body.reason) : this.refuse(res, 413, 'content_too_long_exception', `${body.reason} (max_body_bytes)`);
    const text = body.toString('utf8');
    const got: BulkBody = doc ? { items: [oneDocument(text, index!, doc)] } : bulkItems(text, index);
    if (got.items.length === 0 && got.rest === undefined) return this.refuse(res, 400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    this.stats.requests++;
    const peer = requestPeer(req, this.o.tls?.verifyClient === true);
    // What is shipped: every document (a bad one with its reason), then the rest of a body cut short.
    const lines: Shipped[] = [];
    for (const item of got.items) {
      if (item.error) this.stats.bad_items++;
      if (item.text !== undefined) lines.push({ ...documentLine(item.text, item.doc), index: item.index, ...(item.error ? { error: item.error.reason } : {}) });
    }
    if (got.rest) lines.push({ text: got.rest.text, error: got.rest.reason });
    this.stats.documents += lines.length;
    if (got.rest || got.items.some((i) => i.error)) {
      const first = got.items.find((i) => i.error)?.error?.reason ?? got.rest!.reason;
      this.ctx!.log.warn({ peer: peer['network.peer.address'], reason: first, items: got.items.length }, 'An Elasticsearch bulk request held what Elasticsearch would refuse; answered as it would, but every document sent, the bad ones as records of their text (tributary.intake.error), is shipped.');
    }
    if (lines.length > 0) {
      const ok = await emitDurable(this.ctx!, await this.batches(lines, peer), this.o.ackTimeoutMs ?? 30_000);
      if (!ok) return this.refuse(res, 429, 'es_rejected_execution_exception', 'the records were not durable in time (Kafka slow or away, and the disk buffer full or off); send again', { 'retry-after': '5' });
    }
    if (got.rest) {
      this.stats.refused++;
      return this.send(res, 400, esError(400, 'illegal_argument_exception', got.rest.reason));
    }
    if (doc) {
      const item = got.items[0]!;
      if (item.error) return this.send(res, item.error.status, esError(item.error.status, item.error.type, item.error.reason));
      return this.send(res, 201, JSON.stringify(this.result(item)), { location: `/${encodeURIComponent(item.index!)}/_doc/${encodeURIComponent(item.id!)}` });
    }
    const items = got.items.map((item) => ({ [item.action]: item.error ? { _index: item.index ?? null, _id: item.id ?? null, status: item.error.status, error: { type: item.error.type, reason: item.error.reason } } : this.result(item) }));
    this.send(res, 200, JSON.stringify({ took: Date.now() - started, errors: got.items.some((i) => i.error !== undefined), items }));
  }

  /** A shipped document's answer, as Elasticsearch gives it for a new one. */
  private result(item: BulkItem): Obj {
    item.id ??= `${this.idPrefix}${(this.nextId++).toString(36)}`;
    return { _index: item.index ?? null, _id: item.id, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status: 201 };
  }

  /**
   * A request's documents as batches for the sink: on the record threads a batch per host and service
   * (a batch has one of each), built and encoded there; without them, or when they fail, built here one by one.
   */
  private async batches(lines: Shipped[], peer: Peer): Promise<EventBatch[]> {
    const threads = this.o.threads;
    const first = this.seq;
    this.seq += lines.length;
    const attrs = lines.map((l) => this.attributesOf(l, peer));
    const here = (): EventBatch[] => [{ events: lines.map((l, i): AgentEvent => ({ type: 'log', record: this.record(l, attrs[i]!, first + i) })) }];
    if (!threads?.pool.usable) return here();
    const groups = new Map<string, number[]>();
    lines.forEach((l, i) => {
      const k = `${l.host ?? this.o.hostName}\0${l.service ?? this.o.service}`;
      const list = groups.get(k);
      if (list) list.push(i);
      else groups.set(k, [i]);
    });
    const observedMs = Date.now();
    const batches = [...groups.values()].map((which): LineBatch => {
      const own = which.map((i) => attrs[i]!);
      const l0 = lines[which[0]!]!;
      const batch: LineBatch = {
        builder: threads.builder,
        ...joinLines(which.map((i) => lines[i]!.text)),
        starts: which.map((i) => first + i),
        kind: 'elasticsearch',
        path: '',
        fingerprint: '',
        service: l0.service ?? this.o.service,
        host: l0.host ?? this.o.hostName,
        observedMs,
      };
      if (own.every((a) => a === own[0])) batch.attributes = own[0];
      else batch.lineAttributes = own.map((a, j) => [j, a]);
      if (which.some((i) => lines[i]!.timeMs !== undefined)) {
        batch.lineTimes = Float64Array.from(which, (i) => lines[i]!.timeMs ?? NaN);
        batch.lineTimesFallback = true;
      }
      return batch;
    });
    try {
      return await encodedBatches(threads.pool, batches);
    } catch (err) {
      this.ctx!.log.warn({ records: lines.length, reason: (err as Error).message }, 'An Elasticsearch bulk request could not be encoded on the record threads; its records were built one by one.');
      return here();
    }
  }

  /** A document's attributes: the source's, its own fields, its index and who sent it; one object for alike documents, so a batch carries them once. */
  private attributesOf(l: Shipped, peer: Peer): Record<string, string> {
    const a: Record<string, string> = { ...this.o.attributes, ...l.fields, ...(l.index !== undefined ? { 'elasticsearch.index': l.index } : {}), ...peer };
    if (l.error !== undefined) a['tributary.intake.error'] = l.error;
    const last = this.lastAttributes;
    if (last !== undefined && sameStrings(a, last)) return last;
    this.lastAttributes = a;
    return a;
  }

  private record(l: Shipped, attributes: Record<string, string>, seq: number): LogRecord {
    const toRecord = this.o.toRecord ?? this.ctx!.toRecord;
    const line: RawLine = { text: l.text, origin: { kind: 'elasticsearch', offset: seq }, service: l.service ?? this.o.service, host: l.host ?? this.o.hostName, observedMs: Date.now(), attributes };
    if (l.timeMs !== undefined) line.fallbackTimeMs = l.timeMs;
    return toRecord(line);
  }
}

/** What a request ships: each document's line with what it says around it, its index, and why it was refused if it was. */
type Shipped = DocumentLine & { index?: string; error?: string };

/** The body of `/<index>/_doc` as the one item it is. */
function oneDocument(text: string, index: string, doc: { id?: string; create: boolean }): BulkItem {
  const item: BulkItem = { action: doc.create ? 'create' : 'index', index, text: text.replace(/\s+$/, '') };
  if (doc.id !== undefined) item.id = doc.id;
  const parsed = parseDocument(text);
  if (parsed.doc) item.doc = parsed.doc;
  else item.error = { status: 400, type: 'document_parsing_exception', reason: `the document is not a JSON object (${parsed.why})` };
  return item;
}

export interface ElasticsearchSourceConfig {
  type: 'elasticsearch';
  listen: string;
  api_keys_env?: string;
  username?: string;
  password_env?: string;
  version: string;
  max_body_bytes: number;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
  tls?: TlsConfig;
}

export const elasticsearchSourceDefinition = defineSource<ElasticsearchSourceConfig>({
  type: 'elasticsearch',
  description: 'Elasticsearch\'s bulk API (POST /_bulk, /<index>/_bulk, /<index>/_doc; GET /), as Filebeat\'s and Logstash\'s elasticsearch outputs, Fluent Bit\'s es output, Vector\'s elasticsearch sink and the Elasticsearch clients send it; answered once Kafka has the documents.',
  properties: {
    listen: str('host:port the intake listens on (HTTP, or HTTPS with tls). Anything but a loopback address needs api_keys_env or password_env (or tls.verify_client).', { default: `127.0.0.1:${ELASTICSEARCH_PORT}`, pattern: LISTEN_PATTERN }),
    api_keys_env: str('Name of the environment variable holding the API keys senders may use, as they send them (Authorization: ApiKey <base64 of id:key>); several separated by commas.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    username: str('With password_env: the user name basic authentication must give (unset: any).', { minLength: 1 }),
    password_env: str('Name of the environment variable holding the password of basic authentication (Filebeat\'s and Logstash\'s username/password).', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    version: str('The Elasticsearch version GET / answers with (senders check it: Beats and Logstash 8 want an 8).', { default: CLAIMED_VERSION, pattern: '^\\d+\\.\\d+\\.\\d+$' }),
    max_body_bytes: int('Largest request body, as sent and decompressed; a larger one is answered 413.', 1024, 16 * MiB, { maximum: 256 * MiB }),
    service: str('Service name for the records whose document names none (default: service.name).', { minLength: 1 }),
    attributes: stringMap('Attributes added to every record of this source (besides elasticsearch.index and network.peer.address).'),
    parser: parserSchema(),
    time_zone: str('IANA time zone for timestamps written without an offset inside a document.', { default: 'UTC' }),
    tls: tlsSchema('HTTPS, as Elasticsearch clusters serve by default'),
  },
  resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
  check(src, path, issues, ctx) {
    const { host } = checkPort(src.listen, `${path}.listen`, issues);
    checkParsing(src, path, issues);
    claimAddress(ctx.addresses, `tcp ${src.listen}`, `tcp ${src.listen}`, ctx.name, `${path}.listen`, issues);
    checkEnvNames(src, ['api_keys_env', 'password_env'] as const, path, issues, ctx.env);
    if (src.username !== undefined && src.password_env === undefined) issues.push({ path: `${path}.username`, message: 'needs password_env (the password basic authentication checks)' });
    if (src.api_keys_env === undefined && src.password_env === undefined && host !== '' && !isLoopback(host) && !src.tls?.verify_client) {
      issues.push({ path: `${path}.api_keys_env`, message: `api_keys_env or password_env is required when listening on a non-loopback address (${src.listen}) without tls.verify_client: whoever reaches the port could write records` });
    }
    checkTls(src.tls, `${path}.tls`, issues, ctx.env);
  },
  create(src, ctx) {
    const apiKeys = src.api_keys_env !== undefined ? (ctx.env[src.api_keys_env] ?? '').split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    return new ElasticsearchSource(ctx.name, {
      ...listenAddress(src.listen),
      ...(apiKeys ? { apiKeys } : {}),
      ...(src.password_env !== undefined ? { password: ctx.env[src.password_env] ?? '' } : {}),
      ...(src.username !== undefined ? { username: src.username } : {}),
      service: ctx.service,
      hostName: ctx.host,
      version: src.version,
      maxBodyBytes: src.max_body_bytes,
      attributes: src.attributes,
      toRecord: ctx.recordBuilder(src),
      threads: { pool: ctx.pool(), builder: ctx.pool().addBuilder(ctx.builderOptions(src)) },
      ...(src.tls ? { tls: optionsFrom(src.tls, ctx.env) } : {}),
    });
  },
  describe: (src) => `${src.tls ? 'https' : 'http'} ${src.listen}${src.api_keys_env !== undefined ? ' (API keys)' : ''}${src.password_env !== undefined ? ' (password)' : ''}${src.tls?.verify_client ? ' (client certificates)' : ''}`,
});
