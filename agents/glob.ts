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

function walk(dir: string, depth: number, out: string[], maxDepth: number): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < maxDepth) walk(path, depth + 1, out, maxDepth);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(path);
  }
}

/**
 * The files the globs match, sorted. A glob without wildcards is a file looked up with `stat`; its
 * Stats go into `stats`, when given, so a caller that needs them (a file source polling several times
 * a second) does not ask the file system twice.
 */
export function expandGlobs(include: readonly string[], exclude: readonly string[] = [], cwd = process.cwd(), stats?: Map<string, Stats>): string[] {
  const found = new Set<string>();
  const excludes = exclude.map((g) => globToRegExp(isAbsolute(g) ? g : resolve(cwd, g)));
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
    walk(base, 0, files, depthBudget);
    for (const f of files) if (matcher.test(f) && !excludes.some((x) => x.test(f))) found.add(f);
  }
  return [...found].sort();
}
