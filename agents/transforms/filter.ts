/**
 * Dropping records on the host, before they cost a Kafka write, a worker's time and ClickHouse's
 * storage: DEBUG chatter, load balancers' health checks, a noisy library. What Vector's `filter` and
 * `sample`, Fluent Bit's `grep` and the OpenTelemetry Collector's `filter` processor and
 * probabilistic sampler do, as plain config: a lowest severity, rules that drop a record, rules a
 * record must meet to be kept, 1-in-N sampling of what is left, and a throttle (Vector's and Fluent
 * Bit's `throttle`) as a ceiling for a storm. A rule is one or more fields each with a regular
 * expression; the record meets it when every one of them matches.
 *
 * The filter sees the record as it would be shipped (parsed, severity set, redacted), after every
 * other transform, so a rule is written against what the user sees in ClickHouse. A dropped line
 * still moves its file's checkpoint: it is read once and not again.
 */
import type { ConfigIssue } from '../../core/config/loader.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import { severityFromText } from './severity.ts';

/** A filter as written in the config (`transforms.filter`, or a source's `filter`). */
export interface FilterConfig {
  /** Records below this severity (a word or 1..24) are dropped. */
  min_severity?: string | number;
  /** Whether a record of unknown severity (0) passes `min_severity` (true by default). */
  keep_unspecified?: boolean;
  /** A record meeting any of these is dropped. */
  drop?: Array<Record<string, string>>;
  /** When given, a record meeting none of these is dropped. */
  keep?: Array<Record<string, string>>;
  /** 1 in `rate` of the records that meet `when` (every record without it) is kept; the first rule a record meets decides. */
  sample?: Array<{ rate: number; when?: Record<string, string> }>;
  /** At most `limit` records per `window_ms` for each value of the `by` fields; the rest dropped. */
  throttle?: { limit: number; window_ms?: number; by?: string[] };
}

/** Called with each record a throttle drops (counted apart from the rules' drops). */
export type OnThrottled = (record: LogRecord) => void;

/** The attribute a sampled record carries: how many records it stands for. */
export const SAMPLE_RATE_ATTRIBUTE = 'tributary.sample_rate';

const TOP_FIELDS = ['body', 'service', 'host', 'severity_text', 'trace_id', 'span_id'] as const;
const ORIGIN_FIELDS = ['origin.path', 'origin.kind'] as const;

/** The fields a rule can test, as the config names them. */
export const FILTER_FIELDS = [...TOP_FIELDS, ...ORIGIN_FIELDS, 'attributes.<key>', 'resource.<key>'];

const ruleSchema = (description: string) => ({
  type: 'array',
  default: [],
  description,
  items: {
    type: 'object',
    minProperties: 1,
    description: `Field to regular expression; the record meets the rule when every field is present and matches. Fields: ${FILTER_FIELDS.join(', ')}.`,
    additionalProperties: { type: 'string', minLength: 1 },
  },
});

/** The config schema of a filter (JSON Schema), the same under `transforms` and on a source. */
export function filterSchema(description: string): object {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description,
    properties: {
      min_severity: {
        anyOf: [{ type: 'string', minLength: 1 }, { type: 'integer', minimum: 1, maximum: 24 }],
        description: 'Drop records below this severity: TRACE, DEBUG, INFO, WARN, ERROR, FATAL (any word the agent reads), or an OpenTelemetry severity number 1..24.',
      },
      keep_unspecified: { type: 'boolean', default: true, description: 'Keep records whose severity is unknown (UNSPECIFIED, 0) under min_severity: a line that states no level is not taken to be unimportant.' },
      drop: ruleSchema('Rules: a record meeting any one is dropped.'),
      keep: ruleSchema('Rules: when any are given, a record meeting none of them is dropped.'),
      throttle: {
        type: 'object',
        additionalProperties: false,
        required: ['limit'],
        description: 'A ceiling for a storm (a service in a crash loop, a debug switch left on): at most `limit` records per `window_ms` for each value of the `by` fields, the rest dropped and counted (tributary.agent.records.throttled). Applied last, to what the rules and sampling keep. Windows start on the clock (every `window_ms` since the epoch). Counted per source, and per thread: each record thread, and the main thread, counts on its own.',
        properties: {
          limit: { type: 'integer', minimum: 1, description: 'Most records per window per key.' },
          window_ms: { type: 'integer', minimum: 100, maximum: 3_600_000, default: 1000, description: 'The window, in ms.' },
          by: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 }, default: ['service'], description: `Fields whose values make a key (${FILTER_FIELDS.join(', ')}); a missing one counts as empty.` },
        },
      },
      sample: {
        type: 'array',
        default: [],
        description: `Sampling of the records the rules above keep: the first entry whose \`when\` a record meets (an entry without \`when\` takes every record) keeps 1 in \`rate\` of them and marks those it keeps with ${SAMPLE_RATE_ATTRIBUTE} (the rate, so a count can be scaled back). A record with a trace id is kept or dropped by its trace id, so every agent keeps the same traces whole; others 1 in rate in turn.`,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['rate'],
          description: 'One sampling rule.',
          properties: {
            rate: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Keep 1 in this many (1 keeps all).' },
            when: { ...ruleSchema('').items, description: `Field to regular expression, as a drop rule (every field must match). Fields: ${FILTER_FIELDS.join(', ')}.` },
          },
        },
      },
    },
  };
}

