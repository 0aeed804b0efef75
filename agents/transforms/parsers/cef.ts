/**
 * Security devices' event formats, mostly sent inside syslog: ArcSight's Common Event Format
 * (`CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|src=10.0.0.1 act=blocked`) and IBM
 * QRadar's LEEF (`LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value`; 2.0 names its
 * delimiter in a sixth header field). Read as their specifications define them: `\|` and `\\` escaped
 * in CEF's header, `\=`, `\\`, `\n` and `\r` in its extension, whose values may hold blanks (a value
 * runs to the blank before the next `key=`).
 *
 * The event's name (LEEF: its event id) is the body, which is what the pattern miner reads; the header
 * fields are `cef.*`/`leef.*` attributes and the extension's keys are attributes as written (`src`,
 * `dpt`, `cs1Label`). CEF's severity (0-10 or Low, Medium, High, Very-High) gives the level: 0-3 INFO,
 * 4-6 WARN, 7-8 ERROR, 9-10 FATAL, as ArcSight groups them (LEEF's `sev` key, 1-10, the same). A time in the extension (`rt`, else
 * `end`, `start`, LEEF's `devTime`: epoch ms or `MMM dd yyyy HH:mm:ss[.SSS] [zone]`, a time without a
 * zone in the source's) is the record's when the line carries no other.
 */
import { setOwn } from './fields.ts';
import { parseTimestamp } from '../timestamp.ts';
import type { ParsedFields } from './types.ts';

/** Whether `text` starts as a CEF or LEEF event does (`CEF:0|`, `LEEF:1.0|`, `LEEF:2.0|`). */
export function isSecurityEvent(text: string, at = 0): boolean {
  const c = text.charCodeAt(at);
  if (c === 67 /* C */) return text.startsWith('CEF:', at) && /^\d+\|/.test(text.slice(at + 4, at + 8));
  if (c === 76 /* L */) return text.startsWith('LEEF:', at) && /^\d\.\d\|/.test(text.slice(at + 5, at + 10));
  return false;
}

const SEVERITY_WORDS: Record<string, [string, number]> = {
  low: ['LOW', 9], medium: ['MEDIUM', 13], high: ['HIGH', 17], 'very-high': ['VERY-HIGH', 21], 'very high': ['VERY-HIGH', 21],
};

function cefSeverity(raw: string): [string, number] | undefined {
  const t = raw.trim();
  if (/^\d{1,2}$/.test(t)) {
    const n = +t;
    if (n > 10) return undefined;
    return n <= 3 ? ['LOW', 9] : n <= 6 ? ['MEDIUM', 13] : n <= 8 ? ['HIGH', 17] : ['VERY-HIGH', 21];
  }
  return SEVERITY_WORDS[t.toLowerCase()];
}

