// The GELF intake (agents/sources/gelf.ts): a real client, gelf-pro 1.4 (zlib-compressed and always
// chunked over UDP, NUL-ended over TCP), through the agent into a real Kafka topic; then the protocol's
// own rules on datagrams built here as Graylog's documentation describes them (gzip, chunks out of
// order and repeated, a chunk never sent, a decompression bomb, a broken header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { deflateSync, gzipSync } from 'node:zlib';
import { Agent } from '../../../agents/agent.ts';
import { GelfSource, gelfProtocol, GELF_CHUNK_TIMEOUT_MS } from '../../../agents/sources/gelf.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { readLogs } from '../harness.ts';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import type { LogRecord } from '../../../core/contracts/records.ts';
import { log } from '../../../core/log.ts';

interface GelfClient {
  setConfig(conf: object): GelfClient;
  message(text: string, level: number, extra: object, cb: (err: Error | null, bytes: number) => void): void;
  adapter?: unknown;
  config: object;
}
const gelfPro = createRequire(import.meta.url)('gelf-pro') as GelfClient;

/** A gelf-pro client of its own (the module is a singleton) sending to the port with the adapter. */
function client(adapterName: 'udp' | 'tcp', port: number): GelfClient {
  const c = Object.create(gelfPro) as GelfClient;
  c.adapter = undefined;
  c.config = gelfPro.config;
  return c.setConfig({ adapterName, adapterOptions: { host: '127.0.0.1', port, ...(adapterName === 'udp' ? { protocol: 'udp4' } : {}) }, fields: { service: 'shop', env: 'test' } });
}

const send = (c: GelfClient, text: string, level: number, extra: object = {}) =>
  new Promise<void>((resolve, reject) => c.message(text, level, extra, (err) => (err ? reject(err) : resolve())));

await testBrokers();

test('gelf-pro over UDP (zlib, chunked, a message of many chunks) and over TCP: records with the message\'s fields', async () => {
  const brokers = await testBrokers();
  const topic = await createTestTopic('gelf');
  const udp = new GelfSource('gelf-udp', { mode: 'udp', port: 0, maxMessageBytes: 1024 * 1024, service: 'gelf', hostName: 'agent-host', serviceFromMessage: true });
  const tcp = new GelfSource('gelf-tcp', { mode: 'tcp', port: 0, maxMessageBytes: 1024 * 1024, service: 'gelf', hostName: 'agent-host', serviceFromMessage: true });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [udp, tcp], selfMetrics: false });
  await agent.start();
  // Random text does not compress: about 60 KB takes some 45 chunks of gelf-pro's 1388 bytes.
  const trace = randomBytes(45_000).toString('base64');
  try {
    const u = client('udp', udp.port);
    await send(u, 'order 42 refused', 3, { order: { id: 42 }, full_message: trace });
    for (let i = 0; i < 20; i++) await send(u, `udp message ${i}`, 6);
    const t = client('tcp', tcp.port);
    for (let i = 0; i < 20; i++) await send(t, `tcp message ${i}`, 7, { request_id: `r${i}` });
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await agent.stop();
  }
  const records = await readLogs(topic, 41);
  assert.equal(records.length, 41);
  const big = records.find((r) => r.body === 'order 42 refused')!;
  assert.ok(big, 'the chunked message was joined');
  assert.equal(big.attributes.full_message, trace);
  assert.equal(big.severity_text, 'ERR');
  assert.equal(big.service, 'shop', 'the message\'s _service');
  assert.equal(big.attributes.order_id, '42');
  assert.equal(big.attributes.env, 'test');
  assert.equal(big.origin.kind, 'gelf');
  assert.equal(big.attributes['network.peer.address'], '127.0.0.1');
  assert.notEqual(big.host, 'agent-host', 'the host the message names');
  assert.equal(records.filter((r) => r.body.startsWith('udp message ')).length, 20);
  const viaTcp = records.filter((r) => r.body.startsWith('tcp message '));
  assert.equal(viaTcp.length, 20);
  assert.ok(viaTcp.every((r) => r.severity_text === 'DEBUG' && /^r\d+$/.test(r.attributes.request_id!)));
  assert.ok(udp.stats.bytes > 45_000 && udp.stats.bad === 0 && udp.stats.incomplete === 0);
  assert.equal(tcp.stats.connections, 20);
});

/** The chunks of `payload` as GELF's chunked datagrams, `size` bytes of payload each. */
function chunks(payload: Buffer, size: number, id = randomBytes(8)): Buffer[] {
  const count = Math.ceil(payload.length / size);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.concat([Buffer.from([0x1e, 0x0f]), id, Buffer.from([i, count]), payload.subarray(i * size, (i + 1) * size)]));
  return out;
}

const message = (text: string) => JSON.stringify({ version: '1.1', host: 'h', short_message: text });

