/**
 * A worker with feature views: the features config compiled, its tables created, the models bound
 * to views loaded (refused at start when they do not fit their view), and the event streams handed to
 * the worker next to logs and metrics. What `tributary worker` runs when its config has `sources:`
 * and `views:`; the example, the tests and the benchmark use it too.
 */
import { type Store } from '../../core/storage/store.ts';
import { Worker, type WorkerOptions } from '../worker.ts';
import { ViewModels, type ViewModelEntry } from '../transforms/scoring/view-models.ts';
import { compileFeatures, ensureFeatureTables, featureStreams, type CompiledFeatures, type FeaturesConfig } from './config.ts';
import { type ViewStage } from '../stages/views.ts';

export interface FeatureWorkerOptions extends Omit<WorkerOptions, 'streams'> {
  store: Store;
  features: FeaturesConfig;
  /** Models bound to views (manifests with a `view`). */
  models?: ViewModelEntry[];
  /** Folder model paths are relative to (the config file's). */
  baseDir?: string;
  /** Reload a view model when its manifest or ONNX file changes (default false here; the CLI follows scoring.watch). */
  watchModels?: boolean;
}

export interface FeatureWorker {
  worker: Worker;
  compiled: CompiledFeatures;
  views: ViewStage[];
  models?: ViewModels;
  /** Stops the worker (landing and committing what it can) and releases the models. */
  stop(): Promise<void>;
}

export async function openFeatureWorker(options: FeatureWorkerOptions): Promise<FeatureWorker> {
  const { features, models: entries, baseDir, watchModels, ...rest } = options;
  const compiled = compileFeatures(features);
  await ensureFeatureTables(options.store, compiled);
  const models = entries && entries.length > 0 ? await ViewModels.open(entries, compiled.views, { baseDir, watch: watchModels }) : undefined;
  const { streams, views } = featureStreams(compiled, models, options.groupId ?? 'tributary-workers');
  const worker = new Worker({ ...rest, streams });
  return {
    worker, compiled, views, models,
    async stop() {
      await worker.stop();
      await models?.close();
    },
  };
}
