/**
 * Model manifests: the JSON file beside an `.onnx` that says what the model is (name, version, which
 * windows it scores), which features it reads in order, how they are normalised, its input and output,
 * and the threshold. Loading checks the manifest, then checks the ONNX session against it, and refuses
 * a model that does not match with an error that names the mismatch.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { TributaryError } from '../../../core/errors.ts';
import { SERVICE_FEATURES } from '../features/service.ts';
import { HOST_FEATURES } from '../features/host.ts';

export type ModelKind = 'service' | 'host';

export interface ModelManifest {
  name: string;
  version: string;
  /** `service`: scores service (log) windows; `host`: scores a host's metric windows. */
  kind: ModelKind;
  description?: string;
  /** Window sizes (seconds) the model was trained for; rows of other sizes are left unscored. */
  window_size_s: number[];
  /** The ONNX file, relative to the manifest. */
  model_file: string;
  /** SHA-256 (hex) of the ONNX file; when present, a model file that does not match is refused. */
  sha256?: string;
  /** Feature names in input order; each must be one the worker computes for this kind. */
  features: string[];
  /** x' = (x - center) / scale per feature, applied before `session.run` (float64, then float32). */
  normalization: { method: string; center: number[]; scale: number[] };
  input: { name: string; type: 'float32'; shape: (number | null)[] };
  /** `higher_is_anomalous: false`: a score at or below the threshold is the anomaly (an isolation forest's `scores`). */
  output: { name: string; type?: 'float32'; shape?: (number | null)[]; higher_is_anomalous?: boolean };
  /** A window is an anomaly when score >= threshold. */
  threshold: number;
}

/** The features the worker computes for each kind of model. */
export const KNOWN_FEATURES: Record<ModelKind, readonly string[]> = {
  service: SERVICE_FEATURES,
  host: HOST_FEATURES,
};

function invalid(path: string, what: string): TributaryError {
  return new TributaryError('MODEL_INVALID', `model manifest ${path}: ${what}`);
}

