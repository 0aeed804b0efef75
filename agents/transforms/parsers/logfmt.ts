/**
 * logfmt lines (`time=... level=info msg="started" port=8080`, Go slog/logrus text, Heroku) in,
 * ParsedFields out. Quoted values may contain spaces and `\"` escapes; a bare key means `true`.
 */
import { FIELD_NAME_CONFIG_PROPERTIES, fieldsFromMap, fieldsFromPairs, setOwn, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import type { LineParser, ParserDefinition } from './types.ts';

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
// Longer ones would cost more to compare than to slice, and may be slices that keep their whole line
// alive (V8 copies a slice of up to 12 characters).
const MAX_REMEMBERED_KEY_CHARS = 12;

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
  const pairs = splitPairs(line, minPairs);
  if (pairs === -1) return null;
  const out: Record<string, string> = {};
  for (let k = 0; k < pairs; k++) setOwn(out, KEYS[k]!, VALUES[k]!);
  return out;
}

/**
 * The pairs of the line being split, each key once, in the order an object of them would list
 * them but for keys that are array indices (`indexKey` says so).
 */
let KEYS: string[] = [];
let VALUES: string[] = [];
/** Past this many keys a line's keys are looked up in a Map instead of by a walk over KEYS. */
const WALK_KEYS = 32;

// The line being split: how many pairs KEYS and VALUES hold, their index past WALK_KEYS keys, and
// whether a key is an array index (`0`, `42`: an object lists those first, by number).
let count = 0;
let index: Map<string, number> | undefined;
let indexKey = false;

/** Adds a pair, or sets the value of a key already there (`overwrite`; a bare word does not). */
function addPair(key: string, value: string, overwrite: boolean): void {
  let at = -1;
  if (index !== undefined) at = index.get(key) ?? -1;
  else for (let k = 0; k < count; k++) if (KEYS[k] === key) { at = k; break; }
  if (at !== -1) {
    if (overwrite) VALUES[at] = value;
    return;
  }
  KEYS[count] = key;
  VALUES[count] = value;
  const c = key.charCodeAt(0);
  if (c >= 48 && c <= 57) indexKey = true;
  count++;
  if (index !== undefined) index.set(key, count - 1);
  else if (count === WALK_KEYS) index = new Map(KEYS.slice(0, count).map((k, i) => [k, i]));
}

/** splitLogfmt's work, into KEYS and VALUES: how many pairs, or -1 when the line is not logfmt. */
function splitPairs(line: string, minPairs: number): number {
  // Fresh arrays: the last line's values (slices of it) are not kept alive by these.
  KEYS = [];
  VALUES = [];
  count = 0;
  index = undefined;
  indexKey = false;
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
        if (quote >= n) return -1;
        value = buf + line.slice(start, quote);
        i = quote + 1;
      } else {
        sp = nextOf(line, ' ', i, sp);
        tab = nextOf(line, '\t', i, tab);
        const vs = i;
        i = Math.min(sp, tab);
        value = line.slice(vs, i);
      }
      addPair(key, value, true);
      pairs++;
    } else {
      if (pairs === 0) return -1;
      // A bare word (or a stray quote): skip to the next blank.
      i = blank;
      if (key.length > 0) addPair(key, 'true', false);
      bare++;
    }
  }
  if (pairs < minPairs || bare > pairs) return -1;
  return count;
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
    const pairs = splitPairs(head, minPairs);
    if (pairs === -1) return null;
    // Array-index keys: the pairs go through an object, which lists those first (it matters where
    // such a key is a well-known one: which message key loses, and where it lands, follows that order).
    const out = indexKey ? fieldsFromMap(splitLogfmt(head, minPairs)!, line, names, ctx) : fieldsFromPairs(KEYS, VALUES, pairs, line, names, ctx);
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
