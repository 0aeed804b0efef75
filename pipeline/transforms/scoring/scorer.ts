/**
 * Scoring: the windows that closed in one tick (service windows across services, or host metric
 * windows across hosts) flow in, their features are computed against each series' baseline, each
 * configured model scores the rows it takes in ONE `session.run`, and the rows come out with score,
 * threshold, anomaly, model and version filled, plus an `AnomalyRow` per window over its threshold.
 *
 * Models come from config (`{ models: [{ manifest: 'path/to/manifest.json' }] }`); a row is scored by
 * the first model whose kind and window sizes match it. Rows no model takes, and windows of a series
 * whose baseline is not warm yet, are stored unscored (`scored` 0). Model files are watched: a
 * replacement is loaded and checked beside the running one and swapped in between two batches (each
 * batch holds the model it started with), so no window is lost or scored twice; a replacement that
 * fails its checks is refused, logged, and the previous model keeps scoring.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type AnomalyRow, type MetricWindowRow, type ModelScoreRow, type ServiceWindowRow } from '../../../core/contracts/rows.ts';
import { TributaryError } from '../../../core/errors.ts';
import { log } from '../../../core/log.ts';
import { ServiceFeatures, type FeatureVector, type ServiceFeatureSnapshot } from '../features/service.ts';
import { HostFeatures, type HostFeatureSnapshot, type HostWindow } from '../features/host.ts';
import { loadModel, overThreshold, runRows, type LoadedModel, type ModelKind } from './manifest.ts';
import { validateScoringConfig } from './options.ts';
import { closeSlots, held, queueReload, release, retire, watchModelFiles, type Held as ModelHeld } from './model-watch.ts';

export interface ScoringConfig {
  /** One entry per model; adding a model is adding a line here. */
  models: { manifest: string; shadow?: boolean }[];
  /** Watch model files and reload on change (default true). */
  watch?: boolean;
  /** Quiet time after the last file event before reloading, in ms (default 200). */
  reloadDebounceMs?: number;
  /** Features named in an anomaly row (default 3). */
  topFeatures?: number;
  /**
   * Score windows of any size, not only the sizes a model lists (default false). `detect --window`
   * uses it: the features are ratios and rates, so they mostly carry across window sizes.
   */
  anyWindowSize?: boolean;
}

/** JSON form of a scorer's feature baselines (see `baselineSnapshot`). */
export interface BaselineSnapshot {
  v: 1;
  service: [number, ServiceFeatureSnapshot][];
  host: [number, HostFeatureSnapshot][];
  observed: [string, string][];
}

export interface ScoredRows<Row> {
  rows: Row[];
  anomalies: AnomalyRow[];
  /** One row per (window, model) scored, shadow models included. */
  scores: ModelScoreRow[];
}

export interface ModelInfo {
  kind: ModelKind;
  name: string;
  version: string;
  manifestPath: string;
  /** Scores and stores without raising anomalies or filling window rows. */
  shadow: boolean;
  lastError?: string;
}

/** Counters for the pipeline's own metrics. */
export interface ScoringCounters {
  batches: number;
  runs: number;
  rowsScored: number;
  rowsUnscored: number;
  anomalies: number;
  reloads: number;
  reloadFailures: number;
  /** Wall time of the last `session.run`, ms. */
  lastRunMs: number;
}

interface Slot {
  manifestPath: string;
  shadow: boolean;
  current: Held;
  lastError?: string;
  timer?: NodeJS.Timeout;
  reloading?: Promise<void>;
}

/** A loaded model plus the number of batches still using it, so that it is released only after them. */
type Held = ModelHeld<LoadedModel>;

interface Pending {
  features: FeatureVector;
  windowSizeS: number;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

export class Scorer extends EventEmitter {
  readonly counters: ScoringCounters = { batches: 0, runs: 0, rowsScored: 0, rowsUnscored: 0, anomalies: 0, reloads: 0, reloadFailures: 0, lastRunMs: 0 };
  private readonly slots: Slot[];
  private readonly serviceFeatures = new Map<number, ServiceFeatures>();
  private readonly hostFeatures = new Map<number, HostFeatures>();
  /** Last window start (ms) whose features joined a series' baseline, per series and size. */
  private readonly observed = new Map<string, string>();
  private readonly watchers: FSWatcher[] = [];
  private readonly topN: number;
  private readonly debounceMs: number;
  private readonly anyWindowSize: boolean;
  private readonly logger = log('scoring');
  private closed = false;

