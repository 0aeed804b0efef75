/**
 * A view model's manifest and ONNX graph, loaded and checked against the view and each other: what
 * the worker feeds the model and reads from it (view-models.ts scores with what this returns).
 *
 * The manifest beside the `.onnx` names the view and the features it reads, in order:
 *   { "name": "card-fraud", "version": "3", "view": "card_activity", "model_file": "model.onnx",
 *     "features": ["txn_count", "amount_sum", "amount_z"],
 *     "missing": { "amount_z": 0 },                      // value fed for a missing feature ("*": any)
 *     "normalization": { "center": [...], "scale": [...] },   // optional; x' = (x - center) / scale
 *     "input": { "name": "x" },
 *     "output": { "name": "p", "kind": "binary", "classes": ["legit", "fraud"] },
 *     "threshold": 0.5 }                                  // regression, binary; multi-class: "alert_labels"
 * Output kinds: `regression` ([N, 1] or [N]: the score; `higher_is_anomalous: false` makes a score at or
 * below the threshold the anomaly, as an isolation forest's `scores`), `binary` ([N, 1] or [N]:
 * probability of the positive (second) class, or [N, 2]: both), `multiclass` ([N, K] class
 * probabilities, K = classes).
 *
 * Models as converters write them load as they are (onnx-graph.ts): a classifier's ZipMap output is
 * read from the probabilities tensor under it; the class labels a classifier carries name the classes
 * when the manifest does not, and a manifest whose string classes differ from them is refused (the
 * order is the model's, not the manifest's); float64 inputs and outputs are fed and read as such; a
 * model with one input per feature (named after the features) gets one column each, and then the
 * manifest's `input` may be left out; a graph whose batch is fixed at one row runs a row at a time.
 *
 * Refused at load, naming both sides: a feature the view does not have, a view that is not
 * configured, an input or output that the ONNX graph does not have or shape as declared.
 */
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { TributaryError } from '../../../core/errors.ts';
import { type CompiledView } from '../features/views/definition.ts';
import { fixedBatch, openSession, readManifestJson, readModelFile, runRows } from './manifest.ts';
import { classLabels, inspectModel, producerOf, withGraphOutput } from './onnx-graph.ts';

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
  /** The model's one input; may be left out when it has one input, or one per feature named after them. */
  input?: { name: string };
  output: { name: string; kind: OutputKind; classes?: string[]; higher_is_anomalous?: boolean };
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
  /** How rows are fed: one [N, n] tensor under `inputs[0]`, or one [N, 1] (or [N]) tensor per feature (`inputs[j]` for feature j). */
  feed: 'matrix' | 'columns';
  inputs: string[];
  /** With `columns`: each input's rank, 2 ([N, 1]) or 1 ([N]). */
  ranks: number[];
  inputType: 'float32' | 'float64';
  /** The tensor read as the output: the manifest's, or the probabilities under its ZipMap. */
  outputName: string;
  /** 1 when the graph takes one row per run (a fixed batch), else undefined. */
  batch: 1 | undefined;
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
  if (input !== undefined && (typeof input !== 'object' || input === null || typeof input.name !== 'string')) throw invalid(path, '"input" must be an object with a "name"');
  const output = m.output as Record<string, unknown> | undefined;
  if (typeof output !== 'object' || output === null || typeof output.name !== 'string') throw invalid(path, '"output" must be an object with a "name" and a "kind"');
  if (!OUTPUT_KINDS.includes(output.kind as OutputKind)) throw invalid(path, `"output.kind" must be one of ${OUTPUT_KINDS.join(', ')}, got ${JSON.stringify(output.kind)}`);
  const classes = output.classes;
  if (classes !== undefined && (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string' && c !== ''))) throw invalid(path, '"output.classes" must be a list of class names');
  if (output.kind === 'multiclass' && classes !== undefined && (classes as string[]).length < 2) throw invalid(path, 'a multiclass model has at least 2 classes in "output.classes"');
  if (output.higher_is_anomalous !== undefined && typeof output.higher_is_anomalous !== 'boolean') throw invalid(path, '"output.higher_is_anomalous" must be true or false');
  if (output.kind === 'binary' && classes !== undefined && (classes as string[]).length !== 2) throw invalid(path, 'a binary model names exactly 2 classes (negative, positive)');
  if (m.threshold !== undefined && (typeof m.threshold !== 'number' || !Number.isFinite(m.threshold))) throw invalid(path, '"threshold" must be a finite number');
  if (m.alert_labels !== undefined) {
    // Checked against the classes once they are known (from the graph when the manifest names none).
    if (!Array.isArray(m.alert_labels) || !(m.alert_labels as unknown[]).every((l) => typeof l === 'string' && (classes === undefined || (classes as string[]).includes(l)))) {
      throw invalid(path, `"alert_labels" must name classes of the model (${(classes as string[] | undefined)?.join(', ') ?? 'none named'})`);
    }
  }
  if (m.sha256 !== undefined && (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256))) throw invalid(path, '"sha256" must be 64 lowercase hex characters');
  return { manifest: m as unknown as ViewModelManifest, view, featureIndex, fill };
}

