/**
 * Shapes a raw line into a LogRecord: a JSON object line gives its fields (message, level, time,
 * trace ids, the rest as attributes); any other line is kept whole as a plain-text body. Nothing is
 * dropped: a line that cannot be parsed is still a record.
 */
import { hostname } from 'node:os';
import { SCHEMA_VERSION, severityNumber, severityText, type LogRecord } from '../core/contracts/records.ts';
import { type RawLine } from './source.ts';

export const DEFAULT_HOST = hostname();

const PINO_LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const WORD_SEVERITY = /\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRIT(?:ICAL)?|FATAL|PANIC)\b/;

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

function timeFrom(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value > 1e17) return Math.floor(value / 1e6); // ns
    if (value > 1e14) return Math.floor(value / 1e3); // us
    if (value > 1e11) return value; // ms
    return value * 1000; // s
  }
  if (typeof value === 'string' && value) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export interface BuiltCounters {
  json: number;
  plain: number;
}

export function createRecordBuilder(counters: BuiltCounters = { json: 0, plain: 0 }): (line: RawLine) => LogRecord {
  return (line) => {
    const base: LogRecord = {
      v: SCHEMA_VERSION,
      time: isoOf(line.observedMs),
      observed_time: isoOf(line.observedMs),
      service: line.service,
      host: line.host,
      severity_text: 'UNSPECIFIED',
      severity_number: 0,
      body: line.text,
      attributes: { ...line.attributes },
      resource: {},
      trace_id: '',
      span_id: '',
      origin: line.origin,
    };
    const text = line.text;
    if (text.startsWith('{') && text.endsWith('}')) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        obj = undefined;
      }
      if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
        counters.json++;
        const o = obj as Record<string, unknown>;
        const msg = o.msg ?? o.message ?? o.body;
        const level = o.level ?? o.severity ?? o.lvl;
        const time = timeFrom(o.time ?? o.timestamp ?? o.ts ?? o['@timestamp']);
        if (typeof msg === 'string') base.body = msg;
        if (typeof level === 'number') {
          base.severity_text = PINO_LEVELS[level] ?? 'UNSPECIFIED';
          base.severity_number = severityNumber(base.severity_text);
        } else if (typeof level === 'string') {
          base.severity_text = level.toUpperCase();
          base.severity_number = severityNumber(base.severity_text);
        }
        if (time !== undefined) base.time = isoOf(time);
        if (typeof o.service === 'string' && o.service) base.service = o.service;
        if (typeof o.host === 'string' && o.host) base.host = o.host;
        const traceId = o.trace_id ?? o.traceId;
        const spanId = o.span_id ?? o.spanId;
        if (typeof traceId === 'string' && /^[0-9a-f]{32}$/.test(traceId)) base.trace_id = traceId;
        if (typeof spanId === 'string' && /^[0-9a-f]{16}$/.test(spanId)) base.span_id = spanId;
        const skip = new Set(['msg', 'message', 'body', 'level', 'severity', 'lvl', 'time', 'timestamp', 'ts', '@timestamp', 'service', 'host', 'trace_id', 'traceId', 'span_id', 'spanId']);
        for (const [k, v] of Object.entries(o)) {
          if (skip.has(k) || v === null || v === undefined) continue;
          base.attributes[k] = typeof v === 'string' ? v : JSON.stringify(v);
        }
        return base;
      }
    }
    counters.plain++;
    const head = text.slice(0, 64);
    const iso = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/.exec(head);
    if (iso) {
      const ms = Date.parse(iso[1]!.replace(' ', 'T'));
      if (!Number.isNaN(ms)) base.time = isoOf(ms);
    }
    const word = WORD_SEVERITY.exec(text.slice(0, 200));
    if (word) {
      base.severity_number = severityNumber(word[1]!);
      base.severity_text = severityText(base.severity_number);
    }
    return base;
  };
}
