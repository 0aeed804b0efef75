/**
 * Models bound to feature views: the rows a view closed in one tick (across keys) flow in, each bound
 * model scores the rows in ONE `session.run`, and `predictions` rows (plus `anomalies` rows for
 * alerting) flow out.
 *
 * The manifest beside the `.onnx` names the view and the features it reads, in order:
 *   { "name": "card-fraud", "version": "3", "view": "card_activity", "model_file": "model.onnx",
 *     "features": ["txn_count", "amount_sum", "amount_z"],
 *     "missing": { "amount_z": 0 },                      // value fed for a missing feature ("*": any)
 *     "normalization": { "center": [...], "scale": [...] },   // optional; x' = (x - center) / scale
 *     "input": { "name": "x" },
 *     "output": { "name": "p", "kind": "binary", "classes": ["legit", "fraud"] },
 *     "threshold": 0.5 }                                  // regression, binary; multi-class: "alert_labels"
 * Output kinds: `regression` ([N, 1] or [N]: the score), `binary` ([N, 1] or [N]: probability of the
 * positive (second) class, or [N, 2]: both), `multiclass` ([N, K] class probabilities, K = classes).
 *
 * Refused at load, naming both sides: a feature the view does not have, a view that is not
 * configured, an input or output that the ONNX graph does not have or shape as declared. A window
 * whose feature is missing (null) and for which the manifest declares no value is not scored (counted
 * as `unscored_missing`): NaN never reaches a model.
 *
 * Hot reload (`watch`): a changed manifest or ONNX file is loaded and checked exactly as at start; the
 * replacement swaps in between ticks (a tick's batch keeps the model it started with), and one that
 * fails its checks, or binds to another view, is refused while the previous model keeps scoring.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { log } from '../../../core/log.ts';
import * as ort from 'onnxruntime-node';
import { type AnomalyRow, type PredictionRow } from '../../../core/contracts/rows.ts';
import { TributaryError } from '../../../core/errors.ts';
import { type CompiledView } from '../features/views/definition.ts';
import { type ViewEmission } from '../features/views/engine.ts';
import { openModelFile, readManifestJson } from './manifest.ts';
import { closeSlots, held, queueReload, release, retire, watchModelFiles, type Held as ModelHeld } from './model-watch.ts';

export const OUTPUT_KINDS = ['regression', 'binary', 'multiclass'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export interface ViewModelManifest {
  name: string;
  version: string;
  description?: string;
  view: string;
  /** When given, the view's version must equal it. */
  view_version?: number;
  model_file: string;
  sha256?: string;
  features: string[];
  missing?: Record<string, number>;
  normalization?: { center: number[]; scale: number[] };
  input: { name: string };
  output: { name: string; kind: OutputKind; classes?: string[] };
  threshold?: number;
  alert_labels?: string[];
}

export interface ViewModelEntry {
  manifest: string;
  /** Scored and stored, never raising an anomaly. */
  shadow?: boolean;
}

export interface LoadedViewModel {
  manifest: ViewModelManifest;
  manifestPath: string;
  view: CompiledView;
  session: ort.InferenceSession;
  shadow: boolean;
  /** Index of each manifest feature in the view's feature list. */
  featureIndex: number[];
  /** Value fed for a missing feature, per manifest feature (undefined: the row is not scored). */
  fill: (number | undefined)[];
  center: Float64Array;
  scale: Float64Array;
  classes: string[];
}

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

function invalid(path: string, what: string): TributaryError {
  return new TributaryError('MODEL_INVALID', `model manifest ${path}: ${what}`);
}

