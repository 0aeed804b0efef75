/**
 * What every source's part of the agent's config schema is made of: the JSON Schema helpers, the
 * parser and multiline sections, the keys line sources share, and the checks that need code (regexes,
 * zones, time formats, addresses). Each source states its own keys beside its code (agents/sources/,
 * `SourceDefinition`); agents/config.ts puts them together.
 */
import { type ConfigIssue } from '../core/config/loader.ts';
import { ENCODINGS } from './transforms/line-splitter.ts';
import type { MultilineOptions } from './transforms/multiline.ts';
import type { FilterConfig } from './transforms/filter.ts';
import { buildParser, PARSER_NAMES, PARSERS, type ParserConfig } from './transforms/parsers/index.ts';
import { checkFormat, isValidTimeZone } from './transforms/timestamp.ts';

export interface MultilineConfig {
  enabled: boolean;
  start_pattern?: string;
  continue_pattern?: string;
  start_with_stamp: boolean;
  timeout_ms: number;
  max_lines: number;
  max_bytes: number;
}

export interface LineSourceCommon {
  service?: string;
  attributes: Record<string, string>;
  parser: ParserConfig;
  time_zone: string;
  multiline: MultilineConfig;
  encoding: 'auto' | 'utf8' | 'utf16le' | 'utf16be';
  max_line_bytes: number;
  on_long_line: 'split' | 'truncate';
  /** The source's record filter (agents/config.ts adds the key to every source that sends logs). */
  filter?: FilterConfig;
}

export const MiB = 1024 * 1024;

export const str = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra });
export const int = (description: string, minimum: number, dflt?: number, extra: object = {}) =>
  ({ type: 'integer', minimum, description, ...(dflt !== undefined ? { default: dflt } : {}), ...extra });
export const bool = (description: string, dflt: boolean) => ({ type: 'boolean', description, default: dflt });
export const stringMap = (description: string) => ({ type: 'object', description, additionalProperties: { type: 'string' }, default: {} });
export const obj = (description: string, properties: Record<string, object>, extra: object = {}) =>
  ({ type: 'object', description, additionalProperties: false, properties, default: {}, ...extra });

/** Each parser's own options, from the registry: one discriminated branch per parser. */
export function parserSchema(): object {
  return {
    type: 'object',
    description: `How lines are parsed: ${PARSER_NAMES.join(', ')}. A string is short for {type: <name>}. A line the parser does not match is kept as a plain body.`,
    discriminator: { propertyName: 'type' },
    required: ['type'],
    properties: { type: { type: 'string', description: 'Parser name.' } },
    oneOf: PARSER_NAMES.map((name) => {
      const def = PARSERS[name];
      return {
        type: 'object',
        additionalProperties: false,
        properties: { type: { const: name, description: def.description }, ...def.configProperties },
        ...(def.required ? { required: def.required } : {}),
      };
    }),
    default: { type: 'auto' },
  };
}

export const multilineSchema = obj('Assembling multiline records (stack traces) from lines.', {
  enabled: bool('Assemble multiline records. Off: every line is a record.', true),
  start_pattern: str('Regular expression: a line matching it starts a new record, others continue it. Default: built-in rules for what runtimes and servers print after a first line: stack traces of Java, Python, Node, Go, Rust, PHP and C++ (indented lines, "Caused by:", "... N more", Traceback, goroutine dumps), PostgreSQL\'s DETAIL/HINT/STATEMENT lines, RabbitMQ\'s lines under a repeated prefix (agents/transforms/README.md, "Multiline").', { minLength: 1 }),
  continue_pattern: str('Regular expression: a line matching it continues the pending record, others start one. Exclusive with start_pattern.', { minLength: 1 }),
  start_with_stamp: bool('Records start with a time stamp: under a record whose first line starts with one (any shape the parser reads, also after "[" or a terminal colour), every line without one continues it, so a message of several lines or a dump stays one record; under a first line without one the built-in rules decide. For logs whose every entry is stamped; exclusive with start_pattern and continue_pattern.', false),
  timeout_ms: int('Flush a pending record after this many ms without a new line.', 1, 1000),
  max_lines: int('Most lines in one record; longer ones are cut into numbered parts (tributary.multiline.part).', 1, 500),
  max_bytes: int('Most bytes in one record; larger ones are cut into numbered parts.', 64, MiB),
});

