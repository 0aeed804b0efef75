/**
 * Go loggers' text layouts that put pairs after the message:
 * - logrus's terminal layout (what it prints to a terminal, and into a file when `ForceColors` is set or a
 *   container runs with a TTY): `WARN[2026-12-03T06:11:17Z] login failed     attempt=2 user=alice`, or
 *   `ERRO[0000] msg` with the seconds since the program started; the message padded to 44 characters.
 *   (Without a terminal logrus writes logfmt, which logfmt.ts reads.)
 * - hclog's default (Consul, Vault, Nomad, Terraform, Packer): `2026-12-03T06:11:11.783Z [INFO]  agent:
 *   starting server: port=8500 datacenter=dc1`: the level padded to seven, the logger's name and a
 *   colon, the message, then `: ` and the pairs.
 * Values are bare or quoted by Go's %q.
 */
import { severityFromText } from '../severity.ts';
import { readTime } from '../timestamp.ts';
import { setOwn } from './fields.ts';
import { readPairs, unquote } from './pairs.ts';
import type { ParseContext, ParsedFields } from './types.ts';

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
