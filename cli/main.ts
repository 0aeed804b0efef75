/** `tributary <command> [...]`: dispatches to the subcommands under `cli/commands/`. */
import type { Command } from './command.ts';
import { finish, runCommand } from './run.ts';

// Loaded lazily so that `tributary query` does not pay for ONNX or kafkajs.
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  stack: { summary: 'start, stop or inspect the local Kafka broker', load: () => import('./commands/stack.ts') },
  agent: { summary: 'ship files, stdin, OTLP and host metrics into Kafka', load: () => import('./commands/agent.ts') },
  worker: { summary: 'consume Kafka, mine patterns, window, score and store in ClickHouse', load: () => import('./commands/worker.ts') },
  top: { summary: 'a live view of the running agents, workers, lag and dead letters', load: () => import('./commands/top.ts') },
  backfill: { summary: 'recompute a feature view from history (Kafka or ClickHouse) into its table or a file', load: () => import('./commands/backfill.ts') },
  query: { summary: 'run SQL against the store and print the result', load: () => import('./commands/query.ts') },
  migrate: { summary: 'apply the schema migrations to the store', load: () => import('./commands/migrate.ts') },
  demo: { summary: 'run the whole path on a generated multi-service workload', load: () => import('./commands/demo.ts') },
  patterns: { summary: 'print the log pattern of each line read on stdin', load: () => import('./commands/patterns.ts') },
  parse: { summary: 'print the record the agent would make of each line on stdin', load: () => import('./commands/parse.ts') },
  detect: { summary: 'score log windows of a JSONL file offline, as the worker would', load: () => import('./commands/detect.ts') },
  dashboards: { summary: 'generate Grafana dashboards, alert rules and provisioning files', load: () => import('./commands/dashboards.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: tributary <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tributary <command> --help` for the options of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`tributary: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return runCommand((await entry.load()).default, rest);
}

void finish(main(process.argv.slice(2)));
