/**
 * Where Tributary keeps things outside the tracked tree. `TRIBUTARY_HOME` moves the state folder
 * (store, broker data, agent checkpoints); `TRIBUTARY_CACHE` moves downloaded broker jars.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRIBUTARY_HOME) return resolve(env.TRIBUTARY_HOME);
  const base = env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return join(base, 'tributary');
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRIBUTARY_CACHE) return resolve(env.TRIBUTARY_CACHE);
  const base = env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'tributary');
}

/** The embedded store's data folder (chDB). */
export function storeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRIBUTARY_STORE_PATH ? resolve(env.TRIBUTARY_STORE_PATH) : join(stateDir(env), 'store');
}

/** Brokers to use: `TRIBUTARY_BROKERS` (comma-separated) or the local stack. */
export function defaultBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.TRIBUTARY_BROKERS ?? env.KAFKA_BROKERS;
  if (raw) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  const port = env.TRIBUTARY_KAFKA_PORT ?? '9092';
  return [`127.0.0.1:${port}`];
}