  private constructor(slots: Slot[], config: ScoringConfig, private readonly now: () => number) {
    super();
    this.slots = slots;
    this.topN = config.topFeatures ?? 3;
    this.debounceMs = config.reloadDebounceMs ?? 200;
    this.anyWindowSize = config.anyWindowSize ?? false;
  }

  /** Loads every configured model (a model that fails its checks is a start-up error) and starts watching. */
  static async open(config: ScoringConfig, options: { now?: () => number } = {}): Promise<Scorer> {
    validateScoringConfig(config);
    const slots: Slot[] = [];
    for (const entry of config.models) {
      if (typeof entry?.manifest !== 'string') throw new TributaryError('CONFIG_INVALID', 'scoring.models[]: each entry needs "manifest", the path of a model manifest');
      const model = await loadModel(entry.manifest);
      slots.push({ manifestPath: model.manifestPath, shadow: entry.shadow === true, current: held(model) });
    }
    const scorer = new Scorer(slots, config, options.now ?? Date.now);
    for (const s of slots) scorer.logger.info({ model: s.current.model.manifest.name, version: s.current.model.manifest.version, kind: s.current.model.manifest.kind, shadow: s.shadow }, 'Loaded the model.');
    if (config.watch ?? true) scorer.startWatching();
    return scorer;
  }

  /** The models in use, in config order. */
  models(): ModelInfo[] {
    return this.slots.map((s) => {
      const m = s.current.model.manifest;
      const info: ModelInfo = { kind: m.kind, name: m.name, version: m.version, manifestPath: s.manifestPath, shadow: s.shadow };
      if (s.lastError) info.lastError = s.lastError;
      return info;
    });
  }

  /** Scores the service windows closed in one tick; rows come back in the same order, filled. */
  async scoreServiceWindows(rows: ServiceWindowRow[]): Promise<ScoredRows<ServiceWindowRow>> {
    // Features first, synchronously, so baselines advance in arrival order even if batches overlap.
    const pending = rows.map((row): Pending => {
      let f = this.serviceFeatures.get(row.window_size_s);
      if (!f) this.serviceFeatures.set(row.window_size_s, (f = new ServiceFeatures()));
      const key = `s\u0000${row.service}\u0000${row.window_size_s}`;
      return { features: this.firstSight(key, row.window_start) ? f.next(row) : f.peek(row), windowSizeS: row.window_size_s };
    });
    const scores: ModelScoreRow[] = [];
    const anomalies = await this.run('service', pending, (i, model, score, role) => {
      const row = rows[i]!;
      if (role === 'primary') fill(row, model, score);
      scores.push(scoreRow('service', row.service, '', row, row.version, model, score, role === 'shadow'));
      return role !== 'shadow' && overThreshold(model.manifest, score) ? this.anomaly('service', row.service, '', row, model, score, pending[i]!.features) : undefined;
    }, (i) => unscore(rows[i]!));
    return { rows, anomalies, scores };
  }

  /** Scores the host windows closed in one tick; every metric row of a host window gets the host's score. */
  async scoreHostWindows(windows: HostWindow[]): Promise<ScoredRows<MetricWindowRow>> {
    const pending = windows.map((w): Pending => {
      let f = this.hostFeatures.get(w.window_size_s);
      if (!f) this.hostFeatures.set(w.window_size_s, (f = new HostFeatures()));
      const key = `h\u0000${w.host}\u0000${w.window_size_s}`;
      return { features: this.firstSight(key, w.window_start) ? f.next(w) : f.peek(w), windowSizeS: w.window_size_s };
    });
    const scores: ModelScoreRow[] = [];
    const anomalies = await this.run('host', pending, (i, model, score, role) => {
      const w = windows[i]!;
      if (role === 'primary') for (const r of w.rows) fill(r, model, score);
      scores.push(scoreRow('host', w.service, w.host, w, w.rows.reduce((a, r) => a + r.version, 0), model, score, role === 'shadow'));
      return role !== 'shadow' && overThreshold(model.manifest, score) ? this.anomaly('host', w.service, w.host, w, model, score, pending[i]!.features) : undefined;
    }, (i) => windows[i]!.rows.forEach(unscore));
    return { rows: windows.flatMap((w) => w.rows), anomalies, scores };
  }