/** Checks a parsed manifest against the configured views; throws MODEL_INVALID naming the model and the view. */
export function validateViewManifest(raw: unknown, path: string, views: ReadonlyMap<string, CompiledView>): { manifest: ViewModelManifest; view: CompiledView; featureIndex: number[]; fill: (number | undefined)[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(path, 'is not a JSON object');
  const m = raw as Record<string, unknown>;
  for (const k of ['name', 'version', 'model_file', 'view']) if (typeof m[k] !== 'string' || m[k] === '') throw invalid(path, `"${k}" must be a non-empty string`);
  const view = views.get(m.view as string);
  if (!view) throw invalid(path, `model "${m.name}" reads view "${m.view}", which is not configured (views: ${[...views.keys()].join(', ') || 'none'})`);
  if (m.view_version !== undefined && m.view_version !== view.version) {
    throw invalid(path, `model "${m.name}" was trained on view "${view.name}" version ${m.view_version}, the configured view is version ${view.version}`);
  }
  if (!Array.isArray(m.features) || m.features.length === 0 || !m.features.every((f) => typeof f === 'string')) throw invalid(path, '"features" must be a non-empty list of feature names');
  const names = view.features.map((f) => f.name);
  const featureIndex = (m.features as string[]).map((f) => {
    const i = names.indexOf(f);
    if (i < 0) throw invalid(path, `model "${m.name}" reads feature "${f}", which view "${view.name}" (table ${view.table}) does not have; the view's features: ${names.join(', ')}`);
    return i;
  });
  const n = featureIndex.length;
  const missing = (m.missing ?? {}) as Record<string, unknown>;
  if (typeof missing !== 'object' || missing === null || Array.isArray(missing)) throw invalid(path, '"missing" must map feature names (or "*") to numbers');
  for (const [k, v] of Object.entries(missing)) {
    if (k !== '*' && !(m.features as string[]).includes(k)) throw invalid(path, `"missing.${k}": the model reads no feature "${k}"`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(path, `"missing.${k}" must be a finite number`);
  }
  const fill = (m.features as string[]).map((f) => (missing[f] ?? missing['*']) as number | undefined);
  if (m.normalization !== undefined) {
    const norm = m.normalization as Record<string, unknown>;
    for (const k of ['center', 'scale']) {
      const v = norm?.[k];
      if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw invalid(path, `"normalization.${k}" must hold ${n} finite numbers, one per feature`);
    }
    if ((norm.scale as number[]).some((x) => x === 0)) throw invalid(path, '"normalization.scale" must not contain 0');
  }
  const input = m.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || typeof input.name !== 'string') throw invalid(path, '"input" must be an object with a "name"');
  const output = m.output as Record<string, unknown> | undefined;
  if (typeof output !== 'object' || output === null || typeof output.name !== 'string') throw invalid(path, '"output" must be an object with a "name" and a "kind"');
  if (!OUTPUT_KINDS.includes(output.kind as OutputKind)) throw invalid(path, `"output.kind" must be one of ${OUTPUT_KINDS.join(', ')}, got ${JSON.stringify(output.kind)}`);
  const classes = output.classes;
  if (classes !== undefined && (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string' && c !== ''))) throw invalid(path, '"output.classes" must be a list of class names');
  if (output.kind === 'multiclass' && (!Array.isArray(classes) || classes.length < 2)) throw invalid(path, 'a multiclass model must name its classes in "output.classes" (at least 2), in output order');
  if (output.kind === 'binary' && classes !== undefined && (classes as string[]).length !== 2) throw invalid(path, 'a binary model names exactly 2 classes (negative, positive)');
  if (m.threshold !== undefined && (typeof m.threshold !== 'number' || !Number.isFinite(m.threshold))) throw invalid(path, '"threshold" must be a finite number');
  if (m.alert_labels !== undefined) {
    if (!Array.isArray(m.alert_labels) || !(m.alert_labels as unknown[]).every((l) => typeof l === 'string' && (classes as string[] | undefined)?.includes(l))) {
      throw invalid(path, `"alert_labels" must name classes of the model (${(classes as string[] | undefined)?.join(', ') ?? 'none named'})`);
    }
  }
  if (m.sha256 !== undefined && (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256))) throw invalid(path, '"sha256" must be 64 lowercase hex characters');
  return { manifest: m as unknown as ViewModelManifest, view, featureIndex, fill };
}

/** Reads a manifest and its ONNX file, checks them against the view and each other, and opens the session. */
export async function loadViewModel(entry: ViewModelEntry, views: ReadonlyMap<string, CompiledView>, baseDir = process.cwd()): Promise<LoadedViewModel> {
  const path = resolve(baseDir, entry.manifest);
  const { manifest, view, featureIndex, fill } = validateViewManifest(await readManifestJson(path), path, views);
  const session = await openModelFile(path, manifest.model_file, manifest.sha256);
  const n = featureIndex.length;
  const kind = manifest.output.kind;
  const classes = manifest.output.classes ?? (kind === 'binary' ? ['0', '1'] : []);
  try {
    if (session.inputNames.length !== 1 || session.inputNames[0] !== manifest.input.name) {
      throw invalid(path, `input mismatch: the manifest says "${manifest.input.name}", the ONNX model's inputs are ${session.inputNames.map((x) => `"${x}"`).join(', ')}`);
    }
    const meta = session.inputMetadata[0];
    if (meta && meta.isTensor) {
      const last = meta.shape[meta.shape.length - 1];
      if (meta.type !== 'float32') throw invalid(path, `input "${meta.name}" is ${meta.type}; float32 is expected`);
      if (meta.shape.length !== 2 || (typeof last === 'number' && last !== n)) {
        throw invalid(path, `model "${manifest.name}" reads ${n} features of view "${view.name}" (${manifest.features.join(', ')}), but its ONNX input "${meta.name}" has shape [${meta.shape.join(', ')}]`);
      }
    }
    if (!session.outputNames.includes(manifest.output.name)) {
      throw invalid(path, `output mismatch: the manifest says "${manifest.output.name}", the ONNX model's outputs are ${session.outputNames.map((o) => `"${o}"`).join(', ')}`);
    }
    const probe = new ort.Tensor('float32', new Float32Array(2 * n), [2, n]);
    const out = (await session.run({ [manifest.input.name]: probe }))[manifest.output.name];
    const perRow = out ? out.size / 2 : 0;
    const ok = out?.type === 'float32' && (kind === 'multiclass' ? perRow === classes.length : kind === 'binary' ? perRow === 1 || perRow === 2 : perRow === 1);
    if (!ok) {
      const want = kind === 'multiclass' ? `${classes.length} class probabilities` : kind === 'binary' ? '1 or 2 probabilities' : '1 score';
      throw invalid(path, `output "${manifest.output.name}" of a ${kind} model should give ${want} per row as float32; for 2 rows it gave ${out ? `${out.size} ${out.type} values (dims [${out.dims.join(', ')}])` : 'nothing'}`);
    }
  } catch (err) {
    await session.release().catch(() => undefined);
    if (err instanceof TributaryError) throw err;
    throw invalid(path, `a probe run failed: ${(err as Error).message}`);
  }
  return {
    manifest, manifestPath: path, view, session, shadow: entry.shadow ?? false, featureIndex, fill,
    center: Float64Array.from(manifest.normalization?.center ?? new Array<number>(n).fill(0)),
    scale: Float64Array.from(manifest.normalization?.scale ?? new Array<number>(n).fill(1)),
    classes,
  };
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
      const input = new Float32Array(rows.length * n);
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
      let out: Float32Array;
      if (options.perRow) {
        const parts: Float32Array[] = [];
        for (let r = 0; r < take.length; r++) parts.push(await this.run(model, input.subarray(r * n, (r + 1) * n), 1));
        out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
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

  private async run(model: LoadedViewModel, input: Float32Array, rows: number): Promise<Float32Array> {
    const t0 = performance.now();
    const n = model.featureIndex.length;
    const res = await model.session.run({ [model.manifest.input.name]: new ort.Tensor('float32', input, [rows, n]) });
    this.counters.lastRunMs = performance.now() - t0;
    this.counters.runs++;
    return res[model.manifest.output.name]!.data as Float32Array;
  }

  private prediction(model: LoadedViewModel, e: ViewEmission, out: Float32Array, raw: number[]): PredictionRow {
    const m = model.manifest;
    const kind = m.output.kind;
    let score: number;
    let label = '';
    const probs: Record<string, number> = {};
    let anomaly = false;
    let threshold = m.threshold ?? 0;
    if (kind === 'regression') {
      score = out[0]!;
      anomaly = m.threshold !== undefined && score >= m.threshold;
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
