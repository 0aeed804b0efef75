/**
 * The layouts of particular programs that the auto parser tells apart by their first characters and
 * shape (auto.ts dispatches; header.ts reads the general text header): Ruby's Logger, logcat, Redis,
 * MySQL, MongoDB's text log, Rust's env_logger, PHP's Monolog, .NET's console logger, ClickHouse's server
 * log, Envoy's log (its access log: access.ts), zap's trailing JSON. By family apart: Go's (go.ts), the
 * JVM's (jvm.ts), Python's (python.ts, structlog.ts), proxies' access lines (access.ts). Each returns null
 * when the line only starts like its program's, so the dispatch goes on to the general header.
 */
import { setOwn } from './fields.ts';
import { splitLogfmt } from './logfmt.ts';
import { finishHeader, skipWs, type HeaderState } from './header.ts';
import { severityFromText, severityText } from '../severity.ts';
import { readTime, timeFromFields, type FoundTime } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const LOGCAT_BRIEF = /([VDIWEFA])\/([^(:]*?)\(\s*(\d+)\): ?/y;
/** Ruby's Logger after its stamp: ` #pid]`, the level padded to five, `--`, the program name and `: `. */
const RUBY_TAIL = / #(\d+)\]\s+([A-Z]+) -- (.*?): ?/y;
/** Redis before its stamp: `pid:role` (X sentinel, C child, S replica, M master). */
const REDIS_PREFIX = /^(\d+):([XCSM])$/;
/** Redis's roles before the stamp. */
const REDIS_ROLES: Readonly<Record<string, string>> = { X: 'sentinel', C: 'child', S: 'replica', M: 'master' };
/** Redis's level marks: `.` debug, `-` verbose, `*` notice, `#` warning. */
const REDIS_LEVELS: Readonly<Record<string, string>> = { '.': 'DEBUG', '-': 'DEBUG', '*': 'NOTICE', '#': 'WARNING' };
/** MySQL's error log after its stamp: the thread, `[Level]`, and in 8.0 `[MY-010068] [Subsystem]`. */
const MYSQL = /(\d{1,20}) \[(System|Warning|Note|ERROR|Error)\](?: ?\[(MY-\d+)\] \[([A-Za-z]+)\])? /y;
/** Rust's env_logger: `[2026-11-24T10:00:00Z INFO  my_crate::server] msg` (the target after the level, inside the stamp's brackets). */
const LEVEL_TARGET = /^\s+([A-Z]{4,5})\s+([^\s\]]+)$/;
/** MongoDB before 4.4: `2026-11-24T10:00:00.123+0000 I NETWORK  [listener] msg`: severity letter, component, context. */
const MONGO_LEGACY = /([FEWI]|D[1-5]?) +([A-Z][A-Z_]*|-) +\[([^\]\s]+)\] /y;
/** .NET's console logger: `info: Microsoft.Hosting.Lifetime[14]`, the message on the lines under it, indented six spaces (the indent goes; lines written without it stay as they are). */
/** .NET's console logger (SimpleConsoleFormatter): the message under the level and `category[event id]`, or after it with `SingleLine`. */
const DOTNET = /(trce|dbug|info|warn|fail|crit): ([^\s[\]]+)\[(\d+)\](?: *(?:\n|$)| )/y;
/** PHP's Monolog (Laravel, Symfony): `[time] channel.LEVEL: msg {context} {extra}`. */
const MONOLOG = / ?([\w.-]+)\.(DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|EMERGENCY): /y;
/** Envoy after its `[time]` (`[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`): thread id, level, logger, then the source location (which tells it from the JVM's unified logging). */
const ENVOY = /\[(\d{1,10})\]\[(trace|debug|info|warning|error|critical)\]\[([\w.-]{1,64})\] \[([^\]\s:]+):(\d{1,6})\] ?/y;

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

