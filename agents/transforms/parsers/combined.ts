/**
 * Web server access lines in the NCSA common and combined formats (Apache, nginx) in, ParsedFields out.
 * Attributes use OpenTelemetry semantic-convention names; the body is the whole line.
 */
import { severityNumber } from '../../../core/contracts/records.ts';
import { parseApacheTime, parseIso } from '../timestamp.ts';
import type { LineParser, ParsedFields, ParserDefinition } from './types.ts';

export interface CombinedParserOptions {
  /** Severity from the status code: 5xx ERROR, 4xx WARN, others INFO. */
  severityFromStatus: boolean;
}

export const combinedDefaults: CombinedParserOptions = { severityFromStatus: true };

// host ident authuser [date] "request" status bytes ["referer" "user-agent"] [anything nginx appends]
// Quoted fields use the unrolled form [^"\\]*(?:\\.[^"\\]*)*: the same language as (?:[^"\\]|\\.)*, twice as fast.
const LINE = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"\\]*(?:\\.[^"\\]*)*)" (\d{3}) (\d+|-)(?: "([^"\\]*(?:\\.[^"\\]*)*)" "([^"\\]*(?:\\.[^"\\]*)*)")?(?: (.*))?$/;
const REQUEST = /^([A-Z]+) (\S+)(?: (HTTP\/[\d.]+))?$/;

function unescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_, hex: string | undefined, c: string | undefined) => hex ? String.fromCharCode(parseInt(hex, 16)) : c!) : s;
}

export function createCombinedParser(options: Partial<CombinedParserOptions> = {}): LineParser {
  const byStatus = options.severityFromStatus ?? combinedDefaults.severityFromStatus;
  return (line, ctx) => {
    const m = LINE.exec(line);
    if (m === null) return null;
    const attributes: Record<string, string> = {};
    if (m[1] !== '-') attributes['client.address'] = m[1]!;
    if (m[3] !== '-') attributes['user.name'] = m[3]!;
    const request = unescape(m[5]!);
    const r = REQUEST.exec(request);
    if (r) {
      attributes['http.request.method'] = r[1]!;
      const q = r[2]!.indexOf('?');
      attributes['url.path'] = q === -1 ? r[2]! : r[2]!.slice(0, q);
      if (q !== -1) attributes['url.query'] = r[2]!.slice(q + 1);
      if (r[3]) attributes['network.protocol.version'] = r[3].slice(5);
    } else if (request !== '' && request !== '-') {
      attributes['http.request.line'] = request;
    }
    const status = Number(m[6]);
    attributes['http.response.status_code'] = m[6]!;
    if (m[7] !== '-') attributes['http.response.body.size'] = m[7]!;
    if (m[8] !== undefined && m[8] !== '-') attributes['http.request.header.referer'] = unescape(m[8]);
    if (m[9] !== undefined && m[9] !== '-') attributes['user_agent.original'] = unescape(m[9]);
    if (m[10] !== undefined && m[10] !== '') attributes['log.extra'] = m[10];
    const out: ParsedFields = { body: line, attributes };
    // nginx's `$time_iso8601` in place of `$time_local` is common in custom formats.
    const tz = ctx?.timeZone ?? 'UTC';
    const time = parseApacheTime(m[4]!, tz) ?? parseIso(m[4]!, tz);
    if (time !== undefined) out.time = time;
    if (byStatus) {
      out.severityText = status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO';
      out.severityNumber = severityNumber(out.severityText);
    }
    return out;
  };
}

export const combinedParser: ParserDefinition<CombinedParserOptions> = {
  name: 'combined',
  description: 'Apache/nginx access logs, combined or common format; method, path, status, size, referer and user agent become attributes.',
  defaults: combinedDefaults,
  configProperties: {
    severity_from_status: { type: 'boolean', description: 'Derive severity from the status code: 5xx ERROR, 4xx WARN, else INFO (default true).' },
  },
  create: createCombinedParser,
};
