/**
 * Lines matched by a user's regular expression in, ParsedFields out. Named groups carry the fields:
 * `time`, `level`, `msg`/`message`, `trace_id`, `span_id`, `service`, `host` (the same well-known names
 * as json); every other named group becomes an attribute.
 */
import { FIELD_NAME_CONFIG_PROPERTIES, fieldsFromMap, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import type { LineParser, ParserDefinition } from './types.ts';

export interface RegexParserOptions extends FieldNameOptions {
  /** The pattern, JavaScript syntax, with named groups `(?<name>...)`. */
  pattern: string;
  /** Regex flags (`i`, `s`, `u`); `g` and `y` are ignored. */
  flags: string;
}

export const regexDefaults: RegexParserOptions = { ...withFieldDefaults({}), pattern: '', flags: '' };

/** Compiles the user's pattern; throws with a readable message if it cannot work. */
export function compileUserPattern(pattern: string, flags = ''): RegExp {
  const re = new RegExp(pattern, flags.replace(/[gy]/g, ''));
  if (!/\(\?<[A-Za-z_$][\w$]*>/.test(pattern)) throw new Error('the pattern has no named groups (?<name>...)');
  return re;
}

export function createRegexParser(options: Partial<RegexParserOptions>): LineParser {
  if (!options.pattern) throw new Error('the regex parser needs a pattern');
  const re = compileUserPattern(options.pattern, options.flags);
  const names = withFieldDefaults(options);
  return (line, ctx) => {
    let m = re.exec(line);
    let rest = '';
    if (m === null) {
      // A multiline record the pattern does not cover whole: match its first line, keep the rest with the message.
      const nl = line.indexOf('\n');
      if (nl === -1) return null;
      m = re.exec(line.slice(0, nl));
      rest = line.slice(nl);
    }
    if (m === null || m.groups === undefined) return null;
    const out = fieldsFromMap(m.groups, line, names, ctx);
    if (rest !== '' && out.body !== line) out.body += rest;
    return out;
  };
}

export const regexParser: ParserDefinition<RegexParserOptions> = {
  name: 'regex',
  description: 'A user regular expression with named groups; groups named like the json keys (time, level, msg, trace_id, ...) fill the record, others become attributes.',
  defaults: regexDefaults,
  configProperties: {
    ...FIELD_NAME_CONFIG_PROPERTIES,
    pattern: { type: 'string', minLength: 1, description: 'JavaScript regular expression with named groups, e.g. "^(?<time>\\\\S+) (?<level>\\\\w+) (?<msg>.*)$".' },
    flags: { type: 'string', pattern: '^[imsu]*$', description: 'Regular expression flags (i, m, s, u).' },
  },
  required: ['pattern'],
  create: createRegexParser,
};
