// The network intake's framing and its bounds (agents/sources/listener.ts). Framing is pure; the bounds
// are checked with real sockets against a sink context whose emit the test holds (a test double of
// the sink: the point is what the intake does while the sink has no room, which a real broker does
// not produce on demand; the path into Kafka is in syslog.test.ts and gelf.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { StreamFramer } from '../../../agents/sources/listener.ts';
import { SyslogSource } from '../../../agents/sources/syslog.ts';
import { readFileSync } from 'node:fs';
import { createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import type { LogRecord } from '../../../core/contracts/records.ts';
import type { EventBatch, SourceContext } from '../../../agents/source.ts';
import { log } from '../../../core/log.ts';

const stats = () => ({ truncated: 0, incomplete: 0 });

function frameAll(bytes: Buffer, cuts: number[], max = 1024, octetCounting = true): { messages: string[]; stats: ReturnType<typeof stats> } {
  const s = stats();
  const f = new StreamFramer(max, s, { octetCounting });
  const messages: string[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    messages.push(...f.push(bytes.subarray(from, cut)));
    from = cut;
  }
  messages.push(...f.end());
  return { messages, stats: s };
}

test('counted and line-ended messages in one stream come out the same wherever the stream is cut', () => {
  const msgs = ['<13>1 2026-11-29T06:00:00Z h app - - - counted, with a\nnewline inside', '<14>Nov 29 06:00:01 h app: ended by LF', '<15>Nov 29 06:00:02 h app: ended by CR LF', '2026-11-29 06:00:03 a line that starts with digits and a space', '<11>Nov 29 06:00:04 h app: ended by NUL', '<12>1 2026-11-29T06:00:05Z h app - - - counted: ünïcödé'];
  const counted = (m: string) => `${Buffer.byteLength(m)} ${m}`;
  const stream = Buffer.from(counted(msgs[0]!) + msgs[1] + '\n' + msgs[2] + '\r\n' + msgs[3] + '\n' + msgs[4] + '\0' + counted(msgs[5]!));
  const whole = frameAll(stream, []);
  assert.deepEqual(whole.messages, msgs);
  for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(frameAll(stream, [cut]).messages, msgs, `cut at ${cut}`);
  for (let cut = 1; cut + 7 < stream.length; cut += 3) assert.deepEqual(frameAll(stream, [cut, cut + 1, cut + 7]).messages, msgs, `cuts at ${cut}`);
});

test('each message\'s text is what decoding its own bytes gives: ASCII chunks, multi-byte characters, invalid bytes, cut anywhere', () => {
  // One frame per part; the expected text of each is its bytes decoded alone (invalid bytes as U+FFFD).
  const parts = [Buffer.from('<13>plain ascii'), Buffer.from('<14>ünïcödé and 日本語'), Buffer.from([0x3c, 0x31, 0x3e, 0x62, 0x61, 0x64, 0xff, 0xfe, 0x20, 0xc3]), Buffer.from('<15>after the bad ones')];
  const expected = parts.map((p) => p.toString('utf8'));
  const stream = Buffer.concat(parts.flatMap((p, i) => [p, Buffer.from(i % 2 ? '\r\n' : '\n')]));
  for (let cut = 0; cut < stream.length; cut++) assert.deepEqual(frameAll(stream, cut ? [cut] : []).messages, expected, `cut at ${cut}`);
  // All ASCII but for one invalid byte: each byte is one character, and slices of the chunk's text are used.
  const oneBad = Buffer.concat([Buffer.from('<1>a\n<2>b'), Buffer.from([0x80]), Buffer.from('c\n<3>d\n')]);
  assert.deepEqual(frameAll(oneBad, []).messages, ['<1>a', '<2>b\ufffdc', '<3>d']);
});

test('without octet counting (GELF over TCP) a leading number is part of the message', () => {
  assert.deepEqual(frameAll(Buffer.from('12 <a>\0{"x":1}\n'), [], 1024, false).messages, ['12 <a>', '{"x":1}']);
});

test('a message over the bound is cut there and the rest of it skipped, in both framings; the next one is whole', () => {
  const long = 'x'.repeat(300);
  const stream = Buffer.from(`<1>${long}\n<2>next\n309 <3>${'y'.repeat(306)}<4>after\n`);
  const r = frameAll(stream, [50, 200, 320, 400], 100);
  assert.deepEqual(r.messages, [`<1>${long}`.slice(0, 100), '<2>next', `<3>${'y'.repeat(306)}`.slice(0, 100), '<4>after']);
  assert.equal(r.stats.truncated, 2);
});

test('a counted message cut short by the close is kept as far as it came and counted', () => {
  const r = frameAll(Buffer.from('100 <13>1 - h app - - - only part of it'), [10]);
  assert.deepEqual(r.messages, ['<13>1 - h app - - - only part of it']);
  assert.equal(r.stats.incomplete, 1);
  assert.deepEqual(frameAll(Buffer.from('<13>no newline at the end'), []).messages, ['<13>no newline at the end']);
});

/** A sink context whose emits wait until the test lets them go. */
function heldSink() {
  const batches: EventBatch[] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const ctx: SourceContext = {
    emit: async (b) => {
      batches.push(b);
      await gate;
    },
    toRecord: createRecordBuilder(),
    redact: (r) => r,
    log: log('test'),
  };
  return {
    ctx,
    batches,
    open: () => {
      release();
      gate = Promise.resolve();
    },
  };
}

const until = async (what: string, cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('over TCP a sender is slowed while the sink has no room, and nothing it sent is lost', async () => {
  const sink = heldSink();
  const source = new SyslogSource('s', { mode: 'tcp', port: 0, maxMessageBytes: 1024, service: 's', hostName: 'h', maxBatchLines: 100 });
  await source.start(sink.ctx);
  const socket = connect(source.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const line = `<13>Nov 29 06:00:00 h app: ${'z'.repeat(200)}\n`;
  // About 22 MB handed to the socket at once: far more than the kernel's buffers hold.
  const written = 100_000;
  for (let i = 0; i < written; i++) socket.write(line);
  await new Promise((r) => setTimeout(r, 1000));
  const taken = source.stats.messages;
  assert.ok(taken < written, `the intake stopped reading (${taken} of ${written} taken)`);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(source.stats.messages, taken, 'and stays stopped while the sink holds');
  assert.ok(socket.writableLength > 0, 'the rest waits at the sender');
  sink.open();
  socket.end();
  await until('every message', () => sink.batches.reduce((n, b) => n + b.events.length, 0) === written);
  await source.stop();
  assert.equal(sink.batches.reduce((n, b) => n + b.events.length, 0), written);
});

test('over UDP, which cannot be slowed, datagrams beyond the bound are dropped and counted', async () => {
  const sink = heldSink();
  const source = new SyslogSource('s', { mode: 'udp', port: 0, maxMessageBytes: 1024, service: 's', hostName: 'h', maxBatchLines: 10, maxPending: 50 });
  await source.start(sink.ctx);
  const client = createSocket('udp4');
  for (let i = 0; i < 200; i++) {
    await new Promise<void>((r) => client.send(`<13>Nov 29 06:00:00 h app: datagram ${i}`, source.port, '127.0.0.1', () => r()));
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await until('the datagrams', () => source.stats.messages + source.stats.dropped === 200);
  assert.ok(source.stats.dropped > 0 && source.stats.messages <= 50, `${source.stats.messages} held, ${source.stats.dropped} dropped`);
  sink.open();
  await source.stop();
  client.close();
  assert.equal(sink.batches.reduce((n, b) => n + b.events.length, 0), source.stats.messages, 'what was held reached the sink');
});

test('over TCP, connections beyond max_connections are closed at once and counted; the open ones go on', { timeout: 20_000 }, async () => {
  const sink = heldSink();
  sink.open();
  const source = new SyslogSource('s', { mode: 'tcp', port: 0, maxMessageBytes: 1024, service: 's', hostName: 'h', maxConnections: 2 });
  await source.start(sink.ctx);
  const open = async () => {
    const c = connect(source.port, '127.0.0.1');
    await new Promise((r) => c.once('connect', r));
    return c;
  };
  const a = await open();
  const b = await open();
  await until('two connections', () => source.stats.connections === 2);
  const c = await open();
  await new Promise((r) => c.once('close', r));
  assert.equal(source.stats.refused_connections, 1, 'the third was closed');
  a.write('<13>Nov 29 06:00:00 h app: from a\n');
  b.end('<13>Nov 29 06:00:00 h app: from b\n');
  await until('both messages', () => source.stats.messages === 2);
  a.destroy();
  await source.stop();
  assert.deepEqual(sink.batches.flatMap((x) => x.events.map((e) => (e.type === 'log' ? e.record.body : ''))).sort(), ['from a', 'from b']);
});

test('batches built on a record thread, or here with its encoding, give the records built one by one: real syslog from two senders, app names as services, redaction', { timeout: 60_000 }, async () => {
  // Loghub's Linux, OpenSSH and Mac lines (RFC 3164 as written, some with `<PRI>` added), RFC 5424
  // messages with JSON, logfmt and a secret inside, from 127.0.0.1 and 127.0.0.2 interleaved.
  const fixture = (p: string) => readFileSync(new URL(`../../fixtures/${p}`, import.meta.url), 'utf8').split('\n').filter(Boolean).slice(0, 400);
  const lines = [...fixture('loghub-2k/Linux/Linux_2k.log'), ...fixture('loghub-2k-more/OpenSSH/OpenSSH_2k.log'), ...fixture('loghub-2k-more/Mac/Mac_2k.log')].map((l, i) => (i % 3 === 0 ? `<${(i % 24) * 8 + (i % 8)}>${l}` : l));
  for (let i = 0; i < 300; i++) {
    lines.splice(i * 4, 0, i % 2
      ? `<165>1 2026-12-06T10:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}Z web-${i % 3} checkout 42 ID${i} [order@32473 id="${i}"] {"level":"warn","msg":"card declined","order":${i},"password":"hunter${i}"}`
      : `<14>1 2026-12-06T10:01:00Z - - - - - ts=2026-12-06T10:01:00Z level=error msg="query failed" q=${i} token=abc${i}def`);
  }
  const counters = newCounters();
  let mixed = 0;
  const built = async (pool: RecordPool | undefined): Promise<LogRecord[]> => {
    const sink = heldSink();
    sink.open();
    const source = new SyslogSource('s', {
      mode: 'tcp', port: 0, maxMessageBytes: 64 * 1024, service: 'network', hostName: 'agent-host', serviceFromMessage: true, maxBatchLines: 1000,
      toRecord: createRecordBuilder(counters, { parser: { type: 'auto' }, source: 's' }),
      ...(pool ? { threads: { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 's' }) } } : {}),
    });
    await source.start(sink.ctx);
    const a = connect({ port: source.port, host: '127.0.0.1', localAddress: '127.0.0.1' });
    const b = connect({ port: source.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    await Promise.all([a, b].map((s) => new Promise((r) => s.once('connect', r))));
    // Each sender's messages in order; the two interleave in the batches.
    for (let i = 0; i < lines.length; i++) (i % 5 < 3 ? a : b).write(`${lines[i]}\n`);
    await Promise.all([a, b].map((s) => new Promise<void>((r) => s.end(() => r()))));
    await until('every message', () => source.stats.messages === lines.length);
    await source.stop();
    const records: LogRecord[] = [];
    for (const batch of sink.batches) {
      const own: LogRecord[] = batch.events.map((e) => (e as { record: LogRecord }).record);
      const enc = batch.encoded;
      if (enc) for (let i = 0; i < enc.count; i++) own.push(JSON.parse(enc.values.toString('utf8', enc.starts[i], enc.ends[i])) as LogRecord);
      if (new Set(own.map((r) => r.attributes['network.peer.address'])).size > 1) mixed++;
      records.push(...own);
    }
    if (pool) assert.ok(sink.batches.every((x) => x.encoded && x.events.length === 0), 'every batch was encoded by the pool');
    // Compared as JSON, without the time of reading (nor a time taken from it), and in each sender's
    // order (their interleaving is the kernel's).
    const now = Date.now();
    return records.map(({ observed_time: _o, ...r }) => JSON.parse(JSON.stringify({ ...r, time: Math.abs(Date.parse(r.time) - now) < 120_000 ? 'now' : r.time })) as LogRecord).sort((x, y) => (x.attributes['network.peer.address']! < y.attributes['network.peer.address']! ? -1 : x.attributes['network.peer.address']! > y.attributes['network.peer.address']! ? 1 : x.origin.offset! - y.origin.offset!));
  };
  const oneByOne = await built(undefined);
  assert.equal(oneByOne.length, lines.length);
  assert.ok(new Set(oneByOne.map((r) => r.attributes['network.peer.address'])).size === 2, 'two senders');
  assert.ok(mixed > 0, 'a batch holds messages of both');
  assert.ok(oneByOne.some((r) => r.service === 'checkout') && oneByOne.some((r) => r.service === 'sshd'), 'app names as services');
  assert.ok(oneByOne.every((r) => !/hunter\d|abc\d+def/.test(JSON.stringify(r))), 'secrets redacted');
  for (const threads of [1, 0]) {
    const pool = new RecordPool({ threads, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
    try {
      const got = await built(pool);
      // Sequence numbers are per source run: each run starts at 0, as the one-by-one run did.
      assert.deepEqual(got, oneByOne, `threads ${threads}`);
    } finally {
      await pool.close();
    }
  }
});
