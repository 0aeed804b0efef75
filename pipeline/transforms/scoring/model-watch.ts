/**
 * Hot reload of model files, shared by the window scorer and the view models: which folder to watch,
 * debouncing, and one reload at a time per model.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** What a model's holder keeps for reloading it. */
export interface Reloadable {
  timer?: NodeJS.Timeout;
  reloading?: Promise<void>;
}

export interface WatchOptions<S extends Reloadable> {
  /** The files a slot's model is read from (manifest, ONNX file). */
  files: (slot: S) => string[];
  /** Called once the slot's files have been quiet for `debounceMs`. */
  reload: (slot: S) => void;
  debounceMs: number;
  onError: (err: Error, dir: string) => void;
}

/**
 * Watches the folders holding every slot's files. Folders, not files: editors and `cp` replace a file
 * by renaming over it, which ends a watch on the old inode.
 */
export function watchModelFiles<S extends Reloadable>(slots: readonly S[], o: WatchOptions<S>): FSWatcher[] {
  const byDir = new Map<string, S[]>();
  for (const s of slots) {
    for (const p of o.files(s)) {
      const list = byDir.get(dirname(p)) ?? [];
      if (!list.includes(s)) list.push(s);
      byDir.set(dirname(p), list);
    }
  }
  const watchers: FSWatcher[] = [];
  for (const [dir, watched] of byDir) {
    const w = watch(dir, { persistent: false }, (_event, file) => {
      for (const s of watched) {
        if (file !== null && !o.files(s).map((p) => basename(p)).includes(file.toString())) continue;
        clearTimeout(s.timer);
        s.timer = setTimeout(() => o.reload(s), o.debounceMs);
        s.timer.unref();
      }
    });
    w.on('error', (err) => o.onError(err, dir));
    watchers.push(w);
  }
  return watchers;
}

/** Runs `reloadNow` after the slot's reload under way, if any: a change during a reload triggers another after it. */
export function queueReload<S extends Reloadable>(slot: S, reloadNow: () => Promise<void>): Promise<void> {
  const next = (slot.reloading ?? Promise.resolve()).then(reloadNow);
  slot.reloading = next;
  return next;
}

/** A loaded model with an ONNX session to release once nothing scores with it. */
export interface Releasable {
  session: { release(): Promise<void> };
}

/**
 * A model as a slot holds it: batches under way keep it open across a swap (`inflight`); once swapped
 * out (`retired`) the last batch to finish releases its session.
 */
export interface Held<M extends Releasable> {
  model: M;
  inflight: number;
  retired: boolean;
}

export function held<M extends Releasable>(model: M): Held<M> {
  return { model, inflight: 0, retired: false };
}

/** A batch is done with the model: the last one out releases a retired model. */
export function release<M extends Releasable>(h: Held<M>): void {
  h.inflight--;
  if (h.retired && h.inflight === 0) void h.model.session.release().catch(() => undefined);
}

/** The model is swapped out (or closed): released now when no batch holds it, else by the last batch. */
export async function retire<M extends Releasable>(h: Held<M>): Promise<void> {
  h.retired = true;
  if (h.inflight === 0) await h.model.session.release().catch(() => undefined);
}

/** Stops watching, waits for reloads under way, and retires every slot's model. */
export async function closeSlots<M extends Releasable, S extends Reloadable & { current: Held<M> }>(watchers: readonly FSWatcher[], slots: readonly S[]): Promise<void> {
  for (const w of watchers) w.close();
  for (const s of slots) {
    clearTimeout(s.timer);
    await s.reloading;
    await retire(s.current);
  }
}
