import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLine } from '../../bench/agent.ts';
import { createRecordBuilder, newCounters, type BuiltCounters, type RecordBuilderOptions } from '../../agents/record-builder.ts';
import { batchTexts, encodeLines, joinLines, lineText, RecordPool, SERIALISE_RUN, serialiseRecords, SPARE_BUFFERS, SPARE_MIN_BYTES, ThreadBuffers, type EncodedLogs, type LineBatch } from '../../agents/record-pool.ts';
import { LineSplitter } from '../../agents/transforms/line-splitter.ts';
import { MultilineAssembler } from '../../agents/transforms/multiline.ts';
import { logWire } from '../../agents/sinks/log-wire.ts';
import { log } from '../../core/log.ts';
import { type LogRecord } from '../../core/contracts/records.ts';
import { type LogEncoding } from '../../core/contracts/topics.ts';

const loghub = fileURLToPath(new URL('../fixtures/loghub-2k', import.meta.url));

/** Real lines: every Loghub system's 2k sample, the bench's mix, and lines that take the rarer paths. */
function corpus(): string[][] {
  const systems = readdirSync(loghub).filter((d) => !d.includes('.') && d !== 'LICENSE');
  const batches = systems.map((s) => readFileSync(join(loghub, s, `${s}_2k.log`), 'utf8').split('\n').filter(Boolean));
  batches.push(Array.from({ length: 2000 }, (_, i) => benchLine(i).slice(0, -1)));
  // What separates two records in a batch's JSON, inside records: escaped there, so never a boundary.
  batches.push(['tricky },{"v":1,"time":"x"} body', '{"v":2,"msg":"a JSON line whose first key is v"}', 'level=info v=3 msg="},{\\"v\\":"']);
  batches.push([
    'naïve café — 東京 ✓ level=warn password=hunter2 user=ana@example.com',
    JSON.stringify({ level: 'error', msg: 'traced', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', card: '4111 1111 1111 1111' }),
    'x'.repeat(5000),
    '\u0000control\u001f chars "quoted" \\ back',
  ]);
  // Fractions below the millisecond (a record's Kafka timestamp is its time in whole milliseconds, never rounded up).
  batches.push(['2026-11-29T12:00:00.123789Z INFO micro', '2026-11-29T12:00:00.999999999Z WARN nano', '2026-11-29 12:00:00,5 ERROR comma', JSON.stringify({ time: 1795968000123.7, msg: 'epoch ms with a fraction' }), 'ts=2026-11-29T12:00:00.000600Z level=info msg=x']);
  return batches;
}

// The third reads each syslog line's program as its service, so keys change within a batch (Loghub Linux, Mac, ...).
const builderOptions: RecordBuilderOptions[] = [{ source: 'a' }, { source: 'b', parser: 'plain', redaction: { disabled: ['email'] } }, { source: 'c', parser: 'syslog' }];

function batchOf(texts: string[], builder: number): LineBatch {
  let offset = 0;
  const starts = texts.map((t) => ((offset += Buffer.byteLength(t) + 1), offset - Buffer.byteLength(t) - 1));
  return { builder, ...joinLines(texts), starts, path: '/var/log/app.log', fingerprint: '1:2:abc:64', service: 'svc', host: 'h1', observedMs: Date.UTC(2026, 10, 29, 12), attributes: { team: 'core' }, lineAttributes: [[1, { 'log.truncated': 'true' }]] };
}

/** What the sink makes of these lines on the main thread, record by record. */
function mainThread(counters: BuiltCounters, b: LineBatch, maxRecordBytes: number, encoding: LogEncoding = 'json'): { values: Buffer[]; keys: string[]; times: number[]; traces: Array<[number, string]>; truncated: number } {
  const build = createRecordBuilder(counters, builderOptions[b.builder]);
  const out = { values: [] as Buffer[], keys: [] as string[], times: [] as number[], traces: [] as Array<[number, string]>, truncated: 0 };
  Array.from(b.textEnds, (_, i) => lineText(b, i)).forEach((text, i) => {
    const own = b.lineAttributes?.find(([j]) => j === i)?.[1];
    const r: LogRecord = build({ text, origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs, attributes: { ...b.attributes, ...own } });
    const w = logWire(r, 'service_host', maxRecordBytes, encoding);
    out.values.push(Buffer.from(w.value));
    out.keys.push(w.key);
    out.times.push(w.timestampMs);
    if (r.trace_id && r.span_id) out.traces.push([i, `00-${r.trace_id}-${r.span_id}-01`]);
    if (w.truncatedFrom !== undefined) out.truncated++;
  });
  return out;
}

function unpack(e: Pick<EncodedLogs, 'count' | 'starts' | 'ends' | 'keys' | 'keyOf' | 'times'> & { values: Buffer }): { values: Buffer[]; keys: string[]; times: number[] } {
  const values: Buffer[] = [];
  for (let i = 0; i < e.count; i++) values.push(e.values.subarray(e.starts[i], e.ends[i]));
  return { values, keys: Array.from(e.keyOf, (k) => e.keys[k]!), times: Array.from(e.times) };
}

test('texts made on a thread from a batch\'s bytes are those the line splitter and multiline assembler make: CRLF, blank lines, traces, broken and multi-byte UTF-8, no final newline', () => {
  const pieces = [
    'plain\n', 'crlf line\r\n', 'two CRs\r\r\n', 'a CR \r inside\n', '\n', '\n', 'after blanks\n',
    '2026-11-24 10:00:01,123 ERROR [main] c.e.Pay - failed\r\njava.lang.IllegalStateException: declined\r\n\tat c.e.Pay.go(Pay.java:42)\r\n\r\n\r\n',
    'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nValueError: bad\n\n',
    'naïve café — 東京 ✓ 😀\n', 'a lone CR at the end\r',
  ];
  const bytes = [Buffer.from(pieces.join('')), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x20, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98, 0x0d, 0x0a, 0x6f, 0x6b, 0x0a])];
  // Loghub's own lines, and all of the above in every order of two.
  bytes.push(readFileSync(join(loghub, 'Linux', 'Linux_2k.log')), ...pieces.map((a) => Buffer.from(pieces.map((b) => a + b).join(''))));
  let checked = 0;
  for (const content of bytes) {
    const splitter = new LineSplitter({}, 0);
    const assembler = new MultilineAssembler();
    const records = [...splitter.push(content, 0), ...splitter.flush()].flatMap((l) => assembler.push(l, 0));
    records.push(...assembler.flush());
    // Every run of back-to-back records as one batch of bytes, as the file source sends it to a thread.
    const starts = records.map((r) => r.start);
    const texts = batchTexts({ text: '', textEnds: new Uint32Array(0), starts, bytes: content.subarray(starts[0], records.at(-1)!.end) });
    assert.deepEqual(texts, records.map((r) => r.text));
    // And cut anywhere: a batch may start and end at any record.
    for (let from = 1; from < records.length; from += 7) {
      const to = Math.min(records.length, from + 3);
      const part = batchTexts({ text: '', textEnds: new Uint32Array(0), starts: starts.slice(from, to), bytes: content.subarray(starts[from], records[to - 1]!.end) });
      assert.deepEqual(part, records.slice(from, to).map((r) => r.text));
      // And a run of the whole batch's lines, as encodeLines asks for them.
      assert.deepEqual(batchTexts({ text: '', textEnds: new Uint32Array(0), starts, bytes: content.subarray(starts[0], records.at(-1)!.end) }, from, to), records.slice(from, to).map((r) => r.text));
    }
    checked += records.length;
  }
  assert.ok(checked > 2000);
});

