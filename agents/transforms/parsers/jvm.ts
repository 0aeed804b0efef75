/**
 * JVM layouts the auto parser tells apart by their shape: java.util.logging's SimpleFormatter (two lines a
 * record), Kafka's log4j layout (the logger in parentheses at the end) and the JVM's unified logging
 * (`-Xlog`, GC logs). Each returns null when the line only starts like its program's.
 */
import { severityFromText } from '../severity.ts';
import { readTime, type FoundTime } from '../timestamp.ts';
import { badTime } from './layouts.ts';
import type { ParseContext, ParsedFields } from './types.ts';

const BRACKETED_LOCATION = /\[[^\]\s:]+:\d{1,6}\]/y;
/** java.util.logging after its stamp: the class and method, then on the next line the level and `: `. */
const JUL_TAIL = / (\S+)(?: (\S+))?(?:\n(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ?|$)/y;
/** Kafka's log4j layout (`[%d] %p %m (%c)%n`) ends a message with its logger: a class, or a name ending in `logger`; Kafka Connect's (`(%c:%L)`) with the line too. */
const TRAILING_LOGGER = / \(((?:[A-Za-z_$][\w$]*\.){2,}(?:[A-Z][\w$]*|logger))(?::(\d{1,6}))?\)$/;
/** The JVM's unified logging (`-Xlog`, JDK 9+): decorations each in brackets, then `[level][tag,tag]` (both padded in some JDKs). */
const JVM_LOG = /((?:\[[^\]\s]{1,40}\])*?)\[(trace|debug|info|warning|error) *\]\[([a-z0-9_]+(?:,[a-z0-9_]+)*) *\] ?/y;
const JVM_UPTIME = /^\d+(?:\.\d+)?(?:s|ms|ns)$/;

/** java.util.logging's SimpleFormatter record after its stamp; null when the rest is not its shape. */
export function jul(line: string, t: FoundTime): ParsedFields | null {
  JUL_TAIL.lastIndex = t.end;
  const m = JUL_TAIL.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const out: ParsedFields = { time: t.time, body: line.slice(JUL_TAIL.lastIndex), attributes: { 'log.logger': m[1]! } };
  if (m[2] !== undefined) out.attributes['code.function.name'] = m[2];
  if (m[3] !== undefined) {
    out.severityText = m[3];
    out.severityNumber = severityFromText(m[3]);
  }
  return out;
}

/** Kafka's layout: a record with a level and no logger whose message ends with `(logger)` gets it. */
export function kafkaLogger(r: ParsedFields): void {
  if (r.severityText === undefined || r.attributes['log.logger'] !== undefined || r.body.charCodeAt(r.body.length - 1) !== 41) return;
  const m = TRAILING_LOGGER.exec(r.body);
  if (!m) return;
  r.attributes['log.logger'] = m[1]!;
  if (m[2] !== undefined) r.attributes['code.line.number'] = m[2];
  r.body = r.body.slice(0, m.index);
}

/**
 * The JVM's unified logging (GC logs and `-Xlog` output): `[2026-11-24T10:00:00.123+0000][info][gc] GC(0)
 * Pause Young ... 3.123ms`, `[0.012s][info][gc,heap] msg`. The tags are the logger; of the decorations a
 * time is the time, numbers the pid and thread id, an uptime (`0.012s`, `12ms`) goes to `log.header`, any
 * other word is the host. Null when the shape is not there, or when a code location follows (Envoy's).
 */
export function jvmUnified(line: string, ctx: ParseContext): ParsedFields | null {
  JVM_LOG.lastIndex = 0;
  const m = JVM_LOG.exec(line);
  if (!m) return null;
  const end = JVM_LOG.lastIndex;
  BRACKETED_LOCATION.lastIndex = end;
  if (line.charCodeAt(end) === 91 && BRACKETED_LOCATION.test(line)) return null;
  const text = m[2]!.toUpperCase();
  const out: ParsedFields = { body: line.slice(end), attributes: { 'log.logger': m[3]! }, severityText: text, severityNumber: severityFromText(text) };
  const decorations = m[1]!;
  let header = '';
  let numbers = 0;
  for (let at = 0; at < decorations.length;) {
    const close = decorations.indexOf(']', at);
    const d = decorations.slice(at + 1, close);
    at = close + 1;
    const first = d.charCodeAt(0);
    if (first >= 48 && first <= 57) {
      if (out.time === undefined && d.length >= 19) {
        const t = readTime(d, 0, ctx.timeZone ?? 'UTC', ctx.now);
        if (t !== undefined && t.end === d.length) {
          if (Number.isNaN(t.time)) return badTime(line);
          out.time = t.time;
          continue;
        }
      }
      if (JVM_UPTIME.test(d)) header = header === '' ? d : `${header} ${d}`;
      else if (/^\d{1,10}$/.test(d) && numbers < 2) out.attributes[numbers++ === 0 ? 'process.pid' : 'thread.id'] = d;
      continue;
    }
    if (out.host === undefined) out.host = d;
  }
  if (header !== '') out.attributes['log.header'] = header;
  return out;
}

/**
 * Kafka's LogContext before a message (the broker's and every Kafka client's): `[Consumer clientId=c-1,
 * groupId=g] `, `[QuorumController id=1] `, `[ControllerRegistrationManager id=1 incarnation=x] `. It
 * goes to `log.context`, so that the message alone is what varies; the body is left as it is otherwise.
 */
const LOG_CONTEXT = /^\[([A-Z]\w*(?: [a-z]\w*)? [\w.]+=[^\s,\]]*(?:,? [\w.]+=[^\s,\]]*)*)\] /;
export function kafkaLogContext(r: ParsedFields): void {
  const m = LOG_CONTEXT.exec(r.body);
  if (m === null) return;
  r.attributes['log.context'] = m[1]!;
  r.body = r.body.slice(m[0].length);
}
