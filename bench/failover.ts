/**
 * `npm run bench:failover`: how long records stop when a partition leader dies. A 3-node cluster, a
 * 6-partition topic (replication 3), our producer (core/kafka/producer.ts, the agent's) sending one
 * record to each partition every 50 ms (a send per partition, each waiting for its acknowledgement),
 * and a consumer made and run as the worker runs its own (createKafka: kafkajs with core/kafka's
 * patches; eachBatch, no auto-commit, its offsets committed every 500 ms apart from the reading, as
 * pipeline/sources/kafka.ts and the worker do) reading them. (kafkajs's auto-commit, awaited between
 * batches, stopped all reading while a commit waited: see the README.) After 8 s the broker that leads some partitions but is not the group's coordinator is
 * killed with SIGKILL and kept down for 30 s. Per round it prints:
 * - producerStallS: the longest a send took to be acknowledged around the kill, on the dead broker's
 *   partitions (Kafka must first move leadership: the controller fences the dead broker when its
 *   session times out) and on the others;
 * - resumeS: seconds from the kill to the consumer's first record sent after it, on the dead broker's
 *   partitions and on the others (led by live brokers throughout);
 * - consumerBehindProducerS: resume minus the producer's stall, on each side, what the consumer adds;
 * - consumerWorstS: the longest from a send to its record being read, among records sent while the
 *   broker was down, on each side (a consumer that keeps stopping shows here, not in resumeS);
 * - crashes: the consumer's CRASH events (kafkajs's error, and whether it restarted the consumer);
 * - isrLeftS: seconds from the kill until the dead broker is out of the in-sync replicas of a partition it
 *   did not lead (an acks=all write there waits until then); null with one replica (no followers).
 * BENCH_ROUNDS (default 3) rounds, each on a fresh cluster; writes bench/results/failover.json.
 * BENCH_REPLICATION=1 makes every partition a single replica: the dead broker's partitions then have
 * no leader until it is back (it is started again after the 30 s and records go on 5 s more), and it
 * is no follower of the others, so what stops those is the clients alone (written to failover-r1.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka } from '../core/kafka/client.ts';
import { KafkaProducer } from '../core/kafka/producer.ts';
import { startTestCluster } from '../test/helpers/cluster.ts';

const PARTITIONS = 6;
const REPLICATION = Number(process.env.BENCH_REPLICATION ?? 3);

interface Round {
  victim: number;
  victimPartitions: number[];
  producerStallS: { victim: number; others: number };
  resumeS: { victim: number; others: number };
  consumerBehindProducerS: { victim: number; others: number };
  consumerWorstS: { victim: number; others: number };
  isrLeftS: number | null;
  /** The consumer's CRASH events: error and whether kafkajs restarted it. */
  crashes: string[];
}

