/**
 * The layouts of particular programs that the auto parser tells apart by their first characters and
 * shape (auto.ts dispatches; header.ts reads the general text header): klog (and its structured form), java.util.logging, the JVM's unified logging,
 * Ruby's Logger, Celery, logcat, Redis, MySQL, MongoDB's text log, Rust's env_logger, Kafka's log4j
 * layout, PHP's Monolog, .NET's console logger, capnslog (etcd before 3.4), ClickHouse's server log, Envoy's log (its access log: access.ts), Tornado and Jupyter, loguru's and the Datadog Agent's code locations, zap's trailing JSON. Each returns null when the line
 * only starts like its program's, so the dispatch goes on to the general header.
 */
import { setOwn } from './fields.ts';
import { finishHeader, skipWs, type HeaderState } from './header.ts';
import { splitLogfmt } from './logfmt.ts';
import { severityFromText, severityText } from '../severity.ts';
import { fractionMs, readTime, timeFromFields, type FoundTime } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+(\d+) ([^\s:\]]+):(\d+)\] ?/;
const LOGCAT_BRIEF = /([VDIWEFA])\/([^(:]*?)\(\s*(\d+)\): ?/y;
/** Ruby's Logger after its stamp: ` #pid]`, the level padded to five, `--`, the program name and `: `. */
const RUBY_TAIL = / #(\d+)\]\s+([A-Z]+) -- (.*?): ?/y;
/** java.util.logging after its stamp: the class and method, then on the next line the level and `: `. */
const JUL_TAIL = / (\S+)(?: (\S+))?(?:\n(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ?|$)/y;
/** Redis before its stamp: `pid:role` (X sentinel, C child, S replica, M master). */
const REDIS_PREFIX = /^(\d+):([XCSM])$/;
/** Redis's roles before the stamp. */
const REDIS_ROLES: Readonly<Record<string, string>> = { X: 'sentinel', C: 'child', S: 'replica', M: 'master' };
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
/** PHP's Monolog (Laravel, Symfony): `[time] channel.LEVEL: msg {context} {extra}`. */
const MONOLOG = / ?([\w.-]+)\.(DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|EMERGENCY): /y;
/** Envoy after its `[time]` (`[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`): thread id, level, logger, then the source location (which tells it from the JVM's unified logging). */
const ENVOY = /\[(\d{1,10})\]\[(trace|debug|info|warning|error|critical)\]\[([\w.-]{1,64})\] \[([^\]\s:]+):(\d{1,6})\] ?/y;
/** The JVM's unified logging (`-Xlog`, JDK 9+): decorations each in brackets, then `[level][tag,tag]` (both padded in some JDKs). */
const JVM_LOG = /((?:\[[^\]\s]{1,40}\])*?)\[(trace|debug|info|warning|error) *\]\[([a-z0-9_]+(?:,[a-z0-9_]+)*) *\] ?/y;
const JVM_UPTIME = /^\d+(?:\.\d+)?(?:s|ms|ns)$/;
const BRACKETED_LOCATION = /\[[^\]\s:]+:\d{1,6}\]/y;
/** loguru after its `time | LEVEL | `: `{name}:{function}:{line} - ` (`__main__:<module>:12 - `). */
const LOGURU_LOCATION = /([\w.<>-]+):([\w<>]+):(\d{1,6}) - /y;
/** capnslog after its stamp (`2026-11-24 10:00:00.123456 W | etcdserver: msg`, `j` at the level letter): the package as the logger; null for another letter. */
export function capnslog(line: string, j: number, time: number): ParsedFields | null {
  const level = CAPNSLOG_LEVELS[line[j]!];
  if (level === undefined) return null;
  const attributes: Record<string, string> = {};
  CAPNSLOG_PACKAGE.lastIndex = j + 4;
  const m = CAPNSLOG_PACKAGE.exec(line);
  if (m) attributes['log.logger'] = m[1]!;
  return { time, severityText: level, severityNumber: severityFromText(level), body: line.slice(m ? CAPNSLOG_PACKAGE.lastIndex : j + 4), attributes };
}

