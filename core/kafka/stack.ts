/**
 * The local Kafka stack without Docker: Apache Kafka's own broker jars, resolved from Maven Central
 * with Maven into a cache outside the tracked tree, run with the machine's Java as one combined
 * broker+controller (KRaft) bound to 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../errors.ts';
import { log } from '../log.ts';
import { cacheDir, stateDir } from '../paths.ts';
import { portOpen } from '../ports.ts';
import { TOPICS, type TopicSpec } from '../contracts/topics.ts';
import kafkajs, { type Admin } from 'kafkajs';
import { createKafka, waitForTopicLeaders } from './client.ts';

/** Kafka 4.1 with the log4j the release itself ships (slf4j stays 1.7 in 4.1, hence log4j-slf4j-impl). */
export const KAFKA_VERSION = '4.1.2';
export const LOG4J_VERSION = '2.24.3';

export interface StackOptions {
  /** Folder for broker data, logs and the pid files (node 1 uses it directly, node n uses `node-<n>/`). */
  home: string;
  /** Folder for the broker jars (shared between stacks). */
  cache: string;
  /** PLAINTEXT port of node 1; node n uses `port + 3(n-1)` unless `ports` says otherwise. */
  port: number;
  /** Controller port of node 1; node n uses `controllerPort + 3(n-1)` unless `controllerPorts` says otherwise. */
  controllerPort: number;
  heap: string;
  version: string;
  /** Brokers in the cluster (combined broker+controller each; one controller quorum). Default 1. */
  nodes?: number;
  /**
   * Adds a SASL_SSL listener with SCRAM-SHA-512 users and a certificate made for this stack, and an SSL
   * listener that takes clients by their certificate (mutual TLS, as Strimzi's and Aiven's clusters do).
   */
  secure?: boolean;
  /** Explicit ports per node (tests use free ports). */
  ports?: number[];
  controllerPorts?: number[];
  securePorts?: number[];
  mtlsPorts?: number[];
}

export function defaultStackOptions(env: NodeJS.ProcessEnv = process.env): StackOptions {
  const port = Number(env.TRIBUTARY_KAFKA_PORT ?? 9092);
  return {
    home: join(stateDir(env), 'kafka'),
    cache: cacheDir(env),
    port,
    // Next to the broker port by default, so two stacks on different TRIBUTARY_KAFKA_PORTs never collide.
    controllerPort: Number(env.TRIBUTARY_KAFKA_CONTROLLER_PORT ?? port + 1),
    heap: env.TRIBUTARY_KAFKA_HEAP ?? '-Xms256m -Xmx1g',
    version: env.TRIBUTARY_KAFKA_VERSION ?? KAFKA_VERSION,
  };
}

/** One broker of the stack: where it listens and where it keeps its files. */
export interface StackNode {
  id: number;
  port: number;
  controllerPort: number;
  /** SASL_SSL port, for a secure stack. */
  securePort?: number;
  /** SSL port taking client certificates, for a secure stack made since the listener exists. */
  mtlsPort?: number;
  dir: string;
}

/** What `stack up` decided the first time, kept in `<home>/stack.json` so later commands agree with it. */
export interface StackLayout {
  nodes: number;
  secure: boolean;
  clusterId: string;
  ports: number[];
  controllerPorts: number[];
  securePorts?: number[];
  mtlsPorts?: number[];
}

export interface NodeStatus {
  id: number;
  running: boolean;
  pid?: number;
  port: number;
  controllerPort: number;
  securePort?: number;
  logFile: string;
  /** `topic/partition` this node leads (filled by `clusterStatus` when Kafka answers). */
  leads?: string[];
}

export interface StackStatus {
  running: boolean;
  pid?: number;
  /** Bootstrap list of the PLAINTEXT listeners, comma-separated. */
  brokers: string;
  /** Bootstrap list of the SASL_SSL listeners, for a secure stack. */
  secureBrokers?: string;
  /** Client settings of a secure stack (a file holding the password; never the password itself). */
  clientEnvFile?: string;
  caFile?: string;
  /** Bootstrap list of the mutual-TLS listeners, and the client settings for them (the certificate and key files). */
  mtlsBrokers?: string;
  mtlsEnvFile?: string;
  home: string;
  jars: string;
  jarsPresent: boolean;
  logFile: string;
  nodes: NodeStatus[];
}

