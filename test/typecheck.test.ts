// The sources run through tsx, which strips types without checking them: a type error would reach
// users unseen. This runs the project's own `npm run typecheck` (tsc --noEmit over tsconfig.json's folders).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the TypeScript sources type-check (tsc --noEmit -p .)', () => {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.equal(tsc.error, undefined, `tsc could not run: ${tsc.error?.message}`);
  assert.equal(tsc.status, 0, `tsc reported errors:\n${tsc.stdout}${tsc.stderr}`);
});