/**
 * ClickHouse's server log (`2026.11.24 10:00:00.123456 [ 1234 ] {query-id} <Information> executeQuery:
 * msg`, `j` at the `[`): the thread id, the query id when there is one, the level, and what comes
 * before the first `: ` as the logger (`default.events (uuid) (MergerMutator)`); null when the line
 * only starts like it.
 */
export function clickhouse(line: string, j: number, time: number): ParsedFields | null {
  CLICKHOUSE.lastIndex = j;
  const m = CLICKHOUSE.exec(line);
  if (!m) return null;
  const attributes: Record<string, string> = { 'thread.id': m[1]! };
  if (m[2] !== '') attributes['clickhouse.query_id'] = m[2]!;
  let at = CLICKHOUSE.lastIndex;
  const colon = line.indexOf(': ', at);
  if (colon >= at && colon - at <= 128 && line.lastIndexOf('\n', colon) < at) {
    // `<Information> : Starting ClickHouse ...`: no logger before the colon.
    if (colon > at) attributes['log.logger'] = line.slice(at, colon);
    at = colon + 2;
  }
  const level = m[3] === 'Test' ? 'TRACE' : m[3]!.toUpperCase();
  return { time, severityText: level, severityNumber: severityFromText(level), body: line.slice(at), attributes };
}

/** Tornado's and Jupyter's (traitlets') `[L time name]`: after the stamp, the module (`web:2239`) or app name. */
const TORNADO_NAME = / ([^\s\]]{1,64})\] ?/y;
const TORNADO_LEVELS: Readonly<Record<string, string>> = { D: 'DEBUG', I: 'INFO', W: 'WARN', E: 'ERROR', C: 'CRITICAL' };
/** The Datadog Agent after its `time | FLAVOR | LEVEL | `: `(pkg/x/file.go:71 in Func) | `, then its context as `key:value | ` pairs. */
const DATADOG_LOCATION = /\(([^\s():]+):(\d{1,6}) in ([^\s()]+)\) \| /y;
const DATADOG_CONTEXT = /([A-Za-z_][\w.-]*):([^\s|]+) \| /y;
/** Kafka's log4j layout (`[%d] %p %m (%c)%n`) ends a message with its logger: a class, or a name ending in `logger`; Kafka Connect's (`(%c:%L)`) with the line too. */
const TRAILING_LOGGER = / \(((?:[A-Za-z_$][\w$]*\.){2,}(?:[A-Z][\w$]*|logger))(?::(\d{1,6}))?\)$/;

/** capnslog's level letters (etcd before 3.4, CoreOS's tools): `I | pkg: msg` after the stamp. */
const CAPNSLOG_LEVELS: Readonly<Record<string, string>> = { C: 'CRITICAL', E: 'ERROR', W: 'WARNING', N: 'NOTICE', I: 'INFO', D: 'DEBUG', T: 'TRACE' };
const CAPNSLOG_PACKAGE = /([\w./-]{1,64}): /y;

/** ClickHouse's server log after its stamp: `[ thread id ] {query id} <Level> `. */
const CLICKHOUSE = /\[ (\d{1,10}) \] \{([^}\s]*)\} <(Trace|Debug|Information|Notice|Warning|Error|Critical|Fatal|Test)> /y;

/** A line no format matched: kept whole, with the time of reading. */
export function unmatched(line: string): ParsedFields {
  return { body: line, attributes: {}, fallback: 'unmatched' };
}

/** A line whose format matched but whose date cannot exist: kept whole, with the time of reading. */
export function badTime(line: string): ParsedFields {
  return { body: line, attributes: {}, fallback: 'bad_time' };
}

/** The Datadog Agent's code location and context at `at` (after its pipe-separated fields) into attributes; where its message starts, or `at`. */
export function datadogAgent(line: string, at: number, attributes: Record<string, string>): number {
  DATADOG_LOCATION.lastIndex = at;
  const m = DATADOG_LOCATION.exec(line);
  if (!m) return at;
  attributes['code.file.path'] = m[1]!;
  attributes['code.line.number'] = m[2]!;
  attributes['code.function.name'] = m[3]!;
  let i = DATADOG_LOCATION.lastIndex;
  for (let k = 0; k < 8; k++) {
    DATADOG_CONTEXT.lastIndex = i;
    const c = DATADOG_CONTEXT.exec(line);
    if (!c) break;
    setOwn(attributes, c[1]!, c[2]!);
    i = DATADOG_CONTEXT.lastIndex;
  }
  return i;
}

