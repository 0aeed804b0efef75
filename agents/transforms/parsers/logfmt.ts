/**
 * logfmt lines (`time=... level=info msg="started" port=8080`, Go slog/logrus text, Heroku) in,
 * ParsedFields out. Quoted values may contain spaces and `\"` escapes; a bare key means `true`.
 */
import { FIELD_NAME_CONFIG_PROPERTIES, fieldsFromMap, setOwn, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import { type LineParser, type ParserDefinition } from './types.ts';

export interface LogfmtParserOptions extends FieldNameOptions {
  /** Fewer key=value pairs than this and the line is not logfmt. */
  minPairs: number;
}

export const logfmtDefaults: LogfmtParserOptions = { ...withFieldDefaults({}), minPairs: 1 };

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * The first index at or after `i` where `ch` occurs in `line`, or the line's length when it does not.
 * `at` is this function's previous answer for the same character: while it is still at or after `i`
 * nothing can occur between `i` and it, so it is the answer again without a search. Scanning with
 * `indexOf` (vectorised) instead of a loop over character codes is what makes a 250-byte line cheap:
 * a JavaScript loop here costs several nanoseconds per character, and a line is mostly values.
 */
function nextOf(line: string, ch: string, i: number, at: number): number {
  if (at >= i) return at;
  const k = line.indexOf(ch, i);
  return k === -1 ? line.length : k;
}

/**
 * The keys of the last line split, by position: a logger writes the same keys in the same order line
 * after line. A key found where the last line had one of the same length and the same characters
 * (`startsWith`, no copy) is that string again: a key sliced fresh from every line costs, when it is
 * stored as a property, a hash and a string-table look-up (about 100 ns each, most of a logfmt line's
 * cost), a key seen before is already internalised. Only ever a string equal to the key, so nothing
 * can go stale.
 */
const lastKeys: string[] = [];
const MAX_REMEMBERED_KEYS = 64;
// Longer ones (a bare word of prose) would cost more to compare than to slice.
const MAX_REMEMBERED_KEY_CHARS = 32;

/** Whether `key` is written in `line` at `start` (keys are short: a loop beats `startsWith` here). */
function sameChars(line: string, start: number, key: string): boolean {
  for (let k = 0; k < key.length; k++) if (line.charCodeAt(start + k) !== key.charCodeAt(k)) return false;
  return true;
}

function keyAt(line: string, start: number, end: number, k: number): string {
  const length = end - start;
  if (k >= MAX_REMEMBERED_KEYS || length > MAX_REMEMBERED_KEY_CHARS) return line.slice(start, end);
  const known = lastKeys[k];
  if (known !== undefined && known.length === length && sameChars(line, start, known)) return known;
  const key = line.slice(start, end);
  lastKeys[k] = key;
  return key;
}

/**
 * Splits a logfmt line into pairs; null when it is not logfmt: the first token is not `key=`,
 * there are fewer than `minPairs` pairs, or more bare words than pairs (prose with an `=` in it).
 * A key ends at `=`, a blank (space or tab) or `"`; an unquoted value at the next blank. Any key is
 * kept as written, `constructor` and `__proto__` too (own properties; the prototype is never touched).
 */
export function splitLogfmt(line: string, minPairs = 1): Record<string, string> | null {
  const out: Record<string, string> = {};
  let pairs = 0;
  let tokens = 0;
  let bare = 0;
  let i = 0;
  const n = line.length;
  // Where the next space, tab, `=`, quote and backslash are (see nextOf); -1: not looked for yet.
  let sp = -1, tab = -1, eq = -1, quote = -1, backslash = -1;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const keyStart = i;
    sp = nextOf(line, ' ', i, sp);
    tab = nextOf(line, '\t', i, tab);
    eq = nextOf(line, '=', i, eq);
    quote = nextOf(line, '"', i, quote);
    const blank = Math.min(sp, tab);
    i = Math.min(blank, eq, quote);
    const key = i === keyStart ? '' : keyAt(line, keyStart, i, tokens);
    tokens++;
    if (i === eq && i < n && key.length > 0) {
      i++;
      let value: string;
      if (i < n && line.charCodeAt(i) === 34) {
        i++;
        let buf = '';
        let start = i;
        for (;;) {
          quote = nextOf(line, '"', i, quote);
          backslash = nextOf(line, '\\', i, backslash);
          // A backslash escapes the next character, a closing quote included; one at the very end is text.
          if (backslash < quote && backslash + 1 < n) {
            buf += line.slice(start, backslash);
            const e = line[backslash + 1]!;
            buf += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
            i = backslash + 2;
            start = i;
            continue;
          }
          break;
        }
        if (quote >= n) return null;
        value = buf + line.slice(start, quote);
        i = quote + 1;
      } else {
        sp = nextOf(line, ' ', i, sp);
        tab = nextOf(line, '\t', i, tab);
        const vs = i;
        i = Math.min(sp, tab);
        value = line.slice(vs, i);
      }
      setOwn(out, key, value);
      pairs++;
    } else {
      if (pairs === 0) return null;
      // A bare word (or a stray quote): skip to the next blank.
      i = blank;
      // Own keys only: `constructor` is in every object through its prototype.
      if (key.length > 0 && !Object.hasOwn(out, key)) setOwn(out, key, 'true');
      bare++;
    }
  }
  if (pairs < minPairs || bare > pairs) return null;
  return out;
}

/** A quick look for the auto chain: starts with `key=` and has at least two `=`. */
export function looksLikeLogfmt(line: string): boolean {
  return /^\s*[A-Za-z_@][\w.@\-/]*=\S/.test(line) && line.indexOf('=', line.indexOf('=') + 1) !== -1;
}

export function createLogfmtParser(options: Partial<LogfmtParserOptions> = {}): LineParser {
  const names = withFieldDefaults(options);
  const minPairs = options.minPairs ?? logfmtDefaults.minPairs;
  return (line, ctx) => {
    // A multiline record (a stack trace under a logfmt line): pairs come from the first line,
    // the rest stays with the message.
    const nl = line.indexOf('\n');
    const head = nl === -1 ? line : line.slice(0, nl);
    const pairs = splitLogfmt(head, minPairs);
    if (pairs === null) return null;
    const out = fieldsFromMap(pairs, line, names, ctx);
    if (nl !== -1 && out.body !== line) out.body += line.slice(nl);
    return out;
  };
}

export const logfmtParser: ParserDefinition<LogfmtParserOptions> = {
  name: 'logfmt',
  description: 'key=value pairs separated by spaces, values optionally double-quoted; the same well-known keys as json.',
  defaults: logfmtDefaults,
  configProperties: {
    ...FIELD_NAME_CONFIG_PROPERTIES,
    min_pairs: { type: 'integer', minimum: 1, description: 'A line with fewer key=value pairs is not logfmt (default 1).' },
  },
  create: createLogfmtParser,
};
