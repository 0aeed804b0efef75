/**
 * Python layouts the auto parser tells apart by their shape: Celery's `[stamp: LEVEL/Process]`, Tornado's
 * and Jupyter's `[L time module]`, loguru's code location, certbot's `stamp:LEVEL:logger:` (structlog's
 * console renderer: structlog.ts).
 * Each returns null when the line only starts like its program's.
 */
import { severityFromText } from '../severity.ts';
import { readTime, type FoundTime } from '../timestamp.ts';
import { badTime } from './layouts.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** Celery's `[stamp: LEVEL/ProcessName]`, after the stamp's colon. */
const CELERY = /^\s*([A-Z]+)\/([^\s\]]+)$/;
/** Tornado's and Jupyter's (traitlets') `[L time name]`: after the stamp, the module (`web:2239`) or app name. */
const TORNADO_NAME = / ([^\s\]]{1,64})\] ?/y;
const TORNADO_LEVELS: Readonly<Record<string, string>> = { D: 'DEBUG', I: 'INFO', W: 'WARN', E: 'ERROR', C: 'CRITICAL' };
/** loguru after its `time | LEVEL | `: `{name}:{function}:{line} - ` (`__main__:<module>:12 - `). */
const LOGURU_LOCATION = /([\w.<>-]+):([\w<>]+):(\d{1,6}) - /y;

/** Celery's level and process name inside `[stamp: INFO/MainProcess]` (the stamp ends at `t.end`, the bracket at `close`). */
export function celery(line: string, t: FoundTime, close: number): { text: string; level: number; process: string } | null {
  const m = CELERY.exec(line.slice(t.end + 1, close));
  const level = m ? severityFromText(m[1]!) : 0;
  return level === 0 ? null : { text: m![1]!, level, process: m![2]! };
}

/**
 * Tornado's default (`[I 260720 13:38:44 web:2239] 200 GET / (127.0.0.1) 1.23ms`) and Jupyter's
 * (`[W 2026-07-20 13:38:44.123 ServerApp] msg`): a level letter, a stamp and a name in one bracket;
 * `module:line` is the logger and line. Null when the line only starts like it.
 */
export function tornado(line: string, ctx: ParseContext): ParsedFields | null {
  const level = TORNADO_LEVELS[line[1]!];
  if (level === undefined || line.charCodeAt(2) !== 32) return null;
  const t = readTime(line, 3, ctx.timeZone ?? 'UTC', ctx.now);
  if (t === undefined) return null;
  TORNADO_NAME.lastIndex = t.end;
  const m = TORNADO_NAME.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const name = m[1]!;
  const colon = name.lastIndexOf(':');
  const attributes: Record<string, string> = {};
  if (colon > 0 && /^\d{1,6}$/.test(name.slice(colon + 1))) {
    attributes['log.logger'] = name.slice(0, colon);
    attributes['code.line.number'] = name.slice(colon + 1);
  } else {
    attributes['log.logger'] = name;
  }
  return { time: t.time, severityText: level, severityNumber: severityFromText(level), body: line.slice(TORNADO_NAME.lastIndex), attributes };
}

/** loguru's default location (`app.main:run:42 - `) at `at` into attributes; where its message starts, or `at`. */
export function loguruLocation(line: string, at: number, attributes: Record<string, string>): number {
  LOGURU_LOCATION.lastIndex = at;
  const m = LOGURU_LOCATION.exec(line);
  if (!m) return at;
  attributes['log.logger'] = m[1]!;
  attributes['code.function.name'] = m[2]!;
  attributes['code.line.number'] = m[3]!;
  return LOGURU_LOCATION.lastIndex;
}

/** A level word of Python's logging (and its aliases) at most 11 letters, upper case. */
const PY_LEVEL = /^[A-Z]{3,11}$/;

/**
 * `%(asctime)s:%(levelname)s:%(name)s:%(message)s`, the basicConfig default with the time in front
 * (certbot's and Let's Encrypt's log file, `2026-12-06 06:20:47,684:ERROR:certbot._internal.log:msg`):
 * after the stamp's colon, the level and the logger, each up to the next colon. Null unless a level
 * word follows the stamp.
 */
export function stampColonLevel(line: string, t: FoundTime): ParsedFields | null {
  const a = t.end + 1;
  const b = line.indexOf(':', a);
  if (b === -1 || b - a > 11) return null;
  const level = line.slice(a, b);
  const number = PY_LEVEL.test(level) ? severityFromText(level) : 0;
  if (number === 0) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const c = line.indexOf(':', b + 1);
  const attributes: Record<string, string> = {};
  let body = line.slice(b + 1);
  // The logger runs to the next colon, and has no spaces (Python's `root` for the root logger).
  if (c > b + 1 && line.lastIndexOf(' ', c) < b) {
    attributes['log.logger'] = line.slice(b + 1, c);
    body = line.slice(c + 1);
  }
  return { time: t.time, severityText: level, severityNumber: number, body, attributes };
}

/** `warnings.showwarning`'s line: `file.py:12: DeprecationWarning: message` (the source line under it is joined by multiline). */
const PY_WARNING = /^((?:[A-Za-z]:)?[^\s:]*\.py):(\d{1,7}): ([A-Z]\w{0,63}Warning): /;

/** A warning Python printed to stderr (`warnings.warn`, a deprecation): WARN, its file, line and category; null for any other line. */
export function pythonWarning(line: string): ParsedFields | null {
  const m = PY_WARNING.exec(line);
  if (m === null) return null;
  return {
    body: line.slice(m[0].length),
    severityText: 'WARNING',
    attributes: { 'code.file.path': m[1]!, 'code.line.number': m[2]!, 'python.warning.category': m[3]! },
  };
}
