/**
 * A configuration schema's validator as code written ahead of time (Ajv's standalone output), so a
 * process that starts often need not load Ajv and compile the schema each time. For the agent that
 * was about 0.14 s of CPU at every start, more than the rest of reading its config (bench:agent's
 * main-thread profile; agents/PERFORMANCE.md, "2026-12-04, night"). bin/agent-bundle.js writes the
 * agent's beside its bundle; `ConfigSchema` (loader.ts) uses such a file only when it was written
 * for the very schema it holds, by the same Ajv (a hash of both), and compiles the schema otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/**
 * Ajv's options for configuration schemas, shared by the compiled and the written-ahead validators:
 * every error at once, defaults filled in, tagged unions, errors that carry their schema (messages
 * list the known keys). A schema is compiled once per process and validates a handful of documents,
 * so Ajv's passes that make the generated code faster cost more than they save (80 ms of CPU instead
 * of 120 for the agent's, same errors, same defaults).
 */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, discriminator: true, verbose: true, strict: true, strictRequired: false, code: { optimize: false } } as const;

/**
 * What a schema's validator is keyed by: a hash of its JSON and of the Ajv that wrote it (a bundle is
 * rebuilt when the project's files change, not when `npm ci` brings another Ajv).
 */
export function schemaHash(schema: object): string {
  const ajv = (require('ajv/package.json') as { version: string }).version;
  return createHash('sha256').update(`ajv ${ajv}\n`).update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

/** Compiles a schema with Ajv, which is loaded here, on first use, not when the process starts. */
export function compileSchema(schema: object): ValidateFunction {
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv(AJV_OPTIONS).compile(schema);
}

/**
 * The source of a CommonJS module exporting the schema's validator (Ajv's standalone code) and the
 * schema's hash. It requires only Ajv's small runtime helpers (string length and the like), resolved
 * from where the file is written: inside the project, whose node_modules holds them.
 */
export function standaloneValidator(schema: object): string {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: InstanceType<typeof Ajv>, v: ValidateFunction) => string }).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { ...AJV_OPTIONS.code, source: true } });
  const code = standalone(ajv, ajv.compile(schema));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schema))};\n`;
}

/**
 * The validator written ahead of time at `file` for `schema`, or undefined when there is none, or it
 * was written for another schema (an older build), or it does not load; the caller then compiles.
 */
export function loadPrecompiled(file: string, schema: object): ValidateFunction | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const m = require(file) as ValidateFunction & { schemaHash?: string };
    return typeof m === 'function' && m.schemaHash === schemaHash(schema) ? m : undefined;
  } catch {
    return undefined;
  }
}
