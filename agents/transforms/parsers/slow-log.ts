/**
 * The slow query log of MySQL, MariaDB and Percona Server: one entry a slow statement, on several
 * lines (the multiline assembler joins them: `slowLogStart`, `slowLogContinues`):
 *
 *   # Time: 261206 22:38:33                                   MariaDB (`2026-12-06T22:38:33.123456Z` in MySQL 5.7+)
 *   # User@Host: root[root] @ localhost []                    (MySQL adds `  Id:    12`)
 *   # Thread_id: 5  Schema: shop  QC_hit: No
 *   # Query_time: 0.600740  Lock_time: 0.000157  Rows_sent: 0  Rows_examined: 2
 *   use `shop`;
 *   SET timestamp=1796596713;
 *   select id, amount from orders where amount > 5;
 *
 * The statement is the body; the time MySQL's `# Time:` with its zone, else `SET timestamp` (epoch
 * seconds), else a `# Time:` without a zone (MariaDB's, the server's clock) read in the source's zone; the user and the client as
 * `user.name` and `client.address`, the schema as `db.namespace`, every other `Name: value` of the
 * header as `mysql.<name>` in lower case (`mysql.query_time`, `mysql.rows_examined`, Percona's and
 * MariaDB's extra fields alike). An entry within the same second as the one before has no `# Time:`
 * line. Every entry is a statement the server found slow (over long_query_time, or using no index):
 * WARN.
 */
import { readTime } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const TIME = '# Time: ';
const USER_HOST = '# User@Host: ';
const WHO = /^# User@Host: ([^[\s]*)\[([^\]]*)\] @ (\S*) \[([^\]]*)\](?:\s+Id:\s+(\d+))?/;
const PAIR = /([A-Za-z][\w]*): *(\S*)/g;
const MARIADB_TIME = /^(\d{2})(\d{2})(\d{2}) +(\d{1,2}):(\d{2}):(\d{2})$/;
const SET_TIMESTAMP = /^SET timestamp=(\d{1,12});$/;
const USE = /^use `?([^`;]+)`?;$/;

/** Whether a line opens a slow-log entry. */
export function slowLogStart(text: string): boolean {
  return text.charCodeAt(0) === 35 && (text.startsWith(TIME) || text.startsWith(USER_HOST));
}

/** Whether `text` goes on with the pending entry whose last line is `previous`: anything but the next entry's first line. */
export function slowLogContinues(text: string, previous: string): boolean {
  if (text.charCodeAt(0) !== 35) return true;
  if (text.startsWith(TIME)) return false;
  // `# User@Host:` opens an entry of its own unless it comes under that entry's `# Time:`.
  return !(text.startsWith(USER_HOST) && !previous.startsWith(TIME));
}

/** MariaDB's `yymmdd hh:mm:ss` (the hour space-padded), the server's clock, in the source's zone; undefined when `value` is not one. The general query log writes it too (general-log.ts). */
export function mariadbTime(value: string, ctx: ParseContext): number | undefined {
  const m = MARIADB_TIME.exec(value);
  if (m === null) return undefined;
  return readTime(`20${m[1]}-${m[2]}-${m[3]} ${m[4]!.padStart(2, '0')}:${m[5]}:${m[6]}`, 0, ctx.timeZone ?? 'UTC', ctx.now)?.time;
}

function timeOf(value: string, ctx: ParseContext): number | undefined {
  return MARIADB_TIME.test(value) ? mariadbTime(value, ctx) : readTime(value, 0, ctx.timeZone ?? 'UTC', ctx.now)?.time;
}

/** A slow-log entry (its lines joined by `\n`); null when `text` is not one. */
export function slowLogEntry(text: string, ctx: ParseContext): ParsedFields | null {
  if (!slowLogStart(text)) return null;
  const r: ParsedFields = { body: '', attributes: {}, severityText: 'WARN' };
  const statement: string[] = [];
  let header = true;
  let zoned = false;
  for (const line of text.split('\n')) {
    if (header && line.charCodeAt(0) === 35) {
      if (line.startsWith(TIME)) {
        const value = line.slice(TIME.length).trim();
        const t = timeOf(value, ctx);
        if (t !== undefined) {
          r.time = t;
          // MySQL's own (`2026-12-06T22:38:33.123456Z`, log_timestamps): exact, and finer than SET timestamp's seconds.
          zoned = /(?:Z|[+-]\d\d:?\d\d)$/.test(value);
        }
      } else if (line.startsWith(USER_HOST)) {
        const m = WHO.exec(line);
        if (m === null) return null;
        const user = m[2] || m[1];
        if (user) r.attributes['user.name'] = user;
        const client = m[4] || m[3];
        if (client) r.attributes['client.address'] = client;
        if (m[5] !== undefined) r.attributes['mysql.thread_id'] = m[5];
      } else {
        for (const p of line.slice(2).matchAll(PAIR)) {
          const name = p[1]!.toLowerCase();
          r.attributes[name === 'schema' ? 'db.namespace' : name === 'id' ? 'mysql.thread_id' : `mysql.${name}`] = p[2]!;
        }
      }
      continue;
    }
    header = false;
    const set = SET_TIMESTAMP.exec(line);
    if (set !== null) {
      // The epoch second the statement started: exact where MariaDB's `# Time:` is the server's local clock.
      if (!zoned) r.time = +set[1]! * 1000;
      continue;
    }
    const use = statement.length === 0 ? USE.exec(line) : null;
    if (use !== null) {
      if (r.attributes['db.namespace'] === undefined || r.attributes['db.namespace'] === '') r.attributes['db.namespace'] = use[1]!;
      continue;
    }
    statement.push(line);
  }
  if (r.attributes['db.namespace'] === '') delete r.attributes['db.namespace'];
  r.body = statement.join('\n').trim();
  // Header lines alone (multiline assembly switched off): the text itself, not an empty message.
  if (r.body === '') r.body = text;
  return r;
}
