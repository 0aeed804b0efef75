/**
 * Models bound to feature views: the rows a view closed in one tick (across keys) flow in, each bound
 * model scores the rows in ONE `session.run`, and `predictions` rows (plus `anomalies` rows for
 * alerting) flow out. Manifests, graphs and what they are fed: view-model-load.ts.
 *
 * A window whose feature is missing (null) and for which the manifest declares no value is not scored
 * (counted as `unscored_missing`): NaN never reaches a model.
 *
 * Hot reload (`watch`): a changed manifest or ONNX file is loaded and checked exactly as at start; the
 * replacement swaps in between ticks (a tick's batch keeps the model it started with), and one that
 * fails its checks, or binds to another view, is refused while the previous model keeps scoring.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { log } from '../../../core/log.ts';
import { type AnomalyRow, type PredictionRow } from '../../../core/contracts/rows.ts';
import { TributaryError } from '../../../core/errors.ts';
import { type CompiledView } from '../features/views/definition.ts';
import { type ViewEmission } from '../features/views/engine.ts';
import { closeSlots, held, queueReload, release, retire, watchModelFiles, type Held as ModelHeld } from './model-watch.ts';
import { concatOutputs } from './manifest.ts';
import { loadViewModel, runModel, type LoadedViewModel, type ViewModelEntry } from './view-model-load.ts';

export { loadViewModel, validateViewManifest, OUTPUT_KINDS, type LoadedViewModel, type OutputKind, type ViewModelEntry, type ViewModelManifest } from './view-model-load.ts';

export interface ViewScoringCounters {
  runs: number;
  rowsScored: number;
  /** Windows not scored because a feature was missing and the manifest declares no value for it. */
  unscoredMissing: number;
  anomalies: number;
  lastRunMs: number;
  reloads: number;
  reloadFailures: number;
}

type Held = ModelHeld<LoadedViewModel>;

interface Slot {
  entry: ViewModelEntry;
  current: Held;
  timer?: NodeJS.Timeout;
  reloading?: Promise<void>;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** The models bound to views, scoring each tick's closed windows in one run per model. */
export class ViewModels extends EventEmitter {
  readonly counters: ViewScoringCounters = { runs: 0, rowsScored: 0, unscoredMissing: 0, anomalies: 0, lastRunMs: 0, reloads: 0, reloadFailures: 0 };
  private readonly slots: Slot[];
  private readonly watchers: FSWatcher[] = [];
  private closed = false;
  private readonly logger = log('view-models');

  private constructor(
    loaded: LoadedViewModel[],
    entries: readonly ViewModelEntry[],
    private readonly views: ReadonlyMap<string, CompiledView>,
    private readonly options: { baseDir?: string; topFeatures?: number; watch?: boolean; reloadDebounceMs?: number },
  ) {
    super();
    this.slots = loaded.map((model, i) => ({ entry: entries[i]!, current: held(model) }));
  }

  private get topN(): number {
    return this.options.topFeatures ?? 3;
  }

  /** Loads every entry; any refusal is a start-up error naming the manifest, the model and the view. With `watch`, reloads on file changes. */
  static async open(
    entries: readonly ViewModelEntry[],
    views: ReadonlyMap<string, CompiledView>,
    options: { baseDir?: string; topFeatures?: number; watch?: boolean; reloadDebounceMs?: number } = {},
  ): Promise<ViewModels> {
    const loaded: LoadedViewModel[] = [];
    try {
      for (const e of entries) loaded.push(await loadViewModel(e, views, options.baseDir));
    } catch (err) {
      await Promise.all(loaded.map((m) => m.session.release().catch(() => undefined)));
      throw err;
    }
    const vm = new ViewModels(loaded, entries, views, options);
    if (options.watch) vm.startWatching();
    return vm;
  }

  /** The models scoring now. */
  get models(): LoadedViewModel[] {
    return this.slots.map((s) => s.current.model);
  }