/** The header's fields split at unescaped `|` (`count` of them, then the rest), unescaped; undefined when there are fewer. */
function headerFields(text: string, from: number, count: number): { fields: string[]; rest: number } | undefined {
  const fields: string[] = [];
  let cur = '';
  let i = from;
  for (; i < text.length && fields.length < count; i++) {
    const ch = text[i]!;
    if (ch === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) {
      cur += text[i + 1];
      i++;
    } else if (ch === '|') {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  return fields.length === count ? { fields, rest: i } : undefined;
}

// A key of the extension: letters, digits and `_.[]-` (ArcSight's `ad.` and custom labels), after a
// blank or at the start, before an `=` that no backslash escapes.
const EXT_KEY = /(?:^|\s)([A-Za-z0-9_.[\]-]+)=/g;

function unescapeExtension(v: string): string {
  return v.indexOf('\\') === -1 ? v : v.replace(/\\([=\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** CEF's extension as pairs: each value runs to the blank before the next key. */
function cefExtension(ext: string, into: Record<string, string>): void {
  const keys: Array<{ key: string; start: number; value: number }> = [];
  EXT_KEY.lastIndex = 0;
  for (let m = EXT_KEY.exec(ext); m !== null; m = EXT_KEY.exec(ext)) {
    keys.push({ key: m[1]!, start: m.index, value: m.index + m[0].length });
  }
  for (let k = 0; k < keys.length; k++) {
    const end = k + 1 < keys.length ? keys[k + 1]!.start : ext.length;
    setOwn(into, keys[k]!.key, unescapeExtension(ext.slice(keys[k]!.value, end).trim()));
  }
}

/** LEEF's attributes: `key=value` split at its delimiter (a tab unless the header names another). */
function leefAttributes(text: string, delimiter: string, into: Record<string, string>): void {
  for (const pair of text.split(delimiter)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    setOwn(into, pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
}

/** LEEF 2.0's delimiter field: one character, or its code as `x5E`/`0x5E`; a tab when empty. */
function leefDelimiter(field: string): string | undefined {
  if (field === '') return '\t';
  if (field.length === 1) return field;
  const hex = /^(?:0?x)([0-9a-fA-F]{1,4})$/.exec(field);
  return hex ? String.fromCharCode(parseInt(hex[1]!, 16)) : undefined;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
// CEF's own date form: `MMM dd yyyy HH:mm:ss[.SSS] [zone]` (a zone of UTC, GMT or an offset).
const CEF_DATE = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?: (UTC|GMT|Z|[+-]\d{2}:?\d{2}))?$/;

function cefDate(v: string, timeZone: string): number | undefined {
  const m = CEF_DATE.exec(v);
  if (m === null) return parseTimestamp(v, { timeZone });
  const month = MONTHS.indexOf(m[1]!) / 3;
  if (!Number.isInteger(month)) return undefined;
  const wall = Date.UTC(+m[3]!, month, +m[2]!, +m[4]!, +m[5]!, +m[6]!, +(m[7] ?? '0').padEnd(3, '0'));
  const zone = m[8];
  if (zone === undefined) return parseTimestamp(`${m[3]}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '0').padEnd(3, '0')}`, { timeZone });
  if (zone === 'UTC' || zone === 'GMT' || zone === 'Z') return wall;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.replace(':', '');
  return wall - sign * (+digits.slice(1, 3) * 60 + +digits.slice(3, 5)) * 60_000;
}

function timeFromExtension(r: ParsedFields, keys: readonly string[], timeZone: string): void {
  if (r.time !== undefined) return;
  for (const k of keys) {
    const v = r.attributes[k];
    if (v === undefined) continue;
    const t = /^\d{12,13}$/.test(v) ? +v : cefDate(v, timeZone);
    if (t !== undefined && Number.isFinite(t)) {
      r.time = t;
      return;
    }
  }
}

/**
 * Reads the CEF or LEEF event at `text` (which `isSecurityEvent` accepted) into `r`: body, level,
 * header and extension attributes, and a time when `r` has none. False (and `r` untouched) when the
 * header is incomplete: the text stays the body.
 */
export function securityEventInto(text: string, r: ParsedFields, timeZone = 'UTC'): boolean {
  if (text.charCodeAt(0) === 67 /* C */) {
    const h = headerFields(text, 4, 7);
    if (!h) return false;
    // Version, vendor, product, device version, signature id, name, severity.
    r.body = h.fields[5]!.trim();
    nameHeader(r.attributes, CEF_HEADER, h.fields);
    setLevel(r, h.fields[6]!);
    cefExtension(text.slice(h.rest), r.attributes);
    timeFromExtension(r, ['rt', 'end', 'start'], timeZone);
    return true;
  }
  const version = text.slice(5, text.indexOf('|', 5));
  const h = headerFields(text, 5 + version.length + 1, version === '1.0' ? 4 : 5);
  if (!h) return false;
  // Vendor, product, product version, event id, and 2.0's delimiter.
  const delimiter = h.fields[4] === undefined ? '\t' : leefDelimiter(h.fields[4]);
  if (delimiter === undefined) return false;
  r.body = h.fields[3]!.trim();
  setOwn(r.attributes, 'leef.version', version);
  nameHeader(r.attributes, LEEF_HEADER, h.fields);
  leefAttributes(text.slice(h.rest), delimiter, r.attributes);
  // LEEF's own severity key, 1-10 as CEF's.
  if (r.attributes.sev !== undefined) setLevel(r, r.attributes.sev);
  timeFromExtension(r, ['devTime'], timeZone);
  return true;
}

// The header fields' attribute names, in header order (undefined: the field is the body, not an attribute).
const CEF_HEADER = ['cef.version', 'cef.device_vendor', 'cef.device_product', 'cef.device_version', 'cef.signature_id', undefined, 'cef.severity'];
const LEEF_HEADER = ['leef.vendor', 'leef.product', 'leef.product_version', 'leef.event_id'];

function nameHeader(attrs: Record<string, string>, names: ReadonlyArray<string | undefined>, fields: readonly string[]): void {
  names.forEach((name, i) => {
    if (name !== undefined) setOwn(attrs, name, fields[i]!);
  });
}

function setLevel(r: ParsedFields, raw: string): void {
  const level = cefSeverity(raw);
  if (level === undefined) return;
  r.severityText = level[0];
  r.severityNumber = level[1];
}
