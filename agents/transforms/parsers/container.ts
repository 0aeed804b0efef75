/**
 * Lines wrapped by whatever collected them, in; the wrapper's fields and the inner line's own fields
 * out. CRI (containerd, CRI-O: `2026-11-24T10:00:00.123456789Z stdout F msg`), Docker's json-file
 * driver (`{"log":"msg\n","stream":"stderr","time":"..."}`) and journald's JSON export
 * (`journalctl -o json`). The inner line is parsed again by `inner`, so an app's own level, logger
 * and message come out as if the line had been read directly. The wrapper's time wins: the runtime
 * wrote it with a full date and zone, where the app's own stamp may lack both.
 */
import { severityFromSyslog } from '../severity.ts';
import { parseTimestamp } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

export type InnerParser = (line: string, ctx: ParseContext) => ParsedFields;

const CRI_TAIL = / (stdout|stderr) ([FP]) ?/y;

/** The CRI fields after a stamp ending at `end`, or null when the line is not CRI. */
export function parseCri(line: string, time: number, end: number, ctx: ParseContext, inner: InnerParser): ParsedFields | null {
  CRI_TAIL.lastIndex = end;
  const m = CRI_TAIL.exec(line);
  if (m === null) return null;
  const out = inner(line.slice(CRI_TAIL.lastIndex), ctx);
  wrap(out, time);
  out.attributes['log.iostream'] = m[1]!;
  // A `P` line is the first part of a line longer than the runtime's buffer (16 KiB).
  if (m[2] === 'P') out.attributes['log.partial'] = 'true';
  return out;
}

function wrap(out: ParsedFields, time: number | undefined): void {
  if (time !== undefined) out.time = time;
  // The wrapper's time is good even when the inner stamp was not.
  if (out.fallback === 'bad_time') delete out.fallback;
  // The inner line matching nothing is still a known wrapper.
  if (out.fallback === 'unmatched') delete out.fallback;
}

/** Docker json-file: `log`, `stream` and `time` and nothing but `attrs` besides. */
export function isDockerJson(v: Record<string, unknown>): boolean {
  return typeof v.log === 'string' && (v.stream === 'stdout' || v.stream === 'stderr') && typeof v.time === 'string';
}

export function parseDockerJson(v: Record<string, unknown>, ctx: ParseContext, inner: InnerParser): ParsedFields {
  let text = v.log as string;
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  const out = inner(text, ctx);
  wrap(out, parseTimestamp(v.time, { timeZone: ctx.timeZone ?? 'UTC', now: ctx.now }));
  out.attributes['log.iostream'] = v.stream as string;
  const attrs = v.attrs;
  if (attrs !== null && typeof attrs === 'object' && !Array.isArray(attrs)) {
    for (const [k, val] of Object.entries(attrs)) if (typeof val === 'string') out.attributes[`container.label.${k}`] = val;
  }
  return out;
}

/** journald's JSON export: `MESSAGE` with the journal's own `__REALTIME_TIMESTAMP` or `__CURSOR`. */
export function isJournald(v: Record<string, unknown>): boolean {
  return v.MESSAGE !== undefined && (v.__REALTIME_TIMESTAMP !== undefined || v.__CURSOR !== undefined);
}

const JOURNAL_ATTRIBUTES: Readonly<Record<string, string>> = {
  SYSLOG_IDENTIFIER: 'syslog.appname',
  _SYSTEMD_UNIT: 'systemd.unit',
  _PID: 'process.pid',
  _COMM: 'process.command',
  _EXE: 'process.executable.path',
  _TRANSPORT: 'journald.transport',
  _BOOT_ID: 'journald.boot_id',
  CONTAINER_NAME: 'container.name',
};

export function parseJournald(v: Record<string, unknown>, ctx: ParseContext, inner: InnerParser): ParsedFields {
  // journald exports a message that is not valid UTF-8 as an array of bytes.
  const message = Array.isArray(v.MESSAGE)
    ? Buffer.from(v.MESSAGE.filter((b): b is number => typeof b === 'number')).toString('utf8')
    : String(v.MESSAGE);
  const out = inner(message, ctx);
  const us = typeof v.__REALTIME_TIMESTAMP === 'string' && /^\d{1,17}$/.test(v.__REALTIME_TIMESTAMP) ? Number(v.__REALTIME_TIMESTAMP) / 1000 : undefined;
  wrap(out, us);
  // A level the app wrote itself beats PRIORITY, which journald sets to 6 for anything on stdout.
  const priority = typeof v.PRIORITY === 'string' ? Number(v.PRIORITY) : NaN;
  if (out.severityText === undefined && Number.isInteger(priority) && priority >= 0 && priority <= 7) {
    const sev = severityFromSyslog(priority);
    out.severityText = sev.text;
    out.severityNumber = sev.number;
  }
  if (typeof v._HOSTNAME === 'string' && v._HOSTNAME !== '') out.host = v._HOSTNAME;
  for (const [key, name] of Object.entries(JOURNAL_ATTRIBUTES)) {
    const val = v[key];
    if (typeof val === 'string' && out.attributes[name] === undefined) out.attributes[name] = val;
  }
  return out;
}
