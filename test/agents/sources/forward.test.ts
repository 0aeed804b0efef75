// The Fluent Forward intake (agents/sources/forward.ts). First the senders that are not ours, built
// from test/interop/fluent-forward with Go: fluent-logger-golang called as Docker's fluentd log driver
// calls it, and IBM's fluent-forward-go in every mode (Message, Forward, PackedForward,
// CompressedPackedForward), waiting for acks, and through the shared-key handshake; through the agent
// into a real Kafka topic, on a record thread and built one by one. Then the protocol's rules on bytes
// written here after its specification (github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1):
// acks only once durable, heartbeats, Fluent Bit's entries with metadata, Kubernetes fields, messages
// cut at every byte, and what closes a connection (bytes that are no MessagePack, a message too large,
// a sender without the key). Those use a stand-in for the sink where they need to hold a batch
// undelivered (a real Kafka acknowledges at once); the test says where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Agent } from '../../../agents/agent.ts';
import { ForwardSource, forwardTimeMs } from '../../../agents/sources/forward.ts';
import { MsgpackExt } from '../../../agents/sources/msgpack.ts';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import { validateAgentConfig } from '../../../agents/config.ts';
import type { EventBatch, SourceContext } from '../../../agents/source.ts';
import type { LogRecord } from '../../../core/contracts/records.ts';
import { log } from '../../../core/log.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { buildGo } from '../../helpers/go-build.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { readLogs } from '../harness.ts';

const run = promisify(execFile);
const senders = async () => ({
  docker: await buildGo('test/interop/fluent-forward', 'dist/fluent-forward/docker', './docker', 'the Fluent Forward intake tests (test/interop/fluent-forward)'),
  ibm: await buildGo('test/interop/fluent-forward', 'dist/fluent-forward/ibm', './ibm', 'the Fluent Forward intake tests (test/interop/fluent-forward)'),
});

/** Event i's line and time, as test/interop/fluent-forward/events builds them. */
function line(i: number): string {
  if (i % 3 === 0) return `{"level":50,"time":1764410400000,"msg":"payment ${i} failed","order":${i}}`;
  if (i % 3 === 1) return `2026-11-29 10:00:00,123 WARN [main] com.shop.Cart - cart ${i} stale`;
  return `plain line ${i} ünïcode ✓`;
}
/** Event i's time to the millisecond, as the record writes it (2026-11-29T10:00:00.123456789Z + i ms + i ns). */
const msOf = (i: number) => new Date(Date.UTC(2026, 10, 29, 10, 0, 0, 123 + i)).toISOString().slice(0, 23);

function checkLine(r: LogRecord, i: number, what: string): void {
  if (i % 3 === 0) {
    assert.equal(r.body, `payment ${i} failed`, what);
    assert.equal(r.severity_text, 'ERROR', what);
    assert.equal(r.attributes.order, String(i), what);
  } else if (i % 3 === 1) {
    assert.equal(r.body, `cart ${i} stale`, what);
    assert.equal(r.severity_text, 'WARN', what);
    assert.equal(r.attributes['log.logger'], 'com.shop.Cart', what);
  } else {
    assert.equal(r.body, line(i), what);
  }
}

await testBrokers();