const stackLog = () => log('stack');

function libsDir(o: StackOptions): string {
  return join(o.cache, `kafka-${o.version}`, 'libs');
}

function layoutFile(o: StackOptions): string {
  return join(o.home, 'stack.json');
}

/** The recorded layout, or undefined for a stack never started (or one from before layouts were recorded). */
export function readLayout(o: StackOptions): StackLayout | undefined {
  try {
    return JSON.parse(readFileSync(layoutFile(o), 'utf8')) as StackLayout;
  } catch {
    return undefined;
  }
}

/** The layout the options ask for; a recorded one wins over defaults, and contradicting it is an error. */
export function resolveLayout(o: StackOptions): StackLayout {
  const recorded = readLayout(o);
  if (recorded) {
    if (o.nodes !== undefined && o.nodes !== recorded.nodes) {
      throw new TributaryError('KAFKA_STACK', `the stack in ${o.home} was created with ${recorded.nodes} node(s), not ${o.nodes}; run \`stack down\` and remove that folder (or use another TRIBUTARY_HOME) to change it`);
    }
    if (o.secure && !recorded.secure) {
      throw new TributaryError('KAFKA_STACK', `the stack in ${o.home} was created without --secure (SCRAM users are made when storage is formatted); run \`stack down\` and remove that folder (or use another TRIBUTARY_HOME) to make a secure one`);
    }
    return recorded;
  }
  const n = o.nodes ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new TributaryError('USAGE', `--nodes must be 1 to 9, not ${o.nodes}`);
  const pick = (list: number[] | undefined, base: number, what: string): number[] => {
    if (list && list.length !== n) throw new TributaryError('USAGE', `${n} nodes need ${n} ${what}, got ${list.length}`);
    return list ?? Array.from({ length: n }, (_, i) => base + 3 * i);
  };
  // A single node formatted before layouts were recorded keeps its cluster id in meta.properties.
  let clusterId = kafkaUuid();
  const meta = join(o.home, 'data', 'meta.properties');
  if (existsSync(meta)) clusterId = /cluster\.id=(\S+)/.exec(readFileSync(meta, 'utf8'))?.[1] ?? clusterId;
  return {
    nodes: n,
    secure: o.secure ?? false,
    clusterId,
    ports: pick(o.ports, o.port, 'ports'),
    controllerPorts: pick(o.controllerPorts, o.controllerPort, 'controller ports'),
    ...(o.secure ? { securePorts: pick(o.securePorts, o.port + 2, 'secure ports'), mtlsPorts: pick(o.mtlsPorts, o.port + 3 * n, 'mTLS ports') } : {}),
  };
}

export function stackNodes(o: StackOptions, layout: StackLayout = resolveLayout(o)): StackNode[] {
  return Array.from({ length: layout.nodes }, (_, i) => ({
    id: i + 1,
    port: layout.ports[i]!,
    controllerPort: layout.controllerPorts[i]!,
    ...(layout.securePorts ? { securePort: layout.securePorts[i]! } : {}),
    ...(layout.mtlsPorts ? { mtlsPort: layout.mtlsPorts[i]! } : {}),
    dir: i === 0 ? o.home : join(o.home, `node-${i + 1}`),
  }));
}

/** `127.0.0.1:port,...` of the PLAINTEXT listeners (or the SASL_SSL ones with `secure`, the mutual-TLS ones with `mtls`). */
export function bootstrapList(o: StackOptions, secure: boolean | 'mtls' = false): string {
  const layout = resolveLayout(o);
  const ports = secure === 'mtls' ? layout.mtlsPorts ?? [] : secure ? layout.securePorts ?? [] : layout.ports;
  return ports.map((p) => `127.0.0.1:${p}`).join(',');
}

function pidFile(n: StackNode): string {
  return join(n.dir, 'broker.pid');
}

function brokerLog(n: StackNode): string {
  return join(n.dir, 'logs', 'server.log');
}

function readPid(n: StackNode): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(n), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    // A killed broker whose parent is gone can linger as a zombie where nothing reaps orphans (containers).
    let stat = '';
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      /* no /proc (macOS): kill(0) is all we know */
    }
    if (/^\d+ \(.*\) Z/.test(stat)) return undefined;
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

