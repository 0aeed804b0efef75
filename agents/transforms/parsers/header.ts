/**
 * The header of a text log line in, its fields and the message out: after the time stamp (or at the
 * start of the line) come, in the orders real layouts use, a level word, a pid and thread id, a
 * `[thread]`, a logger or component, a request id, a code location and separators (`-`, `|`, `:`,
 * `---`). Each becomes a field or an attribute; the first token that is none of these starts the
 * message, which alone becomes the body. Works on character codes and token shapes, not on one
 * regex per layout, so that a line costs one pass over its header.
 */
import { severityFromText, severityText } from '../severity.ts';
import { readTime } from '../timestamp.ts';
import { normaliseSpanId, normaliseTraceId, setOwn, SOURCE_LOCATION } from './fields.ts';
import { structlogEvent } from './structlog.ts';
import { levelBeforeColon, numberedThread, saltName, solrMdc, squidKid, telegrafLevel, vsftpdUser } from './program-headers.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** Level words a header may carry (upper case); the single letters only where a layout puts them. */
const LEVEL_WORDS = new Set([
  'TRACE', 'TRC', 'FINEST', 'FINER', 'FINE', 'VERBOSE', 'DEBUG', 'DBG', 'CONFIG', 'INFO', 'INF', 'NOTICE',
  'WARN', 'WARNING', 'WRN', 'ERROR', 'ERR', 'ERRO', 'EROR', 'SEVERE', 'FAILURE', 'CRIT', 'CRITICAL',
  'ALERT', 'EMERG', 'EMERGENCY', 'FATAL', 'FTL', 'PANIC', 'DPANIC',
  // PostgreSQL's own levels besides the above: `LOG:` is its informational one (DEBUG1-5 are debug);
  // MySQL's `[Note]` (its Docker entrypoint writes it without a thread: `... [Note] [Entrypoint]: msg`).
  'LOG', 'DEBUG1', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'DEBUG5', 'NOTE',
  // .NET's console logger: `trce`, `dbug`, `info`, `warn`, `fail`, `crit`.
  'TRCE', 'DBUG', 'FAIL',
  // Serilog's and Microsoft.Extensions.Logging's full names (`[{Level}]`: `[Information]`).
  'INFORMATION',
]);
const LEVEL_LETTERS = 'VDIWEFA';

const WS = (c: number): boolean => c === 32 || c === 9;
const DIGIT = (c: number): boolean => c >= 48 && c <= 57;
export const UPPER = (c: number): boolean => c >= 65 && c <= 90;
export const LOWER = (c: number): boolean => c >= 97 && c <= 122;

export function skipWs(line: string, i: number): number {
  while (i < line.length && WS(line.charCodeAt(i))) i++;
  return i;
}

/** Where the token at `i` ends: the next space or tab, or the end of the line. */
export function tokenEnd(s: HeaderState, i: number): number {
  // Two vectorised searches beat a loop over character codes, which costs several ns a character
  // here. The tab found last (`s.tab`, the first at or after `s.tabFrom`) is still the next one for
  // any `i` between the two (scans also look ahead and come back): a line without tabs pays one
  // search to its end, not one per token.
  const line = s.line;
  let e = line.indexOf(' ', i);
  if (e === -1) e = line.length;
  if (i < s.tabFrom || i > s.tab) {
    const tab = line.indexOf('\t', i);
    s.tab = tab === -1 ? line.length : tab;
    s.tabFrom = i;
  }
  return s.tab < e ? s.tab : e;
}

/** The `]` closing the `[` at `i` (one level of nesting, as in `[QuorumPeer[myid=1]/...]`), or -1. */
export function bracketEnd(line: string, i: number): number {
  const stop = Math.min(line.length, i + 256);
  // Most brackets hold no other (`[main]`, `[INFO]`): the first `]` closes them, found by a search.
  const close = line.indexOf(']', i + 1);
  if (close === -1) return -1;
  const open = line.indexOf('[', i + 1);
  if (open === -1 || open > close) return close < stop ? close : -1;
  let depth = 0;
  for (let k = i; k < stop; k++) {
    const c = line.charCodeAt(k);
    if (c === 91) depth++;
    else if (c === 93 && --depth === 0) return k;
  }
  return -1;
}

/**
 * The level a word names, upper-cased, or undefined. Upper case always counts; `Info` only when the
 * layout sets it apart (followed by a gap, `:` or the end: Windows CBS); lower case only when
 * bracketed (`[error]`) or directly followed by `:` at the start of a line (`info: msg`).
 */
export function levelWord(word: string, loose: boolean): string | undefined {
  const n = word.length;
  if (n < 3 || n > 11) return undefined;
  const c0 = word.charCodeAt(0);
  if (!UPPER(c0) && !(loose && LOWER(c0))) return undefined;
  // Written in capitals already, as most levels are: no need to upper-case a copy.
  if (LEVEL_WORDS.has(word)) return word;
  // Otherwise only a loose word can count (one in capitals was just looked up): most tokens a
  // header scan asks about are no level at all, and are not upper-cased for nothing.
  if (!loose) return undefined;
  const upper = word.toUpperCase();
  return LEVEL_WORDS.has(upper) ? upper : undefined;
}

function isCapitalizedLevel(word: string): string | undefined {
  // Every level word is 3 to 11 capitals: a capital then a small letter, or not a candidate (no copies made).
  const n = word.length;
  if (n < 3 || n > 11 || !UPPER(word.charCodeAt(0)) || !LOWER(word.charCodeAt(1))) return undefined;
  const upper = word.toUpperCase();
  if (!LEVEL_WORDS.has(upper)) return undefined;
  // `Info`, `Warning`: first upper, the rest lower.
  return word === upper[0] + upper.slice(1).toLowerCase() ? upper : undefined;
}

/** A token that can sit in a header's field table: a number, an id with a digit, `-`, an ALL-CAPS label or a dotted name. */
function fieldLike(token: string): boolean {
  return fieldLikeIn(token, 0, token.length);
}

