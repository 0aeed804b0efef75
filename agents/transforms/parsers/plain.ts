/**
 * Any line in, a plain-body record out: the fallback that makes sure no line is ever dropped.
 * It lifts a leading timestamp and a leading level word (`2026-11-24 10:00:00,123 ERROR ...`,
 * `[WARN] ...`, `ERROR:root:...`) but keeps the whole line as the body.
 */
import { severityFromText } from '../severity.ts';
import { parseIso } from '../timestamp.ts';
import type { LineParser, ParsedFields, ParserDefinition } from './types.ts';

export interface PlainParserOptions {
  /** Read a leading ISO-8601 timestamp as the event time. */
  leadingTime: boolean;
  /** Read a level word at the start (after the timestamp) as the severity. */
  leadingLevel: boolean;
}

export const plainDefaults: PlainParserOptions = { leadingTime: true, leadingLevel: true };

const LEADING_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)\]?(?:\s+|$)/;
const LEADING_LEVEL = /^[[<(]?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRIT|CRITICAL|FATAL|SEVERE|PANIC|trace|debug|info|notice|warn|warning|error|fatal)[\]>)]?(?=[\s:|-]|$)/;

export function createPlainParser(options: Partial<PlainParserOptions> = {}): LineParser {
  const leadingTime = options.leadingTime ?? plainDefaults.leadingTime;
  const leadingLevel = options.leadingLevel ?? plainDefaults.leadingLevel;
  return (line, ctx) => {
    const out: ParsedFields = { body: line, attributes: {} };
    let rest = line;
    const c = line.charCodeAt(line.charCodeAt(0) === 91 ? 1 : 0);
    if (leadingTime && c >= 48 && c <= 57) {
      const m = LEADING_TIME.exec(line);
      if (m) {
        const t = parseIso(m[1]!, ctx.timeZone);
        if (t !== undefined) {
          out.time = t;
          rest = line.slice(m[0].length);
        }
      }
    }
    if (leadingLevel) {
      const m = LEADING_LEVEL.exec(rest);
      if (m) {
        out.severityText = m[1]!.toUpperCase();
        out.severityNumber = severityFromText(m[1]!);
      }
    }
    return out;
  };
}

export const plainParser: ParserDefinition<PlainParserOptions> = {
  name: 'plain',
  description: 'The whole line as the body; a leading ISO timestamp and level word are lifted into time and severity.',
  defaults: plainDefaults,
  configProperties: {
    leading_time: { type: 'boolean', description: 'Read a leading ISO-8601 timestamp as the event time (default true).' },
    leading_level: { type: 'boolean', description: 'Read a leading level word (ERROR, [WARN], ...) as the severity (default true).' },
  },
  create: createPlainParser,
};
