/**
 * `npm run example:features`: bring your own model, end to end.
 *
 * 1. Starts the local Kafka broker (as the demo does) unless TRIBUTARY_BROKERS points elsewhere.
 * 2. Generates seven hours of card payments with a fraud pattern and labels (seeded), and ships the
 *    first five and a half hours through Kafka.
 * 3. Backfills the `card_activity` view (examples/features/worker.yaml) from Kafka into a CSV.
 * 4. Trains a scikit-learn model on it in Python (models/requirements.txt, pinned; fixed seed) and
 *    exports it to ONNX with a manifest that binds it to the view.
 * 5. Adds it to the worker's config with one line and starts the worker.
 * 6. Ships the held-back last hour and a half, shows predictions arriving, and scores them against the
 *    labels: precision and recall on windows the model never saw. Prints the SQL to look at them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka, waitForKafka, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { defaultStackOptions, stackUp } from '../../core/kafka/stack.ts';
import { defaultBrokers, stateDir } from '../../core/paths.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { viewModelsOf, workerConfigFrom, workerOptions } from '../../pipeline/config.ts';
import { backfill } from '../../pipeline/features/backfill.ts';
import { compileFeatures, ensureFeatureTables, featureStreams } from '../../pipeline/features/config.ts';
import { ViewModels } from '../../pipeline/transforms/scoring/view-models.ts';
import { Worker } from '../../pipeline/worker.ts';
import { generatePayments, type PaymentEvent } from '../../workload/payments.ts';

process.env.TRIBUTARY_LOG_LEVEL ??= 'error';
const out = (s = ''): void => void process.stdout.write(`${s}\n`);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = join(ROOT, 'examples/features');
const started = Date.now();

// 1. Kafka.
let brokers = defaultBrokers();
if (!process.env.TRIBUTARY_BROKERS && !process.env.KAFKA_BROKERS) {
  out('Starting the local Kafka broker (the first run resolves its jars from Maven Central)...');
  const up = await stackUp(defaultStackOptions());
  brokers = [up.brokers];
  out(`  Kafka ${up.alreadyRunning ? 'was already running' : 'is running'} at ${up.brokers}.`);
} else {
  await waitForKafka(brokers, { timeoutMs: 30_000 });
}
// A topic and a store of this run's own, so that runs never see each other's events.
const runDir = join(stateDir(), 'examples', 'features');
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const topic = `payments.example-${started}`;
process.env.EXAMPLE_TOPIC = topic;
const admin = createKafka({ brokers, clientId: 'tributary-example' }).admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
await waitForTopicLeaders(admin, [topic]);
await admin.disconnect();

// 2. Payments: 7 hours ending 10 minutes ago; the last 90 minutes are held back for the live part.
const HOUR = 3_600_000;
const end = Math.floor((Date.now() - 10 * 60_000) / 300_000) * 300_000;
const start = end - 7 * HOUR;
const split = end - 1.5 * HOUR;
const events = generatePayments({ seed: 42, start, spanMs: end - start, cards: 600, fraudShare: 0.12 });
const train = events.filter((e) => e.ts < split);
const held = events.filter((e) => e.ts >= split);
out(`Generated ${fmt(events.length)} card payments of 600 cards over 7 hours (${fmt(events.filter((e) => e.is_fraud).length)} fraudulent, labelled); ${fmt(held.length)} of the last 90 minutes are held back.`);

const producer = createKafka({ brokers, clientId: 'tributary-example' }).producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const send = async (batch: PaymentEvent[]): Promise<void> => {
  // Keyed by card (a card's events share a partition); the Kafka timestamp is the event time.
  await producer.send({ topic, acks: -1, messages: batch.map((e) => ({ key: e.card_id, value: JSON.stringify(e), timestamp: String(e.ts) })) });
};
for (let i = 0; i < train.length; i += 2000) await send(train.slice(i, i + 2000));
out(`Shipped ${fmt(train.length)} payments to Kafka (${topic}).`);

// 3. Backfill a training set through the view's own feature code.
const baseConfig = workerConfigFrom(join(HERE, 'worker.yaml'), {});
const view = compileFeatures(baseConfig).views.get('card_activity')!;
const csv = join(runDir, 'train.csv');
const b = await backfill({ view, from: start, to: split - view.sizeMs, from_: 'kafka', brokers, out: csv });
out(`Backfilled ${fmt(b.rows)} windows of view card_activity from Kafka into ${csv}:`);
out(`  npx tributary backfill --config examples/features/worker.yaml --view card_activity --from ${new Date(start).toISOString()} --to ${new Date(split - view.sizeMs).toISOString()} --out train.csv`);

// 4. Train in Python (pinned requirements, fixed seed), export to ONNX.
const venv = join(ROOT, 'models/.venv');
const python = join(venv, 'bin/python');
if (!existsSync(python)) {
  out('Creating the Python environment for training (models/.venv, pinned models/requirements.txt)...');
  execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
}
execFileSync(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', join(ROOT, 'models/requirements.txt')], { stdio: 'inherit' });
const modelDir = join(runDir, 'model');
const trained = JSON.parse(execFileSync(python, [join(HERE, 'train.py'), '--data', csv, '--out', modelDir], { encoding: 'utf8' }).trim().split('\n').at(-1)!) as { windows: number; fraud_windows: number; threshold: number; validation_f1: number };
out(`Trained a logistic regression on ${fmt(trained.windows)} windows (${fmt(trained.fraud_windows)} with fraud): validation F1 ${trained.validation_f1}, threshold ${trained.threshold}; ONNX and manifest in ${modelDir}.`);

// 5. The config line that adds the model, in this run's copy of worker.yaml.
const runConfig = join(runDir, 'worker.yaml');
writeFileSync(runConfig, readFileSync(join(HERE, 'worker.yaml'), 'utf8').replace(/^models: \[\]$/m, 'models:\n  - manifest: model/manifest.json'));
out(`Added the model with one line in ${runConfig}:  models: [{ manifest: model/manifest.json }]`);
const cfg = workerConfigFrom(runConfig, { store: join(runDir, 'store') });
const store = await openStore({ driver: 'embedded', path: join(runDir, 'store') });
await migrate(store);
const features = compileFeatures(cfg);
await ensureFeatureTables(store, features);
const models = await ViewModels.open(viewModelsOf(cfg), features.views);
const { streams, views } = featureStreams(features, models, `example-${started}`);
const worker = new Worker({ ...workerOptions(cfg), groupId: `example-${started}`, store, streams, tickMs: 500 });
await worker.start();
out('Started a worker with the view and the model; it reads the topic from the beginning.');

// 6. The held-back part, live, then the verdict.
const liveFrom = split;
// Now is past every window of the data (`end` is 10 minutes ago) and within what Kafka accepts as a timestamp.
const closeAt = Date.now();
const producing = (async () => {
  for (let i = 0; i < held.length; i += 150) {
    await send(held.slice(i, i + 150));
    await sleep(250);
  }
  // One event per partition past the data closes the last windows (a live stream would simply go on).
  for (let p = 0; p < 3; p++) await producer.send({ topic, acks: -1, messages: [{ partition: p, key: `zz-close-${p}`, timestamp: String(closeAt), value: JSON.stringify({ ts: closeAt, card_id: `zz-close-${p}`, merchant_id: 'm', amount: 0, online: false, status: 200 }) }] });
})();
const predictionsLive = async (): Promise<{ n: number; f: number }> => {
  const r = await store.query<{ n: string; f: string }>(
    "SELECT count() AS n, countIf(anomaly = 1) AS f FROM predictions FINAL WHERE view = 'card_activity' AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND key NOT LIKE 'zz-%'",
    { from: liveFrom },
  );
  return { n: Number(r[0]!.n), f: Number(r[0]!.f) };
};
const heldWindows = new Set(held.map((e) => `${e.card_id}|${Math.floor(e.ts / view.sizeMs)}`)).size;
let last = -1;
let stable = 0;
const deadline = Date.now() + 180_000;
while (Date.now() < deadline) {
  await sleep(2000);
  const p = await predictionsLive();
  out(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s  predictions on held-back windows: ${fmt(p.n).padStart(5)} of ${fmt(heldWindows)}, flagged as fraud: ${fmt(p.f)}`);
  stable = p.n === last && p.n > 0 ? stable + 1 : 0;
  last = p.n;
  if (p.n >= heldWindows || stable >= 3) break;
}
await producing;
await worker.stop();
await models.close();
await producer.disconnect();

const m = await store.query<{ n: string; tp: string; fp: string; fn: string; tn: string }>(
  `SELECT count() AS n,
     countIf(p.anomaly = 1 AND v.fraud_events > 0) AS tp, countIf(p.anomaly = 1 AND v.fraud_events = 0) AS fp,
     countIf(p.anomaly = 0 AND v.fraud_events > 0) AS fn, countIf(p.anomaly = 0 AND v.fraud_events = 0) AS tn
   FROM (SELECT * FROM predictions FINAL WHERE view = 'card_activity' AND model = 'card-fraud') AS p
   INNER JOIN (SELECT key, window_start, fraud_events FROM view_card_activity_v1 FINAL) AS v ON p.key = v.key AND p.window_start = v.window_start
   WHERE p.window_start >= fromUnixTimestamp64Milli({from:Int64}) AND p.key NOT LIKE 'zz-%'`,
  { from: liveFrom },
);
const [n, tp, fp, fn, tn] = [m[0]!.n, m[0]!.tp, m[0]!.fp, m[0]!.fn, m[0]!.tn].map(Number) as [number, number, number, number, number];
const precision = tp / Math.max(1, tp + fp);
const recall = tp / Math.max(1, tp + fn);
const total = Number((await store.query<{ n: string }>('SELECT count() AS n FROM predictions FINAL'))[0]!.n);
out('');
out(`Predictions: ${fmt(total)} in the predictions table, ${fmt(n)} of them on the ${fmt(heldWindows)} held-back windows (${views[0]!.counts.rows} view rows written live).`);
out(`On held-back data: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (true positives ${tp}, false positives ${fp}, false negatives ${fn}, true negatives ${tn}).`);
out('');
out('Look at them (the store is the example\'s own):');
out(`  npx tributary query --store ${join(runDir, 'store')} "SELECT key, window_start, round(score, 3) AS score, label, top_features FROM predictions FINAL WHERE anomaly = 1 ORDER BY window_start DESC LIMIT 20"`);
out(`  npx tributary query --store ${join(runDir, 'store')} "SELECT * FROM view_card_activity_v1 FINAL WHERE key = 'card-00007' ORDER BY window_start"`);
await store.close();
const ok = n > 0 && n >= heldWindows * 0.95 && precision > 0.5 && recall > 0.5;
out(ok ? `Done in ${((Date.now() - started) / 1000).toFixed(0)} s.` : 'The model did not reach precision and recall above 0.5, or predictions are missing: something is wrong.');
process.exit(ok ? 0 : 1);
