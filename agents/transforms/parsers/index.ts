/**
 * The parser registry: a parser config (`{ type: 'regex', pattern: ... }`, snake_case as in YAML) in,
 * a total line parser out. Adding a parser is one file plus one line in PARSERS.
 */
import { severityFromText, inferSeverity, DEFAULT_INFERENCE, type SeverityInferenceOptions } from '../severity.ts';
import { autoParser } from './auto.ts';
import { combinedParser } from './combined.ts';
import { jsonParser } from './json.ts';
import { logfmtParser } from './logfmt.ts';
import { plainParser } from './plain.ts';
import { regexParser } from './regex.ts';
import { syslogParser } from './syslog.ts';
import type { ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export type { LineParser, ParseContext, ParsedFields, ParserDefinition } from './types.ts';

export const PARSERS = {
  auto: autoParser,
  json: jsonParser,
  logfmt: logfmtParser,
  regex: regexParser,
  combined: combinedParser,
  syslog: syslogParser,
  plain: plainParser,
} as const satisfies Record<string, ParserDefinition<object>>;

export type ParserName = keyof typeof PARSERS;
export const PARSER_NAMES = Object.keys(PARSERS) as ParserName[];

/** A parser as written in the agent config: its type plus its options in snake_case. */
export interface ParserConfig {
  type: ParserName;
  [option: string]: unknown;
}

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Looks up a parser by name; undefined for an unknown one. */
export function parserDefinition(name: string): ParserDefinition<object> | undefined {
  return Object.hasOwn(PARSERS, name) ? PARSERS[name as ParserName] : undefined;
}

/** A parse function that never returns null and always sets a severity number. */
export type RecordParser = (line: string, ctx: ParseContext) => ParsedFields;

export interface BuildParserOptions {
  /** How to guess a severity when the line has none. */
  inference?: SeverityInferenceOptions;
}

/**
 * Builds the configured parser, wrapped so that a line it does not match is kept as a plain body,
 * and a line without a severity gets one inferred from the body (or UNSPECIFIED/0).
 * Throws for an unknown type or unusable options (config validation reports these first).
 */
export function buildParser(config: ParserConfig | ParserName = 'auto', options: BuildParserOptions = {}): RecordParser {
  const cfg: ParserConfig = typeof config === 'string' ? { type: config } : config;
  const def = parserDefinition(cfg.type);
  if (def === undefined) throw new Error(`unknown parser "${cfg.type}"; known: ${PARSER_NAMES.join(', ')}`);
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) if (k !== 'type') opts[camel(k)] = v;
  const parse = def.create(opts);
  const fallback = plainParser.create({});
  const inference = options.inference ?? DEFAULT_INFERENCE;
  return (line, ctx) => {
    let r: ParsedFields | null;
    try {
      r = parse(line, ctx);
    } catch {
      // A parser bug must not lose the line.
      r = null;
    }
    if (r === null) {
      r = fallback(line, ctx)!;
      r.fallback = 'unmatched';
    }
    if (r.severityNumber === undefined || r.severityNumber === 0) {
      const guess = r.severityText === undefined ? inferSeverity(r.body, inference) : undefined;
      if (guess !== undefined) {
        r.severityText = guess.text;
        r.severityNumber = guess.number;
        r.attributes['severity.inferred'] = 'true';
      } else {
        r.severityNumber = r.severityText === undefined ? 0 : severityFromText(r.severityText);
      }
    }
    return r;
  };
}
