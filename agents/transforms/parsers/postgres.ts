/**
 * PostgreSQL writes one report on several lines, each under the same log_line_prefix: the message
 * (`ERROR:  duplicate key ...`), then its parts (`DETAIL:  `, `HINT:  `, `QUERY:  `, `CONTEXT:  `,
 * `LOCATION:  `, `STATEMENT:  `). The multiline assembler joins the parts to their message
 * (multiline.ts); the auto parser drops the repeated prefixes from the joined message (auto.ts). Both
 * know the report by its default prefix, `%m [%p] ` (or `%t [%p] `, `[%p-%l]`, with Debian's
 * `%q%u@%d ` after it): a stamp with its zone, then the pid in brackets.
 */

const PART = /(\S*@\S* )?(?:DETAIL|HINT|QUERY|CONTEXT|LOCATION|STATEMENT): {2}/y;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * The prefix of a line in PostgreSQL's default layout up to and including its pid (`2026-11-24
 * 10:00:00.123 UTC [1234`), which every line of one report repeats; '' for any other line. Looks at
 * fixed places first, so a line of another layout costs a few character reads.
 */
export function postgresHead(text: string): string {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return '';
  // `%m` has milliseconds, `%t` none; a space and the zone's abbreviation or offset follow.
  const i = text.charCodeAt(19) === 46 ? 23 : 19;
  if (text.charCodeAt(i) !== 32) return '';
  let k = i + 1;
  while (k < i + 8 && k < text.length && text.charCodeAt(k) !== 32) k++;
  if (k === i + 1 || text.charCodeAt(k) !== 32 || text.charCodeAt(k + 1) !== 91) return '';
  let e = k + 2;
  while (e < k + 12 && isDigit(text.charCodeAt(e))) e++;
  if (e === k + 2 || (text.charCodeAt(e) !== 93 && text.charCodeAt(e) !== 45)) return '';
  return text.slice(0, e);
}

/** Where the part's keyword starts in `text` when it is a part (DETAIL, HINT, ...) of the report whose lines start with `head`; -1 otherwise. */
export function postgresPart(text: string, head: string): number {
  if (head === '' || !text.startsWith(head)) return -1;
  // `[%p-%l]`: the session's line number counts on from line to line.
  let i = head.length;
  if (text.charCodeAt(i) === 45) while (isDigit(text.charCodeAt(++i)));
  if (text.charCodeAt(i) !== 93 || text.charCodeAt(i + 1) !== 32) return -1;
  PART.lastIndex = i + 2;
  const m = PART.exec(text);
  // The keyword, after Debian's `user@db ` when there is one.
  return m === null ? -1 : i + 2 + (m[1]?.length ?? 0);
}

/** A joined report's message without the prefixes its parts repeated: `msg\nDETAIL:  ...\nSTATEMENT:  ...`. */
export function withoutPartPrefixes(body: string, head: string): string {
  const lines = body.split('\n');
  let changed = false;
  for (let n = 1; n < lines.length; n++) {
    const at = postgresPart(lines[n]!, head);
    if (at > 0) {
      lines[n] = lines[n]!.slice(at);
      changed = true;
    }
  }
  return changed ? lines.join('\n') : body;
}

/**
 * PostgreSQL's csvlog (`log_destination = 'csvlog'`): one report a CSV row, its fields in a fixed order
 * (22 up to PostgreSQL 12, 23 in 13 with backend_type, 26 from 14 with leader_pid and query_id), text
 * fields quoted with `""` for a quote and line breaks kept inside the quotes (the multiline assembler
 * joins a row's lines while a quote is open: `csvOpen`). Named as the text layout names them
 * (`process.pid`, `user.name`, `db.namespace`), the report's parts as `postgresql.*`, its statement as
 * `db.query.text` and its SQLSTATE as `db.response.status_code` (OpenTelemetry's database conventions).
 */
const CSV_NAMES: ReadonlyArray<string | undefined> = [
  undefined, 'user.name', 'db.namespace', 'process.pid', 'client.address', 'postgresql.session_id', 'postgresql.session_line_num',
  'postgresql.command_tag', 'postgresql.session_start', 'postgresql.virtual_transaction_id', 'postgresql.transaction_id', undefined,
  'db.response.status_code', undefined, 'postgresql.detail', 'postgresql.hint', 'postgresql.internal_query', 'postgresql.internal_query_pos',
  'postgresql.context', 'db.query.text', 'postgresql.query_pos', 'postgresql.location', 'postgresql.application_name', 'postgresql.backend_type',
  'postgresql.leader_pid', 'postgresql.query_id',
];
const PG_SEVERITIES = new Set(['DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC']);

/** The fields of a CSV row from `at` (RFC 4180 quoting); undefined when a quote is not closed. */
export function csvFields(text: string, at: number): string[] | undefined {
  const out: string[] = [];
  let i = at;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let v = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return undefined;
        v += text.slice(from, q);
        if (text.charCodeAt(q + 1) !== 34) {
          i = q + 1;
          break;
        }
        v += '"';
        from = q + 2;
      }
      out.push(v);
    } else {
      let e = text.indexOf(',', i);
      if (e === -1) e = text.length;
      out.push(text.slice(i, e));
      i = e;
    }
    if (i >= text.length) return out;
    if (text.charCodeAt(i) !== 44) return undefined;
    i++;
  }
}

/**
 * Where a CSV row's first field ends when it is a stamp ending at `stampEnd`: the comma right after it,
 * or after a blank and a zone's abbreviation or offset (`UTC,`, `+03,`); -1 when no comma is there.
 */
export function csvRowComma(text: string, stampEnd: number): number {
  if (text.charCodeAt(stampEnd) === 44) return stampEnd;
  if (text.charCodeAt(stampEnd) !== 32) return -1;
  const at = stampEnd + 1;
  let i = at;
  for (let c = text.charCodeAt(i); i < at + 6 && ((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45); c = text.charCodeAt(++i));
  return i > at && text.charCodeAt(i) === 44 ? i : -1;
}

/** Whether a csvlog row's first line leaves a quote open (its text goes on on the next line). */
export function csvOpen(text: string): boolean {
  let quotes = 0;
  for (let q = text.indexOf('"'); q !== -1; q = text.indexOf('"', q + 1)) quotes++;
  return (quotes & 1) === 1;
}

/** A csvlog row after its stamp (`comma` is the index of the comma after it) as fields; null when it is not one. */
export function postgresCsv(text: string, comma: number): { severity: string; message: string; attributes: Record<string, string> } | null {
  const fields = csvFields(text, comma + 1);
  // Without the stamp: 21 fields up to PostgreSQL 12, 22 in 13, 25 from 14.
  if (fields === undefined || fields.length < 21 || fields.length > 25) return null;
  const severity = fields[10]!;
  if (!PG_SEVERITIES.has(severity) || !/^[0-9A-Z]{5}$/.test(fields[11]!) || !/^\d+$/.test(fields[2]!)) return null;
  const attributes: Record<string, string> = {};
  for (let k = 0; k < fields.length; k++) {
    const name = CSV_NAMES[k + 1];
    const v = fields[k]!;
    // Zeros of fields PostgreSQL fills when there is nothing to say (no transaction, no query id).
    if (name !== undefined && v !== '' && !(v === '0' && (name === 'postgresql.transaction_id' || name === 'postgresql.query_id'))) attributes[name] = v;
  }
  // `host:port` over TCP (`[local]` over a Unix socket): the port apart, as OpenTelemetry names them.
  const from = attributes['client.address'];
  const colon = from === undefined ? -1 : from.indexOf(':');
  if (colon > 0 && colon === from!.lastIndexOf(':') && /^\d{1,5}$/.test(from!.slice(colon + 1))) {
    attributes['client.address'] = from!.slice(0, colon);
    attributes['client.port'] = from!.slice(colon + 1);
  }
  return { severity, message: fields[12]!, attributes };
}
