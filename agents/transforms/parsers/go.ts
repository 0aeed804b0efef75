/**
 * Go programs' text layouts: klog (every Kubernetes component) and its structured form, capnslog (etcd
 * before 3.4), the Datadog Agent's code location and context, and three that put pairs after the message:
 * - logrus's terminal layout (what it prints to a terminal, and into a file when `ForceColors` is set or a
 *   container runs with a TTY): `WARN[2026-12-03T06:11:17Z] login failed     attempt=2 user=alice`, or
 *   `ERRO[0000] msg` with the seconds since the program started; the message padded to 44 characters.
 *   (Without a terminal logrus writes logfmt, which logfmt.ts reads.)
 * - hclog's default (Consul, Vault, Nomad, Terraform, Packer): `2026-12-03T06:11:11.783Z [INFO]  agent:
 *   starting server: port=8500 datacenter=dc1`: the level padded to seven, the logger's name and a
 *   colon, the message, then `: ` and the pairs.
 * - zerolog's console writer: `3:04PM INF message k=v`, with its caller as `file.go:21 > message`.
 * Values are bare or quoted by Go's %q.
 */
import { severityFromText, severityText } from '../severity.ts';
import { fractionMs, readTime, timeFromFields } from '../timestamp.ts';
import { setOwn } from './fields.ts';
import { badTime } from './layouts.ts';
import { splitLogfmt } from './logfmt.ts';
import { readPairs, unquote } from './pairs.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+(\d+) ([^\s:\]]+):(\d+)\] ?/;
/** capnslog's level letters (etcd before 3.4, CoreOS's tools): `I | pkg: msg` after the stamp. */
const CAPNSLOG_LEVELS: Readonly<Record<string, string>> = { C: 'CRITICAL', E: 'ERROR', W: 'WARNING', N: 'NOTICE', I: 'INFO', D: 'DEBUG', T: 'TRACE' };
const CAPNSLOG_PACKAGE = /([\w./-]{1,64}): /y;
/** The Datadog Agent after its `time | FLAVOR | LEVEL | `: `(pkg/x/file.go:71 in Func) | `, then its context as `key:value | ` pairs. */
const DATADOG_LOCATION = /\(([^\s():]+):(\d{1,6}) in ([^\s()]+)\) \| /y;
const DATADOG_CONTEXT = /([A-Za-z_][\w.-]*):([^\s|]+) \| /y;

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

/** logrus's four-letter level (`strings.ToUpper(level.String())[0:4]`), as the record names it. */
const LOGRUS_LEVELS: Record<string, string> = { PANI: 'PANIC', FATA: 'FATAL', ERRO: 'ERROR', WARN: 'WARNING', INFO: 'INFO', DEBU: 'DEBUG', TRAC: 'TRACE' };
/** logrus pads the message to this width (`%-44s`), then writes a space and ` k=v` per field. */
const LOGRUS_PAD = 44;

/** logrus's terminal layout (see above), or null. `line.charCodeAt(4)` is `[`. */
export function logrusTerminal(line: string, ctx: ParseContext): ParsedFields | null {
  const level = LOGRUS_LEVELS[line.slice(0, 4)];
  const close = line.indexOf(']', 5);
  if (level === undefined || close === -1 || line.charCodeAt(close + 1) !== 32) return null;
  const inside = line.slice(5, close);
  let time: number | undefined;
  if (!/^\d{4,}$/.test(inside)) {
    // FullTimestamp: the stamp (RFC 3339 unless the program set another) fills the brackets.
    const t = readTime(inside, 0, ctx.timeZone ?? 'UTC', ctx.now);
    if (t === undefined || t.end !== inside.length) return null;
    if (Number.isNaN(t.time)) return { body: line, attributes: {}, fallback: 'bad_time' };
    time = t.time;
  }
  const attributes: Record<string, string> = {};
  const rest = line.slice(close + 2);
  const number = severityFromText(level);
  return { ...(time !== undefined ? { time } : {}), severityText: level, severityNumber: number, body: paddedMessage(rest, attributes), attributes };
}

/** The message before logrus's fields (their pairs into `attributes`), or the text trimmed when they do not read. */
function paddedMessage(text: string, attributes: Record<string, string>): string {
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  // Each field is written as ` k=v` after the padded message and a space: two spaces before the first.
  for (let at = first.indexOf('  ', LOGRUS_PAD - 1); at !== -1; at = first.indexOf('  ', at + 1)) {
    let k = at;
    while (first.charCodeAt(k) === 32) k++;
    const found: Array<[string, string]> = [];
    if (k < first.length && readPairs(first, k, found, unquote)) {
      for (const [key, v] of found) setOwn(attributes, key, v);
      const message = first.slice(0, at).trimEnd();
      return nl === -1 ? message : (message + text.slice(nl)).trimEnd();
    }
    at = k - 1;
  }
  return nl === -1 ? text.trimEnd() : (first.trimEnd() + text.slice(nl)).trimEnd();
}