  /**
   * Scores raw feature vectors (in the worker's feature order for `kind`) with the first model of that
   * kind, in one `session.run`: the path the parity test and the benchmark drive without windows.
   */
  async scoreVectors(kind: ModelKind, vectors: readonly (readonly number[])[]): Promise<{ scores: Float32Array; name: string; version: string; threshold: number }> {
    const slot = this.slots.find((s) => s.current.model.manifest.kind === kind);
    if (!slot) throw new TributaryError('CONFIG_INVALID', `no ${kind} model is configured`);
    const held = slot.current;
    held.inflight++;
    try {
      const model = held.model;
      const n = model.featureIndex.length;
      const input = new Float32Array(vectors.length * n);
      vectors.forEach((v, r) => normaliseInto(model, v, input, r * n));
      const scores = await this.session(model, input, vectors.length);
      return { scores, name: model.manifest.name, version: model.manifest.version, threshold: model.manifest.threshold };
    } finally {
      release(held);
    }
  }

  /**
   * The feature baselines (per window size, per service and host) and the last window each series
   * observed: what a worker taking partitions over needs to score their windows at once.
   */
  baselineSnapshot(): BaselineSnapshot {
    return {
      v: 1,
      service: [...this.serviceFeatures].map(([size, f]) => [size, f.snapshot()]),
      host: [...this.hostFeatures].map(([size, f]) => [size, f.snapshot()]),
      observed: [...this.observed],
    };
  }

  /** Adopts, from saved snapshots (oldest first), the baselines of series this scorer has not seen. */
  restoreBaselines(saved: readonly unknown[]): number {
    let adopted = 0;
    // Newest first, so that a series present in several snapshots gets its most recent baseline.
    for (const raw of [...saved].reverse()) {
      const snap = raw as BaselineSnapshot;
      if (snap?.v !== 1 || !Array.isArray(snap.service) || !Array.isArray(snap.host)) continue;
      const fresh = new Set<string>();
      for (const [size, s] of snap.service) {
        let f = this.serviceFeatures.get(size);
        if (!f) this.serviceFeatures.set(size, (f = new ServiceFeatures()));
        const before = new Set(f.services());
        adopted += f.adopt(s);
        for (const name of Object.keys(s)) if (!before.has(name)) fresh.add(`s\u0000${name}\u0000${size}`);
      }
      for (const [size, h] of snap.host) {
        let f = this.hostFeatures.get(size);
        if (!f) this.hostFeatures.set(size, (f = new HostFeatures()));
        const n = f.adopt(h);
        adopted += n;
        if (n > 0) for (const name of Object.keys(h)) fresh.add(`h\u0000${name}\u0000${size}`);
      }
      for (const [key, start] of snap.observed ?? []) if (fresh.has(key) && !this.observed.has(key)) this.observed.set(key, start);
    }
    return adopted;
  }

  /** Re-reads every model now (the watcher does this on file changes). Resolves when done; never throws. */
  async reloadAll(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.reload(s)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeSlots(this.watchers, this.slots);
  }

  /** Whether this window start is new for the series (true: its features join the baseline). */
  private firstSight(key: string, windowStart: string): boolean {
    const last = this.observed.get(key);
    // Window times are fixed-width UTC strings, so string order is time order.
    if (last !== undefined && windowStart <= last) return false;
    this.observed.set(key, windowStart);
    return true;
  }

