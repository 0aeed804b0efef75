/**
 * Severity on the host: severity words, pino numeric levels and syslog severities in, OpenTelemetry
 * severity numbers out; and, for lines that carry none, a configurable guess from the body.
 * The word table itself lives in `core/contracts/records.ts` (`severityNumber`); this module only
 * adds spellings and numeric schemes on top of it.
 */
import { SEVERITY_NUMBERS, severityNumber, severityText } from '../../core/contracts/records.ts';

export interface Severity {
  /** As written by the source, upper-cased (`WARNING`, `ERR`, `INFO`). */
  text: string;
  /** OpenTelemetry severity number, 1..24; 0 when unknown. */
  number: number;
}

/** Spellings found in the wild that the contract's table does not know, mapped to a word it does. */
const ALIASES: Readonly<Record<string, string>> = {
  TRC: 'TRACE', TRCE: 'TRACE', TRACING: 'TRACE', VERBOSE: 'TRACE', FINEST: 'TRACE', FINER: 'TRACE',
  DBG: 'DEBUG', DBUG: 'DEBUG', DEBG: 'DEBUG', FINE: 'DEBUG', CONFIG: 'DEBUG', DEBUG5: 'DEBUG', // PostgreSQL's most verbose; DEBUG1-4 read as OpenTelemetry's
  INF: 'INFO', INFORMATION: 'INFO', INFORMATIONAL: 'INFO', LOG: 'INFO', NOTE: 'INFO', SYSTEM: 'INFO', // PostgreSQL; MySQL
  NOT: 'NOTICE',
  WRN: 'WARN', WARNINGS: 'WARN',
  ERRO: 'ERROR', EROR: 'ERROR', ERRORS: 'ERROR', SEVERE: 'ERROR', FAIL: 'ERROR', FAILURE: 'ERROR',
  CRT: 'CRITICAL', EMERGENCY: 'EMERG', FTL: 'FATAL', DPANIC: 'ERROR',
  // glog / Android / klog single letters
  T: 'TRACE', V: 'TRACE', D: 'DEBUG', I: 'INFO', N: 'NOTICE', W: 'WARN', E: 'ERROR', C: 'CRITICAL', F: 'FATAL',
};

/** OpenTelemetry's own text forms carry a 1..4 suffix within a range (`INFO2`, `ERROR4`). */
const RANGE_SUFFIX = /^([A-Z]+)([1-4])$/;

/** Severity number of a word (`warn`, `Warning`, `E`, `INFO3`), 0 when the word is unknown. */
export function severityFromText(text: string): number {
  return KNOWN_WORDS.get(text) ?? wordNumber(text);
}

function wordNumber(text: string): number {
  const upper = text.trim().toUpperCase();
  const direct = severityNumber(upper);
  if (direct !== 0) return direct;
  const alias = ALIASES[upper];
  if (alias !== undefined) return severityNumber(alias);
  const m = RANGE_SUFFIX.exec(upper);
  if (m) {
    const base = severityNumber(ALIASES[m[1]!] ?? m[1]!);
    // Only the range starts are offset (TRACE=1, DEBUG=5, ...); CRIT/EMERG are already inside a range.
    if (base !== 0 && (base - 1) % 4 === 0) return base + Number(m[2]) - 1;
  }
  return 0;
}

/**
 * The words lines actually carry, as written (`INFO`, `info`, `Info`), with their numbers worked out
 * once by wordNumber: a look-up instead of trimming and upper-casing every line's level twice.
 */
const KNOWN_WORDS: ReadonlyMap<string, number> = new Map(
  [...Object.keys(SEVERITY_NUMBERS), ...Object.keys(ALIASES)]
    .flatMap((w) => [w, w.toLowerCase(), w[0] + w.slice(1).toLowerCase()])
    .map((w) => [w, wordNumber(w)]),
);

/** KNOWN_WORDS with a number, and the text severityFromValue gives them. */
const KNOWN_SEVERITIES: ReadonlyMap<string, Severity> = new Map(
  // A single letter (`I`, MongoDB's `s`; glog, logcat) is an abbreviation: the record carries the word, as the header parser writes it.
  [...KNOWN_WORDS].filter(([, number]) => number !== 0).map(([word, number]) => [word, { text: word.length === 1 ? severityText(number) : word.trim().toUpperCase(), number }]),
);

/** pino's numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; custom levels fall in between. */
const PINO_LABELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
const PINO_NUMBERS = PINO_LABELS.map((label) => severityNumber(label));

