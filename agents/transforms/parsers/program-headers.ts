/**
 * Particular programs' header fields that the general header scan (header.ts) meets on its way and
 * hands here: log4net's numbered threads, Telegraf's level letters, cloud-init's `file.py[LEVEL]:`,
 * Icinga 2's `level/Facility:`, BIND's `category: severity:`, Salt's `[logger :line]`, Solr's MDC. Each
 * returns false (or -1) and leaves the state alone when the line is not its program's.
 */
import { addExtra, bracketEnd, integerIn, isDotted, levelWord, levelWordIn, LOWER, setLevel, skipWs, tokenEnd, UPPER, type HeaderState } from './header.ts';

const TELEGRAF_LEVELS = 'EWIDT';
/** A BIND logging category with its colon (`general:`, `query-errors:`, `xfer-out:`). */
const BIND_CATEGORY = /^[a-z][a-z-]{1,30}:$/;
/** A BIND severity and its colon after the category (`info: `, `debug 3: `). */
const BIND_SEVERITY = /(critical|error|warning|notice|info|debug)(?: \d{1,2})?: /y;
/** A source file's name as a logger's layout prints it (`util.py`, `Main.java`, `server.go`). */
const SOURCE_FILE = /^[\w.-]+\.(?:py|java|go|rb|js|ts|php|rs|c|cc|cpp|cs|kt|scala|ex|exs|erl|pl|lua|swift)$/;
/** Salt's `[%(name)-17s:%(lineno)-4d]`: a logger padded to its column, a colon, the line (padded too). */
const NAME_PADDED_LINE = /^([A-Za-z_][\w.$-]*) *:(\d{1,6}) *$/;
const SOLR_MDC: Readonly<Record<string, string>> = { 'c:': 'solr.collection', 's:': 'solr.shard', 'r:': 'solr.replica', 'x:': 'solr.core' };

/**
 * log4net's `%date [%thread] %-5level %logger` (its documented layouts, and log4j's with a .NET port's
 * numbered threads): `[12] INFO  MyApp.Data.Repository`. A .NET thread is a number, which the header
 * scan would take for a pid; before an upper-case level and a class's dotted name it is the thread's
 * id. gunicorn's `[1234] [INFO]`, PostgreSQL's `[1234] LOG:` and a Python module's lower-case logger
 * (`[1234] INFO app.orders`) keep their pid.
 */
export function numberedThread(s: HeaderState, j: number, e: number): boolean {
  const { line } = s;
  if (!integerIn(line, j + 1, e)) return false;
  const a = skipWs(line, e + 1);
  const ae = tokenEnd(s, a);
  if (a === e + 1 || levelWordIn(line, a, ae) === undefined) return false;
  const b = skipWs(line, ae);
  const be = tokenEnd(s, b);
  const name = line.slice(b, be);
  if (b === ae || !isDotted(name) || !UPPER(name.charCodeAt(name.lastIndexOf('.') + 1))) return false;
  s.out.attributes['thread.id'] = line.slice(j + 1, e);
  s.thread = true;
  return true;
}

/** Telegraf's level letter at `j` (`E!`) and its plugin in brackets after it as the logger; true when read. */
export function telegrafLevel(s: HeaderState, j: number, e: number): boolean {
  const { line } = s;
  if (TELEGRAF_LEVELS.indexOf(line[j]!) === -1) return false;
  setLevel(s, line[j]!);
  s.i = e;
  // Its plugin or component in brackets (`[outputs.influxdb]`, `[agent]`) is the logger.
  if (line.charCodeAt(e) === 32 && line.charCodeAt(e + 1) === 91) {
    const be = bracketEnd(line, e + 1);
    if (be > 0 && line.slice(e + 2, be).indexOf(' ') === -1) {
      s.out.attributes['log.logger'] = line.slice(e + 2, be);
      s.logger = true;
      s.i = be + 1;
    }
  }
  return true;
}

/**
 * A token ending in its only colon, before any level, read as a name with a level: cloud-init's
 * `util.py[DEBUG]:`, Icinga 2's `information/ConfigItem:`, BIND's `general:` before its `notice:`
 * (`nextC`, `nextAt`: the next token). Where the message starts, or -1.
 */
export function levelBeforeColon(s: HeaderState, token: string, cut: number, e: number, nextC: number, nextAt: number): number {
  if (cut > 0) return token.charCodeAt(token.length - 2) === 93 && nameWithLevel(s, token, cut, token.length - 1) ? e : -1;
  if (!s.hasTime) return -1;
  if (levelSlashFacility(s, token, token.length - 1)) return e;
  return nextC !== -1 && LOWER(nextC) ? categoryLevel(s, token, nextAt) : -1;
}

/** `information/ConfigItem:` (Icinga 2): a level word (lower case counts), a slash and the facility as the logger. */
function levelSlashFacility(s: HeaderState, token: string, colon: number): boolean {
  const slash = token.indexOf('/');
  if (slash < 3 || slash > 11 || colon - slash < 2) return false;
  const lv = levelWord(token.slice(0, slash), true);
  if (lv === undefined) return false;
  setLevel(s, lv);
  s.out.attributes['log.logger'] = token.slice(slash + 1, colon);
  s.logger = true;
  return true;
}

