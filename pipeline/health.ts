/**
 * The worker's `/healthz`, `/readyz` and `/metrics` (core/health). Ready means: Kafka answers, the
 * store answers, and records are being consumed when there is lag. The metrics are exactly the
 * worker's `pipeline_stats` samples (same stage and name: `records_out` of stage `store` is
 * `tributary_records_out_total{stage="store"}`), plus the consumer lag per partition.
 */
import { TOPICS } from '../core/contracts/topics.ts';
import { KafkaProbe, ProgressCheck } from '../core/health/kafka-probe.ts';
import { HealthMetrics } from '../core/health/metrics.ts';
import { startHealthServer, type Check, type HealthServer } from '../core/health/server.ts';
import { type Store } from '../core/storage/store.ts';
import { type Worker } from './worker.ts';

export interface WorkerHealth {
  server: HealthServer;
  metrics: HealthMetrics;
  close(): Promise<void>;
}

/** Instruments over `worker.samples()`: one per stat name, labelled by stage; lag per partition. */
export function workerMetrics(worker: Worker, metrics = new HealthMetrics('tributary-worker')): HealthMetrics {
  const kinds = new Map<string, 'counter' | 'gauge'>();
  for (const s of worker.samples()) if (s.name !== 'consumer_lag') kinds.set(s.name, s.kind);
  // One reading per scrape, shared by every instrument's callback.
  let cached: { at: number; samples: ReturnType<Worker['samples']> } | undefined;
  const samples = () => {
    if (!cached || Date.now() - cached.at > 100) cached = { at: Date.now(), samples: worker.samples() };
    return cached.samples;
  };
  for (const [name, kind] of kinds) {
    const read = () => samples().filter((s) => s.name === name).map((s) => ({ value: s.value, labels: { stage: s.stage } }));
    if (kind === 'counter') metrics.counter(name, `pipeline_stats ${name} (counter)`, read);
    else metrics.gauge(name, `pipeline_stats ${name} (gauge)`, read);
  }
  metrics.gauge('consumer_lag', 'Records between the next offset to read and the log end, per assigned partition', () =>
    worker.progress().map((p) => ({ value: Math.max(0, p.highWatermark - p.next), labels: { stage: 'consume', topic: p.topic, partition: String(p.partition) } })),
  );
  return metrics;
}

/** Asks the store `SELECT 1` every `intervalMs`; red when it has not answered for two intervals plus the timeout. */
class StoreProbe {
  private lastOkAt = 0;
  private lastError = 'not asked yet';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    const ask = () =>
      void Promise.race([this.store.query('SELECT 1 AS ok'), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000).unref())]).then(
        () => (this.lastOkAt = Date.now()),
        (err: Error) => (this.lastError = err.message),
      );
    ask();
    this.timer = setInterval(ask, this.intervalMs);
    this.timer.unref();
  }

  check(now = Date.now()): Check {
    if (now - this.lastOkAt <= this.intervalMs * 2 + 2000) return { ok: true, detail: `answered ${now - this.lastOkAt} ms ago` };
    return { ok: false, detail: `the store at ${this.store.location} did not answer: ${this.lastError}` };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export async function serveWorkerHealth(
  worker: Worker,
  listen: string,
  o: { brokers: string[]; store: Store; topics?: string[]; probeIntervalMs?: number; stallMs?: number },
): Promise<WorkerHealth> {
  const kafka = new KafkaProbe(o.brokers, o.topics ?? [TOPICS.logs.name], { intervalMs: o.probeIntervalMs ?? 2000 });
  const store = new StoreProbe(o.store, o.probeIntervalMs ?? 2000);
  const progress = new ProgressCheck(() => worker.stats.consumed, () => worker.stats.lag + worker.stats.pending, o.stallMs ?? 30_000);
  const metrics = workerMetrics(worker);
  kafka.start();
  store.start();
  const server = await startHealthServer({ listen, metrics, ready: () => ({ kafka: kafka.check(), store: store.check(), progress: progress.check() }) });
  return {
    server,
    metrics,
    async close() {
      await server.close();
      await kafka.stop();
      store.stop();
      await metrics.shutdown();
    },
  };
}
