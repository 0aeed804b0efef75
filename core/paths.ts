/**
 * Where Tributary keeps things outside the tracked tree. `TRIBUTARY_HOME` moves the state folder
 * (store, broker data, agent checkpoints); `TRIBUTARY_CACHE` moves downloaded broker jars.
 */
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Opens `path` for writing (created or emptied). Its folder is made only when missing (or removed
 * since), not before every write: checkpoints and status files are written several times a second.
 */
export function openForWriting(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'w');
  }
}

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

/**
 * Brokers to use: `TRIBUTARY_BROKERS` (comma-separated), or every broker of the local stack (its
 * SASL_SSL listeners when `KAFKA_SSL=1` and the stack has them), or 127.0.0.1 at TRIBUTARY_KAFKA_PORT.
 */
export function defaultBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.TRIBUTARY_BROKERS ?? env.KAFKA_BROKERS;
  if (raw) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    // Written by `stack up` (core/kafka/stack.ts); read here without importing the stack's code.
    const layout = JSON.parse(readFileSync(join(stateDir(env), 'kafka', 'stack.json'), 'utf8')) as { ports?: number[]; securePorts?: number[] };
    const ports = env.KAFKA_SSL === '1' && layout.securePorts ? layout.securePorts : layout.ports;
    if (ports?.length) return ports.map((p) => `127.0.0.1:${p}`);
  } catch {
    /* no local stack recorded: the single default broker below */
  }
  const port = env.TRIBUTARY_KAFKA_PORT ?? '9092';
  return [`127.0.0.1:${port}`];
}