export function severityFromPino(level: number): Severity {
  if (!Number.isFinite(level) || level <= 0) return { text: String(level), number: 0 };
  const idx = Math.min(5, Math.max(0, Math.floor(level / 10) - 1));
  const label = PINO_LABELS[idx]!;
  return { text: level % 10 === 0 && level <= 60 ? label : String(level), number: PINO_NUMBERS[idx]! };
}

/** Syslog severity keywords, index = the low three bits of PRI (RFC 5424 table 2). */
export const SYSLOG_SEVERITIES = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;

export function severityFromSyslog(severity: number): Severity {
  const text = SYSLOG_SEVERITIES[severity & 7]!;
  return { text, number: severityNumber(text) };
}

/**
 * Severity from a field value of unknown type: a word, a pino number, or a numeric string.
 * Numbers up to 7 are ambiguous (syslog or OTel); only pino's scale (>= 10) is read as a number.
 */
/**
 * npm's levels that no other scheme shares, as winston writes them (lower case) under a level key,
 * numbered as OpenTelemetry's winston transport numbers them: `verbose` is above debug there, where
 * Serilog's `Verbose` (capitalised) is the lowest of all (ALIASES).
 */
function npmValue(value: string): Severity | undefined {
  // Three string comparisons behind a first-letter test: every level value of every JSON and logfmt line asks.
  const c = value.charCodeAt(0);
  if (c === 104 /* h */) return value === 'http' ? { text: 'HTTP', number: 7 } : undefined;
  if (c === 118 /* v */) return value === 'verbose' ? { text: 'VERBOSE', number: 6 } : undefined;
  if (c === 115 /* s */) return value === 'silly' ? { text: 'SILLY', number: 1 } : undefined;
  return undefined;
}

export function severityFromValue(value: unknown): Severity | undefined {
  if (typeof value === 'number') return value >= 10 ? severityFromPino(value) : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 16) return undefined;
  // The words lines carry (`info`, `WARN`): their upper-case text worked out once, not per line.
  const npm = npmValue(value);
  if (npm !== undefined) return npm;
  const known = KNOWN_SEVERITIES.get(value);
  if (known !== undefined) return { text: known.text, number: known.number };
  const n = severityFromText(value);
  if (n !== 0) return { text: value.trim().toUpperCase(), number: n };
  if (/^\d{2}$/.test(value)) return severityFromPino(Number(value));
  return { text: value.trim().toUpperCase(), number: 0 };
}

export interface InferenceRule {
  /** Regular expression tested against the body. */
  pattern: RegExp;
  /** Severity word given to a body that matches. */
  severity: string;
}

export interface SeverityInferenceOptions {
  /** When false, lines without a severity stay UNSPECIFIED. */
  enabled: boolean;
  /** Tried in order; the first match wins. */
  rules: InferenceRule[];
}

/**
 * Default guesses, most severe first. Words must stand alone (` ERROR `, `[WARN]`, `level=error`) so
 * that `errors=0` or `TerrorIndex` do not count; exception names count wherever they appear.
 */
export const DEFAULT_INFERENCE: SeverityInferenceOptions = {
  enabled: true,
  rules: [
    // Go's `panic:` and Rust's `thread 'main' panicked at src/main.rs:2:5`.
    { pattern: /\b(?:FATAL|PANIC|CRITICAL|EMERG(?:ENCY)?)\b|\bpanic:|^thread '[^']*'(?: \(\d+\))? panicked at /, severity: 'FATAL' },
    // An error type leading its message: `TypeError: x`, `TypeError [ERR_X]: x` (Node), `KeyError: 'k'` (Python);
    // found by its small letter before `Error` (a pattern starting `\b[A-Z]\w*` backtracks over every capitalised word).
    { pattern: /\bERROR\b|\bERR\b|\b[Ee]rror\b(?!s?\s*[=:]\s*0\b)|Exception\b|[a-z]Error(?: \[[A-Z0-9_]+\])?: |^Traceback \(most recent call last\)|\bFAILED\b/, severity: 'ERROR' },
    { pattern: /\bWARN(?:ING)?\b|\b[Ww]arn(?:ing)?\b(?!s?\s*[=:]\s*0\b)/, severity: 'WARN' },
  ],
};

/** Guesses a severity from a body that came without one; undefined when nothing matches or inference is off. */
export function inferSeverity(body: string, options: SeverityInferenceOptions = DEFAULT_INFERENCE): Severity | undefined {
  if (!options.enabled) return undefined;
  for (const rule of options.rules) {
    if (rule.pattern.test(body)) return { text: rule.severity.toUpperCase(), number: severityFromText(rule.severity) };
  }
  return undefined;
}

/** The canonical word for a number, re-exported so transforms need only this module. */
export { severityText };
