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

/** A line as a container runtime wrote it to its file: the app's line inside, its stream, and whether the runtime cut it (more of it follows). */
export interface ContainerLine {
  kind: 'cri' | 'docker';
  stream: string;
  inner: string;
  partial: boolean;
}

/**
 * `text` read as a CRI line (`<stamp> <stream> <F|P> <line>`) or a Docker json-file line
 * (`{"log":"<line>\n","stream":...,"time":...}`), or undefined when it is neither. The multiline
 * assembler asks it of every line, so a line that is neither is told so in a few comparisons; a
 * Docker line is parsed (JSON.parse) to see its text.
 */
export function containerLine(text: string): ContainerLine | undefined {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    // RFC 3339 with nanoseconds and no blank inside, then ` stdout F ` / ` stderr P `.
    if (text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 84) return undefined;
    const sp = text.indexOf(' ', 19);
    if (sp === -1 || sp > 40 || text.charCodeAt(sp + 1) !== 115 /* s */) return undefined;
    const stream = text.startsWith('stdout ', sp + 1) ? 'stdout' : text.startsWith('stderr ', sp + 1) ? 'stderr' : undefined;
    if (stream === undefined) return undefined;
    const flag = text.charCodeAt(sp + 8);
    if ((flag !== 70 && flag !== 80) || (text.length > sp + 9 && text.charCodeAt(sp + 9) !== 32)) return undefined;
    return { kind: 'cri', stream, inner: text.slice(sp + 10), partial: flag === 80 };
  }
  if (c === 123 && text.startsWith('{"log":"')) {
    // Docker writes `log`, `stream`, `time` in that order; inside the log's text a quote is `\"`, so
    // `","stream":"` ends it. Read without parsing the whole object (the record thread does that):
    // as it is when it holds no escape, else as the JSON string it is.
    const end = text.indexOf('","stream":"std', 8);
    if (end === -1) return undefined;
    const stream = text.startsWith('out"', end + 15) ? 'stdout' : text.startsWith('err"', end + 15) ? 'stderr' : undefined;
    // And its time, as isDockerJson asks, so that the parser unwraps what was joined as wrapped.
    if (stream === undefined || !text.startsWith('","time":"', end + 18)) return undefined;
    let log = text.slice(8, end);
    const whole = escapedAtEnd(log, 110 /* n */);
    if (whole) log = log.slice(0, escapedAtEnd(log.slice(0, -2), 114 /* r */) ? -4 : -2);
    if (log.indexOf('\\') !== -1) {
      try {
        log = JSON.parse(`"${log}"`) as string;
      } catch {
        return undefined;
      }
    }
    return { kind: 'docker', stream, inner: log, partial: !whole };
  }
  return undefined;
}

/** Whether JSON string text `s` ends with the escape `\<c>` (an odd run of backslashes before `c`). */
function escapedAtEnd(s: string, c: number): boolean {
  let i = s.length - 1;
  if (i < 1 || s.charCodeAt(i) !== c) return false;
  let k = 0;
  while (i - 1 - k >= 0 && s.charCodeAt(i - 1 - k) === 92) k++;
  return k % 2 === 1;
}

/** A Docker line's text without its line end. */
function endless(log: string): string {
  return log.endsWith('\n') ? log.slice(0, log.endsWith('\r\n') ? -2 : -1) : log;
}

/**
 * The app's text of a record the multiline assembler made of several wrapped lines (`more`: the lines
 * after the first, as the file holds them): a part the runtime cut (`P`, or a Docker line without its
 * `\n`) is joined to the next without a break, whole lines with `\n` between them. Whether the last
 * part was cut too (the rest never came: `log.partial`).
 */
function joinParts(first: string, partial: boolean, more: string, kind: ContainerLine['kind']): { text: string; partial: boolean } {
  let text = first;
  for (const raw of more.split('\n')) {
    const w = containerLine(raw);
    if (w !== undefined && w.kind === kind) {
      text += (partial ? '' : '\n') + w.inner;
      partial = w.partial;
    } else {
      text += '\n' + raw;
      partial = false;
    }
  }
  return { text, partial };
}

/** The CRI fields after a stamp ending at `end`, or null when the line is not CRI. */
export function parseCri(line: string, time: number, end: number, ctx: ParseContext, inner: InnerParser): ParsedFields | null {
  CRI_TAIL.lastIndex = end;
  const m = CRI_TAIL.exec(line);
  if (m === null) return null;
  let text = line.slice(CRI_TAIL.lastIndex);
  // A `P` line is a part of a line longer than the runtime's buffer (16 KiB), the rest on the next lines.
  let partial = m[2] === 'P';
  const nl = text.indexOf('\n');
  if (nl !== -1) ({ text, partial } = joinParts(text.slice(0, nl), partial, text.slice(nl + 1), 'cri'));
  const out = inner(text, ctx);
  wrap(out, time);
  out.attributes['log.iostream'] = m[1]!;
  if (partial) out.attributes['log.partial'] = 'true';
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

/** A Docker json-file line (`v`), and `rest`: the lines the multiline assembler joined to it (from its `\n` on), empty when none. */
export function parseDockerJson(v: Record<string, unknown>, ctx: ParseContext, inner: InnerParser, rest = ''): ParsedFields {
  const log = v.log as string;
  let text = endless(log);
  let partial = !log.endsWith('\n');
  if (rest.length > 1) ({ text, partial } = joinParts(text, partial, rest.slice(1), 'docker'));
  const out = inner(text, ctx);
  if (partial) out.attributes['log.partial'] = 'true';
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
