/**
 * The kernel's word that a file at rest changed (inotify on Linux, through `fs.watch`), so a file source
 * need not look at hundreds of idle files every second to see the one that is written again. A watch is
 * set on a file only while it rests and is closed at its first event: a file being written is read every
 * poll anyway, and a watch on it would cost a callback per write. The file's own inode is watched, not
 * its folder: writes through another name (a hard link, a symbolic link's target in another folder, as
 * Kubernetes' `/var/log/containers` points into `/var/log/pods`) are reported too.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';

export type WatchResult = { watcher: FSWatcher } | { error: string };

/**
 * Watches the file at `path`, which must still be the file `dev`:`ino` once the watch is set (else a
 * rotation in between would leave the watch on its replacement). `onChange` is called once, at the
 * first event or error, after the watch is closed. An error says why no watch was set: the path
 * names another file now, or the kernel refused (`ENOSPC`: fs.inotify.max_user_watches reached).
 */
export function watchUntilChanged(path: string, dev: number, ino: number, onChange: () => void): WatchResult {
  let watcher: FSWatcher;
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    watcher.close();
    onChange();
  };
  try {
    watcher = watch(path, { persistent: false }, fire);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: e.code === 'ENOSPC' ? 'the kernel allows no more watches (raise fs.inotify.max_user_watches)' : `${e.code ?? 'error'}: ${e.message}` };
  }
  watcher.on('error', fire);
  try {
    const st = statSync(path);
    if (st.dev === dev && st.ino === ino) return { watcher };
  } catch {
    // Gone since: the poll's own lookup notices the rotation.
  }
  fired = true;
  watcher.close();
  return { error: 'the path names another file now' };
}