/** A manifest file's parsed JSON (either kind of model); MODEL_INVALID naming the file when it cannot be read or parsed. */
export async function readManifestJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TributaryError('MODEL_INVALID', `model manifest ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(path, `is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The ONNX file a manifest at `path` names (beside it), checked against the manifest's sha256 when it
 * gives one; MODEL_INVALID naming the manifest otherwise.
 */
export async function readModelFile(path: string, modelFile: string, sha256: string | undefined): Promise<Buffer> {
  const modelPath = resolve(dirname(path), modelFile);
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new TributaryError('MODEL_INVALID', `model file ${modelPath} (named by ${path}) cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (sha256) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) throw invalid(path, `${modelFile} has sha256 ${got}, the manifest expects ${sha256} (a model file replaced without its manifest?)`);
  }
  return bytes;
}

/** A session on one thread over a model's bytes; MODEL_INVALID naming the manifest when onnxruntime refuses them. */
export async function openSession(bytes: Uint8Array, path: string, modelFile: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw invalid(path, `${modelFile} is not a model onnxruntime can load: ${(err as Error).message}`);
  }
}

/** `readModelFile`, then `openSession`. */
export async function openModelFile(path: string, modelFile: string, sha256: string | undefined): Promise<ort.InferenceSession> {
  return openSession(await readModelFile(path, modelFile, sha256), path, modelFile);
}

/** Checks a parsed manifest; returns it typed, or throws `MODEL_INVALID` naming the first problem. */
export function validateManifest(raw: unknown, path: string): ModelManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(path, 'is not a JSON object');
  const m = raw as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof m[k] !== 'string' || m[k] === '') throw invalid(path, `"${k}" must be a non-empty string`);
    return m[k] as string;
  };
  str('name');
  str('version');
  str('model_file');
  if (m.kind !== 'service' && m.kind !== 'host') throw invalid(path, `"kind" must be "service" or "host", got ${JSON.stringify(m.kind)}`);
  const kind = m.kind;
  if (!Array.isArray(m.window_size_s) || m.window_size_s.length === 0 || !m.window_size_s.every((s) => typeof s === 'number' && s > 0)) {
    throw invalid(path, '"window_size_s" must be a non-empty list of positive numbers of seconds');
  }
  if (!Array.isArray(m.features) || m.features.length === 0 || !m.features.every((f) => typeof f === 'string')) {
    throw invalid(path, '"features" must be a non-empty list of feature names');
  }
  for (const f of m.features as string[]) {
    if (!KNOWN_FEATURES[kind].includes(f)) {
      throw invalid(path, `feature "${f}" is not computed for ${kind} windows (known: ${KNOWN_FEATURES[kind].join(', ')})`);
    }
  }
  const n = m.features.length;
  const norm = m.normalization as Record<string, unknown> | undefined;
  if (typeof norm !== 'object' || norm === null) throw invalid(path, '"normalization" must be an object with "center" and "scale"');
  for (const k of ['center', 'scale'] as const) {
    const v = norm[k];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw invalid(path, `"normalization.${k}" must hold ${n} finite numbers, one per feature`);
    }
  }
  if ((norm.scale as number[]).some((x) => x === 0)) throw invalid(path, '"normalization.scale" must not contain 0');
  const input = m.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || typeof input.name !== 'string') throw invalid(path, '"input" must be an object with a "name"');
  if (input.type !== 'float32') throw invalid(path, `"input.type" must be "float32", got ${JSON.stringify(input.type)}`);
  if (!Array.isArray(input.shape) || input.shape.length !== 2 || input.shape[1] !== n) {
    throw invalid(path, `"input.shape" must be [null, ${n}] (a batch of rows of ${n} features), got ${JSON.stringify(input.shape)}`);
  }
  const output = m.output as Record<string, unknown> | undefined;
  if (typeof output !== 'object' || output === null || typeof output.name !== 'string') throw invalid(path, '"output" must be an object with a "name"');
  if (output.higher_is_anomalous !== undefined && typeof output.higher_is_anomalous !== 'boolean') throw invalid(path, '"output.higher_is_anomalous" must be true or false');
  if (typeof m.threshold !== 'number' || !Number.isFinite(m.threshold)) throw invalid(path, '"threshold" must be a finite number');
  if (m.sha256 !== undefined && (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256))) throw invalid(path, '"sha256" must be 64 lowercase hex characters');
  return m as unknown as ModelManifest;
}

/** Whether `score` is over the manifest's threshold: at or above it, or at or below it for a model whose low scores are the anomalies. */
export function overThreshold(m: ModelManifest, score: number): boolean {
  return m.output.higher_is_anomalous === false ? score <= m.threshold : score >= m.threshold;
}

/**
 * The rows an input takes per run when its graph fixes the batch (a model exported with a fixed first
 * dimension, as `torch.onnx.export` without `dynamic_axes` or a converter given `[1, n]` writes): 1,
 * else undefined (any number of rows). A fixed batch of more than one row is refused, naming it.
 */
export function fixedBatch(shape: readonly (number | string)[], input: string, path: string): 1 | undefined {
  const first = shape[0];
  if (typeof first !== 'number' || shape.length < 2) return undefined;
  if (first === 1) return 1;
  throw invalid(path, `input "${input}" has a fixed batch of ${first} rows (shape [${shape.join(', ')}]); export it with a dynamic first dimension, or with 1`);
}

/**
 * One `session.run` over `rows` rows, or one per row for a model that takes a row at a time
 * (`batch` 1); the named output's values in row order. Only that output is fetched: a converter's
 * other outputs (labels, a ZipMap) need not be computed, and some cannot be returned.
 */
export async function runRows(
  session: ort.InferenceSession, output: string, rows: number, batch: 1 | undefined,
  feeds: (from: number, to: number) => Record<string, ort.Tensor>,
): Promise<Float32Array | Float64Array> {
  const once = async (from: number, to: number): Promise<Float32Array | Float64Array> => {
    const out = (await session.run(feeds(from, to), [output]))[output];
    if (!out || (out.type !== 'float32' && out.type !== 'float64')) throw new Error(`output "${output}" gave ${out ? `${out.type} values` : 'nothing'}, not numbers`);
    return out.data as Float32Array | Float64Array;
  };
  if (batch === undefined || rows <= 1) return once(0, rows);
  const parts: Array<Float32Array | Float64Array> = [];
  for (let r = 0; r < rows; r++) parts.push(await once(r, r + 1));
  return concatOutputs(parts);
}

/** Runs' outputs one after another, in one array of the first's type. */
export function concatOutputs(parts: ReadonlyArray<Float32Array | Float64Array>): Float32Array | Float64Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const all = parts[0] instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

/** A manifest and the ONNX session that was checked against it. */
export interface LoadedModel {
  manifest: ModelManifest;
  manifestPath: string;
  modelPath: string;
  session: ort.InferenceSession;
  /** Index of each manifest feature in the worker's feature vector of that kind. */
  featureIndex: number[];
  center: Float64Array;
  scale: Float64Array;
  /** 1 when the graph takes one row per run (a fixed batch), else undefined. */
  batch: 1 | undefined;
}

/** Checks the session's declared input and output against the manifest; throws naming the mismatch. */
export function checkSession(manifest: ModelManifest, session: ort.InferenceSession, path: string): void {
  const n = manifest.features.length;
  if (session.inputNames.length !== 1) {
    throw invalid(path, `the ONNX model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); one is expected, "${manifest.input.name}"`);
  }
  if (session.inputNames[0] !== manifest.input.name) {
    throw invalid(path, `input name mismatch: the manifest says "${manifest.input.name}", the ONNX model's input is "${session.inputNames[0]}"`);
  }
  const meta = session.inputMetadata[0];
  if (meta && meta.isTensor) {
    if (meta.type !== 'float32') throw invalid(path, `input type mismatch: the manifest says float32, the ONNX model's input "${meta.name}" is ${meta.type}`);
    const shape = meta.shape;
    const last = shape[shape.length - 1];
    if (shape.length !== 2 || (typeof last === 'number' && last !== n)) {
      throw invalid(path, `input shape mismatch: the manifest reads ${n} features as [batch, ${n}], the ONNX model's input "${meta.name}" has shape [${shape.join(', ')}]`);
    }
  } else if (meta && !meta.isTensor) {
    throw invalid(path, `input "${meta.name}" of the ONNX model is not a tensor`);
  }
  if (!session.outputNames.includes(manifest.output.name)) {
    throw invalid(path, `output name mismatch: the manifest says "${manifest.output.name}", the ONNX model's outputs are ${session.outputNames.map((o) => `"${o}"`).join(', ')}`);
  }
  const out = session.outputMetadata[session.outputNames.indexOf(manifest.output.name)];
  if (out && out.isTensor && out.type !== 'float32') {
    throw invalid(path, `output type mismatch: "${out.name}" is ${out.type}, float32 is expected`);
  }
}