function serverProperties(layout: StackLayout, node: StackNode, security?: StackSecurity): string {
  const n = layout.nodes;
  const rf = Math.min(3, n);
  const isr = Math.min(2, n);
  const listeners = [`PLAINTEXT://127.0.0.1:${node.port}`, `CONTROLLER://127.0.0.1:${node.controllerPort}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${node.port}`, `CONTROLLER://127.0.0.1:${node.controllerPort}`];
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT'];
  if (security && node.securePort) {
    listeners.push(`SECURE://127.0.0.1:${node.securePort}`);
    advertised.push(`SECURE://127.0.0.1:${node.securePort}`);
    protocols.push('SECURE:SASL_SSL');
  }
  const mtls = security?.mtlsEnvFile !== undefined && node.mtlsPort !== undefined;
  if (mtls) {
    listeners.push(`MTLS://127.0.0.1:${node.mtlsPort}`);
    advertised.push(`MTLS://127.0.0.1:${node.mtlsPort}`);
    protocols.push('MTLS:SSL');
  }
  const quorum =
    n === 1
      ? [`controller.quorum.bootstrap.servers=127.0.0.1:${node.controllerPort}`]
      : [`controller.quorum.voters=${layout.controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',')}`];
  return [
    'process.roles=broker,controller',
    `node.id=${node.id}`,
    `listeners=${listeners.join(',')}`,
    `advertised.listeners=${advertised.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${protocols.join(',')}`,
    ...quorum,
    `log.dirs=${join(node.dir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    // Internal topics must fit on the brokers there are, or consumer groups never find a coordinator.
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${isr}`,
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
    'group.initial.rebalance.delay.ms=0',
    // A killed broker is fenced (and its partitions move) within a few seconds, not the default nine.
    'broker.heartbeat.interval.ms=1000',
    'broker.session.timeout.ms=6000',
    'unclean.leader.election.enable=false',
    // Kafka ages a record by its timestamp, which is the event time here: with time-based retention a
    // file older than the retention (history, a rotated week-old log, the Loghub samples of 2005-2017)
    // is deleted at the next retention check, a few minutes after it arrives, whether or not the
    // worker has read it. The local stack keeps records by size instead: 1 GiB per partition.
    'log.retention.ms=-1',
    'log.retention.bytes=1073741824',
    'log.segment.bytes=268435456',
    ...(security
      ? [
          'sasl.enabled.mechanisms=SCRAM-SHA-512',
          'listener.name.secure.sasl.enabled.mechanisms=SCRAM-SHA-512',
          'listener.name.secure.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'ssl.keystore.type=PKCS12',
          `ssl.keystore.location=${security.keystore}`,
          `ssl.keystore.password=${security.keystorePassword}`,
          `ssl.key.password=${security.keystorePassword}`,
          'ssl.client.auth=none',
        ]
      : []),
    // Clients known by a certificate the stack's CA signed; the principal is its subject (User:CN=...).
    ...(mtls
      ? ['listener.name.mtls.ssl.client.auth=required', 'listener.name.mtls.ssl.truststore.type=PEM', `listener.name.mtls.ssl.truststore.location=${security!.caFile}`]
      : []),
    '',
  ].join('\n');
}

/** The secure stack's certificate and users; secrets live in files readable by this user only. */
export interface StackSecurity {
  dir: string;
  caFile: string;
  keystore: string;
  keystorePassword: string;
  username: string;
  password: string;
  /** `KAFKA_SSL=1`, `KAFKA_SSL_CA_FILE`, `KAFKA_SASL_*` for clients: `set -a; . <file>; set +a`. */
  clientEnvFile: string;
  /**
   * `KAFKA_SSL=1`, `KAFKA_SSL_CA_FILE`, `KAFKA_SSL_CERT_FILE`, `KAFKA_SSL_KEY_FILE` for the mutual-TLS
   * listener; undefined for a stack made before it existed (its CA's key is gone, so no client
   * certificate can be made for it).
   */
  mtlsEnvFile?: string;
}

function openssl(args: string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.error || r.status !== 0) {
    throw new TributaryError(r.error ? 'MISSING_TOOL' : 'KAFKA_STACK', r.error ? 'openssl is not installed; `stack up --secure` makes its certificate with it (apt-get install openssl)' : `openssl ${args[0]} failed: ${(r.stderr || r.stdout).slice(-1000)}`);
  }
}

