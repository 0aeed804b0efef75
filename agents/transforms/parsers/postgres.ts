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
