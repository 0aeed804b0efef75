import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_RUN_BYTES, LINE_PART_ATTRIBUTE, LINE_TRUNCATED_ATTRIBUTE, LineSplitter, type Line } from '../../../agents/transforms/line-splitter.ts';

/** Feeds `data` in chunks of `size` bytes at their offsets; returns the lines and the splitter. */
function feed(data: Buffer, size: number, options: ConstructorParameters<typeof LineSplitter>[0] = {}, flush = false) {
  const s = new LineSplitter(options);
  const lines: Line[] = [];
  for (let off = 0; off < data.length; off += size) lines.push(...s.push(data.subarray(off, off + size), off));
  if (flush) lines.push(...s.flush());
  return { lines, s };
}

test('splits on \\n and \\r\\n with exact byte ranges, whatever the chunk size', () => {
  const data = Buffer.from('alpha\r\nbeta\n\ngamma é\nrest');
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const { lines, s } = feed(data, size);
    assert.deepEqual(lines, [
      { text: 'alpha', start: 0, end: 7 },
      { text: 'beta', start: 7, end: 12 },
      { text: '', start: 12, end: 13 },
      { text: 'gamma é', start: 13, end: 22 },
    ], `chunk size ${size}`);
    assert.equal(s.completeOffset, 22);
    assert.equal(s.pendingBytes, 4);
    assert.deepEqual(s.flush(), [{ text: 'rest', start: 22, end: 26 }]);
    assert.equal(s.completeOffset, 26);
  }
});

test('the trailing partial line is held until its newline arrives', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('one\ntw'), 0), [{ text: 'one', start: 0, end: 4 }]);
  assert.equal(s.completeOffset, 4);
  assert.deepEqual(s.push(Buffer.from('o\n'), 6), [{ text: 'two', start: 4, end: 8 }]);
  assert.deepEqual(s.flush(), []);
});

test('starts at a checkpoint offset', () => {
  const s = new LineSplitter({}, 1000);
  assert.deepEqual(s.push(Buffer.from('x\n'), 1000), [{ text: 'x', start: 1000, end: 1002 }]);
});