/** loguru's default location (`app.main:run:42 - `) at `at` into attributes; where its message starts, or `at`. */
export function loguruLocation(line: string, at: number, attributes: Record<string, string>): number {
  LOGURU_LOCATION.lastIndex = at;
  const m = LOGURU_LOCATION.exec(line);
  if (!m) return at;
  attributes['log.logger'] = m[1]!;
  attributes['code.function.name'] = m[2]!;
  attributes['code.line.number'] = m[3]!;
  return LOGURU_LOCATION.lastIndex;
}

/** Redis: `1234:M 02 Dec 2026 03:44:22.123 * msg`; `prefix` is what came before the stamp, `j` the mark after it. */
export function redis(s: HeaderState, prefix: string, j: number): ParsedFields | null {
  const line = s.line;
  const m = line.charCodeAt(j + 1) === 32 ? REDIS_PREFIX.exec(prefix) : null;
  const level = m ? REDIS_LEVELS[line[j]!] : undefined;
  if (level === undefined) return null;
  const out = s.out;
  out.attributes['process.pid'] = m![1]!;
  // The role: a forked child (saving, rewriting the AOF), a master, a replica or a sentinel.
  out.attributes['redis.role'] = REDIS_ROLES[m![2]!]!;
  s.extra = '';
  out.severityText = level;
  out.severityNumber = severityFromText(level);
  return finishHeader(s, j + 2);
}

/** MySQL and MariaDB: the connection's thread, the level (`Note` and `System` are informational) and 8.0's code and subsystem, read into `s` from `j`. */
export function mysql(s: HeaderState, j: number): void {
  MYSQL.lastIndex = j;
  const m = MYSQL.exec(s.line);
  if (!m) return;
  const out = s.out;
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

/** MongoDB's text log before 4.4, from the severity letter at `j`. */
export function mongoLegacy(s: HeaderState, j: number): ParsedFields | null {
  MONGO_LEGACY.lastIndex = j;
  const m = MONGO_LEGACY.exec(s.line);
  if (!m) return null;
  const out = s.out;
  out.severityNumber = severityFromText(m[1]![0]!);
  out.severityText = severityText(out.severityNumber);
  if (m[2] !== '-') out.attributes['log.logger'] = m[2]!;
  out.attributes['thread.name'] = m[3]!;
  return finishHeader(s, MONGO_LEGACY.lastIndex);
}

/** Celery's level and process name inside `[stamp: INFO/MainProcess]` (the stamp ends at `t.end`, the bracket at `close`). */
export function celery(line: string, t: FoundTime, close: number): { text: string; level: number; process: string } | null {
  const m = CELERY.exec(line.slice(t.end + 1, close));
  const level = m ? severityFromText(m[1]!) : 0;
  return level === 0 ? null : { text: m![1]!, level, process: m![2]! };
}

/** Rust's env_logger: level and target inside the stamp's brackets, which close at `close`. */
export function envLogger(line: string, t: FoundTime, close: number): ParsedFields | null {
  const m = LEVEL_TARGET.exec(line.slice(t.end, close));
  const level = m ? severityFromText(m[1]!) : 0;
  if (level === 0) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  return { time: t.time, severityText: m![1]!, severityNumber: level, body: line.slice(skipWs(line, close + 1)), attributes: { 'log.logger': m![2]! } };
}

/** Kafka's layout: a record with a level and no logger whose message ends with `(logger)` gets it. */
export function kafkaLogger(r: ParsedFields): void {
  if (r.severityText === undefined || r.attributes['log.logger'] !== undefined || r.body.charCodeAt(r.body.length - 1) !== 41) return;
  const m = TRAILING_LOGGER.exec(r.body);
  if (!m) return;
  r.attributes['log.logger'] = m[1]!;
  if (m[2] !== undefined) r.attributes['code.line.number'] = m[2];
  r.body = r.body.slice(0, m.index);
}

/** klog/glog: `I1129 05:00:00.123456    1234 file.go:12] msg`; the year is the latest that does not put it in the future. */
export function klog(line: string, ctx: ParseContext): ParsedFields | null {
  const m = KLOG.exec(line);
  if (!m) return null;
  const time = timeFromFields(undefined, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), undefined, ctx.timeZone ?? 'UTC', ctx.now);
  if (Number.isNaN(time)) return badTime(line);
  const number = severityFromText(m[1]!);
  const attributes: Record<string, string> = { 'thread.id': m[8]!, 'code.file.path': m[9]!, 'code.line.number': m[10]! };
  const rest = line.slice(m[0].length);
  return {
    time,
    severityText: severityText(number),
    severityNumber: number,
    body: rest.charCodeAt(0) === 34 ? klogStructured(rest, attributes) : rest,
    attributes,
  };
}

