/**
 * Shapes a raw line into a LogRecord through the agent's one transform chain: the configured parser
 * (auto by default; a line no parser matches is kept as a plain body), severity mapped to
 * OpenTelemetry numbers (inferred from the body when absent), then redaction of body and attributes
 * before anything leaves the host. Every line becomes a record; the configured filter
 * (transforms/filter.ts) is the builder's `keep`, which the batch encoder asks of each record.
 */
import { nextHeader } from './transforms/parsers/w3c.ts';
import { hostname } from 'node:os';
import { SCHEMA_VERSION, type LogRecord } from '../core/contracts/records.ts';
import { buildParser, type ParserConfig, type ParserName } from './transforms/parsers/index.ts';
import { Redactor, type RedactionCounts, type RedactorOptions } from './transforms/redact.ts';
import type { SeverityInferenceOptions } from './transforms/severity.ts';
import { compileFilter, type FilterConfig } from './transforms/filter.ts';
import type { RawLine } from './source.ts';

export const DEFAULT_HOST = hostname();

/** Counters of the transform chain, cumulative since start. */
export interface BuiltCounters {
  /** Records built. */
  records: number;
  /** Records whose severity was guessed from the body. */
  severityInferred: number;
  /** Replacements per redaction rule. */
  redactions: RedactionCounts;
  /** Lines no format matched (kept whole, with the time of reading), per source name. */
  unmatched: Record<string, number>;
  /** Lines whose format matched but whose date cannot exist (kept whole, time of reading), per source name. */
  badTime: Record<string, number>;
  /** Records the filter's rules and sampling dropped, per source name. */
  filtered: Record<string, number>;
  /** Records the filter's throttle dropped (over its limit), per source name. */
  throttled: Record<string, number>;
}

export interface RecordBuilderOptions {
  /** Parser config (`auto` by default). */
  parser?: ParserConfig | ParserName;
  /** IANA zone for timestamps without an offset (UTC by default). */
  timeZone?: string;
  /** Redaction settings; `false` switches redaction off entirely. */
  redaction?: RedactorOptions | false;
  inference?: SeverityInferenceOptions;
  /** Resource attributes put on every record (deployment.environment, cloud.region, ...). */
  resource?: Record<string, string>;
  /** Name of the source, under which unmatched lines, impossible dates and filtered records are counted. */
  source?: string;
  /** Filters a record must pass (the agent's, then the source's); plain config, so it crosses to a record thread. */
  filter?: FilterConfig[];
}

export function newCounters(): BuiltCounters {
  return { records: 0, severityInferred: 0, redactions: {}, unmatched: {}, badTime: {}, filtered: {}, throttled: {} };
}

/** Epoch ms (a fraction keeps microseconds) as RFC 3339 UTC with up to six fractional digits. */
// Two recent seconds with their `toISOString()` minus `000Z`: lines of one second share it (and a
// record's event time and observed time are two different seconds), so mostly only millis are formatted.
const seconds = [NaN, NaN];
const prefixes = ['', ''];
let older = 0;
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const TWO = MILLIS.slice(0, 60).map((m) => m.slice(1));
// A second the two above miss (lines sampled across a long log, several sources interleaved) is
// formatted from its day's `YYYY-MM-DDT` (remembered; any year toISOString writes) and arithmetic.
const DAY_MS = 86_400_000;
let dayStart = NaN;
let dayPrefix = '';

