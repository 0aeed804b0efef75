/**
 * A live process's CPU and peak memory as the kernel counts them (/proc), for the bench's rows of
 * shippers that are not ours (the Collector, rsyslog): read while the process still runs, so its
 * shutdown is not in the figures.
 */
import { spawnSync } from 'node:child_process';
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

/** A live process's peak RSS (VmHWM), in kB. */
export function peakRssKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
