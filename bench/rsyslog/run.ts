/**
 * rsyslog (imfile -> omkafka) as one more shipper of bench/agent.ts: Debian's rsyslogd and its Kafka
 * output, unpacked into dist/rsyslog by bench/rsyslog/fetch.sh, run on imfile-omkafka.conf.
 *
 * rsyslog has no counter of acknowledged messages it could be asked for while it runs (impstats
 * writes at most once a second), so lines are counted where they land: the topic's offsets, which
 * move once the broker committed a write (acks=all). One message per line, so offsets are lines.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, peakRssKb, startService, type Service } from '../proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const RSYSLOG_DIR = join(root, 'dist/rsyslog');

export interface Rsyslog {
  /** rsyslogd, and the environment it runs with (its libraries' folder first on the search path). */
  bin: string;
  modules: string;
  env: Record<string, string>;
  /** As it reports itself and its Kafka library: `rsyslog 8.2302.0, librdkafka 2.0.2`. */
  version: string;
}

/** The multiarch folder (x86_64-linux-gnu, ...) under dist/rsyslog/root/usr/lib that holds rsyslog's modules (a fetch of before the TLS driver counts as none). */
function archDir(): string | undefined {
  const lib = join(RSYSLOG_DIR, 'root/usr/lib');
  if (!existsSync(lib)) return undefined;
  const arch = readdirSync(lib).find((d) => existsSync(join(lib, d, 'rsyslog/omkafka.so')) && existsSync(join(lib, d, 'rsyslog/lmnsd_ossl.so')));
  return arch && join(lib, arch);
}

/** Whether rsyslog is already in dist/rsyslog (nothing to fetch). */
export function rsyslogFetched(): boolean {
  return archDir() !== undefined;
}

/**
 * rsyslog from dist/rsyslog, fetched first (bench/rsyslog/fetch.sh) when it is not there or `refetch`
 * is set (BENCH_RSYSLOG_REFETCH=1). Throws with the script's reason when it cannot be had.
 */