/** `YYYY-MM-DDT` of the day starting at `day` (epoch ms), as toISOString writes it. */
export function dayText(day: number): string {
  const days = day / DAY_MS;
  // Years 0000-9999 by arithmetic (civil from days, H. Hinnant), no Date made: lines sampled across a
  // long log change day nearly every line. Other years take toISOString's own six-digit form.
  if (!(days >= -719_528 && days <= 2_932_896)) return new Date(day).toISOString().slice(0, -13);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${TWO[m]}-${TWO[d]}T`;
}

function secondPrefix(second: number): string {
  const day = Math.floor(second / DAY_MS) * DAY_MS;
  if (day !== dayStart) {
    dayPrefix = dayText(day);
    dayStart = day;
  }
  const s = (second - day) / 1000;
  return `${dayPrefix}${TWO[Math.floor(s / 3600)]}:${TWO[Math.floor(s / 60) % 60]}:${TWO[s % 60]}.`;
}

export function isoOf(ms: number): string {
  const whole = Math.floor(ms);
  if (!(whole >= -8.64e15 && whole <= 8.64e15)) throw new RangeError('Invalid time value');
  const milli = ((whole % 1000) + 1000) % 1000;
  const second = whole - milli;
  let prefix: string;
  if (second === seconds[0]) prefix = prefixes[0]!;
  else if (second === seconds[1]) prefix = prefixes[1]!;
  else {
    prefix = secondPrefix(second);
    seconds[older] = second;
    prefixes[older] = prefix;
    older ^= 1;
  }
  const micros = Math.round((ms - whole) * 1000);
  if (micros <= 0 || micros >= 1000) return `${prefix}${MILLIS[milli]}Z`;
  return `${prefix}${MILLIS[milli]}${MILLIS[micros]}Z`;
}

/** The redaction step alone, for records that arrive structured (OTLP, pino). */
export function createRedact(counters: BuiltCounters, options: RecordBuilderOptions = {}): (record: LogRecord) => LogRecord {
  const redactor = options.redaction === false ? undefined : new Redactor(options.redaction ?? {});
  return (record) => {
    redactor?.redactRecord(record, counters.redactions);
    return record;
  };
}

/**
 * Builds a record of a line. After each call, so that encoding it need not parse the texts back:
 * `lastTimeMs` is the record's `time` in whole milliseconds (its Kafka timestamp); `lastTime` and
 * `lastObserved` its `time` and `observed_time` in milliseconds exactly as written (`isoOf`).
 */
export type RecordBuilder = ((line: RawLine) => LogRecord) & { lastTimeMs?: number; lastTime?: number; lastObserved?: number; keep?: RecordKeep };

/** Whether a built record is shipped: false drops it, counted under its source. */
export type RecordKeep = (record: LogRecord) => boolean;

/** The options' filters as one predicate that counts what it drops; undefined when nothing is filtered. */
export function createKeep(counters: BuiltCounters, options: RecordBuilderOptions): RecordKeep | undefined {
  const source = options.source ?? 'default';
  let throttled = false;
  const pass = options.filter ? compileFilter(options.filter, () => (throttled = true)) : undefined;
  if (!pass) return undefined;
  return (record) => {
    if (pass(record)) return true;
    if (throttled) {
      throttled = false;
      counters.throttled[source] = (counters.throttled[source] ?? 0) + 1;
    } else counters.filtered[source] = (counters.filtered[source] ?? 0) + 1;
    return false;
  };
}

export function createRecordBuilder(counters: BuiltCounters = newCounters(), options: RecordBuilderOptions = {}): RecordBuilder {
  const parse = buildParser(options.parser ?? 'auto', options.inference ? { inference: options.inference } : {});
  const redactor = options.redaction === false ? undefined : new Redactor(options.redaction ?? {});
  const timeZone = options.timeZone ?? 'UTC';
  // One frozen object shared by every record (nothing in the agent writes a record's resource; a
  // write would throw rather than leak into other records): an allocation less per line. None at
  // all when empty: the record then leaves the field out (readers take `{}`, records.ts).
  const resource: Record<string, string> | undefined = options.resource && Object.keys(options.resource).length > 0 ? Object.freeze({ ...options.resource }) : undefined;
  const source = options.source ?? 'default';
  // A batch's lines share their time of reading: its text is made once and shared.
  let observedMs = NaN;
  let observedText = '';
  // The W3C or Zeek header in force: the line's when it brings one, else followed from directive lines.
  let header = '';
  // A general query log's last stamped entry, by file (the 256 last written): MariaDB writes a time
  // only when the second changed, and the entries under it happened in that second (parsers/general-log.ts).
  const carried = new Map<string, number>();
  const build: RecordBuilder = (line) => {
    if (line.header !== undefined) header = line.header;
    if (line.text.charCodeAt(0) === 35 /* # */) header = nextHeader(header, line.text) ?? header;
    const f = parse(line.text, { now: line.observedMs, timeZone, header: header === '' ? undefined : header });
    // A time from the transport is the record's, as a wrapper's is (parsers/container.ts): the line then
    // needs none of its own, and one it could not read is no fault.
    if (line.timeMs !== undefined && line.timeMs === line.timeMs) f.time = line.timeMs;
    // A shipper's time of reading stands where the line has none it could read: then no fault either.
    else if (line.fallbackTimeMs !== undefined && line.fallbackTimeMs === line.fallbackTimeMs && (f.time === undefined || f.fallback !== undefined)) f.time = line.fallbackTimeMs;
    else if (f.fallback === 'unmatched') counters.unmatched[source] = (counters.unmatched[source] ?? 0) + 1;
    else if (f.fallback === 'bad_time') counters.badTime[source] = (counters.badTime[source] ?? 0) + 1;
    else if (f.timeCarried !== undefined) {
      const path = line.origin.path ?? '';
      if (f.timeCarried === 'set') {
        carried.delete(path);
        carried.set(path, f.time!);
        if (carried.size > 256) carried.delete(carried.keys().next().value!);
      } else f.time = carried.get(path);
    }
    // The source's attributes added to the parser's object (made for this line), not both copied into a
    // new one: the same keys in the same order (a key of both keeps its place and takes the source's value).
    const attributes = f.attributes;
    if (line.attributes) for (const k in line.attributes) attributes[k] = line.attributes[k]!;
    if (line.observedMs !== observedMs) observedText = isoOf((observedMs = line.observedMs));
    const observed = observedText;
    const timed = f.time !== undefined && Number.isFinite(f.time);
    // isoOf writes the whole milliseconds as they are (a fraction below them never rounds up).
    build.lastTime = timed ? f.time! : line.observedMs;
    build.lastObserved = line.observedMs;
    build.lastTimeMs = Math.floor(build.lastTime);
    const record: LogRecord = {
      v: SCHEMA_VERSION,
      time: timed ? isoOf(f.time!) : observed,
      observed_time: observed,
      // The line's own service only where the parser was told to read one (a JSON `service` field,
      // syslog with app_as_service); auto never guesses one.
      service: f.service || line.service,
      host: f.host || line.host,
      severity_text: f.severityText ?? 'UNSPECIFIED',
      severity_number: f.severityNumber ?? 0,
      body: f.body,
      attributes,
      // Fields at their defaults are left out of the JSON (undefined is skipped), 40 bytes of a
      // 250-byte line's record; every record keeps the same properties, so one shape for V8.
      resource,
      trace_id: f.traceId || undefined,
      span_id: f.spanId || undefined,
      origin: line.origin,
    };
    if (attributes['severity.inferred'] === 'true') counters.severityInferred++;
    redactor?.redactRecord(record, counters.redactions);
    counters.records++;
    return record;
  };
  const keep = createKeep(counters, options);
  if (keep) build.keep = keep;
  return build;
}