/** What a session says of one of its inputs or outputs. */
type ValueMeta = ort.InferenceSession['inputMetadata'][number];
const list = (xs: readonly string[]): string => xs.map((x) => `"${x}"`).join(', ');
const isNumbers = (xs: readonly string[]): boolean => xs.every((x) => /^-?\d+$/.test(x));

/**
 * How rows reach the model: its one input as [N, n] (named by the manifest, or the only one), or one
 * [N, 1] input per feature, named after the features (a converter's per-column inputs).
 */
function resolveInputs(manifest: ViewModelManifest, session: ort.InferenceSession, view: CompiledView, path: string): Pick<LoadedViewModel, 'feed' | 'inputs' | 'ranks' | 'inputType' | 'batch'> {
  const n = manifest.features.length;
  const names = session.inputNames;
  const metas = session.inputMetadata as readonly ValueMeta[];
  const typeOf = (meta: ValueMeta | undefined): 'float32' | 'float64' => {
    if (meta && !meta.isTensor) throw invalid(path, `input "${meta.name}" of the ONNX model is not a tensor`);
    const t = meta?.type ?? 'float32';
    if (t !== 'float32' && t !== 'float64') throw invalid(path, `input "${meta!.name}" is ${t}; float32 or float64 is expected (the features are numbers)`);
    return t;
  };
  if (names.length === 1 && (manifest.input === undefined || manifest.input.name === names[0])) {
    const meta = metas[0];
    const type = typeOf(meta);
    if (meta && meta.isTensor) {
      const last = meta.shape[meta.shape.length - 1];
      if (meta.shape.length !== 2 || (typeof last === 'number' && last !== n)) {
        throw invalid(path, `model "${manifest.name}" reads ${n} features of view "${view.name}" (${manifest.features.join(', ')}), but its ONNX input "${meta.name}" has shape [${meta.shape.join(', ')}]`);
      }
    }
    return { feed: 'matrix', inputs: [names[0]!], ranks: [2], inputType: type, batch: meta && meta.isTensor ? fixedBatch(meta.shape, meta.name, path) : undefined };
  }
  if (manifest.input !== undefined) {
    const per = names.length > 1 && names.every((x) => manifest.features.includes(x)) ? ` (its inputs are named after features: leave "input" out to feed one feature to each)` : '';
    throw invalid(path, `input mismatch: the manifest says "${manifest.input.name}", the ONNX model's inputs are ${list(names)}${per}`);
  }
  const missing = manifest.features.filter((f) => !names.includes(f));
  const extra = names.filter((x) => !manifest.features.includes(x));
  if (missing.length > 0 || extra.length > 0 || names.length !== n) {
    throw invalid(path, `the manifest names no "input", so the ONNX model's inputs must be its ${n} features, one each; they are ${list(names)}${missing.length ? ` (no input for ${list(missing)})` : ''}${extra.length ? ` (not features: ${list(extra)})` : ''}`);
  }
  let type: 'float32' | 'float64' | undefined;
  let batch: 1 | undefined;
  for (const meta of metas) {
    if (meta.isTensor) batch = fixedBatch(meta.shape, meta.name, path) ?? batch;
    const t = typeOf(meta);
    if (type !== undefined && t !== type) throw invalid(path, `the ONNX model's inputs mix float32 and float64`);
    type = t;
    if (meta.isTensor && !(meta.shape.length === 1 || (meta.shape.length === 2 && (typeof meta.shape[1] !== 'number' || meta.shape[1] === 1)))) {
      throw invalid(path, `input "${meta.name}" has shape [${meta.shape.join(', ')}]; one feature per input is [N, 1]`);
    }
  }
  const rankOf = new Map(metas.map((m) => [m.name, m.isTensor && m.shape.length === 1 ? 1 : 2]));
  return { feed: 'columns', inputs: [...manifest.features], ranks: manifest.features.map((f) => rankOf.get(f)!), inputType: type ?? 'float32', batch };
}