async function round(): Promise<Round> {
  const cluster = await startTestCluster({ nodes: 3 });
  try {
    const topic = await cluster.createTopic('failover', PARTITIONS, REPLICATION);
    const groupId = `failover-${Date.now()}`;
    const producer = new KafkaProducer({ brokers: cluster.brokers, requestTimeoutMs: 10_000, maxRetryBackoffMs: 1000 });
    await producer.connect();
    const consumer = createKafka({ brokers: cluster.brokers, clientId: 'tributary-bench' }).consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 200, retry: { retries: 10 } });
    const got: Array<{ partition: number; sentAt: number; at: number }> = [];
    const crashes: string[] = [];
    consumer.on(consumer.events.CRASH, (e: { payload: { error: Error; restart: boolean } }) => void crashes.push(`${e.payload.error.name}: ${e.payload.error.message} (restart: ${e.payload.restart})`));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const next = new Map<number, number>();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          got.push({ partition: batch.partition, sentAt: Number(m.value!.toString()), at: Date.now() });
          resolveOffset(m.offset);
        }
        next.set(batch.partition, Number(batch.lastOffset()) + 1);
      },
    });
    let committing = true;
    const commits = (async () => {
      while (committing) {
        await sleep(500);
        if (next.size > 0) await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) }))).catch(() => undefined);
      }
    })();
    // Each send's value is when it was made; `acked` (per partition: sent, acknowledged) when the producer said Kafka has it.
    const acked: Array<Array<[number, number]>> = Array.from({ length: PARTITIONS }, () => []);
    let stop = false;
    const producing = Promise.all(
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        while (!stop) {
          const now = Date.now();
          await producer.send([{ topic, partition, key: null, value: String(now), timestamp: now }]).then(() => void acked[partition]!.push([now, Date.now()]), () => undefined);
          await sleep(50);
        }
      }),
    );
    await sleep(8000);
    const coordinator = await cluster.coordinatorOf(groupId);
    const leaders = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => cluster.leaderOf(topic, p)));
    const victim = [1, 2, 3].find((n) => n !== coordinator && leaders.includes(n));
    if (victim === undefined) throw new Error(`no broker leads a partition without being the coordinator (leaders ${leaders}, coordinator ${coordinator})`);
    const victimPartitions = leaders.flatMap((l, p) => (l === victim ? [p] : []));
    await cluster.stop(victim, 'SIGKILL');
    const killedAt = Date.now();
    // When the dead broker leaves the in-sync replicas of a partition whose leader lives.
    const watched = leaders.findIndex((l) => l !== victim);
    const isrLeft = (async () => {
      if (REPLICATION === 1) return null;
      const admin = createKafka({ brokers: cluster.brokers.filter((_, i) => i + 1 !== victim), clientId: 'tributary-bench-isr' }).admin();
      await admin.connect();
      try {
        while (Date.now() - killedAt < 30_000) {
          const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
          const isr = md?.topics[0]?.partitions.find((p) => p.partitionId === watched)?.isr;
          if (isr && !isr.includes(victim)) return Math.round(Date.now() - killedAt) / 1000;
          await sleep(100);
        }
        return null;
      } finally {
        await admin.disconnect();
      }
    })();
    await sleep(30_000);
    const isrLeftS = await isrLeft;
    if (REPLICATION === 1) {
      // One replica: the dead broker's partitions wait for it (their pending sends with them); records go
      // on a while after it is back, so the consumer's return to those partitions is measured too.
      await cluster.start();
      await sleep(5000);
    }
    stop = true;
    await producing;
    await sleep(2000);
    // One replica: the dead broker's records wait for its restart; give the consumer time to reach them.
    for (let waited = 0; REPLICATION === 1 && waited < 20_000 && !got.some((g) => victimPartitions.includes(g.partition) && g.sentAt > killedAt + 500); waited += 250) await sleep(250);
    committing = false;
    await commits;
    await consumer.disconnect().catch(() => undefined);
    await producer.close();
    const resume = (partitions: number[]) => {
      const first = got.filter((g) => partitions.includes(g.partition) && g.sentAt > killedAt + 500).reduce((a, g) => Math.min(a, g.at), Infinity);
      return Math.round(first - killedAt) / 1000;
    };
    const others = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => !victimPartitions.includes(p));
    const stall = (partitions: number[]) => Math.max(...partitions.flatMap((p) => acked[p]!.filter(([sent]) => sent > killedAt - 2000).map(([sent, at]) => at - sent))) / 1000;
    const producerStallS = { victim: stall(victimPartitions), others: stall(others) };
    const resumeS = { victim: resume(victimPartitions), others: resume(others) };
    const worst = (partitions: number[]) => Math.round(got.filter((g) => partitions.includes(g.partition) && g.sentAt > killedAt && g.sentAt < killedAt + 30_000).reduce((a, g) => Math.max(a, g.at - g.sentAt), 0)) / 1000;
    const consumerWorstS = { victim: worst(victimPartitions), others: worst(others) };
    return { victim, victimPartitions, producerStallS, resumeS, consumerBehindProducerS: { victim: Math.round((resumeS.victim - producerStallS.victim) * 1000) / 1000, others: Math.round((resumeS.others - producerStallS.others) * 1000) / 1000 }, consumerWorstS, isrLeftS, crashes };
  } finally {
    await cluster.down();
  }
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const results: Round[] = [];
for (let i = 1; i <= rounds; i++) {
  const r = await round();
  results.push(r);
  console.log(`round ${i}: broker ${r.victim} killed (leading partitions ${r.victimPartitions.join(', ')}): the producer stalled ${r.producerStallS.victim} s on them, ${r.producerStallS.others} s on the others; the consumer read again after ${r.resumeS.victim} s on those partitions and ${r.resumeS.others} s on the others (${r.consumerBehindProducerS.victim} and ${r.consumerBehindProducerS.others} s behind the producer), a record sent meanwhile read at worst ${r.consumerWorstS.victim} and ${r.consumerWorstS.others} s after it was sent; the dead broker left the other partitions' in-sync replicas after ${r.isrLeftS} s; ${r.crashes.length} crashes${r.crashes.length ? ` (${r.crashes.join('; ')})` : ''}`);
}
const out = fileURLToPath(new URL(REPLICATION === 1 ? './results/failover-r1.json' : './results/failover.json', import.meta.url));
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), replication: REPLICATION, rounds: results }, null, 2)}\n`);
console.log(`wrote ${out}`);
process.exit(0);
