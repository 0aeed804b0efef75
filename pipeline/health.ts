/**
 * The worker's `/healthz`, `/readyz` and `/metrics` (core/health). Ready means: Kafka answers, the
 * store answers, and records are being read when there is input waiting (InputCheck: the group's real
 * lag, not only the ledger's). The metrics are exactly the
 * worker's `pipeline_stats` samples (same stage and name: `records_out` of stage `store` is
 * `tributary_records_out_total{stage="store"}`), plus the consumer lag per partition.
 */
import { type Admin } from 'kafkajs';
import { TOPICS } from '../core/contracts/topics.ts';
import { createKafka, SocketTracker } from '../core/kafka/client.ts';
import { KafkaProbe, ProgressCheck } from '../core/health/kafka-probe.ts';
import { HealthMetrics } from '../core/health/metrics.ts';
import { answerWithin, Periodic } from '../core/health/periodic.ts';
import { startHealthServer, type Check, type HealthServer } from '../core/health/server.ts';
import { type Store } from '../core/storage/store.ts';
import { groupPositions, type PartitionPosition } from './sources/kafka.ts';
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

/**
 * "Making progress" against the group's real lag. Every `intervalMs` one admin round (bounded by
 * `timeoutMs`, so a dead broker cannot stall `/readyz`) reads the end offsets of the worker's topics
 * and the group's commits. Input waiting for this worker is then: on its assigned partitions, the end
 * minus what it has read (the commit when it has read nothing yet); with no partitions at all, the
 * group's whole lag (end minus commit), since a worker stuck joining the group holds none. Red when
 * input waits and for `stallMs` this worker read nothing and the group committed nothing. The ledger
 * alone cannot say this: a partition never read has no ledger entry, so its lag counted 0 and a worker
 * stuck in a rebalance stayed green. Open windows hold commits back; they do not count as waiting,
 * since the read position, not the commit, is compared on assigned partitions. With partitions
 * assigned, each is judged on its own: red when one has input waiting (unread, or read and not landed)
 * and its read position and commit have not moved for `stallMs`, whatever the others do (the worker
 * reads its own partials topic every tick, which moved the totals while a logs partition stood still).
 */
export class InputCheck {
  private admin?: Admin;
  /** Every socket of the admin: the group coordinator it asks can outlive a broker restart (see SocketTracker). */
  private readonly sockets = new SocketTracker();
  private readonly every: Periodic;
  private snapshot?: { at: number; positions: PartitionPosition[] };
  private lastError = 'not asked yet';
  private waiting = 0;
  private done = 0;
  private readonly progress: ProgressCheck;
  /** Per assigned partition: its read position plus commit, and when that last moved (or had nothing waiting). */
  private readonly movedAt = new Map<string, { marker: number; at: number }>();

  constructor(
    private readonly worker: Worker,
    private readonly brokers: string[],
    private readonly o: { intervalMs?: number; timeoutMs?: number; stallMs?: number } = {},
  ) {
    this.progress = new ProgressCheck(() => this.done, () => this.waiting, o.stallMs ?? 30_000);
    this.every = new Periodic(() => this.ask(), o.intervalMs ?? 2000);
  }

  start(): void {
    this.every.start();
  }

  private async ask(): Promise<void> {
    const timeoutMs = this.o.timeoutMs ?? 2000;
    const c = this.worker.consumption();
    let work: Promise<PartitionPosition[]> | undefined;
    try {
      this.admin ??= createKafka({ brokers: this.brokers, clientId: 'tributary-health-lag', retries: 1, quiet: true, connectionTimeoutMs: timeoutMs, sockets: this.sockets }).admin();
      const admin = this.admin;
      work = (async () => {
        await admin.connect();
        return groupPositions(admin, c.groupId, c.topics);
      })();
      const positions = await answerWithin(work, timeoutMs);
      this.snapshot = { at: Date.now(), positions };
      if (this.every.stopped) await this.close(admin);
    } catch (err) {
      this.lastError = (err as Error).message;
      // A fresh connection next time: a half-dead one can hang. The timed-out request goes on inside
      // kafkajs and can connect again once a broker is back, so it ends before the sockets are closed
      // (no ask starts meanwhile; readiness reads the snapshot's age, not this).
      const admin = this.admin;
      this.admin = undefined;
      await work?.catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
      this.sockets.destroy();
    }
  }