  forView(view: string): LoadedViewModel[] {
    return this.models.filter((m) => m.view.name === view);
  }

  /** Re-reads every model now (the watcher does this on file changes). Resolves when done; never throws. */
  async reloadAll(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.reload(s)));
  }

  private startWatching(): void {
    this.watchers.push(
      ...watchModelFiles(this.slots, {
        files: (s) => [s.current.model.manifestPath, resolve(dirname(s.current.model.manifestPath), s.current.model.manifest.model_file)],
        reload: (s) => void this.reload(s),
        debounceMs: this.options.reloadDebounceMs ?? 200,
        onError: (err, dir) => this.logger.warn({ err, dir }, 'Watching the model folder failed; view models will not hot-reload.'),
      }),
    );
  }

  private reload(slot: Slot): Promise<void> {
    return queueReload(slot, () => this.reloadNow(slot));
  }

  private async reloadNow(slot: Slot): Promise<void> {
    if (this.closed) return;
    const before = slot.current.model;
    let model: LoadedViewModel;
    try {
      model = await loadViewModel(slot.entry, this.views, this.options.baseDir);
      if (model.view.name !== before.view.name) {
        await model.session.release().catch(() => undefined);
        throw new TributaryError('MODEL_INVALID', `model manifest ${before.manifestPath}: the replacement reads view "${model.view.name}", the running model view "${before.view.name}"`);
      }
    } catch (err) {
      this.counters.reloadFailures++;
      this.logger.warn({ err: (err as Error).message, model: before.manifest.name, version: before.manifest.version }, 'Refused the replacement view model; the previous model keeps scoring.');
      this.emit('reload-failed', err);
      return;
    }
    const old = slot.current;
    slot.current = held(model);
    await retire(old);
    this.counters.reloads++;
    this.logger.info({ model: model.manifest.name, version: model.manifest.version, previous: before.manifest.version }, 'Swapped in the replacement view model.');
    this.emit('reloaded', { name: model.manifest.name, version: model.manifest.version, previousVersion: before.manifest.version });
  }

  /**
   * Scores a view's closed windows: one `session.run` per bound model over every scorable row
   * (`perRow: true` runs once per row instead, for the benchmark's comparison only).
   */
  async score(view: CompiledView, rows: readonly ViewEmission[], options: { perRow?: boolean } = {}): Promise<{ predictions: PredictionRow[]; anomalies: AnomalyRow[] }> {
    const predictions: PredictionRow[] = [];
    const anomalies: AnomalyRow[] = [];
    // The models of this batch stay open for it even if a reload swaps them meanwhile.
    const held = this.slots.filter((s) => s.current.model.view.name === view.name).map((s) => s.current);
    for (const h of held) h.inflight++;
    try {
      await this.scoreWith(held.map((h) => h.model), rows, options, predictions, anomalies);
    } finally {
      for (const h of held) {
        release(h);
      }
    }
    this.counters.anomalies += anomalies.length;
    return { predictions, anomalies };
  }

  private async scoreWith(models: LoadedViewModel[], rows: readonly ViewEmission[], options: { perRow?: boolean }, predictions: PredictionRow[], anomalies: AnomalyRow[]): Promise<void> {
    for (const model of models) {
      const n = model.featureIndex.length;
      const take: number[] = [];
      const input = model.inputType === 'float64' ? new Float64Array(rows.length * n) : new Float32Array(rows.length * n);
      const raw: number[][] = [];
      rows.forEach((e, i) => {
        const vals: number[] = [];
        for (let j = 0; j < n; j++) {
          const v = e.values[model.featureIndex[j]!];
          const x = v === null || v === undefined ? model.fill[j] : v;
          if (x === undefined) {
            this.counters.unscoredMissing++;
            return;
          }
          vals.push(x);
        }
        const r = take.length;
        for (let j = 0; j < n; j++) input[r * n + j] = (vals[j]! - model.center[j]!) / model.scale[j]!;
        take.push(i);
        raw.push(vals);
      });
      if (take.length === 0) continue;
      let out: Float32Array | Float64Array;
      if (options.perRow) {
        const parts: Array<Float32Array | Float64Array> = [];
        for (let r = 0; r < take.length; r++) parts.push(await this.run(model, input.subarray(r * n, (r + 1) * n), 1));
        out = concatOutputs(parts);
      } else {
        out = await this.run(model, input.subarray(0, take.length * n), take.length);
      }
      const per = out.length / take.length;
      for (let r = 0; r < take.length; r++) {
        const e = rows[take[r]!]!;
        const p = this.prediction(model, e, out.subarray(r * per, (r + 1) * per), raw[r]!);
        predictions.push(p);
        if (p.anomaly) anomalies.push(this.anomalyOf(p));
      }
      this.counters.rowsScored += take.length;
    }
  }

  private async run(model: LoadedViewModel, input: Float32Array | Float64Array, rows: number): Promise<Float32Array | Float64Array> {
    const t0 = performance.now();
    const out = await runModel(model, input, rows);
    this.counters.lastRunMs = performance.now() - t0;
    this.counters.runs++;
    return out;
  }

  private prediction(model: LoadedViewModel, e: ViewEmission, out: Float32Array | Float64Array, raw: number[]): PredictionRow {
    const m = model.manifest;
    const kind = m.output.kind;
    let score: number;
    let label = '';
    const probs: Record<string, number> = {};
    let anomaly = false;
    let threshold = m.threshold ?? 0;
    if (kind === 'regression') {
      score = out[0]!;
      anomaly = m.threshold !== undefined && (m.output.higher_is_anomalous === false ? score <= m.threshold : score >= m.threshold);
    } else if (kind === 'binary') {
      score = out.length === 2 ? out[1]! : out[0]!;
      threshold = m.threshold ?? 0.5;
      label = model.classes[score >= threshold ? 1 : 0]!;
      probs[model.classes[0]!] = 1 - score;
      probs[model.classes[1]!] = score;
      anomaly = score >= threshold;
    } else {
      let best = 0;
      for (let k = 0; k < out.length; k++) {
        probs[model.classes[k]!] = out[k]!;
        if (out[k]! > out[best]!) best = k;
      }
      score = out[best]!;
      label = model.classes[best]!;
      anomaly = (m.alert_labels ?? []).includes(label);
    }
    const z = raw.map((x, j) => ({ name: m.features[j]!, value: x, z: (x - model.center[j]!) / model.scale[j]! }));
    z.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
    const r = e.row;
    return {
      view: r.view, view_version: r.view_version, model: m.name, model_version: m.version, key: r.key,
      window_start: r.window_start, window_end: r.window_end, window_size_s: r.window_size_s, version: r.version,
      output_kind: kind, score, label, class_probabilities: probs, threshold,
      anomaly: anomaly && !model.shadow ? 1 : 0, shadow: model.shadow ? 1 : 0,
      top_features: m.normalization ? z.slice(0, this.topN).map((x) => `${x.name}=${fmt(x.value)} (z=${x.z.toFixed(1)})`) : [],
    };
  }

  /** An `anomalies` row (kind `view`, service = view, host = key), so the existing alert rules see it. */
  private anomalyOf(p: PredictionRow): AnomalyRow {
    return {
      kind: 'view', service: p.view, host: p.key, window_start: p.window_start, window_end: p.window_end, window_size_s: Math.round(p.window_size_s),
      score: p.score, threshold: p.threshold, model: p.model, model_version: p.model_version,
      top_features: p.label ? [`label=${p.label}`, ...p.top_features] : p.top_features,
      // The window's end, not the wall clock: a replay writes the same row.
      detected_at: p.window_end,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeSlots(this.watchers, this.slots);
  }
}
