/**
 * AWS Lambda's text logs (what CloudWatch Logs holds, and what the runtime interface emulator prints):
 * - the Python runtime's `logging` lines: `[INFO]\t2026-12-03T06:35:35.595Z\t<request id>\tmessage`, and
 *   an unhandled exception, `[ERROR] ValueError: msg\rTraceback ...`;
 * - the Node.js runtime's `console` lines: `2026-12-03T06:35:35.595Z\t<request id>\tINFO\tmessage`;
 * - the platform's lines: `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`, `REPORT
 *   RequestId: <id>\tDuration: 2.47 ms\tBilled Duration: 3 ms\t...`, `INIT_START Runtime Version: ...`.
 * The runtimes write a message's line breaks as `\r` so that one message stays one line; the body gets
 * them back as `\n`. The request id is `faas.invocation_id` (OpenTelemetry's name); the platform's
 * figures are `aws.lambda.*` with their unit in the name (`aws.lambda.billed_duration_ms`).
 */
import { severityFromText } from '../severity.ts';
import { readTime, type FoundTime } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The runtimes' level words (Python's logging names, the Node.js runtime's console levels). */
const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'CRITICAL', 'FATAL']);
/** The platform's line kinds, each followed by a space. */
const PLATFORM = new Set(['START', 'END', 'REPORT', 'INIT_START', 'INIT_REPORT', 'INIT_RUNTIME_DONE', 'RESTORE_START', 'RESTORE_REPORT']);
/** An unhandled exception as the Python runtime prints it: the type, the message, then `\r` and the traceback. */
const PYTHON_UNHANDLED = /^\[ERROR\] ([A-Za-z_][\w.]*): ([^\r]*)\r/;

/** A message as the runtime wrote it, its `\r` line breaks back to `\n`. */
const lines = (message: string): string => (message.indexOf('\r') === -1 ? message : message.replace(/\r/g, '\n'));

function record(time: number | undefined, level: string, requestId: string, message: string): ParsedFields {
  const attributes: Record<string, string> = {};
  if (REQUEST_ID.test(requestId)) attributes['faas.invocation_id'] = requestId;
  return { ...(time !== undefined ? { time } : {}), severityText: level, severityNumber: severityFromText(level), body: lines(message), attributes };
}

/** The Python runtime's line (`[LEVEL]\tstamp\tid\tmessage`), or its unhandled exception; null otherwise. `line` starts with `[`. */
export function lambdaPython(line: string, ctx: ParseContext): ParsedFields | null {
  const close = line.indexOf(']');
  if (line.charCodeAt(close + 1) !== 9) {
    const m = PYTHON_UNHANDLED.exec(line);
    if (m === null) return null;
    const r = record(undefined, 'ERROR', '', line.slice(8));
    r.attributes['exception.type'] = m[1]!;
    r.attributes['exception.message'] = m[2]!;
    return r;
  }
  const level = line.slice(1, close);
  if (!LEVELS.has(level)) return null;
  const tab2 = line.indexOf('\t', close + 2);
  const tab3 = tab2 === -1 ? -1 : line.indexOf('\t', tab2 + 1);
  if (tab3 === -1) return null;
  const t = readTime(line, close + 2, ctx.timeZone ?? 'UTC', ctx.now);
  if (t === undefined || t.end !== tab2) return null;
  if (Number.isNaN(t.time)) return { body: line, attributes: {}, fallback: 'bad_time' };
  return record(t.time, level, line.slice(tab2 + 1, tab3), line.slice(tab3 + 1));
}

/** The Node.js runtime's line after its stamp (`\tid\tLEVEL\tmessage`, the id `undefined` outside a request); null otherwise. */
export function lambdaNode(line: string, t: FoundTime): ParsedFields | null {
  const tab2 = line.indexOf('\t', t.end + 1);
  const tab3 = tab2 === -1 ? -1 : line.indexOf('\t', tab2 + 1);
  if (tab3 === -1) return null;
  const id = line.slice(t.end + 1, tab2);
  const level = line.slice(tab2 + 1, tab3);
  if (!LEVELS.has(level) || (id !== 'undefined' && !REQUEST_ID.test(id))) return null;
  return record(t.time, level, id, line.slice(tab3 + 1));
}

/** The platform's START, END, REPORT or INIT_START line; null for any other. Its figures as attributes, the line as the body. */
export function lambdaPlatform(line: string): ParsedFields | null {
  const sp = line.indexOf(' ');
  const kind = sp < 3 || sp > 17 ? '' : line.slice(0, sp);
  if (!PLATFORM.has(kind)) return null;
  const attributes: Record<string, string> = {};
  // `Key: value` fields, separated by tabs (REPORT) or, in START, by a space before `Version:`.
  const rest = line.slice(sp + 1);
  for (const field of (kind === 'START' ? rest.replace(' Version: ', '\tVersion: ') : rest).split('\t')) {
    const colon = field.indexOf(': ');
    if (colon <= 0) continue;
    const key = field.slice(0, colon).trim();
    const value = field.slice(colon + 2).trim();
    if (key === 'RequestId') attributes['faas.invocation_id'] = value;
    else if (key === 'Version') attributes['faas.version'] = value;
    else {
      const unit = / (ms|MB)$/.exec(value);
      const name = 'aws.lambda.' + key.toLowerCase().replace(/[^a-z0-9]+/g, '_') + (unit ? '_' + unit[1]!.toLowerCase() : '');
      attributes[name] = unit ? value.slice(0, -unit[0].length) : value;
    }
  }
  if (Object.keys(attributes).length === 0) return null;
  return { body: line.trimEnd(), attributes };
}
