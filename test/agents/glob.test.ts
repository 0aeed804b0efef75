// File globs (agents/glob.ts): what a file source's include and exclude match, on real folders.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandGlobs, FolderCache, globToRegExp } from '../../agents/glob.ts';

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
    // A wildcard glob's matches are looked up too: every path handed back has its Stats.
    const walked = new Map<string, Stats>();
    assert.deepEqual(expandGlobs([join(dir, '*.log')], [], dir, walked), [file]);
    assert.deepEqual([...walked.keys()], [file]);
    assert.equal(walked.get(file)!.ino, statSync(file).ino);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Sets a folder's times `secondsAgo` in the past (as a folder untouched for that long has them). */
function age(dir: string, secondsAgo: number): Date {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(dir, t, t);
  return t;
}

test('a folder cache reads an unchanged folder once, sees an added or renamed file at once, and hands back the same identities', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-glob-'));
  try {
    for (const s of ['a', 'b']) {
      mkdirSync(join(dir, s));
      for (const f of ['1.log', '2.log', 'x.txt']) writeFileSync(join(dir, s, f), 'x\n');
      age(join(dir, s), 60);
    }
    age(dir, 60);
    const cache = new FolderCache();
    const glob = [join(dir, '**/*.log')];
    const first = new Map<string, Stats>();
    const paths = expandGlobs(glob, [], dir, first, cache);
    assert.deepEqual(paths, ['a/1.log', 'a/2.log', 'b/1.log', 'b/2.log'].map((f) => join(dir, f)));
    assert.deepEqual(cache.stats, { read: 3, reused: 0 });
    const second = new Map<string, Stats>();
    assert.deepEqual(expandGlobs(glob, [], dir, second, cache), paths);
    assert.deepEqual(cache.stats, { read: 3, reused: 3 }, 'no folder read again');
    for (const p of paths) assert.equal(second.get(p)!.ino, statSync(p).ino, p);
    // A new file and a rename change their folders' times: those folders are read again.
    writeFileSync(join(dir, 'a', '3.log'), 'x\n');
    renameSync(join(dir, 'b', '2.log'), join(dir, 'b', '2.log.1'));
    writeFileSync(join(dir, 'b', '2.log'), 'new\n');
    const third = new Map<string, Stats>();
    assert.deepEqual(expandGlobs(glob, [], dir, third, cache), ['a/1.log', 'a/2.log', 'a/3.log', 'b/1.log', 'b/2.log'].map((f) => join(dir, f)));
    assert.deepEqual(cache.stats, { read: 5, reused: 4 });
    assert.equal(third.get(join(dir, 'b', '2.log'))!.ino, statSync(join(dir, 'b', '2.log')).ino, 'the new file at the old name, not the renamed one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder cache does not keep a folder changed just before it was read, and reads every folder again after fullEveryMs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-glob-'));
  try {
    writeFileSync(join(dir, 'a.log'), 'x\n');
    let now = Date.now();
    const cache = new FolderCache({ now: () => now, fullEveryMs: 10_000, racyMs: 2_000 });
    const glob = [join(dir, '*.log')];
    // Changed a moment ago: a change in the same tick of its time stamp would leave its times as they
    // are, so it is read again however unchanged it looks.
    assert.deepEqual(expandGlobs(glob, [], dir, new Map(), cache), [join(dir, 'a.log')]);
    now += 1_000;
    assert.deepEqual(expandGlobs(glob, [], dir, new Map(), cache), [join(dir, 'a.log')]);
    assert.deepEqual(cache.stats, { read: 2, reused: 0 });
    // Untouched for a minute: kept, until every folder is read again.
    age(dir, 60);
    expandGlobs(glob, [], dir, new Map(), cache);
    now += 4_000;
    expandGlobs(glob, [], dir, new Map(), cache);
    assert.deepEqual(cache.stats, { read: 3, reused: 1 });
    now += 5_000;
    expandGlobs(glob, [], dir, new Map(), cache);
    assert.deepEqual(cache.stats, { read: 4, reused: 1 }, 'every folder read again after fullEveryMs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder cache looks up a symbolic link every time: its target can be replaced while the folder of the link stays as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-glob-'));
  try {
    // As Kubernetes lays out container logs: links in one folder, the files in another.
    mkdirSync(join(dir, 'containers'));
    mkdirSync(join(dir, 'pods'));
    writeFileSync(join(dir, 'pods', '0.log'), 'first\n');
    symlinkSync(join(dir, 'pods', '0.log'), join(dir, 'containers', 'app.log'));
    age(join(dir, 'containers'), 60);
    const cache = new FolderCache();
    const glob = [join(dir, 'containers', '*.log')];
    const before = new Map<string, Stats>();
    expandGlobs(glob, [], dir, before, cache);
    const link = join(dir, 'containers', 'app.log');
    // The target replaced by rename (a new inode at the same path); the links' folder is untouched.
    writeFileSync(join(dir, 'pods', '0.log.new'), 'second\n');
    renameSync(join(dir, 'pods', '0.log.new'), join(dir, 'pods', '0.log'));
    const after = new Map<string, Stats>();
    expandGlobs(glob, [], dir, after, cache);
    assert.equal(cache.stats.reused, 1, 'the links\' folder was not read again');
    assert.notEqual(after.get(link)!.ino, before.get(link)!.ino);
    assert.equal(after.get(link)!.ino, statSync(join(dir, 'pods', '0.log')).ino);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
