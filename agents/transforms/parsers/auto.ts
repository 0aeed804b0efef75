/**
 * Any line in, the best ParsedFields out, with no configuration: JSON objects (and the Docker
 * json-file and journald wrappers around a line), logfmt, syslog, access logs, CRI lines, and text
 * lines of any common layout (log4j, logback, Python logging, klog, logcat, nginx and Apache error
 * logs, Windows CBS, epoch stamps ...), split into header fields and the message, which alone becomes
 * the body. The format is picked from the first characters and the shape of the line, so a line costs
 * one or two anchored matches, not a trial of every format. Never returns null: a line no format
 * matches is kept whole and marked `unmatched`.
 */
import { createCombinedParser } from './combined.ts';
import { isDockerJson, isJournald, parseCri, parseDockerJson, parseJournald } from './container.ts';
import { FIELD_NAME_CONFIG_PROPERTIES, setOwn, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import { finishHeader, newHeader, scanHeader, skipWs } from './header.ts';
import { fieldsFromObject, jsonDefaults } from './json.ts';
import { createLogfmtParser, looksLikeLogfmt } from './logfmt.ts';
import { createSyslogParser, mayBeBsdAfterIso } from './syslog.ts';
import { severityFromText, severityText } from '../severity.ts';
import { fractionMs, readTime, timeFromFields, type FoundTime } from '../timestamp.ts';
import type { LineParser, ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export type AutoParserOptions = FieldNameOptions;

export const autoDefaults: AutoParserOptions = withFieldDefaults({});

const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+(\d+) ([^\s:\]]+):(\d+)\] ?/;
const LOGCAT_BRIEF = /([VDIWEFA])\/([^(:]*?)\(\s*(\d+)\): ?/y;
/** Ruby's Logger after its stamp: ` #pid]`, the level padded to five, `--`, the program name and `: `. */
const RUBY_TAIL = / #(\d+)\]\s+([A-Z]+) -- (.*?): ?/y;
/** java.util.logging after its stamp: the class and method, then on the next line the level and `: `. */
const JUL_TAIL = / (\S+)(?: (\S+))?(?:\n(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ?|$)/y;
/** Redis before its stamp: `pid:role` (X sentinel, C child, S replica, M master). */
const REDIS_PREFIX = /^(\d+):([XCSM])$/;
/** Redis's level marks: `.` debug, `-` verbose, `*` notice, `#` warning. */
const REDIS_LEVELS: Readonly<Record<string, string>> = { '.': 'DEBUG', '-': 'DEBUG', '*': 'NOTICE', '#': 'WARNING' };
/** MySQL's error log after its stamp: the thread, `[Level]`, and in 8.0 `[MY-010068] [Subsystem]`. */
const MYSQL = /(\d{1,20}) \[(System|Warning|Note|ERROR|Error)\](?: ?\[(MY-\d+)\] \[([A-Za-z]+)\])? /y;
/** Celery's `[stamp: LEVEL/ProcessName]`, after the stamp's colon. */
const CELERY = /^\s*([A-Z]+)\/([^\s\]]+)$/;
/** Rust's env_logger: `[2026-11-24T10:00:00Z INFO  my_crate::server] msg` (the target after the level, inside the stamp's brackets). */
const LEVEL_TARGET = /^\s+([A-Z]{4,5})\s+([^\s\]]+)$/;
/** MongoDB before 4.4: `2026-11-24T10:00:00.123+0000 I NETWORK  [listener] msg`: severity letter, component, context. */
const MONGO_LEGACY = /([FEWI]|D[1-5]?) +([A-Z][A-Z_]*|-) +\[([^\]\s]+)\] /y;
/** .NET's console logger: `info: Microsoft.Hosting.Lifetime[14]`, the message on the lines under it, indented six spaces (the indent goes; lines written without it stay as they are). */
const DOTNET = /^(trce|dbug|info|warn|fail|crit): ([^\s[\]]+)\[(\d+)\] *(?:\n|$)/;
/** Kafka's log4j layout (`[%d] %p %m (%c)%n`) ends a message with its logger: a class, or a name ending in `logger`. */
/** PHP's Monolog (Laravel, Symfony): `[time] channel.LEVEL: msg {context} {extra}`. */
const MONOLOG = / ?([\w.-]+)\.(DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|EMERGENCY): /y;
const TRAILING_LOGGER = / \(((?:[A-Za-z_$][\w$]*\.){2,}(?:[A-Z][\w$]*|logger))\)$/;

