/**
 * The general query log of MariaDB and MySQL (`general_log_file`): every command a client sent, one
 * entry each, a statement of several lines on several lines (the multiline assembler joins them:
 * `generalLogStart`):
 *
 *   /usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:
 *   Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
 *   Time                Id Command    Argument
 *   261207 22:14:18      3 Connect   root@localhost on shop using Socket          MariaDB: yymmdd and the server's clock,
 *                        3 Query     SELECT id,                                  written only when the second changes
 *          amount FROM orders
 *   2026-12-07T22:14:18.123456Z      8 Query     SELECT 1                         MySQL 5.7+: every entry, its zone said
 *
 * (the gaps are tabs). The argument is the body (the statement, the user of a Connect, the schema of an
 * Init DB; the command itself when it has none, as `Quit`); the connection's id is `thread.id` as in the error log, the command `mysql.command`
 * (`Query`, `Connect`, `Init DB`, `Prepare`, `Execute`, `Quit`, ...). A refused login (`Connect` with
 * `Access denied for user ...`) is WARN, the rest INFO. MariaDB's time is read in the source's time
 * zone; an entry MariaDB wrote without one (same second as the entry before) has none of its own: the
 * record builder gives it the time of the last stamped entry of its file (`timeCarried`), when it built
 * that one too, else the time it was read. The header a server writes when it starts is three lines of
 * its own.
 */
import { readTime } from '../timestamp.ts';
import { mariadbTime } from './slow-log.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/**
 * An entry's first line: MariaDB's stamp or MySQL's ISO one (or neither: then at least one tab), the
 * connection id (right-aligned), the command (one or two words), a tab and the argument.
 */
const ENTRY = /^(?:(\d{6} [ \d]\d:\d\d:\d\d)|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d)))?\t+ *(\d+) ([A-Z][a-z]*(?: [A-Za-z]+)?)\t/;

/** Whether `text` opens a general-log entry (any other line under one continues its statement). */
export function generalLogStart(text: string): boolean {
  // A tab where an entry has one: first (no time), after MariaDB's stamp (15 characters), or after
  // MySQL's, which has microseconds and `Z` (27) or an offset (32). Nothing else needs the expression:
  // this runs on every record's first line.
  return (text.charCodeAt(0) === 9 || text.charCodeAt(15) === 9 || text.charCodeAt(27) === 9 || text.charCodeAt(32) === 9) && ENTRY.test(text);
}

/** The three lines a server writes at the top of its general log when it starts. */
const HEADER = /^(?:\S.*, Version: .* started with:|Tcp port: \d+ +Unix socket: .*|Time\t+ *Id Command\t+Argument)$/;

/** Whether `text` is one of the lines a server writes when it starts (they end the entry before them). */
export function generalLogHeader(text: string): boolean {
  return HEADER.test(text);
}

/** A general-log entry (its lines joined by `\n`); null when `text` is not one. */
export function generalLogEntry(text: string, ctx: ParseContext): ParsedFields | null {
  const m = ENTRY.exec(text);
  if (m === null) return null;
  const command = m[4]!;
  // A command without an argument (`Quit`) is its own message.
  const body = text.length > m[0].length ? text.slice(m[0].length) : command;
  const r: ParsedFields = { body, attributes: { 'thread.id': m[3]!, 'mysql.command': command } };
  const denied = command === 'Connect' && body.startsWith('Access denied');
  r.severityText = denied ? 'WARN' : 'INFO';
  r.severityNumber = denied ? 13 : 9;
  if (m[1] !== undefined) {
    const t = mariadbTime(m[1], ctx);
    if (t !== undefined) {
      r.time = t;
      r.timeCarried = 'set';
    }
  } else if (m[2] !== undefined) {
    const t = readTime(m[2], 0, 'UTC', ctx.now);
    if (t !== undefined) r.time = t.time;
  } else r.timeCarried = 'take';
  return r;
}
