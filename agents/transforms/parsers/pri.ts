/**
 * Syslog's PRI (`<134>`: facility * 8 + severity), as every parser of syslog-shaped lines reads it: the
 * syslog parser, network devices' messages (cisco.ts) and the kernel's `dmesg -r` lines (kernel.ts).
 */
import { severityFromSyslog } from '../severity.ts';
import type { ParsedFields } from './types.ts';

export const SYSLOG_FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;

/** The severity and `syslog.facility` of a PRI's number (as written between `<` and `>`) into `out`; false when it is above 191 (no PRI). */
export function applyPri(out: ParsedFields, pri: string | undefined): boolean {
  if (pri === undefined) return true;
  const n = Number(pri);
  if (n > 191) return false;
  const sev = severityFromSyslog(n & 7);
  out.severityText = sev.text;
  out.severityNumber = sev.number;
  out.attributes['syslog.facility'] = SYSLOG_FACILITIES[n >> 3]!;
  return true;
}
