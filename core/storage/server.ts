/**
 * The server driver: `@clickhouse/client` over HTTP to a ClickHouse server or cluster. The same SQL
 * as the embedded driver; connection failures are retryable errors, a wrong password is not.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { TributaryError } from '../errors.ts';
import { clientCertificateAlert } from '../tls-alerts.ts';
import type { InsertOptions, Params, ServerStoreConfig, Store } from './store.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET']);
/** Node's codes for a server certificate it does not trust or that is not for this host. */
const TLS_TRUST = /^(UNABLE_TO_(GET_ISSUER_CERT(_LOCALLY)?|VERIFY_LEAF_SIGNATURE)|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_(HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED)|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** The TLS settings for @clickhouse/client: a private CA, and this client's certificate (mutual TLS); each file named when it cannot be read. */
export function tlsOf(config: Pick<ServerStoreConfig, 'caFile' | 'certFile' | 'keyFile'>): { ca_cert: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  if (config.caFile === undefined && config.certFile === undefined && config.keyFile === undefined) return undefined;
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) {
    throw new TributaryError('CONFIG_INVALID', `${config.certFile === undefined ? 'CLICKHOUSE_KEY_FILE (store.key_file)' : 'CLICKHOUSE_CERT_FILE (store.cert_file)'} is set without the other: a client certificate needs both its certificate and its key`);
  }
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `${what}=${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  // The client takes a CA with a client certificate too: without a file of its own, the system's.
  const ca_cert = config.caFile !== undefined ? read(config.caFile, 'CLICKHOUSE_CA_FILE (store.ca_file)') : Buffer.from(rootCertificates.join('\n'));
  if (config.certFile === undefined) return { ca_cert };
  return { ca_cert, cert: read(config.certFile, 'CLICKHOUSE_CERT_FILE (store.cert_file)'), key: read(config.keyFile!, 'CLICKHOUSE_KEY_FILE (store.key_file)') };
}

/** Turns a client error into a TributaryError that says whether a retry can help. */
export function classifyServerError(err: unknown, what: string, url: string, sentCert = false): TributaryError {
  const e = err as { code?: string; type?: string; message?: string; cause?: { code?: string } };
  const message = (e.message ?? String(err)).trim();
  const alert = clientCertificateAlert(e.cause ?? e, sentCert) ?? clientCertificateAlert(e, sentCert);
  if (alert === 'required') {
    return new TributaryError('STORE_TLS', `ClickHouse at ${url} takes clients by their TLS certificate and this one sent none (${message.split('\n')[0]}); set CLICKHOUSE_CERT_FILE and CLICKHOUSE_KEY_FILE (store.cert_file, store.key_file)`, { cause: err });
  }
  if (alert === 'refused') {
    return new TributaryError('STORE_TLS', `ClickHouse at ${url} refused this client's TLS certificate (${message.split('\n')[0]}); is CLICKHOUSE_CERT_FILE signed by a CA the server trusts, and still valid?`, { cause: err });
  }
  const tlsCode = [e.code, e.cause?.code].find((c) => c !== undefined && TLS_TRUST.test(c));
  if (tlsCode) {
    return new TributaryError('STORE_TLS', `ClickHouse at ${url} presents a TLS certificate this client does not trust or that is not for this host (${tlsCode}: ${message.split('\n')[0]}); set CLICKHOUSE_CA_FILE (store.ca_file) to the CA that signed it, and connect by a name the certificate holds`, { cause: err });
  }
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
  /** Whether this client presents a certificate (how a server's refusal is worded). */
  private readonly sentCert: boolean;

  constructor(config: ServerStoreConfig) {
    const url = new URL(config.url);
    url.username = '';
    url.password = '';
    this.location = url.toString().replace(/\/$/, '');
    const tls = tlsOf(config);
    this.sentCert = tls?.cert !== undefined;
    this.client = createClient({
      url: this.location,
      username: config.username ?? 'default',
      password: config.password ?? '',
      database: config.database ?? 'default',
      request_timeout: config.requestTimeoutMs ?? 30_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
      ...(tls ? { tls } : {}),
      // Failures reach the caller as TributaryErrors and are logged there, once.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  async command(sql: string, params?: Params): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (err) {
      throw classifyServerError(err, 'command', this.location, this.sentCert);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    try {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (err) {
      throw classifyServerError(err, 'query', this.location, this.sentCert);
    }
  }

  async insert(table: string, rows: readonly object[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const settings: Record<string, string | number> = { ...options.settings };
    if (options.dedupToken) settings.insert_deduplication_token = options.dedupToken;
    try {
      await this.client.insert({ table, values: rows as object[], format: 'JSONEachRow', clickhouse_settings: settings });
    } catch (err) {
      throw classifyServerError(err, `insert into ${table}`, this.location, this.sentCert);
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