test('Docker\'s driver (fluent-logger-golang) and fluent-forward-go in every mode, with acks and the shared key, through the agent into Kafka', { timeout: 180_000 }, async () => {
  const bin = await senders();
  const brokers = await testBrokers();
  const topic = await createTestTopic('forward');
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const options = { mode: 'tcp' as const, port: 0, maxMessageBytes: 8 * 1024 * 1024, hostName: 'agent-host', serviceFromMessage: true };
  // Built on a record thread, and one by one on the main thread (a source without threads).
  const threaded = new ForwardSource('fwd', { ...options, service: 'fluent', threads: { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 'fwd' }) } });
  const keyed = new ForwardSource('fwd-key', { ...options, service: 'keyed', sharedKey: 's3cret key' });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [threaded, keyed], selfMetrics: false });
  await agent.start();
  const sent: Record<string, number> = {};
  try {
    const at = (s: ForwardSource) => `127.0.0.1:${s.port}`;
    const go = async (name: string, file: string, args: string[], n: number) => {
      const { stdout } = await run(file, args, { timeout: 60_000 });
      assert.equal(stdout.trim(), `sent ${n}`, name);
      sent[name] = n;
    };
    await go('docker', bin.docker, [at(threaded), '30', '1'], 30);
    // Lines of 40 KB, which Docker sends in parts of 16 KiB: 10 lines, 2 of them in 3 parts each.
    await go('docker-long', bin.docker, [at(threaded), '10', '1', 'long'], 10);
    await go('message', bin.ibm, [at(threaded), '10', '1', 'message'], 10);
    await go('message-ext', bin.ibm, [at(threaded), '10', '1', 'message-ext'], 10);
    await go('forward', bin.ibm, [at(threaded), '30', '1', 'forward'], 30);
    await go('packed', bin.ibm, [at(threaded), '30', '0', 'packed'], 30);
    await go('compressed', bin.ibm, [at(threaded), '30', '1', 'compressed'], 30);
    await go('keyed', bin.ibm, [at(keyed), '12', '1', 'forward', 's3cret key'], 12);
    // A sender with the wrong key is turned away in the handshake: nothing of it is read.
    await assert.rejects(run(bin.ibm, [at(keyed), '5', '1', 'forward', 'not the key'], { timeout: 60_000 }), /handshake/);
    // And one without the handshake at all: its connection is closed before anything is read.
    await assert.rejects(run(bin.ibm, [at(keyed), '5', '1', 'forward'], { timeout: 60_000 }));
  } finally {
    await agent.stop();
    await pool.close();
  }
  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  const records = await readLogs(topic, total);
  assert.equal(records.length, total, 'every event once: acked events are not resent');
  assert.ok(records.every((r) => r.origin.kind === 'forward' && r.attributes['network.peer.address'] === '127.0.0.1'));

  const docker = records.filter((r) => r.attributes['fluent.tag'] === 'docker.3c9e7c1d0a5f');
  assert.equal(docker.length, 30);
  docker.sort((a, b) => a.time.localeCompare(b.time));
  docker.forEach((r, i) => {
    checkLine(r, i, `docker ${i}`);
    assert.equal(r.service, 'shop-web', 'the container\'s name, without Docker\'s slash');
    assert.equal(r.attributes['container.name'], 'shop-web');
    assert.equal(r.attributes['container.id'], '3c9e7c1d0a5f4b2e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e');
    assert.equal(r.attributes['log.iostream'], i % 2 ? 'stderr' : 'stdout');
    // The driver's sub-second time, not the line's own (`1764410400000`, `10:00:00,123`).
    assert.equal(r.time.slice(0, 23), msOf(i), `docker ${i} time`);
    assert.ok(r.time.length > 24, 'below the millisecond too');
  });

  const batch = records.filter((r) => r.attributes['fluent.tag'] === 'docker.7b1d9e3f5a7c');
  assert.equal(batch.length, 10, 'a long line\'s parts are one record');
  batch.sort((a, b) => a.time.localeCompare(b.time));
  batch.forEach((r, i) => {
    assert.equal(r.service, 'shop-batch');
    assert.equal(r.time.slice(0, 23), msOf(i), `long ${i} time`);
    assert.ok(!Object.keys(r.attributes).some((k) => k.includes('partial')), `long ${i}: no partial marks on a joined line`);
    if (i % 5 !== 4) return checkLine(r, i, `long ${i}`);
    // The joined line parses as the JSON line it was: its fields as attributes.
    assert.equal(r.body, `long ${i}`);
    assert.equal(r.attributes.order, String(i));
    assert.equal(r.attributes.blob, 'abcdefghij'.repeat(4000));
  });
  assert.deepEqual([threaded.stats.partial_parts, threaded.stats.partial_lines, threaded.stats.partial_unfinished], [6, 2, 0]);

  const app = records.filter((r) => r.attributes['fluent.tag'] === 'app.shop' && r.service === 'fluent');
  assert.equal(app.length, 10 + 10 + 30 + 30 + 30);
  for (const r of app) {
    const i = Number(r.attributes.seq);
    checkLine(r, i, `app ${i}`);
    assert.equal(r.attributes['app.name'], 'shop', 'a nested map as dotted names');
    assert.equal(r.attributes['app.version'], '1.2.3');
  }
  // Entries of the batch modes carry events.At(i); the Message modes stamp now (whole seconds, or an EventTime).
  const stamped = app.filter((r) => r.time.startsWith('2026-11-29T10:00:00.'));
  assert.equal(stamped.length, 90);
  for (const r of stamped) assert.equal(r.time.slice(0, 23), msOf(Number(r.attributes.seq)));
  const now = app.filter((r) => !r.time.startsWith('2026-11-29T10:00:00.'));
  assert.equal(now.length, 20);
  assert.ok(now.every((r) => Math.abs(Date.parse(r.time) - Date.now()) < 300_000));
  assert.equal(now.filter((r) => r.time.endsWith('.000Z')).length >= 10, true, 'whole seconds from SendMessage');

  const keyedRecords = records.filter((r) => r.service === 'keyed');
  assert.equal(keyedRecords.length, 12);
  assert.deepEqual(keyedRecords.map((r) => Number(r.attributes.seq)).sort((a, b) => a - b), [...Array(12).keys()]);
  assert.equal(keyed.stats.auth_failed, 2);
  assert.equal(threaded.stats.bad + keyed.stats.bad, 0);
  // One ack per Docker line and Message-mode event, one per batch message (packed was sent without).
  // And one per part of a long line (Docker's driver waits for each before the next).
  assert.equal(threaded.stats.acks, 30 + 14 + 10 + 10 + 1 + 1);
  assert.equal(counters.records, 150, 'the threaded source\'s records were built on its record thread');
});