test('a batch serialised at once finds every record in its JSON, ASCII or not (the fast path, not the fallback record by record)', () => {
  for (const [n, texts] of corpus().entries()) {
    const build = createRecordBuilder(newCounters(), builderOptions[0]);
    const b = batchOf(texts, 0);
    const records = texts.map((text, i) => build({ text, origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs }));
    const got = serialiseRecords(records, 1 << 20);
    assert.ok(got, `batch ${n}: fell back to record by record`);
    const buf = Buffer.from(got.values);
    records.forEach((r, i) => assert.equal(buf.toString('utf8', got.starts[i], got.ends[i]), JSON.stringify(r), `batch ${n}, record ${i}`));
  }
});

test('a run whose UTF-8 outgrows the room its characters would take is written whole (the write that stopped short is done again)', () => {
  // serialiseRecords guesses from the bodies' characters: 3- and 4-byte characters take far more bytes.
  const texts = Array.from({ length: SERIALISE_RUN * 2 + 3 }, (_, i) => `${i} ${'東京'.repeat(300)} 🚀 ${i % 5 === 0 ? '\ud800 lone' : 'ok'}`);
  const build = createRecordBuilder(newCounters(), builderOptions[0]);
  const b = batchOf(texts, 0);
  const records = texts.map((text, i) => build({ text, origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs }));
  let asked = 0;
  const got = serialiseRecords(records, 1 << 20, (bytes) => new ArrayBuffer((asked = bytes)));
  assert.ok(got, 'fell back to record by record');
  const buf = Buffer.from(got.values);
  assert.ok(asked < Buffer.byteLength(JSON.stringify(records.slice(0, SERIALISE_RUN))), `the first buffer (${asked} bytes) is smaller than a run's UTF-8`);
  records.forEach((r, i) => assert.equal(buf.toString('utf8', got.starts[i], got.ends[i]), JSON.stringify(r), `record ${i}`));
  assert.equal(got.ends[records.length - 1], Buffer.byteLength(JSON.stringify(records.slice(0, SERIALISE_RUN))) + Buffer.byteLength(JSON.stringify(records.slice(SERIALISE_RUN, 2 * SERIALISE_RUN))) + Buffer.byteLength(JSON.stringify(records.slice(2 * SERIALISE_RUN))) - 1);
});

