/**
 * The Linux kernel's ring buffer as `dmesg` prints it and as older syslog daemons wrote it to kern.log:
 * `[12345.678901] usb 1-1: new device`, `<6>[    0.000000] Linux version ...` (`dmesg -r`), and
 * `Dec  6 22:24:49 host kernel: [12345.678901] msg`. The bracket holds seconds since boot, not a
 * time of day: it becomes `kernel.uptime` (the seconds as written) and leaves the body, which is then
 * the kernel's message as written (the same text from two boots, or from dmesg and kern.log, is one
 * body). The record keeps the syslog stamp, or else the time of reading (the boot it counts from is
 * not in the line). `journalctl -o short-monotonic` writes the same bracket before a host, tag and pid
 * (read by the auto parser after this). `dmesg -T`'s `[Sun Dec  6 ...]` is a real stamp, read as one.
 */
import { applyPri } from './pri.ts';
import type { ParsedFields } from './types.ts';

/** The index after `[  seconds.micro] ` at `at` (blanks inside padding the seconds), or -1. */
function uptimeEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== 91 /* [ */) return -1;
  let i = at + 1;
  while (text.charCodeAt(i) === 32) i++;
  const digits = i;
  while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  // Nine digits at most: ten are an epoch in brackets (`[1733523889.123] msg`), read as a time elsewhere.
  if (i === digits || i - digits > 9 || text.charCodeAt(i) !== 46 /* . */) return -1;
  const frac = ++i;
  while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  if (i - frac < 3 || i - frac > 9 || text.charCodeAt(i) !== 93 /* ] */) return -1;
  return i + 1;
}

function uptimeInto(text: string, at: number, end: number, r: ParsedFields): void {
  r.attributes['kernel.uptime'] = text.slice(at + 1, end - 1).trim();
  r.body = text.charCodeAt(end) === 32 ? text.slice(end + 1) : text.slice(end);
}

/** `[12345.678901] msg`, `<6>[12345.678901] msg`: a ring-buffer line alone; null for anything else. */
export function kernelLine(line: string): ParsedFields | null {
  let at = 0;
  let pri: string | undefined;
  if (line.charCodeAt(0) === 60 /* < */) {
    const close = line.indexOf('>');
    if (close < 2 || close > 4) return null;
    pri = line.slice(1, close);
    if (!/^\d+$/.test(pri)) return null;
    at = close + 1;
  }
  const end = uptimeEnd(line, at);
  if (end === -1) return null;
  const r: ParsedFields = { body: '', attributes: {} };
  if (!applyPri(r, pri)) return null;
  uptimeInto(line, at, end, r);
  return r;
}

/** A syslog record from the kernel whose message starts with its uptime: the uptime out of the body. */
export function kernelSyslog(r: ParsedFields): void {
  if (r.body.charCodeAt(0) !== 91 || r.attributes['syslog.appname'] !== 'kernel') return;
  const end = uptimeEnd(r.body, 0);
  if (end !== -1) uptimeInto(r.body, 0, end, r);
}
