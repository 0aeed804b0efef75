// No Docker engine runs here, so this checks that docker-compose.yml agrees with the code's defaults:
// service names, ports, topics, the storage settings the worker reads, and the provisioning paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { storeConfigFrom } from '../core/storage/open.ts';
import { defaultBrokers } from '../core/paths.ts';
import { defaultStackOptions } from '../core/kafka/stack.ts';
import { KAFKA_VERSION } from '../core/kafka/stack.ts';
import { GRAFANA_DASHBOARDS_PATH } from '../dashboards/provisioning.ts';
import { PLUGIN_VERSION } from '../dashboards/clickhouse.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const kafka = Object.entries(services).filter(([name]) => /^kafka-\d$/.test(name));

test('three Kafka brokers in KRaft mode, same release as the local stack, replication factor 3', () => {
  assert.equal(kafka.length, 3);
  const voters = kafka.map(([name, s]) => `${s.environment!.KAFKA_NODE_ID}@${name}:9093`).join(',');
  for (const [name, s] of kafka) {
    const env = s.environment!;
    assert.equal(s.image, `apache/kafka:${KAFKA_VERSION}`, `${name} runs Kafka ${KAFKA_VERSION}`);
    assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, voters);
    for (const key of ['KAFKA_DEFAULT_REPLICATION_FACTOR', 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']) {
      assert.equal(env[key], '3', `${name} ${key}`);
    }
    assert.match(env.KAFKA_ADVERTISED_LISTENERS!, new RegExp(`INTERNAL://${name}:19092`));
  }
});

test('the first broker is published where the CLI looks by default', () => {
  const defaultPort = String(defaultStackOptions({}).port);
  assert.deepEqual(defaultBrokers({}), [`127.0.0.1:${defaultPort}`]);
  assert.ok(services['kafka-1']!.ports!.includes(`127.0.0.1:${defaultPort}:${defaultPort}`));
});

test('every published port binds to 127.0.0.1 only', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name} publishes ${p}`);
  }
});

test('topics are created by the project code against all three brokers', () => {
  const internal = kafka.map(([name]) => `${name}:19092`).join(',');
  assert.deepEqual(services.topics!.command, ['stack', 'up', '--brokers', internal]);
});

test('agent and worker are built from the repo and reach Kafka and ClickHouse through the settings the code reads', () => {
  const internal = kafka.map(([name]) => `${name}:19092`).join(',');
  for (const name of ['agent', 'worker']) {
    const s = services[name]!;
    assert.equal(s.build, '.');
    const env = s.environment!;
    assert.deepEqual(defaultBrokers(env as NodeJS.ProcessEnv), internal.split(','));
    const store = storeConfigFrom({}, env as NodeJS.ProcessEnv);
    assert.equal(store.driver, 'server');
    assert.ok(store.driver === 'server' && new URL(store.url).hostname === 'clickhouse' && new URL(store.url).port === '8123');
    assert.ok(store.driver === 'server' && store.database === services.clickhouse!.environment!.CLICKHOUSE_DB);
    assert.ok(store.driver === 'server' && store.username === services.clickhouse!.environment!.CLICKHOUSE_USER);
  }
  assert.equal(services.worker!.command![0], 'worker');
  assert.equal(services.agent!.command![0], 'agent');
  assert.ok(existsSync(join(root, 'Dockerfile')));
});

test('Grafana gets the generated provisioning files, dashboards and the pinned ClickHouse plugin', () => {
  const g = services.grafana!;
  assert.equal(g.environment!.GF_PLUGINS_PREINSTALL_SYNC, `grafana-clickhouse-datasource@${PLUGIN_VERSION}`);
  const mounts = new Map((g.volumes ?? []).map((v) => {
    const [src, dst] = v.split(':');
    return [dst!, src!];
  }));
  assert.equal(mounts.get(GRAFANA_DASHBOARDS_PATH), './dashboards/generated');
  for (const kind of ['datasources', 'dashboards', 'alerting']) {
    const src = mounts.get(`/etc/grafana/provisioning/${kind}`);
    assert.equal(src, `./dashboards/provisioning/${kind}`);
    assert.ok(existsSync(join(root, src!)), `${src} exists`);
  }
  const chMount = services.clickhouse!.volumes!.find((v) => v.includes('users.d'))!;
  assert.ok(existsSync(join(root, chMount.split(':')[0]!)));
  const datasource = readFileSync(join(root, 'dashboards/provisioning/datasources/clickhouse.yaml'), 'utf8');
  assert.match(datasource, /host: clickhouse/);
});
