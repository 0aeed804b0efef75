/**
 * What a source type is to the agent, in one place: its config keys (JSON Schema, snake_case, with
 * their defaults), the checks that need code, the paths it resolves against the config file's folder,
 * how it is built from its validated config, and how `tributary agent` describes it. agents/config.ts
 * makes the config schema and its checks from the list in index.ts; agents/from-config.ts builds the
 * sources from it. Adding a source type is one definition beside its code, and one line in the list.
 */
import { type ConfigIssue } from '../../core/config/loader.ts';
import { type RecordPool } from '../record-pool.ts';
import { type RecordBuilder, type RecordBuilderOptions } from '../record-builder.ts';
import { type Source } from '../source.ts';
import { type ParserConfig } from '../transforms/parsers/index.ts';

export interface SourceCheckContext {
  /** The source's name (its key under `sources`). */
  name: string;
  env: NodeJS.ProcessEnv;
  /** Addresses taken so far (`tcp 127.0.0.1:4318`) and by which source: two sources cannot share one. */
  addresses: Map<string, string>;
}

export interface SourceBuildContext {
  /** The source's name (its key under `sources`). */
  name: string;
  /** The source's `service`, else the agent's `service.name`. */
  service: string;
  /** Whether the source names a service itself (else a service its data names may take its place). */
  serviceNamed: boolean;
  /** The agent's host name. */
  host: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** The record builder options of this source: its parser and time zone over the agent's redaction, inference and resource. */
  builderOptions(parsing: { parser: ParserConfig; time_zone: string }): RecordBuilderOptions;
  /** A record builder with those options, counting into the agent's counters. */
  recordBuilder(parsing: { parser: ParserConfig; time_zone: string }): RecordBuilder;
  /** The agent's record threads (made on first use). */
  pool(): RecordPool;
}

export interface SourceDefinition<C extends { type: string } = { type: string }> {
  type: C['type'];
  description: string;
  /** Its keys besides `type`, as JSON Schema properties with their defaults. */
  properties: Record<string, object>;
  required?: string[];
  /** It emits metric points only, so it takes no record `filter`. */
  metricsOnly?: boolean;
  /** Relative paths made absolute against the config file's folder. */
  resolvePaths?(cfg: C, baseDir: string): void;
  /** What the schema cannot say (regexes, zones, addresses, secrets in the environment). */
  check?(cfg: C, path: string, issues: ConfigIssue[], ctx: SourceCheckContext): void;
  create(cfg: C, ctx: SourceBuildContext): Source;
  /** One line for `tributary agent`'s start: what it reads. */
  describe(cfg: C): string;
}

/** A definition with its config type checked where it is written, stored in the list untyped. */
export function defineSource<C extends { type: string }>(def: SourceDefinition<C>): SourceDefinition {
  return def as unknown as SourceDefinition;
}