test('a batch encoded at once has the bytes, keys and times the sink makes record by record, on Loghub and non-ASCII lines, in JSON and in OTLP protobuf', () => {
  for (const encoding of ['json', 'otlp_proto'] as const)
  for (const [n, texts] of corpus().entries()) {
    for (const builder of [0, 1, 2]) {
      const b = batchOf(texts, builder);
      const want = mainThread(newCounters(), b, 4096, encoding);
      const got = encodeLines(createRecordBuilder(newCounters(), builderOptions[builder]), b, 'service_host', 4096, encoding);
      const u = unpack({ ...got, values: Buffer.from(got.values) });
      assert.equal(got.count, texts.length);
      assert.ok(u.values.every((v, i) => v.equals(want.values[i]!)), `${encoding}: batch ${n}, builder ${builder}`);
      assert.deepEqual(u.keys, want.keys);
      assert.deepEqual(u.times, want.times);
      assert.deepEqual(got.traces, want.traces);
      assert.equal(got.truncated.length, want.truncated);
    }
  }
});

test('a batch of several runs: a run with a record too large goes record by record (cut, and named), the runs around it at once; a batch whose JSON outgrows its first buffer is whole', () => {
  const texts = Array.from({ length: SERIALISE_RUN * 3 + 7 }, (_, i) => (i === SERIALISE_RUN + 5 ? `too long ${'z'.repeat(6000)}` : benchLine(i).slice(0, -1)));
  // Quotes and control characters double and sextuple in JSON: far past the buffer's first guess.
  const escaped = Array.from({ length: 300 }, (_, i) => `${i} ${'"'.repeat(800)} ${'\u0001'.repeat(300)}`);
  for (const [name, lines, maxRecordBytes] of [['a record too large', texts, 4096], ['escapes', escaped, 1 << 20]] as const) {
    const b = batchOf([...lines], 0);
    const want = mainThread(newCounters(), b, maxRecordBytes);
    let asked = 0;
    const got = encodeLines(createRecordBuilder(newCounters(), builderOptions[0]), b, 'service_host', maxRecordBytes, 'json', (bytes) => new ArrayBuffer((asked = bytes)));
    const u = unpack({ ...got, values: Buffer.from(got.values) });
    assert.equal(got.count, lines.length);
    u.values.forEach((v, i) => assert.ok(v.equals(want.values[i]!), `${name}: record ${i}`));
    assert.deepEqual(u.times, want.times);
    assert.equal(got.truncated.length, want.truncated, name);
    if (name === 'escapes') assert.ok(got.values.byteLength > asked, `the buffer grew past its first ${asked} bytes (${got.values.byteLength})`);
    else assert.deepEqual(got.truncated.map((t) => t.origin.kind === 'file' && t.origin.offset), [b.starts[SERIALISE_RUN + 5]]);
  }
});

