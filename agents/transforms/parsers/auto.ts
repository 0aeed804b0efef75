/**
 * Any line in, the best ParsedFields out, with no configuration: JSON objects (and the Docker
 * json-file and journald wrappers around a line), logfmt, syslog, access logs, CRI lines, and text
 * lines of any common layout (log4j, logback, Python logging, klog, logcat, nginx and Apache error
 * logs, Windows CBS, epoch stamps ...), split into header fields and the message, which alone becomes
 * the body. The format is picked from the first characters and the shape of the line, so a line costs
 * one or two anchored matches, not a trial of every format. Never returns null: a line no format
 * matches is kept whole and marked `unmatched`. This file is the dispatch; the general text header is
 * read by header.ts, the layouts of particular programs (Redis, MySQL, Monolog, ...) by layouts.ts,
 * access lines of proxies and servers (Envoy, HAProxy, uvicorn, CoreDNS) by access.ts, and each
 * ecosystem's own by its file (go.ts, jvm.ts, python.ts, rust.ts, winston.ts, pino.ts, php.ts, ...).
 */
import { w3cLine } from './w3c.ts';
import { createCombinedParser } from './combined.ts';
import { isDockerJson, isJournald, parseCri, parseDockerJson, parseJournald } from './container.ts';
import { FIELD_NAME_CONFIG_PROPERTIES, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import { finishHeader, levelThreadLogger, messageAt, newHeader, scanHeader, skipWs, threadLevelLogger } from './header.ts';
import { fieldsFromObject, jsonDefaults } from './json.ts';
import { accessAfterTime, accessInBody, accessMessage, haproxyInto, haproxyLine, morganLine, nginxErrorContext, squidAccess, uwsgiRequest, xferlog } from './access.ts';
import { capnslog, datadogAgent, hclog, klog, logrusTerminal, zerologConsole } from './go.ts';
import { badTime, clickhouse, dotnet, envoy, envLogger, logcat, mongoLegacy, monolog, mysql, redis, rubyLogger, trailingJson, unmatched, zabbix, zabbixHead, eximMessage, elixirException, auditd } from './layouts.ts';
import { celery, loguruLocation, pythonWarning, stampColonLevel, tornado } from './python.ts';
import { jul, jvmUnified, kafkaLogContext, kafkaLogger } from './jvm.ts';
import { tracingFmt, tracingHead } from './rust.ts';
import { mayBeWinston, mayBeWinstonAt, winstonAfterStamp, winstonLine } from './winston.ts';
import { isPhpDiagnostic, phpDiagnostic, phpFpm, phpLine, zoneNameEnd } from './php.ts';
import { pinoPretty } from './pino.ts';
import { lambdaNode, lambdaPlatform, lambdaPython } from './lambda.ts';
import { createLogfmtParser, looksLikeLogfmt } from './logfmt.ts';
import { csvRowComma, postgresCsv, postgresHead, withoutPartPrefixes } from './postgres.ts';
import { rabbitmqHead, withoutRepeatedHead } from './rabbitmq.ts';
import { createSyslogParser, hostTagPid, mayBeBsdAfterIso, messageLevel } from './syslog.ts';
import { isSecurityEvent, securityEventInto } from './cef.ts';
import { ciscoLine } from './cisco.ts';
import { kernelLine } from './kernel.ts';
import { slowLogEntry, slowLogStart } from './slow-log.ts';
import { generalLogEntry, generalLogStart } from './general-log.ts';
import { severityFromText } from '../severity.ts';
import { isValidTimeZone, readTime, zoneAbbreviationEnd, type FoundTime } from '../timestamp.ts';
import type { LineParser, ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export type AutoParserOptions = FieldNameOptions;

export const autoDefaults: AutoParserOptions = withFieldDefaults({});

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isWs = (c: number): boolean => c === 32 || c === 9;
/** A terminal's control sequence (colours, bold: `ESC [ 33 m`). */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * Whether an access line's `] "` (the time's bracket, then the quoted request) starts before 128:
 * found through the `]`s (a one-character search, no copy of the line's head); most lines have none
 * or one there.
 */
/** ` stdout ` or ` stderr ` after the first blank past an RFC 3339 stamp's seconds: a CRI line, likely. */
function criStream(line: string): boolean {
  const sp = line.indexOf(' ', 19);
  return sp !== -1 && sp <= 40 && (line.startsWith('stdout ', sp + 1) || line.startsWith('stderr ', sp + 1));
}

function accessQuote(line: string): boolean {
  let q = line.indexOf(']');
  while (q !== -1 && q < 128 && (line.charCodeAt(q + 1) !== 32 || line.charCodeAt(q + 2) !== 34)) q = line.indexOf(']', q + 1);
  return q > 0 && q < 128;
}

/** `host tag: ` as journalctl writes an entry without a pid. */
const JOURNAL_HOST_TAG = /([^\s"{}[\]:]{1,255}) ([^\s:[\]"{}]{1,64}): ?/y;

/**
 * `journalctl -o short-monotonic`: after the seconds since boot (read as the kernel's: `kernel.uptime`),
 * host, tag and pid (`[   12.345678] web-1 sshd[812]: msg`), or host and `kernel:` (its entries have no
 * pid). Anything else is the kernel's own message (`x86/fpu: xstate_offset[2]:  576`: no host ends with a colon).
 */
function journalAfterUptime(k: ParsedFields): ParsedFields {
  const r = hostTagPid(k.body, 0, NaN);
  if (r !== null && !r.host!.endsWith(':')) {
    delete r.time;
    r.attributes['kernel.uptime'] = k.attributes['kernel.uptime']!;
    return r;
  }
  JOURNAL_HOST_TAG.lastIndex = 0;
  const m = JOURNAL_HOST_TAG.exec(k.body);
  if (m === null || m[2] !== 'kernel') return k;
  return { host: m[1]!, body: k.body.slice(JOURNAL_HOST_TAG.lastIndex), attributes: { 'syslog.appname': 'kernel', 'kernel.uptime': k.attributes['kernel.uptime']! } };
}

/** Whether the token at `at` is a key directly followed by `=` (a first look before any logfmt pattern runs: most lines' first word is a level). */
function keyThenEquals(line: string, at: number): boolean {
  // Two vectorised searches first: most lines have no `=`, or a space before it.
  const eq = line.indexOf('=', at);
  if (eq <= at || eq > at + 64) return false;
  const space = line.indexOf(' ', at);
  if (space !== -1 && space < eq) return false;
  for (let i = at; i < eq; i++) {
    const c = line.charCodeAt(i);
    if (!(isLower(c) || isUpper(c) || isDigit(c) || c === 95 || c === 46 || c === 45 || c === 64 || c === 47)) return false;
  }
  return true;
}

/**
 * `commonHeader: false` reads every stamped text header with the general scan (`scanHeader`), never
 * `levelThreadLogger` or `threadLevelLogger`: for the test that holds the two ways to the same records.
 * (The two calls below stay written out: passed as a function to one helper, they cost the plain
 * line a few hundredths of a µs more in a loop of the parser, three alternating runs.)
 */
export interface AutoParserInternals {
  commonHeader?: boolean;
}

/** What may follow a stamp inside its brackets and be read away: nothing, a zone (`UTC`, `+01:00`), a level word. */
const STAMP_BRACKET_REST = /^\s*(?:[A-Za-z][A-Za-z_/]*|[+-]\d{2}:?\d{2})?\s*$/;

export function createAutoParser(options: Partial<AutoParserOptions> = {}, internals: AutoParserInternals = {}): LineParser {
  const names = withFieldDefaults(options);
  const commonHeader = internals.commonHeader ?? true;
  const depth = jsonDefaults.flattenDepth;
  const logfmt = createLogfmtParser({ ...names, minPairs: 2 });
  // The line's own app name is an attribute here, never the record's service: only a source that
  // says so (`parser: {type: syslog, app_as_service: true}`) may replace the configured service.
  const syslogParser = createSyslogParser({ appAsService: false, looseTag: false });
  // HAProxy logs to syslog: its HTTP or TCP log line is the message (the syslog time stays the record's).
  const syslog = (line: string, ctx: ParseContext): ParsedFields | null => {
    const r = syslogParser(line, ctx);
    if (r !== null) {
      // A security device's CEF or LEEF event: its `CEF:` reads as a syslog tag without a pid.
      const app = r.attributes['syslog.appname'];
      if ((app === 'CEF' || app === 'LEEF') && r.attributes['syslog.procid'] === undefined && isSecurityEvent(`${app}:${r.body}`)) {
        const text = `${app}:${r.body}`;
        delete r.attributes['syslog.appname'];
        if (securityEventInto(text, r, ctx.timeZone)) return r;
        r.attributes['syslog.appname'] = app;
      } else if (isSecurityEvent(r.body) && securityEventInto(r.body, r, ctx.timeZone)) return r;
      const c = r.body.charCodeAt(0);
      if (isDigit(c) || c === 58 /* : */) haproxyInto(r.body, r, ctx);
      // No PRI, so no severity: the program's own level at the start of its message, if any.
      if (r.severityText === undefined && (c === 60 || isUpper(c))) messageLevel(r);
    }
    return r;
  };
  const combined = createCombinedParser();

  // The app's line inside a runtime's wrapper is read as the line itself would be, its colours too.
  const innerParse = (line: string, ctx: ParseContext): ParsedFields => parse(line.indexOf('\x1b') === -1 ? line : line.replace(ANSI_ESCAPE, ''), ctx, false);

  function json(line: string, ctx: ParseContext, wrappers: boolean, from: number): ParsedFields | null {
    let value: unknown;
    let rest = '';
    const text = from === 0 ? line : line.slice(from);
    try {
      value = JSON.parse(text);
    } catch {
      // A JSON line with a stack trace under it: the first line parses, the rest stays with the message.
      const nl = text.indexOf('\n');
      if (nl === -1) return null;
      try {
        value = JSON.parse(text.slice(0, nl));
        rest = text.slice(nl);
      } catch {
        return null;
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    const v = value as Record<string, unknown>;
    if (wrappers && isDockerJson(v)) return parseDockerJson(v, ctx, innerParse, rest);
    if (wrappers && isJournald(v)) return parseJournald(v, ctx, innerParse);
    return fieldsFromObject(v, text, rest, names, depth, ctx);
  }

  /** The rest of a line after its time stamp: a wrapper, JSON, syslog, pipe-separated or text header fields. */
  function afterTime(line: string, t: FoundTime, ctx: ParseContext, wrappers: boolean, fieldTable: boolean, prefix: string): ParsedFields {
    if (Number.isNaN(t.time)) return badTime(line);
    let j = skipWs(line, t.end);
    const z = zoneAbbreviationEnd(line, j);
    if (z !== -1) j = skipWs(line, z);
    const c = line.charCodeAt(j);
    // Rust's tracing: its stamp and a level right-aligned to five, then spans, target, message, fields.
    if (tracingHead(line, t, j) && prefix === '') {
      const r = tracingFmt(line, t.time, j);
      if (r !== null) return r;
    }
    // `LEVEL [thread] logger - msg`, the commonest layout, read in a few searches where nothing below
    // would take the line first: a capital after a blank passes none of the checks below but the
    // syslog one (mayBeBsdAfterIso, asked the same), and MongoDB's (which wants one letter, a blank
    // and a component in capitals: never a level word and a bracket).
    if (commonHeader && isUpper(c) && !fieldTable && prefix === '' && line.charCodeAt(t.end) === 32 && !(line.charCodeAt(10) === 84 && mayBeBsdAfterIso(line))) {
      const out: ParsedFields = { body: '', attributes: {}, time: t.time };
      const start = levelThreadLogger(line, j, out);
      if (start !== -1) {
        out.body = messageAt(line, start);
        return afterMessage(out, line, ctx);
      }
    }
    if (c === 115 /* s */ && wrappers && j === t.end + 1) {
      const r = parseCri(line, t.time, t.end, ctx, innerParse);
      if (r !== null) return r;
    }
    if (c === 123 /* { */) {
      const r = json(line, ctx, false, j);
      if (r !== null) {
        r.time = t.time;
        return r;
      }
    }
    if (c === 124 /* | */) return pipeFields(line, j, t.time);
    // Programs' own layouts after the stamp, each known by a few fixed places (see stampedLayout).
    if (!fieldTable && (c === 91 || line.charCodeAt(t.end) === 9 || t.end === 14 || t.end === 24 || line.charCodeAt(j + 2) === 124)) {
      const r = stampedLayout(line, t, j, c);
      if (r !== null) return r;
      // `[thread] LEVEL logger - msg` (log4j2's and logback's default): no check below takes a `[` first.
      if (commonHeader && c === 91 && prefix === '') {
        const out: ParsedFields = { body: '', attributes: {}, time: t.time };
        const start = threadLevelLogger(line, j, out);
        if (start !== -1) {
          out.body = messageAt(line, start);
          return afterMessage(out, line, ctx);
        }
      }
    }
    // .NET's console logger after its TimestampFormat (`2026-... info: Category[14] msg`).
    if (prefix === '' && isLower(c) && line.charCodeAt(j + 4) === 58) {
      const r = dotnet(line, j);
      if (r !== null) {
        r.time = t.time;
        return r;
      }
    }
    // winston's printf (`stamp [label] level: msg`, `stamp level: msg`): a lower-case npm level and a colon
    // (log4j2's `[thread] LEVEL` was read above).
    if (prefix === '' && (isLower(c) || c === 91) && mayBeWinstonAt(line, j)) {
      const r = winstonAfterStamp(line, j, t.time, ctx, names, depth);
      if (r !== null) return r;
    }
    // `2026-11-24T10:00:00.123456789Z level=info msg="..."`: a logfmt line under a stamp (`kubectl logs
    // --timestamps`, `docker logs -t`, slog's TextHandler behind a prefix). The stamp is the time, as
    // with JSON after a stamp. Only with a level or message key among the pairs: Sidekiq's
    // `pid=1 tid=2 class=X INFO: start` is a text header of pairs, its level and message after them.
    if ((isLower(c) || isUpper(c)) && keyThenEquals(line, j) && looksLikeLogfmt(line.slice(j))) {
      const rest = line.slice(j);
      const r = logfmt(rest, ctx);
      if (r !== null && (r.severityText !== undefined || r.body !== rest)) {
        r.time = t.time;
        return r;
      }
    }
    // `2026-11-24T10:00:00.123+01:00 web-1 kernel: msg`: rsyslog's precise file format.
    if (line.charCodeAt(10) === 84 /* T */ && (isLower(c) || isUpper(c) || isDigit(c)) && !fieldTable && mayBeBsdAfterIso(line)) {
      const r = syslog(line, ctx);
      if (r !== null) return r;
    }
    // `2026-12-06 09:38:40,445 vm proftpd[19440] ...: msg`: the same after a stamp with a blank, with a pid;
    // `1796596712.123456 host sshd[123]: msg` after an epoch stamp (`journalctl -o short-unix`).
    if ((line.charCodeAt(10) === 32 || (line.charCodeAt(10) === 46 && isDigit(line.charCodeAt(9)) && isDigit(line.charCodeAt(0)))) && (isLower(c) || isUpper(c) || isDigit(c)) && !fieldTable && prefix === '') {
      const r = hostTagPid(line, j, t.time);
      if (r !== null) {
        messageLevel(r);
        return r;
      }
      // The journal's kernel entries, without a pid, after an epoch stamp (`journalctl -o short-unix`).
      if (line.charCodeAt(10) === 46) {
        JOURNAL_HOST_TAG.lastIndex = j;
        const m = JOURNAL_HOST_TAG.exec(line);
        if (m !== null && m[2] === 'kernel') return { time: t.time, host: m[1]!, body: line.slice(JOURNAL_HOST_TAG.lastIndex), attributes: { 'syslog.appname': 'kernel' } };
      }
    }
    const out: ParsedFields = { body: '', attributes: {}, time: t.time };
    const s = newHeader(line, j, out, true);
    if (prefix !== '') s.extra = prefix;
    if (prefix !== '') {
      const r = redis(s, prefix, j);
      if (r !== null) return r;
    }
    if (isDigit(c) && line.charCodeAt(j + 1) !== 58) mysql(s, j);
    if ((c === 73 || c === 87 || c === 69 || c === 70 || c === 68) && (line.charCodeAt(j + 1) === 32 || c === 68) && !s.extra) {
      const r = mongoLegacy(s, j);
      if (r !== null) return r;
    }
    if ((c === 86 || c === 68 || c === 73 || c === 87 || c === 69 || c === 70 || c === 65) && line.charCodeAt(j + 1) === 47) {
      // logcat's `time` layout: the stamp, then `I/Tag( 123): msg`.
      const r = logcat(line, j, out);
      if (r !== null) return r;
    }
    const start = scanHeader(s, ctx, fieldTable);
    if (out.fallback === 'bad_time') return badTime(line);
    return afterMessage(finishHeader(s, start), line, ctx);
  }

  /** A stamped header's record once its message is known: a syslog line inside it, then what afterHeader reads. */
  function afterMessage(r: ParsedFields, line: string, ctx: ParseContext): ParsedFields {
    if (isUpper(r.body.charCodeAt(0)) && r.body.charCodeAt(3) === 32 && (isDigit(r.body.charCodeAt(4)) || r.body.charCodeAt(4) === 32)) syslogBehindHeader(r, ctx);
    return afterHeader(r, line);
  }

  /**
   * A BSD syslog line behind header fields of its own (Thunderbird's `- 1131566461 2005.11.09 dn228`
   * before `Nov 9 12:01:01 dn228/dn228 crond[2915]: msg`; a relay's stamp before the line it relays):
   * its host, tag and pid are header fields too and its message is the body. The first stamp stays the
   * time: it has the year (and the zone) the syslog stamp lacks.
   */
  function syslogBehindHeader(r: ParsedFields, ctx: ParseContext): void {
    const inner = syslogParser(r.body, ctx);
    if (inner === null) return;
    r.body = inner.body;
    if (inner.host !== undefined && r.host === undefined) r.host = inner.host;
    Object.assign(r.attributes, inner.attributes);
    if (r.severityText === undefined && inner.severityText !== undefined) {
      r.severityText = inner.severityText;
      r.severityNumber = inner.severityNumber;
    }
  }

  /**
   * The layouts that follow a stamp in a way of their own: AWS Lambda's Node.js runtime (a tab, the
   * request id), Squid's access log (epoch seconds and milliseconds), the FTP xferlog (a ctime stamp, a number), hclog (its stamp, a level padded to
   * seven), ClickHouse's `[ tid ]`, capnslog's `I | `. Apart from afterTime, as afterHeader is, so that
   * function stays small enough for V8 to keep inlining what it calls.
   */
  function stampedLayout(line: string, t: FoundTime, j: number, c: number): ParsedFields | null {
    if (line.charCodeAt(t.end) === 9) return lambdaNode(line, t);
    if (t.end === 14 && line.charCodeAt(10) === 46 && isDigit(c)) return squidAccess(line, j, t.time);
    if (t.end === 24 && isDigit(c) && line.charCodeAt(3) === 32) {
      const r = xferlog(line, j, t.time);
      if (r !== null) return r;
    }
    if (c === 91 && line.charCodeAt(j + 7) === 32 && (t.end === 24 || t.end === 28) && line.charCodeAt(19) === 46 && line.charCodeAt(10) === 84) {
      const r = hclog(line, j, t.time);
      if (r !== null) return r;
    }
    if (c === 91 && line.charCodeAt(j + 1) === 32) return clickhouse(line, j, t.time);
    if (line.charCodeAt(j + 2) === 124 && line.charCodeAt(j + 1) === 32 && line.charCodeAt(j + 3) === 32) return capnslog(line, j, t.time);
    return null;
  }

  /**
   * What a message read after a stamped header may still hold: zap's trailing JSON, zerolog's pairs, Kafka's log context, an access line
   * (uvicorn's, CoreDNS's), nginx's request context, PostgreSQL's and RabbitMQ's joined lines. Apart from afterTime
   * so that function stays small enough for V8 to keep inlining what it calls.
   */
  function afterHeader(r: ParsedFields, line: string): ParsedFields {
    // pino-pretty: `LEVEL (name/pid): msg` and the entry's properties under it.
    if (r.body.charCodeAt(0) === 40 /* ( */ && r.severityText !== undefined) pinoPretty(r, depth);
    if (line.indexOf('\t') !== -1) trailingJson(r);
    // zerolog's console writer: `3:04PM INF msg k=v` (its levels are three letters).
    if (r.severityText !== undefined && r.severityText.length === 3) zerologConsole(r, line);
    if (r.body.charCodeAt(0) === 91 /* [ */) kafkaLogContext(r);
    accessInBody(r);
    // Elixir's `** (ArgumentError) invalid order id` (Logger's report of an exception, its stacktrace under it).
    if (r.body.charCodeAt(0) === 42 /* * */ && r.body.charCodeAt(3) === 40 /* ( */) elixirException(r);
    // Exim's main log: `1xa5oL-00056R-1R ** addr: reason` after the stamp.
    if (r.body.charCodeAt(6) === 45 /* - */ && r.severityText === undefined) eximMessage(r);
    // nginx's error log: the request context after the message (only nginx's `*N` connection gives that attribute).
    if (r.attributes['network.connection.id'] !== undefined) nginxErrorContext(r);
    withoutRepeatedPrefixes(r, line);
    return r;
  }

  /**
   * A PostgreSQL report joined with its DETAIL, HINT, STATEMENT ... lines, or RabbitMQ's message of
   * several lines: the prefixes its later lines repeat go. (Each prefix is looked at in fixed places
   * first: most lines end the look there.)
   */
  function withoutRepeatedPrefixes(r: ParsedFields, line: string): void {
    const head = postgresHead(line);
    if (head !== '') {
      if (r.body.indexOf('\n') !== -1) r.body = withoutPartPrefixes(r.body, head);
      return;
    }
    const rabbit = rabbitmqHead(line);
    if (rabbit !== '' && r.body.indexOf('\n') !== -1) r.body = withoutRepeatedHead(r.body, rabbit);
  }

  /** `time|component|pid|message` (HealthApp), `time | LEVEL | name:function:line - message` (loguru) and `time | FLAVOR | LEVEL | (file.go:71 in Func) | message` (the Datadog Agent): fields until the first that holds a space, or the last. */
  function pipeFields(line: string, at: number, time: number): ParsedFields {
    const out: ParsedFields = { body: '', attributes: {}, time };
    const s = newHeader(line, at, out, true);
    let i = at;
    while (line.charCodeAt(i) === 124) {
      const next = line.indexOf('|', i + 1);
      const field = (next === -1 ? line.slice(i + 1) : line.slice(i + 1, next)).trim();
      if (next === -1 || field === '' || field.indexOf(' ') !== -1) break;
      // Only a field in capitals can be the level: the others are not looked up (most fields are names and ids).
      const level = !s.level && field.length >= 3 && field === field.toUpperCase() ? severityFromText(field) : 0;
      if (level !== 0) {
        out.severityText = field;
        out.severityNumber = level;
        s.level = true;
      } else if (/^\d{1,10}$/.test(field) && !s.pid) {
        out.attributes['process.pid'] = field;
        s.pid = true;
      } else if (!s.logger) {
        out.attributes['log.logger'] = field;
        s.logger = true;
      } else {
        break;
      }
      i = next;
    }
    let start = line.charCodeAt(i) === 124 ? i + 1 : i;
    const k = skipWs(line, start);
    if (s.level) start = line.charCodeAt(k) === 40 /* ( */ ? datadogAgent(line, k, out.attributes) : s.logger ? start : loguruLocation(line, k, out.attributes);
    const r = finishHeader(s, start);
    // Squid's cache.log (`2026/12/06 09:28:44| WARNING: ...`): the level at the message's start.
    if (!s.level && i === at) messageLevel(r);
    return r;
  }

  /** Looks for a stamp among the first few field-like tokens (`- 1117838570 2005.06.03 ...`, `node-246 unix.hw ... 1077804742`). */
  function prefixed(line: string, ctx: ParseContext, wrappers: boolean): ParsedFields | null {
    let at = 0;
    const tz = ctx.timeZone ?? 'UTC';
    for (let k = 0; k < 6 && at < line.length; k++) {
      at = skipWs(line, at);
      const c = line.charCodeAt(at);
      if (k > 0 && (isDigit(c) || isUpper(c))) {
        const t = readTime(line, at, tz, ctx.now);
        if (t !== undefined && (t.end >= line.length || isWs(line.charCodeAt(t.end)))) {
          return afterTime(line, t, ctx, wrappers, true, line.slice(0, at).trimEnd());
        }
      }
      let e = at;
      let digit = false, lower = false, dot = false;
      while (e < line.length && !isWs(line.charCodeAt(e))) {
        const d = line.charCodeAt(e);
        if (isDigit(d)) digit = true;
        else if (isLower(d)) lower = true;
        else if (d === 46) dot = true;
        e++;
      }
      // A table of fields comes before the time: it starts with a number, an id, a label or a dotted
      // name (words may follow: HPC's `node-70 action start`); a key, a quote or a `:` ends the look.
      if (e === at || line.charCodeAt(e - 1) === 58 || (k === 0 && lower && !digit && !dot)) return null;
      const cut = line.slice(at, e);
      if (cut.includes('=') || cut.includes('"')) return null;
      at = e;
    }
    return null;
  }

  /** A text line starting with a level (`INFO [main] x - msg`, `WARNING:root:msg`, `[WARN] msg`); null when it has none. */
  function levelFirst(line: string, ctx: ParseContext): ParsedFields | null {
    const out: ParsedFields = { body: '', attributes: {} };
    const s = newHeader(line, 0, out, false);
    const start = scanHeader(s, ctx);
    // Puma's `[1234] msg` (its pid, and no time or level): the pid is still a header field.
    if (!s.level && !s.hasTime && !(s.pid && line.charCodeAt(0) === 91 && isDigit(line.charCodeAt(1)))) return null;
    if (out.fallback === 'bad_time') return badTime(line);
    const r = finishHeader(s, start);
    if (r.body.charCodeAt(0) === 40 /* ( */ && r.severityText !== undefined) pinoPretty(r, depth);
    accessInBody(r);
    return r;
  }

  function parse(line: string, ctx: ParseContext, wrappers: boolean): ParsedFields {
    const n = line.length;
    if (n === 0) return unmatched(line);
    const c = line.charCodeAt(0);
    const tz = ctx.timeZone ?? 'UTC';
    if (isDigit(c)) {
      // CRI's wrapper before anything reads the app's line in it as its own (a `[date] "GET ..."` after it is no access line of an address).
      if (wrappers && line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84 && criStream(line)) {
        const t = readTime(line, 0, tz, ctx.now);
        if (t !== undefined && line.charCodeAt(t.end) === 32) {
          const r = parseCri(line, t.time, t.end, ctx, innerParse);
          if (r !== null) return r;
        }
      }
      // Access logs start with the client address: `1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET ..."`.
      if (accessQuote(line)) {
        const r = combined(line, ctx);
        if (r !== null) return r;
      }
      // A Zabbix daemon's pid of six digits or more fills its column: `123456:20261206:062431.948 msg`.
      if ((line.charCodeAt(6) === 58 || line.charCodeAt(7) === 58) && zabbixHead(line)) return zabbix(line, ctx) ?? unmatched(line);
      const t = readTime(line, 0, tz, ctx.now);
      // A general query log's entry (MariaDB, MySQL): a tab after the stamp, then the connection and
      // command (MariaDB's ` 9:05:01` after its date is no stamp readTime reads).
      if ((t === undefined || line.charCodeAt(t.end) === 9) && generalLogStart(line)) return generalLogEntry(line, ctx) ?? unmatched(line);
      if (t !== undefined) {
        const e = line.charCodeAt(t.end);
        // pm2's `--time` prefix puts `: ` after the stamp (`2026-11-24T10:00:00: msg`).
        if (t.end >= n || isWs(e) || e === 44 /* , */ || e === 124 /* | */ || (e === 58 && isWs(line.charCodeAt(t.end + 1)))) {
          // PostgreSQL's csvlog: the stamp and its zone, then a comma and the row's other fields.
          const comma = csvRowComma(line, t.end);
          if (comma !== -1) {
            const pg = postgresCsv(line, comma);
            if (pg !== null) return { time: t.time, severityText: pg.severity, severityNumber: severityFromText(pg.severity), body: pg.message, attributes: pg.attributes };
          }
          return afterTime(line, t, ctx, wrappers, false, '');
        }
        // `2026-12-06 06:20:47,684:ERROR:certbot._internal.log:msg` (Python's `%(asctime)s:%(levelname)s:%(name)s:`).
        if (e === 58 && isUpper(line.charCodeAt(t.end + 1))) {
          const r = stampColonLevel(line, t);
          if (r !== null) return afterHeader(r, line);
        }
      }
      // HAProxy's log as its container image writes it: `10.0.0.1:5678 [24/Nov/2026:10:00:00.123] fe be/srv ...`.
      // (Only where a `[` follows the first field: the others would cost HPC-like lines a regex trial.)
      const sp = line.indexOf(' ');
      const h = line.charCodeAt(sp + 1) === 91 ? haproxyLine(line, ctx) : null;
      if (h !== null) return h;
      // `127.0.0.1 - - [02/Dec/2026 15:31:54] code 404, message File not found`: an access log's other lines;
      // `127.0.0.1 - GET /x HTTP/1.1 404 146 - 1.759 ms`: morgan's `short`.
      const a = line.charCodeAt(sp + 1) === 45 && line.charCodeAt(sp + 2) === 32 ? accessMessage(line, ctx) ?? morganLine(line) : null;
      return a ?? prefixed(line, ctx, wrappers) ?? unmatched(line);
    }
    if (c === 123 /* { */) return json(line, ctx, wrappers, 0) ?? unmatched(line);
    // A general query log's entry MariaDB wrote without a time (the same second as the one before).
    if (c === 9 && generalLogStart(line)) return generalLogEntry(line, ctx) ?? unmatched(line);
    // A slow query log's entry (MySQL, MariaDB, Percona), its lines joined by the multiline assembler.
    if (c === 35 /* # */ && slowLogStart(line)) return slowLogEntry(line, ctx) ?? unmatched(line);
    // An IPv6 client first (`::1`, `::ffff:10.0.0.1`: Node's and dual-stack servers'): an access line.
    if (c === 58 /* : */) return (accessQuote(line) ? combined(line, ctx) : null) ?? morganLine(line) ?? unmatched(line);
    if (c === 91 /* [ */) {
      // The kernel's ring buffer as dmesg prints it: `[12345.678901] msg`, seconds since boot.
      const c1 = line.charCodeAt(1);
      if (isDigit(c1) || c1 === 32) {
        const k = kernelLine(line);
        if (k !== null) return k.severityNumber === undefined ? journalAfterUptime(k) : k;
      }
      // Brackets side by side from the start: the JVM's unified logging (`[0.012s][info][gc] msg`) or
      // a layout read below (Envoy, Elasticsearch).
      const first = line.indexOf(']');
      // AWS Lambda's Python runtime: `[INFO]\tstamp\trequest id\tmessage`, an unhandled `[ERROR] Type: msg\r...`.
      if (line.charCodeAt(first + 1) === 9 || (first === 6 && line.startsWith('[ERROR] '))) {
        const r = lambdaPython(line, ctx);
        if (r !== null) return r;
      }
      if (line.charCodeAt(first + 1) === 91) {
        const r = jvmUnified(line, ctx);
        if (r !== null) return r;
      }
      // `[pid: 7|app: 0|req: 1/1] 127.0.0.1 () {...} [stamp] GET / => generated ...`: uWSGI's request log.
      if (first > 20 && line.charCodeAt(1) === 112 && line.startsWith('[pid: ')) {
        const r = uwsgiRequest(line, ctx);
        if (r !== null) return r;
      }
      // `[I 260720 13:38:44 web:2239] msg`: a level letter first (Tornado, Jupyter).
      if (line.charCodeAt(2) === 32 && isUpper(line.charCodeAt(1))) {
        const r = tornado(line, ctx);
        if (r !== null) return r;
      }
      let t = readTime(line, 1, tz, ctx.now);
      // PHP's error log names its `date.timezone` after the stamp (`[06-Dec-2026 03:45:53 Europe/Paris]`): read in it.
      if (t !== undefined && line.charCodeAt(t.end) === 32 && isUpper(line.charCodeAt(t.end + 1))) {
        const z = zoneNameEnd(line, t.end + 1);
        const zone = z === -1 ? '' : line.slice(t.end + 1, z);
        const again = z !== -1 && isValidTimeZone(zone) ? readTime(line, 1, zone, ctx.now) : undefined;
        if (again !== undefined && again.end === t.end) t = { time: again.time, end: z };
      }
      if (t !== undefined) {
        const close = line.indexOf(']', t.end);
        // `[2026-11-24 10:00:00,123: INFO/MainProcess] msg` (Celery): the level and process after a colon.
        const cel = line.charCodeAt(t.end) === 58 && close !== -1 && close - t.end <= 80 ? celery(line, t, close) : null;
        if (cel !== null) {
          const r = afterTime(line, { time: t.time, end: close + 1 }, ctx, false, false, cel.process);
          if (r.fallback === undefined) {
            r.severityText = cel.text;
            r.severityNumber = cel.level;
          }
          return r;
        }
        if (close !== -1 && close - t.end >= 7 && close - t.end <= 128) {
          const r = envLogger(line, t, close);
          if (r !== null) return r;
        }
        if (close === t.end) {
          const next = line.charCodeAt(close + 1);
          const r = next === 91 ? envoy(line, t, close) : next === 32 && line.charCodeAt(close + 2) === 34 ? accessAfterTime(line, t, close) : monolog(line, t, close);
          if (r !== null) return r;
        }
        // Up to the bracket only a zone or a level may stand (`[10:00:00 INF]`, `[stamp UTC]`): other text
        // there (`[1796630400,"x"]`, a JSON array) would be lost with the bracket's content.
        if (close !== -1 && close - t.end <= 12 && STAMP_BRACKET_REST.test(line.slice(t.end, close))) {
          const r = afterTime(line, { time: t.time, end: close + 1 }, ctx, false, false, '');
          if (close === t.end) kafkaLogger(r);
          // PHP's error log (`[stamp zone] PHP Warning:  ...`) and php-fpm's (`[stamp] WARNING: [pool www] child 7 said ...`).
          if (r.severityText === undefined && isPhpDiagnostic(r.body)) phpDiagnostic(r);
          else if (r.body.charCodeAt(0) === 91 && r.body.startsWith('[pool ')) phpFpm(r);
          // `[10:00:00 INF] msg` (Serilog): a level inside the stamp's brackets.
          const inside = line.slice(t.end, close).trim();
          const level = inside === '' ? 0 : severityFromText(inside);
          if (level !== 0 && r.severityText === undefined && r.fallback === undefined) {
            r.severityText = inside.toUpperCase();
            r.severityNumber = level;
          }
          return r;
        }
      }
      return levelFirst(line, ctx) ?? unmatched(line);
    }
    if (c === 60 /* < */) return syslog(line, ctx) ?? kernelLine(line) ?? unmatched(line);
    // A network device's message without PRI or header: `%ASA-6-302013: Built ...`.
    if (c === 37 /* % */) return ciscoLine(line, ctx) ?? unmatched(line);
    if (isUpper(c)) {
      // A CEF or LEEF event written as it is, without a syslog header.
      if ((c === 67 /* C */ || c === 76 /* L */) && isSecurityEvent(line)) {
        const r: ParsedFields = { body: line, attributes: {} };
        if (securityEventInto(line, r, tz)) return r;
      }
      // `Nov 24 10:00:00`, `Sun Dec 04 ...`; `Sat, 20 Jul 2026 ...` (RFC 1123).
      if (line.charCodeAt(3) === 32 || (line.charCodeAt(3) === 44 && line.charCodeAt(4) === 32)) {
        const t = readTime(line, 0, tz, ctx.now);
        if (t !== undefined) {
          // java.util.logging: `Dec 02, 2026 3:44:22 AM class method` and `INFO: msg` under it (a record of
          // two lines when multiline assembly is on).
          if (line.charCodeAt(t.end - 1) === 77 /* M */ && line.charCodeAt(t.end - 3) === 32) {
            const r = jul(line, t);
            if (r !== null) return r;
          }
          // `Nov 24 10:00:00 host app[1]: msg` is syslog; `Sun Dec 04 04:47:44 2005` and anything else a text header.
          if (!Number.isNaN(t.time) && line.charCodeAt(4) !== c) {
            const r = syslog(line, ctx);
            if (r !== null) return r;
          }
          return afterTime(line, t, ctx, wrappers, false, '');
        }
        // `journalctl -o short-full`: a weekday, then an ISO date and clock, a zone, host, tag and pid.
        if (isDigit(line.charCodeAt(4)) && line.charCodeAt(8) === 45) {
          const w = readTime(line, 4, tz, ctx.now);
          if (w !== undefined && !Number.isNaN(w.time) && line.charCodeAt(w.end) === 32) {
            let j = w.end + 1;
            const z = zoneAbbreviationEnd(line, j);
            // UTC and GMT say how to read the clock; another zone's name leaves it to the source's.
            const zone = z === -1 ? '' : line.slice(j, z);
            const time = zone === 'UTC' || zone === 'GMT' ? readTime(line, 4, 'UTC', ctx.now)!.time : w.time;
            if (z !== -1) j = z + 1;
            const r = hostTagPid(line, j, time);
            if (r !== null) return r;
            // Without a pid (`web-1 kernel: msg`): what else journalctl writes there.
            JOURNAL_HOST_TAG.lastIndex = j;
            const m = JOURNAL_HOST_TAG.exec(line);
            if (m !== null) return { time, host: m[1]!, body: line.slice(JOURNAL_HOST_TAG.lastIndex), attributes: { 'syslog.appname': m[2]! } };
          }
        }
      }
      const c1 = line.charCodeAt(1);
      // Ruby's Logger (Rails): `I, [2026-11-24T10:00:00.123456 #1234]  INFO -- progname: msg`.
      if (c1 === 44 && line.charCodeAt(2) === 32 && line.charCodeAt(3) === 91) {
        const r = rubyLogger(line, ctx);
        if (r !== null) return r;
      }
      if (isDigit(c1) && (c === 73 || c === 87 || c === 69 || c === 70)) {
        const r = klog(line, ctx);
        if (r !== null) return r;
      }
      if (c1 === 47 /* / */) {
        const r = logcat(line, 0, { body: '', attributes: {} });
        if (r !== null) return r;
      }
      // morgan's `dev` and `tiny` (Express): `GET /x 404 1.759 ms - 146`.
      const sp = line.indexOf(' ');
      if (sp >= 3 && sp <= 10 && line.charCodeAt(sp + 1) === 47 /* / */) {
        const r = morganLine(line);
        if (r !== null) return r;
      }
      // AWS Lambda's platform lines: `START RequestId: ...`, `REPORT RequestId: ...\tDuration: ...`.
      if (c === 83 || c === 69 || c === 82 || c === 73) {
        const r = lambdaPlatform(line);
        if (r !== null) return r;
      }
      // PHP's diagnostics on stderr (the CLI, php-fpm's workers): `PHP Warning:  msg in /app.php on line 3`.
      if (c === 80 && isPhpDiagnostic(line)) {
        const r = phpLine(line);
        if (r !== null) return r;
      }
      // logrus's terminal layout: `WARN[2026-12-03T06:11:17Z] msg`, `ERRO[0000] msg`.
      if (line.charCodeAt(4) === 91) {
        const r = logrusTerminal(line, ctx);
        if (r !== null) return r;
      }
      return levelFirst(line, ctx) ?? prefixed(line, ctx, wrappers) ?? unmatched(line);
    }
    if (isLower(c)) {
      if (line.charCodeAt(4) === 58 && line.charCodeAt(5) === 32) {
        const r = dotnet(line);
        if (r !== null) return r;
      }
      // winston's `level: msg {meta}` (after .NET's `info: Category[0]`, which starts alike).
      if (mayBeWinston(line)) {
        const r = winstonLine(line, ctx, names, depth);
        if (r !== null) return r;
      }
      // The Linux audit log: `type=SYSCALL msg=audit(1765001791.123:456): arch=... syscall=59 ...`.
      if (c === 116 /* t */ && line.startsWith('type=')) {
        const r = auditd(line);
        if (r !== null) return r;
      }
      if (looksLikeLogfmt(line)) {
        const r = logfmt(line, ctx);
        if (r !== null) return r;
      }
      // Python's warning with a relative file (`app/main.py:12: UserWarning: msg`).
      const py = line.indexOf('.py:');
      if (py > 0 && py < 256) {
        const r = pythonWarning(line);
        if (r !== null) return r;
      }
      const p = prefixed(line, ctx, wrappers);
      if (p !== null) return p;
      // Apache's vhost_combined: `example.com:80 1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET ..."`.
      if (accessQuote(line)) {
        const r = combined(line, ctx);
        if (r !== null) return r;
      }
      return levelFirst(line, ctx) ?? unmatched(line);
    }
    if (c === 45 /* - */) return prefixed(line, ctx, wrappers) ?? unmatched(line);
    // A warning Python printed to stderr, its file first: `/app/main.py:12: DeprecationWarning: msg`.
    if (c === 47 /* / */) return pythonWarning(line) ?? unmatched(line);
    if (c === 32 || c === 9) {
      const j = skipWs(line, 0);
      if (line.charCodeAt(j) === 123) return json(line, ctx, wrappers, 0) ?? unmatched(line);
      // Zabbix right-aligns its pid: `  4768:20261206:062431.948 msg`.
      if (isDigit(line.charCodeAt(j)) && zabbixHead(line)) return zabbix(line, ctx) ?? unmatched(line);
    }
    return unmatched(line);
  }

  // Terminal colours go before anything reads the line: werkzeug, Rails in development and colour
  // loggers write them even when their output is a file or a pipe (`"\x1b[33mGET /x HTTP/1.1\x1b[0m" 404`).
  return (line, ctx) => {
    // Under a W3C or Zeek header, a line is that header's columns first.
    if (ctx.header !== undefined) {
      const r = w3cLine(line, ctx.header, ctx);
      if (r !== null) return r;
    }
    return parse(line.indexOf('\x1b') === -1 ? line : line.replace(ANSI_ESCAPE, ''), ctx, true);
  };
}

export const autoParser: ParserDefinition<AutoParserOptions> = {
  name: 'auto',
  description:
    'Recognises the format of each line without configuration: JSON (and Docker json-file and journald wrappers), logfmt, syslog, ' +
    'access logs, CRI lines, and text layouts (log4j, logback, Python, klog, logcat, nginx/Apache error logs, epoch stamps, ...), ' +
    'whose header fields become attributes and whose message alone becomes the body.',
  defaults: autoDefaults,
  configProperties: { ...FIELD_NAME_CONFIG_PROPERTIES },
  create: createAutoParser,
};