test('a datagram holds a plain, gzip or zlib message; chunks join in any order, a repeated chunk counts once', () => {
  const p = gelfProtocol(1024 * 1024);
  try {
    assert.deepEqual(p.datagram(Buffer.from(message('plain') + '\n'), 'a'), [message('plain')]);
    assert.deepEqual(p.datagram(gzipSync(message('gzip')), 'a'), [message('gzip')]);
    assert.deepEqual(p.datagram(deflateSync(message('zlib')), 'a'), [message('zlib')]);
    const text = message('x'.repeat(5000));
    const parts = chunks(gzipSync(Buffer.from(text)), 7);
    assert.ok(parts.length > 3);
    const shuffled = [parts[2]!, parts[0]!, parts[0]!, ...parts.slice(3).reverse()];
    for (const d of shuffled) assert.deepEqual(p.datagram(d, 'a'), []);
    assert.deepEqual(p.datagram(parts[1]!, 'a'), [text], 'the last chunk completes it');
    // The same id from another sender is another message.
    const id = randomBytes(8);
    const [a0, a1] = chunks(Buffer.from(message('from a')), 40, id);
    const [b0, b1] = chunks(Buffer.from(message('from b')), 40, id);
    assert.deepEqual([...p.datagram(a0!, 'a'), ...p.datagram(b1!, 'b'), ...p.datagram(b0!, 'b'), ...p.datagram(a1!, 'a')], [message('from b'), message('from a')]);
    // A chunk with nothing after its header, as a client writes when the message fills its last chunk exactly.
    const exact = Buffer.from(message('exact'));
    const id2 = randomBytes(8);
    const withEmpty = [...chunks(exact, exact.length, id2).map((c) => Buffer.concat([c.subarray(0, 11), Buffer.from([2]), c.subarray(12)])), Buffer.concat([Buffer.from([0x1e, 0x0f]), id2, Buffer.from([1, 2])])];
    assert.deepEqual([...p.datagram(withEmpty[0]!, 'a'), ...p.datagram(withEmpty[1]!, 'a')], [message('exact')]);
    assert.equal(p.stats.bad, 0);
  } finally {
    p.close!();
  }
});

test('chunks still missing after the timeout drop their message, counted; bombs and broken headers are counted, not read', () => {
  let now = 1_000_000;
  const p = gelfProtocol(64 * 1024, () => now);
  try {
    const parts = chunks(Buffer.from(message('never whole')), 20);
    p.datagram(parts[0]!, 'a');
    now += GELF_CHUNK_TIMEOUT_MS + 1;
    p.expire();
    assert.equal(p.stats.incomplete, 1);
    // The rest arrives too late: it starts a new message that never completes.
    for (const d of parts.slice(1)) assert.deepEqual(p.datagram(d, 'a'), []);
    // 10 MB of zeros compress to about 10 KB; decompressing past the bound stops there.
    assert.deepEqual(p.datagram(gzipSync(Buffer.alloc(10 * 1024 * 1024)), 'a'), []);
    assert.equal(p.stats.too_large, 1);
    assert.deepEqual(p.datagram(Buffer.from([0x1e, 0x0f, 1, 2, 3]), 'a'), [], 'a header cut short');
    assert.deepEqual(p.datagram(Buffer.concat([Buffer.from([0x1e, 0x0f]), randomBytes(8), Buffer.from([5, 3]), Buffer.from('x')]), 'a'), [], 'chunk 5 of 3');
    assert.deepEqual(p.datagram(Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(30)]), 'a'), [], 'not gzip after all');
    assert.equal(p.stats.bad, 3);
  } finally {
    p.close!();
  }
});

test('GELF built on a record thread gives the records built one by one: gelf-pro over TCP, Docker\'s fields, redaction', async () => {
  const brokers = await testBrokers();
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const run = async (threaded: boolean): Promise<LogRecord[]> => {
    const topic = await createTestTopic('gelf-pool');
    const source = new GelfSource('gelf', {
      mode: 'tcp', port: 0, maxMessageBytes: 1024 * 1024, service: 'gelf', hostName: 'agent-host', serviceFromMessage: true,
      toRecord: createRecordBuilder(counters, { parser: { type: 'auto' }, source: 'gelf' }),
      ...(threaded ? { threads: { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 'gelf' }) } } : {}),
    });
    const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
    await agent.start();
    try {
      const c = client('tcp', source.port);
      for (let i = 0; i < 300; i++) {
        // Docker's gelf driver's fields on two of three; a secret to redact on some.
        const docker = i % 3 ? { container_name: `web-${i % 4}`, container_id: 'c'.repeat(64), image_name: 'shop/web:1.2' } : {};
        await send(c, i % 5 === 0 ? `login for user ${i} password=hunter${i}` : `request ${i} served`, i % 8, { ...docker, request_id: `r${i}`, latency_ms: i % 90 });
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await agent.stop();
    }
    const now = Date.now();
    return (await readLogs(topic, 300)).map(({ observed_time: _o, ...r }) => ({ ...r, time: Math.abs(Date.parse(r.time) - now) < 120_000 ? 'now' : r.time }) as LogRecord).sort((a, b) => a.origin.offset! - b.origin.offset!);
  };
  try {
    const oneByOne = await run(false);
    assert.equal(oneByOne.length, 300);
    assert.ok(oneByOne.every((r) => r.service === 'shop') && oneByOne.some((r) => r.attributes['container.name'] === 'web-1'), 'the message\'s own _service, Docker\'s fields as attributes');
    assert.ok(oneByOne.every((r) => !/hunter\d/.test(JSON.stringify(r))), 'secrets redacted');
    assert.deepEqual(await run(true), oneByOne);
  } finally {
    await pool.close();
  }
});