/** BIND's `category: severity: ` (`queries: info: `, `resolver: debug 3: `) from the category `token`, the severity at `at`; where the message starts, or -1. */
function categoryLevel(s: HeaderState, token: string, at: number): number {
  if (!BIND_CATEGORY.test(token)) return -1;
  BIND_SEVERITY.lastIndex = at;
  const m = BIND_SEVERITY.exec(s.line);
  const lv = m ? levelWord(m[1]!, true) : undefined;
  if (lv === undefined) return -1;
  setLevel(s, lv);
  s.out.attributes['log.logger'] = token.slice(0, -1);
  s.logger = true;
  return BIND_SEVERITY.lastIndex;
}

/** Salt's `[salt.minion      :1234][INFO    ]`: a logger padded to its column and the line of the call, right before the level's bracket. */
export function saltName(s: HeaderState, j: number, e: number): boolean {
  const m = NAME_PADDED_LINE.exec(s.line.slice(j + 1, e));
  if (!m) return false;
  const close = s.line.indexOf(']', e + 2);
  if (close === -1 || levelWord(s.line.slice(e + 2, close).trim(), false) === undefined) return false;
  s.out.attributes['log.logger'] = m[1]!;
  s.out.attributes['code.line.number'] = m[2]!;
  s.logger = true;
  return true;
}

/** `util.py[DEBUG]:` (cloud-init's layout): the level in brackets; the name before it a code file (`code.file.path`) or a logger. */
function nameWithLevel(s: HeaderState, token: string, cut: number, colon: number): boolean {
  const lv = levelWord(token.slice(cut + 1, colon - 1), false);
  if (lv === undefined) return false;
  setLevel(s, lv);
  const name = token.slice(0, cut);
  if (SOURCE_FILE.test(name)) s.out.attributes['code.file.path'] = name;
  else {
    s.out.attributes['log.logger'] = name;
    s.logger = true;
  }
  return true;
}

/**
 * Solr's `%-5p (%t) [%X{collection} %X{shard} %X{replica} %X{core}] %c{1.} %m`: after the level and the
 * thread in parentheses, its MDC in brackets (blank outside a request; `c:films s:shard1 r:core_node2
 * x:films_shard1_replica_n1` in one, read as `solr.collection`, `.shard`, `.replica`, `.core`), then a
 * dotted logger. False unless that logger follows.
 */
export function solrMdc(s: HeaderState, j: number, close: number, be: number): boolean {
  const { line } = s;
  const at = be + 2;
  if (line.charCodeAt(be + 1) !== 32) return false;
  const end = tokenEnd(s, at);
  const logger = line.slice(at, end);
  if (!isDotted(logger)) return false;
  const attrs = s.out.attributes;
  attrs['thread.name'] = line.slice(j + 1, close);
  for (const pair of line.slice(close + 3, be).trim().split(' ')) {
    const key = SOLR_MDC[pair.slice(0, 2)];
    // Solr 9's `t:` (the trace id) and anything else: kept in `log.header`.
    if (key !== undefined && pair.length > 2) attrs[key] = pair.slice(2);
    else if (pair !== '') addExtra(s, pair);
  }
  attrs['log.logger'] = logger;
  s.thread = s.logger = true;
  s.i = end;
  return true;
}

/**
 * Squid's SMP processes (`workers N`): `2026/12/06 09:28:44 kid3| msg`, which kid (a worker, a disker
 * or the coordinator) wrote the line, as `squid.kid`. Squid without workers writes `stamp| msg`.
 */
export function squidKid(s: HeaderState, j: number, e: number): boolean {
  const line = s.line;
  if (e - j < 5 || line.charCodeAt(e - 1) !== 124 /* | */ || !line.startsWith('kid', j)) return false;
  if (!integerIn(line, j + 3, e - 1)) return false;
  s.out.attributes['squid.kid'] = line.slice(j + 3, e - 1);
  s.i = e;
  return true;
}

/** vsftpd's outcome and action after the user: `OK LOGIN: `, `FAIL DOWNLOAD: `, `OK MKDIR: `. */
const VSFTPD_ACTION = /(OK|FAIL) [A-Z]{2,12}: /y;

/**
 * vsftpd's own log (`vsftpd_log_file`, `xferlog_std_format=NO`): `[pid 15858] [nobodyx] FAIL LOGIN:
 * Client "127.0.0.1"`. The bracket after the pid names the FTP user (`user.name`, `ftp` for anonymous),
 * not a thread; `FAIL` makes the record a warning and `OK` an information, and the message stays whole.
 * Returns where the message starts, or -1.
 */
export function vsftpdUser(s: HeaderState, j: number, e: number): number {
  VSFTPD_ACTION.lastIndex = e + 2;
  const m = s.line.charCodeAt(e + 1) === 32 ? VSFTPD_ACTION.exec(s.line) : null;
  if (m === null) return -1;
  s.out.attributes['user.name'] = s.line.slice(j + 1, e);
  setLevel(s, m[1] === 'FAIL' ? 'WARN' : 'INFO');
  return e + 2;
}