test('invalid UTF-8 and binary garbage become U+FFFD, never an exception', () => {
  const data = Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\n'), Buffer.from([0xe2, 0x82]), Buffer.from('\n')]);
  const { lines, s } = feed(data, 1);
  assert.equal(lines[0]!.text, 'ok \uFFFD\uFFFD\uFFFD');
  assert.equal(lines[1]!.text, '\uFFFD');
  assert.equal(s.stats.linesWithReplacement, 2);
  // Random bytes through every chunk size: offsets stay contiguous.
  let seed = 7;
  const rnd = Buffer.from(Array.from({ length: 20_000 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
  for (const encoding of ['auto', 'utf8', 'utf16le', 'utf16be'] as const) {
    for (const size of [1, 13, 4096]) {
      const r = feed(rnd, size, { encoding, maxLineBytes: 100 }, true);
      let at = r.lines[0]?.start ?? 0;
      for (const l of r.lines) {
        assert.equal(l.start, at, `${encoding} ${size}`);
        assert.ok(l.end > l.start);
        at = l.end;
      }
      assert.equal(at, rnd.length, `${encoding} ${size}`);
    }
  }
});

test('a UTF-8 BOM is skipped', () => {
  const { lines } = feed(Buffer.from('\uFEFFhello\n'), 2);
  assert.deepEqual(lines, [{ text: 'hello', start: 3, end: 9 }]);
});

test('UTF-16LE and BE, by BOM or by config', () => {
  const text = 'héllo 😀\r\nzwei\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.from(le.subarray(2)).swap16();
  const beBom = Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
  const want = (o: number) => [
    { text: 'héllo 😀', start: o, end: o + 20 },
    { text: 'zwei', start: o + 20, end: o + 30 },
  ];
  for (const size of [1, 3, 4, 1000]) {
    assert.deepEqual(feed(le, size).lines, want(2), `le bom ${size}`);
    assert.deepEqual(feed(beBom, size).lines, want(2), `be bom ${size}`);
    assert.deepEqual(feed(be, size, { encoding: 'utf16be' }).lines, want(0), `be config ${size}`);
    assert.deepEqual(feed(Buffer.from(text, 'utf16le'), size, { encoding: 'utf16le' }).lines, want(0), `le config ${size}`);
  }
  // U+010A has 0x0A as a byte but is not a newline.
  assert.deepEqual(feed(Buffer.from('\u010A\u0A00x\n', 'utf16le'), 1, { encoding: 'utf16le' }).lines.map((l) => l.text), ['\u010A\u0A00x']);
  // Lone surrogates and an odd trailing byte are replaced.
  const lone = Buffer.concat([Buffer.from([0x00, 0xd8, 0x41, 0x00, 0x0a, 0x00, 0x42])]);
  const r = feed(lone, 1, { encoding: 'utf16le' }, true);
  assert.deepEqual(r.lines.map((l) => l.text), ['\uFFFDA', '\uFFFD']);
  // Resuming past offset 0: the file head tells the encoding.
  const s = new LineSplitter({ head: le.subarray(0, 4) }, 22);
  assert.deepEqual(s.push(le.subarray(22), 22), [{ text: 'zwei', start: 22, end: 32 }]);
  assert.equal(s.detectedEncoding, 'utf16le');
});

test('long lines are split into marked parts that cover every byte', () => {
  // The third part would end inside the two bytes of é: it stops before it.
  const long = 'a'.repeat(29) + 'é' + 'b'.repeat(3);
  const data = Buffer.from(`short\n${long}\nnext\n`);
  for (const size of [1, 4, 100]) {
    const { lines, s } = feed(data, size, { maxLineBytes: 10 });
    assert.deepEqual(lines.map((l) => [l.text, l.start, l.end, l.attributes?.[LINE_PART_ATTRIBUTE]]), [
      ['short', 0, 6, undefined],
      ['aaaaaaaaaa', 6, 16, '1'],
      ['aaaaaaaaaa', 16, 26, '2'],
      ['aaaaaaaaa', 26, 35, '3'],
      ['ébbb', 35, 41, '4'],
      ['next', 41, 46, undefined],
    ], `chunk ${size}`);
    assert.equal(s.stats.longLines, 1);
    assert.equal(s.stats.splitParts, 4);
  }
  // Exactly at the maximum: not long.
  assert.deepEqual(feed(Buffer.from('0123456789\n'), 3, { maxLineBytes: 10 }).lines, [{ text: '0123456789', start: 0, end: 11 }]);
});

test('long lines can be truncated instead, counting what was dropped', () => {
  const data = Buffer.from(`${'x'.repeat(9)}é${'y'.repeat(30)}\nok\n`);
  for (const size of [1, 5, 100]) {
    const { lines, s } = feed(data, size, { maxLineBytes: 10, onLongLine: 'truncate' });
    assert.deepEqual(lines, [
      { text: 'xxxxxxxxx', start: 0, end: 42, attributes: { [LINE_TRUNCATED_ATTRIBUTE]: '32' } },
      { text: 'ok', start: 42, end: 45 },
    ], `chunk ${size}`);
    assert.equal(s.stats.truncatedBytes, 32);
    assert.equal(s.stats.longLines, 1);
  }
});

test('a 1 MiB line with the default maximum is one line; 1 MiB + 1 is two parts', () => {
  const mib = 1024 * 1024;
  const one = feed(Buffer.from('z'.repeat(mib) + '\n'), 65536).lines;
  assert.equal(one.length, 1);
  assert.equal(one[0]!.text.length, mib);
  const two = feed(Buffer.from('z'.repeat(mib + 1) + '\n'), 65536).lines;
  assert.deepEqual(two.map((l) => [l.text.length, l.attributes?.[LINE_PART_ATTRIBUTE]]), [[mib, '1'], [1, '2']]);
});

test('a chunk that does not continue the previous one drops the held partial line and says so', () => {
  const s = new LineSplitter();
  s.push(Buffer.from('abc\ndef'), 0);
  assert.deepEqual(s.push(Buffer.from('new\n'), 0), [{ text: 'new', start: 0, end: 4 }]);
  assert.equal(s.stats.discontinuities, 1);
  assert.equal(s.stats.discardedBytes, 3);
});

test('random text, random chunking: lines come back whole (split) or as prefixes (truncate)', () => {
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  // ASCII-only rounds too: their chunks take the one-decode path (asciiLines), long lines included.
  const alphabets = [['a', 'b', ' ', 'é', '€', '😀', '\t', '"'], ['a', 'b', ' ', '\t', '"']];
  for (let round = 0; round < 60; round++) {
    const alphabet = alphabets[round % 2]!;
    const max = 16 + rand(40);
    const original: string[] = [];
    for (let i = 0; i < 40; i++) {
      const len = rand(4) === 0 ? rand(max * 3) : rand(max / 2);
      original.push(Array.from({ length: len }, () => alphabet[rand(alphabet.length)]).join(''));
    }
    const data = Buffer.from(original.map((l) => l + (rand(3) === 0 ? '\r\n' : '\n')).join(''));
    const size = 1 + rand(70);
    for (const mode of ['split', 'truncate'] as const) {
      const { lines } = feed(data, size, { maxLineBytes: max, onLongLine: mode });
      let at = 0;
      for (const l of lines) {
        assert.equal(l.start, at);
        assert.ok(Buffer.byteLength(l.text) <= max, `line within max (${mode})`);
        at = l.end;
      }
      assert.equal(at, data.length);
      const rebuilt: string[] = [];
      for (const l of lines) {
        const part = l.attributes?.[LINE_PART_ATTRIBUTE];
        if (part !== undefined && part !== '1') rebuilt[rebuilt.length - 1] += l.text;
        else rebuilt.push(l.text);
      }
      if (mode === 'split') {
        assert.deepEqual(rebuilt.map((t) => t.replace(/\r$/, '')), original, `round ${round} chunk ${size}`);
      } else {
        assert.equal(rebuilt.length, original.length);
        rebuilt.forEach((t, i) => assert.ok(original[i]!.startsWith(t), `round ${round} line ${i}`));
      }
    }
  }
});

test('mixed ASCII and UTF-8 chunks: the same lines and byte ranges as splitting the whole input at once', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let round = 0; round < 40; round++) {
    // Mostly ASCII lines with a few UTF-8 ones, so chunks of both kinds and chunks that change kind mid-way.
    const original = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(rand(120))}${rand(20) === 0 ? ' café ☕' : ''}${rand(5) === 0 ? '\r' : ''}`);
    const data = Buffer.from(original.join('\n') + '\n');
    const expected: Line[] = [];
    let at = 0;
    for (const l of original) {
      const end = at + Buffer.byteLength(l) + 1;
      expected.push({ text: l.replace(/\r$/, ''), start: at, end });
      at = end;
    }
    const size = [1, 7, 100, 4096, 65536][round % 5]! + rand(50);
    const { lines, s } = feed(data, size);
    assert.deepEqual(lines, expected, `round ${round}, chunks of ${size}`);
    assert.equal(s.stats.lines, original.length);
    assert.equal(s.stats.linesWithReplacement, 0);
    assert.equal(s.completeOffset, data.length);
  }
});

test('lines decoded a run at a time: runs of ASCII, of other characters and of stray bytes, a line longer than a run, and a chunk read into the same Buffer as the one before', () => {
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < 5 * DECODE_RUN_BYTES; i++) {
    const line =
      i % 211 === 5 ? Buffer.concat([Buffer.from(`stray ${i} `), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes\r\n')])
      : i % 97 === 3 ? Buffer.from(`other ${i} naïve 東京 😀\n`)
      : i === 400 ? Buffer.from(`${'L'.repeat(DECODE_RUN_BYTES + 100)}\n`)
      : Buffer.from(`ascii ${i} ${'a'.repeat(i % 300)}\n`);
    parts.push(line);
    size += line.length;
  }
  const data = Buffer.concat(parts);
  // What each line is, decoded on its own.
  const want: Line[] = [];
  let off = 0;
  let replaced = 0;
  for (const p of parts) {
    let text = p.toString('utf8', 0, p.length - 1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.includes('\uFFFD')) replaced++;
    want.push({ text, start: off, end: off + p.length });
    off += p.length;
  }
  for (const chunk of [256 * 1024, 70_000, 4096]) {
    const { lines, s } = feed(data, chunk);
    assert.equal(lines.length, want.length, `chunks of ${chunk}`);
    lines.forEach((l, i) => assert.deepEqual(l, want[i], `chunks of ${chunk}, line ${i}`));
    assert.equal(s.stats.linesWithReplacement, replaced);
  }
  // One Buffer read into again and again, as a file source may do.
  const s = new LineSplitter();
  const reused = Buffer.alloc(50_000);
  const lines: Line[] = [];
  for (let at = 0; at < data.length; at += reused.length) {
    const n = data.copy(reused, 0, at, at + reused.length);
    lines.push(...s.push(n === reused.length ? reused : reused.subarray(0, n), at));
  }
  lines.forEach((l, i) => assert.deepEqual(l, want[i], `reused buffer, line ${i}`));
  // Chunks that start on a line's start: each chunk's first line sits where the one before had its own.
  const fixed = new LineSplitter();
  const texts: string[] = [];
  const buf = Buffer.alloc(100 * 500);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 500; k++) buf.write(`chunk ${c} line ${String(k).padStart(3, '0')} ${'z'.repeat(82)}\n`, k * 100);
    for (const l of fixed.push(buf, c * buf.length)) texts.push(l.text);
  }
  assert.equal(texts.length, 1500);
  texts.forEach((t, i) => assert.ok(t.startsWith(`chunk ${Math.floor(i / 500)} line ${String(i % 500).padStart(3, '0')} `), `line ${i}: ${t.slice(0, 20)}`));
});