/** A field's value on a record, or undefined when the record has none. */
type Getter = (r: LogRecord) => string | undefined;

function getter(field: string): Getter | string {
  switch (field) {
    case 'body':
      return (r) => r.body;
    case 'service':
      return (r) => r.service;
    case 'host':
      return (r) => r.host;
    case 'severity_text':
      return (r) => r.severity_text;
    case 'trace_id':
      return (r) => r.trace_id || undefined;
    case 'span_id':
      return (r) => r.span_id || undefined;
    case 'origin.path':
      return (r) => r.origin.path;
    case 'origin.kind':
      return (r) => r.origin.kind;
  }
  if (field.startsWith('attributes.') && field.length > 11) {
    const key = field.slice(11);
    // Own keys only: `attributes.constructor` is a key a record may have, not Object's.
    return (r) => (Object.hasOwn(r.attributes, key) ? r.attributes[key] : undefined);
  }
  if (field.startsWith('resource.') && field.length > 9) {
    const key = field.slice(9);
    return (r) => (r.resource !== undefined && Object.hasOwn(r.resource, key) ? r.resource[key] : undefined);
  }
  return `unknown field "${field}" (fields: ${FILTER_FIELDS.join(', ')})`;
}

function severityOf(value: string | number): number {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 24 ? value : 0;
  return /^\d+$/.test(value.trim()) ? severityOf(Number(value)) : severityFromText(value);
}

type Test = (r: LogRecord) => boolean;

function compileRule(rule: Record<string, string>, path: string, issues: ConfigIssue[]): Test | undefined {
  const tests: Array<[Getter, RegExp]> = [];
  for (const [field, pattern] of Object.entries(rule)) {
    const get = getter(field);
    if (typeof get === 'string') {
      issues.push({ path: `${path}.${field}`, message: get });
      continue;
    }
    try {
      tests.push([get, new RegExp(pattern)]);
    } catch (err) {
      issues.push({ path: `${path}.${field}`, message: `is not a valid regular expression: ${(err as Error).message}` });
    }
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) {
    const [get, re] = tests[0]!;
    return (r) => {
      const v = get(r);
      return v !== undefined && re.test(v);
    };
  }
  return (r) => {
    for (const [get, re] of tests) {
      const v = get(r);
      if (v === undefined || !re.test(v)) return false;
    }
    return true;
  };
}

/** What the schema cannot check: severity words, field names, regular expressions. */
export function checkFilter(f: FilterConfig | undefined, path: string, issues: ConfigIssue[]): void {
  compileOne(f, path, issues);
}