for (const encoding of ['json', 'otlp_proto'] as const)
test(`record threads give the main thread's records and counters, batches in flight at once on two threads (${encoding})`, async () => {
  const counters = newCounters();
  const pool = new RecordPool({ threads: 2, key: 'service_host', maxRecordBytes: 4096, encoding, counters, log: log('test') });
  for (const o of builderOptions) pool.addBuilder(o);
  try {
    const batches = corpus().flatMap((texts) => [batchOf(texts, 0), batchOf(texts, 1)]);
    const results = await Promise.all(batches.map((b) => pool.encode(b)));
    const expected = newCounters();
    let traces = 0;
    let truncated = 0;
    for (const [i, b] of batches.entries()) {
      const want = mainThread(expected, b, 4096, encoding);
      const got = unpack(results[i]!);
      assert.ok(got.values.length === want.values.length && got.values.every((v, j) => v.equals(want.values[j]!)), `batch ${i}`);
      assert.deepEqual({ keys: got.keys, times: got.times }, { keys: want.keys, times: want.times }, `batch ${i}`);
      assert.deepEqual(results[i]!.traces, want.traces);
      traces += want.traces.length;
      truncated += want.truncated;
      assert.equal(results[i]!.truncated.length, want.truncated);
    }
    assert.ok(traces > 0 && truncated > 0, 'the corpus takes the trace and truncation paths');
    assert.deepEqual(counters, expected);
    assert.ok(counters.records > 18_000 && Object.keys(counters.redactions).length > 0 && Object.keys(counters.unmatched).length > 0);
  } finally {
    await pool.close();
  }
});

for (const encoding of ['json', 'otlp_proto'] as const)
test(`a batch built on the main thread (encodeHere, for small batches) has a thread's bytes, keys, times and counters (${encoding})`, async () => {
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 4096, encoding, counters, log: log('test') });
  for (const o of builderOptions) pool.addBuilder(o);
  try {
    const expected = newCounters();
    for (const texts of corpus()) {
      for (const builder of [0, 1, 2]) {
        const b = batchOf(texts, builder);
        const want = mainThread(expected, b, 4096, encoding);
        const e = pool.encodeHere(b);
        const got = unpack(e);
        assert.ok(got.values.length === want.values.length && got.values.every((v, j) => v.equals(want.values[j]!)), `builder ${builder}`);
        assert.deepEqual({ keys: got.keys, times: got.times, traces: e.traces, truncated: e.truncated.length }, { keys: want.keys, times: want.times, traces: want.traces, truncated: want.truncated });
      }
    }
    assert.deepEqual(counters, expected);
    // The same batch through the thread: the same bytes.
    const b = batchOf(corpus()[0]!, 0);
    assert.ok(unpack(await pool.encode(b)).values.every((v, i) => v.equals(unpack(pool.encodeHere(b)).values[i]!)));
  } finally {
    await pool.close();
  }
});

test('a record thread keeps SPARE_BUFFERS values buffers of at least SPARE_MIN_BYTES (the pool itself: test/core/buffer-pool.test.ts)', () => {
  const tb = new ThreadBuffers();
  tb.add([new ArrayBuffer(SPARE_MIN_BYTES - 1), ...Array.from({ length: SPARE_BUFFERS + 3 }, () => new ArrayBuffer(SPARE_MIN_BYTES))]);
  assert.equal(tb.kept, SPARE_BUFFERS);
});

test('a batch serialised into a reused buffer, longer than it and full of an earlier batch, has the bytes a fresh one has', () => {
  const batches = corpus();
  const build = createRecordBuilder(newCounters(), builderOptions[0]);
  const recordsOf = (texts: string[]) => {
    const b = batchOf(texts, 0);
    return texts.map((text, i) => build({ text, origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs }));
  };
  const earlier = serialiseRecords(recordsOf(batches[0]!), 1 << 20)!;
  for (const [n, texts] of batches.entries()) {
    const records = recordsOf(texts);
    const fresh = serialiseRecords(records, 1 << 20)!;
    // The earlier batch's JSON (separators and all) over the whole of a buffer larger than this batch.
    const dirty = new ArrayBuffer(fresh.values.byteLength + earlier.values.byteLength);
    const view = Buffer.from(dirty);
    for (let at = 0; at < view.length; at += earlier.values.byteLength) Buffer.from(earlier.values).copy(view, at);
    const got = serialiseRecords(records, 1 << 20, (bytes) => (assert.ok(bytes <= dirty.byteLength), dirty));
    assert.ok(got, `batch ${n}: fell back to record by record`);
    assert.equal(got.values, dirty, 'written into the buffer given');
    assert.deepEqual([got.starts, got.ends], [fresh.starts, fresh.ends], `batch ${n}`);
    const freshBuf = Buffer.from(fresh.values);
    records.forEach((_, i) => assert.ok(view.subarray(got.starts[i], got.ends[i]).equals(freshBuf.subarray(fresh.starts[i], fresh.ends[i])), `batch ${n}, record ${i}`));
  }
});

