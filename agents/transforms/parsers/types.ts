/**
 * The contract every line parser meets: a line (and a small context) in, the fields of a log record
 * out, or null when the line is not in the parser's format.
 */

/** What a parser found in one line. Fields it did not find are left undefined. */
export interface ParsedFields {
  /** Event time, epoch ms (a fraction keeps microseconds); undefined when the line carries none. */
  time?: number;
  /** Severity as written, upper-cased (`WARNING`, `ERR`, `30` for an unknown pino level). */
  severityText?: string;
  /** OpenTelemetry severity number (0 = unknown); set together with severityText. */
  severityNumber?: number;
  /** The message. The whole line when the format has no message part. */
  body: string;
  /** Everything else the line named, as strings (nested objects flattened with dots). */
  attributes: Record<string, string>;
  /** W3C trace id (32 lower-case hex), when the line carried a valid one. */
  traceId?: string;
  /** W3C span id (16 lower-case hex), when the line carried a valid one. */
  spanId?: string;
  /** Service named by the line itself (pino `name` is not taken; `service`, `service.name` are). */
  service?: string;
  /** Host named by the line itself (`hostname`, `host.name`, syslog HOSTNAME). */
  host?: string;
  /**
   * Set when the line could not be read as intended: `unmatched` (no format fits; the body is the whole
   * line) or `bad_time` (a format fits but its date cannot exist; the line is kept whole without a time).
   * The record builder counts both per source; neither travels in the record.
   */
  fallback?: 'unmatched' | 'bad_time';
  /**
   * A time that holds for the lines after this one in its file until the next that sets one (`set`), or
   * this line's time is the last one set in its file (`take`): MariaDB's general query log writes a
   * time only when the second changed (parsers/general-log.ts). The record builder carries it.
   */
  timeCarried?: 'set' | 'take';
}

/** Per-call context: the clock and the default time zone for wall-clock stamps. */
export interface ParseContext {
  /** Now, epoch ms; year-less stamps take the year closest to it. */
  now: number;
  /** IANA zone for stamps without an offset; `UTC` when unset. */
  timeZone?: string;
  /** The directives in force above this line in its file (a W3C `#Fields:` line, Zeek's `#separator`, `#fields`, ...: parsers/w3c.ts), when there are any. */
  header?: string;
}

/** A parser built from its options: pure, never throws for any input. */
export type LineParser = (line: string, ctx: ParseContext) => ParsedFields | null;

/** A parser's registration: its name, option defaults, option schema (snake_case, as in YAML) and constructor. */
export interface ParserDefinition<O extends object> {
  name: string;
  description: string;
  defaults: O;
  /** JSON Schema `properties` of this parser's options in the agent config (snake_case keys). */
  configProperties: Record<string, object>;
  /** Names of required option keys (snake_case). */
  required?: string[];
  /** Builds the parser; throws a plain Error for options that cannot work (a bad regex). */
  create(options: Partial<O>): LineParser;
}