export const lineSourceCommon = {
  service: str('Service name for records of this source (default: service.name); a service named by the line itself wins.', { minLength: 1 }),
  attributes: stringMap('Attributes added to every record of this source.'),
  parser: parserSchema(),
  time_zone: str('IANA time zone for timestamps written without an offset.', { default: 'UTC' }),
  multiline: multilineSchema,
  encoding: str('Text encoding: auto (BOM, else UTF-8), utf8, utf16le or utf16be. Invalid bytes become U+FFFD.', { enum: ENCODINGS, default: 'auto' }),
  max_line_bytes: int('A line longer than this many bytes is split or truncated, marked and counted.', 64, MiB),
  on_long_line: str('What to do with a line longer than max_line_bytes: split into parts (tributary.line.part) or truncate (tributary.line.truncated_bytes).', { enum: ['split', 'truncate'], default: 'split' }),
};

export const LISTEN_PATTERN = '^(\\[[0-9a-fA-F:]+\\]|[^\\s:]+):\\d{1,5}$';

/** Multiline assembler options of a source, or undefined when assembly is off. */
export function multilineOptions(ml: MultilineConfig): Partial<MultilineOptions> | undefined {
  if (!ml.enabled) return undefined;
  return {
    ...(ml.start_pattern !== undefined ? { startPattern: new RegExp(ml.start_pattern) } : {}),
    ...(ml.continue_pattern !== undefined ? { continuePattern: new RegExp(ml.continue_pattern) } : {}),
    ...(ml.start_with_stamp ? { startWithStamp: true } : {}),
    timeoutMs: ml.timeout_ms,
    maxLines: ml.max_lines,
    maxBytes: ml.max_bytes,
  };
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Each of `keys` that `src` sets names an environment variable (a secret's): one that is not set (or empty) is an issue. */
export function checkEnvNames<K extends string>(src: Partial<Record<K, string>>, keys: readonly K[], path: string, issues: ConfigIssue[], env: NodeJS.ProcessEnv): void {
  for (const key of keys) {
    const name = src[key];
    if (name !== undefined && !env[name]) issues.push({ path: `${path}.${key}`, message: `environment variable ${name} is not set` });
  }
}

export function tryRegex(pattern: string | undefined, path: string, issues: ConfigIssue[]): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch (err) {
    issues.push({ path, message: `is not a valid regular expression: ${(err as Error).message}` });
  }
}

/** A source's time zone and parser (its own time zone and time format too): what can be checked before it runs. */
export function checkParsing(src: { time_zone: string; parser: ParserConfig }, base: string, issues: ConfigIssue[]): void {
  if (!isValidTimeZone(src.time_zone)) issues.push({ path: `${base}.time_zone`, message: `unknown time zone "${src.time_zone}"` });
  const p = src.parser as Record<string, unknown>;
  if (typeof p.time_zone === 'string' && !isValidTimeZone(p.time_zone)) issues.push({ path: `${base}.parser.time_zone`, message: `unknown time zone "${p.time_zone}"` });
  if (typeof p.time_format === 'string') {
    const err = checkFormat(p.time_format);
    if (err) issues.push({ path: `${base}.parser.time_format`, message: err });
  }
  try {
    buildParser(src.parser);
  } catch (err) {
    issues.push({ path: `${base}.parser`, message: (err as Error).message });
  }
}

/** `host:port` split; the port checked. */
export function checkPort(listen: string, path: string, issues: ConfigIssue[]): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (port < 1 || port > 65535) issues.push({ path, message: 'port must be 1..65535' });
  return { host: listen.slice(0, i), port };
}

/** Claims `key` (`udp 127.0.0.1:5514`) for source `name`; a second claim is an issue naming the first. */
export function claimAddress(addresses: Map<string, string>, key: string, shown: string, name: string, path: string, issues: ConfigIssue[]): void {
  const other = addresses.get(key);
  if (other !== undefined) issues.push({ path, message: `${shown} is already used by source ${other}` });
  else addresses.set(key, name);
}

/** The checks of a source that reads lines (files, stdin): multiline rules, parsing, the line bound. */
export function checkLineSource(src: LineSourceCommon, base: string, issues: ConfigIssue[]): void {
  const ml = src.multiline;
  if (ml.start_pattern !== undefined && ml.continue_pattern !== undefined) {
    issues.push({ path: `${base}.multiline`, message: 'set start_pattern or continue_pattern, not both' });
  }
  if (ml.start_with_stamp && (ml.start_pattern !== undefined || ml.continue_pattern !== undefined)) {
    issues.push({ path: `${base}.multiline.start_with_stamp`, message: 'replaces start_pattern and continue_pattern: set one of them' });
  }
  tryRegex(ml.start_pattern, `${base}.multiline.start_pattern`, issues);
  tryRegex(ml.continue_pattern, `${base}.multiline.continue_pattern`, issues);
  checkParsing(src, base, issues);
  if (src.max_line_bytes > src.multiline.max_bytes && src.multiline.enabled) {
    issues.push({ path: `${base}.multiline.max_bytes`, message: `must be at least max_line_bytes (${src.max_line_bytes}), or a single line would not fit in a record` });
  }
}
