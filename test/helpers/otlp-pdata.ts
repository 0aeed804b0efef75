/**
 * The OpenTelemetry Collector's own OTLP decoder as a test oracle: test/interop/otlp-pdata (Go, the
 * Collector's pdata module) reads Kafka message values exactly as the Collector's kafka receiver does
 * for `encoding: otlp_proto` and prints each as OTLP/JSON. A test hands it the values it read from a
 * topic and gets one parsed OTLP/JSON object per message back; a value the Collector would refuse
 * rejects the promise with the message's index and pdata's error.
 *
 * The binary is built once per process with `go build` into dist/otlp-pdata/ (gitignored). Go keeps
 * its module and build caches between runs, so only the first build on a machine downloads and
 * compiles (about 25 s measured cold); later ones take a second or two.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../preflight.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const source = join(root, 'test/interop/otlp-pdata');
/** Where the official Go tarball installs (the machines have it there); PATH is searched first. */
const GO_DIRS = ['/usr/local/go/bin'];

/** The `go` command, or an error that says what to install. */
export function goBinary(): string {
  const go = findBinary('go', process.env, GO_DIRS);
  if (!go) throw new Error(`go is not installed (on PATH or in ${GO_DIRS.join(', ')}): the OTLP interop tests build the Collector's decoder (test/interop/otlp-pdata) with Go 1.26+`);
  return go;
}

let built: Promise<string> | undefined;

/** Builds the decoder (once per process) and returns its path. */
export function buildPdataDecoder(): Promise<string> {
  built ??= new Promise<string>((resolve, reject) => {
    const dir = join(root, 'dist/otlp-pdata');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'otlp-pdata');
    // Built beside and renamed: another process (the lead's run, a second test file) may run the old
    // binary meanwhile, and rename swaps it without a half-written file in between.
    const tmp = `${out}.${process.pid}.tmp`;
    // -mod=readonly: go.sum is committed, so a build never rewrites the module files; -buildvcs=false:
    // the source sits in a git worktree, which go would otherwise try to stamp into the binary.
    const go = spawn(goBinary(), ['build', '-mod=readonly', '-buildvcs=false', '-trimpath', '-o', tmp, '.'], { cwd: source, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    go.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    go.once('error', reject);
    go.once('close', (code) => {
      if (code !== 0) return reject(new Error(`go build in ${source} failed (exit ${code}): ${err.trim()}`));
      renameSync(tmp, out);
      resolve(out);
    });
  });
  // A failed build is not remembered: the next call tries again (and says why again).
  built.catch(() => (built = undefined));
  return built;
}

/** Runs the built decoder on `messages`: OTLP/JSON per message, in order. */
function decode(bin: string, messages: Buffer[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(err.trim() || `otlp-pdata exited ${code}`));
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
      if (lines.length !== messages.length) return reject(new Error(`otlp-pdata printed ${lines.length} lines for ${messages.length} messages`));
      resolve(lines.map((l) => JSON.parse(l) as unknown));
    });
    // A decoder that failed early closes its stdin; its exit message is the error worth reporting.
    child.stdin.on('error', () => undefined);
    for (const m of messages) {
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(m.length);
      child.stdin.write(head);
      child.stdin.write(m);
    }
    child.stdin.end();
  });
}

/** The Collector's decoder, built: call it with message values, get their OTLP/JSON objects. */
export async function pdataDecoder(): Promise<(messages: Buffer[]) => Promise<unknown[]>> {
  const bin = await buildPdataDecoder();
  return (messages) => decode(bin, messages);
}