/**
 * Makes (once) a private CA, a server certificate for 127.0.0.1 signed by it in a PKCS12 keystore,
 * and the SCRAM user's password. Kept in `<home>/secure` (mode 0700); reused on every start.
 */
export function ensureSecurity(o: StackOptions): StackSecurity {
  const dir = join(o.home, 'secure');
  const secretsFile = join(dir, 'secrets.json');
  const s: StackSecurity = {
    dir,
    caFile: join(dir, 'ca.crt'),
    keystore: join(dir, 'server.p12'),
    keystorePassword: '',
    username: 'tributary',
    password: '',
    clientEnvFile: join(dir, 'client.env'),
  };
  const mtlsEnvFile = join(dir, 'client-mtls.env');
  if (existsSync(secretsFile) && existsSync(s.keystore)) {
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as { keystorePassword: string; password: string; username: string };
    return { ...s, ...secrets, ...(existsSync(mtlsEnvFile) ? { mtlsEnvFile } : {}) };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  s.keystorePassword = randomBytes(18).toString('base64url');
  s.password = randomBytes(18).toString('base64url');
  const f = (name: string) => join(dir, name);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', s.caFile, '-days', '825', '-subj', '/CN=Tributary local CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', s.caFile, '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '825', '-extfile', f('server.ext')]);
  // The keystore password goes through the environment, not argv, so `ps` never shows it.
  openssl(['pkcs12', '-export', '-in', f('server.crt'), '-inkey', f('server.key'), '-certfile', s.caFile, '-name', 'kafka', '-out', s.keystore, '-passout', 'env:TRIBUTARY_KEYSTORE_PASSWORD'], { TRIBUTARY_KEYSTORE_PASSWORD: s.keystorePassword });
  // A client's certificate for the mutual-TLS listener (its key unencrypted, readable by this user only).
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=tributary-client']);
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', f('client.csr'), '-CA', s.caFile, '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.crt'), '-days', '825', '-extfile', f('client.ext')]);
  chmodSync(f('client.key'), 0o600);
  for (const name of ['ca.key', 'server.key', 'server.csr', 'client.csr']) rmSync(f(name), { force: true });
  writeFileSync(secretsFile, JSON.stringify({ keystorePassword: s.keystorePassword, password: s.password, username: s.username }), { mode: 0o600 });
  writeFileSync(
    s.clientEnvFile,
    [`KAFKA_SSL=1`, `KAFKA_SSL_CA_FILE=${s.caFile}`, `KAFKA_SASL_MECHANISM=scram-sha-512`, `KAFKA_SASL_USERNAME=${s.username}`, `KAFKA_SASL_PASSWORD=${s.password}`, ''].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(mtlsEnvFile, [`KAFKA_SSL=1`, `KAFKA_SSL_CA_FILE=${s.caFile}`, `KAFKA_SSL_CERT_FILE=${f('client.crt')}`, `KAFKA_SSL_KEY_FILE=${f('client.key')}`, ''].join('\n'), { mode: 0o600 });
  return { ...s, mtlsEnvFile };
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

/**
 * JVM flags for a short-lived Java process: C1 only. A broker started with them took 5.4 s of CPU to
 * open its port instead of 9.4 s (3 starts each, 2-core machine); fine for tools and test brokers
 * that carry little traffic, not the default for a broker that should reach full speed.
 */
export const QUICK_JVM = '-XX:TieredStopAtLevel=1';

function javaArgs(o: StackOptions, node: StackNode, mainClass: string, args: string[]): string[] {
  const logsDir = join(node.dir, 'logs');
  return [
    ...o.heap.split(/\s+/).filter(Boolean),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-cp',
    `${libsDir(o)}/*`,
    mainClass,
    ...args,
  ];
}

async function formatStorage(o: StackOptions, layout: StackLayout, node: StackNode, security?: StackSecurity): Promise<void> {
  const dataDir = join(node.dir, 'data');
  const props = join(node.dir, 'server.properties');
  mkdirSync(join(node.dir, 'logs'), { recursive: true });
  // It holds the keystore password when secure: readable by this user only.
  writeFileSync(props, serverProperties(layout, node, security), { mode: 0o600 });
  writeFileSync(join(node.dir, 'log4j2.properties'), LOG4J(join(node.dir, 'logs')));
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const args = ['format', '-t', layout.clusterId, '-c', props];
  if (layout.nodes === 1) args.push('--standalone');
  // SCRAM users exist from the first start (KRaft stores them in the metadata log).
  if (security) args.push('--add-scram', `SCRAM-SHA-512=[name=${security.username},password=${security.password}]`);
  const format = await new Promise<{ status: number | null; out: string }>((resolve) => {
    // A one-shot tool: the client compiler alone starts it with about half the CPU (C2 never pays off here).
    const child = spawn('java', javaArgs({ ...o, heap: `-Xmx256m ${QUICK_JVM}` }, node, 'kafka.tools.StorageTool', args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => resolve({ status: -1, out: err.message }));
    child.once('close', (status) => resolve({ status, out }));
  });
  if (format.status !== 0) {
    const out = format.out.slice(-2000);
    throw new TributaryError('KAFKA_STACK', `formatting KRaft storage in ${dataDir} failed:\n${security ? out.split(security.password).join('***') : out}`);
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log yet)';
  }
}

/**
 * Creates the project's topics that are missing, with explicit partitions, replication and retention.
 * `local`: the local stack's topics take its brokers' retention (by size, see serverProperties) instead
 * of the spec's time-based one, which counts from the event time.
 */
export async function ensureTopics(brokers: string[], specs: readonly TopicSpec[] = Object.values(TOPICS), opts: { brokerCount?: number; local?: boolean } = {}): Promise<string[]> {
  const kafka = createKafka({ brokers, clientId: 'tributary-stack' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const brokerCount = opts.brokerCount ?? (await admin.describeCluster()).brokers.length;
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: Math.min(s.replicationFactor, brokerCount),
          configEntries: [...(opts.local ? [] : [{ name: 'retention.ms', value: String(s.retentionMs) }]), { name: 'min.insync.replicas', value: String(Math.min(2, brokerCount)) }],
        })),
      });
      await waitForTopicLeaders(admin, missing.map((s) => s.name));
    }
    if (opts.local) {
      const reset = await dropTimeRetention(admin, specs.filter((s) => existing.has(s.name)).map((s) => s.name));
      if (reset.length > 0) {
        stackLog().info({ topics: reset }, 'Topics made by an older local stack kept records 7 days by their event time (deleting history minutes after it arrived); they now keep them by size, as new ones do.');
      }
    }
    return missing.map((s) => s.name);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Drops the `retention.ms` a topic carries of its own (a local stack made before it kept records by
 * size set the spec's 7 days), so that the brokers' retention by size applies; returns the topics
 * changed. AlterConfigs replaces a topic's whole set of settings, so the others are sent again.
 */
export async function dropTimeRetention(admin: Admin, topics: readonly string[]): Promise<string[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })) });
  const changed: string[] = [];
  for (const r of described.resources) {
    const own = r.configEntries.filter((e) => e.configSource === TOPIC_CONFIG_SOURCE);
    const retention = own.find((e) => e.configName === 'retention.ms');
    if (retention === undefined || retention.configValue === '-1') continue;
    const configEntries = own.filter((e) => e.configName !== 'retention.ms').map((e) => ({ name: e.configName, value: e.configValue }));
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: r.resourceName, configEntries }] });
    changed.push(r.resourceName);
  }
  return changed;
}

