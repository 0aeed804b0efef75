/**
 * The other Kafka clients bench:agent measures beside ours (`@platformatic/kafka`, the Confluent
 * client), installed from bench/clients/package-lock.json into dist/bench-clients on first use and
 * again when the lockfile changes. They stay out of the project's own dependencies: the project never
 * loads them, `@platformatic/kafka`'s helpers declare Node >= 22.19 (1.35.0 runs on Node 20 all the
 * same, but every `npm ci` would warn), and the Confluent client compiles librdkafka at install.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const BENCH_CLIENTS_DIR = join(root, 'dist', 'bench-clients');

/** Where an installed client's entry module is, to `import()` it by path. */
export const CLIENT_ENTRIES = {
  platformatic: 'node_modules/@platformatic/kafka/dist/index.js',
  confluent: 'node_modules/@confluentinc/kafka-javascript/lib/index.js',
} as const;
export type OtherClient = keyof typeof CLIENT_ENTRIES;

/**
 * Installs the clients unless the lockfile's install is already there. Returns the directory, or the
 * reason it could not (the rows are then left out and the reason printed; the bench goes on).
 */
export function ensureBenchClients(dir = BENCH_CLIENTS_DIR, from = here, entries: Record<string, string> = CLIENT_ENTRIES): { dir: string } | { error: string } {
  const lock = readFileSync(join(from, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).update(readFileSync(join(from, 'package.json'))).digest('hex');
  const stamp = join(dir, 'node_modules', '.tributary-lock-hash');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && Object.values(entries).every((e) => existsSync(join(dir, e)))) return { dir };
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(from, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(from, 'package-lock.json'), join(dir, 'package-lock.json'));
  process.stderr.write(`Installing the other Kafka clients into ${dir} (bench/clients; the Confluent client compiles librdkafka: about a minute the first time)...\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The Confluent client's default build links librdkafka statically with zlib, OpenSSL, zstd and curl
    // it downloads from their own sites; linked dynamically it builds librdkafka as bundled, from the
    // registry's tarball alone.
    CKJS_LINKING: process.env.CKJS_LINKING ?? 'dynamic',
  };
  // node-gyp downloads Node's headers unless told where they are; Debian's nodejs has them in /usr/include/node.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { error: `npm ci in ${dir} could not run: ${r.error.message}` };
  if (r.status !== 0) {
    // npm's reason, without the usage text it prints after a refusal, nor its blank error lines.
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
    const usage = out.findIndex((l) => /^npm error (Usage:|Clean install)/.test(l));
    const tail = (usage >= 0 ? out.slice(0, usage) : out).filter((l) => !/^npm error\s*$/.test(l)).slice(-8).join('\n');
    return { error: `npm ci in ${dir} failed (exit ${r.status ?? r.signal}):\n${tail}` };
  }
  const missing = Object.entries(entries).filter(([, e]) => !existsSync(join(dir, e)));
  if (missing.length > 0) return { error: `npm ci in ${dir} left out ${missing.map(([c]) => c).join(', ')}` };
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, hash);
  return { dir };
}