  /**
   * Every model of `kind` scores the warm rows of its window sizes in one `session.run` (the held model
   * is pinned for the batch). A row's `primary` is the first live model that matches it: it fills the
   * window row. Other live models score it as `extra` (their anomalies count too); shadow models as
   * `shadow` (stored, no anomaly).
   */
  private async run(
    kind: ModelKind,
    pending: Pending[],
    onScore: (i: number, model: LoadedModel, score: number, role: 'primary' | 'extra' | 'shadow') => AnomalyRow | undefined,
    onUnscored: (i: number) => void,
  ): Promise<AnomalyRow[]> {
    this.counters.batches++;
    const taken = new Array<boolean>(pending.length).fill(false);
    const jobs: { held: Held; idx: number[]; roles: ('primary' | 'extra' | 'shadow')[] }[] = [];
    for (const slot of this.slots) {
      const held = slot.current;
      const m = held.model.manifest;
      if (m.kind !== kind) continue;
      const idx: number[] = [];
      const roles: ('primary' | 'extra' | 'shadow')[] = [];
      for (let i = 0; i < pending.length; i++) {
        if (!pending[i]!.features.warm || (!this.anyWindowSize && !m.window_size_s.includes(pending[i]!.windowSizeS))) continue;
        idx.push(i);
        if (slot.shadow) roles.push('shadow');
        else if (taken[i]) roles.push('extra');
        else {
          taken[i] = true;
          roles.push('primary');
        }
      }
      if (idx.length > 0) {
        held.inflight++;
        jobs.push({ held, idx, roles });
      }
    }
    const anomalies: AnomalyRow[] = [];
    try {
      for (const { held, idx, roles } of jobs) {
        const model = held.model;
        const n = model.featureIndex.length;
        const input = new Float32Array(idx.length * n);
        for (let r = 0; r < idx.length; r++) normaliseInto(model, pending[idx[r]!]!.features.values, input, r * n);
        const scores = await this.session(model, input, idx.length);
        for (let r = 0; r < idx.length; r++) {
          const a = onScore(idx[r]!, model, scores[r]!, roles[r]!);
          if (a) anomalies.push(a);
        }
        this.counters.rowsScored += idx.length;
      }
    } finally {
      for (const { held } of jobs) {
        release(held);
      }
    }
    for (let i = 0; i < pending.length; i++) {
      if (!taken[i]) {
        onUnscored(i);
        this.counters.rowsUnscored++;
      }
    }
    this.counters.anomalies += anomalies.length;
    return anomalies;
  }

  private async session(model: LoadedModel, input: Float32Array, rows: number): Promise<Float32Array> {
    const n = model.featureIndex.length;
    const t0 = performance.now();
    const out = await runRows(model.session, model.manifest.output.name, rows, model.batch, (from, to) => ({ [model.manifest.input.name]: new ort.Tensor('float32', input.subarray(from * n, to * n), [to - from, n]) }));
    this.counters.lastRunMs = performance.now() - t0;
    this.counters.runs++;
    return out as Float32Array;
  }

  private anomaly(kind: ModelKind, service: string, host: string, w: { window_start: string; window_end: string; window_size_s: number }, model: LoadedModel, score: number, f: FeatureVector): AnomalyRow {
    const m = model.manifest;
    const z = model.featureIndex.map((fi, j) => ({ name: m.features[j]!, value: f.values[fi]!, z: (f.values[fi]! - model.center[j]!) / model.scale[j]! }));
    z.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
    const d = new Date(this.now()).toISOString();
    return {
      kind, service, host, window_start: w.window_start, window_end: w.window_end, window_size_s: w.window_size_s,
      score, threshold: m.threshold, model: m.name, model_version: m.version,
      top_features: z.slice(0, this.topN).map((x) => `${x.name}=${fmt(x.value)} (z=${x.z.toFixed(1)})`),
      detected_at: `${d.slice(0, 10)} ${d.slice(11, 23)}`,
    };
  }

  private startWatching(): void {
    this.watchers.push(
      ...watchModelFiles(this.slots, {
        files: (s) => [s.manifestPath, s.current.model.modelPath],
        reload: (s) => void this.reload(s),
        debounceMs: this.debounceMs,
        onError: (err, dir) => this.logger.warn({ err, dir }, 'Watching the model folder failed; models will not hot-reload.'),
      }),
    );
  }

