/**
 * Run once when the agent's bundle is built (bin/agent-bundle.js), not by an agent: writes the agent
 * schema's validator ahead of time into the bundle's folder (core/config/precompiled.ts), where the
 * bundled agents/config.ts looks for it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standaloneValidator } from '../core/config/precompiled.ts';
import { AGENT_CONFIG_SCHEMA, AGENT_VALIDATOR_FILE } from './config.ts';

export function writeValidators(dir: string): void {
  writeFileSync(join(dir, AGENT_VALIDATOR_FILE), standaloneValidator(AGENT_CONFIG_SCHEMA));
}
