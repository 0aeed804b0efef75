/**
 * How `tributary agent` starts Node (bin/tributary's `AGENT_NODE_OPTIONS` and `AGENT_NODE_FLAGS` lines),
 * for the benches that time the agent's own code: the agent rows of bench/agent.ts start their children
 * with these, and the benches that time its transforms in process (the stage figures, bench/parsing.ts,
 * bench/parsers.ts, bench/redact.ts) run under the same V8 flags. Without the agent's
 * `--no-allocation-site-pretenuring` V8 pretenured the auto parser's records in about one run of three
 * of a loop of the parser, and a record builder's lines/CPU-s in `npm run eval:parsing` read about a
 * fifth lower than under the flag (agents/PERFORMANCE.md, 2026-12-04).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A value bin/tributary gives `tributary agent` in a checkout (its `NAME='...'` line): `AGENT_NODE_OPTIONS`
 * (Node flags in NODE_OPTIONS) or `AGENT_NODE_FLAGS` (V8 flags Node refuses there, on its command line),
 * so the agent rows measure what a user's agent runs with. '' for a checkout without the launcher or,
 * unless `required`, without the line.
 */
function launcherValue(checkout: string, name: 'AGENT_NODE_OPTIONS' | 'AGENT_NODE_FLAGS', required: boolean): string {
  const launcher = join(checkout, 'bin', 'tributary');
  if (!existsSync(launcher)) return '';
  const m = new RegExp(`^${name}='([^']*)'$`, 'm').exec(readFileSync(launcher, 'utf8'));
  if (!m && required) throw new Error(`${launcher}: no ${name}='...' line; the agent rows would not start Node as \`tributary agent\` does`);
  return m?.[1] ?? '';
}

export const launcherNodeOptions = (checkout: string): string => launcherValue(checkout, 'AGENT_NODE_OPTIONS', true);
export const launcherNodeFlags = (checkout: string): string[] => launcherValue(checkout, 'AGENT_NODE_FLAGS', false).split(' ').filter(Boolean);

/**
 * Runs this script again under the agent's V8 command-line flags when it was started without them
 * (they cannot be set once V8 runs) and exits with its status; returns at once in a process that has
 * them. Not the agent's NODE_OPTIONS: its small young generation suits the agent's batches, not a
 * bench loop that holds 300,000 records.
 */
export function withAgentV8Flags(checkout: string): void {
  const missing = launcherNodeFlags(checkout).filter((f) => !process.execArgv.includes(f));
  if (missing.length === 0) return;
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
