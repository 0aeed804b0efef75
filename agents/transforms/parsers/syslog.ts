/**
 * Syslog lines in, ParsedFields out: RFC 5424 (`<34>1 2026-11-24T10:00:00Z host app 123 ID47 [sd] msg`)
 * and RFC 3164 / BSD (`<34>Nov 24 10:00:00 host app[123]: msg`, also without `<PRI>` as in
 * /var/log/syslog). PRI gives the severity; HOSTNAME the host, APP-NAME (or TAG) the service.
 */
import { isIPv6 } from 'node:net';
import { severityFromText } from '../severity.ts';
import { applyPri } from './pri.ts';
import { parseIso, parseSyslogTime } from '../timestamp.ts';
import { ciscoLine, ciscoSyslog } from './cisco.ts';
import { kernelSyslog } from './kernel.ts';
import type { LineParser, ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export interface SyslogParserOptions {
  /** Which RFC to accept: `auto` (both), `rfc5424` or `rfc3164`. */
  mode: 'auto' | 'rfc5424' | 'rfc3164';
  /** Take APP-NAME/TAG as the record's service. */
  appAsService: boolean;
  /**
   * Take a BSD line whose tag is not followed by `:` (`Jun 19 04:09:11 combo syslogd 1.4.1: restart.`)
   * as RFC 3164 does: the tag ends at its first character that is not part of a name. On when a user
   * names this parser; off in the auto chain, where it would read any `Nov 24 10:00:00 word word` line
   * as syslog from a host named by its first word.
   */
  looseTag: boolean;
}

export const syslogDefaults: SyslogParserOptions = { mode: 'auto', appAsService: true, looseTag: true };

export { SYSLOG_FACILITIES } from './pri.ts';

const HEADER_5424 = /^<(\d{1,3})>([1-9]\d?) (\S+) (\S+) (\S+) (\S+) (\S+) /;
// Hosts and tags never hold quotes or braces (nor a host brackets or a final colon: `haproxy[1234]: ...`
// sent to a local socket has no host, and its tag is not one): `2026-11-29T04:56:40Z {"msg":"a b"}` is JSON after a stamp.
// macOS's tags may carry one parenthesised qualifier before the colon: the process or launchd job the
// message is about (`sandboxd[129] ([31211]): ...`, `com.apple.xpc.launchd[1] (com.apple.xpc.launchd.domain.pid.X.1): ...`).
// A macOS application's name may hold blanks (`Microsoft Word[14463]:`, `Google Chrome Helper[812]:`):
// up to four words, only before a numeric `[pid]`.
// mayBeBsdAfterIso relies on this shape (for ISO stamps it takes tags without blanks): keep it in step.
const BSD = /^(?:<(\d{1,3})>)?(?:([A-Z][a-z]{2} (?:[ \d]\d|\d) \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)|(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)) (?:([^\s"{}[\]]+(?<!:)) )?([^\s:[\]"{}]{1,64}(?:(?: [^\s:[\]"{}]{1,64}){1,3}(?=\[\d{1,10}\]))?)(?:\[([^\]\s]{1,32})\])?(?: \(([^()\s]{1,128})\))?: *(.*)$/s;

// The fallback for BSD lines the pattern above leaves: a BSD stamp (never ISO: `2026-11-24T10:00:00Z
// ERROR main x` is an application line), a host, then the rest, where a tag is looked for.
const BSD_LOOSE = /^(?:<(\d{1,3})>)?([A-Z][a-z]{2} (?:[ \d]\d|\d) \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) ([^\s"{}]+) +(\S.*)$/s;
const LOOSE_TAG = /^([A-Za-z][\w./-]{0,47})(?:\[([^\]\s]{1,32})\])?(?:: ?| |$)/;

/** Whether the word at `at` (up to a blank) is an IPv6 address. */
function ipv6Ahead(line: string, at: number): boolean {
  const blank = line.indexOf(' ', at);
  return isIPv6(line.slice(at, blank === -1 ? line.length : blank));
}

function nil(v: string): string | undefined {
  return v === '-' ? undefined : v;
}


/** Parses RFC 5424 structured data (`[id k="v"][id2 ...]`) into attributes `id.k`; returns the index after it, or -1. */
function parseStructuredData(line: string, i: number, attributes: Record<string, string>): number {
  if (line[i] === '-') return i + 1;
  if (line[i] !== '[') return -1;
  while (line[i] === '[') {
    i++;
    const idEnd = line.slice(i).search(/[ \]]/);
    if (idEnd <= 0) return -1;
    const id = line.slice(i, i + idEnd);
    i += idEnd;
    while (line[i] === ' ') {
      i++;
      const eq = line.indexOf('="', i);
      if (eq === -1) return -1;
      const name = line.slice(i, eq);
      i = eq + 2;
      let value = '';
      for (;;) {
        if (i >= line.length) return -1;
        const c = line[i]!;
        if (c === '\\' && i + 1 < line.length && '"\\]'.includes(line[i + 1]!)) { value += line[i + 1]; i += 2; continue; }
        if (c === '"') { i++; break; }
        value += c;
        i++;
      }
      attributes[`${id}.${name}`] = value;
    }
    if (line[i] !== ']') return -1;
    i++;
  }
  return i;
}

function parse5424(line: string, ctx: ParseContext, appAsService: boolean): ParsedFields | null {
  const m = HEADER_5424.exec(line);
  if (m === null) return null;
  const out: ParsedFields = { body: '', attributes: {} };
  if (!applyPri(out, m[1])) return null;
  if (m[3] !== '-') {
    const t = parseIso(m[3]!, ctx.timeZone);
    if (t === undefined) return null;
    out.time = t;
  }
  const host = nil(m[4]!);
  if (host) out.host = host;
  const app = nil(m[5]!);
  if (app) {
    out.attributes['syslog.appname'] = app;
    if (appAsService) out.service = app;
  }
  const procid = nil(m[6]!);
  if (procid) out.attributes['syslog.procid'] = procid;
  const msgid = nil(m[7]!);
  if (msgid) out.attributes['syslog.msgid'] = msgid;
  const after = parseStructuredData(line, m[0].length, out.attributes);
  if (after === -1) return null;
  let body = line.slice(after);
  if (body.startsWith(' ')) body = body.slice(1);
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
  out.body = body;
  return out;
}

function parse3164(line: string, ctx: ParseContext, appAsService: boolean, looseTag: boolean): ParsedFields | null {
  const m = BSD.exec(line);
  if (m === null) return looseTag ? parse3164Loose(line, ctx, appAsService) : null;
  const host = m[4];
  // Without PRI, an ISO stamp followed by a level word is an application log, not syslog.
  if (m[1] === undefined && m[3] !== undefined && (host === undefined || severityFromText(host) !== 0)) return null;
  // No host, and the tag is the start of an IPv6 address (`fe80::1 fw01 : %ASA-...`, a relay's host):
  // not a tag; the line is for the parsers after this one (cisco.ts reads such a host).
  if (host === undefined && m[5]!.length <= 4 && /^[0-9A-Fa-f]*$/.test(m[5]!)) {
    const tagAt = (m[1] === undefined ? 0 : m[1].length + 2) + (m[2] ?? m[3])!.length + 1;
    if (ipv6Ahead(line, tagAt)) return null;
  }
  const out: ParsedFields = { body: m[8]!, attributes: {} };
  if (!applyPri(out, m[1])) return null;
  const t = m[2] !== undefined ? parseSyslogTime(m[2], ctx.timeZone, bodyStampNow(m[2], m[8]!) ?? ctx.now) : parseIso(m[3]!, ctx.timeZone);
  if (t === undefined) return null;
  out.time = t;
  if (host !== undefined && host !== '-') out.host = host;
  out.attributes['syslog.appname'] = m[5]!;
  if (appAsService) out.service = m[5]!;
  if (m[6] !== undefined) out.attributes['syslog.procid'] = m[6];
  if (m[7] !== undefined) out.attributes['syslog.context'] = m[7];
  return out;
}

const MONTH_NAMES = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const BODY_STAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}:\d{2}:\d{2})/;

/**
 * A program that writes its own full stamp at the start of its message under a year-less syslog stamp
 * (`Jul  4 09:42:58 host ksfetch[34604]: 2017-07-04 09:42:58.121 ksfetch[34604:...] msg`, macOS; Java
 * and Python programs logging to syslog): when that stamp has the syslog stamp's month, day and clock,
 * its year is the line's. Returned as the moment to read the year-less stamp from (the year nearest
 * before it is then that one); undefined otherwise, and the year comes from the time of reading.
 */
function bodyStampNow(stamp: string, body: string): number | undefined {
  if (body.charCodeAt(4) !== 45 /* - */) return undefined;
  const b = BODY_STAMP.exec(body);
  if (b === null) return undefined;
  const mo = MONTH_NAMES.indexOf(stamp.slice(0, 3)) / 3;
  if (mo !== +b[2]! - 1 || +stamp.slice(4, 6) !== +b[3]! || stamp.slice(7, 15) !== b[4]) return undefined;
  return Date.UTC(+b[1]!, mo, +b[3]!, 12);
}

/** `Jun 19 04:09:11 combo syslogd 1.4.1: restart.`, `Jun 19 04:09:11 combo  -- root[2421]: ROOT LOGIN`. */
function parse3164Loose(line: string, ctx: ParseContext, appAsService: boolean): ParsedFields | null {
  const m = BSD_LOOSE.exec(line);
  if (m === null) return null;
  const out: ParsedFields = { body: m[4]!, attributes: {} };
  if (!applyPri(out, m[1])) return null;
  const t = parseSyslogTime(m[2]!, ctx.timeZone, ctx.now);
  if (t === undefined) return null;
  out.time = t;
  if (m[3] !== '-') out.host = m[3]!;
  const tag = LOOSE_TAG.exec(m[4]!);
  if (tag !== null) {
    out.body = m[4]!.slice(tag[0].length);
    out.attributes['syslog.appname'] = tag[1]!;
    if (appAsService) out.service = tag[1]!;
    if (tag[2] !== undefined) out.attributes['syslog.procid'] = tag[2];
  }
  return out;
}

/**
 * False only when `line` cannot match BSD: a test the auto parser runs before that regex on lines
 * that start with an ISO stamp (most application logs), which it would otherwise fail only after
 * backtracking over every split of the header. Starting with a digit, a match has the ISO stamp
 * (no blank in it) up to the first space, one space, maybe a host and one space, then the tag and
 * its `[pid]` (no blank either), maybe a blank and a `(qualifier)`, and the `:`. So that `:` comes
 * before the second space after the stamp, or the third when a `(` follows the second. True (may be syslog) for anything else.
 */
export function mayBeBsdAfterIso(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57) return true;
  const s1 = line.indexOf(' ');
  if (s1 === -1) return false;
  const colon = line.indexOf(':', s1 + 1);
  if (colon === -1) return false;
  const s2 = line.indexOf(' ', s1 + 1);
  if (s2 === -1 || colon < s2) return true;
  const s3 = line.indexOf(' ', s2 + 1);
  if (s3 === -1 || colon < s3) return true;
  // A tag's parenthesised qualifier (macOS): one more blank before the colon.
  if (line.charCodeAt(s3 + 1) === 40 /* ( */) {
    const s4 = line.indexOf(' ', s3 + 1);
    if (s4 === -1 || colon < s4) return true;
  }
  return spacedTagBeforeColon(line, s1, colon);
}

/** A name of up to four words before a `[pid]` and the colon (`host Microsoft Word[14463]:`): four blanks at most. */
function spacedTagBeforeColon(line: string, s1: number, colon: number): boolean {
  if (line.charCodeAt(colon - 1) !== 93 /* ] */) return false;
  const open = line.lastIndexOf('[', colon);
  if (open <= s1) return false;
  let blanks = 0;
  for (let i = s1 + 1; i < open; i++) if (line.charCodeAt(i) === 32) blanks++;
  return blanks <= 4;
}

/** Could this line be syslog at all? One character look for the auto chain. */
export function looksLikeSyslog(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 60 /* < */ || (c >= 65 && c <= 90 && line.charCodeAt(3) === 32) || (c >= 48 && c <= 57 && line.charCodeAt(4) === 45);
}

export function createSyslogParser(options: Partial<SyslogParserOptions> = {}): LineParser {
  const mode = options.mode ?? syslogDefaults.mode;
  const appAsService = options.appAsService ?? syslogDefaults.appAsService;
  const looseTag = options.looseTag ?? syslogDefaults.looseTag;
  return (line, ctx) => {
    if (mode !== 'rfc3164') {
      const r = parse5424(line, ctx, appAsService);
      if (r !== null) {
        if (r.body.charCodeAt(0) === 37) ciscoSyslog(r, ctx);
        else if (r.body.charCodeAt(0) === 91) kernelSyslog(r);
      }
      if (r !== null || mode === 'rfc5424') return r;
    }
    const r = parse3164(line, ctx, appAsService, looseTag);
    if (r === null) return ciscoLine(line, ctx);
    // A network device's message (the mnemonic, or IOS's sequence number taken for the tag), the kernel's uptime.
    const c = r.attributes['syslog.appname']?.charCodeAt(0) ?? 0;
    if (c === 37 /* % */ || (c >= 48 && c <= 57) || r.body.charCodeAt(0) === 37) ciscoSyslog(r, ctx);
    else if (c === 107 /* k */) kernelSyslog(r);
    return r;
  };
}

export const syslogParser: ParserDefinition<SyslogParserOptions> = {
  name: 'syslog',
  description: 'Syslog RFC 5424 and RFC 3164 (with or without <PRI>); PRI gives severity and facility, HOSTNAME the host, APP-NAME the service.',
  defaults: syslogDefaults,
  configProperties: {
    mode: { type: 'string', enum: ['auto', 'rfc5424', 'rfc3164'], description: 'Which syslog format to accept (default auto: both).' },
    app_as_service: { type: 'boolean', description: 'Use APP-NAME / TAG as the record service (default true).' },
    loose_tag: { type: 'boolean', description: 'Also read BSD lines whose tag has no ":" after it, ending the tag at its first character that cannot be in a name, as RFC 3164 does ("Jun 19 04:09:11 combo syslogd 1.4.1: restart." is host combo, tag syslogd) (default true).' },
  },
  create: createSyslogParser,
};

/** Level words an application writes at the start of its syslog message, in capitals (and `Info`, `<info>` forms). */
const MESSAGE_LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'ERR', 'CRIT', 'CRITICAL', 'ALERT', 'EMERG', 'FATAL', 'PANIC']);

/**
 * A syslog line with no PRI (as rsyslog writes files) has no severity of its own; the program's own
 * level at the start of its message gives it: `INFO msg`, `Info: msg` (Dovecot), `<info>  msg`
 * (NetworkManager). The message is left whole (the word is the program's text, and pattern mining
 * reads the body as written). Only these three shapes and the usual level words count.
 */
export function messageLevel(r: ParsedFields): void {
  const b = r.body;
  const c = b.charCodeAt(0);
  let word: string;
  if (c === 60 /* < */) {
    const end = b.indexOf('>');
    if (end < 4 || end > 9) return;
    word = b.slice(1, end);
    if (word !== word.toLowerCase()) return;
  } else if (c >= 65 && c <= 90) {
    let end = 1;
    while (end < 9 && ((b.charCodeAt(end) >= 65 && b.charCodeAt(end) <= 90) || (b.charCodeAt(end) >= 97 && b.charCodeAt(end) <= 122))) end++;
    word = b.slice(0, end);
    const next = b.charCodeAt(end);
    const capitals = word === word.toUpperCase();
    // `INFO msg`, `INFO: msg`, `Info: msg`; `Info msg` is as often a sentence.
    if (!(next === 58 /* : */ && b.charCodeAt(end + 1) === 32) && !(capitals && next === 32)) return;
    if (!capitals && word.slice(1) !== word.slice(1).toLowerCase()) return;
  } else {
    return;
  }
  const upper = word.toUpperCase();
  if (!MESSAGE_LEVELS.has(upper)) return;
  r.severityText = upper;
  r.severityNumber = severityFromText(upper);
}

/**
 * After an ISO stamp with a blank for its `T` (`2026-12-06 09:38:40,445`), the syslog shape is taken
 * only with a pid, which application layouts do not put there: `host tag[pid]: msg`, and ProFTPD's
 * `host proftpd[19440] 127.0.0.1 (client[10.0.0.5]): msg`, whose server address and client (name and
 * address) come before the colon.
 */
const HOST_TAG_PID = /([^\s"{}[\]]{1,255}) ([^\s:[\]"{}]{1,64})\[(\d{1,10})\](?: ([^\s():[\]"{}]{1,255}))?(?: \(([^()\s[\]]{0,255})(?:\[([^\]\s]{1,64})\])?\))?: ?/y;

/** Reads `host tag[pid] ...: ` at `at` into a record with time `time`; null when the line is not that. */
export function hostTagPid(line: string, at: number, time: number): ParsedFields | null {
  // Most lines here are application logs: the second token must end in `[digits]` before the pattern runs.
  const s1 = line.indexOf(' ', at);
  if (s1 === -1) return null;
  const open = line.indexOf('[', s1 + 2);
  if (open === -1 || open - s1 > 65 || line.charCodeAt(open + 1) < 48 || line.charCodeAt(open + 1) > 57) return null;
  const blank = line.indexOf(' ', s1 + 1);
  if (blank !== -1 && blank < open) return null;
  HOST_TAG_PID.lastIndex = at;
  const m = HOST_TAG_PID.exec(line);
  if (m === null || severityFromText(m[1]!) !== 0) return null;
  const out: ParsedFields = { body: line.slice(HOST_TAG_PID.lastIndex), attributes: {}, time, host: m[1]! };
  out.attributes['syslog.appname'] = m[2]!;
  out.attributes['syslog.procid'] = m[3]!;
  if (m[4] !== undefined) out.attributes['server.address'] = m[4];
  if (m[6] !== undefined) out.attributes['client.address'] = m[6];
  else if (m[5] !== undefined && m[5] !== '') out.attributes['syslog.context'] = m[5];
  return out;
}

