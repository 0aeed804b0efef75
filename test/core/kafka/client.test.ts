// The client helpers against the real test broker: metadata asked for a topic that Kafka does not know yet;
// and the TLS/SASL settings a kafkajs client gets, against those of our own connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, fetchTopicMetadataRetrying, kafkajsSecurity } from '../../../core/kafka/client.ts';
import { clientCertificateRefusal, securityOf, sslFromEnv, tlsFromFiles } from '../../../core/kafka/security.ts';
import { isTributaryError } from '../../../core/errors.ts';
import { testBrokers } from '../../helpers/kafka.ts';

const brokers = await testBrokers();

test('fetchTopicMetadataRetrying asks again until a topic made meanwhile is known, where one plain read fails', async () => {
  const admin = createKafka({ brokers, clientId: 'client-test' }).admin();
  await admin.connect();
  const topic = `metadata-late-${randomBytes(4).toString('hex')}`;
  try {
    // What the worker's start did before: one read, which fails while the topic is not there.
    await assert.rejects(admin.fetchTopicMetadata({ topics: [topic] }), /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i);
    const asked = fetchTopicMetadataRetrying(admin, [topic], 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    const meta = await asked;
    assert.deepEqual(meta.topics.map((t) => [t.name, t.partitions.length]), [[topic, 3]]);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('fetchTopicMetadataRetrying names a topic that never comes once its time is up', async () => {
  const admin = createKafka({ brokers, clientId: 'client-test' }).admin();
  await admin.connect();
  const topic = `metadata-never-${randomBytes(4).toString('hex')}`;
  try {
    const started = Date.now();
    const err = await fetchTopicMetadataRetrying(admin, [topic], 1500).then(() => undefined, (e: unknown) => e);
    assert.ok(isTributaryError(err), `expected a TributaryError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.match(err.message, new RegExp(`does not know the topic ${topic} after 1.5 s`));
    // It kept asking for its whole time, not once.
    assert.ok(Date.now() - started >= 1400, `gave up after ${Date.now() - started} ms`);
  } finally {
    await admin.disconnect();
  }
});

test('a kafkajs client takes TLS and SASL by the rule our own connections follow', () => {
  const ca = join(mkdtempSync(join(tmpdir(), 'tributary-ca-')), 'ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  const keys = ['KAFKA_SSL', 'KAFKA_SSL_CA_FILE', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  const cases: Array<[Record<string, string>, boolean]> = [
    [{}, false],
    [{}, true],
    // A config's `kafka.ssl: true` with the CA file of the environment and no KAFKA_SSL: kafkajs trusted
    // only the system's CAs here while our producer trusted the file.
    [{ KAFKA_SSL_CA_FILE: ca }, true],
    [{ KAFKA_SSL_CA_FILE: ca }, false],
    [{ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: ca }, false],
    [{ KAFKA_SSL: '1' }, true],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, false],
  ];
  try {
    for (const [env, ssl] of cases) {
      for (const k of keys) delete process.env[k];
      Object.assign(process.env, env);
      const ours = securityOf({ ssl });
      assert.deepEqual(kafkajsSecurity({ ssl }), ours, `${JSON.stringify(env)} with ssl ${ssl}`);
    }
    // The file's CA, not `true`, where the config asks for TLS and the environment names a CA.
    for (const k of keys) delete process.env[k];
    process.env.KAFKA_SSL_CA_FILE = ca;
    assert.deepEqual(kafkajsSecurity({ ssl: true }).ssl, { ca: [readFileSync(ca, 'utf8')] });
  } finally {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('a client certificate from the environment (mutual TLS): both files or neither, each named when it cannot be read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-client-cert-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const ca = file('ca.crt', 'CA PEM');
  const cert = file('client.crt', 'CERT PEM');
  const key = file('client.key', 'KEY PEM');
  assert.deepEqual(sslFromEnv({ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key, KAFKA_SSL_KEY_PASSWORD: 'pw' }), { ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM', passphrase: 'pw' });
  assert.deepEqual(sslFromEnv({ KAFKA_SSL: '1', KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key }), { cert: 'CERT PEM', key: 'KEY PEM' }, 'the system\'s CAs with a client certificate');
  assert.equal(sslFromEnv({ KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key }), undefined, 'TLS stays off without KAFKA_SSL');
  assert.throws(() => sslFromEnv({ KAFKA_SSL: '1', KAFKA_SSL_CERT_FILE: cert }), /KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE/);
  assert.throws(() => sslFromEnv({ KAFKA_SSL: '1', KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: join(dir, 'nope.key') }), new RegExp(`KAFKA_SSL_KEY_FILE=${join(dir, 'nope.key').replace(/[.]/g, '\\.')} cannot be read: ENOENT`));
  // The alerts a broker sends, told apart by whether a certificate was sent.
  assert.match(clientCertificateRefusal({ message: 'SSL alert number 42: sslv3 alert bad certificate' }, 'b:1', false)!, /^Kafka at b:1 takes clients by their TLS certificate and this one sent none/);
  assert.match(clientCertificateRefusal({ message: 'tlsv13 alert certificate required' }, 'b:1', false)!, /sent none/);
  assert.match(clientCertificateRefusal({ message: 'tlsv1 alert unknown ca' }, 'b:1', true)!, /^Kafka at b:1 refused this client's TLS certificate/);
  assert.equal(clientCertificateRefusal({ message: 'connect ECONNREFUSED' }, 'b:1', true), undefined);
});

test("TLS from a config's files (kafka.tls): read whole, over the environment's, each mistake named by its key", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-client-tls-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const ca = file('ca.crt', 'CA PEM');
  const cert = file('client.crt', 'CERT PEM');
  const key = file('client.key', 'KEY PEM');
  assert.deepEqual(tlsFromFiles({ ca_file: ca, cert_file: cert, key_file: key, key_password_env: 'KP' }, 'kafka.tls', { KP: 'pw' }), { ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM', passphrase: 'pw' });
  assert.deepEqual(tlsFromFiles({ ca_file: ca }, 'kafka.tls', {}), { ca: ['CA PEM'] });
  assert.equal(tlsFromFiles({}, 'kafka.tls', {}), true, 'an empty block: TLS on with the system\'s CAs');
  assert.throws(() => tlsFromFiles({ cert_file: cert }, 'kafka.tls', {}), /kafka\.tls: cert_file is set without key_file/);
  assert.throws(() => tlsFromFiles({ ca_file: join(dir, 'nope.pem') }, 'kafka.tls', {}), new RegExp(`kafka\\.tls\\.ca_file: ${join(dir, 'nope.pem').replace(/[.]/g, '\\.')} cannot be read: ENOENT`));
  assert.throws(() => tlsFromFiles({ cert_file: cert, key_file: key, key_password_env: 'KP' }, 'kafka.tls', {}), /kafka\.tls\.key_password_env: environment variable KP is not set/);
  // The config's files are the whole setting: KAFKA_SSL_CA_FILE in the environment is not mixed in.
  const saved = process.env.KAFKA_SSL_CA_FILE;
  process.env.KAFKA_SSL_CA_FILE = ca;
  try {
    assert.deepEqual(securityOf({ ssl: { cert: 'C', key: 'K' } }).ssl, { cert: 'C', key: 'K' });
  } finally {
    if (saved === undefined) delete process.env.KAFKA_SSL_CA_FILE;
    else process.env.KAFKA_SSL_CA_FILE = saved;
  }
});