/**
 * klog's structured form (every Kubernetes component since 1.19): `"Event occurred" object="default/web"
 * kind="Deployment"`. The quoted message becomes the body and the pairs attributes; the text stays as
 * it is when it is not this shape (an escape JSON does not know, a value klog wrote over several lines).
 */
function klogStructured(text: string, attributes: Record<string, string>): string {
  let close = 1;
  for (; close < text.length; close++) {
    const c = text.charCodeAt(close);
    if (c === 92) close++;
    else if (c === 34) break;
  }
  if (close >= text.length) return text;
  let message: string;
  try {
    message = JSON.parse(text.slice(0, close + 1)) as string;
  } catch {
    return text;
  }
  const rest = text.slice(close + 1).trim();
  if (rest === '') return message;
  if (text.charCodeAt(close + 1) !== 32) return text;
  const pairs = splitLogfmt(rest, 1);
  if (pairs === null) return text;
  for (const k of Object.keys(pairs)) setOwn(attributes, k, pairs[k]!);
  return message;
}

/** java.util.logging's SimpleFormatter record after its stamp; null when the rest is not its shape. */
export function jul(line: string, t: FoundTime): ParsedFields | null {
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
export function rubyLogger(line: string, ctx: ParseContext): ParsedFields | null {
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
export function dotnet(line: string): ParsedFields | null {
  const m = DOTNET.exec(line);
  if (!m) return null;
  const number = severityFromText(m[1]!);
  const body = line
    .slice(m[0].length)
    .split('\n')
    .map((l) => (l.startsWith('      ') ? l.slice(6) : l))
    .join('\n');
  return { severityText: m[1]!.toUpperCase(), severityNumber: number, body, attributes: { 'log.logger': m[2]!, 'event.id': m[3]! } };
}

/** Android logcat's `brief` form: `I/ActivityManager( 1234): msg`. */
export function logcat(line: string, at: number, out: ParsedFields): ParsedFields | null {
  LOGCAT_BRIEF.lastIndex = at;
  const m = LOGCAT_BRIEF.exec(line);
  if (!m) return null;
  const body = line.slice(LOGCAT_BRIEF.lastIndex);
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
export function monolog(line: string, t: FoundTime, close: number): ParsedFields | null {
  MONOLOG.lastIndex = close + 1;
  const m = MONOLOG.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const rest = line.slice(MONOLOG.lastIndex);
  const time = t.time;
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
  for (let k = 0; k < found.length; k++) addJsonAttributes(out.attributes, found[k]!);
  out.body = body;
  return out;
}

/**
 * The JVM's unified logging (GC logs and `-Xlog` output): `[2026-11-24T10:00:00.123+0000][info][gc] GC(0)
 * Pause Young ... 3.123ms`, `[0.012s][info][gc,heap] msg`. The tags are the logger; of the decorations a
 * time is the time, numbers the pid and thread id, an uptime (`0.012s`, `12ms`) goes to `log.header`, any
 * other word is the host. Null when the shape is not there, or when a code location follows (Envoy's).
 */
export function jvmUnified(line: string, ctx: ParseContext): ParsedFields | null {
  JVM_LOG.lastIndex = 0;
  const m = JVM_LOG.exec(line);
  if (!m) return null;
  const end = JVM_LOG.lastIndex;
  BRACKETED_LOCATION.lastIndex = end;
  if (line.charCodeAt(end) === 91 && BRACKETED_LOCATION.test(line)) return null;
  const text = m[2]!.toUpperCase();
  const out: ParsedFields = { body: line.slice(end), attributes: { 'log.logger': m[3]! }, severityText: text, severityNumber: severityFromText(text) };
  const decorations = m[1]!;
  let header = '';
  let numbers = 0;
  for (let at = 0; at < decorations.length;) {
    const close = decorations.indexOf(']', at);
    const d = decorations.slice(at + 1, close);
    at = close + 1;
    const first = d.charCodeAt(0);
    if (first >= 48 && first <= 57) {
      if (out.time === undefined && d.length >= 19) {
        const t = readTime(d, 0, ctx.timeZone ?? 'UTC', ctx.now);
        if (t !== undefined && t.end === d.length) {
          if (Number.isNaN(t.time)) return badTime(line);
          out.time = t.time;
          continue;
        }
      }
      if (JVM_UPTIME.test(d)) header = header === '' ? d : `${header} ${d}`;
      else if (/^\d{1,10}$/.test(d) && numbers < 2) out.attributes[numbers++ === 0 ? 'process.pid' : 'thread.id'] = d;
      continue;
    }
    if (out.host === undefined) out.host = d;
  }
  if (header !== '') out.attributes['log.header'] = header;
  return out;
}

/**
 * Tornado's default (`[I 260720 13:38:44 web:2239] 200 GET / (127.0.0.1) 1.23ms`) and Jupyter's
 * (`[W 2026-07-20 13:38:44.123 ServerApp] msg`): a level letter, a stamp and a name in one bracket;
 * `module:line` is the logger and line. Null when the line only starts like it.
 */
export function tornado(line: string, ctx: ParseContext): ParsedFields | null {
  const level = TORNADO_LEVELS[line[1]!];
  if (level === undefined || line.charCodeAt(2) !== 32) return null;
  const t = readTime(line, 3, ctx.timeZone ?? 'UTC', ctx.now);
  if (t === undefined) return null;
  TORNADO_NAME.lastIndex = t.end;
  const m = TORNADO_NAME.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const name = m[1]!;
  const colon = name.lastIndexOf(':');
  const attributes: Record<string, string> = {};
  if (colon > 0 && /^\d{1,6}$/.test(name.slice(colon + 1))) {
    attributes['log.logger'] = name.slice(0, colon);
    attributes['code.line.number'] = name.slice(colon + 1);
  } else {
    attributes['log.logger'] = name;
  }
  return { time: t.time, severityText: level, severityNumber: severityFromText(level), body: line.slice(TORNADO_NAME.lastIndex), attributes };
}

/** Envoy's own log (the proxy's, not its access log): `[2026-11-24 10:00:00.123][12][info][main] [source/server/server.cc:456] msg`. */
export function envoy(line: string, t: FoundTime, close: number): ParsedFields | null {
  ENVOY.lastIndex = close + 1;
  const m = ENVOY.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const attributes: Record<string, string> = { 'thread.id': m[1]!, 'log.logger': m[3]!, 'code.file.path': m[4]!, 'code.line.number': m[5]! };
  const text = m[2]!.toUpperCase();
  return { time: t.time, severityText: text, severityNumber: severityFromText(text), body: line.slice(ENVOY.lastIndex), attributes };
}

/** A trailing JSON object's keys as attributes: strings as they are, other values as JSON. */
function addJsonAttributes(attributes: Record<string, string>, value: object): void {
  for (const [key, val] of Object.entries(value)) setOwn(attributes, key, typeof val === 'string' ? val : JSON.stringify(val));
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
export function trailingJson(r: ParsedFields): void {
  const body = r.body;
  if (body.charCodeAt(body.length - 1) !== 125) return;
  const tab = body.lastIndexOf('\t{');
  if (tab === -1) return;
  try {
    const v = JSON.parse(body.slice(tab + 1)) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    addJsonAttributes(r.attributes, v);
    r.body = body.slice(0, tab).trimEnd();
  } catch {
    // Not JSON after all: it stays in the message.
  }
}

