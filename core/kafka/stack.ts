/**
 * The local Kafka stack without Docker: Apache Kafka's own broker jars, resolved from Maven Central
 * with Maven into a cache outside the tracked tree, run with the machine's Java as one combined
 * broker+controller (KRaft) bound to 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../errors.ts';
import { log } from '../log.ts';
import { cacheDir, stateDir } from '../paths.ts';
import { TOPICS, type TopicSpec } from '../contracts/topics.ts';
import { createKafka, waitForTopicLeaders } from './client.ts';

/** Kafka 4.1 with the log4j the release itself ships (slf4j stays 1.7 in 4.1, hence log4j-slf4j-impl). */
export const KAFKA_VERSION = '4.1.2';
export const LOG4J_VERSION = '2.24.3';

export interface StackOptions {
  /** Folder for broker data, logs and the pid file. */
  home: string;
  /** Folder for the broker jars (shared between stacks). */
  cache: string;
  port: number;
  controllerPort: number;
  heap: string;
  version: string;
}

export function defaultStackOptions(env: NodeJS.ProcessEnv = process.env): StackOptions {
  return {
    home: join(stateDir(env), 'kafka'),
    cache: cacheDir(env),
    port: Number(env.TRIBUTARY_KAFKA_PORT ?? 9092),
    controllerPort: Number(env.TRIBUTARY_KAFKA_CONTROLLER_PORT ?? 9093),
    heap: env.TRIBUTARY_KAFKA_HEAP ?? '-Xms256m -Xmx1g',
    version: env.TRIBUTARY_KAFKA_VERSION ?? KAFKA_VERSION,
  };
}

export interface StackStatus {
  running: boolean;
  pid?: number;
  brokers: string;
  home: string;
  jars: string;
  jarsPresent: boolean;
  logFile: string;
}

const stackLog = () => log('stack');

function libsDir(o: StackOptions): string {
  return join(o.cache, `kafka-${o.version}`, 'libs');
}

function pidFile(o: StackOptions): string {
  return join(o.home, 'broker.pid');
}

function brokerLog(o: StackOptions): string {
  return join(o.home, 'logs', 'server.log');
}

function readPid(o: StackOptions): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(o), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Checks that Java 17+ and Maven are installed, naming what to install when they are not. */
export function checkTools(needMaven: boolean): void {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new TributaryError('MISSING_TOOL', 'Java is not installed; the local Kafka broker needs Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)');
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(java.stderr + java.stdout);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : 0;
  if (major < 17) {
    throw new TributaryError('MISSING_TOOL', `Java ${major || '(unknown version)'} is installed, but Kafka ${KAFKA_VERSION} needs Java 17 or newer (apt-get install openjdk-17-jre-headless)`);
  }
  if (needMaven) {
    const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
    if (mvn.error || mvn.status !== 0) {
      throw new TributaryError('MISSING_TOOL', 'Maven is not installed; it resolves the Kafka broker jars from Maven Central (Debian/Ubuntu: apt-get install maven)');
    }
  }
}

function pom(o: StackOptions): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tributary</groupId>
  <artifactId>local-kafka-broker</artifactId>
  <version>${o.version}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'kafka_2.13', o.version)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-api', LOG4J_VERSION)}
  </dependencies>
</project>
`;
}

/** Resolves the broker jars once; a second call finds them and downloads nothing. */
export function ensureJars(o: StackOptions): { dir: string; downloaded: boolean } {
  const dir = libsDir(o);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return { dir, downloaded: false };
  checkTools(true);
  const work = join(o.cache, `kafka-${o.version}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'pom.xml'), pom(o));
  stackLog().info({ version: o.version, dir }, 'Resolving the Kafka broker jars from Maven Central (first run only).');
  const mvn = spawnSync('mvn', ['-q', '-B', '-f', join(work, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`, '-DincludeScope=runtime'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (mvn.status !== 0) {
    throw new TributaryError('KAFKA_STACK', `Maven could not resolve org.apache.kafka:kafka_2.13:${o.version}:\n${(mvn.stdout + mvn.stderr).slice(-2000)}`);
  }
  writeFileSync(marker, new Date().toISOString() + '\n');
  return { dir, downloaded: true };
}

function serverProperties(o: StackOptions, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `controller.quorum.bootstrap.servers=127.0.0.1:${o.controllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    // One broker: every internal topic must fit on it, or consumer groups never find a coordinator.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    'log.segment.bytes=268435456',
    '',
  ].join('\n');
}

const LOG4J = (logsDir: string) => `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${logsDir}/server.log
appender.file.filePattern = ${logsDir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = info
`;

/** A cluster id as Kafka makes them; like Kafka's own Uuid.randomUuid, never one starting with `-`, which the storage tool would read as an option. */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function javaArgs(o: StackOptions, mainClass: string, args: string[]): string[] {
  const logsDir = join(o.home, 'logs');
  return [
    ...o.heap.split(/\s+/).filter(Boolean),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(o.home, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-cp',
    `${libsDir(o)}/*`,
    mainClass,
    ...args,
  ];
}

function formatStorage(o: StackOptions): void {
  const dataDir = join(o.home, 'data');
  const props = join(o.home, 'server.properties');
  mkdirSync(join(o.home, 'logs'), { recursive: true });
  writeFileSync(props, serverProperties(o, dataDir));
  writeFileSync(join(o.home, 'log4j2.properties'), LOG4J(join(o.home, 'logs')));
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const format = spawnSync('java', javaArgs({ ...o, heap: '-Xmx256m' }, 'kafka.tools.StorageTool', ['format', '-t', kafkaUuid(), '-c', props, '--standalone']), {
    encoding: 'utf8',
  });
  if (format.status !== 0) {
    throw new TributaryError('KAFKA_STACK', `formatting KRaft storage in ${dataDir} failed:\n${(format.stdout + format.stderr).slice(-2000)}`);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log yet)';
  }
}

/** Creates the project's topics that are missing, with explicit partitions, replication and retention. */
export async function ensureTopics(brokers: string[], specs: readonly TopicSpec[] = Object.values(TOPICS)): Promise<string[]> {
  const kafka = createKafka({ brokers, clientId: 'tributary-stack' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const brokerCount = (await admin.describeCluster()).brokers.length;
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: Math.min(s.replicationFactor, brokerCount),
          configEntries: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            { name: 'min.insync.replicas', value: String(Math.min(2, brokerCount)) },
          ],
        })),
      });
      await waitForTopicLeaders(admin, missing.map((s) => s.name));
    }
    return missing.map((s) => s.name);
  } finally {
    await admin.disconnect();
  }
}

