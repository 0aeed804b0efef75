/**
 * logfmt lines (`time=... level=info msg="started" port=8080`, Go slog/logrus text, Heroku) in,
 * ParsedFields out. Quoted values may contain spaces and `\"` escapes; a bare key means `true`.
 */
import { FIELD_NAME_CONFIG_PROPERTIES, fieldsFromMap, withFieldDefaults, type FieldNameOptions } from './fields.ts';
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
 * Splits a logfmt line into pairs; null when it is not logfmt: the first token is not `key=`,
 * there are fewer than `minPairs` pairs, or more bare words than pairs (prose with an `=` in it).
 */
export function splitLogfmt(line: string, minPairs = 1): Record<string, string> | null {
  const out: Record<string, string> = {};
  let pairs = 0;
  let bare = 0;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 61 /* = */ || isSpace(c) || c === 34 /* " */) break;
      i++;
    }
    const key = line.slice(keyStart, i);
    if (i < n && line.charCodeAt(i) === 61 && key.length > 0) {
      i++;
      let value: string;
      if (i < n && line.charCodeAt(i) === 34) {
        i++;
        let buf = '';
        let start = i;
        let closed = false;
        while (i < n) {
          const c = line.charCodeAt(i);
          if (c === 92 /* \ */ && i + 1 < n) {
            buf += line.slice(start, i);
            const e = line[i + 1]!;
            buf += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
            i += 2;
            start = i;
            continue;
          }
          if (c === 34) { closed = true; break; }
          i++;
        }
        if (!closed) return null;
        value = buf + line.slice(start, i);
        i++;
      } else {
        const vs = i;
        while (i < n && !isSpace(line.charCodeAt(i))) i++;
        value = line.slice(vs, i);
      }
      out[key] = value;
      pairs++;
    } else {
      if (pairs === 0) return null;
      // A bare word (or a stray quote): skip to the next space.
      while (i < n && !isSpace(line.charCodeAt(i))) i++;
      if (key.length > 0 && !(key in out)) out[key] = 'true';
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
