import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchClients } from '../../bench/clients/install.ts';

const here = join(import.meta.dirname, '..', '..', 'bench', 'clients');

test('the other clients are pinned: the lockfile installs exactly the versions package.json names', () => {
  const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
  assert.deepEqual(lock.packages['']!.dependencies, pkg.dependencies);
  for (const [name, version] of Object.entries(pkg.dependencies)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned to one version`);
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, name);
  }
});

// Real npm, run offline: a package with no dependencies installs from its lockfile alone.
function source(dir: string, description: string): void {
  mkdirSync(dir, { recursive: true });
  const pkg = { name: 'bench-clients-test', version: '1.0.0', private: true, description };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: { '': { name: pkg.name, version: pkg.version } } }));
}

test('installs once per lockfile: a second call does not run npm, a changed lockfile installs again', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-clients-'));
  const path = process.env.PATH;
  try {
    const from = join(work, 'src');
    const dir = join(work, 'installed');
    source(from, 'first');
    assert.deepEqual(ensureBenchClients(dir, from, {}), { dir });
    // No npm on the PATH now: only an install that is already there can succeed.
    process.env.PATH = join(work, 'nothing');
    assert.deepEqual(ensureBenchClients(dir, from, {}), { dir });
    source(from, 'second');
    const again = ensureBenchClients(dir, from, {});
    assert.ok('error' in again, 'a changed package is installed again');
    assert.match(again.error, /npm ci in .*installed could not run/);
  } finally {
    process.env.PATH = path;
    rmSync(work, { recursive: true, force: true });
  }
});

test('a failed install is reported with npm\'s reason, not thrown (the bench leaves the rows out and goes on)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-clients-'));
  try {
    const from = join(work, 'src');
    source(from, 'out of sync');
    // package.json asks for a package its lockfile does not hold: npm ci refuses before any download.
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(from, 'package.json'), JSON.stringify({ ...pkg, dependencies: { 'left-pad': '1.3.0' } }));
    const r = ensureBenchClients(join(work, 'installed'), from, { leftPad: 'node_modules/left-pad/index.js' });
    assert.ok('error' in r);
    assert.match(r.error, /npm ci in .* failed \(exit \d+\)/);
    assert.match(r.error, /left-pad/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
