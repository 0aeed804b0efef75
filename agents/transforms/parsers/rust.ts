/**
 * Rust's tracing-subscriber (tokio's ecosystem, Vector, most Rust services), its `fmt` layer's text
 * layouts after the stamp it writes by default (`2026-12-06T02:30:55.653659Z`, microseconds, UTC) and the
 * level right-aligned to five characters:
 *
 *   2026-...Z  INFO request{method="GET" request_id=1}:db{table="orders"}: orders::db: query done rows=1
 *   2026-...Z ERROR worker-1 ThreadId(02) sweep: orders: src/main.rs:65: lost connection peer="10.0.0.5:5432"
 *   2026-...Z DEBUG request:charge: orders: charging card cents=1250 method="GET" order_id=42
 *
 * `full` (the default) writes the thread's name and id when asked, the spans from the root (each
 * `name{fields}`, `name` alone without fields) joined by `:`, the target, the file and line when asked,
 * then the message and the event's fields (` name=value`, a string as Rust's `Debug` quotes it, anything
 * else as printed). `compact` writes the spans' names only and their fields after the event's. Each
 * becomes the same record: the target as `log.logger`, the spans' names as `tracing.spans`
 * (`request:db`), the spans' and the event's fields as attributes (the event's win, then the innermost
 * span's), and the message alone as the body. Its JSON layout (`fields`, `target`, `span`, `spans`) is
 * made into the same record by `tracingJson`.
 *
 * A span without fields and a target look alike (`sweep: orders: msg`); read as the layout writes them,
 * a single plain word before another is the span and the second the target, unless only the first is a
 * path (`my_app::db: retry: msg`: the target, and a message with a colon). A target is a module path
 * (lower case, `::` between its parts), so `Error: msg` and `GET /x: msg` stay messages.
 */
import { severityFromText } from '../severity.ts';
import { setOwn, stringify } from './fields.ts';
import { readPairs, unquote } from './pairs.ts';
import type { ParsedFields } from './types.ts';

/** A span's name: an identifier, as `#[instrument]` (the function's) and the span macros mostly give. */
const SPAN_NAME = /[A-Za-z_][\w.-]*/y;
/** A target: a module path (`orders`, `hyper::proto::h1`). */
const TARGET = /[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*: /y;
/** With `with_file` and `with_line_number`: `src/main.rs:57: `; the file alone: `src/main.rs: `. */
const LOCATION = /([^\s:]+\.rs)(?::(\d{1,7}))?: /y;
/** `with_thread_names` and `with_thread_ids`: the name padded to the longest so far, then `ThreadId(01)`. */
const THREAD = / *([^\s]+) ThreadId\((\d{1,10})\) |ThreadId\((\d{1,10})\) /y;
const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);

/**
 * Whether a stamped line has tracing's head: its stamp (27 characters, `Z` last) and a level
 * right-aligned to five (`  INFO `, ` ERROR `); `j` is where the level starts. Fixed places only:
 * every stamped line asks.
 */
export function tracingHead(line: string, t: { end: number }, j: number): boolean {
  return t.end === 27 && line.charCodeAt(26) === 90 /* Z */ && line.charCodeAt(19) === 46 /* . */ && line.charCodeAt(33) === 32 && (j === 28 || j === 29);
}

/** A line with tracing's head (`tracingHead`) as its record; null when what follows the level is not its layout. */
export function tracingFmt(line: string, time: number, j: number): ParsedFields | null {
  const level = line.slice(j, 33);
  if (!LEVELS.has(level)) return null;
  const header: Record<string, string> = {};
  let i = 34;
  THREAD.lastIndex = i;
  const th = THREAD.exec(line);
  if (th) {
    if (th[1] !== undefined) header['thread.name'] = th[1];
    header['thread.id'] = String(Number(th[2] ?? th[3]));
    i = THREAD.lastIndex;
  }
  const spanFields: Array<[string, string]> = [];
  const names: string[] = [];
  const chain = spanChain(line, i, names, spanFields);
  let spansRead = false;
  if (chain.end !== -1) {
    TARGET.lastIndex = chain.end;
    const target = TARGET.exec(line);
    if (target) {
      header['log.logger'] = target[0].slice(0, -2);
      spansRead = true;
      i = TARGET.lastIndex;
    } else if (names.length > 1 || chain.fields) {
      // Spans and no target (`with_target(false)`).
      spansRead = true;
      i = chain.end;
    } else if (chain.path) {
      header['log.logger'] = names[0]!;
      i = chain.end;
    }
  } else {
    // `my_app::db: msg`: a path is no span chain (the chain stops at its `::`).
    TARGET.lastIndex = i;
    const only = TARGET.exec(line);
    if (only) {
      header['log.logger'] = only[0].slice(0, -2);
      i = TARGET.lastIndex;
    }
  }
  if (spansRead) header['tracing.spans'] = names.join(':');
  else spanFields.length = 0;
  if (header['log.logger'] !== undefined) {
    LOCATION.lastIndex = i;
    const loc = LOCATION.exec(line);
    if (loc) {
      header['code.file.path'] = loc[1]!;
      if (loc[2] !== undefined) header['code.line.number'] = loc[2];
      i = LOCATION.lastIndex;
    }
  }
  // Nothing of tracing's own after the level: the general header scan reads the line.
  if (i === 34) return null;
  const attributes: Record<string, string> = {};
  for (const [k, v] of spanFields) setOwn(attributes, k, v);
  const body = messageAndFields(line, i, attributes);
  for (const k of Object.keys(header)) attributes[k] = header[k]!;
  return { time, severityText: level, severityNumber: severityFromText(level), body, attributes };
}