test('a released batch\'s buffer goes back to the record thread, which writes the next batch into it; an unreleased one stays as it was', async () => {
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 4096, encoding: 'json', counters, log: log('test') });
  for (const o of builderOptions) pool.addBuilder(o);
  try {
    const b = batchOf(corpus()[0]!, 0);
    const want = mainThread(newCounters(), b, 4096).values;
    const first = await pool.encode(b);
    const firstBuffer = first.values.buffer;
    const length = firstBuffer.byteLength;
    assert.ok(length >= SPARE_MIN_BYTES, `the batch is large enough to be kept (${length} bytes)`);
    const second = await pool.encode(b);
    assert.equal(firstBuffer.byteLength, length, 'not released: left alone');
    assert.ok(unpack(first).values.every((v, i) => v.equals(want[i]!)), 'and its values intact');
    first.release!();
    first.release!(); // a second call does nothing
    const third = await pool.encode(b);
    assert.equal(firstBuffer.byteLength, 0, 'released: it went to the thread (detached here)');
    assert.equal(third.values.buffer.byteLength, length, 'the thread wrote the next batch into it');
    assert.ok(unpack(third).values.every((v, i) => v.equals(want[i]!)), 'with the right bytes');
    assert.ok(unpack(second).values.every((v, i) => v.equals(want[i]!)));
  } finally {
    await pool.close();
  }
});

test('a thread that cannot start fails its batches with the reason, is replaced, and after three deaths the pool says so', async () => {
  const messages: string[] = [];
  const logger = log('test');
  const spy = Object.assign(Object.create(logger) as typeof logger, { error: (_o: object, msg: string) => messages.push(msg) });
  // An unknown parser fails when the thread builds its builders: a real thread dying at start.
  const pool = new RecordPool({ threads: 1, key: 'service', maxRecordBytes: 4096, counters: newCounters(), log: spy });
  pool.addBuilder({ parser: { type: 'no-such-parser' } as never });
  for (let i = 0; i < 3; i++) {
    assert.ok(pool.usable);
    await assert.rejects(pool.encode(batchOf(['a line'], 0)), /record thread died: unknown parser "no-such-parser"/);
  }
  assert.equal(pool.usable, false);
  await assert.rejects(pool.encode(batchOf(['a line'], 0)), /kept dying/);
  assert.equal(messages.length, 3);
  assert.match(messages[2]!, /every batch is now built on the main thread/);
  await pool.close();
});

test('busy() tells a thread kept at work from an idle one (what the agent\'s "who is slow" message reads)', async () => {
  const pool = new RecordPool({ threads: 1, key: 'service', maxRecordBytes: 900 * 1024, counters: newCounters(), log: log('test') });
  pool.addBuilder({});
  try {
    assert.equal(pool.busy(), undefined, 'no thread before the first batch');
    const texts = Array.from({ length: 5000 }, (_, i) => benchLine(i).slice(0, -1));
    await pool.encode(batchOf(texts.slice(0, 10), 0));
    pool.busy();
    // Batches back to back for a second: the thread's event loop is busy nearly all that time.
    const until = Date.now() + 1000;
    while (Date.now() < until) await Promise.all([pool.encode(batchOf(texts, 0)), pool.encode(batchOf(texts, 0))]);
    const working = pool.busy()!;
    await new Promise((r) => setTimeout(r, 1000));
    const idle = pool.busy()!;
    assert.ok(working > 0.7, `busy while encoding: ${working}`);
    assert.ok(idle < 0.2, `busy while idle: ${idle}`);
  } finally {
    await pool.close();
  }
});