test('fluent-forward-go over mutual TLS with the shared key: its events arrive acked; a sender without a certificate the CA signed is refused in the handshake', { timeout: 120_000 }, async () => {
  const bin = await senders();
  const certs = makeTestCerts();
  const brokers = await testBrokers();
  const topic = await createTestTopic('forward-tls');
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verifyClient: true, minVersion: 'TLSv1.2' as const };
  const source = new ForwardSource('fwd-tls', { mode: 'tcp', port: 0, maxMessageBytes: 8 * 1024 * 1024, hostName: 'agent-host', serviceFromMessage: true, service: 'secure', sharedKey: 'k3y', tls });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const at = `127.0.0.1:${source.port}`;
  const withCert = { ...process.env, FLUENT_TLS_CA: certs.ca, FLUENT_TLS_CERT: certs.clientCert, FLUENT_TLS_KEY: certs.clientKey };
  try {
    const { stdout } = await run(bin.ibm, [at, '25', '1', 'forward', 'k3y'], { timeout: 60_000, env: withCert });
    assert.equal(stdout.trim(), 'sent 25');
    // Another CA's certificate, none at all, and plain TCP: none gets as far as the handshake's HELO.
    await assert.rejects(run(bin.ibm, [at, '5', '1', 'forward', 'k3y'], { timeout: 60_000, env: { ...withCert, FLUENT_TLS_CERT: certs.otherClientCert, FLUENT_TLS_KEY: certs.otherClientKey } }));
    await assert.rejects(run(bin.ibm, [at, '5', '1', 'forward', 'k3y'], { timeout: 60_000, env: { ...process.env, FLUENT_TLS_CA: certs.ca } }));
    await assert.rejects(run(bin.ibm, [at, '5', '1', 'forward', 'k3y'], { timeout: 60_000 }));
  } finally {
    await agent.stop();
  }
  const records = await readLogs(topic, 25);
  assert.equal(records.length, 25);
  assert.deepEqual(records.map((r) => Number(r.attributes.seq)).sort((a, b) => a - b), [...Array(25).keys()]);
  for (const r of records) checkLine(r, Number(r.attributes.seq), `tls ${r.attributes.seq}`);
  assert.ok(records.every((r) => r.attributes['tls.client.subject'] === 'CN=sender-1'), 'who sent it, by its certificate');
  assert.equal(source.stats.tls_failed, 3);
  assert.equal(source.stats.auth_failed, 0, 'the refused senders never reached the shared-key handshake');
});

// ---------------------------------------------------------------------------------------------
// The protocol's rules, on bytes written here