export function ensureRsyslog(refetch = !!process.env.BENCH_RSYSLOG_REFETCH): Rsyslog {
  if (!archDir() || refetch) {
    process.stderr.write('Fetching rsyslog and its Kafka output (bench/rsyslog/fetch.sh, Debian packages unpacked into dist/rsyslog)...\n');
    const f = spawnSync('bash', [join(root, 'bench/rsyslog/fetch.sh')], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
    if (f.status !== 0) throw new Error(`bench/rsyslog/fetch.sh failed (exit ${f.status}): ${(f.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  const lib = archDir();
  if (!lib) throw new Error(`${RSYSLOG_DIR} holds no rsyslog/omkafka.so after bench/rsyslog/fetch.sh`);
  const bin = join(RSYSLOG_DIR, 'root/usr/sbin/rsyslogd');
  // Its own libraries first; the rest (librdkafka among them when the machine has it) are the machine's.
  const env = { LD_LIBRARY_PATH: [lib, join(RSYSLOG_DIR, 'root/lib', lib.split('/').pop()!), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  const v = spawnSync(bin, ['-v'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const rsyslog = /rsyslogd\s+(\S+)/.exec(v.stdout ?? '')?.[1];
  if (v.status !== 0 || !rsyslog) throw new Error(`${bin} -v failed (exit ${v.status}): ${(v.stderr || v.stdout || '').trim().slice(0, 300)}`);
  // The librdkafka omkafka loads: the one the dynamic linker resolves for it.
  const ldd = spawnSync('ldd', [join(lib, 'rsyslog/omkafka.so')], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const rdkafka = /librdkafka\.so\.\S+ => (\S+)/.exec(ldd.stdout ?? '')?.[1];
  if (!rdkafka || rdkafka === 'not') throw new Error(`omkafka's librdkafka is not found (ldd: ${(ldd.stdout ?? '').trim().slice(0, 300)})`);
  return { bin, modules: join(lib, 'rsyslog'), env, version: `rsyslog ${rsyslog}, ${librdkafkaVersion(rdkafka)}` };
}

/** `librdkafka 2.0.2-1`: the Debian version of the package that holds the library omkafka loads. */
function librdkafkaVersion(path: string): string {
  const real = realpathSync(path);
  // Unpacked by fetch.sh: its package file is named <package>_<version>_<arch>.deb.
  if (real.startsWith(RSYSLOG_DIR)) {
    const deb = readdirSync(join(RSYSLOG_DIR, 'debs')).find((d) => d.startsWith('librdkafka'));
    return `librdkafka ${deb ? decodeURIComponent(deb.split('_')[1]!) : '(unknown version)'}`;
  }
  const owner = spawnSync('dpkg-query', ['-S', real], { encoding: 'utf8' }).stdout?.split(':')[0]?.trim();
  const version = owner ? spawnSync('dpkg-query', ['-W', '-f', '${Version}', owner], { encoding: 'utf8' }).stdout?.trim() : '';
  return `librdkafka ${version || `(${real.split('/').pop()})`}`;
}

/**
 * Starts rsyslogd on imfile-omkafka.conf, tailing `file` (imfile takes `*` in its folders and names)
 * into `topic`; its config, pid file and imfile's state in a temporary folder of its own, removed
 * when it stops.
 */
export function startRsyslog(rs: Rsyslog, file: string, brokers: string, topic: string): Service {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-rsyslog-'));
  const conf = join(work, 'rsyslog.conf');
  const fill: Record<string, string> = { WORK: work, BROKERS: brokers.split(',').map((b) => JSON.stringify(b)).join(', '), TOPIC: topic, FILE: file };
  writeFileSync(conf, readFileSync(join(root, 'bench/rsyslog/imfile-omkafka.conf'), 'utf8').replace(/@(\w+)@/g, (_, k: string) => fill[k] ?? `@${k}@`));
  // -n: in the foreground; -M: its modules' folder; -i: its pid file (not /run's).
  const service = startService('rsyslogd', rs.bin, ['-n', '-M', rs.modules, '-f', conf, '-i', join(work, 'rsyslogd.pid')], rs.env);
  return {
    ...service,
    stop: async () => {
      await service.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface RsyslogRun {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  steadyCpuSeconds?: number;
  steadyLines?: number;
}

/**
 * Ships `file` (of `lines` lines) into `topic` with rsyslog; the same figures as the bench's other
 * rows. The clock and the CPU count start when rsyslogd is started (its own start-up, some
 * milliseconds, is in its figures); the topic's offsets are polled every 25 ms until they hold every
 * line; CPU (/proc/<pid>/stat, all threads) and peak RSS (VmHWM) are read then, before it is
 * stopped. Steady: CPU between the polls that first see 10 % and 90 % of the lines. A count that
 * stops moving for `stallMs` fails the run with what rsyslog printed.
 */
export async function rsyslogRun(rs: Rsyslog, file: string, brokers: string, topic: string, lines: number, stallMs = 15_000): Promise<RsyslogRun> {
  // Imported here: bench/agent.ts's bundle also runs the agent rows, which should load what an agent loads.
  const { createKafka } = await import('../../core/kafka/client.ts');
  const admin = createKafka({ brokers: brokers.split(','), clientId: 'bench-rsyslog' }).admin();
  await admin.connect();
  const stored = async () => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const t = process.hrtime.bigint();
  const r = startRsyslog(rs, file, brokers, topic);
  const marks: Array<{ cpu: number; sent: number }> = [];
  try {
    let last = { n: -1, at: Date.now() };
    for (;;) {
      r.checkAlive();
      const n = await stored();
      if (n !== last.n) last = { n, at: Date.now() };
      else if (Date.now() - last.at > stallMs) throw new Error(`rsyslog's topic held ${n} of ${lines} lines and stopped moving for ${stallMs / 1000} s: ${r.stderr()}`);
      if (marks.length === 0 && n >= lines / 10) marks.push({ cpu: cpuSeconds(r.pid), sent: n });
      else if (marks.length === 1 && n >= (lines * 9) / 10) marks.push({ cpu: cpuSeconds(r.pid), sent: n });
      if (n >= lines) {
        const seconds = Number(process.hrtime.bigint() - t) / 1e9;
        const steady = marks.length === 2 ? { steadyCpuSeconds: marks[1]!.cpu - marks[0]!.cpu, steadyLines: marks[1]!.sent - marks[0]!.sent } : {};
        return { seconds, cpuSeconds: cpuSeconds(r.pid), maxRssKb: peakRssKb(r.pid), ...steady };
      }
      await new Promise((res) => setTimeout(res, 25));
    }
  } finally {
    await admin.disconnect();
    await r.stop();
  }
}