export async function stackUp(o: StackOptions, opts: { timeoutMs?: number } = {}): Promise<{ pid: number; brokers: string; downloaded: boolean; alreadyRunning: boolean; created: string[] }> {
  const brokers = `127.0.0.1:${o.port}`;
  const running = readPid(o);
  if (running) {
    const created = await ensureTopics([brokers]);
    return { pid: running, brokers, downloaded: false, alreadyRunning: true, created };
  }
  if (await portOpen(o.port)) {
    throw new TributaryError('KAFKA_STACK', `port ${o.port} on 127.0.0.1 is already taken by another program; set TRIBUTARY_KAFKA_PORT to use another, or TRIBUTARY_BROKERS to use that Kafka`);
  }
  checkTools(false);
  const { downloaded } = ensureJars(o);
  formatStorage(o);
  const out = openSync(join(o.home, 'logs', 'stdout.log'), 'a');
  const child = spawn('java', javaArgs(o, 'kafka.Kafka', [join(o.home, 'server.properties')]), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) {
    // The binary could not be run at all: that is an 'error' event (on the next tick), never an exit.
    const [err] = (await once(child, 'error')) as [Error];
    throw new TributaryError('MISSING_TOOL', `java could not be started (${err.message}); the local Kafka broker needs Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)`);
  }
  const pid = child.pid;
  writeFileSync(pidFile(o), `${pid}\n`);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  stackLog().info({ brokerPid: pid, brokers }, 'Started the Kafka broker; waiting for it to take connections.');
  while (!(await portOpen(o.port))) {
    if (exited !== null) {
      rmSync(pidFile(o), { force: true });
      throw new TributaryError('KAFKA_STACK', `the Kafka broker exited with code ${exited} during start-up; its log ${brokerLog(o)} ends with:\n${tail(brokerLog(o))}\n${tail(join(o.home, 'logs', 'stdout.log'), 10)}`);
    }
    if (Date.now() > deadline) {
      throw new TributaryError('KAFKA_STACK', `the Kafka broker did not open ${brokers} in time; its log ${brokerLog(o)} ends with:\n${tail(brokerLog(o))}`);
    }
    await sleep(250);
  }
  let created: string[] = [];
  for (;;) {
    try {
      created = await ensureTopics([brokers]);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new TributaryError('KAFKA_STACK', `the broker at ${brokers} took connections but topics could not be created: ${(err as Error).message}`, { cause: err });
      await sleep(500);
    }
  }
  return { pid, brokers, downloaded, alreadyRunning: false, created };
}

export async function stackDown(o: StackOptions, opts: { timeoutMs?: number } = {}): Promise<{ stopped: boolean; pid?: number; forced: boolean }> {
  const pid = readPid(o);
  if (!pid) {
    rmSync(pidFile(o), { force: true });
    return { stopped: false, forced: false };
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let forced = false;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    if (Date.now() > deadline && !forced) {
      process.kill(pid, 'SIGKILL');
      forced = true;
    }
    await sleep(200);
  }
  rmSync(pidFile(o), { force: true });
  return { stopped: true, pid, forced };
}

export function stackStatus(o: StackOptions): StackStatus {
  const pid = readPid(o);
  const dir = libsDir(o);
  return {
    running: pid !== undefined,
    pid,
    brokers: `127.0.0.1:${o.port}`,
    home: o.home,
    jars: dir,
    jarsPresent: existsSync(join(dir, '.complete')) && readdirSync(dir).some((f) => f.startsWith('kafka_2.13')),
    logFile: brokerLog(o),
  };
}
