/**
 * The configuration loader shared by the agent and the worker: YAML text (or flags turned into the
 * same shape) in, a validated object with every default filled out, or a ConfigError listing every
 * problem with its key path (`sources.app.include[0]: must be string`), with a did-you-mean for
 * unknown keys. `${ENV_VAR}` (and `${ENV_VAR:-default}`) in any string value is replaced, and a
 * component's list of TRIBUTARY_* variables overrides keys. Keys are snake_case, as users write them;
 * each component keeps its JSON Schema (with a description per key) beside its code.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import { TributaryError } from '../errors.ts';
import { compileSchema, loadPrecompiled } from './precompiled.ts';

/** One problem with the configuration, at a path like `sources.app.include[0]`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Thrown for an invalid configuration; lists every problem found, each with its path. */
export class ConfigError extends TributaryError {
  readonly issues: ConfigIssue[];

  /** `subject` names what is invalid in the message (`agent` -> "the agent configuration is invalid"). */
  constructor(issues: ConfigIssue[], source?: string, subject = '') {
    const head = source ? `${source}: ` : '';
    super('CONFIG_INVALID', `${head}the ${subject ? `${subject} ` : ''}configuration is invalid:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const safe = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  return base === '' ? safe : `${base}.${safe}`;
}

/** `/sources/app/include/0` -> `sources.app.include[0]`. */
export function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = joinPath(path, /^\d+$/.test(key) ? Number(key) : key);
  }
  return path;
}

/** The candidate nearest to `word`, if near enough to be a typo of it. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) { bestD = d; best = c; }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * One Ajv error as a ConfigIssue. `tagNames(path)` lists the allowed values of a discriminator tag at
 * that path (the agent's source and parser types), for a message that names them.
 */
export function issueOf(e: ErrorObject, tagNames: (path: string) => readonly string[] = () => []): ConfigIssue {
  const path = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, known);
      return {
        path: joinPath(path, key),
        message: `unknown key${guess ? ` (did you mean "${guess}"?)` : ''}${known.length > 0 ? `; known keys: ${known.join(', ')}` : ''}`,
      };
    }
    case 'required':
      return { path: joinPath(path, String((e.params as { missingProperty: string }).missingProperty)), message: 'is required' };
    case 'enum':
      return { path, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'discriminator': {
      const p = e.params as { tag: string; tagValue: unknown; error: string };
      const names = tagNames(path);
      return p.error === 'tag'
        ? { path: joinPath(path, p.tag), message: `is required and must be a string, one of ${names.join(', ')}` }
        : { path: joinPath(path, p.tag), message: `must be one of ${names.join(', ')} (got ${JSON.stringify(p.tagValue)})` };
    }
    case 'propertyNames':
      return { path, message: `has an invalid name "${(e.params as { propertyName: string }).propertyName}" (letters, digits, _ and - only)` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

// ---------------------------------------------------------------------------------------------
// Environment

/** An environment variable that overrides one config key (after `${...}` substitution, before validation). */
export interface EnvOverride {
  name: string;
  /** Dotted key path. */
  path: string;
  description: string;
  /** A comma-separated list becomes an array. */
  list?: boolean;
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string value; `$${` is a literal `${`. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, issues: ConfigIssue[], path = ''): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(ENV_REF, (whole, name: string | undefined, dflt: string | undefined) => {
      if (whole === '$${') return '${';
      const v = env[name!];
      if (v !== undefined && v !== '') return v;
      if (dflt !== undefined) return dflt;
      issues.push({ path, message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, joinPath(path, i)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, issues, joinPath(path, k));
    return out;
  }
  return value;
}

export function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = root;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, overrides: readonly EnvOverride[]): void {
  for (const o of overrides) {
    const v = env[o.name];
    if (v === undefined || v === '') continue;
    setPath(raw, o.path, o.list ? v.split(',').map((s) => s.trim()).filter(Boolean) : v);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface SchemaOptions {
  /** What the configuration is of, for messages ("agent", "worker"). */
  subject: string;
  /** TRIBUTARY_* variables that override keys. */
  overrides?: readonly EnvOverride[];
  /** Rewrites shorthands the schema does not spell out, before validation. */
  normalise?: (raw: Record<string, unknown>) => void;
  /** Allowed values of a discriminator tag at a path (for messages). */
  tagNames?: (path: string) => readonly string[];
  /**
   * Where a validator written ahead of time for this schema may be (precompiled.ts): used when it was
   * written for this very schema, else the schema is compiled.
   */
  precompiled?: string;
}

export interface ValidateOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths are resolved against. Default: the current folder. */
  baseDir?: string;
  /** Name of the file, for messages. */
  source?: string;
}

/** A compiled schema with its loader: validation, YAML parsing and file reading, all with key paths. */
export class ConfigSchema<T> {
  private compiled?: ValidateFunction;
  /** How the validator in use was made, once one was: written ahead of time (a file) or compiled here. */
  validatorSource?: 'precompiled' | 'compiled';

  constructor(readonly schema: object, private readonly o: SchemaOptions) {}

  private validator(): ValidateFunction {
    if (!this.compiled) {
      const ahead = this.o.precompiled ? loadPrecompiled(this.o.precompiled, this.schema) : undefined;
      this.compiled = ahead ?? compileSchema(this.schema);
      this.validatorSource = ahead ? 'precompiled' : 'compiled';
    }
    return this.compiled;
  }

  error(issues: ConfigIssue[], source?: string): ConfigError {
    return new ConfigError(issues, source, this.o.subject);
  }

  /**
   * Substitutes `${ENV}`, applies the overrides, fills defaults and checks the schema; the result has
   * every default filled in. Throws ConfigError with every issue. Cross-field rules are the caller's.
   */
  validate(input: unknown, options: ValidateOptions = {}): T {
    const env = options.env ?? process.env;
    const issues: ConfigIssue[] = [];
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw this.error([{ path: '', message: 'must be a mapping (key: value pairs)' }], options.source);
    }
    const raw = substituteEnv(structuredClone(input), env, issues) as Record<string, unknown>;
    applyEnvOverrides(raw, env, this.o.overrides ?? []);
    this.o.normalise?.(raw);
    const validate = this.validator();
    if (!validate(raw)) {
      // A value emptied by a missing variable was already reported as such.
      const seen = new Set<string>(issues.map((i) => i.path));
      for (const e of validate.errors ?? []) {
        // A discriminated branch already said what is wrong; the generic oneOf summary adds nothing.
        if (e.keyword === 'oneOf' || e.schemaPath.includes('/propertyNames/')) continue;
        const issue = issueOf(e, this.o.tagNames);
        const key = `${issue.path}\u0000${issue.message}`;
        // A missing `type` is reported by `required`; the discriminator would say it again.
        const repeated = e.keyword === 'discriminator' && issues.some((i) => i.path === issue.path);
        if (!seen.has(key) && !seen.has(issue.path) && !repeated) {
          seen.add(key);
          issues.push(issue);
        }
      }
    }
    if (issues.length > 0) throw this.error(issues, options.source);
    return raw as T;
  }

  /** Parses YAML text (syntax errors name the line and column) into a plain value, not yet validated. */
  parseYaml(text: string, source?: string): unknown {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw this.error(doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })), source);
    }
    return (doc.toJS() as unknown) ?? {};
  }

  /** Reads a file's text, or throws a CONFIG_INVALID error that names it. */
  readFile(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `cannot read the ${this.o.subject} configuration ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
