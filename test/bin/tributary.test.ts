// bin/tributary, the command as npm links it: `tributary agent` starts Node with the agent's heap
// flags (in NODE_OPTIONS, and on the command line those Node refuses there), other commands start it as it is, and a flag the caller sets in NODE_OPTIONS wins. Each
// run loads a probe (through NODE_OPTIONS's --import, a real Node feature) that makes garbage with
// some survivors, the pattern under which V8 grows a young generation to its limit, and writes how
// large the main thread's new space got; the command itself then runs (`--help`) and exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1024 * 1024;

const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
import { writeFileSync } from 'node:fs';
const keep = [];
for (let i = 0; i < 3_000_000; i++) {
  const o = { a: i, b: 'x' + i, c: [i] };
  if (i % 100 === 0) keep.push(o);
}
const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
writeFileSync(process.env.PROBE_OUT, JSON.stringify({ newSpace, nodeOptions: process.env.NODE_OPTIONS, execArgv: process.execArgv }));
`;

/** Runs `launcher args` with the probe; what it found. */
function probe(launcher: string, args: string[], nodeOptions?: string): { newSpace: number; nodeOptions: string; execArgv: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-launcher-'));
  try {
    const probeFile = join(dir, 'probe.mjs');
    writeFileSync(probeFile, PROBE);
    const out = join(dir, 'out.json');
    const r = spawnSync(launcher, args, {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      // The node on PATH is the one running this test, as on a host where `tributary` is installed.
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, PROBE_OUT: out, NODE_OPTIONS: [nodeOptions, `--import=${probeFile}`].filter(Boolean).join(' ') },
    });
    assert.equal(r.status, 0, `${launcher} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { ...(JSON.parse(readFileSync(out, 'utf8')) as { newSpace: number; nodeOptions: string; execArgv: string[] }), stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tributary agent starts Node with its young generation capped; other commands and a caller\'s flag are left alone', () => {
  const launcher = join(root, 'bin/tributary');
  const agent = probe(launcher, ['agent', '--help']);
  assert.match(agent.stdout, /Usage: tributary agent/, 'the agent command itself ran');
  assert.match(agent.nodeOptions, /^--max-semi-space-size=4 /, 'the agent flags come first in NODE_OPTIONS');
  assert.ok(agent.newSpace <= 2 * 4 * MB + MB, `the agent's new space stayed within two 4 MB halves (${(agent.newSpace / MB).toFixed(1)} MB)`);
  // A V8 flag Node refuses in NODE_OPTIONS rides on its command line.
  assert.ok(agent.execArgv.includes('--no-allocation-site-pretenuring'), `the agent's Node runs without allocation-site pretenuring (${agent.execArgv.join(' ')})`);
  assert.ok(agent.execArgv.includes('--single-threaded-gc'), `the agent's Node collects garbage on each isolate's own thread (${agent.execArgv.join(' ')})`);

  // The same garbage under Node's own limits grows the young generation past what the cap allows:
  // the probe can tell the two apart.
  const other = probe(launcher, ['--help']);
  assert.match(other.stdout, /Usage: tributary <command>/);
  assert.doesNotMatch(other.nodeOptions, /max-semi-space-size/, 'no agent flags for other commands');
  assert.deepEqual(other.execArgv, [], 'nor on the command line');
  assert.ok(other.newSpace > 16 * MB, `without the cap the new space grew (${(other.newSpace / MB).toFixed(1)} MB)`);

  // A host owner's own setting, later in NODE_OPTIONS, wins.
  const own = probe(launcher, ['agent', '--help'], '--max-semi-space-size=16');
  assert.ok(own.newSpace > 16 * MB, `the caller's --max-semi-space-size=16 took effect (${(own.newSpace / MB).toFixed(1)} MB)`);
});

test('the launcher finds the command through a symbolic link, as npm installs it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-link-'));
  try {
    const link = join(dir, 'tributary');
    symlinkSync(join(root, 'bin/tributary'), link);
    const r = probe(link, ['agent', '--help']);
    assert.match(r.stdout, /Usage: tributary agent/);
    assert.ok(r.newSpace <= 2 * 4 * MB + MB, `capped through the link too (${(r.newSpace / MB).toFixed(1)} MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
