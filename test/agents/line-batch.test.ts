import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchLine } from '../../bench/agent.ts';
import { createRecordBuilder, newCounters } from '../../agents/record-builder.ts';
import { batchTexts, encodeLines, lineText, SERIALISE_RUN, serialiseRecords } from '../../agents/line-batch.ts';
import { compileFilter, type FilterConfig } from '../../agents/transforms/filter.ts';
import { LineSplitter } from '../../agents/transforms/line-splitter.ts';
import { MultilineAssembler } from '../../agents/transforms/multiline.ts';
import { batchOf, builderOptions, corpus, loghub, mainThread, unpack } from '../helpers/line-batches.ts';
import { decodeOtlpLog, decodeOtlpLogs } from '../../core/contracts/otlp-log.ts';

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

test('otlp_proto with records_per_message: each message is one request of neighbouring records with one key and resource, at most the bound, the records those of one per message, on Loghub and non-ASCII lines', () => {
  let packedMessages = 0;
  for (const [n, texts] of corpus().entries()) {
    for (const builder of [0, 1, 2]) {
      for (const [perMessage, maxRecordBytes] of [[100, 1 << 20], [7, 1 << 20], [1000, 4096]] as const) {
        const b = batchOf(texts, builder);
        const want = mainThread(newCounters(), b, maxRecordBytes, 'otlp_proto');
        const got = encodeLines(createRecordBuilder(newCounters(), builderOptions[builder]), b, 'service_host', maxRecordBytes, 'otlp_proto', undefined, perMessage);
        const where = `batch ${n}, builder ${builder}, ${perMessage} per message, bound ${maxRecordBytes}`;
        const u = unpack({ ...got, values: Buffer.from(got.values) });
        assert.ok(got.lines, where);
        assert.equal(got.lines.length, got.count);
        assert.equal(got.lines.reduce((a, b) => a + b, 0), texts.length, where);
        let line = 0;
        for (let m = 0; m < got.count; m++) {
          const d = decodeOtlpLogs(u.values[m]!);
          assert.ok(d.ok, `${where}, message ${m}: ${!d.ok && d.reason}`);
          assert.equal(d.records.length, got.lines[m], where);
          assert.ok(got.lines[m]! <= perMessage, where);
          // Within the bound, unless it is one record cut to fit (as the sink cuts one).
          assert.ok(u.values[m]!.length <= maxRecordBytes, `${where}, message ${m}: ${u.values[m]!.length} bytes`);
          const times: number[] = [];
          for (const r of d.records) {
            const one = decodeOtlpLog(want.values[line]!);
            assert.ok(r.ok && one.ok, where);
            assert.deepEqual(r.value, one.value, `${where}, line ${line}`);
            assert.equal(u.keys[m], want.keys[line], `${where}, line ${line}: the message's key is each of its records' key`);
            times.push(want.times[line]!);
            line++;
          }
          assert.equal(u.times[m], Math.max(...times), `${where}, message ${m}: its timestamp is its newest record's`);
          // A message ends where it must: full, the next record has another key or resource, or it would pass the bound.
          if (m + 1 < got.count && got.lines[m]! < perMessage && u.keys[m] === u.keys[m + 1]) {
            const next = decodeOtlpLog(want.values[line]!);
            const last = d.records.at(-1)!;
            assert.ok(next.ok && last.ok);
            const sameResource = next.value.service === last.value.service && next.value.host === last.value.host;
            assert.ok(!sameResource || u.values[m]!.length + want.values[line]!.length > maxRecordBytes - 64 || got.lines[m + 1] === 1, `${where}, message ${m} ended early (${got.lines[m]} records, ${u.values[m]!.length} bytes)`);
          }
          if (got.lines[m]! > 1) packedMessages++;
        }
        assert.equal(line, texts.length);
        assert.equal(got.truncated.length, want.truncated, where);
        assert.deepEqual(got.traces, [], 'packed messages carry the batch header');
      }
    }
  }
  assert.ok(packedMessages > 500, `${packedMessages} messages held more than one record`);
});

test('otlp_proto with records_per_message: a record too large on its own is cut and goes alone, its neighbours packed around it', () => {
  const texts = Array.from({ length: 40 }, (_, i) => (i === 17 ? `too long ${'z'.repeat(9000)}` : benchLine(i).slice(0, -1)));
  const b = batchOf(texts, 0);
  const got = encodeLines(createRecordBuilder(newCounters(), builderOptions[0]), b, 'service_host', 4096, 'otlp_proto', undefined, 100);
  const u = unpack({ ...got, values: Buffer.from(got.values) });
  assert.deepEqual(got.truncated.map((t) => t.origin.kind === 'file' && t.origin.offset), [b.starts[17]]);
  const records = u.values.map((v) => decodeOtlpLogs(v)).map((d) => (assert.ok(d.ok), d.records.map((r) => (assert.ok(r.ok), r.value))));
  const cutAt = records.findIndex((rs) => rs.some((r) => r.attributes['tributary.truncated'] !== undefined));
  assert.equal(records[cutAt]!.length, 1, 'the cut record is alone');
  assert.equal(records[cutAt]![0]!.origin.offset, b.starts[17]);
  assert.ok(u.values[cutAt]!.length <= 4096);
  assert.equal(records.slice(0, cutAt).flat().length, 17);
  assert.ok(records[0]!.length > 1 && records.at(-1)!.length > 1, 'the lines around it are packed');
  assert.deepEqual(records.flat().map((r) => r.origin.offset), b.starts);
});

