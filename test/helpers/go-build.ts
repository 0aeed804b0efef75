/**
 * Go programs the interop tests run (test/interop/*): each built once per process with `go build` into
 * dist/ (gitignored). Go keeps its module and build caches between runs, so only the first build on a
 * machine downloads and compiles; later ones take a second or two.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../preflight.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Where the official Go tarball installs (the machines have it there); PATH is searched first. */
const GO_DIRS = ['/usr/local/go/bin'];

/** The `go` command, or an error that says what to install and what needs it. */
export function goBinary(neededBy = 'the interop tests (test/interop)'): string {
  const go = findBinary('go', process.env, GO_DIRS);
  if (!go) throw new Error(`go is not installed (on PATH or in ${GO_DIRS.join(', ')}): ${neededBy} build Go programs with Go 1.26+`);
  return go;
}

const built = new Map<string, Promise<string>>();

/**
 * Builds package `pkg` (`.` or `./docker`) of the module in `source` into `out` (under the repository),
 * once per process, and returns the binary's path. A failed build is not remembered: the next call
 * tries again (and says why again).
 */
export function buildGo(source: string, out: string, pkg = '.', neededBy?: string): Promise<string> {
  const key = `${source}\0${pkg}\0${out}`;
  let p = built.get(key);
  if (p) return p;
  p = new Promise<string>((resolve, reject) => {
    const dest = join(root, out);
    mkdirSync(dirname(dest), { recursive: true });
    // Built beside and renamed: another process (a second test file) may run the old binary meanwhile,
    // and rename swaps it without a half-written file in between.
    const tmp = `${dest}.${process.pid}.tmp`;
    // -mod=readonly: go.sum is committed, so a build never rewrites the module files; -buildvcs=false:
    // the source sits in a git worktree, which go would otherwise try to stamp into the binary.
    const go = spawn(goBinary(neededBy), ['build', '-mod=readonly', '-buildvcs=false', '-trimpath', '-o', tmp, pkg], { cwd: join(root, source), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    go.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    go.once('error', reject);
    go.once('close', (code) => {
      if (code !== 0) return reject(new Error(`go build ${pkg} in ${source} failed (exit ${code}): ${err.trim()}`));
      renameSync(tmp, dest);
      resolve(dest);
    });
  });
  built.set(key, p);
  p.catch(() => built.delete(key));
  return p;
}
