/**
 * `tributary agent` as one bundled file: bin/agent-bundle.js builds this entry (and the record
 * thread's, `agents/record-thread.ts`, beside it) into plain JavaScript, so an agent on a host starts
 * without the TypeScript loader: about a second less CPU at start and some 50 MB less memory (the
 * loader runs a thread of its own per thread that loads TypeScript). bin/tributary.js imports it with
 * the process's arguments as they are (`tributary agent ...`).
 */
import command from './commands/agent.ts';
import { finish, runCommand } from './run.ts';

await finish(runCommand(command, process.argv.slice(3)));