/**
 * The classes in output order: the manifest's, checked against those the graph's classifier carries
 * (string labels must be the same in the same order; integer labels may be named, one name each).
 */
function resolveClasses(manifest: ViewModelManifest, graphLabels: string[] | undefined, path: string): string[] {
  const kind = manifest.output.kind;
  const given = manifest.output.classes;
  if (kind === 'regression') return [];
  if (graphLabels) {
    if (given === undefined) {
      if (kind === 'binary' && graphLabels.length !== 2) throw invalid(path, `a binary model has 2 classes; the ONNX model's classifier has ${graphLabels.length} (${graphLabels.join(', ')})`);
      return graphLabels;
    }
    if (given.length !== graphLabels.length) throw invalid(path, `"output.classes" names ${given.length} classes (${given.join(', ')}); the ONNX model's classifier has ${graphLabels.length} (${graphLabels.join(', ')})`);
    if (!isNumbers(graphLabels) && given.some((c, i) => c !== graphLabels[i])) {
      throw invalid(path, `"output.classes" are ${given.join(', ')}, but the ONNX model's classifier gives its probabilities in the order ${graphLabels.join(', ')}: write them in that order, or leave "output.classes" out`);
    }
    return given;
  }
  if (given !== undefined) return given;
  if (kind === 'binary') return ['0', '1'];
  throw invalid(path, 'a multiclass model must name its classes in "output.classes", in output order (its ONNX graph does not carry them)');
}

