/**
 * Loaded into every test file's process (`--import` in test/run.ts, which node:test hands on to the
 * processes it starts for the files): their stdout and stderr write blocking. A test file's process
 * sends its results to the runner through a pipe, and `--test-force-exit` ends it once its tests are
 * done; with Node 20's asynchronous pipe writes the last results could still be on their way and were
 * lost (nodejs/node#64833: the run printed 921 of 928 tests once, the last 7 of one file). A blocking
 * write has reached the pipe when it returns. Only the test files' own processes: Node processes that
 * tests start (agents, workers, commands) keep Node's usual output. Plain JavaScript, not TypeScript:
 * worker threads inherit the `--import` and load it before any TypeScript loader of theirs (there it
 * does nothing: a worker's stdout is no pipe of its own).
 */
const testFile = /\.test\.[cm]?[jt]s$/;
if (process.env.NODE_TEST_CONTEXT !== undefined && testFile.test(process.argv[1] ?? '')) {
  for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true);
}