  private reload(slot: Slot): Promise<void> {
    return queueReload(slot, () => this.reloadNow(slot));
  }

  private async reloadNow(slot: Slot): Promise<void> {
    if (this.closed) return;
    const before = slot.current.model.manifest;
    let model: LoadedModel;
    try {
      model = await loadModel(slot.manifestPath);
    } catch (err) {
      slot.lastError = (err as Error).message;
      this.counters.reloadFailures++;
      this.logger.warn({ err, model: before.name, version: before.version }, 'Refused the replacement model; the previous model keeps scoring.');
      this.emit('reload-failed', err);
      return;
    }
    if (model.manifest.kind !== before.kind) {
      await model.session.release().catch(() => undefined);
      const err = new TributaryError('MODEL_INVALID', `model manifest ${slot.manifestPath}: the replacement scores ${model.manifest.kind} windows, the running model ${before.kind} windows`);
      slot.lastError = err.message;
      this.counters.reloadFailures++;
      this.logger.warn({ err }, 'Refused the replacement model; the previous model keeps scoring.');
      this.emit('reload-failed', err);
      return;
    }
    const old = slot.current;
    slot.current = held(model);
    delete slot.lastError;
    await retire(old);
    this.counters.reloads++;
    this.logger.info({ model: model.manifest.name, version: model.manifest.version, previous: before.version }, 'Swapped in the replacement model.');
    this.emit('reloaded', { name: model.manifest.name, version: model.manifest.version, previousVersion: before.version });
  }
}

/** The manifest's normalisation, in float64, written as float32 at `offset` (the same arithmetic as train.py). */
function normaliseInto(model: LoadedModel, values: readonly number[], out: Float32Array, offset: number): void {
  const n = model.featureIndex.length;
  for (let j = 0; j < n; j++) out[offset + j] = (values[model.featureIndex[j]!]! - model.center[j]!) / model.scale[j]!;
}

function fill(row: ServiceWindowRow | MetricWindowRow, model: LoadedModel, score: number): void {
  row.score = score;
  row.threshold = model.manifest.threshold;
  row.anomaly = overThreshold(model.manifest, score) ? 1 : 0;
  row.model = model.manifest.name;
  row.model_version = model.manifest.version;
  row.scored = 1;
}

function scoreRow(kind: ModelKind, service: string, host: string, w: { window_start: string; window_size_s: number }, windowVersion: number, model: LoadedModel, score: number, shadow: boolean): ModelScoreRow {
  const m = model.manifest;
  return {
    kind, service, host, window_start: w.window_start, window_size_s: w.window_size_s, window_version: windowVersion,
    model: m.name, model_version: m.version, score, threshold: m.threshold, over_threshold: overThreshold(m, score) ? 1 : 0, shadow: shadow ? 1 : 0,
  };
}

function unscore(row: ServiceWindowRow | MetricWindowRow): void {
  row.score = 0;
  row.threshold = 0;
  row.anomaly = 0;
  row.model = '';
  row.model_version = '';
  row.scored = 0;
}

/** Epoch ms of a window time as the aggregator writes it (`YYYY-MM-DD hh:mm:ss.sss`, UTC) or ISO-8601. */
export function windowTimeMs(s: string): number {
  return Date.parse(s.includes('T') ? s : s.replace(' ', 'T') + 'Z');
}

/** Resolves config paths against a base folder (the config file's), leaving absolute ones alone. */
export function resolveScoringConfig(config: ScoringConfig, baseDir: string): ScoringConfig {
  return { ...config, models: config.models.map((m) => ({ manifest: resolve(baseDir, m.manifest) })) };
}

/** The models the project ships, for a worker or `detect` run without scoring config. */
export function defaultScoringConfig(repoRoot: string): ScoringConfig {
  return {
    models: [
      { manifest: resolve(repoRoot, 'models/service-window-maxz/manifest.json') },
      { manifest: resolve(repoRoot, 'models/host-metrics-maxz/manifest.json') },
    ],
  };
}
