/**
 * Any line in, the best ParsedFields out: json when it is an object, logfmt when it looks like
 * key=value pairs, then syslog, then an access-log line, else plain. Never returns null.
 */
import { createCombinedParser } from './combined.ts';
import { FIELD_NAME_CONFIG_PROPERTIES, withFieldDefaults, type FieldNameOptions } from './fields.ts';
import { createJsonParser } from './json.ts';
import { createLogfmtParser, looksLikeLogfmt } from './logfmt.ts';
import { createPlainParser } from './plain.ts';
import { createSyslogParser, looksLikeSyslog } from './syslog.ts';
import { type LineParser, type ParserDefinition } from './types.ts';

export type AutoParserOptions = FieldNameOptions;

export const autoDefaults: AutoParserOptions = withFieldDefaults({});

export function createAutoParser(options: Partial<AutoParserOptions> = {}): LineParser {
  const names = withFieldDefaults(options);
  const json = createJsonParser(names);
  const logfmt = createLogfmtParser({ ...names, minPairs: 2 });
  const syslog = createSyslogParser();
  const combined = createCombinedParser();
  const plain = createPlainParser();
  return (line, ctx) => {
    const c = line.charCodeAt(0);
    if (c === 123 /* { */ || c === 32 || c === 9) {
      const r = json(line, ctx);
      if (r !== null) return r;
    }
    if (looksLikeLogfmt(line)) {
      const r = logfmt(line, ctx);
      if (r !== null) return r;
    }
    if (looksLikeSyslog(line)) {
      const r = syslog(line, ctx);
      if (r !== null) return r;
    }
    // Access lines start with an address or host name and have ` - ` or `] "` early on.
    if (line.indexOf('] "', 0) !== -1) {
      const r = combined(line, ctx);
      if (r !== null) return r;
    }
    return plain(line, ctx)!;
  };
}

export const autoParser: ParserDefinition<AutoParserOptions> = {
  name: 'auto',
  description: 'Tries json, then logfmt (when the line starts with key=value), then syslog, then combined/common access logs, else plain.',
  defaults: autoDefaults,
  configProperties: { ...FIELD_NAME_CONFIG_PROPERTIES },
  create: createAutoParser,
};
