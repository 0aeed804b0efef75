/**
 * One small interface over ClickHouse, with two drivers that run the same SQL: chDB in-process
 * (`embedded`, the default) and `@clickhouse/client` over HTTP (`server`).
 *
 * SQL is parameterised with ClickHouse's own `{name:Type}` placeholders; values are never spliced
 * into the text. Rows go in and come out as JSON objects (JSONEachRow).
 */

export type Params = Record<string, unknown>;

export interface InsertOptions {
  /**
   * Deterministic deduplication token (for example `logs.v1/3/100-199`): ClickHouse drops a second
   * insert that carries the same token, which is what makes replays after a crash change nothing.
   */
  dedupToken?: string;
  /** Extra per-insert settings. */
  settings?: Record<string, string | number>;
}

export interface Store {
  /** `embedded` or `server`. */
  readonly driver: 'embedded' | 'server';
  /** Where it stores: a folder for `embedded`, a URL (without credentials) for `server`. */
  readonly location: string;
  /** Runs a statement that returns nothing (DDL, INSERT ... SELECT, OPTIMIZE). */
  command(sql: string, params?: Params): Promise<void>;
  /** Runs a query and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  /** Inserts rows (objects keyed by column name) into a table. */
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>;
  /** Answers when the store is reachable; throws a TributaryError otherwise. */
  ping(): Promise<void>;
  /** Releases the store (the embedded driver frees its data folder for other processes). */
  close(): Promise<void>;
}

export interface EmbeddedStoreConfig {
  driver: 'embedded';
  /** Data folder; created if missing. */
  path: string;
  database?: string;
}

export interface ServerStoreConfig {
  driver: 'server';
  /** e.g. `http://127.0.0.1:8123` */
  url: string;
  username?: string;
  /** Comes from the environment (`CLICKHOUSE_PASSWORD`), never from a file that is logged. */
  password?: string;
  database?: string;
  requestTimeoutMs?: number;
  /** https: the CA (PEM) to trust instead of the system's (a private CA), `CLICKHOUSE_CA_FILE`. */
  caFile?: string;
  /** https with client certificates (mutual TLS): this client's certificate and key (PEM), `CLICKHOUSE_CERT_FILE`, `CLICKHOUSE_KEY_FILE`. */
  certFile?: string;
  keyFile?: string;
}

export type StoreConfig = EmbeddedStoreConfig | ServerStoreConfig;
