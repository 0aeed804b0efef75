/**
 * PHP's own diagnostics, as its `error_log` file holds them (`[06-Dec-2026 02:45:53 UTC] PHP Warning:
 * Undefined variable $x in /var/www/app.php on line 10`; the stamp in `date.timezone`, whose name it
 * writes: `UTC`, `Europe/Paris`) and as the CLI and php-fpm's workers write them to stderr without a
 * stamp. The kind of diagnostic is the level, numbered as Monolog's ErrorHandler maps PHP's error
 * constants (PHP's own ecosystem): `Deprecated` INFO, `Notice` NOTICE, `Warning` WARNING, `Recoverable
 * fatal error` ERROR, `Fatal error` and `Parse error` CRITICAL; the text keeps PHP's words. `in <file>
 * on line <n>` becomes the code location; an uncaught exception (`Uncaught RuntimeException: msg in
 * /app.php:21`, its stack trace under it) also `exception.type` and `exception.message`, and keeps its
 * trace in the body.
 */
import { severityFromText } from '../severity.ts';
import type { ParsedFields } from './types.ts';

const KINDS: Readonly<Record<string, string>> = {
  'Fatal error': 'CRITICAL',
  'Parse error': 'CRITICAL',
  'Recoverable fatal error': 'ERROR',
  'Catchable fatal error': 'ERROR',
  Warning: 'WARNING',
  Notice: 'NOTICE',
  'Strict Standards': 'NOTICE',
  Deprecated: 'INFO',
};
const HEAD = /^PHP (Fatal error|Parse error|Recoverable fatal error|Catchable fatal error|Warning|Notice|Strict Standards|Deprecated): +/;
/** The end of a diagnostic's first line: where PHP saw it (the file after the last ` in ` before it). */
const ON_LINE = / on line (\d{1,7})$/;
/** An uncaught exception's first line: its class, message and where it was thrown. */
const UNCAUGHT = /^Uncaught ([A-Za-z_\\][\w\\]*)(?:: (.*))? in (\S+):(\d{1,7})$/;

/** Whether a message (after a stamp, or a whole line) starts as PHP's diagnostics do. */
export function isPhpDiagnostic(text: string): boolean {
  return text.charCodeAt(0) === 80 /* P */ && text.charCodeAt(3) === 32 && text.startsWith('PHP ');
}

/** A PHP diagnostic in `r.body` read into `r` (level, message, location); false, with `r` untouched, when it is not one. */
export function phpDiagnostic(r: ParsedFields): boolean {
  const m = HEAD.exec(r.body);
  if (m === null) return false;
  const kind = m[1]!;
  r.severityText = kind.toUpperCase();
  r.severityNumber = severityFromText(KINDS[kind]!);
  let body = r.body.slice(m[0].length);
  const nl = body.indexOf('\n');
  const first = nl === -1 ? body : body.slice(0, nl);
  const uncaught = UNCAUGHT.exec(first);
  if (uncaught !== null) {
    r.attributes['exception.type'] = uncaught[1]!;
    if (uncaught[2] !== undefined) r.attributes['exception.message'] = uncaught[2];
    r.attributes['code.file.path'] = uncaught[3]!;
    r.attributes['code.line.number'] = uncaught[4]!;
  } else {
    const loc = ON_LINE.exec(first);
    // A message may hold ` in ` itself (`Division by zero in total()`): the file is after the last one.
    const file = loc === null ? -1 : first.lastIndexOf(' in ', loc.index - 1);
    if (loc !== null && file !== -1 && file + 4 < loc.index) {
      r.attributes['code.file.path'] = first.slice(file + 4, loc.index);
      r.attributes['code.line.number'] = loc[1]!;
      body = first.slice(0, file) + (nl === -1 ? '' : body.slice(nl));
    }
  }
  r.body = body;
  return true;
}

/** A whole line that is a PHP diagnostic without a stamp (the CLI's and php-fpm workers' stderr), or null. */
export function phpLine(line: string): ParsedFields | null {
  const r: ParsedFields = { body: line, attributes: {} };
  return phpDiagnostic(r) ? r : null;
}

/**
 * Where an IANA zone's name at `at` ends, before the `]` closing a stamp's bracket (PHP's error log:
 * `[06-Dec-2026 03:45:53 Europe/Paris]`), or -1. A name with a `/`, as Intl knows them; UTC is read with
 * the stamp already.
 */
export function zoneNameEnd(line: string, at: number): number {
  const close = line.indexOf(']', at);
  if (close === -1 || close - at > 40 || close - at < 5) return -1;
  let slash = false;
  for (let i = at; i < close; i++) {
    const c = line.charCodeAt(i);
    if (c === 47) slash = true;
    else if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 43)) return -1;
  }
  return slash ? close : -1;
}

const POOL = /^\[pool ([^\]\s]{1,64})\] /;
const CHILD = /^child (\d{1,10})\b/;
/** What a worker wrote to stderr, as php-fpm logs it (`catch_workers_output`), and PHP's messages in it. */
const SAID = /^child \d{1,10} said into stderr: "(.*)"$/s;
const PHP_MESSAGE = /^(NOTICE|WARNING|ERROR): PHP message: /;

/**
 * php-fpm's own log after its stamp and level: `[pool www] child 10576 said into stderr: "NOTICE: PHP
 * message: PHP Warning:  ..."`, `[pool www] child 10588 started`. The pool becomes `php_fpm.pool`, the
 * child's pid `process.pid`; what a worker said is the body, read as PHP's diagnostic when it is one (its
 * level then the record's), else with the level php-fpm gave `PHP message:` (error_log() calls). What a
 * worker says with no such prefix keeps php-fpm's WARNING.
 */
export function phpFpm(r: ParsedFields): void {
  const pool = POOL.exec(r.body);
  if (pool === null) return;
  r.attributes['php_fpm.pool'] = pool[1]!;
  const rest = r.body.slice(pool[0].length);
  const child = CHILD.exec(rest);
  if (child !== null) r.attributes['process.pid'] = child[1]!;
  const said = SAID.exec(rest);
  if (said === null) {
    r.body = rest;
    return;
  }
  let inner = said[1]!;
  const message = PHP_MESSAGE.exec(inner);
  if (message !== null) {
    inner = inner.slice(message[0].length);
    r.severityText = message[1]!;
    r.severityNumber = severityFromText(message[1]!);
  }
  r.body = inner;
  if (isPhpDiagnostic(inner)) phpDiagnostic(r);
}
