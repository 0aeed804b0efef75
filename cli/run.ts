/** Running one subcommand and leaving the process: shared by `cli/main.ts` and the bundled agent (`cli/agent-entry.ts`). */
import type { Command } from './command.ts';
import { isTributaryError } from '../core/errors.ts';
import { flushLogs } from '../core/log.ts';

/** Prints the command's help when asked, else runs it; resolves to its exit code. */
export function runCommand(command: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return Promise.resolve(0);
  }
  return command.run(argv);
}

/** Sets the exit code from a command's outcome; a TributaryError is one line, anything else its stack. */
export function finish(outcome: Promise<number>): Promise<void> {
  return outcome.then(
    (code) => {
      flushLogs();
      process.exitCode = code;
    },
    (err: unknown) => {
      flushLogs();
      if (isTributaryError(err)) {
        process.stderr.write(`tributary: ${err.message}\n`);
      } else {
        process.stderr.write(`tributary: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
      process.exitCode = 1;
    },
  );
}
