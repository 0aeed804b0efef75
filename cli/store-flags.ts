/** The storage flags every command that touches ClickHouse shares. */
import { openStore, storeConfigFrom } from '../core/storage/open.ts';
import type { Store } from '../core/storage/store.ts';

export const STORE_OPTIONS = {
  store: { type: 'string' },
  'store-url': { type: 'string' },
} as const;

export const STORE_HELP = `  --store <dir>          embedded store folder (default: TRIBUTARY_STORE_PATH or ~/.local/state/tributary/store)
  --store-url <url>      use a ClickHouse server instead, e.g. http://127.0.0.1:8123 (or CLICKHOUSE_URL;
                         credentials from CLICKHOUSE_USER and CLICKHOUSE_PASSWORD)`;

export function openStoreFromFlags(values: { store?: string; 'store-url'?: string }): Promise<Store> {
  return openStore(storeConfigFrom({ store: values.store, storeUrl: values['store-url'] }));
}