for (const encoding of ['json', 'otlp_proto'] as const)
test(`records built one by one (stdin, OTLP) encoded as a batch have logWire's values, keys and timestamps record by record (${encoding})`, async () => {
  const { encodeRecords } = await import('../../agents/line-batch.ts');
  const { logWire } = await import('../../agents/sinks/log-wire.ts');
  const build = createRecordBuilder(newCounters(), builderOptions[0]);
  let checked = 0;
  for (const [n, texts] of corpus().entries()) {
    const records = texts.map((text, i) => build({ text, origin: i % 3 === 0 ? { kind: 'stdin', offset: i * 100 } : { kind: 'otlp', offset: i }, service: i % 50 < 25 ? 'checkout' : 'cart', host: i % 7 === 0 ? 'b' : 'a', observedMs: 1_764_000_000_000 + i }));
    // A record that carries its own trace (OTLP's) gets it as its header.
    Object.assign(records[1]!, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });
    for (const key of ['service', 'service_host', 'source'] as const) {
      const got = encodeRecords(records, key, 1 << 20, encoding);
      assert.ok(got, `batch ${n}: no batch encoding`);
      assert.equal(got.count, records.length);
      records.forEach((r, i) => {
        const want = logWire(r, key, 1 << 20, encoding);
        assert.ok(got.values.subarray(got.starts[i], got.ends[i]).equals(Buffer.from(want.value)), `batch ${n}, record ${i}: value`);
        assert.equal(got.keys[got.keyOf[i]!], want.key, `batch ${n}, record ${i}: key`);
        assert.equal(got.times[i], want.timestampMs, `batch ${n}, record ${i}: timestamp`);
      });
      assert.deepEqual(got.traces, [[1, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']]);
      checked += records.length;
    }
    // A record past the limit: none (the sink then goes record by record, which cuts it).
    assert.equal(encodeRecords(records, 'service', 200, encoding), undefined);
  }
  assert.ok(checked > 10_000);
});

test('a filtered batch is the unfiltered batch without the records the filter drops: bytes, keys, times and trace indices of those kept, in JSON, OTLP protobuf and packed; a batch whose every record is dropped has none', () => {
  // Drops whole runs of 128 (a system's DEBUG/INFO), single records inside runs, and the line before the traced one.
  const filter: FilterConfig = { min_severity: 'INFO', drop: [{ body: '[0-9]{2}7\\b' }, { body: '^naïve' }] };
  const pass = compileFilter([filter])!;
  let dropped = 0;
  let kept = 0;
  for (const encoding of ['json', 'otlp_proto'] as const)
  for (const [n, texts] of corpus().entries()) {
    for (const builder of [0, 1, 2]) {
      const b = batchOf(texts, builder);
      const where = `${encoding}: batch ${n}, builder ${builder}`;
      const want = mainThread(newCounters(), b, 4096, encoding);
      const check = createRecordBuilder(newCounters(), builderOptions[builder]);
      const keep = Array.from(b.textEnds, (_, i) => {
        const own = b.lineAttributes?.find(([j]) => j === i)?.[1];
        return pass(check({ text: lineText(b, i), origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs, attributes: { ...b.attributes, ...own } }));
      });
      const index = keep.map((k, i) => (k ? keep.slice(0, i).filter(Boolean).length : -1));
      const counters = newCounters();
      const got = encodeLines(createRecordBuilder(counters, { ...builderOptions[builder], filter: [filter] }), b, 'service_host', 4096, encoding);
      const u = unpack({ ...got, values: Buffer.from(got.values) });
      const k = keep.filter(Boolean).length;
      assert.equal(got.count, k, where);
      assert.equal(counters.filtered[builderOptions[builder]!.source!] ?? 0, texts.length - k, where);
      assert.deepEqual(u.values.slice(0, k).map((v) => v.toString('hex')), want.values.filter((_, i) => keep[i]).map((v) => v.toString('hex')), where);
      assert.deepEqual(u.keys.slice(0, k), want.keys.filter((_, i) => keep[i]), where);
      assert.deepEqual(u.times.slice(0, k), want.times.filter((_, i) => keep[i]), where);
      assert.deepEqual(got.traces, want.traces.filter(([i]) => keep[i]).map(([i, t]) => [index[i], t]), where);
      if (encoding === 'otlp_proto') {
        const packed = encodeLines(createRecordBuilder(newCounters(), { ...builderOptions[builder], filter: [filter] }), b, 'service_host', 4096, encoding, undefined, 50);
        assert.equal(packed.lines!.reduce((a, x) => a + x, 0), k, where);
      }
      kept += k;
      dropped += texts.length - k;
    }
  }
  assert.ok(kept > 1000 && dropped > 1000, `${kept} kept, ${dropped} dropped`);
  const none = encodeLines(createRecordBuilder(newCounters(), { filter: [{ keep: [{ body: '^never$' }] }] }), batchOf(corpus()[0]!, 0), 'service_host', 4096);
  assert.equal(none.count, 0);
});