/**
 * Reads a manifest and its ONNX file, opens a session, and checks the pair. A probe run on a batch of
 * two zero rows catches a graph that declares the right shape but cannot compute it.
 */
export async function loadModel(manifestPath: string): Promise<LoadedModel> {
  const path = resolve(manifestPath);
  const manifest = validateManifest(await readManifestJson(path), path);
  const session = await openModelFile(path, manifest.model_file, manifest.sha256);
  let batch: 1 | undefined;
  try {
    checkSession(manifest, session, path);
    const n = manifest.features.length;
    const meta = session.inputMetadata[0];
    batch = meta && meta.isTensor ? fixedBatch(meta.shape, meta.name, path) : undefined;
    const probe = new Float32Array(2 * n);
    const out = await runRows(session, manifest.output.name, 2, batch, (from, to) => ({ [manifest.input.name]: new ort.Tensor('float32', probe.subarray(from * n, to * n), [to - from, n]) }));
    if (!(out instanceof Float32Array) || out.length !== 2) {
      throw invalid(path, `output "${manifest.output.name}" should give one float32 score per row; for 2 rows it gave ${out.length} ${out instanceof Float32Array ? 'float32' : 'float64'} values`);
    }
  } catch (err) {
    await session.release().catch(() => undefined);
    if (err instanceof TributaryError) throw err;
    throw invalid(path, `a probe run failed: ${(err as Error).message}`);
  }
  const known = KNOWN_FEATURES[manifest.kind];
  return {
    manifest,
    manifestPath: path,
    modelPath: resolve(dirname(path), manifest.model_file),
    session,
    featureIndex: manifest.features.map((f) => known.indexOf(f)),
    center: Float64Array.from(manifest.normalization.center),
    scale: Float64Array.from(manifest.normalization.scale),
    batch,
  };
}
