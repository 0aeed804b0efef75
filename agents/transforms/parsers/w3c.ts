/**
 * Logs whose columns a header names: the W3C Extended Log File Format (www.w3.org/TR/WD-logfile) as IIS
 * writes it (`#Software:`, `#Version:`, `#Date:`, `#Fields: date time s-ip cs-method ...`, values
 * separated by spaces) and Amazon CloudFront's standard logs (the same directives, values separated by
 * tabs), and Zeek's TSV logs (`#separator \x09`, `#path conn`, `#fields ts uid id.orig_h ...`,
 * `#unset_field -`, `#empty_field (empty)`).
 *
 * A line of such a file means nothing without the directives above it, so the header travels with the
 * lines: the file source keeps each file's (and looks for it again in the file's head when it starts
 * mid-file from a checkpoint), a batch carries the header in force at its first line, and the record
 * thread follows directive lines within the batch (`nextHeader`). The parser gets it in its context.
 *
 * Columns map to OpenTelemetry's names where it has one (`client.address`, `http.request.method`,
 * `url.path`, `http.response.status_code`, `user_agent.original`, `source.address`, ...); the others keep
 * their own names under `w3c.` or `zeek.`. W3C's `date` and `time` are UTC (the format says so); Zeek's
 * `ts` is epoch seconds. A line whose value count does not match the header is not read this way.
 */
import { setSeverity, statusSeverity } from './access.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** W3C's directives (the format's and IIS's `#Remark`) and Zeek's, as they start a line. */
const W3C_DIRECTIVE = /^#(Version|Fields|Software|Start-Date|End-Date|Date|Remark):/;
const ZEEK_DIRECTIVE = /^#(separator|set_separator|empty_field|unset_field|path|open|close|fields|types)[\t ]/;

/**
 * The header after a line: `header` itself for a directive that does not change how lines read
 * (`#Software:`, `#open`), a new one for one that does, and undefined when the line is no directive.
 * A header is its directive lines, joined by line feeds: one string, cheap to send to a record thread.
 */
export function nextHeader(header: string, line: string): string | undefined {
  if (line.charCodeAt(0) !== 35 /* # */) return undefined;
  const w = W3C_DIRECTIVE.exec(line);
  if (w) return w[1] === 'Fields' ? line : header;
  const z = ZEEK_DIRECTIVE.exec(line);
  if (!z) return undefined;
  const name = z[1]!;
  if (name === 'open' || name === 'close') return header;
  // `#separator` opens a Zeek header; the other directives replace their own line in it.
  if (name === 'separator' || !header.startsWith('#separator')) return name === 'separator' ? line : header;
  const kept = header.split('\n').filter((l) => !l.startsWith(`#${name}`));
  kept.push(line);
  return kept.join('\n');
}

interface Header {
  zeek: boolean;
  fields: string[];
  /** Zeek's separator (W3C's is a space, or a tab in CloudFront's lines: told per line). */
  separator: string;
  unset: string;
  empty: string;
  path?: string;
}

const headers = new Map<string, Header | null>();

/** A header string read once (a file has few; a handful of files at once at most). */
function readHeader(text: string): Header | null {
  let h = headers.get(text);
  if (h !== undefined) return h;
  h = null;
  if (text.startsWith('#Fields:')) {
    const fields = text.slice(8).trim().split(/\s+/);
    // A line is read by a header only when its stamp columns read too: a `#Fields:` line in some other
    // log cannot take over the lines after it.
    if (fields.includes('date') && fields.includes('time')) h = { zeek: false, fields, separator: ' ', unset: '-', empty: '' };
  } else if (text.startsWith('#separator')) {
    const lines = text.split('\n');
    const sep = lines[0]!.slice(11).trim().replace(/\\x([0-9a-fA-F]{2})/g, (_, x: string) => String.fromCharCode(parseInt(x, 16)));
    const value = (name: string) => {
      const l = lines.find((x) => x.startsWith(`#${name}${sep}`));
      return l === undefined ? undefined : l.slice(name.length + 1 + sep.length);
    };
    const fields = value('fields')?.split(sep);
    if (sep.length > 0 && fields?.includes('ts')) h = { zeek: true, fields, separator: sep, unset: value('unset_field') ?? '-', empty: value('empty_field') ?? '(empty)', path: value('path') };
  }
  if (headers.size >= 64) headers.clear();
  headers.set(text, h);
  return h;
}

