/**
 * Prometheus' exposition formats read: the text format (0.0.4, what every exporter and client library
 * serves by default) and OpenMetrics 1.0 text (what they serve when asked for it). Samples come out
 * with the type of their family (`# TYPE`), so a scraper can tell a counter from a gauge and a
 * histogram's buckets from its sum; a line that is neither a comment nor a sample is reported with its
 * number and why, and the rest of the page is still read.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'stateset' | 'info' | 'untyped' | 'unknown';

const FAMILY_TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'stateset', 'info', 'untyped', 'unknown']);

export interface Sample {
  /** The sample's own name: `http_requests_total`, `latency_seconds_bucket`. */
  name: string;
  /** The family it belongs to (the name `# TYPE` gave), or its own name when none claims it. */
  family: string;
  /** The family's type; `untyped` when no `# TYPE` line names it. */
  type: FamilyType;
  /** What the sample's name adds to its family's: `_bucket`, `_sum`, `_count`, `_total`, `_created`, ... or ''. */
  suffix: string;
  labels: Record<string, string>;
  /** May be NaN or infinite: the formats allow both. */
  value: number;
  /** The sample's own time, epoch milliseconds; undefined when it has none. */
  timeMs: number | undefined;
}

export interface ExpositionError {
  /** 1-based line number in the page. */
  line: number;
  reason: string;
  /** The line, cut to 200 characters. */
  text: string;
}

export interface Exposition {
  samples: Sample[];
  /** `# UNIT` lines (OpenMetrics), by family. */
  units: Map<string, string>;
  errors: ExpositionError[];
}

/** Suffixes a sample's name may add to its family's, the longest first where one ends another. */
const SUFFIXES = ['_bucket', '_gcount', '_gsum', '_count', '_sum', '_total', '_created', '_info'];

/**
 * Reads a page of either format. `openMetrics` (the answer's content type said
 * `application/openmetrics-text`) makes timestamps seconds, as that format writes them; the text
 * format's are milliseconds. Stops at OpenMetrics' `# EOF`.
 */
export function parseExposition(text: string, openMetrics = false): Exposition {
  const types = new Map<string, FamilyType>();
  const units = new Map<string, string>();
  const samples: Sample[] = [];
  const errors: ExpositionError[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.charCodeAt(0) === 35 /* # */) {
      if (line === '# EOF') break;
      // HELP is for people; only TYPE and UNIT say something a point needs.
      if (!line.startsWith('# TYPE') && !line.startsWith('# UNIT') && !/^#\s+(?:TYPE|UNIT)\s/.test(line)) continue;
      const m = /^#\s+(TYPE|UNIT)\s+(\S+|"(?:[^"\\]|\\.)*")(?:\s+(.*))?$/.exec(line);
      if (m === null) continue; // any other comment
      const family = m[2]!.startsWith('"') ? unescape(m[2]!.slice(1, -1)) : m[2]!;
      if (m[1] === 'TYPE') {
        const t = (m[3] ?? '').trim().toLowerCase();
        if (!FAMILY_TYPES.has(t)) errors.push(errorAt(lineNo, `unknown metric type "${t}" for ${family}`, line));
        else types.set(family, t as FamilyType);
      } else if (m[1] === 'UNIT' && m[3]) units.set(family, m[3].trim());
      continue;
    }
    const c0 = line.charCodeAt(0);
    if ((c0 === 32 || c0 === 9 || line.length === 0) && line.trim() === '') continue;
    const s = parseSample(line, openMetrics);
    if (typeof s === 'string') {
      errors.push(errorAt(lineNo, s, line));
      continue;
    }
    familyOf(s, types);
    samples.push(s);
  }
  return { samples, units, errors };
}

function errorAt(line: number, reason: string, text: string): ExpositionError {
  return { line, reason, text: text.length > 200 ? `${text.slice(0, 200)}...` : text };
}

/** Sets the family a sample belongs to: its own name if typed, else its name less a suffix its family's type writes. */
function familyOf(s: Sample, types: Map<string, FamilyType>): void {
  const name = s.name;
  const own = types.get(name);
  if (own !== undefined) {
    s.type = own;
    // Python's client writes a counter's, histogram's or summary's `_created` in the text format as a
    // gauge family of its own (`# TYPE http_requests_created gauge`); it is that family's `_created`, as in
    // OpenMetrics, or the series would differ with the format the target answers in.
    if (own === 'gauge' && name.endsWith('_created')) createdOf(s, types);
    return;
  }
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = name.slice(0, -suffix.length);
    const type = types.get(family);
    if (type !== undefined && suffixFits(type, suffix)) {
      s.family = family;
      s.type = type;
      s.suffix = suffix;
      return;
    }
  }
}

function createdOf(s: Sample, types: Map<string, FamilyType>): void {
  const base = s.name.slice(0, -'_created'.length);
  for (const family of [base, `${base}_total`]) {
    const type = types.get(family);
    if (type === 'counter' || ((type === 'histogram' || type === 'summary') && family === base)) {
      s.family = family;
      s.type = type;
      s.suffix = '_created';
      return;
    }
  }
}

