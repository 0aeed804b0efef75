/** Expands file globs (`*`, `?`, `**`, `{a,b}`) against the file system, with exclude globs. */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

/** Turns one glob into a RegExp over a whole absolute path. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, end).split(',').map((p) => p.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|') + ')';
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The longest leading part of a glob without wildcards: where the walk starts. */
function baseOf(glob: string): string {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?{[]/.test(p)) break;
    fixed.push(p);
  }
  return fixed.join('/') || '/';
}

/**
 * A folder's entries as last read, and the Stats of its regular files as last looked up: a file's
 * device and inode cannot change while the folder's own times stay the same (adding, removing or
 * renaming an entry changes them), so an unchanged folder needs neither a readdir nor a stat per file.
 */
interface Listing {
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Paths of the entries that are files or symbolic links (followed when looked up, never cached). */
  files: string[];
  /** Paths of the regular files among them. */
  regular: Set<string>;
  dirs: string[];
  stats: Map<string, Stats>;
}

export interface FolderCacheOptions {
  /**
   * How often the folders are read whatever their times say (ms): what a change the folder's times
   * miss (a file system that does not keep them, a clock set back) waits at most.
   */
  fullEveryMs?: number;
  /**
   * A folder changed less than this long before it was read is read again next time: a change in the
   * same tick of its time stamp (coarse on many file systems: a jiffy on Linux, 2 s on FAT) would leave
   * the time as it was.
   */
  racyMs?: number;
  now?: () => number;
}

/** What a `FolderCache` saved: folders read, and folders whose listing was taken as it was. */
export interface FolderCacheStats {
  read: number;
  reused: number;
}

/**
 * Folder listings kept between expansions of a file source's globs (`expandGlobs`). An idle agent
 * expands them every second; with hundreds of files that was a readdir per folder and a stat per file
 * each time, the largest part of what it did. Now a folder costs one stat while its modification and
 * change times stay as they were, the files under a symbolic link are still looked up every time (a
 * link's target can be replaced without its folder changing), and every folder is read again at least
 * every `fullEveryMs`.
 */
export class FolderCache {
  readonly stats: FolderCacheStats = { read: 0, reused: 0 };
  private readonly listings = new Map<string, Listing>();
  private readonly fullEveryMs: number;
  private readonly racyMs: number;
  private readonly now: () => number;
  private lastFull = -Infinity;

  constructor(options: FolderCacheOptions = {}) {
    this.fullEveryMs = options.fullEveryMs ?? 10_000;
    this.racyMs = options.racyMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** Starts an expansion: whether every folder is to be read (then folders it does not reach are forgotten). */
  begin(): { at: number; full: boolean } {
    const at = this.now();
    const full = at - this.lastFull >= this.fullEveryMs;
    if (full) {
      this.lastFull = at;
      this.listings.clear();
    }
    return { at, full };
  }

  /** The listing of `dir` kept from before, when its times say nothing in it changed. */
  reuse(dir: string, st: Stats): Listing | undefined {
    const l = this.listings.get(dir);
    if (l === undefined || l.ino !== st.ino || l.mtimeMs !== st.mtimeMs || l.ctimeMs !== st.ctimeMs) return undefined;
    this.stats.reused++;
    return l;
  }

  /** Keeps a listing read at `at` (its folder's Stats taken before the read), unless the folder changed too recently to trust its times. */
  keep(dir: string, st: Stats, at: number, l: Listing): void {
    this.stats.read++;
    // Only the modification time: adding, removing or renaming an entry always sets it to the time of
    // the change, so an old one cannot come back; the change time is compared above, not needed here.
    if (at - st.mtimeMs > this.racyMs) this.listings.set(dir, l);
    else this.listings.delete(dir);
  }
}

interface Walk {
  out: string[];
  maxDepth: number;
  cache?: FolderCache;
  at: number;
  /** Each regular file's listing, where its Stats may be kept. */
  listingOf?: Map<string, Listing>;
}

function readListing(dir: string, st: Stats | undefined): Listing | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const l: Listing = { ino: st?.ino ?? 0, mtimeMs: st?.mtimeMs ?? 0, ctimeMs: st?.ctimeMs ?? 0, files: [], regular: new Set(), dirs: [], stats: new Map() };
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) l.dirs.push(path);
    else if (e.isFile()) {
      l.files.push(path);
      l.regular.add(path);
    } else if (e.isSymbolicLink()) l.files.push(path);
  }
  return l;
}

function walk(dir: string, depth: number, w: Walk): void {
  let l: Listing | undefined;
  if (w.cache) {
    let st: Stats | undefined;
    try {
      st = statSync(dir, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) return;
    l = w.cache.reuse(dir, st);
    if (l === undefined) {
      l = readListing(dir, st);
      if (l === undefined) return;
      w.cache.keep(dir, st, w.at, l);
    }
  } else {
    l = readListing(dir, undefined);
    if (l === undefined) return;
  }
  for (const f of l.files) {
    w.out.push(f);
    if (w.listingOf && l.regular.has(f)) w.listingOf.set(f, l);
  }
  if (depth < w.maxDepth) for (const d of l.dirs) walk(d, depth + 1, w);
}

/**
 * The files the globs match, sorted. A glob without wildcards is a file looked up with `stat`. With
 * `stats`, every path returned has its Stats there (looked up now, or for a regular file in a folder
 * `cache` says is unchanged, as looked up before), so a caller that needs each file's identity (a file
 * source polling several times a second) does not ask the file system twice; a path that cannot be
 * looked up is left out of `stats` (it may be gone already).
 */
export function expandGlobs(include: readonly string[], exclude: readonly string[] = [], cwd = process.cwd(), stats?: Map<string, Stats>, cache?: FolderCache): string[] {
  const found = new Set<string>();
  const excludes = exclude.map((g) => globToRegExp(isAbsolute(g) ? g : resolve(cwd, g)));
  const { at } = cache ? cache.begin() : { at: 0 };
  const listingOf = stats && cache ? new Map<string, Listing>() : undefined;
  for (const raw of include) {
    const glob = isAbsolute(raw) ? raw : resolve(cwd, raw).split(sep).join('/');
    const base = baseOf(glob);
    const matcher = globToRegExp(glob);
    if (base === glob) {
      try {
        const st = statSync(glob, { throwIfNoEntry: false });
        if (st?.isFile()) {
          found.add(glob);
          stats?.set(glob, st);
        }
      } catch {
        /* unreadable folder: as if not there */
      }
      continue; // not there yet: picked up when it appears
    }
    const depthBudget = glob.includes('**') ? 16 : glob.slice(base.length).split('/').filter(Boolean).length - 1;
    const files: string[] = [];
    walk(base, 0, { out: files, maxDepth: depthBudget, cache, at, listingOf });
    for (const f of files) if (matcher.test(f) && !excludes.some((x) => x.test(f))) found.add(f);
  }
  if (stats) {
    for (const f of found) {
      if (stats.has(f)) continue;
      const l = listingOf?.get(f);
      let st = l?.stats.get(f);
      if (st === undefined) {
        try {
          st = statSync(f, { throwIfNoEntry: false });
        } catch {
          st = undefined;
        }
        if (st === undefined) continue;
        l?.stats.set(f, st);
      }
      stats.set(f, st);
    }
  }
  return [...found].sort();
}