/**
 * The spans at `i` (`a{k=v}:b:c{k=v}: `): their names into `names`, their fields into `fields` (root
 * first); `end` after the `: ` that closes the chain, -1 when there is none. `fields` tells whether a
 * span had braces; `path` whether the whole chain is one word that could be a target (a lower-case name).
 */
function spanChain(line: string, i: number, names: string[], fields: Array<[string, string]>): { end: number; fields: boolean; path: boolean } {
  let braces = false;
  for (let k = 0; k < 64; k++) {
    SPAN_NAME.lastIndex = i;
    const m = SPAN_NAME.exec(line);
    if (!m) return { end: -1, fields: braces, path: false };
    names.push(m[0]);
    i = SPAN_NAME.lastIndex;
    if (line.charCodeAt(i) === 123 /* { */) {
      const close = braceEnd(line, i);
      if (close === -1) return { end: -1, fields: braces, path: false };
      const found: Array<[string, string]> = [];
      // Fields that do not read as pairs (a value printed with spaces) are left out; the span's name stays.
      if (readPairs(line.slice(i + 1, close), 0, found, unquote)) for (const f of found) fields.push(f);
      braces = true;
      i = close + 1;
    }
    if (line.charCodeAt(i) !== 58 /* : */) return { end: -1, fields: braces, path: false };
    if (line.charCodeAt(i + 1) === 32) return { end: i + 2, fields: braces, path: names.length === 1 && /^[a-z_][a-z0-9_]*$/.test(names[0]!) };
    // `a::b` is a path, not two spans.
    if (line.charCodeAt(i + 1) === 58) return { end: -1, fields: braces, path: false };
    i++;
  }
  return { end: -1, fields: braces, path: false };
}

/** After the `}` closing the `{` at `i` (quoted strings and nested braces skipped); -1 when it does not close on the line. */
function braceEnd(line: string, i: number): number {
  let depth = 0;
  for (let j = i; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === 34) {
      for (j++; j < line.length && line.charCodeAt(j) !== 34; j++) if (line.charCodeAt(j) === 92) j++;
    } else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return j;
    else if (c === 10) return -1;
  }
  return -1;
}

/**
 * The message from `i` with the event's fields after it taken into `attributes`: the fields are the
 * longest tail of ` name=value` pairs on the message's last line (a value with a space in it, printed
 * by `Display`, ends the tail: it stays in the message). A message of fields alone stays the body too.
 */
function messageAndFields(line: string, i: number, attributes: Record<string, string>): string {
  if (line.indexOf('=', i) === -1) return line.slice(i);
  const lastLine = line.lastIndexOf('\n') + 1;
  // Each token that starts a pair, from the left (the message's start, else after a space): the
  // first from which the rest reads as pairs throughout. A bounded number of tries: a line of many
  // pairs that a bad one ends is not read again and again.
  let p = i >= lastLine ? i : line.indexOf(' ', lastLine) + 1;
  for (let tries = 0; p > 0 && tries < 16; ) {
    const eq = line.indexOf('=', p);
    if (eq === -1) break;
    const sp = line.indexOf(' ', p);
    if (sp === -1 || eq < sp) {
      tries++;
      const found: Array<[string, string]> = [];
      if (readPairs(line, p, found, unquote)) {
        for (const [key, v] of found) setOwn(attributes, key, v);
        return p === i ? line.slice(i) : line.slice(i, p - 1);
      }
    }
    p = sp + 1;
  }
  return line.slice(i);
}

/**
 * tracing-subscriber's JSON layout (`fmt().json()`): `{"timestamp":...,"level":...,"fields":{"message":
 * ...,...},"target":...,"span":{...,"name":...},"spans":[...]}`, with `threadName`, `threadId`,
 * `filename`, `line_number` when asked. The same object made flat as the text layouts' record reads:
 * the message, the event's fields by their own names, the target as `log.logger`, the spans' names as
 * `tracing.spans` and their fields; undefined when the object is not that shape.
 */
export function tracingJson(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const fields = value.fields;
  if (typeof value.target !== 'string' || typeof value.level !== 'string' || fields === null || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  const out: Record<string, unknown> = {};
  const spans = Array.isArray(value.spans) ? value.spans : value.span !== null && typeof value.span === 'object' ? [value.span] : [];
  const names: string[] = [];
  for (const s of spans) {
    if (s === null || typeof s !== 'object') continue;
    for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
      if (k === 'name') names.push(stringify(v));
      else setOwn(out, k, v);
    }
  }
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(value)) {
    if (k === 'fields' || k === 'span' || k === 'spans') continue;
    if (k === 'target') out['log.logger'] = v;
    else if (k === 'threadName') out['thread.name'] = v;
    else if (k === 'threadId') out['thread.id'] = typeof v === 'string' && /^ThreadId\(\d+\)$/.test(v) ? String(Number(v.slice(9, -1))) : v;
    else if (k === 'filename') out['code.file.path'] = v;
    else if (k === 'line_number') out['code.line.number'] = v;
    else setOwn(out, k, v);
  }
  if (names.length > 0) out['tracing.spans'] = names.join(':');
  return out;
}
