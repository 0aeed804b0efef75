// File globs (agents/glob.ts): what a file source's include and exclude match, on real folders.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandGlobs, globToRegExp } from '../../agents/glob.ts';

test('globs match files by *, ?, ** and {a,b}, excludes drop matches, folders are never matched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-glob-'));
  try {
    mkdirSync(join(dir, 'app', 'deep', 'er'), { recursive: true });
    for (const f of ['a.log', 'b.log', 'c.txt', 'app/x.log', 'app/deep/er/y.log', 'skip-1.log']) writeFileSync(join(dir, f), 'x\n');
    mkdirSync(join(dir, 'folder.log'));
    assert.deepEqual(expandGlobs([join(dir, '*.log')], [join(dir, 'skip-*')]), [join(dir, 'a.log'), join(dir, 'b.log')]);
    assert.deepEqual(expandGlobs([join(dir, '?.{log,txt}')]), [join(dir, 'a.log'), join(dir, 'b.log'), join(dir, 'c.txt')]);
    assert.deepEqual(expandGlobs([join(dir, '**/*.log')], [join(dir, 'skip-*'), join(dir, '?.log')]), [join(dir, 'app/deep/er/y.log'), join(dir, 'app/x.log')]);
    assert.equal(globToRegExp('/var/log/*.log').test('/var/log/sub/a.log'), false, '* stays within one folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a path without wildcards is a file looked up once: its Stats are handed back, a missing or folder path matches nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-glob-'));
  try {
    const file = join(dir, 'app.log');
    writeFileSync(file, 'hello\n');
    mkdirSync(join(dir, 'folder'));
    const stats = new Map<string, Stats>();
    assert.deepEqual(expandGlobs([file, join(dir, 'missing.log'), join(dir, 'folder')], [], dir, stats), [file]);
    assert.deepEqual([...stats.keys()], [file]);
    assert.equal(stats.get(file)!.size, 6);
    // A wildcard glob walks folders (no stat per file): nothing is handed back for it.
    const walked = new Map<string, Stats>();
    assert.deepEqual(expandGlobs([join(dir, '*.log')], [], dir, walked), [file]);
    assert.equal(walked.size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
