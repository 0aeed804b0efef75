/**
 * A schema registry client for event sources (Confluent's REST API, which Redpanda, Karapace and
 * Apicurio's compatibility API serve too): the writer schema of a record's id, fetched when a batch
 * first meets the id and kept for the worker's life (a registry never changes what an id means).
 *
 * `GET /schemas/ids/{id}` gives the schema (Avro as JSON text, Protobuf as .proto text or, from some
 * registries and clients, a base64 FileDescriptorProto) and its references, each a subject and version
 * fetched with `GET /subjects/{subject}/versions/{version}`, recursively.
 *
 * What can go wrong, and what the caller does with it:
 * - the registry has no such id (404, error code 40403), or what it has cannot be read: `lookup` says
 *   why, and each record of that id goes to the dead-letter topic with the reason;
 * - the registry cannot be reached, times out or answers 5xx/429: REGISTRY_UNAVAILABLE, retriable
 *   (the worker waits and tries again; no record is dead-lettered for the registry's trouble);
 * - 401/403: REGISTRY_AUTH, not retriable (the credentials are wrong).
 * Credentials go in the Authorization header only; no message names them.
 */
import { TributaryError } from '../../../../core/errors.ts';

export interface SchemaRegistryConfig {
  url?: string;
  username?: string;
  password?: string;
  timeout_ms?: number;
}

export const schemaRegistrySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Where Avro and Protobuf sources find the writer schemas of ids not given in their own config: a schema registry with Confluent\'s REST API (Confluent, Redpanda, Karapace, Apicurio\'s ccompat API).',
  properties: {
    url: { type: 'string', minLength: 1, description: 'Base URL, e.g. http://127.0.0.1:8081 (or SCHEMA_REGISTRY_URL).' },
    username: { type: 'string', minLength: 1, description: 'Basic-auth user (Confluent Cloud: the API key), or SCHEMA_REGISTRY_USER.' },
    password: { type: 'string', minLength: 1, description: 'Basic-auth password: use ${ENV_VAR} or SCHEMA_REGISTRY_PASSWORD, never write it in the file.' },
    timeout_ms: { type: 'integer', minimum: 100, default: 10_000, description: 'Longest wait for one answer of the registry.' },
  },
} as const;

/** A schema reference: the name the schema imports it by, and where the registry keeps it. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface RegisteredSchema {
  /** AVRO, PROTOBUF or JSON (the registry leaves it out for Avro). */
  type: string;
  schema: string;
  /** Every schema it refers to, directly or not, by the name it is imported as: dependencies before the schemas that import them. */
  references: Array<{ name: string; type: string; schema: string }>;
}

/** What the registry says of an id: its schema, or why there is none to read records with. */
export type Lookup = { ok: true; schema: RegisteredSchema } | { ok: false; reason: string };

interface Answer {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

/** Most levels of references followed (a chain longer than this is a cycle or a mistake). */
const MAX_DEPTH = 32;

export class SchemaRegistry {
  private readonly base: string;
  /** Where, for messages: the URL without credentials. */
  readonly where: string;
  private readonly auth?: string;
  private readonly timeoutMs: number;
  private readonly byId = new Map<number, Promise<Lookup>>();

