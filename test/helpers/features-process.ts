/**
 * A worker with feature views, or a backfill, in its own process, for the crash proofs: a JSON job in
 * argv[2], the store folder in argv[3], optionally `<table>:<n>` in argv[4] to SIGKILL itself right
 * after its n-th insert into that table landed. The worker prints its stats as a JSON line every
 * 100 ms and stops cleanly on SIGTERM; a backfill exits 0 when done.
 */
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { backfill } from '../../pipeline/features/backfill.ts';
import { compileFeatures, type FeaturesConfig } from '../../pipeline/features/config.ts';
import { openFeatureWorker, type FeatureWorkerOptions } from '../../pipeline/features/run.ts';

type Job =
  | { mode: 'worker'; options: Omit<FeatureWorkerOptions, 'store'> }
  | { mode: 'backfill'; features: FeaturesConfig; view: string; from: number; to: number; brokers: string[]; rowsPerInsert?: number };

const job = JSON.parse(process.argv[2]!) as Job;
const store = await openStore({ driver: 'embedded', path: process.argv[3]! });
await migrate(store);
const [crashTable, crashAt] = (process.argv[4] ?? ':').split(':');
if (crashTable) {
  let n = 0;
  const insert = store.insert.bind(store);
  store.insert = async (table, rows, opts) => {
    await insert(table, rows, opts);
    if (table === crashTable && ++n === Number(crashAt)) process.kill(process.pid, 'SIGKILL');
  };
}
if (job.mode === 'backfill') {
  const view = compileFeatures(job.features).views.get(job.view)!;
  const r = await backfill({ view, from: job.from, to: job.to, from_: 'kafka', brokers: job.brokers, store, rowsPerInsert: job.rowsPerInsert });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  await store.close();
  process.exit(0);
}
const fw = await openFeatureWorker({ ...job.options, store });
await fw.worker.start();
const report = () => process.stdout.write(`${JSON.stringify({ stats: fw.worker.stats, views: fw.views.map((v) => v.counts) })}\n`);
const timer = setInterval(report, 100);
process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(timer);
    await fw.stop();
    report();
    await store.close();
    process.exit(0);
  })();
});
