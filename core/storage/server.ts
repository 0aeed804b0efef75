/**
 * The server driver: `@clickhouse/client` over HTTP to a ClickHouse server or cluster. The same SQL
 * as the embedded driver; connection failures are retryable errors, a wrong password is not.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { TributaryError } from '../errors.ts';
import type { InsertOptions, Params, ServerStoreConfig, Store } from './store.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** Turns a client error into a TributaryError that says whether a retry can help. */
export function classifyServerError(err: unknown, what: string, url: string): TributaryError {
  const e = err as { code?: string; type?: string; message?: string; cause?: { code?: string } };
  const message = (e.message ?? String(err)).trim();
  const netCode = e.code && NETWORK_CODES.has(e.code) ? e.code : e.cause?.code && NETWORK_CODES.has(e.cause.code) ? e.cause.code : undefined;
  if (netCode || /socket hang up|Timeout error|connect ECONNREFUSED/i.test(message)) {
    return new TributaryError('STORE_UNAVAILABLE', `ClickHouse at ${url} cannot be reached (${netCode ?? message})`, { canRetry: true, cause: err });
  }
  if (e.code === '516' || e.code === '193' || e.type === 'AUTHENTICATION_FAILED' || /Wrong password|Authentication failed|password is incorrect/i.test(message)) {
    return new TributaryError('STORE_AUTH', `ClickHouse at ${url} refused the credentials: ${message.split('\n')[0]}`, { cause: err });
  }
  return new TributaryError('QUERY_FAILED', `${what} failed on ClickHouse at ${url}: ${message}`, { cause: err });
}

export class ServerStore implements Store {
  readonly driver = 'server' as const;
  readonly location: string;
  private readonly client: ClickHouseClient;

  constructor(config: ServerStoreConfig) {
    const url = new URL(config.url);
    url.username = '';
    url.password = '';
    this.location = url.toString().replace(/\/$/, '');
    this.client = createClient({
      url: this.location,
      username: config.username ?? 'default',
      password: config.password ?? '',
      database: config.database ?? 'default',
      request_timeout: config.requestTimeoutMs ?? 30_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
      // Failures reach the caller as TributaryErrors and are logged there, once.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  async command(sql: string, params?: Params): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (err) {
      throw classifyServerError(err, 'command', this.location);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    try {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (err) {
      throw classifyServerError(err, 'query', this.location);
    }
  }

  async insert(table: string, rows: readonly object[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const settings: Record<string, string | number> = { ...options.settings };
    if (options.dedupToken) settings.insert_deduplication_token = options.dedupToken;
    try {
      await this.client.insert({ table, values: rows as object[], format: 'JSONEachRow', clickhouse_settings: settings });
    } catch (err) {
      throw classifyServerError(err, `insert into ${table}`, this.location);
    }
  }

  async ping(): Promise<void> {
    // ping() only checks /ping, which answers without credentials; a real query checks them too.
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
