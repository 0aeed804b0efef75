/** Picks the storage driver from settings: the embedded store unless a server URL is given. */
import { storeDir } from '../paths.ts';
import { ChdbStore } from './chdb.ts';
import { ServerStore } from './server.ts';
import type { Store, StoreConfig } from './store.ts';

/**
 * The store config from flags and environment: `--store-url`/`CLICKHOUSE_URL` selects the server
 * driver (with `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD`, `CLICKHOUSE_DATABASE`, and for https
 * `CLICKHOUSE_CA_FILE`, `CLICKHOUSE_CERT_FILE`, `CLICKHOUSE_KEY_FILE`); otherwise chDB in
 * `--store`/`TRIBUTARY_STORE_PATH` or the default state folder.
 */
export function storeConfigFrom(flags: { store?: string; storeUrl?: string }, env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const url = flags.storeUrl ?? env.CLICKHOUSE_URL;
  if (url) {
    const parsed = new URL(url);
    return {
      driver: 'server',
      url,
      username: env.CLICKHOUSE_USER ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined),
      password: env.CLICKHOUSE_PASSWORD ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined),
      database: env.CLICKHOUSE_DATABASE ?? (parsed.pathname.length > 1 ? parsed.pathname.slice(1) : undefined),
      ...(env.CLICKHOUSE_CA_FILE ? { caFile: env.CLICKHOUSE_CA_FILE } : {}),
      ...(env.CLICKHOUSE_CERT_FILE ? { certFile: env.CLICKHOUSE_CERT_FILE } : {}),
      ...(env.CLICKHOUSE_KEY_FILE ? { keyFile: env.CLICKHOUSE_KEY_FILE } : {}),
    };
  }
  return { driver: 'embedded', path: flags.store ?? storeDir(env) };
}

export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.driver === 'server') return new ServerStore(config);
  return ChdbStore.open(config);
}