/** MessagePack written here, independently of agents/sources/msgpack.ts: what a test message needs. */
class Ext {
  constructor(
    readonly type: number,
    readonly data: Buffer,
  ) {}
}
function mp(v: unknown): Buffer {
  if (v === null) return Buffer.from([0xc0]);
  if (v === true || v === false) return Buffer.from([v ? 0xc3 : 0xc2]);
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new Error('mp: small unsigned integers only');
    if (v < 128) return Buffer.from([v]);
    const b = Buffer.alloc(5);
    b[0] = 0xce;
    b.writeUInt32BE(v, 1);
    return b;
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v);
    const h = Buffer.alloc(5);
    h[0] = 0xdb;
    h.writeUInt32BE(s.length, 1);
    return Buffer.concat([h, s]);
  }
  if (Buffer.isBuffer(v)) {
    const h = Buffer.alloc(5);
    h[0] = 0xc6;
    h.writeUInt32BE(v.length, 1);
    return Buffer.concat([h, v]);
  }
  if (v instanceof Ext) return Buffer.concat([Buffer.from([0xc7, v.data.length, v.type]), v.data]);
  const items = Array.isArray(v) ? v : Object.entries(v as object).flat();
  const h = Buffer.alloc(5);
  h[0] = Array.isArray(v) ? 0xdd : 0xdf;
  h.writeUInt32BE(Array.isArray(v) ? v.length : items.length / 2, 1);
  return Buffer.concat([h, ...items.map(mp)]);
}
const eventTime = (sec: number, nsec: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(sec, 0);
  b.writeUInt32BE(nsec, 4);
  return new Ext(0, b);
};
const T0 = Date.UTC(2026, 11, 7, 8, 0, 0) / 1000;

/**
 * A stand-in for the sink (no Kafka): it keeps each batch and calls its onDelivered only when the test
 * says, which a real broker would do at once; the tests of acks need the batch held undelivered.
 */
function heldSink() {
  const batches: EventBatch[] = [];
  const ctx: SourceContext = { emit: async (b) => void batches.push(b), toRecord: createRecordBuilder(), redact: (r) => r, log: log('test') };
  const records = () => batches.flatMap((b) => b.events.map((e) => (e as { record: LogRecord }).record));
  return { ctx, batches, records, deliver: () => batches.forEach((b) => b.onDelivered?.()) };
}

const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function open(port: number): Promise<Socket & { got: Buffer[]; gone: Promise<void> }> {
  const s = connect({ port, host: '127.0.0.1' }) as Socket & { got: Buffer[]; gone: Promise<void> };
  s.got = [];
  s.on('data', (d: Buffer) => s.got.push(d));
  s.gone = new Promise((r) => s.once('close', () => r()));
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  return s;
}