/** DescribeConfigs' source of a setting the topic holds itself (Kafka's ConfigSource.TOPIC_CONFIG). */
const TOPIC_CONFIG_SOURCE = 1;

export interface StackUpResult {
  /** Pid of node 1 (the single broker of a one-node stack). */
  pid: number;
  pids: Record<number, number>;
  /** Bootstrap list (PLAINTEXT), comma-separated. */
  brokers: string;
  secureBrokers?: string;
  clientEnvFile?: string;
  caFile?: string;
  mtlsBrokers?: string;
  mtlsEnvFile?: string;
  /** Node ids started by this call (empty when all were running). */
  started: number[];
  downloaded: boolean;
  alreadyRunning: boolean;
  created: string[];
}

/** Waits until the cluster has `nodes` brokers registered, so topics get their full replication. */
async function waitForBrokers(brokers: string[], nodes: number, deadline: number): Promise<void> {
  for (;;) {
    const admin = createKafka({ brokers, clientId: 'tributary-stack', retries: 0, connectionTimeoutMs: 2000 }).admin();
    try {
      await admin.connect();
      const n = (await admin.describeCluster()).brokers.length;
      if (n >= nodes) return;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${nodes} brokers registered`);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(300);
  }
}

/**
 * Starts the brokers of the stack that are not running (all of them the first time; only the stopped
 * one when one was stopped or killed), waits for the cluster, and creates the missing topics.
 */
export async function stackUp(o: StackOptions, opts: { timeoutMs?: number } = {}): Promise<StackUpResult> {
  const layout = resolveLayout(o);
  const nodes = stackNodes(o, layout);
  const brokers = nodes.map((n) => `127.0.0.1:${n.port}`);
  const security = layout.secure ? ensureSecurity(o) : undefined;
  const secureInfo = security
    ? { secureBrokers: bootstrapList(o, true), clientEnvFile: security.clientEnvFile, caFile: security.caFile, ...(security.mtlsEnvFile && layout.mtlsPorts ? { mtlsBrokers: bootstrapList(o, 'mtls'), mtlsEnvFile: security.mtlsEnvFile } : {}) }
    : {};
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const pids: Record<number, number> = {};
  const stopped: StackNode[] = [];
  for (const n of nodes) {
    const pid = readPid(n);
    if (pid) pids[n.id] = pid;
    else stopped.push(n);
  }
  if (stopped.length === 0) {
    const created = await ensureTopics(brokers, undefined, { brokerCount: layout.nodes, local: true });
    return { pid: pids[1]!, pids, brokers: brokers.join(','), ...secureInfo, started: [], downloaded: false, alreadyRunning: true, created };
  }
  for (const n of stopped) {
    for (const p of [n.port, n.controllerPort, n.securePort, n.mtlsPort]) {
      if (p !== undefined && (await portOpen(p))) {
        throw new TributaryError('KAFKA_STACK', `port ${p} on 127.0.0.1 (node ${n.id}) is already taken by another program; set TRIBUTARY_KAFKA_PORT to use others, or TRIBUTARY_BROKERS to use that Kafka`);
      }
    }
  }
  checkTools(false);
  const { downloaded } = ensureJars(o);
  mkdirSync(o.home, { recursive: true });
  writeFileSync(layoutFile(o), JSON.stringify(layout, null, 2) + '\n');
  const exits = new Map<number, number>();
  // Formatting is a JVM start each: in parallel.
  await Promise.all(stopped.map((n) => formatStorage(o, layout, n, security)));
  for (const n of stopped) {
    const out = openSync(join(n.dir, 'logs', 'stdout.log'), 'a');
    const child = spawn('java', javaArgs(o, n, 'kafka.Kafka', [join(n.dir, 'server.properties')]), { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    if (child.pid === undefined) {
      // The binary could not be run at all: that is an 'error' event (on the next tick), never an exit.
      const [err] = (await once(child, 'error')) as [Error];
      throw new TributaryError('MISSING_TOOL', `java could not be started (${err.message}); the local Kafka broker needs Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)`);
    }
    pids[n.id] = child.pid;
    writeFileSync(pidFile(n), `${child.pid}\n`);
    child.once('exit', (code) => exits.set(n.id, code ?? -1));
    child.unref();
    stackLog().info({ node: n.id, brokerPid: child.pid, port: n.port }, 'Started a Kafka broker; waiting for it to take connections.');
  }
  for (const n of stopped) {
    while (!(await portOpen(n.port))) {
      const code = exits.get(n.id);
      if (code !== undefined) {
        rmSync(pidFile(n), { force: true });
        throw new TributaryError('KAFKA_STACK', `the Kafka broker (node ${n.id}) exited with code ${code} during start-up; its log ${brokerLog(n)} ends with:\n${tail(brokerLog(n))}\n${tail(join(n.dir, 'logs', 'stdout.log'), 10)}`);
      }
      if (Date.now() > deadline) {
        throw new TributaryError('KAFKA_STACK', `the Kafka broker (node ${n.id}) did not open 127.0.0.1:${n.port} in time; its log ${brokerLog(n)} ends with:\n${tail(brokerLog(n))}`);
      }
      await sleep(250);
    }
  }
  let created: string[] = [];
  for (;;) {
    try {
      await waitForBrokers(brokers, layout.nodes, deadline);
      created = await ensureTopics(brokers, undefined, { brokerCount: layout.nodes, local: true });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new TributaryError('KAFKA_STACK', `the brokers at ${brokers.join(',')} took connections but the cluster did not form or topics could not be created: ${(err as Error).message}`, { cause: err });
      await sleep(500);
    }
  }
  return { pid: pids[1]!, pids, brokers: brokers.join(','), ...secureInfo, started: stopped.map((n) => n.id), downloaded, alreadyRunning: false, created };
}

/** Stops the brokers (all, or the `nodes` given): SIGTERM, then SIGKILL after the timeout. */
export async function stackDown(o: StackOptions, opts: { timeoutMs?: number; nodes?: number[]; signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<{ stopped: boolean; pid?: number; pids: Record<number, number>; forced: boolean }> {
  const layout = readLayout(o) ?? resolveLayout(o);
  const nodes = stackNodes(o, layout).filter((n) => !opts.nodes || opts.nodes.includes(n.id));
  const pids: Record<number, number> = {};
  let forced = false;
  await Promise.all(
    nodes.map(async (n) => {
      const pid = readPid(n);
      if (!pid) {
        rmSync(pidFile(n), { force: true });
        return;
      }
      pids[n.id] = pid;
      process.kill(pid, opts.signal ?? 'SIGTERM');
      const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
      let killed = opts.signal === 'SIGKILL';
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        if (Date.now() > deadline && !killed) {
          process.kill(pid, 'SIGKILL');
          killed = forced = true;
        }
        await sleep(200);
      }
      rmSync(pidFile(n), { force: true });
    }),
  );
  const stoppedIds = Object.keys(pids).map(Number);
  return { stopped: stoppedIds.length > 0, pid: pids[1] ?? pids[stoppedIds[0]!], pids, forced };
}

export function stackStatus(o: StackOptions): StackStatus {
  const layout = readLayout(o) ?? resolveLayout(o);
  const nodes = stackNodes(o, layout);
  const dir = libsDir(o);
  const security = layout.secure ? { dir: join(o.home, 'secure') } : undefined;
  const nodeStatus: NodeStatus[] = nodes.map((n) => {
    const pid = readPid(n);
    return { id: n.id, running: pid !== undefined, ...(pid ? { pid } : {}), port: n.port, controllerPort: n.controllerPort, ...(n.securePort ? { securePort: n.securePort } : {}), logFile: brokerLog(n) };
  });
  return {
    running: nodeStatus.every((n) => n.running),
    pid: nodeStatus[0]!.pid,
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    ...(security
      ? { secureBrokers: nodes.map((n) => `127.0.0.1:${n.securePort}`).join(','), clientEnvFile: join(security.dir, 'client.env'), caFile: join(security.dir, 'ca.crt') }
      : {}),
    ...(security && layout.mtlsPorts && existsSync(join(security.dir, 'client-mtls.env'))
      ? { mtlsBrokers: nodes.map((n) => `127.0.0.1:${n.mtlsPort}`).join(','), mtlsEnvFile: join(security.dir, 'client-mtls.env') }
      : {}),
    home: o.home,
    jars: dir,
    jarsPresent: existsSync(join(dir, '.complete')) && readdirSync(dir).some((f) => f.startsWith('kafka_2.13')),
    logFile: brokerLog(nodes[0]!),
    nodes: nodeStatus,
  };
}

/** `stackStatus` plus, when Kafka answers, the partitions each node leads. */
export async function clusterStatus(o: StackOptions, topics: string[] = Object.values(TOPICS).map((t) => t.name)): Promise<StackStatus> {
  const status = stackStatus(o);
  const up = status.nodes.filter((n) => n.running).map((n) => `127.0.0.1:${n.port}`);
  if (up.length === 0) return status;
  const admin = createKafka({ brokers: up, clientId: 'tributary-stack-status', retries: 1, connectionTimeoutMs: 2000 }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const meta = await admin.fetchTopicMetadata({ topics: topics.filter((t) => existing.has(t)) });
    for (const n of status.nodes) n.leads = [];
    for (const t of meta.topics) {
      for (const p of t.partitions) status.nodes.find((n) => n.id === p.leader)?.leads?.push(`${t.name}/${p.partitionId}`);
    }
  } catch {
    /* leaders unknown while the cluster does not answer; the rest of the status stands */
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return status;
}
