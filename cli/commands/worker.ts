/** `tributary worker`: one member of the worker group, from Kafka into ClickHouse, until stopped. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { Worker, windowScorerOf, type WindowScorer } from '../../pipeline/worker.ts';
import { scoringConfigOf, storeConfigOf, viewModelsOf, workerConfigFrom, workerOptions, type WorkerConfig } from '../../pipeline/config.ts';
import { compileFeatures, ensureFeatureTables, featureStreams } from '../../pipeline/features/config.ts';
import { ViewModels, type LoadedViewModel } from '../../pipeline/transforms/scoring/view-models.ts';
import { SchemaRegistry } from '../../pipeline/transforms/features/views/registry.ts';
import { Scorer } from '../../pipeline/transforms/scoring/scorer.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { waitForKafka } from '../../core/kafka/client.ts';
import { serveWorkerHealth } from '../../pipeline/health.ts';
import { log } from '../../core/log.ts';
import { startTelemetry, stopTelemetry } from '../../core/telemetry.ts';
import { STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';
import { publishStatus, WorkerStatusSource } from '../status.ts';
import { hostname } from 'node:os';

const help = `Usage: tributary worker [--config <worker.yaml>] [--check] [options]

Consumes logs.v1 and metrics.v1 as a member of the consumer group "tributary-workers", lands rows in
ClickHouse and commits offsets only after they are stored. Start more workers (processes, on any
host, pointed at a ClickHouse server) and the partitions spread across them. Stop with SIGTERM or Ctrl-C.

Every setting lives in a config file (see examples/worker.yaml; every key is in pipeline/README.md);
the flags below are the quick start and override the file. Both go through the same validation.

Options:
  --config <file>        worker.yaml
  --check                validate the configuration and load its models, then exit (0 when valid)
  --brokers <list>       Kafka brokers, kafka.brokers (default: TRIBUTARY_BROKERS or 127.0.0.1:9092)
  --group <id>           consumer group, kafka.group (default: tributary-workers)
  --logs-topic <name>    topics.logs (default: logs.v1)
  --metrics-topic <name> topics.metrics (default: metrics.v1)
  --dlq-topic <name>     topics.dlq (default: dlq.v1)
  --batch-max-rows <n>   most records in one insert, batch.max_rows (default: 20000)
  --batch-max-wait-ms <n> longest a fetch waits to fill a batch, batch.max_wait_ms (default: 250)
  --allowed-lateness-ms <n> how far the watermark trails event time, windows.allowed_lateness_ms (default: 5000)
  --no-score             store windows unscored, scoring.enabled: false (default: score with the listed models)
  --health <[host:]port> serve /healthz, /readyz and /metrics there (host 127.0.0.1 unless given;
                         default: TRIBUTARY_HEALTH_LISTEN, else off)
${STORE_HELP}
`;

/** How a view model is fed and read, as loading resolved it (a converter's ZipMap, classes from the graph, per-feature inputs). */
function howFed(m: LoadedViewModel): string {
  const input = m.feed === 'columns' ? `one ${m.inputType} input per feature (${m.inputs.join(', ')})` : `${m.inputType} input "${m.inputs[0]}" [rows, ${m.featureIndex.length}]`;
  const output = m.outputName === m.manifest.output.name ? `output "${m.outputName}"` : `output "${m.manifest.output.name}" read through "${m.outputName}" (the probabilities its ZipMap zips)`;
  const classes = m.classes.length > 0 ? `; classes in output order: ${m.classes.join(', ')}${m.manifest.output.classes ? '' : ' (from the model\'s graph)'}` : '';
  return `${input}${m.batch === 1 ? ', a row per run (its batch is fixed at 1)' : ''}; ${output}${classes}`;
}

/** Opens the scorer of a config: every listed model, each checked against its manifest. */
async function openScorer(cfg: WorkerConfig, watch: boolean): Promise<{ scorer?: WindowScorer; scoring?: Scorer }> {
  const config = scoringConfigOf(cfg);
  if (!config) return {};
  const scoring = await Scorer.open({ ...config, watch: watch && config.watch });
  return { scorer: windowScorerOf(scoring), scoring };
}