function unmatched(line: string): ParsedFields {
  return { body: line, attributes: {}, fallback: 'unmatched' };
}

function badTime(line: string): ParsedFields {
  return { body: line, attributes: {}, fallback: 'bad_time' };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isWs = (c: number): boolean => c === 32 || c === 9;

export function createAutoParser(options: Partial<AutoParserOptions> = {}): LineParser {
  const names = withFieldDefaults(options);
  const depth = jsonDefaults.flattenDepth;
  const logfmt = createLogfmtParser({ ...names, minPairs: 2 });
  // The line's own app name is an attribute here, never the record's service: only a source that
  // says so (`parser: {type: syslog, app_as_service: true}`) may replace the configured service.
  const syslog = createSyslogParser({ appAsService: false, looseTag: false });
  const combined = createCombinedParser();

  const innerParse = (line: string, ctx: ParseContext): ParsedFields => parse(line, ctx, false);

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
    if (wrappers && isDockerJson(v)) return parseDockerJson(v, ctx, innerParse);
    if (wrappers && isJournald(v)) return parseJournald(v, ctx, innerParse);
    return fieldsFromObject(v, text, rest, names, depth, ctx);
  }

  /** The rest of a line after its time stamp: a wrapper, JSON, syslog, pipe-separated or text header fields. */
  function afterTime(line: string, t: FoundTime, ctx: ParseContext, wrappers: boolean, fieldTable: boolean, prefix: string): ParsedFields {
    if (Number.isNaN(t.time)) return badTime(line);
    const j = skipWs(line, t.end);
    const c = line.charCodeAt(j);
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
    // `2026-11-24T10:00:00.123+01:00 web-1 kernel: msg`: rsyslog's precise file format.
    if (line.charCodeAt(10) === 84 /* T */ && (isLower(c) || isUpper(c) || isDigit(c)) && !fieldTable && mayBeBsdAfterIso(line)) {
      const r = syslog(line, ctx);
      if (r !== null) return r;
    }
    const out: ParsedFields = { body: '', attributes: {}, time: t.time };
    const s = newHeader(line, j, out, true);
    if (prefix !== '') s.extra = prefix;
    const redis = prefix !== '' && line.charCodeAt(j + 1) === 32 ? REDIS_PREFIX.exec(prefix) : null;
    if (redis && REDIS_LEVELS[line[j]!] !== undefined) {
      // Redis: `1234:M 02 Dec 2026 03:44:22.123 * msg`.
      out.attributes['process.pid'] = redis[1]!;
      s.extra = redis[2]!;
      out.severityText = REDIS_LEVELS[line[j]!]!;
      out.severityNumber = severityFromText(out.severityText);
      return finishHeader(s, j + 2);
    }
    if (isDigit(c) && line.charCodeAt(j + 1) !== 58) {
      MYSQL.lastIndex = j;
      const m = MYSQL.exec(line);
      if (m) {
        // MySQL: the number is the connection's thread; `Note` and `System` are its informational levels.
        out.attributes['thread.id'] = m[1]!;
        out.severityText = m[2]!.toUpperCase();
        out.severityNumber = severityFromText(m[2]!);
        if (m[3] !== undefined) {
          s.extra = s.extra === '' ? m[3] : `${s.extra} ${m[3]}`;
          out.attributes['log.logger'] = m[4]!;
          s.logger = true;
        }
        s.level = s.thread = true;
        s.i = MYSQL.lastIndex;
      }
    }
    if ((c === 73 || c === 87 || c === 69 || c === 70 || c === 68) && (line.charCodeAt(j + 1) === 32 || c === 68) && !s.extra) {
      MONGO_LEGACY.lastIndex = j;
      const m = MONGO_LEGACY.exec(line);
      if (m) {
        out.severityNumber = severityFromText(m[1]![0]!);
        out.severityText = severityText(out.severityNumber);
        if (m[2] !== '-') out.attributes['log.logger'] = m[2]!;
        out.attributes['thread.name'] = m[3]!;
        return finishHeader(s, MONGO_LEGACY.lastIndex);
      }
    }
    if ((c === 86 || c === 68 || c === 73 || c === 87 || c === 69 || c === 70 || c === 65) && line.charCodeAt(j + 1) === 47) {
      // logcat's `time` layout: the stamp, then `I/Tag( 123): msg`.
      LOGCAT_BRIEF.lastIndex = j;
      const m = LOGCAT_BRIEF.exec(line);
      if (m) return logcat(m, line.slice(LOGCAT_BRIEF.lastIndex), out);
    }
    const start = scanHeader(s, ctx, fieldTable);
    if (out.fallback === 'bad_time') return badTime(line);
    const r = finishHeader(s, start);
    if (line.indexOf('\t') !== -1) trailingJson(r);
    return r;
  }

  /** `time|component|pid|message` (HealthApp) and `time | LEVEL | message` (loguru): fields until the first that holds a space, or the last. */
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
    return finishHeader(s, line.charCodeAt(i) === 124 ? i + 1 : i);
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
    if (!s.level && !s.hasTime) return null;
    if (out.fallback === 'bad_time') return badTime(line);
    return finishHeader(s, start);
  }

  function parse(line: string, ctx: ParseContext, wrappers: boolean): ParsedFields {
    const n = line.length;
    if (n === 0) return unmatched(line);
    const c = line.charCodeAt(0);
    const tz = ctx.timeZone ?? 'UTC';
    if (isDigit(c)) {
      // Access logs start with the client address: `1.2.3.4 - - [24/Nov/2026:10:00:00 +0000] "GET ..."`.
      // Only a `] "` starting before 128 counts; found through the `]`s (a one-character search, no
      // copy of the line's head): most lines have none or one there.
      let q = line.indexOf(']');
      while (q !== -1 && q < 128 && (line.charCodeAt(q + 1) !== 32 || line.charCodeAt(q + 2) !== 34)) q = line.indexOf(']', q + 1);
      if (q > 0 && q < 128) {
        const r = combined(line, ctx);
        if (r !== null) return r;
      }
      const t = readTime(line, 0, tz, ctx.now);
      if (t !== undefined) {
        const e = line.charCodeAt(t.end);
        // pm2's `--time` prefix puts `: ` after the stamp (`2026-11-24T10:00:00: msg`).
        if (t.end >= n || isWs(e) || e === 44 /* , */ || e === 124 /* | */ || (e === 58 && isWs(line.charCodeAt(t.end + 1)))) return afterTime(line, t, ctx, wrappers, false, '');
      }
      return prefixed(line, ctx, wrappers) ?? unmatched(line);
    }
    if (c === 123 /* { */) return json(line, ctx, wrappers, 0) ?? unmatched(line);
    if (c === 91 /* [ */) {
      const t = readTime(line, 1, tz, ctx.now);
      if (t !== undefined) {
        const close = line.indexOf(']', t.end);
        // `[2026-11-24 10:00:00,123: INFO/MainProcess] msg` (Celery): the level and process after a colon.
        if (line.charCodeAt(t.end) === 58 && close !== -1 && close - t.end <= 80) {
          const m = CELERY.exec(line.slice(t.end + 1, close));
          const level = m ? severityFromText(m[1]!) : 0;
          if (level !== 0) {
            const r = afterTime(line, { time: t.time, end: close + 1 }, ctx, false, false, m![2]!);
            if (r.fallback === undefined) {
              r.severityText = m![1]!;
              r.severityNumber = level;
            }
            return r;
          }
        }
        if (close !== -1 && close - t.end >= 7 && close - t.end <= 128) {
          const m = LEVEL_TARGET.exec(line.slice(t.end, close));
          const level = m ? severityFromText(m[1]!) : 0;
          if (level !== 0) {
            if (Number.isNaN(t.time)) return badTime(line);
            return { time: t.time, severityText: m![1]!, severityNumber: level, body: line.slice(skipWs(line, close + 1)), attributes: { 'log.logger': m![2]! } };
          }
        }
        if (close === t.end) {
          MONOLOG.lastIndex = close + 1;
          const m = MONOLOG.exec(line);
          if (m) return Number.isNaN(t.time) ? badTime(line) : monolog(m, line.slice(MONOLOG.lastIndex), t.time);
        }
        if (close !== -1 && close - t.end <= 12) {
          const r = afterTime(line, { time: t.time, end: close + 1 }, ctx, false, false, '');
          if (close === t.end && r.severityText !== undefined && r.attributes['log.logger'] === undefined && r.body.charCodeAt(r.body.length - 1) === 41) {
            const m = TRAILING_LOGGER.exec(r.body);
            if (m) {
              r.attributes['log.logger'] = m[1]!;
              r.body = r.body.slice(0, m.index);
            }
          }
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
    if (c === 60 /* < */) return syslog(line, ctx) ?? unmatched(line);
    if (isUpper(c)) {
      if (line.charCodeAt(3) === 32) {
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
      }
      const c1 = line.charCodeAt(1);
      // Ruby's Logger (Rails): `I, [2026-11-24T10:00:00.123456 #1234]  INFO -- progname: msg`.
      if (c1 === 44 && line.charCodeAt(2) === 32 && line.charCodeAt(3) === 91) {
        const r = rubyLogger(line, ctx);
        if (r !== null) return r;
      }
      if (isDigit(c1) && (c === 73 || c === 87 || c === 69 || c === 70)) {
        const m = KLOG.exec(line);
        if (m) return klog(m, line, ctx);
      }
      if (c1 === 47 /* / */) {
        LOGCAT_BRIEF.lastIndex = 0;
        const m = LOGCAT_BRIEF.exec(line);
        if (m) return logcat(m, line.slice(LOGCAT_BRIEF.lastIndex), { body: '', attributes: {} });
      }
      return levelFirst(line, ctx) ?? prefixed(line, ctx, wrappers) ?? unmatched(line);
    }
    if (isLower(c)) {
      if (line.charCodeAt(4) === 58 && line.charCodeAt(5) === 32) {
        const m = DOTNET.exec(line);
        if (m) return dotnet(m, line);
      }
      if (looksLikeLogfmt(line)) {
        const r = logfmt(line, ctx);
        if (r !== null) return r;
      }
      return prefixed(line, ctx, wrappers) ?? levelFirst(line, ctx) ?? unmatched(line);
    }
    if (c === 45 /* - */) return prefixed(line, ctx, wrappers) ?? unmatched(line);
    if (c === 32 || c === 9) {
      const j = skipWs(line, 0);
      if (line.charCodeAt(j) === 123) return json(line, ctx, wrappers, 0) ?? unmatched(line);
    }
    return unmatched(line);
  }

  return (line, ctx) => parse(line, ctx, true);
}

/** klog/glog: `I1129 05:00:00.123456    1234 file.go:12] msg`; the year is the one nearest to now. */
function klog(m: RegExpExecArray, line: string, ctx: ParseContext): ParsedFields {
  const time = timeFromFields(undefined, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), undefined, ctx.timeZone ?? 'UTC', ctx.now);
  if (Number.isNaN(time)) return badTime(line);
  const number = severityFromText(m[1]!);
  return {
    time,
    severityText: severityText(number),
    severityNumber: number,
    body: line.slice(m[0].length),
    attributes: { 'thread.id': m[8]!, 'code.file.path': m[9]!, 'code.line.number': m[10]! },
  };
}

/** java.util.logging's SimpleFormatter record after its stamp; null when the rest is not its shape. */
function jul(line: string, t: FoundTime): ParsedFields | null {
  JUL_TAIL.lastIndex = t.end;
  const m = JUL_TAIL.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const out: ParsedFields = { time: t.time, body: line.slice(JUL_TAIL.lastIndex), attributes: { 'log.logger': m[1]! } };
  if (m[2] !== undefined) out.attributes['code.function.name'] = m[2];
  if (m[3] !== undefined) {
    out.severityText = m[3];
    out.severityNumber = severityFromText(m[3]);
  }
  return out;
}

/** Ruby's Logger default format; null when the line only starts like one. */
function rubyLogger(line: string, ctx: ParseContext): ParsedFields | null {
  const t = readTime(line, 4, ctx.timeZone ?? 'UTC', ctx.now);
  if (t === undefined) return null;
  RUBY_TAIL.lastIndex = t.end;
  const m = RUBY_TAIL.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const out: ParsedFields = { time: t.time, body: line.slice(RUBY_TAIL.lastIndex), attributes: { 'process.pid': m[1]! } };
  const number = severityFromText(m[2]!);
  // `ANY` (Logger::UNKNOWN) names no severity: the record says UNSPECIFIED, as for a line without one.
  if (number !== 0) {
    out.severityText = m[2]!;
    out.severityNumber = number;
  }
  if (m[3] !== '') out.attributes['log.logger'] = m[3]!;
  return out;
}

/** .NET's console logger's record: the level and `category[event id]`, then the message, each line indented six spaces. */
function dotnet(m: RegExpExecArray, line: string): ParsedFields {
  const number = severityFromText(m[1]!);
  const body = line
    .slice(m[0].length)
    .split('\n')
    .map((l) => (l.startsWith('      ') ? l.slice(6) : l))
    .join('\n');
  return { severityText: m[1]!.toUpperCase(), severityNumber: number, body, attributes: { 'log.logger': m[2]!, 'event.id': m[3]! } };
}

/** Android logcat's `brief` form: `I/ActivityManager( 1234): msg`. */
function logcat(m: RegExpExecArray, body: string, out: ParsedFields): ParsedFields {
  // A single letter is an abbreviation: the record carries the word.
  out.severityNumber = severityFromText(m[1]!);
  out.severityText = severityText(out.severityNumber);
  out.attributes['log.logger'] = m[2]!.trim();
  out.attributes['process.pid'] = m[3]!;
  out.body = body;
  return out;
}

/**
 * Monolog's record after its level: the message, then its context and extra as JSON (`[]` when empty,
 * PHP's empty array). Empty ones go; an object at the end (the first ` {` from which the rest parses)
 * becomes attributes, its nested values as JSON.
 */
function monolog(m: RegExpExecArray, rest: string, time: number): ParsedFields {
  const out: ParsedFields = { time, severityText: m[2]!, severityNumber: severityFromText(m[2]!), body: rest, attributes: { 'log.logger': m[1]! } };
  let body = rest.trimEnd();
  // Extra, then context, from the end: each `[]` or an object; the context's keys win over the extra's.
  const found: object[] = [];
  for (let part = 0; part < 2; part++) {
    if (body.endsWith(' []')) {
      body = body.slice(0, -3);
      continue;
    }
    const object = body.charCodeAt(body.length - 1) === 125 ? trailingObject(body) : undefined;
    if (object === undefined) break;
    found.push(object.value);
    body = body.slice(0, object.at);
  }
  for (let k = 0; k < found.length; k++) {
    for (const [key, val] of Object.entries(found[k]!)) setOwn(out.attributes, key, typeof val === 'string' ? val : JSON.stringify(val));
  }
  out.body = body;
  return out;
}

/** The JSON object that ends `text` from the first ` {` where the rest parses as one (a few tries), and where it starts. */
function trailingObject(text: string): { value: object; at: number } | undefined {
  for (let at = text.indexOf(' {'), tries = 0; at !== -1 && tries < 8; at = text.indexOf(' {', at + 1), tries++) {
    let v: unknown;
    try {
      v = JSON.parse(text.slice(at + 1));
    } catch {
      continue;
    }
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? { value: v, at } : undefined;
  }
  return undefined;
}

/** zap's console layout ends with the context as JSON after a tab: `msg\t{"port": 8080}`. */
function trailingJson(r: ParsedFields): void {
  const body = r.body;
  if (body.charCodeAt(body.length - 1) !== 125) return;
  const tab = body.lastIndexOf('\t{');
  if (tab === -1) return;
  try {
    const v = JSON.parse(body.slice(tab + 1)) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, val] of Object.entries(v)) r.attributes[k] = typeof val === 'string' ? val : JSON.stringify(val);
    r.body = body.slice(0, tab).trimEnd();
  } catch {
    // Not JSON after all: it stays in the message.
  }
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
