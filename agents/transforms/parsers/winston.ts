/**
 * winston (Node's most used logger), its text formats. `format.simple()`, also under `colorize()` and
 * after `timestamp()` or `errors({ stack: true })`: the level, `: `, the message, then the rest of the
 * entry as JSON (`info: listening {"port":3000,"timestamp":"2026-..."}`); `format.cli()` pads the level
 * (`info:    msg`, and writes `undefined` for a level its table lacks: `http:undefinedGET /x`); and the
 * `printf` of winston's README, `${timestamp} [${label}] ${level}: ${message}`, with or without its label.
 *
 * The levels are npm's (error, warn, info, http, verbose, debug, silly), numbered as OpenTelemetry's
 * winston transport numbers them: `http` DEBUG3, `verbose` DEBUG2 (above debug, where Serilog's Verbose
 * is the lowest), `silly` TRACE. The JSON at the end becomes attributes as a JSON line's keys do: its
 * `timestamp` the record's time, `service` (winston's `defaultMeta` example) the record's service, trace
 * and span ids the record's; an error's `stack` stays an attribute. The label is the logger.
 */
import { severityFromValue } from '../severity.ts';
import { fieldsFromObject } from './json.ts';
import { trailingObject } from './layouts.ts';
import type { FieldNameOptions } from './fields.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** `level: ` at the line's start; `format.cli()`'s padding, or the `undefined` it writes for a level it has no padding for. */
const HEAD = /^(error|warn|info|http|verbose|debug|silly):(?: +|undefined)/;
/**
 * After a stamp: the printf layout's `[label] level: `, or `level: ` alone but for `http`: Go's HTTP
 * server logs `2026/11/24 10:00:00 http: TLS handshake error ...`, its package's prefix.
 */
const AFTER_STAMP = /(?:\[([^\]\s]{1,64})\] (error|warn|info|http|verbose|debug|silly)|(error|warn|info|verbose|debug|silly)): /y;

/**
 * Whether a line starting with a lower-case letter may be winston's (`HEAD`): its first colon where
 * a level word of that length ends. Fixed places only.
 */
export function mayBeWinston(line: string): boolean {
  const c = line.charCodeAt(4) === 58 ? 4 : line.charCodeAt(5) === 58 ? 5 : line.charCodeAt(7) === 58 ? 7 : -1;
  return c !== -1 && (line.charCodeAt(c + 1) === 32 || line.charCodeAt(c + 1) === 117 /* u */);
}

/** The length of the npm level word starting with `c` (a char code) would be followed by `:`; 0 for no such word. */
function levelLength(c: number, http: boolean): number {
  // e(rror) w(arn) i(nfo) h(ttp) v(erbose) d(ebug) s(illy)
  return c === 101 || c === 100 || c === 115 ? 5 : c === 119 || c === 105 || (http && c === 104) ? 4 : c === 118 ? 7 : 0;
}

/**
 * Whether what follows a stamp at `j` may be the printf layout (`winstonAfterStamp`): a level word's
 * colon where its first letter says, after a `[label] ` or not. Fixed places only: every stamped line
 * that starts in lower case or with a bracket asks.
 */
export function mayBeWinstonAt(line: string, j: number): boolean {
  const c = line.charCodeAt(j);
  if (c !== 91) {
    const n = levelLength(c, false);
    return n !== 0 && line.charCodeAt(j + n) === 58;
  }
  const e = line.indexOf('] ', j);
  if (e === -1 || e - j > 65) return false;
  const n = levelLength(line.charCodeAt(e + 2), true);
  return n !== 0 && line.charCodeAt(e + 2 + n) === 58;
}

/** A winston line from its start (`simple`, `cli`), or null. */
export function winstonLine(line: string, ctx: ParseContext, names: FieldNameOptions, depth: number): ParsedFields | null {
  const m = HEAD.exec(line);
  if (m === null) return null;
  return entry(line, m[0].length, m[1]!, undefined, undefined, ctx, names, depth);
}

/** A winston line after its stamp at `j` (the printf layout), or null. */
export function winstonAfterStamp(line: string, j: number, time: number, ctx: ParseContext, names: FieldNameOptions, depth: number): ParsedFields | null {
  AFTER_STAMP.lastIndex = j;
  const m = AFTER_STAMP.exec(line);
  if (m === null) return null;
  return entry(line, AFTER_STAMP.lastIndex, m[2] ?? m[3]!, m[1], time, ctx, names, depth);
}

function entry(line: string, at: number, level: string, label: string | undefined, time: number | undefined, ctx: ParseContext, names: FieldNameOptions, depth: number): ParsedFields {
  // npm's levels as a JSON line's level value reads them (severity.ts knows http, verbose and silly).
  const severity = severityFromValue(level)!;
  const out: ParsedFields = { body: line.slice(at), attributes: {}, severityText: severity.text, severityNumber: severity.number };
  if (time !== undefined) out.time = time;
  // The rest of the entry as JSON after the message (a message of several lines: after its last).
  if (line.charCodeAt(line.length - 1) === 125 /* } */) {
    const tail = trailingObject(out.body);
    if (tail !== undefined) {
      const meta = fieldsFromObject(tail.value as Record<string, unknown>, '', '', names, depth, ctx);
      out.body = out.body.slice(0, tail.at);
      out.attributes = meta.attributes;
      if (out.time === undefined && meta.time !== undefined) out.time = meta.time;
      if (meta.traceId !== undefined) out.traceId = meta.traceId;
      if (meta.spanId !== undefined) out.spanId = meta.spanId;
      if (meta.service !== undefined) out.service = meta.service;
      if (meta.host !== undefined) out.host = meta.host;
    }
  }
  if (label !== undefined) out.attributes['log.logger'] = label;
  return out;
}
