/**
 * A subcommand: a name, one line of summary, its help text, and `run`, which returns the exit code.
 * Each lives in `cli/commands/<name>.ts` as its default export.
 */
export interface Command {
  name: string;
  summary: string;
  /** Full help, shown by `tributary <name> --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}
