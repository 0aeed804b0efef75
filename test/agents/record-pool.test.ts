import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchLine } from '../../bench/agent.ts';
import { newCounters } from '../../agents/record-builder.ts';
import { RECORD_THREAD_YOUNG_MB, RecordPool, SPARE_BUFFERS, SPARE_MIN_BYTES, ThreadBuffers } from '../../agents/record-pool.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
import { log } from '../../core/log.ts';
import { batchOf, builderOptions, corpus, mainThread, unpack } from '../helpers/line-batches.ts';

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

test('records_per_message: a thread\'s packed batches (into its reused buffers) are those encodeLines writes on the main thread, with each message\'s record count', async () => {
  const { encodeLines } = await import('../../agents/line-batch.ts');
  const { createRecordBuilder } = await import('../../agents/record-builder.ts');
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 4096, encoding: 'otlp_proto', recordsPerMessage: 30, counters: newCounters(), log: log('test') });
  for (const o of builderOptions) pool.addBuilder(o);
  try {
    let packed = 0;
    // Twice over, so the second round's batches are written into buffers released by the first.
    for (let round = 0; round < 2; round++) {
      for (const texts of corpus()) {
        const b = batchOf(texts, 2);
        const e = await pool.encode(b);
        const want = encodeLines(createRecordBuilder(newCounters(), builderOptions[2]), b, 'service_host', 4096, 'otlp_proto', undefined, 30);
        const got = unpack(e);
        const here = unpack({ ...want, values: Buffer.from(want.values) });
        assert.equal(e.count, want.count);
        assert.ok(got.values.every((v, i) => v.equals(here.values[i]!)));
        assert.deepEqual({ keys: got.keys, times: got.times, lines: [...e.lines!] }, { keys: here.keys, times: here.times, lines: [...want.lines!] });
        assert.equal(e.lines!.reduce((a, n) => a + n, 0), texts.length);
        packed += e.lines!.filter((n) => n > 1).length;
        e.release?.();
      }
    }
    assert.ok(packed > 100, `${packed} messages held several records`);
  } finally {
    await pool.close();
  }
});

test('a record thread keeps SPARE_BUFFERS values buffers of at least SPARE_MIN_BYTES (the pool itself: test/core/buffer-pool.test.ts)', () => {
  const tb = new ThreadBuffers();
  tb.add([new ArrayBuffer(SPARE_MIN_BYTES - 1), ...Array.from({ length: SPARE_BUFFERS + 3 }, () => new ArrayBuffer(SPARE_MIN_BYTES))]);
  assert.equal(tb.kept, SPARE_BUFFERS);
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

test('heaps() reports a record thread\'s V8 heap: its young generation is RECORD_THREAD_YOUNG_MB in a Node started as it is, and two 4 MB halves under `tributary agent`\'s --max-semi-space-size=4', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-young-'));
  try {
    const script = join(dir, 'young.mjs');
    const at = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);
    writeFileSync(script, `
      import { getHeapSpaceStatistics } from 'node:v8';
      import { RecordPool } from ${at('agents/record-pool.ts')};
      import { newCounters } from ${at('agents/record-builder.ts')};
      import { log } from ${at('core/log.ts')};
      import { benchLine } from ${at('bench/agent.ts')};
      import { batchOf } from ${at('test/helpers/line-batches.ts')};
      const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 1 << 20, counters: newCounters(), log: log('test') });
      pool.addBuilder({});
      const batch = batchOf(Array.from({ length: 2000 }, (_, i) => benchLine(i).slice(0, -1)), 0);
      // Garbage enough for V8 to grow each young generation to its limit.
      for (let i = 0; i < 40; i++) (await pool.encode(batch)).release?.();
      const [thread] = await pool.heaps();
      const main = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      process.stdout.write(JSON.stringify({ thread, main }));
      await pool.close();
    `);
    const MB = 1024 * 1024;
    const run = (flags: string[]) => {
      const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { thread: Record<string, number>; main: number };
    };
    const plain = run([]);
    assert.ok(plain.thread.old_space! > 0 && plain.thread.code_space! > 0, `every space is reported: ${JSON.stringify(plain.thread)}`);
    // V8 splits a young generation into two halves and as much again for large objects.
    assert.equal(plain.thread.new_space, (2 * RECORD_THREAD_YOUNG_MB * MB) / 3, `the thread's own limit (${plain.thread.new_space! / MB} MB)`);
    const launched = run(['--max-semi-space-size=4']);
    assert.equal(launched.thread.new_space, 8 * MB, `V8 puts the flag ahead of the thread's limit (${launched.thread.new_space! / MB} MB)`);
    assert.equal(launched.main, 8 * MB, 'and the main thread is held to it too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pool of no threads (transforms.threads 0) starts none: encode refuses, encodeHere builds each batch', async () => {
  const pool = new RecordPool({ threads: 0, key: 'service_host', maxRecordBytes: 4096, counters: newCounters(), log: log('test') });
  for (const o of builderOptions) pool.addBuilder(o);
  try {
    assert.equal(pool.threaded, false);
    assert.equal(pool.usable, true);
    const batch = batchOf(corpus()[0]!, 0);
    await assert.rejects(pool.encode(batch), /no threads/);
    const got = unpack(pool.encodeHere(batch));
    const want = mainThread(newCounters(), batch, 4096, 'json');
    assert.ok(got.values.length === want.values.length && got.values.every((v, j) => v.equals(want.values[j]!)));
    assert.equal(await pool.busy(), undefined, 'no thread is busy or idle');
  } finally {
    await pool.close();
  }
  const one = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 4096, counters: newCounters(), log: log('test') });
  assert.equal(one.threaded, true);
  await one.close();
  assert.equal(one.threaded, false, 'a closed pool sends nothing to threads');
});