  check(now = Date.now()): Check {
    const c = this.worker.consumption();
    const read = new Map(this.worker.progress().map((p) => [`${p.topic}/${p.partition}`, p]));
    let done = this.worker.stats.consumed;
    let landing = 0;
    for (const p of read.values()) {
      done += Math.max(0, p.next);
      landing += p.pending;
    }
    const staleMs = (this.o.intervalMs ?? 2000) * 2 + (this.o.timeoutMs ?? 2000);
    let basis: string;
    const stalled: Array<{ key: string; waiting: number; forMs: number }> = [];
    const fresh = this.snapshot !== undefined && now - this.snapshot.at <= staleMs;
    if (fresh && this.snapshot) {
      let mine = 0;
      let group = 0;
      const lagging = new Set<string>();
      for (const p of this.snapshot.positions) {
        const key = `${p.topic}/${p.partition}`;
        const start = p.committed >= 0 ? p.committed : c.fromBeginning ? p.low : p.high;
        done += Math.max(0, p.committed);
        const own = read.get(key);
        const next = own?.next ?? -1;
        const behind = Math.max(0, p.high - (c.assigned.has(key) && next >= 0 ? next : start));
        if (behind > 0) lagging.add(p.topic);
        if (c.assigned.has(key)) {
          mine += behind;
          const waiting = behind + (own?.pending ?? 0);
          if (this.stalledFor(key, Math.max(0, next) + Math.max(0, p.committed), waiting, now) > this.stallMs) stalled.push({ key, waiting, forMs: now - this.movedAt.get(key)!.at });
        } else {
          group += behind;
        }
      }
      for (const key of this.movedAt.keys()) if (!c.assigned.has(key)) this.movedAt.delete(key);
      this.waiting = c.assigned.size > 0 ? mine + landing : group;
      basis =
        c.assigned.size > 0
          ? `lag ${mine} on its ${c.assigned.size} assigned partitions (${[...lagging].join(', ') || 'none behind'}), ${landing} read and not landed`
          : `group lag ${group} on ${[...lagging].join(', ') || 'no topic'}, and this worker has no partitions assigned`;
    } else {
      // Kafka has not answered lately (the kafka check says so): the ledger's own view.
      this.waiting = this.worker.stats.lag + this.worker.stats.pending;
      basis = `group lag unknown (${this.lastError}); ledger lag ${this.worker.stats.lag}, ${this.worker.stats.pending} not landed`;
    }
    this.done = done;
    const r = this.progress.check(now);
    if (fresh && c.assigned.size > 0) {
      // Per partition: the worker's own reading of its partials topic (marks every tick) moves the
      // totals while a logs partition it holds has not moved at all.
      if (stalled.length === 0) return { ok: true, detail: `${this.worker.stats.consumed} records read, ${this.waiting} waiting; ${basis}` };
      const waiting = stalled.reduce((n, x) => n + x.waiting, 0);
      const forS = Math.round(Math.max(...stalled.map((x) => x.forMs)) / 1000);
      return { ok: false, detail: `${waiting} records waiting and none read or committed for ${forS} s on ${stalled.map((x) => x.key).join(', ')}; ${basis}` };
    }
    // ProgressCheck's count is a movement marker (offsets read plus committed), not records: say records read.
    const head = r.ok ? `${this.worker.stats.consumed} records read, ${this.waiting} waiting` : r.detail!.replace(/none done/, 'none read or committed');
    return { ok: r.ok, detail: `${head}; ${basis}` };
  }

  /** How long an assigned partition with input waiting has kept the same read position and commit (0 when it moved or has none waiting). */
  private stalledFor(key: string, marker: number, waiting: number, now: number): number {
    const m = this.movedAt.get(key);
    if (!m || m.marker !== marker || waiting === 0) {
      this.movedAt.set(key, { marker, at: now });
      return 0;
    }
    return now - m.at;
  }

  private get stallMs(): number {
    return this.o.stallMs ?? 30_000;
  }

  async stop(): Promise<void> {
    // Bounded: a broker that accepts and never answers must not hold the worker's stop.
    await this.every.stop((this.o.timeoutMs ?? 2000) * 3);
    await this.close(this.admin);
  }

  private async close(admin: Admin | undefined): Promise<void> {
    if (admin === this.admin) this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
    this.sockets.destroy();
  }
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
  const progress = new InputCheck(worker, o.brokers, { intervalMs: o.probeIntervalMs ?? 2000, stallMs: o.stallMs ?? 30_000 });
  const metrics = workerMetrics(worker);
  kafka.start();
  store.start();
  progress.start();
  const server = await startHealthServer({ listen, metrics, ready: () => ({ kafka: kafka.check(), store: store.check(), progress: progress.check() }) });
  return {
    server,
    metrics,
    async close() {
      await server.close();
      await kafka.stop();
      await progress.stop();
      store.stop();
      await metrics.shutdown();
    },
  };
}