/** Reads a manifest and its ONNX file, checks them against the view and each other, and opens the session. */
export async function loadViewModel(entry: ViewModelEntry, views: ReadonlyMap<string, CompiledView>, baseDir = process.cwd()): Promise<LoadedViewModel> {
  const path = resolve(baseDir, entry.manifest);
  const { manifest, view, featureIndex, fill } = validateViewManifest(await readManifestJson(path), path, views);
  const bytes = await readModelFile(path, manifest.model_file, manifest.sha256);
  let session = await openSession(bytes, path, manifest.model_file);
  const n = featureIndex.length;
  const kind = manifest.output.kind;
  try {
    const graph = inspectModel(bytes, path);
    const inputs = resolveInputs(manifest, session, view, path);
    const name = manifest.output.name;
    const at = session.outputNames.indexOf(name);
    if (at < 0) throw invalid(path, `output mismatch: the manifest says "${name}", the ONNX model's outputs are ${list(session.outputNames)}`);
    const meta = (session.outputMetadata as readonly ValueMeta[])[at];
    // What could be named instead: outputs of numbers, and ZipMaps (read through the tensor they zip).
    const tensors = (session.outputMetadata as readonly ValueMeta[])
      .filter((o) => (o.isTensor ? o.type === 'float32' || o.type === 'float64' : producerOf(graph, o.name)?.opType === 'ZipMap'))
      .map((o) => o.name);
    let outputName = name;
    if (meta && !meta.isTensor) {
      const zip = producerOf(graph, name);
      if (zip?.opType !== 'ZipMap' || !zip.inputs[0]) throw invalid(path, `output "${name}" is not a tensor, which onnxruntime-node cannot return; name an output of numbers (${list(tensors) || 'the model has none'})`);
      // onnxruntime-node cannot return ZipMap's sequence of maps: read the tensor it zips (ZipMap takes
      // float only), made a graph output of its own.
      outputName = zip.inputs[0];
      await session.release().catch(() => undefined);
      session = await openSession(withGraphOutput(bytes, outputName, 1), path, manifest.model_file);
    } else if (meta && meta.isTensor && meta.type !== 'float32' && meta.type !== 'float64') {
      throw invalid(path, `output "${name}" holds ${meta.type} values (a classifier's labels?); the worker reads scores or probabilities as numbers: name ${tensors.length ? `one of ${list(tensors)}` : 'an output of numbers (the model has none)'}`);
    }
    const classes = resolveClasses(manifest, classLabels(graph, name), path);
    const badAlert = (manifest.alert_labels ?? []).filter((l) => !classes.includes(l));
    if (badAlert.length > 0) throw invalid(path, `"alert_labels" ${badAlert.join(', ')} are not classes of the model (${classes.join(', ')})`);
    const model = {
      manifest, manifestPath: path, view, session, shadow: entry.shadow ?? false, featureIndex, fill,
      center: Float64Array.from(manifest.normalization?.center ?? new Array<number>(n).fill(0)),
      scale: Float64Array.from(manifest.normalization?.scale ?? new Array<number>(n).fill(1)),
      classes, ...inputs, outputName,
    } satisfies LoadedViewModel;
    const out = await runModel(model, inputs.inputType === 'float64' ? new Float64Array(2 * n) : new Float32Array(2 * n), 2);
    const perRow = out.length / 2;
    const ok = kind === 'multiclass' ? perRow === classes.length : kind === 'binary' ? perRow === 1 || perRow === 2 : perRow === 1;
    if (!ok) {
      const want = kind === 'multiclass' ? `${classes.length} class probabilities` : kind === 'binary' ? '1 or 2 probabilities' : '1 score';
      throw invalid(path, `output "${name}" of a ${kind} model should give ${want} per row; for 2 rows it gave ${out.length} values`);
    }
    return model;
  } catch (err) {
    await session.release().catch(() => undefined);
    if (err instanceof TributaryError) throw err;
    throw invalid(path, `a probe run failed: ${(err as Error).message}`);
  }
}

/** The model's output for `rows` rows of normalised features (row-major), fed as the model takes them. */
export function runModel(model: LoadedViewModel, input: Float32Array | Float64Array, rows: number): Promise<Float32Array | Float64Array> {
  const n = model.featureIndex.length;
  return runRows(model.session, model.outputName, rows, model.batch, (from, to) => {
    const part = input.subarray(from * n, to * n);
    const m = to - from;
    if (model.feed === 'matrix') return { [model.inputs[0]!]: new ort.Tensor(model.inputType, part, [m, n]) };
    const feeds: Record<string, ort.Tensor> = {};
    for (let j = 0; j < n; j++) {
      const col = model.inputType === 'float64' ? new Float64Array(m) : new Float32Array(m);
      for (let r = 0; r < m; r++) col[r] = part[r * n + j]!;
      feeds[model.inputs[j]!] = new ort.Tensor(model.inputType, col, model.ranks[j] === 1 ? [m] : [m, 1]);
    }
    return feeds;
  });
}