test('acks are written once the batch is durable, not when it arrived; a chunk of no events waits for what came before', async () => {
  const sink = heldSink();
  const source = new ForwardSource('f', { mode: 'tcp', port: 0, maxMessageBytes: 1 << 20, service: 'svc', hostName: 'h' });
  await source.start(sink.ctx);
  const s = await open(source.port);
  try {
    s.write(mp(['app', T0, { message: 'one' }, { chunk: 'Y2h1bmsx' }]));
    s.write(mp(['app', [], { chunk: 'ZW1wdHk=' }]));
    await until('the batch', () => sink.batches.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(s.got, [], 'nothing acked before the sink says the batch is durable');
    sink.deliver();
    await until('both acks', () => Buffer.concat(s.got).length === 2 * 14);
    // {"ack": "Y2h1bmsx"} and {"ack": "ZW1wdHk="}, in order: 0x81, "ack", the chunk id.
    assert.deepEqual(Buffer.concat(s.got), Buffer.concat([Buffer.from([0x81, 0xa3]), Buffer.from('ack'), Buffer.from([0xa8]), Buffer.from('Y2h1bmsx'), Buffer.from([0x81, 0xa3]), Buffer.from('ack'), Buffer.from([0xa8]), Buffer.from('ZW1wdHk=')]));
  } finally {
    s.destroy();
    await source.stop();
  }
  assert.equal(sink.records().length, 1);
  assert.equal(sink.records()[0]!.time, '2026-12-07T08:00:00.000Z');
});

test('every mode from bytes cut at every byte; heartbeats; Fluent Bit\'s entries with metadata; Kubernetes fields; a record without a message field', async () => {
  const sink = heldSink();
  const source = new ForwardSource('f', { mode: 'tcp', port: 0, maxMessageBytes: 1 << 20, service: 'svc', hostName: 'h', serviceFromMessage: true });
  await source.start(sink.ctx);
  const kube = { pod_name: 'web-7d9f', namespace_name: 'shop', pod_id: '9f1c', container_name: 'web', container_image: 'shop/web:1.4', host: 'node-3', labels: { app: 'web', tier: 'front' }, annotations: { 'prometheus.io/scrape': 'true' } };
  const entries = [
    [eventTime(T0, 500_000_000), { log: 'I1207 08:00:00.500000 1 main.go:12] warming up\n', stream: 'stderr', kubernetes: kube }],
    // Fluent Bit 2.x: [[time, metadata], record]
    [[eventTime(T0 + 1, 0), { otlp: { trace_id: 'x' } }], { log: 'level=error msg="disk full" path=/data', kubernetes: kube }],
    // Nothing to call the message: the record as a JSON line.
    [T0 + 2, { level: 'warn', msg_text: 'no message key here', user: { id: 7 } }],
  ];
  const packed = Buffer.concat(entries.map(mp));
  const bytes = Buffer.concat([
    mp(null),
    mp(['k8s.web', entries]),
    mp(null),
    mp(['k8s.web', packed, { size: 3 }]),
    mp(['k8s.web', gzipSync(packed), { compressed: 'gzip', size: 3 }]),
    mp(['k8s.web', eventTime(T0 + 3, 1), { message: 'single' }]),
  ]);
  const s = await open(source.port);
  try {
    for (let i = 0; i < bytes.length; i++) {
      s.write(bytes.subarray(i, i + 1));
      // Let some single bytes arrive alone.
      if (i % 97 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await until('ten events', () => source.stats.events === 10);
  } finally {
    s.end();
    await source.stop();
  }
  assert.equal(source.stats.heartbeats, 2);
  assert.equal(source.stats.bad, 0);
  const records = sink.records();
  assert.equal(records.length, 10);
  for (const r of records.slice(0, 9)) assert.equal(r.attributes['fluent.tag'], 'k8s.web');
  for (const k of [0, 3, 6]) {
    const r = records[k]!;
    assert.equal(r.time, '2026-12-07T08:00:00.500Z', 'the event\'s time wins over the line\'s');
    assert.equal(r.body, 'warming up');
    assert.equal(r.severity_text, 'INFO', 'klog\'s I');
    assert.equal(r.attributes['k8s.pod.name'], 'web-7d9f');
    assert.equal(r.attributes['k8s.namespace.name'], 'shop');
    assert.equal(r.attributes['k8s.pod.uid'], '9f1c');
    assert.equal(r.attributes['k8s.container.name'], 'web');
    assert.equal(r.attributes['container.image.name'], 'shop/web:1.4');
    assert.equal(r.attributes['k8s.node.name'], 'node-3');
    assert.equal(r.attributes['k8s.pod.label.app'], 'web');
    assert.equal(r.attributes['k8s.pod.annotation.prometheus.io/scrape'], 'true');
    assert.equal(r.attributes.stream, 'stderr');
    assert.equal(r.service, 'web', 'the Kubernetes container\'s name (no Docker container name)');
    const m = records[k + 1]!;
    assert.equal(m.time, '2026-12-07T08:00:01.000Z');
    assert.equal(m.body, 'disk full');
    assert.equal(m.severity_text, 'ERROR');
    assert.equal(m.attributes.path, '/data');
    const j = records[k + 2]!;
    assert.equal(j.service, 'svc', 'no container named: the source\'s service');
    assert.equal(j.time, '2026-12-07T08:00:02.000Z', 'whole seconds');
    assert.equal(j.severity_text, 'WARN');
    assert.equal(j.attributes.msg_text, 'no message key here');
    assert.equal(j.attributes.user_id ?? j.attributes['user.id'], '7');
  }
  assert.equal(records[9]!.body, 'single');
  assert.equal(records[9]!.time.slice(0, 23), '2026-12-07T08:00:03.000');
});

test('Docker\'s long lines: parts joined by id, or by stream before Docker 19.03; stdout and stderr interleaved; an unfinished line shipped marked after the wait, at the connection\'s end, or past the size limit', async () => {
  const sink = heldSink();
  const source = new ForwardSource('f', { mode: 'tcp', port: 0, maxMessageBytes: 4096, service: 'svc', hostName: 'h', serviceFromMessage: true, partialWaitMs: 300 });
  await source.start(sink.ctx);
  const docker = (source: string, log: string, partial?: Record<string, string>) => ({ container_id: 'c0ffee', container_name: '/api', source, log, ...partial });
  const part = (id: string, ordinal: number, last: boolean) => ({ partial_message: 'true', partial_id: id, partial_ordinal: String(ordinal), partial_last: String(last) });
  const send = (s: Socket, t: number, record: object) => s.write(mp(['docker.api', T0 + t, record]));
  const s = await open(source.port);
  try {
    // Docker 19.03+: two lines under way at once, one per stream, their parts interleaved with a short line.
    send(s, 1, docker('stdout', '{"msg":"big one",', part('a1', 1, false)));
    send(s, 2, docker('stderr', 'ERROR second ', part('b2', 1, false)));
    send(s, 3, docker('stdout', 'a short line'));
    send(s, 4, docker('stdout', '"n":1}', part('a1', 2, true)));
    send(s, 5, docker('stderr', 'long line ends\n', part('b2', 2, true)));
    // Before 19.03: no id; every part but the last says partial_message, the last says nothing.
    send(s, 6, docker('stdout', 'old docker ', { partial_message: 'true' }));
    send(s, 7, docker('stdout', 'joined line', {}));
    // A record that is not Docker's with a field of that name: a line of its own.
    send(s, 8, { message: 'not docker', partial_message: 'true' });
    // A line whose last part never comes: shipped after the wait, marked log.partial.
    send(s, 9, docker('stdout', 'never ', part('c3', 1, false)));
    send(s, 9, docker('stdout', 'finished', part('c3', 2, false)));
    await until('six records', () => sink.records().length === 6, 5000);
    // Past the size limit: shipped as far as it came, marked.
    send(s, 10, docker('stdout', 'x'.repeat(3000), part('d4', 1, false)));
    send(s, 10, docker('stdout', 'y'.repeat(1200), part('d4', 2, false)));
    await until('seven records', () => sink.records().length === 7, 5000);
    // And one still in parts when the connection ends.
    send(s, 11, docker('stderr', 'cut off by the end', part('e5', 1, false)));
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    s.end();
    await s.gone;
    await source.stop();
  }
  const records = sink.records();
  assert.deepEqual(records.map((r) => [r.body, r.time.slice(11, 19), r.attributes['log.partial'] ?? '', r.attributes['log.iostream'] ?? '']), [
    ['a short line', '08:00:03', '', 'stdout'],
    ['big one', '08:00:01', '', 'stdout'],
    ['second long line ends', '08:00:02', '', 'stderr'],
    ['old docker joined line', '08:00:06', '', 'stdout'],
    ['not docker', '08:00:08', '', ''],
    ['never finished', '08:00:09', 'true', 'stdout'],
    ['x'.repeat(3000) + 'y'.repeat(1200), '08:00:10', 'true', 'stdout'],
    ['cut off by the end', '08:00:11', 'true', 'stderr'],
  ]);
  assert.equal(records[1]!.attributes.n, '1', 'the joined line parsed as JSON');
  assert.equal(records[2]!.severity_text, 'ERROR');
  assert.ok(records.every((r) => !('docker.partial_id' in r.attributes)));
  assert.equal(records[4]!.attributes.partial_message, 'true', 'not Docker\'s: its fields kept as they are');
  assert.equal(records[0]!.service, 'api');
  assert.deepEqual([source.stats.partial_parts, source.stats.partial_lines, source.stats.partial_unfinished], [11, 3, 3]);
  assert.equal(source.stats.events, 8);
});

test('what closes a connection, and what is kept or skipped: bytes that are no MessagePack, a message too large, a decompression bomb, a sender without the key', async () => {
  const sink = heldSink();
  const source = new ForwardSource('f', { mode: 'tcp', port: 0, maxMessageBytes: 4096, service: 'svc', hostName: 'h' });
  await source.start(sink.ctx);
  try {
    // The stream going on: a message that is no Forward message and an entry that is no [time, record] (kept), a bomb (skipped).
    const a = await open(source.port);
    a.write(Buffer.concat([mp([1, 2]), mp(['t', [[T0, 'not a record'], [T0, { message: 'kept 1' }]]]), mp(['t', gzipSync(Buffer.alloc(100_000)), { compressed: 'gzip' }]), mp(['t', T0, { message: 'kept 2' }])]));
    await until('the two events', () => sink.records().length === 4);
    assert.equal(source.stats.bad, 2);
    assert.equal(source.stats.too_large, 1);
    assert.equal(a.destroyed, false);
    a.destroy();
    // Closed: the one byte MessagePack leaves unused (nothing after it can be framed).
    const b = await open(source.port);
    b.write(Buffer.from([0xc1, 0x90]));
    await b.gone;
    assert.equal(source.stats.bad, 3);
    // Closed: a message past max_message_bytes, declared (4 GB of array) or sent.
    const c = await open(source.port);
    c.write(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]));
    c.write(Buffer.alloc(5000, 0xc0));
    await c.gone;
    const d = await open(source.port);
    d.write(mp(['t', T0, { message: 'x'.repeat(5000) }]));
    await d.gone;
    assert.equal(source.stats.too_large, 3);
  } finally {
    await source.stop();
  }
  // What decoded but is no Forward message or entry is kept, as its JSON with the reason.
  const kept = sink.records();
  assert.deepEqual(kept.map((r) => r.body), ['[1,2]', `[${T0},"not a record"]`, 'kept 1', 'kept 2']);
  assert.equal(kept[0]!.attributes['tributary.intake.error'], 'a message that is not an array of a tag and events');
  assert.equal(kept[1]!.attributes['tributary.intake.error'], 'an entry that is not [time, record]');
  assert.equal(kept[1]!.attributes['fluent.tag'], 't');
  assert.equal(kept[2]!.attributes['tributary.intake.error'], undefined);

  const keyed = new ForwardSource('k', { mode: 'tcp', port: 0, maxMessageBytes: 4096, service: 'svc', hostName: 'h', sharedKey: 'k' });
  const sink2 = heldSink();
  await keyed.start(sink2.ctx);
  try {
    const e = await open(keyed.port);
    await until('HELO', () => e.got.length > 0);
    e.write(mp(['t', T0, { message: 'without the handshake' }]));
    await e.gone;
    assert.equal(keyed.stats.auth_failed, 1);
    assert.equal(keyed.stats.events, 0);
  } finally {
    await keyed.stop();
  }
  assert.equal(sink2.records().length, 0);
});

test('EventTime, whole seconds and Fluent Bit\'s [time, metadata] as milliseconds; anything else is no time', () => {
  const t = eventTime(1764410400, 123456789).data;
  assert.equal(forwardTimeMs(new MsgpackExt(0, t)), 1764410400123.4568);
  assert.equal(forwardTimeMs([new MsgpackExt(0, t), { x: 1 }]), 1764410400123.4568);
  assert.equal(forwardTimeMs(1764410400), 1764410400000);
  for (const bad of [new MsgpackExt(1, t), new MsgpackExt(0, t.subarray(0, 4)), 'now', -1, null, [], {}]) assert.ok(Number.isNaN(forwardTimeMs(bad as never)), String(bad));
});

test('the config: listens on loopback by default; beyond it only with a shared key from the environment or allow_unauthenticated', () => {
  const cfg = validateAgentConfig({ sources: { f: { type: 'forward' } } }, { env: {} });
  assert.deepEqual(cfg.sources.f, { type: 'forward', listen: '127.0.0.1:24224', max_connections: 1000, max_message_bytes: 8 * 1024 * 1024, allow_unauthenticated: false, attributes: {}, parser: { type: 'auto' }, time_zone: 'UTC', filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
  assert.throws(() => validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224' } } }, { env: {} }), /sources\.f\.shared_key_env: is required when listening on a non-loopback address \(0\.0\.0\.0:24224\)/);
  assert.throws(() => validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224', shared_key_env: 'FLUENT_KEY' } } }, { env: {} }), /environment variable FLUENT_KEY is not set/);
  validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224', shared_key_env: 'FLUENT_KEY' } } }, { env: { FLUENT_KEY: 'k' } });
  validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224', allow_unauthenticated: true } } }, { env: {} });
  assert.throws(() => validateAgentConfig({ sources: { a: { type: 'forward' }, b: { type: 'forward' } } }, { env: {} }), /tcp 127\.0\.0\.1:24224 is already used by source a/);
});
