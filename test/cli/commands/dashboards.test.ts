// `tributary dashboards --check` against the committed files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('`tributary dashboards --check` exits 0 when the committed files are up to date', () => {
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'dashboards', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /up to date/);
});

test('`tributary dashboards` refuses an unknown option', () => {
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'dashboards', '--chek'], { cwd: root, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /chek/);
});
