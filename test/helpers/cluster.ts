/**
 * Multi-broker clusters for the tests that need replication, leader moves or a secured listener:
 * `stack up --nodes n` in a temp folder on free ports, stopped and removed when the test process
 * ends (also on a crash, through a synchronous SIGKILL of every broker it started).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { clusterStatus, defaultStackOptions, ensureSecurity, QUICK_JVM, stackDown, stackNodes, stackUp, type StackOptions, type StackSecurity } from '../../core/kafka/stack.ts';
import { freePorts } from '../../core/ports.ts';

export interface TestCluster {
  options: StackOptions;
  /** PLAINTEXT bootstrap list. */
  brokers: string[];
  /** SASL_SSL bootstrap list and credentials, for a secure cluster. */
  secureBrokers?: string[];
  /** The mutual-TLS listeners' bootstrap list, for a secure cluster (its client settings: security.mtlsEnvFile). */
  mtlsBrokers?: string[];
  security?: StackSecurity;
  /** Stops one node: SIGTERM (clean) or SIGKILL (a crash). */
  stop(id: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts whatever node is stopped. */
  start(): Promise<void>;
  /** Node id leading a partition now. */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** Node id of a consumer group's coordinator now: the leader of its `__consumer_offsets` partition. */
  coordinatorOf(groupId: string): Promise<number>;
  /** Creates a topic with a unique name, replicated `replicationFactor` times, min.insync.replicas 2. */
  createTopic(prefix: string, partitions?: number, replicationFactor?: number): Promise<string>;
  down(): Promise<void>;
}

const started: StackOptions[] = [];
// A test run stopped by a signal (a timeout) leaves no brokers behind either.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)));
process.once('exit', () => {
  for (const o of started) {
    for (const n of stackNodes(o)) {
      try {
        process.kill(Number(readFileSync(join(n.dir, 'broker.pid'), 'utf8')), 'SIGKILL');
      } catch {
        /* already stopped */
      }
    }
    rmSync(o.home, { recursive: true, force: true });
  }
});

/** Java's String.hashCode, as Kafka picks a group's `__consumer_offsets` partition (the stack makes 10). */
function offsetsPartition(groupId: string, partitions = 10): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

export async function startTestCluster(opts: { nodes?: number; secure?: boolean } = {}): Promise<TestCluster> {
  const nodes = opts.nodes ?? 3;
  // Every port of the cluster found at once, so no two listeners are given the same one.
  const all = await freePorts(nodes * (opts.secure ? 4 : 2));
  const ports = async () => all.splice(0, nodes);
  const options: StackOptions = {
    ...defaultStackOptions(),
    home: mkdtempSync(join(tmpdir(), 'tributary-cluster-')),
    // Seven broker starts in the 3-broker proof alone: the quick JVM halves their CPU on a 2-core machine.
    heap: `${process.env.TRIBUTARY_KAFKA_HEAP ?? '-Xms128m -Xmx512m'} ${QUICK_JVM}`,
    nodes,
    secure: opts.secure ?? false,
    ports: await ports(),
    controllerPorts: await ports(),
    ...(opts.secure ? { securePorts: await ports(), mtlsPorts: await ports() } : {}),
  };
  started.push(options);
  const up = await stackUp(options);
  const brokers = up.brokers.split(',');
  const cluster: TestCluster = {
    options,
    brokers,
    ...(up.secureBrokers ? { secureBrokers: up.secureBrokers.split(','), security: ensureSecurity(options) } : {}),
    ...(up.mtlsBrokers ? { mtlsBrokers: up.mtlsBrokers.split(',') } : {}),
    async stop(id, signal = 'SIGTERM') {
      await stackDown(options, { nodes: [id], signal });
    },
    async start() {
      await stackUp(options);
    },
    async coordinatorOf(groupId) {
      return cluster.leaderOf('__consumer_offsets', offsetsPartition(groupId));
    },
    async leaderOf(topic, partition) {
      const status = await clusterStatus(options, [topic]);
      const node = status.nodes.find((n) => n.leads?.includes(`${topic}/${partition}`));
      if (!node) throw new Error(`no leader known for ${topic}/${partition}`);
      return node.id;
    },
    async createTopic(prefix, partitions = 1, replicationFactor = Math.min(3, nodes)) {
      const topic = `${prefix}-${randomBytes(4).toString('hex')}`;
      const admin = createKafka({ brokers, clientId: 'tributary-test' }).admin();
      await admin.connect();
      try {
        await admin.createTopics({
          waitForLeaders: false,
          topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) }] }],
        });
        await waitForTopicLeaders(admin, [topic]);
      } finally {
        await admin.disconnect();
      }
      return topic;
    },
    async down() {
      await stackDown(options);
      started.splice(started.indexOf(options), 1);
      rmSync(options.home, { recursive: true, force: true });
    },
  };
  return cluster;
}