function compileOne(f: FilterConfig | undefined, path: string, issues: ConfigIssue[], onThrottled?: OnThrottled): Test | undefined {
  if (!f) return undefined;
  const tests: Test[] = [];
  if (f.min_severity !== undefined) {
    const min = severityOf(f.min_severity);
    if (min === 0) issues.push({ path: `${path}.min_severity`, message: `unknown severity "${f.min_severity}" (a word such as DEBUG, INFO, WARN, ERROR, or a number 1..24)` });
    else {
      // By the number, which every source sets from the word when the line has only a word (an OTLP
      // sender that sets severityText alone too: otlp.ts).
      if (f.keep_unspecified === false) tests.push((r) => r.severity_number >= min);
      else tests.push((r) => r.severity_number >= min || r.severity_number === 0);
    }
  }
  const drops = (f.drop ?? []).map((rule, i) => compileRule(rule, `${path}.drop[${i}]`, issues)).filter((t): t is Test => t !== undefined);
  if (drops.length > 0) {
    tests.push((r) => {
      for (const t of drops) if (t(r)) return false;
      return true;
    });
  }
  const keeps = (f.keep ?? []).map((rule, i) => compileRule(rule, `${path}.keep[${i}]`, issues)).filter((t): t is Test => t !== undefined);
  if (keeps.length > 0) {
    tests.push((r) => {
      for (const t of keeps) if (t(r)) return true;
      return false;
    });
  }
  const samplers = (f.sample ?? []).map((rule, i) => compileSample(rule, `${path}.sample[${i}]`, issues)).filter((t): t is Sampler => t !== undefined);
  if (samplers.length > 0) {
    // Last: only what the rules keep is sampled, so 1 in rate of the records that would have been shipped.
    tests.push((r) => {
      for (const s of samplers) {
        const verdict = s(r);
        if (verdict !== undefined) return verdict;
      }
      return true;
    });
  }
  if (f.throttle) {
    const t = compileThrottle(f.throttle, `${path}.throttle`, issues, onThrottled);
    if (t) tests.push(t);
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (r) => {
    for (const t of tests) if (!t(r)) return false;
    return true;
  };
}

/**
 * Fixed windows on the clock, a count per key; the counts start again at each window (so the keys a
 * window saw are all it holds: a field of many values costs one window's worth of memory).
 */
function compileThrottle(t: NonNullable<FilterConfig['throttle']>, path: string, issues: ConfigIssue[], onThrottled?: OnThrottled): Test | undefined {
  const getters: Getter[] = [];
  (t.by ?? ['service']).forEach((field, i) => {
    const get = getter(field);
    if (typeof get === 'string') issues.push({ path: `${path}.by[${i}]`, message: get });
    else getters.push(get);
  });
  if (getters.length === 0) return undefined;
  const limit = t.limit;
  const windowMs = t.window_ms ?? 1000;
  let window = -1;
  const counts = new Map<string, number>();
  const keyOf = getters.length === 1 ? (r: LogRecord) => getters[0]!(r) ?? '' : (r: LogRecord) => getters.map((g) => g(r) ?? '').join('\u0000');
  return (r) => {
    const now = Math.floor(Date.now() / windowMs);
    if (now !== window) {
      window = now;
      counts.clear();
    }
    const key = keyOf(r);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n <= limit) return true;
    onThrottled?.(r);
    return false;
  };
}

/** A sampling rule: undefined when the record does not meet its `when`, else whether it is kept. */
type Sampler = (r: LogRecord) => boolean | undefined;

function compileSample(rule: { rate: number; when?: Record<string, string> }, path: string, issues: ConfigIssue[]): Sampler | undefined {
  const when = rule.when ? compileRule(rule.when, `${path}.when`, issues) : undefined;
  if (rule.when && !when) return undefined;
  const rate = rule.rate;
  const mark = String(rate);
  let turn = 0;
  return (r) => {
    if (when !== undefined && !when(r)) return undefined;
    if (rate === 1) return true;
    // A trace id's last 8 hex digits are random (W3C Trace Context), the same on every host that logs
    // the trace: every agent keeps or drops a trace's records alike. Others: one in `rate`, in turn.
    const t = r.trace_id;
    const h = t && t.length >= 8 ? Number.parseInt(t.slice(-8), 16) : NaN;
    const kept = h === h ? h % rate === 0 : turn++ % rate === 0;
    if (kept) r.attributes[SAMPLE_RATE_ATTRIBUTE] = mark;
    return kept;
  };
}

/**
 * One predicate for filters applied one after the other (the agent's, then a source's): true keeps
 * the record. Undefined when none of them drops anything, so an agent without a filter tests nothing.
 * Throws on what `checkFilter` reports (a validated config never has it).
 */
export function compileFilter(filters: ReadonlyArray<FilterConfig | undefined>, onThrottled?: OnThrottled): ((r: LogRecord) => boolean) | undefined {
  const issues: ConfigIssue[] = [];
  const tests = filters.map((f, i) => compileOne(f, `filter[${i}]`, issues, onThrottled)).filter((t): t is Test => t !== undefined);
  if (issues.length > 0) throw new Error(`record filter: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`);
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (r) => {
    for (const t of tests) if (!t(r)) return false;
    return true;
  };
}