const DOTTED = /^[A-Za-z_$][\w$]*(?:\.[\w$<>-]+)+$/;
// A logger's name comes back line after line: the last token asked about, and the answer.
let lastDotted = '';
let lastDottedResult = false;
export function isDotted(token: string): boolean {
  if (token !== lastDotted) {
    lastDottedResult = DOTTED.test(token);
    // A copy: the token may be a slice that keeps its whole line alive.
    lastDotted = (' ' + token).slice(1);
  }
  return lastDottedResult;
}
/** `com.x.Y:`, `dfs.DataNode$PacketResponder:`, `SparkContext:`, `executor_1:`, Rust's `hyper::server:` (tracing's target): a name that is not a plain word. */
const LOGGER_COLON = /^(?:[A-Za-z_$][\w$]*(?:(?:[.$/#-]|::)[\w$]+)+|[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|[A-Za-z]+_[\w]+)$/;
/** A name before a colon that is an exception's type (`ValueError: bad input`, `java.io.IOException: x`): the message, not a logger. */
const EXCEPTION_TYPE = /(?:Error|Exception|Warning)$/;
/** Whether `name` (before a colon, after a level) is a logger's name. */
const loggerBeforeColon = (name: string): boolean => LOGGER_COLON.test(name) && !EXCEPTION_TYPE.test(name);
const CODE_LOCATION = /^([\w./@-]+\.[A-Za-z]{1,6}):(\d{1,6})[\]:]?$/;
const REQUEST_ID = /^(?:(?:req|request|trace|txn|tx|corr|correlation)[-_:=]?[\w-]*\d[\w-]*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
/** REQUEST_ID's first branch starts with r, t or c (any case); its second, a UUID, is 36 long. */
function mayBeRequestId(token: string): boolean {
  const c = token.charCodeAt(0) | 32;
  return c === 114 || c === 116 || c === 99 || token.length === 36;
}
const NGINX_PID = /^(\d+)#(\d+):$/;
const THREAD_CLASS_LINE = /^(\S.*):([A-Za-z_$][\w$]*)@(\d{1,6})$/;
const INTEGER = /^\d{1,10}$/;
/** A Python module's name after Flask's `LEVEL in `. */
const FLASK_MODULE = /^[A-Za-z_][\w.]*$/;
// One `key=value` of OpenTelemetry's Python trace bracket (tracePairs); a value may be empty.
const TRACE_PAIR = /^[A-Za-z_][\w.]*=\S*$/;
// Spring Boot's `[traceId-spanId]` (group 1 always empty), and Sleuth's `[app,traceId,spanId(,exportable)]`.
const SPRING_CORRELATION = /^()([0-9a-f]{32})-([0-9a-f]{16})$/;
const SLEUTH = /^([\w.-]*),([0-9a-f]{16}|[0-9a-f]{32})?,([0-9a-f]{16})?(?:,(?:true|false))?$/;
// A Java class's simple name (`%c{1}`, `%logger{0}`), with its line (`%c{1}:%L`): a capital first and a
// small letter somewhere, so that `GET` or `HTTP` is not one.
const SHORT_LOGGER = /^([A-Z][\w$]*[a-z][\w$]*)(?::(\d{1,6}))?$/;
// Without a thread beside it, only a name of two humps or more (`OrderService`, `LogbackApp`), or one
// with its line: a single capitalised word before ` - ` is as often the message's first word.
const CAMEL_CASE = /^[A-Z][a-z\d_$]+[A-Z]/;
// A class's whole name with its line (`%C:%L`, `%c:%L`, logback's `%logger{36}:%line` as
// `c.a.o.OrderService:42`): the last part a class (a capital first), so that a host and port
// (`db.internal:5432`) is not one.
const DOTTED_LOGGER_LINE = /^((?:[A-Za-z_$][\w$]*\.)+[A-Z][\w$]*):(\d{1,6})$/;
/** An Erlang process id (RabbitMQ's `[info] <0.123.0> msg`). */
const ERLANG_PID = /<\d{1,10}\.\d{1,10}\.\d{1,10}>(?=[ \t]|$)/y;
const PG_USER_DB = /(\[unknown\]|[\w.$-]*)@(\[unknown\]|[\w.$-]*)(?= [A-Z]+[1-5]?: )/y;
/** PostgreSQL's `[%p-%l]`: the pid and the session's line number. */
const PID_LINE = /^(\d{1,10})-(\d{1,10})$/;

/** What the scan has found so far. */
export interface HeaderState {
  line: string;
  i: number;
  out: ParsedFields;
  hasTime: boolean;
  level: boolean;
  levelLetter: boolean;
  logger: boolean;
  thread: boolean;
  pid: boolean;
  /** Header tokens with no name of their own (BGL's node and component columns), joined into `log.header`. */
  extra: string;
  /** The first tab at or after `tabFrom` (the line's length: none); -1 before tokenEnd searched. */
  tab: number;
  tabFrom: number;
  /** structlog's padded level (`[info     ]`): its event, logger and pairs follow (structlog.ts). */
  structlog: boolean;
}

export function newHeader(line: string, i: number, out: ParsedFields, hasTime: boolean): HeaderState {
  return { line, i, out, hasTime, level: false, levelLetter: false, logger: false, thread: false, pid: false, extra: '', tab: -1, tabFrom: 0, structlog: false };
}

export function setLevel(s: HeaderState, text: string): void {
  s.out.severityNumber = severityFromText(text);
  // A single letter (logcat's `D`) is an abbreviation: the record carries the word.
  s.out.severityText = text.length === 1 ? severityText(s.out.severityNumber) : text;
  s.level = true;
}

export function addExtra(s: HeaderState, token: string): void {
  s.extra = s.extra === '' ? token : `${s.extra} ${token}`;
}

function integer(s: HeaderState, token: string): void {
  if (!s.pid) {
    s.out.attributes['process.pid'] = token;
    s.pid = true;
  } else if (s.out.attributes['thread.id'] === undefined) {
    s.out.attributes['thread.id'] = token;
  } else {
    addExtra(s, token);
  }
}

/** A bracketed header field: `[INFO]`, `[core:error]`, `[pid 1:tid 2]`, `[client 1.2.3.4]`, `[1234]`, `[req-...]`, `[main]`, trace context, `[app.py:12]`. */
function bracket(s: HeaderState, content: string, adjacent: boolean): boolean {
  const attrs = s.out.attributes;
  const trimmed = content.trim();
  // An empty column after the level or thread is a header field with nothing in it: Spring Boot's
  // correlation column when no span is active (blanks as wide as ids), an empty MDC value (`[]`).
  if (trimmed === '') return s.level || s.thread;
  // Trace context or a source location (bracketContext), looked for only where one could be (49
  // characters, a `t` first, or a comma, digit or hex letter last): most brackets are threads, levels
  // and request ids.
  const last = trimmed.charCodeAt(trimmed.length - 1);
  if ((trimmed.length === 49 || trimmed.charCodeAt(0) === 116 || last === 44 || DIGIT(last) || (last >= 97 && last <= 102)) && bracketContext(s, trimmed)) return true;
  if (!s.level) {
    const colon = trimmed.lastIndexOf(':');
    // `[thread/LEVEL]`: Minecraft's and many game servers' log4j layout (`[%t/%level]`).
    const slash = colon === -1 ? trimmed.lastIndexOf('/') : -1;
    const cut = colon !== -1 ? colon : slash;
    const word = cut === -1 ? trimmed : trimmed.slice(cut + 1);
    const lv = levelWord(word, true);
    if (lv !== undefined) {
      setLevel(s, lv);
      // structlog pads its lower-case level inside the brackets (`[info     ]`).
      if (cut === -1 && content.length > trimmed.length && content.charCodeAt(0) >= 97 && content.charCodeAt(content.length - 1) === 32) s.structlog = true;
      if (colon > 0) attrs['log.logger'] = trimmed.slice(0, colon);
      else if (slash > 0) {
        attrs['thread.name'] = trimmed.slice(0, slash);
        s.thread = true;
      }
      return true;
    }
  }
  if (trimmed.startsWith('pid ')) {
    const m = /^pid (\d+)(?::tid (\d+))?$/.exec(trimmed);
    if (m) {
      attrs['process.pid'] = m[1]!;
      s.pid = true;
      if (m[2] !== undefined) attrs['thread.id'] = m[2];
      return true;
    }
  }
  // Jenkins' `[id=42]`: the thread's id.
  if (trimmed.startsWith('id=') && INTEGER.test(trimmed.slice(3))) {
    attrs['thread.id'] = trimmed.slice(3);
    return true;
  }
  if (trimmed.startsWith('client ')) {
    // Apache 2.4 adds the port (`[client 10.0.0.1:52918]`); an IPv6 address keeps its colons whole.
    const client = trimmed.slice(7);
    const colon = client.lastIndexOf(':');
    if (colon > 0 && client.indexOf('.') !== -1 && client.indexOf(':') === colon && INTEGER.test(client.slice(colon + 1))) {
      attrs['client.address'] = client.slice(0, colon);
      attrs['client.port'] = client.slice(colon + 1);
    } else {
      attrs['client.address'] = client;
    }
    return true;
  }
  if (INTEGER.test(trimmed)) {
    integer(s, trimmed);
    return true;
  }
  if (!s.pid && DIGIT(trimmed.charCodeAt(0))) {
    const m = PID_LINE.exec(trimmed);
    if (m) {
      attrs['process.pid'] = m[1]!;
      s.pid = true;
      addExtra(s, m[2]!);
      return true;
    }
  }
  // ZooKeeper's `[myid:1]` (its log4j MDC; empty before the server knows its id): a header field.
  if (trimmed.startsWith('myid:')) {
    addExtra(s, trimmed);
    return true;
  }
  // ZooKeeper's `[thread:Class@line]` (`%t:%C{1}@%L`); the thread may hold colons of its own.
  if (!s.thread && !s.logger && trimmed.charCodeAt(trimmed.length - 1) >= 48 && trimmed.charCodeAt(trimmed.length - 1) <= 57) {
    const m = THREAD_CLASS_LINE.exec(trimmed);
    if (m) {
      attrs['thread.name'] = m[1]!;
      attrs['log.logger'] = m[2]!;
      attrs['code.line.number'] = m[3]!;
      s.thread = s.logger = true;
      return true;
    }
  }
  const space = trimmed.indexOf(' ');
  const first = space === -1 ? trimmed : trimmed.slice(0, space);
  if (mayBeRequestId(first) && REQUEST_ID.test(first)) {
    attrs['request.id'] = first;
    if (space !== -1) addExtra(s, trimmed.slice(space + 1));
    return true;
  }
  // Elasticsearch's `[%-25c{1.}]` right after the level's bracket: a dotted logger name, padded on
  // the right when it is short (`[INFO ][o.e.n.Node               ]`).
  if (!s.logger && adjacent && content.charCodeAt(0) !== 32 && isDotted(trimmed)) {
    attrs['log.logger'] = trimmed;
    s.logger = true;
    return true;
  }
  // Python's `%(levelname)s [%(name)s]`: a dotted name starting in lower case after the level is a
  // logger (`[app.orders]`); threads are rarely so named (`ForkJoinPool.commonPool-worker-1` starts upper).
  if (!s.logger && s.level && !s.thread && LOWER(trimmed.charCodeAt(0)) && trimmed.indexOf('.') > 0 && trimmed.indexOf(' ') === -1 && isDotted(trimmed)) {
    attrs['log.logger'] = trimmed;
    s.logger = true;
    return true;
  }
  // A thread name has no spaces of its own, though a layout may pad it (`[           main]`).
  if (!s.thread && (space === -1 || content.charCodeAt(0) === 32) && trimmed.indexOf(' ') === -1) {
    attrs['thread.name'] = trimmed;
    s.thread = true;
    return true;
  }
  return false;
}

/**
 * Spring Boot's and Sleuth's trace context (traceContext), OpenTelemetry's Python trace pairs
 * (tracePairs), Python's `[%(filename)s:%(lineno)d]` (a source file and its line): true when the
 * bracket is one of them and was taken.
 */
function bracketContext(s: HeaderState, trimmed: string): boolean {
  if (s.out.traceId === undefined) {
    if ((trimmed.length === 49 || trimmed.indexOf(',') !== trimmed.lastIndexOf(',')) && traceContext(s, trimmed)) return true;
    if (trimmed.startsWith('trace_id=') && tracePairs(s, trimmed)) return true;
  }
  return s.out.attributes['code.file.path'] === undefined && SOURCE_LOCATION.test(trimmed) && codeLocation(s, trimmed);
}

/**
 * Trace context in a bracket: Spring Boot 3.2's correlation column (`[traceId-spanId]`, Micrometer
 * Tracing's ids in its default console layout) and the layout Spring Cloud Sleuth printed and Spring
 * Boot 3.0's documentation set, `[app,traceId,spanId]` (Sleuth 2 adds `,true` or `,false`: exported or
 * not); the application's name, when there is one, stays a header field.
 */
function traceContext(s: HeaderState, trimmed: string): boolean {
  const m = SPRING_CORRELATION.exec(trimmed) ?? SLEUTH.exec(trimmed);
  if (m === null) return false;
  // Sleuth's column outside any span: `[app,,]`.
  if (m[2] === undefined && m[3] === undefined) {
    if (m[1]) addExtra(s, m[1]);
    return true;
  }
  const traceId = normaliseTraceId(m[2]);
  const spanId = normaliseSpanId(m[3]);
  if (traceId === undefined || spanId === undefined) return false;
  s.out.traceId = traceId;
  s.out.spanId = spanId;
  if (m[1]) addExtra(s, m[1]);
  return true;
}

/**
 * OpenTelemetry's logging instrumentation for Python, whose default format writes
 * `[trace_id=... span_id=... resource.service.name=... trace_sampled=...]` (ids of 0 outside a span):
 * the ids become the record's, the other pairs attributes. False, with nothing set, unless the whole
 * bracket is such pairs.
 */
function tracePairs(s: HeaderState, trimmed: string): boolean {
  const pairs = trimmed.split(' ');
  if (!pairs.every((p) => TRACE_PAIR.test(p))) return false;
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    if (key === 'trace_id') {
      const id = normaliseTraceId(value);
      if (id !== undefined) s.out.traceId = id;
    } else if (key === 'span_id') {
      const id = normaliseSpanId(value);
      if (id !== undefined) s.out.spanId = id;
    } else {
      setOwn(s.out.attributes, key, value);
    }
  }
  return true;
}

/** The next non-blank character after index `e`, and whether a gap of two or more blanks (or a tab) came before it. */
function peek(line: string, e: number): { c: number; at: number; gap: boolean } {
  const at = skipWs(line, e);
  const gap = at - e >= 2 || line.charCodeAt(e) === 9;
  return { c: at < line.length ? line.charCodeAt(at) : -1, at, gap };
}

/** Whether a standalone separator (`-`, `:`, `|`, `---`) starts at `at`. */
function separatorAt(line: string, at: number): boolean {
  const c = line.charCodeAt(at);
  if (c !== 45 && c !== 58 && c !== 124) return false;
  let k = at;
  while (line.charCodeAt(k) === c) k++;
  return k >= line.length || WS(line.charCodeAt(k));
}

/**
 * Looks for a level word among the next few field-like tokens (`148 INFO`, `1702  2395 D`,
 * `R02-M1-N0 RAS KERNEL INFO`); when one is there, takes the tokens before it as header fields and
 * the level, and returns true.
 */
function fieldsThenLevel(s: HeaderState): boolean {
  const { line } = s;
  let at = skipWs(line, s.i);
  // Tokens are kept as where they start and end, and made into strings only when a level is found:
  // most lines asked about have none, and a slice per token was most of this function's cost.
  let count = 0;
  let afterInteger = false;
  for (let k = 0; k < 8 && at < line.length; k++) {
    const e = tokenEnd(s, at);
    const colonEnd = line.charCodeAt(e - 1) === 58;
    let lv = levelWordIn(line, at, colonEnd ? e - 1 : e);
    if (lv === undefined && afterInteger && e - at === 1 && LEVEL_LETTERS.includes(line[at]!)) lv = line[at]!;
    // Elixir's Logger: its metadata's pairs, then the level in brackets in lower case (`request_id=F3x [info] msg`).
    if (lv === undefined && k > 0 && line.charCodeAt(at) === 91 && line.charCodeAt(e - 1) === 93 && e - at <= 13) lv = levelWord(line.slice(at + 1, e - 1), true);
    if (lv !== undefined && k > 0) {
      fieldTableFound(s, count);
      setLevel(s, lv);
      s.levelLetter = lv.length === 1;
      s.i = e;
      return true;
    }
    // A separator ends the table: `name - LEVEL - msg` is a logger, not a field.
    const c = line.charCodeAt(at);
    if ((!fieldLikeIn(line, at, e) && pairIn(line, at, e) === -1) || colonEnd || (e - at === 1 && (c === 45 || c === 124))) return false;
    afterInteger = integerIn(line, at, e);
    TOKEN_AT[count] = at;
    TOKEN_END[count] = e;
    count++;
    at = skipWs(line, e);
  }
  return false;
}

/** A class's simple name, and its line, or its whole name and its line, set apart by a separator after a level (see SHORT_LOGGER, DOTTED_LOGGER_LINE): taken as the logger. */
function shortLogger(s: HeaderState, token: string): boolean {
  const m = SHORT_LOGGER.exec(token) ?? (token.indexOf('.') > 0 ? DOTTED_LOGGER_LINE.exec(token) : null);
  if (m === null || (!s.thread && m[2] === undefined && !CAMEL_CASE.test(m[1]!))) return false;
  s.out.attributes['log.logger'] = m[1]!;
  if (m[2] !== undefined) s.out.attributes['code.line.number'] = m[2];
  s.logger = true;
  return true;
}

/** The `count` tokens fieldsThenLevel kept, now known to be header fields: pairs, pid and thread id, a code location, or `log.header`. Apart, so that fieldsThenLevel stays small enough to inline. */
function fieldTableFound(s: HeaderState, count: number): void {
  const { line } = s;
  for (let t = 0; t < count; t++) {
    const token = line.slice(TOKEN_AT[t]!, TOKEN_END[t]!);
    const eq = pairIn(line, TOKEN_AT[t]!, TOKEN_END[t]!);
    if (eq !== -1) setOwn(s.out.attributes, token.slice(0, eq - TOKEN_AT[t]!), token.slice(eq - TOKEN_AT[t]! + 1));
    else if (integerIn(line, TOKEN_AT[t]!, TOKEN_END[t]!)) integer(s, token);
    else if (!braceCodeLocation(s, token)) addExtra(s, token);
  }
}

/** Airflow's `{taskinstance.py:1234}` (`{%(filename)s:%(lineno)d}`): a code location in braces. */
function braceCodeLocation(s: HeaderState, token: string): boolean {
  if (token.charCodeAt(0) !== 123 || token.charCodeAt(token.length - 1) !== 125 || s.out.attributes['code.file.path'] !== undefined) return false;
  const code = CODE_LOCATION.exec(token.slice(1, -1));
  if (!code) return false;
  s.out.attributes['code.file.path'] = code[1]!;
  s.out.attributes['code.line.number'] = code[2]!;
  return true;
}

// fieldsThenLevel's tokens (at most 8), reused from call to call.
const TOKEN_AT = new Int32Array(8);
const TOKEN_END = new Int32Array(8);

/** Whether a JavaScript stack frame (`\n    at ...`) follows the first line of `line`, looked for from `from`. */
function stackFollows(line: string, from: number): boolean {
  const nl = line.indexOf('\n', from);
  return nl !== -1 && /^[ \t]+at /.test(line.slice(nl + 1, nl + 16));
}

/** `levelWord(line.slice(from, to), false)` without the slice unless the word can be a level. */
export function levelWordIn(line: string, from: number, to: number): string | undefined {
  const n = to - from;
  if (n < 3 || n > 11 || !UPPER(line.charCodeAt(from))) return undefined;
  const word = line.slice(from, to);
  return LEVEL_WORDS.has(word) ? word : undefined;
}

/** Whether `line.slice(from, to)` is field-like (see `fieldLike`), without the slice. */
function fieldLikeIn(line: string, from: number, to: number): boolean {
  if (to - from === 1 && line.charCodeAt(from) === 45) return true;
  let digit = false, lower = false, dot = false;
  for (let k = from; k < to; k++) {
    const c = line.charCodeAt(k);
    if (DIGIT(c)) digit = true;
    else if (LOWER(c)) lower = true;
    else if (c === 46 && k > from && k < to - 1) dot = true;
  }
  return digit || dot || !lower;
}

/**
 * Where the `=` of a `key=value` token is (a lower-case key of word characters, a value without
 * quotes), or -1: Sidekiq's header `pid=1 tid=2abc class=HardWorker jid=... INFO: msg` holds such pairs.
 */
function pairIn(line: string, from: number, to: number): number {
  const c0 = line.charCodeAt(from);
  if (!LOWER(c0) && c0 !== 95) return -1;
  for (let k = from + 1; k < to - 1 && k < from + 32; k++) {
    const c = line.charCodeAt(k);
    if (c === 61) {
      for (let v = k + 1; v < to; v++) if (line.charCodeAt(v) === 34 || line.charCodeAt(v) === 61) return -1;
      return k;
    }
    if (!LOWER(c) && !DIGIT(c) && c !== 95 && c !== 46) return -1;
  }
  return -1;
}

/** `INTEGER.test(line.slice(from, to))`: 1 to 10 digits. */
export function integerIn(line: string, from: number, to: number): boolean {
  const n = to - from;
  if (n < 1 || n > 10) return false;
  for (let k = from; k < to; k++) if (!DIGIT(line.charCodeAt(k))) return false;
  return true;
}

/**
 * The bracket layouts of particular programs, tried before the general `bracket`: Dropwizard's time
 * after the level, Scrapy's logger before `LEVEL:`, Flink's bracket after the logger, JBoss's
 * `[logger] (thread)`. Where the scan goes on, or -1. Kept out of `scanHeader` so that it stays small
 * enough for V8 to inline its other helpers.
 */
function bracketLayout(s: HeaderState, j: number, e: number, ctx: ParseContext): number {
  const { line } = s;
  const attrs = s.out.attributes;
  // The time in brackets after the level: Dropwizard's `WARN  [2026-11-24 10:00:00,123] logger: msg`.
  if (!s.hasTime && DIGIT(line.charCodeAt(j + 1))) {
    const t = readTime(line, j + 1, ctx.timeZone ?? 'UTC', ctx.now);
    if (t !== undefined && t.end === e) {
      if (!Number.isNaN(t.time)) s.out.time = t.time;
      else s.out.fallback = 'bad_time';
      s.hasTime = true;
      return e + 1;
    }
  }
  if (line.charCodeAt(e + 1) !== 32) return -1;
  // Scrapy's `[%(name)s] %(levelname)s: `: a dotted name in brackets before a level and its colon is
  // the logger (a Java thread before a level, `[ForkJoinPool.commonPool-worker-1] INFO x`, has no colon).
  if (!s.level && !s.logger) {
    const end = tokenEnd(s, e + 2);
    if (line.charCodeAt(end - 1) === 58) {
      const name = line.slice(j + 1, e);
      const lv = isDotted(name) ? levelWord(line.slice(e + 2, end - 1), false) : undefined;
      if (lv !== undefined) {
        attrs['log.logger'] = name;
        s.logger = true;
        setLevel(s, lv);
        return end;
      }
    }
    return -1;
  }
  // Flink's `%-60c %x - %m`: after the logger, a bracket before the ` - ` (the NDC, `[]` when empty;
  // a task's thread name otherwise) is still the header.
  if (s.logger && line.charCodeAt(e + 2) === 45 && separatorAt(line, e + 2)) {
    const inner = line.slice(j + 1, e).trim();
    // Trace context or a source location there is read as in any bracket (OpenTelemetry's Python layout
    // puts its trace pairs just before the ` - `).
    if (inner !== '' && bracketContext(s, inner)) return e + 1;
    // log4net writes a property or NDC it does not have as `(null)`: nothing.
    if (inner === '(null)') return e + 1;
    if (inner !== '' && !s.thread) {
      attrs['thread.name'] = inner;
      s.thread = true;
    } else if (inner !== '') addExtra(s, inner);
    return e + 1;
  }
  // JBoss, WildFly, Quarkus and Keycloak (`%-5p [%c] (%t) %s`): after the level, the logger in
  // brackets and the thread in parentheses, which may hold spaces (`(MSC service thread 1-1)`). The
  // logger is a dotted name (or JBoss's `stdout`): `ERROR [main] (retry 2) msg` keeps its message.
  if (s.level && !s.logger && !s.thread && line.charCodeAt(e + 2) === 40) {
    const close = line.indexOf(')', e + 3);
    const name = line.slice(j + 1, e);
    if (close !== -1 && close - e <= 128 && (close + 1 >= line.length || WS(line.charCodeAt(close + 1))) && (isDotted(name) || name === 'stdout' || name === 'stderr')) {
      attrs['log.logger'] = name;
      attrs['thread.name'] = line.slice(e + 3, close);
      s.logger = s.thread = true;
      return close + 1;
    }
  }
  return -1;
}








/** PostgreSQL's `%q%u@%d ` after its pid (Debian's and Ubuntu's log_line_prefix, `%m [%p] %q%u@%d `): the user and database before the level; `[unknown]` before authentication. */
function postgresUserDb(s: HeaderState, j: number): boolean {
  PG_USER_DB.lastIndex = j;
  const m = PG_USER_DB.exec(s.line);
  if (!m) return false;
  if (m[1] !== '' && m[1] !== '[unknown]') s.out.attributes['user.name'] = m[1]!;
  if (m[2] !== '' && m[2] !== '[unknown]') s.out.attributes['db.namespace'] = m[2]!;
  s.i = PG_USER_DB.lastIndex;
  return true;
}

/** Home Assistant's `LEVEL (MainThread) [homeassistant.core] msg`: the thread in parentheses at `j`, then the dotted logger in brackets. */
function parenThread(s: HeaderState, j: number): boolean {
  const { line } = s;
  const close = line.indexOf(')', j + 1);
  if (close === -1 || close - j > 64 || line.charCodeAt(close + 1) !== 32 || line.charCodeAt(close + 2) !== 91) return false;
  const be = bracketEnd(line, close + 2);
  const name = be > 0 ? line.slice(close + 3, be) : '';
  if (be <= 0 || line.slice(j + 1, close).indexOf(' ') !== -1) return false;
  if (!isDotted(name)) return solrMdc(s, j, close, be);
  s.out.attributes['thread.name'] = line.slice(j + 1, close);
  s.out.attributes['log.logger'] = name;
  s.thread = s.logger = true;
  s.i = be + 1;
  return true;
}


/** `file.go:12:` as the code location (when the header has none yet); false when the token is not one. */
function codeLocation(s: HeaderState, token: string): boolean {
  const attrs = s.out.attributes;
  if (attrs['code.file.path'] !== undefined) return false;
  const code = CODE_LOCATION.exec(token);
  if (!code) return false;
  attrs['code.file.path'] = code[1]!;
  attrs['code.line.number'] = code[2]!;
  return true;
}

/**
 * Scans header fields from `s.i`; returns the index where the message starts. `fieldTable` is set
 * for lines whose time came after other fields (BGL, HPC): numbers right after the time are fields too.
 */
export function scanHeader(s: HeaderState, ctx: ParseContext, fieldTable = false): number {
  const { line, out } = s;
  const attrs = out.attributes;
  const n = line.length;
  for (let step = 0; step < 14; step++) {
    const j = skipWs(line, s.i);
    if (j >= n) return n;
    const c = line.charCodeAt(j);
    if ((c === 45 || c === 124 || c === 58 || c === 44) && separatorOrComma(line, j)) {
      let k = j;
      while (line.charCodeAt(k) === c) k++;
      s.i = k;
      continue;
    }
    if (s.pid && !s.level && postgresUserDb(s, j)) continue;
    if (c === 91 /* [ */) {
      const e = bracketEnd(line, j);
      // `[::1]:53` is an address with its port (CoreDNS's IPv6 client): the message starts there.
      if (e > 0 && line.charCodeAt(e + 1) === 58 && DIGIT(line.charCodeAt(e + 2))) return j;
      if (e > 0 && !s.level && !s.logger && line.charCodeAt(e + 1) === 91 && saltName(s, j, e)) {
        s.i = e + 1;
        continue;
      }
      if (e > 0 && s.pid && !s.level && !s.thread) {
        const k = vsftpdUser(s, j, e);
        if (k !== -1) return k;
      }
      if (e > 0 && !s.level && !s.thread && !s.pid && DIGIT(line.charCodeAt(j + 1)) && numberedThread(s, j, e)) {
        s.i = e + 1;
        continue;
      }
      if (e > 0) {
        const k = bracketLayout(s, j, e, ctx);
        if (k !== -1) {
          s.i = k;
          continue;
        }
      }
      if (e > 0 && bracket(s, line.slice(j + 1, e), line.charCodeAt(j - 1) === 93)) {
        s.i = e + 1;
        // structlog's event follows its level: nothing after it is a header field.
        if (s.structlog) return s.i;
        continue;
      }
      // Spring Boot 3's `--- [myapp] [           main]`: the padded column is the thread; the bracket
      // taken for one before it was the application's name. (`%15.15t`: a longer name is cut to its last
      // 15 characters, `[ntainer#0-0-C-1]`, and has no padding.)
      if (e > 0 && s.thread && !s.logger && (line.charCodeAt(j + 1) === 32 || e - j === 16)) {
        const padded = line.slice(j + 1, e).trim();
        if (padded !== '' && padded.indexOf(' ') === -1) {
          addExtra(s, attrs['thread.name']!);
          attrs['thread.name'] = padded;
          s.i = e + 1;
          continue;
        }
      }
      // log4j's `LEVEL [thread] logger`: a thread name may hold spaces (`[IPC Server Responder]`) when a logger follows.
      if (e > 0 && s.level && !s.thread && !s.logger) {
        const after = skipWs(line, e + 1);
        const next = line.slice(after, tokenEnd(s, after));
        if (isDotted(next) || (next.endsWith(':') && loggerBeforeColon(next.slice(0, -1)))) {
          attrs['thread.name'] = line.slice(j + 1, e).trim();
          s.thread = true;
          s.i = e + 1;
          continue;
        }
      }
      return j;
    }
    if (c === 40 /* ( */ && s.level && !s.thread && !s.logger && parenThread(s, j)) continue;
    if (c === 60 /* < */ && s.level) {
      ERLANG_PID.lastIndex = j;
      if (ERLANG_PID.test(line)) {
        attrs['erlang.pid'] = line.slice(j, ERLANG_PID.lastIndex);
        s.i = ERLANG_PID.lastIndex;
        continue;
      }
    }
    const e = tokenEnd(s, j);
    const token = line.slice(j, e);
    const next = peek(line, e);
    if (!s.hasTime && (DIGIT(c) || UPPER(c))) {
      const t = readTime(line, j, ctx.timeZone ?? 'UTC', ctx.now);
      if (t !== undefined && (t.end >= n || WS(line.charCodeAt(t.end)) || line.charCodeAt(t.end) === 93)) {
        if (!Number.isNaN(t.time)) out.time = t.time;
        else out.fallback = 'bad_time';
        s.hasTime = true;
        s.i = t.end;
        continue;
      }
    }
    // Telegraf's `E!`, `W!`, `I!`, `D!`, `T!` after its time: the level as a letter and a `!`.
    if (e - j === 2 && line.charCodeAt(j + 1) === 33 && !s.level && s.hasTime && telegrafLevel(s, j, e)) continue;
    if (c === 107 /* k */ && s.hasTime && !s.level && squidKid(s, j, e)) continue;
    if (!s.level) {
      // `WARNING:root:message` (Python's default), `INFO[0000] msg` (logrus), `ERROR: msg`, `Info   CBS`.
      const colon = token.indexOf(':');
      const cut = token.indexOf('[');
      // A name and a level before a colon that ends the token (cloud-init, Icinga 2, BIND): apart, so this loop stays small.
      if (colon === token.length - 1 && colon > 1) {
        const k = levelBeforeColon(s, token, cut, e, next.c, next.at);
        if (k !== -1) return k;
      }
      const head = colon > 0 ? token.slice(0, colon) : cut > 0 ? token.slice(0, cut) : token;
      const atStart = j === 0;
      // Lower case counts at the start before a colon, and as a tab-separated column (zap's production
      // console encoder: `time\tinfo\tcaller\tmsg`).
      let lv = levelWord(head, (atStart && colon === head.length) || (line.charCodeAt(j - 1) === 9 && line.charCodeAt(e) === 9 && head.length === token.length));
      if (lv === undefined && (next.gap || colon === head.length || next.c === -1)) lv = isCapitalizedLevel(head);
      // `Error: boom` over `    at f (file.js:1:1)` frames is the first line of a Node stack trace, the class
      // name part of the message (as `TypeError: ...` is), not a level word taken off it.
      if (lv !== undefined && atStart && colon === head.length && head === 'Error' && stackFollows(line, e)) lv = undefined;
      if (lv !== undefined && (head.length === token.length || colon === head.length || cut === head.length)) {
        setLevel(s, lv);
        if (colon === head.length && colon + 1 < token.length && atStart) {
          // `LEVEL:logger:message`: the logger runs to the next colon.
          const end2 = line.indexOf(':', j + colon + 1);
          if (end2 > 0 && !/\s/.test(line.slice(j + colon + 1, end2))) {
            attrs['log.logger'] = line.slice(j + colon + 1, end2);
            s.logger = true;
            return end2 + 1;
          }
          s.i = j + colon + 1;
          return s.i;
        }
        s.i = cut === head.length && colon === -1 ? e : j + head.length + (colon === head.length ? 1 : 0);
        if (cut === head.length && colon === -1) addExtra(s, token.slice(cut));
        continue;
      }
      if (s.hasTime && (fieldLike(token) || pairIn(line, j, e) !== -1) && fieldsThenLevel(s)) continue;
    }
    // A code location is the header's last field (zap's console layout: `time\tLEVEL\tlogger\tfile.go:42\tmsg`):
    // what follows it is the message, even a single word set apart by a tab.
    if (!s.logger && attrs['code.file.path'] === undefined) {
      if (s.levelLetter) {
        // logcat: the tag runs to the first `: ` and may hold spaces.
        const colon = line.indexOf(': ', j);
        if (colon > 0 && colon - j <= 96) {
          attrs['log.logger'] = line.slice(j, colon).trimEnd();
          s.logger = true;
          return colon + 2;
        }
      }
      // Flask's default (`[%(asctime)s] %(levelname)s in %(module)s: %(message)s`): `ERROR in app: msg`.
      if (s.level && token === 'in') {
        const e2 = tokenEnd(s, next.at);
        if (e2 - next.at > 1 && line.charCodeAt(e2 - 1) === 58 && FLASK_MODULE.test(line.slice(next.at, e2 - 1))) {
          attrs['log.logger'] = line.slice(next.at, e2 - 1);
          s.logger = true;
          return e2;
        }
      }
      // Only in a header that had a level or thread: elsewhere `ClusterFileSystem: msg` is the message.
      if ((s.level || s.thread) && token.length > 2 && token.charCodeAt(token.length - 1) === 58 && loggerBeforeColon(token.slice(0, -1))) {
        attrs['log.logger'] = token.slice(0, -1);
        s.logger = true;
        return e;
      }
      if (token.indexOf('.') > 0 && isDotted(token) && (next.c === 91 || next.gap || separatorAt(line, next.at) || s.thread)) {
        attrs['log.logger'] = token;
        s.logger = true;
        s.i = e;
        continue;
      }
      // Column layouts: a short component name set apart by a wide gap after the level (`Info   CBS    msg`).
      if (s.level && next.gap && token.length <= 32 && /^[\w.$-]+$/.test(token) && !INTEGER.test(token)) {
        attrs['log.logger'] = token;
        s.logger = true;
        s.i = e;
        continue;
      }
      // `program.exe *64 - msg`: a program name with a qualifier before the separator.
      if (!s.level && token.includes('.') && /^[\w.$-]+$/.test(token) && next.c !== 45 && next.c !== -1) {
        const qe = tokenEnd(s, next.at);
        const after = peek(line, qe);
        if (qe - next.at <= 8 && line.charCodeAt(after.at) === 45 && separatorAt(line, after.at)) {
          attrs['log.logger'] = line.slice(j, qe);
          s.logger = true;
          s.i = after.at + 1;
          continue;
        }
      }
      // log4j's and logback's short logger after the level: `INFO [main] OrderService - msg`, logback
      // 1.5's default `[main] INFO LogbackApp -- msg`, `%c{1}:%L` as `OrderService:42 - msg`.
      if (s.level && line.charCodeAt(next.at) === 45 && separatorAt(line, next.at) && shortLogger(s, token)) {
        s.i = e;
        continue;
      }
      // `name - LEVEL - msg` (Python's logging cookbook) and `program.exe - msg`.
      if (separatorAt(line, next.at) && line.charCodeAt(next.at) === 45 && /^[\w.$-]+$/.test(token)) {
        const after = skipWs(line, next.at + 1);
        const word = line.slice(after, tokenEnd(s, after));
        if (token.includes('.') || (!s.level && levelWord(word, false) !== undefined)) {
          attrs['log.logger'] = token;
          s.logger = true;
          s.i = next.at + 1;
          continue;
        }
      }
    }
    // Go's standard logger with Lshortfile or Llongfile: `2026/11/24 10:00:00 main.go:12: msg`, the
    // code location first after the time.
    if (step === 0 && s.hasTime && !s.level && token.charCodeAt(token.length - 1) === 58 && codeLocation(s, token)) {
      s.i = e;
      continue;
    }
    if (s.level) {
      // Both patterns need a `:` in the token; most tokens here are the message's first word.
      const colon = token.indexOf(':');
      if (colon > 0 && codeLocation(s, token)) {
        s.i = e;
        continue;
      }
      const ng = colon > 0 ? NGINX_PID.exec(token) : null;
      if (ng && !s.pid) {
        attrs['process.pid'] = ng[1]!;
        attrs['thread.id'] = ng[2]!;
        s.pid = true;
        // nginx's connection number follows: `*90`.
        if (line.charCodeAt(next.at) === 42 && DIGIT(line.charCodeAt(next.at + 1))) {
          const ce = tokenEnd(s, next.at);
          attrs['network.connection.id'] = line.slice(next.at + 1, ce);
          s.i = ce;
        } else {
          s.i = e;
        }
        continue;
      }
      // `INFO 45469 --- [main]` (Spring Boot): a pid between the level and a separator.
      if (!s.pid && DIGIT(c) && INTEGER.test(token) && (separatorAt(line, next.at) || next.c === 91)) {
        integer(s, token);
        s.i = e;
        continue;
      }
    } else if (fieldTable && step < 6 && /\d/.test(token) && !token.endsWith(':')) {
      addExtra(s, token);
      s.i = e;
      continue;
    }
    return j;
  }
  return skipWs(line, s.i);
}

/**
 * The commonest text headers after a stamp, read without the general scan: `LEVEL [thread] logger -
 * msg` (log4j's `%-5p [%t] %c - %m`, Hadoop's `LEVEL [thread] logger: msg`) and `[thread] LEVEL
 * logger - msg` (log4j2's and logback's default, `[%t] %-5level %logger{36} - %msg`). Each sets the
 * level, `thread.name` and `log.logger` on `out` and returns where the message starts, exactly as
 * `scanHeader` would; or returns -1, with `out` untouched, wherever the line strays from its shape in
 * a way the general scan reads differently (a thread that could be a level, a request id or a dotted
 * logger, a message whose first word could be a pid, a code location, a bracket or a separator ...),
 * and the general scan runs. The general scan costs about 0.9 µs on such a line, most of it checks
 * for other layouts' fields. test/agents/transforms/parsers/header.test.ts holds the auto parser with
 * them to the same records as without them, line by line.
 */
export function levelThreadLogger(line: string, j: number, out: ParsedFields): number {
  const e = levelAt(line, j);
  if (e === -1) return -1;
  let b = e + 1;
  while (line.charCodeAt(b) === 32) b++;
  const close = threadAt(line, b, true);
  if (close === -1) return -1;
  return loggerAndMessage(line, close + 2, out, line.slice(j, e), line.slice(b + 1, close));
}

/** `[thread] LEVEL logger - msg` at `j` (see levelThreadLogger). */
export function threadLevelLogger(line: string, j: number, out: ParsedFields): number {
  const close = threadAt(line, j, false);
  if (close === -1) return -1;
  let l = close + 1;
  while (line.charCodeAt(l) === 32) l++;
  const e = levelAt(line, l);
  if (e === -1) return -1;
  let g = e + 1;
  while (line.charCodeAt(g) === 32) g++;
  return loggerAndMessage(line, g, out, line.slice(l, e), line.slice(j + 1, close));
}

/** The end of a level word in capitals at `j`, followed by a blank; -1 when there is none. */
function levelAt(line: string, j: number): number {
  let e = j;
  while (UPPER(line.charCodeAt(e))) e++;
  return line.charCodeAt(e) === 32 && levelWordIn(line, j, e) !== undefined ? e : -1;
}

/**
 * The `]` of a thread's `[name]` at `b`, followed by a blank, that `bracket` takes for the thread:
 * printable ASCII starting with a letter, without the characters of the bracket's other fields (`:`,
 * `@`, `=`, `[`, `/`), not a request id. After a level (`afterLevel`) it may hold blanks (`[IPC Server
 * Responder]`: the scan takes it before a logger) and a dot only after a capital (`[app.orders]` is
 * Python's logger); before one, no blanks (the scan would read the message from the bracket) and no
 * level word (`[info]` is the level). -1 otherwise.
 */
function threadAt(line: string, b: number, afterLevel: boolean): number {
  if (line.charCodeAt(b) !== 91) return -1;
  const close = line.indexOf(']', b + 1);
  if (close <= b + 1 || close - b >= 256 || line.charCodeAt(close + 1) !== 32 || line.charCodeAt(close - 1) === 32) return -1;
  const first = line.charCodeAt(b + 1);
  if (!UPPER(first) && !LOWER(first)) return -1;
  let blank = -1;
  let word = true;
  for (let k = b + 2; k < close; k++) {
    const c = line.charCodeAt(k);
    if (c === 32) {
      if (!afterLevel) return -1;
      if (blank === -1) blank = k;
    } else if (c < 32 || c > 126 || c === 58 || c === 64 || c === 61 || c === 91 || c === 47 || (c === 46 && afterLevel && !UPPER(first))) {
      return -1;
    } else if (!UPPER(c) && !LOWER(c) && !DIGIT(c)) {
      word = false;
    }
  }
  const name = blank === -1 ? line.slice(b + 1, close) : line.slice(b + 1, blank);
  if (mayBeRequestId(name) && REQUEST_ID.test(name)) return -1;
  if (blank !== -1 && (name === 'pid' || name === 'client')) return -1;
  if (!afterLevel && word && name.length >= 3 && name.length <= 11 && LEVEL_WORDS.has(name.toUpperCase())) return -1;
  return close;
}

/**
 * After a level and a thread: the logger at `g` (a dotted name the scan goes on from, or a name and a
 * colon the message follows), separators, then the message's first word, which must be none of what
 * the scan would still take as a header field after a logger. Where the message starts, or -1.
 */
function loggerAndMessage(line: string, g: number, out: ParsedFields, level: string, thread: string): number {
  const n = line.length;
  const c0 = line.charCodeAt(g);
  if (!UPPER(c0) && !LOWER(c0)) return -1;
  let le = line.indexOf(' ', g);
  if (le === -1) le = n;
  const token = line.slice(g, le);
  if (token.length > 2 && token.charCodeAt(token.length - 1) === 58) {
    if (!loggerBeforeColon(token.slice(0, -1))) return -1;
    setLevelThreadLogger(out, level, thread, token.slice(0, -1));
    return le;
  }
  if (token.indexOf('.') <= 0 || !isDotted(token)) return -1;
  let m = skipWs(line, le);
  for (let k = 0; k < 4 && m < n; k++) {
    const c = line.charCodeAt(m);
    if (!((c === 45 || c === 124 || c === 58 || c === 44) && separatorOrComma(line, m))) break;
    while (line.charCodeAt(m) === c) m++;
    m = skipWs(line, m);
  }
  if (m < n) {
    const c = line.charCodeAt(m);
    if (c === 45 || c === 124 || c === 58 || c === 44 || c === 91 || c === 60 || DIGIT(c)) return -1;
    // A colon in the first word: a code location (`Foo.java:42`) or nginx's `pid#tid:`.
    const colon = line.indexOf(':', m);
    if (colon !== -1) {
      const blank = line.indexOf(' ', m);
      if (blank === -1 || colon < blank) return -1;
    }
  }
  setLevelThreadLogger(out, level, thread, token);
  return m;
}

function setLevelThreadLogger(out: ParsedFields, level: string, thread: string, logger: string): void {
  out.severityNumber = severityFromText(level);
  out.severityText = level;
  out.attributes['thread.name'] = thread;
  out.attributes['log.logger'] = logger;
}

/** A `-`, `|`, `:` standing alone, or the `,` that Windows CBS puts after its time. */
function separatorOrComma(line: string, j: number): boolean {
  if (line.charCodeAt(j) === 44) return j + 1 >= line.length || WS(line.charCodeAt(j + 1));
  return separatorAt(line, j);
}

/** Finishes a header scan: the message from `start` is the body, unnamed fields go to `log.header`. */
export function finishHeader(s: HeaderState, start: number): ParsedFields {
  const body = messageAt(s.line, start);
  const out = s.out;
  out.body = s.structlog ? structlogEvent(body, out.attributes) : body;
  if (s.extra !== '') out.attributes['log.header'] = s.extra;
  return out;
}

/** The message from `start`: its leading and trailing blanks cut. */
export function messageAt(line: string, start: number): string {
  const body = line.slice(skipWs(line, start));
  return body.length > 0 && body.charCodeAt(body.length - 1) <= 32 ? body.trimEnd() : body;
}