function suffixFits(type: FamilyType, suffix: string): boolean {
  switch (type) {
    case 'counter': return suffix === '_total' || suffix === '_created';
    case 'histogram': return suffix === '_bucket' || suffix === '_sum' || suffix === '_count' || suffix === '_created';
    case 'gaugehistogram': return suffix === '_bucket' || suffix === '_gsum' || suffix === '_gcount';
    case 'summary': return suffix === '_sum' || suffix === '_count' || suffix === '_created';
    case 'info': return suffix === '_info';
    default: return false;
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/** One sample line: `name{label="value",...} value [timestamp] [# exemplar]`; a string says what is wrong. */
function parseSample(line: string, openMetrics: boolean): Sample | string {
  let i = 0;
  let name = '';
  const m = NAME.exec(line);
  if (m !== null) {
    name = m[0];
    i = name.length;
  } else if (line.charCodeAt(0) !== 123 /* { */) {
    return 'expected a metric name';
  }
  const labels: Record<string, string> = {};
  if (line.charCodeAt(i) === 123 /* { */) {
    i++;
    for (;;) {
      i = skipBlanks(line, i);
      if (line.charCodeAt(i) === 125 /* } */) {
        i++;
        break;
      }
      let key: string;
      if (line.charCodeAt(i) === 34 /* " */) {
        const q = quoted(line, i);
        if (q === undefined) return 'a quoted name or label value does not end';
        [key, i] = q;
        i = skipBlanks(line, i);
        // Prometheus 3's UTF-8 names: a quoted string alone in the braces is the metric's name.
        if (name === '' && (line.charCodeAt(i) === 44 /* , */ || line.charCodeAt(i) === 125 /* } */)) {
          name = key;
          if (line.charCodeAt(i) === 44) i++;
          continue;
        }
      } else {
        LABEL_NAME.lastIndex = i;
        const k = LABEL_NAME.exec(line);
        if (k === null) return `expected a label name at column ${i + 1}`;
        key = k[0];
        i = skipBlanks(line, i + key.length);
      }
      if (line.charCodeAt(i) !== 61 /* = */) return `expected "=" after label ${key}`;
      i = skipBlanks(line, i + 1);
      if (line.charCodeAt(i) !== 34) return `expected a quoted value for label ${key}`;
      const v = quoted(line, i);
      if (v === undefined) return `the value of label ${key} does not end`;
      if (key === '__proto__') Object.defineProperty(labels, key, { value: v[0], enumerable: true, writable: true, configurable: true });
      else labels[key] = v[0];
      i = skipBlanks(line, v[1]);
      if (line.charCodeAt(i) === 44) i++;
      else if (line.charCodeAt(i) !== 125) return `expected "," or "}" after label ${key}`;
    }
  }
  if (name === '') return 'expected a metric name';
  // OpenMetrics puts an exemplar after ` # `; it is not the sample's.
  const hash = line.indexOf(' # ', i);
  const rest = fields(line, i, hash === -1 ? line.length : hash);
  if (rest.length === 0) return `no value for ${name}`;
  if (rest.length > 2) return `unexpected "${rest[2]}" after the value and timestamp of ${name}`;
  const value = parseValue(rest[0]!);
  if (value === undefined) return `"${rest[0]}" is not a number (the value of ${name})`;
  let timeMs: number | undefined;
  if (rest.length === 2) {
    const t = Number(rest[1]);
    if (!Number.isFinite(t)) return `"${rest[1]}" is not a timestamp (of ${name})`;
    timeMs = openMetrics ? Math.round(t * 1000) : Math.trunc(t);
  }
  // Untyped under its own name until familyOf finds its family (one shape for every sample).
  return { name, family: name, type: 'untyped', suffix: '', labels, value, timeMs };
}

/** The words of `line` between `from` and `to`, split at spaces and tabs. */
function fields(line: string, from: number, to: number): string[] {
  const out: string[] = [];
  let i = from;
  while (i < to) {
    i = skipBlanks(line, i);
    if (i >= to) break;
    let j = i;
    while (j < to && line.charCodeAt(j) !== 32 && line.charCodeAt(j) !== 9) j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

function skipBlanks(line: string, i: number): number {
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  return i;
}

/** The string in quotes at `i` (escapes undone) and the index after its closing quote. */
function quoted(line: string, i: number): [string, number] | undefined {
  let j = i + 1;
  let escaped = false;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (c === 92 /* \ */) {
      escaped = true;
      j += 2;
      continue;
    }
    if (c === 34) {
      const raw = line.slice(i + 1, j);
      return [escaped ? unescape(raw) : raw, j + 1];
    }
    j++;
  }
  return undefined;
}

/** The formats' three escapes (`\\`, `\"`, `\n`); any other backslash stays as written. */
function unescape(s: string): string {
  return s.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Go's ParseFloat as the formats use it: decimals, exponents, `NaN`, `+Inf`, `-Inf`, `Inf`. */
function parseValue(s: string): number | undefined {
  const c = s.charCodeAt(s.length - 1);
  // Most values: digits (and a dot, an exponent) that Number reads as Go does.
  if (c >= 48 && c <= 57 && /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}
