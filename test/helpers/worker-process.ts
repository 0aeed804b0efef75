/**
 * A worker in its own process, for the crash proofs: options as JSON in argv[2], the store folder in
 * argv[3]. Prints its progress as one JSON line every 100 ms on stdout; SIGTERM stops it cleanly,
 * SIGKILL (the point of the exercise) does not. With argv[4] = `<table>:<n>` the process SIGKILLs
 * itself right after its n-th insert into that table has landed: a crash at the worst moment (e.g.
 * after a batch's pattern deltas, before its raw rows), which an outside kill hits only by luck.
 */
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { Worker, type WorkerOptions } from '../../pipeline/worker.ts';

const options = JSON.parse(process.argv[2]!) as Omit<WorkerOptions, 'store'>;
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
const worker = new Worker({ ...options, store });
await worker.start();
const report = () => process.stdout.write(`${JSON.stringify({ stats: worker.stats, progress: worker.progress(), cpu: process.cpuUsage() })}\n`);
const timer = setInterval(report, 100);
process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(timer);
    await worker.stop();
    report();
    await store.close();
    process.exit(0);
  })();
});