/** Rust's env_logger: level and target inside the stamp's brackets, which close at `close`. */
export function envLogger(line: string, t: FoundTime, close: number): ParsedFields | null {
  const m = LEVEL_TARGET.exec(line.slice(t.end, close));
  const level = m ? severityFromText(m[1]!) : 0;
  if (level === 0) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  return { time: t.time, severityText: m![1]!, severityNumber: level, body: line.slice(skipWs(line, close + 1)), attributes: { 'log.logger': m![2]! } };
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

/**
 * .NET's console logger's record at `at` (after a `TimestampFormat` stamp, or the line's start): the level
 * and `category[event id]`, then the message, each line indented six spaces, or (`SingleLine`) the
 * message after a space on the same line.
 */
export function dotnet(line: string, at = 0): ParsedFields | null {
  DOTNET.lastIndex = at;
  const m = DOTNET.exec(line);
  if (!m) return null;
  const number = severityFromText(m[1]!);
  const rest = line.slice(DOTNET.lastIndex);
  // SingleLine writes the message (and an exception) on the record's line, without the padding.
  const body = m[0].endsWith('] ') ? rest : rest
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
export function trailingObject(text: string): { value: object; at: number } | undefined {
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


/** Zabbix's agent, server and proxy: `%6li:%Y%m%d:%H%M%S.%03ld msg` (the pid right-aligned in six columns). */
export const ZABBIX = /^ *(\d{1,10}):(\d{4})(\d{2})(\d{2}):(\d{2})(\d{2})(\d{2})\.(\d{3}) /;

/** Whether `line` starts as a Zabbix daemon's line does (`  4768:20261206:062431.948 `), by the places of its colons and dot. */
export function zabbixHead(line: string): boolean {
  let k = 0;
  while (line.charCodeAt(k) === 32) k++;
  let d = k;
  while (d < k + 10 && line.charCodeAt(d) >= 48 && line.charCodeAt(d) <= 57) d++;
  return d > k && line.charCodeAt(d) === 58 && line.charCodeAt(d + 9) === 58 && line.charCodeAt(d + 16) === 46;
}

/**
 * A Zabbix daemon's line (`  4768:20261206:062431.948 agent #0 started [main process]`): the pid and the
 * time in the host's clock (the source's zone); Zabbix writes no level. Null for any other line.
 */
export function zabbix(line: string, ctx: ParseContext): ParsedFields | null {
  const m = ZABBIX.exec(line);
  if (!m) return null;
  const time = timeFromFields(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!, +m[6]!, +m[7]!, +m[8]!, undefined, ctx.timeZone ?? 'UTC', ctx.now);
  if (Number.isNaN(time)) return badTime(line);
  return { time, body: line.slice(m[0].length), attributes: { 'process.pid': m[1]! } };
}

/** Exim's message id (4.96: `1xa5oL-00056L-1N`; 4.97 on: `1rHtyZ-000000005iO-2LiZ`) and what follows it in its main log. */
const EXIM_MESSAGE = /^([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (<=|=>|->|>>|\*>|\*\*|==|Completed|Frozen|Message is frozen|SMTP error|[A-Z]\w*(?: |$))/;

/**
 * Exim's main log after its stamp (`1xa5oL-00056R-1R ** nobody@localhost: Unrouteable address`): the
 * message id as `exim.message_id`, the rest the body. Exim writes no level; its flags say how a
 * delivery went: `**` failed (ERROR), `==` deferred (WARN), the others (`<=` arrival, `=>` delivery,
 * `Completed`) INFO.
 */
export function eximMessage(r: ParsedFields): void {
  const m = EXIM_MESSAGE.exec(r.body);
  if (!m) return;
  r.attributes['exim.message_id'] = m[1]!;
  r.body = r.body.slice(m[1]!.length + 1);
  const level = m[2] === '**' ? 'ERROR' : m[2] === '==' ? 'WARN' : 'INFO';
  r.severityText = level;
  r.severityNumber = severityFromText(level);
}

/** Elixir's exception line: `** (ArgumentError) invalid order id`, `** (EXIT from #PID<0.94.0>) shutdown`. */
const ELIXIR_EXCEPTION = /^\*\* \(([A-Z][\w.]*)\) ([^\n]*)/;

/**
 * An Elixir exception as Logger and the runtime print it (`** (ArgumentError) invalid order id`, its
 * stacktrace on the indented lines under it): `exception.type` and `exception.message`, as for PHP's
 * uncaught exceptions; the body stays whole.
 */
export function elixirException(r: ParsedFields): void {
  const m = ELIXIR_EXCEPTION.exec(r.body);
  if (!m) return;
  r.attributes['exception.type'] = m[1]!;
  if (m[2] !== '') r.attributes['exception.message'] = m[2]!;
}

/** auditd's record head: `type=SYSCALL msg=audit(1765001791.123:456): ` (the event's time and serial). */
const AUDIT_HEAD = /^type=([A-Z][A-Z0-9_]*) msg=audit\((\d{1,12})\.(\d{3}):(\d+)\): ?/;

/**
 * A line of the Linux audit log (/var/log/audit/audit.log): the event's time from `msg=audit(...)`,
 * its type and serial (`audit.type`, `audit.serial`: an event's records share the serial), its fields
 * as attributes, and a user-space message's own fields (`msg='op=login acct="root" ... res=failed'`)
 * too. The body is the fields as written. Null for any other line.
 */
export function auditd(line: string): ParsedFields | null {
  const m = AUDIT_HEAD.exec(line);
  if (!m) return null;
  const rest = line.slice(m[0].length);
  const attributes: Record<string, string> = {};
  let outer = rest;
  let inner = '';
  const q = rest.indexOf("msg='");
  if (q !== -1 && rest.endsWith("'")) {
    inner = rest.slice(q + 5, -1);
    outer = rest.slice(0, q).trimEnd();
  }
  for (const part of [outer, inner]) {
    const pairs = part === '' ? null : splitLogfmt(part);
    if (pairs !== null) for (const k of Object.keys(pairs)) setOwn(attributes, k, pairs[k]!);
  }
  attributes['audit.type'] = m[1]!;
  attributes['audit.serial'] = m[4]!;
  return { time: +m[2]! * 1000 + +m[3]!, body: rest, attributes };
}
