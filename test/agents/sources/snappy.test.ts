import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { snappyDecode } from '../../../agents/sources/snappy.ts';

const bytes = (...parts: Array<number[] | string>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const ok = (input: Buffer, max = 1 << 20) => {
  const out = snappyDecode(input, max);
  assert.ok(Buffer.isBuffer(out), String(out));
  return out.toString('latin1');
};

test('literals, and copies of each width, overlapping ones too', () => {
  assert.equal(ok(bytes([5, (5 - 1) << 2], 'hello')), 'hello');
  // A 1-byte-offset copy that overlaps what it writes: "ab" then 6 more from 2 back.
  assert.equal(ok(bytes([8, 1 << 2], 'ab', [((6 - 4) << 2) | 1, 2])), 'abababab');
  // A 2-byte-offset copy, and a 4-byte one.
  assert.equal(ok(bytes([12, 3 << 2], 'abcd', [((8 - 1) << 2) | 2, 4, 0])), 'abcdabcdabcd');
  assert.equal(ok(bytes([7, 2 << 2], 'xyz', [((4 - 1) << 2) | 3, 3, 0, 0, 0])), 'xyzxyzx');
  // A literal longer than 60 bytes: its length - 1 in the next byte (tag 60), or the next two (61).
  const long = 'q'.repeat(100);
  assert.equal(ok(bytes([100, 60 << 2, 99], long)), long);
  const longer = 'r'.repeat(300);
  assert.equal(ok(bytes([0xac, 0x02, 61 << 2, 299 & 0xff, 299 >> 8], longer)), longer);
  assert.equal(ok(bytes([0])), '');
});

test("Prometheus' own requests decode to the length they declare", () => {
  for (const name of ['prometheus-remote-write-v1.bin', 'prometheus-remote-write-v2.bin', 'prometheus-remote-write-v1-metadata.bin']) {
    const body = readFileSync(new URL(`../../fixtures/programs/${name}`, import.meta.url));
    const out = snappyDecode(body, 1 << 20);
    assert.ok(Buffer.isBuffer(out), `${name}: ${String(out)}`);
    assert.ok(out.length > body.length / 2, name);
    // Label names Prometheus wrote are in the decoded protobuf as text.
    assert.ok(out.includes('jobs_processed_total'), name);
  }
});

test('a broken or forged block is refused, saying what is wrong and where', () => {
  const refused = (input: Buffer, pattern: RegExp, max = 1 << 20) => {
    const out = snappyDecode(input, max);
    assert.equal(typeof out, 'string', `decoded: ${String(out)}`);
    assert.match(out as string, pattern);
  };
  refused(bytes([]), /ends inside its length/);
  refused(bytes([0x80, 0x80]), /ends inside its length/);
  refused(bytes([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /more than 32 bits/);
  refused(bytes([5, 4 << 2], 'hel'), /literal of 5 bytes runs past/);
  refused(bytes([3, 4 << 2], 'hello'), /writes past the 3 bytes/);
  refused(bytes([4, 1 << 2], 'ab', [1, 0]), /refers 0 bytes back/);
  refused(bytes([8, 1 << 2], 'ab', [((6 - 4) << 2) | 1, 9]), /refers 9 bytes back, before the start/);
  refused(bytes([9, 1 << 2], 'ab', [((6 - 4) << 2) | 1, 2]), /declares 9 bytes but holds 8/);
  refused(bytes([4, 1 << 2], 'ab', [((6 - 4) << 2) | 2]), /ends inside a copy/);
  // The declared length is checked before anything is allocated.
  refused(bytes([0x80, 0x80, 0x80, 0x80, 0x04]), /decodes to 1073741824 bytes, more than 1048576/);
  refused(bytes([200, 1]), /more than 100/, 100);
});

test('random bytes never throw: a block or a reason', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  let decoded = 0;
  for (let i = 0; i < 5000; i++) {
    const input = Buffer.from(Array.from({ length: 1 + (i % 40) }, rand));
    const out = snappyDecode(input, 4096);
    if (Buffer.isBuffer(out)) decoded++;
    else assert.equal(typeof out, 'string');
  }
  assert.ok(decoded < 5000);
});