const command: Command = {
  name: 'worker',
  summary: 'consume Kafka, mine patterns, window, score and store in ClickHouse',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' }, check: { type: 'boolean' },
        brokers: { type: 'string' }, group: { type: 'string' }, 'logs-topic': { type: 'string' }, 'metrics-topic': { type: 'string' },
        'dlq-topic': { type: 'string' }, 'batch-max-rows': { type: 'string' }, 'batch-max-wait-ms': { type: 'string' },
        'allowed-lateness-ms': { type: 'string' }, 'no-score': { type: 'boolean' }, health: { type: 'string' }, ...STORE_OPTIONS,
      },
    });
    const { config: file, check, health: healthFlag, ...flags } = values;
    const cfg = workerConfigFrom(file, flags);
    const features = compileFeatures(cfg);
    if (check) {
      const { scoring } = await openScorer(cfg, false);
      const models = scoring?.models() ?? [];
      await scoring?.close();
      const viewModels = await ViewModels.open(viewModelsOf(cfg), features.views);
      await viewModels.close();
      // Sources that fetch schemas need the registry now: a wrong URL or password is told here, not at the first record.
      const fetching = (cfg.sources ?? []).filter((s) => (s.format === 'avro' && s.avro_schema === undefined) || (s.format === 'protobuf' && s.proto_file === undefined)).map((s) => s.name);
      let registryLine = '';
      if (cfg.schema_registry.url !== undefined && fetching.length > 0) {
        const registry = new SchemaRegistry({ ...cfg.schema_registry, url: cfg.schema_registry.url });
        try {
          registryLine = `\nschema registry ${registry.where} ${await registry.probe()} (for ${fetching.join(', ')})`;
        } catch (err) {
          process.stderr.write(`${file ?? 'The command line'}: sources ${fetching.join(', ')} fetch their schemas from the registry, and ${(err as Error).message}\n`);
          return 1;
        }
      }
      process.stdout.write(`${file ?? 'The command line'} is a valid worker configuration: group ${cfg.kafka.group}, topics ${cfg.topics.logs}, ${cfg.topics.metrics}, ${cfg.topics.dlq}; store ${cfg.store.driver === 'server' ? new URL(cfg.store.url!).host : cfg.store.path}; ${models.length} model(s)${models.map((m) => `\n  ${m.name} ${m.version} (${m.kind}${m.shadow ? ', shadow' : ''}) from ${m.manifestPath}`).join('')}${registryLine}\n`);
      if (features.views.size > 0 || viewModels.models.length > 0) {
        process.stdout.write(`${features.sources.size} source(s), ${features.views.size} view(s), ${viewModels.models.length} model(s) bound to views${[...features.views.values()].map((v) => `\n  view ${v.name} v${v.version} on ${v.source.topic} -> ${v.table} (${v.features.length} features), keyed by ${v.keyFields.join(', ')}: produce ${v.source.topic} with ${v.keyFields.length > 1 ? 'these fields (or one of them)' : 'it'} as the Kafka key, since a key's events must share a partition`).join('')}${viewModels.models.map((m) => `\n  ${m.manifest.name} ${m.manifest.version} (${m.manifest.output.kind}${m.shadow ? ', shadow' : ''}) reads view ${m.view.name} from ${m.manifestPath}\n    ${howFed(m)}`).join('')}\n`);
      }
      return 0;
    }
    await startTelemetry('tributary-worker');
    const store = await openStore(storeConfigOf(cfg));
    await migrate(store);
    await waitForKafka(cfg.kafka.brokers!);
    const { scorer, scoring } = await openScorer(cfg, true);
    // Feature views: their tables, the models bound to them, and one stream per source topic.
    await ensureFeatureTables(store, features);
    const viewModels = await ViewModels.open(viewModelsOf(cfg), features.views, { watch: cfg.scoring.watch, reloadDebounceMs: cfg.scoring.reload_debounce_ms, topFeatures: cfg.scoring.top_features });
    const { streams } = featureStreams(features, viewModels, cfg.kafka.group);
    const worker = new Worker({ ...workerOptions(cfg), store, scorer, streams });
    await worker.start();
    const healthAt = healthFlag ?? process.env.TRIBUTARY_HEALTH_LISTEN;
    const health = healthAt ? await serveWorkerHealth(worker, healthAt, { brokers: cfg.kafka.brokers!, store, topics: [cfg.topics.logs] }) : undefined;
    if (health) log('worker').info({ health: `http://${health.server.host}:${health.server.port}` }, 'Serving /healthz, /readyz and /metrics.');
    // For `tributary top` (cli/status.ts): the worker's own name in pipeline_stats, and its group.
    const status = new WorkerStatusSource(worker, store, cfg.instance ?? `${hostname()}/${process.pid}`, cfg.kafka.group, cfg.topics);
    const board = publishStatus(async (rates, now) => [await status.status(rates, now)]);
    const logger = log('worker');
    const progress = setInterval(() => logger.info({ ...worker.stats }, 'Worker progress.'), 10_000);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    clearInterval(progress);
    await health?.close();
    await board.stop();
    await worker.stop();
    await scoring?.close();
    await viewModels.close();
    await store.close();
    await stopTelemetry();
    return 0;
  },
};

export default command;