  constructor(config: SchemaRegistryConfig & { url: string }) {
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new TributaryError('CONFIG_INVALID', `schema_registry.url: not a URL: ${config.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TributaryError('CONFIG_INVALID', `schema_registry.url: ${url.protocol} is not http or https`);
    // Credentials in the URL (http://user:pass@host), as Confluent's clients take them too.
    const user = config.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const pass = config.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    this.base = url.href.replace(/\/+$/, '');
    this.where = this.base;
    if (user !== undefined) this.auth = `Basic ${Buffer.from(`${user}:${pass ?? ''}`).toString('base64')}`;
    this.timeoutMs = config.timeout_ms ?? 10_000;
  }

  /**
   * The schema of `id` with its references. A failed fetch (REGISTRY_UNAVAILABLE, REGISTRY_AUTH) is
   * not kept: the next call asks again. An answer is kept, also "no such id".
   */
  lookup(id: number): Promise<Lookup> {
    let p = this.byId.get(id);
    if (p === undefined) {
      p = this.fetchId(id);
      this.byId.set(id, p);
      p.catch(() => this.byId.delete(id));
    }
    return p;
  }

  /**
   * A look that the registry is there and takes the credentials (for `tributary worker --check`): the
   * schema types it serves (`GET /schemas/types`), or, from a registry older than that call (404), the
   * number of its subjects. Throws REGISTRY_UNAVAILABLE or REGISTRY_AUTH.
   */
  async probe(): Promise<string> {
    const types = await this.get('/schemas/types', 'its schema types');
    if (types.status === 200 && Array.isArray(types.body)) return `serves ${(types.body as unknown[]).join(', ')}`;
    const subjects = await this.get('/subjects', 'its subjects');
    if (subjects.status === 200 && Array.isArray(subjects.body)) return `holds ${subjects.body.length} subject(s)`;
    throw new TributaryError('REGISTRY_UNAVAILABLE', `${this.where} does not answer as a schema registry (GET /schemas/types and /subjects: ${subjects.status === 404 ? subjects.message : 'no list'})`, { canRetry: true });
  }

  private async fetchId(id: number): Promise<Lookup> {
    const got = await this.get(`/schemas/ids/${id}`, `schema id ${id}`);
    if (got.status === 404) return { ok: false, reason: `schema id ${id} is not in the schema registry at ${this.where} (${got.message})` };
    const head = this.read(got.body, `schema id ${id}`);
    if (typeof head === 'string') return { ok: false, reason: head };
    const references: RegisteredSchema['references'] = [];
    const missing = await this.follow(head.refs, references, new Set(), 0);
    if (missing !== undefined) return { ok: false, reason: `schema id ${id}: ${missing}` };
    return { ok: true, schema: { type: head.type, schema: head.schema, references } };
  }

  /** Adds each reference (its own references first) to `out`; a string says which could not be had. */
  private async follow(refs: SchemaReference[], out: RegisteredSchema['references'], seen: Set<string>, depth: number): Promise<string | undefined> {
    if (depth > MAX_DEPTH) return `references nest more than ${MAX_DEPTH} deep`;
    for (const ref of refs) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const what = `reference ${ref.name} (subject ${ref.subject}, version ${ref.version})`;
      const got = await this.get(`/subjects/${encodeURIComponent(ref.subject)}/versions/${encodeURIComponent(String(ref.version))}`, what);
      if (got.status === 404) return `${what} is not in the schema registry (${got.message})`;
      const r = this.read(got.body, what);
      if (typeof r === 'string') return r;
      const deeper = await this.follow(r.refs, out, seen, depth + 1);
      if (deeper !== undefined) return deeper;
      out.push({ name: ref.name, type: r.type, schema: r.schema });
    }
    return undefined;
  }

  private read(body: Answer, what: string): { type: string; schema: string; refs: SchemaReference[] } | string {
    if (typeof body.schema !== 'string') return `the registry's answer for ${what} holds no schema`;
    const refs: SchemaReference[] = [];
    for (const r of Array.isArray(body.references) ? (body.references as unknown[]) : []) {
      const x = r as Partial<SchemaReference>;
      if (typeof x?.name !== 'string' || typeof x.subject !== 'string' || (typeof x.version !== 'number' && typeof x.version !== 'string')) {
        return `the registry's answer for ${what} has a malformed reference: ${JSON.stringify(r)}`;
      }
      refs.push({ name: x.name, subject: x.subject, version: Number(x.version) });
    }
    return { type: typeof body.schemaType === 'string' ? body.schemaType.toUpperCase() : 'AVRO', schema: body.schema, refs };
  }

  /** One GET: the parsed body of a 200, or a 404's message; throws for anything else. */
  private async get(path: string, what: string): Promise<{ status: 200; body: Answer } | { status: 404; message: string }> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        headers: { Accept: 'application/vnd.schemaregistry.v1+json, application/json', ...(this.auth ? { Authorization: this.auth } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new TributaryError('REGISTRY_UNAVAILABLE', `the schema registry at ${this.where} cannot be reached for ${what}: ${why}`, { canRetry: true, cause: err });
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    const said = typeof message === 'string' ? message : text.slice(0, 200);
    if (res.status === 200 && body !== null && typeof body === 'object') return { status: 200, body: body as Answer };
    if (res.status === 404) return { status: 404, message: said || 'not found' };
    if (res.status === 401 || res.status === 403) {
      throw new TributaryError('REGISTRY_AUTH', `the schema registry at ${this.where} refused ${this.auth ? 'the credentials (schema_registry.username, password)' : 'a request without credentials (set schema_registry.username and password)'}: HTTP ${res.status} ${said}`);
    }
    throw new TributaryError('REGISTRY_UNAVAILABLE', `the schema registry at ${this.where} answered HTTP ${res.status} for ${what}: ${said}`, { canRetry: res.status >= 500 || res.status === 429 || res.status === 200 });
  }
}

/**
 * Fetches the schemas of the batch's ids not in `into` yet and reads each with `read` into `into`: the
 * reader's result, or why there is none (the registry lacks the id, it is a schema of another type, or
 * `read` threw). Both Avro's and protobuf's `prepare`. Throws REGISTRY_UNAVAILABLE or REGISTRY_AUTH.
 */
export async function fetchSchemas<T extends object>(
  registry: SchemaRegistry,
  values: ReadonlyArray<Buffer | null>,
  into: Map<number, T | { reason: string }>,
  known: (id: number) => boolean,
  type: 'AVRO' | 'PROTOBUF',
  read: (id: number, schema: RegisteredSchema) => T | Promise<T>,
): Promise<void> {
  const name = type === 'AVRO' ? 'Avro' : 'protobuf';
  for (const id of framedIds(values, (id) => known(id) || into.has(id))) {
    const got = await registry.lookup(id);
    if (!got.ok) into.set(id, { reason: got.reason });
    else if (got.schema.type !== type) into.set(id, { reason: `schema id ${id} is ${got.schema.type === 'AVRO' ? 'an Avro' : `a ${got.schema.type}`} schema in the registry, not ${name} (is the source's format right?)` });
    else {
      try {
        into.set(id, await read(id, got.schema));
      } catch (err) {
        into.set(id, { reason: `schema id ${id} from the registry cannot be read as ${name}: ${(err as Error).message}` });
      }
    }
  }
}

/**
 * The schema ids of a batch's records in Confluent's wire format (byte 0, then the id), each once, in
 * the order met; records not in it are the decoder's to refuse.
 */
export function framedIds(values: ReadonlyArray<Buffer | null>, known: (id: number) => boolean): number[] {
  const out = new Set<number>();
  for (const v of values) {
    if (v === null || v.length < 5 || v[0] !== 0) continue;
    const id = v.readUInt32BE(1);
    if (!known(id)) out.add(id);
  }
  return [...out];
}
