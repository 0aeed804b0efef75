/**
 * A live process's CPU and peak memory as the kernel counts them (/proc), for the bench's rows of
 * shippers that are not ours (the Collector, rsyslog): read while the process still runs, so its
 * shutdown is not in the figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck: number | undefined;
/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's times. */
const ticks = () => (clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);

/** utime + stime of a live process, in seconds (all its threads). */
export function cpuSeconds(pid: number): number {
  // After the command name (in parentheses, may hold spaces) utime and stime are the 12th and 13th fields.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks();
}

/** A process's /proc status text (`self`: this one). */
export function procStatus(pid: number | 'self'): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

/** A memory field of a /proc status text (`VmRSS`, `VmHWM`, `RssAnon`, ...), in kB; NaN when it has none. */
export function statusKb(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
}

/** A live process's peak RSS (VmHWM), in kB. */
export function peakRssKb(pid: number): number {
  return statusKb(procStatus(pid), 'VmHWM') || 0;
}

/** A shipper that is not ours, started by the bench (the Collector, rsyslogd). */
export interface Service {
  pid: number;
  /** Throws if it exited (with the end of what it printed). */
  checkAlive(): void;
  /** The last lines it printed on stderr (of its last 4 KB). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s (a shutdown stuck on retries, a broker gone). */
  stop(): Promise<void>;
}

/** Starts `bin` with `args` and `env` added to this process's; `name` names it in errors; stderr is kept (the last 4 KB). */
export function startService(name: string, bin: string, args: string[], env: Record<string, string>): Service {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));
  // Indented lines continue the one before (a Go stack, a config dump): the last three that are not.
  const tail = () => err.trim().split('\n').filter((l) => !/^\s/.test(l)).slice(-3).join(' | ');
  return {
    pid: child.pid!,
    checkAlive: () => {
      if (exited !== undefined) throw new Error(`${name} exited (${exited}): ${tail()}`);
    },
    stderr: tail,
    stop: async () => {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
