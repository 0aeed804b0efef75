/**
 * Web server access lines in the NCSA common and combined formats (Apache, nginx) in, ParsedFields out,
 * with Apache's `vhost_combined` (the virtual host and port first: Debian's other_vhosts_access.log).
 * Attributes use OpenTelemetry semantic-convention names; the body is the whole line.
 */
import { parseApacheTime, parseIso } from '../timestamp.ts';
import { addRequestLine, ingressNginx, setSeverity, statusSeverity } from './access.ts';
import type { LineParser, ParsedFields, ParserDefinition } from './types.ts';

export interface CombinedParserOptions {
  /** Severity from the status code: 5xx ERROR, 4xx WARN, others INFO. */
  severityFromStatus: boolean;
}

export const combinedDefaults: CombinedParserOptions = { severityFromStatus: true };

// [vhost:port] host ident authuser [date] "request" status bytes ["referer" "user-agent"] [anything nginx appends]
// Quoted fields use the unrolled form [^"\\]*(?:\\.[^"\\]*)*: the same language as (?:[^"\\]|\\.)*, twice as fast.
const LINE = /^(?:(\S+?):(\d{1,5}) (?=\S+ \S+ \S+ \[))?(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"\\]*(?:\\.[^"\\]*)*)" (\d{3}) (\d+|-)(?: "([^"\\]*(?:\\.[^"\\]*)*)" "([^"\\]*(?:\\.[^"\\]*)*)")?(?: (.*))?$/;

function unescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_, hex: string | undefined, c: string | undefined) => hex ? String.fromCharCode(parseInt(hex, 16)) : c!) : s;
}

export function createCombinedParser(options: Partial<CombinedParserOptions> = {}): LineParser {
  const byStatus = options.severityFromStatus ?? combinedDefaults.severityFromStatus;
  return (line, ctx) => {
    const m = LINE.exec(line);
    if (m === null) return null;
    const attributes: Record<string, string> = {};
    if (m[1] !== undefined) {
      attributes['server.address'] = m[1];
      attributes['server.port'] = m[2]!;
    }
    if (m[3] !== '-') attributes['client.address'] = m[3]!;
    if (m[5] !== '-') attributes['user.name'] = m[5]!;
    addRequestLine(attributes, unescape(m[7]!));
    const status = Number(m[8]);
    attributes['http.response.status_code'] = m[8]!;
    if (m[9] !== '-') attributes['http.response.body.size'] = m[9]!;
    if (m[10] !== undefined && m[10] !== '-') attributes['http.request.header.referer'] = unescape(m[10]);
    if (m[11] !== undefined && m[11] !== '-') attributes['user_agent.original'] = unescape(m[11]);
    // What a format appends: ingress-nginx's upstream fields read, anything else kept as it is.
    if (m[12] !== undefined && m[12] !== '' && !ingressNginx(m[12], attributes)) attributes['log.extra'] = m[12];
    const out: ParsedFields = { body: line, attributes };
    // nginx's `$time_iso8601` in place of `$time_local` is common in custom formats.
    const tz = ctx?.timeZone ?? 'UTC';
    const time = parseApacheTime(m[6]!, tz) ?? parseIso(m[6]!, tz);
    if (time !== undefined) out.time = time;
    if (byStatus) setSeverity(out, statusSeverity(status));
    return out;
  };
}

export const combinedParser: ParserDefinition<CombinedParserOptions> = {
  name: 'combined',
  description: 'Apache/nginx access logs, combined or common format (and Apache\'s vhost_combined); method, path, status, size, referer and user agent become attributes.',
  defaults: combinedDefaults,
  configProperties: {
    severity_from_status: { type: 'boolean', description: 'Derive severity from the status code: 5xx ERROR, 4xx WARN, else INFO (default true).' },
  },
  create: createCombinedParser,
};