/** W3C's field names that OpenTelemetry has names for (IIS's and CloudFront's columns). */
const W3C_NAMES: Record<string, string> = {
  'c-ip': 'client.address',
  'c-port': 'client.port',
  's-ip': 'server.address',
  's-port': 'server.port',
  'cs-method': 'http.request.method',
  'cs-uri-stem': 'url.path',
  'cs-uri-query': 'url.query',
  'cs-username': 'user.name',
  'cs(User-Agent)': 'user_agent.original',
  'cs(Referer)': 'http.request.header.referer',
  'cs(Host)': 'http.request.header.host',
  'cs-host': 'http.request.header.host',
  'sc-status': 'http.response.status_code',
  'sc-bytes': 'http.response.size',
  'cs-bytes': 'http.request.size',
  'cs-protocol': 'url.scheme',
  's-computername': 'host.name',
};

/** Zeek's columns that OpenTelemetry has names for (conn, http, dns and the other logs' connection id). */
const ZEEK_NAMES: Record<string, string> = {
  'id.orig_h': 'source.address',
  'id.orig_p': 'source.port',
  'id.resp_h': 'destination.address',
  'id.resp_p': 'destination.port',
  proto: 'network.transport',
  method: 'http.request.method',
  user_agent: 'user_agent.original',
  status_code: 'http.response.status_code',
  query: 'dns.question.name',
};

/** A line of a file with a W3C or Zeek header, or null when it does not fit the header (or is a directive). */
export function w3cLine(line: string, headerText: string, _ctx: ParseContext): ParsedFields | null {
  if (line.charCodeAt(0) === 35 /* # */) return null;
  const h = readHeader(headerText);
  if (h === null) return null;
  const sep = h.zeek ? h.separator : line.includes('\t') ? '\t' : ' ';
  const values = line.split(sep);
  if (values.length !== h.fields.length) return null;
  const a: Record<string, string> = {};
  const out: ParsedFields = { body: line, attributes: a };
  let date: string | undefined;
  let clock: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const name = h.fields[i]!;
    let v = values[i]!;
    if (v === h.unset || v === h.empty || v === '') continue;
    if (h.zeek) {
      if (name === 'ts') {
        const t = Number(v);
        if (!Number.isFinite(t)) return null;
        out.time = t * 1000;
        continue;
      }
      a[ZEEK_NAMES[name] ?? `zeek.${name}`] = v;
      continue;
    }
    if (name === 'date') date = v;
    else if (name === 'time') clock = v;
    else {
      // IIS writes a value's spaces as `+` (its lines are split at spaces).
      if (sep === ' ' && (name === 'cs(User-Agent)' || name === 'cs(Referer)' || name === 'cs-username')) v = v.replace(/\+/g, ' ');
      if (name === 'cs-version') a['network.protocol.version'] = v.startsWith('HTTP/') ? v.slice(5) : v;
      else a[W3C_NAMES[name] ?? `w3c.${name}`] = v;
    }
  }
  if (h.zeek) {
    if (h.path !== undefined) a['zeek.path'] = h.path;
    return out;
  }
  if (date !== undefined && clock !== undefined) {
    const t = Date.parse(`${date}T${clock}Z`);
    if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
    // Date.parse keeps milliseconds; a clock with more digits keeps them as a fraction.
    const frac = /\.(\d{4,9})$/.exec(clock);
    out.time = frac ? Math.floor(t / 1000) * 1000 + Number(`0.${frac[1]}`) * 1000 : t;
  }
  const status = a['http.response.status_code'];
  if (status !== undefined && /^\d{3}$/.test(status)) setSeverity(out, statusSeverity(+status));
  return out;
}