/** zerolog's console writer (`ConsoleWriter`, NoColor): its kitchen clock or an RFC 3339 stamp, then its three-letter level. */
const ZEROLOG_CONSOLE = /^(?:\d{1,2}:\d{2}[AP]M|\d{4}-\d{2}-\d{2}T\S+) (?:TRC|DBG|INF|WRN|ERR|FTL|PNC) /;

/**
 * zerolog's console writer after its stamp and level: `[file.go:21 > ]message k=v k="quoted v"`. The
 * caller is already the code location (header.ts); its `> ` goes, and the pairs after the message
 * become attributes (the longest run of pairs that ends the first line; a message that would be left
 * empty keeps the text as it is).
 */
export function zerologConsole(r: ParsedFields, line: string): void {
  if (!ZEROLOG_CONSOLE.test(line)) return;
  let body = r.body;
  if (body.charCodeAt(0) === 62 /* > */ && body.charCodeAt(1) === 32 && r.attributes['code.file.path'] !== undefined) body = body.slice(2);
  const nl = body.indexOf('\n');
  const first = nl === -1 ? body : body.slice(0, nl);
  if (first.indexOf('=') !== -1) {
    for (let at = first.indexOf(' '); at !== -1; at = first.indexOf(' ', at + 1)) {
      const found: Array<[string, string]> = [];
      if (!readPairs(first, at + 1, found, unquote)) continue;
      const message = first.slice(0, at).trimEnd();
      if (message === '') break;
      for (const [key, v] of found) setOwn(r.attributes, key, v);
      body = nl === -1 ? message : message + body.slice(nl);
      break;
    }
  }
  r.body = body;
}

/** hclog's bracketed levels, padded to seven characters. */
const HCLOG_LEVELS = new Set(['[TRACE]', '[DEBUG]', '[INFO] ', '[WARN] ', '[ERROR]']);
/** A logger name as hclog's `Named` builds them: words joined by dots. */
const HCLOG_NAME = /^[\w-]+(?:\.[\w-]+)*$/;

/**
 * hclog's layout after its stamp (`2006-01-02T15:04:05.000Z0700`, from `j` on: the padded level, then
 * the text), or null. The name before the first colon is the logger when the level was padded (INFO,
 * WARN: no other layout pads those to seven), when it is dotted, or when pairs end the line; without
 * any of these an unnamed logger's `failed: x` could not be told from a name.
 */
export function hclog(line: string, j: number, time: number): ParsedFields | null {
  const bracket = line.slice(j, j + 7);
  if (!HCLOG_LEVELS.has(bracket) || line.charCodeAt(j + 7) !== 32 || line.charCodeAt(j + 8) === 32) return null;
  const levelWord = bracket.slice(1, bracket.indexOf(']'));
  const attributes: Record<string, string> = {};
  const text = line.slice(j + 8);
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  const colon = first.indexOf(': ');
  const name = colon > 0 ? first.slice(0, colon) : '';
  const named = name !== '' && HCLOG_NAME.test(name);
  // The pairs: after the last `: ` from which the rest of the line reads as pairs, the earliest such.
  let pairsAt = -1;
  const found: Array<[string, string]> = [];
  for (let at = first.indexOf(': '); at !== -1; at = first.indexOf(': ', at + 1)) {
    found.length = 0;
    if (readPairs(first, at + 2, found, unquote)) {
      pairsAt = at;
      break;
    }
  }
  // With a single `: ` before the pairs, it ends the message: an unnamed logger's `msg: k=v`.
  const certain = pairsAt !== colon && (bracket.charCodeAt(6) === 32 || name.indexOf('.') !== -1 || pairsAt > colon);
  const msgFrom = named && certain ? colon + 2 : 0;
  if (msgFrom > 0) attributes['log.logger'] = name;
  if (pairsAt !== -1 && pairsAt >= msgFrom) for (const [k, v] of found) setOwn(attributes, k, v);
  const message = pairsAt !== -1 && pairsAt >= msgFrom ? first.slice(msgFrom, pairsAt) : first.slice(msgFrom).trimEnd();
  return { time, severityText: levelWord, severityNumber: severityFromText(levelWord), body: nl === -1 ? message : (message + text.slice(nl)).trimEnd(), attributes };
}
