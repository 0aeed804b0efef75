// The MessagePack reader the Forward intake stands on (agents/sources/msgpack.ts), on bytes written here
// by hand after the format's specification (github.com/msgpack/msgpack/blob/master/spec.md), one case
// per type family and size, and on what a hostile sender could write. What real senders write is
// tested end to end in forward.test.ts (fluent-logger-golang, fluent-forward-go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMsgpack, decodeMsgpackStream, encodeMsgpack, MsgpackError, MsgpackExt, msgpackLength, MsgpackScanner } from '../../../agents/sources/msgpack.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

// Each: the bytes, and the value they hold.
const CASES: Array<[string, Buffer, unknown]> = [
  ['nil', hex('c0'), null],
  ['false', hex('c2'), false],
  ['positive fixint', hex('7f'), 127],
  ['negative fixint', hex('e0'), -32],
  ['uint 8', hex('cc ff'), 255],
  ['uint 16', hex('cd 01 00'), 256],
  ['uint 32', hex('ce ff ff ff ff'), 4294967295],
  ['uint 64, safe', hex('cf 00 1f ff ff ff ff ff ff'), Number.MAX_SAFE_INTEGER],
  ['uint 64, past 2^53', hex('cf ff ff ff ff ff ff ff ff'), 18446744073709551615n],
  ['int 8', hex('d0 80'), -128],
  ['int 16', hex('d1 80 00'), -32768],
  ['int 32', hex('d2 80 00 00 00'), -2147483648],
  ['int 64', hex('d3 ff ff ff ff ff ff ff fe'), -2],
  ['float 32', hex('ca 3f c0 00 00'), 1.5],
  ['float 64', hex('cb 40 09 21 fb 54 44 2d 18'), 3.141592653589793],
  ['fixstr', Buffer.concat([hex('a5'), Buffer.from('héllo'.slice(0, 4))]), 'héll'.slice(0, 4)],
  ['str 8', Buffer.concat([hex('d9 20'), Buffer.from('x'.repeat(32))]), 'x'.repeat(32)],
  ['str 16', Buffer.concat([hex('da'), u16(300), Buffer.from('y'.repeat(300))]), 'y'.repeat(300)],
  ['str 32', Buffer.concat([hex('db'), u32(70_000), Buffer.from('z'.repeat(70_000))]), 'z'.repeat(70_000)],
  ['bin 8', hex('c4 03 00 ff 10'), Buffer.from([0, 255, 16])],
  ['bin 16', Buffer.concat([hex('c5'), u16(2), hex('01 02')]), Buffer.from([1, 2])],
  ['bin 32', Buffer.concat([hex('c6'), u32(1), hex('07')]), Buffer.from([7])],
  ['fixarray', hex('93 01 a1 61 c0'), [1, 'a', null]],
  ['array 16', Buffer.concat([hex('dc'), u16(16), Buffer.alloc(16, 0x05)]), new Array(16).fill(5)],
  ['array 32', Buffer.concat([hex('dd'), u32(2), hex('c3 c2')]), [true, false]],
  ['fixmap', hex('82 a1 61 01 a1 62 92 02 03'), { a: 1, b: [2, 3] }],
  ['map 16', Buffer.concat([hex('de'), u16(1), hex('a1 6b c0')]), { k: null }],
  ['map 32', Buffer.concat([hex('df'), u32(1), hex('a1 6b 80')]), { k: {} }],
  ['map with a non-string key', hex('81 07 a1 76'), { 7: 'v' }],
  ['fixext 8 (Fluentd EventTime)', hex('d7 00 69 2a c5 20 07 5b cd 15'), new MsgpackExt(0, hex('69 2a c5 20 07 5b cd 15'))],
  ['fixext 1, negative type', hex('d4 ff 2a'), new MsgpackExt(-1, hex('2a'))],
  ['fixext 16', Buffer.concat([hex('d8 05'), Buffer.alloc(16, 1)]), new MsgpackExt(5, Buffer.alloc(16, 1))],
  ['ext 8 (an EventTime as some senders write it)', hex('c7 08 00 69 2a c5 20 07 5b cd 15'), new MsgpackExt(0, hex('69 2a c5 20 07 5b cd 15'))],
  ['ext 16', Buffer.concat([hex('c8'), u16(3), hex('09 aa bb cc')]), new MsgpackExt(9, hex('aa bb cc'))],
  ['ext 32', Buffer.concat([hex('c9'), u32(1), hex('09 aa')]), new MsgpackExt(9, hex('aa'))],
];

const plain = (v: unknown): unknown =>
  v instanceof MsgpackExt ? { ext: v.type, data: v.data.toString('hex') } : Buffer.isBuffer(v) ? { bin: v.toString('hex') } : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

test('every type family and size decodes to its value, and its length is known from its bytes alone', () => {
  for (const [name, bytes, value] of CASES) {
    assert.deepEqual(plain(decodeMsgpack(bytes)), plain(value), name);
    assert.equal(msgpackLength(bytes, 0), bytes.length, `${name}: length`);
    // Behind other bytes, and followed by more: the length is the value's own.
    const framed = Buffer.concat([hex('c0 c0'), bytes, hex('c3')]);
    assert.equal(msgpackLength(framed, 2), bytes.length, `${name}: length at an offset`);
    assert.deepEqual(plain(decodeMsgpack(framed, 2, 2 + bytes.length)), plain(value), `${name}: at an offset`);
  }
  assert.equal(decodeMsgpack(hex('c3')), true);
});

test('a value cut anywhere is incomplete (-1), never misread; the decoder refuses the cut value', () => {
  const nested = Buffer.concat([hex('93 a3 74 61 67'), hex('91 92 d7 00 69 2a c5 20 07 5b cd 15 82 a3 6c 6f 67 a2 68 69 a1 6e cd 01 00'), hex('81 a5 63 68 75 6e 6b c4 02 ab cd')]);
  assert.equal(msgpackLength(nested, 0), nested.length);
  for (const [name, bytes] of [...CASES.map(([n, b]) => [n, b] as const), ['nested', nested] as const]) {
    for (let cut = 0; cut < Math.min(bytes.length, 400); cut++) {
      const part = bytes.subarray(0, cut);
      assert.equal(msgpackLength(part, 0), -1, `${name} cut at ${cut}`);
      assert.throws(() => decodeMsgpack(part), MsgpackError, `${name} cut at ${cut}`);
    }
  }
});

test('hostile input: huge declared sizes, deep nesting, the unused byte, trailing bytes', () => {
  // An array and a map of 4 billion items in 5 bytes: waiting for more, and refused when decoded, without allocating.
  const huge = Buffer.concat([hex('dd'), u32(0xffffffff)]);
  assert.equal(msgpackLength(huge, 0), -1);
  assert.throws(() => decodeMsgpack(Buffer.concat([huge, hex('01 02')])), /needs 4294967295 bytes/);
  assert.throws(() => decodeMsgpack(Buffer.concat([hex('df'), u32(0xffffffff), hex('a1 6b 01')])), /needs 8589934590 bytes/);
  assert.throws(() => decodeMsgpack(Buffer.concat([hex('db'), u32(0xfffffff0), hex('61')])), /needs 4294967280 bytes/);
  // Nesting: 64 levels are read, 65 are not (by either function).
  const deep = (n: number) => Buffer.concat([Buffer.alloc(n, 0x91), hex('c0')]);
  assert.equal(msgpackLength(deep(64), 0), 65);
  assert.ok(Array.isArray(decodeMsgpack(deep(64))));
  assert.throws(() => msgpackLength(deep(65), 0), /nesting deeper than 64/);
  assert.throws(() => decodeMsgpack(deep(65)), /nesting deeper than 64/);
  assert.throws(() => msgpackLength(Buffer.alloc(100_000, 0x91), 0), /nesting deeper than 64/);
  assert.throws(() => msgpackLength(hex('92 01 c1'), 0), /0xc1 is not a MessagePack value at byte 2/);
  assert.throws(() => decodeMsgpack(hex('92 01 c1')), /0xc1 is not a MessagePack value at byte 2/);
  assert.throws(() => decodeMsgpack(hex('01 02')), /1 bytes after the value at byte 1/);
  // A key named __proto__ is a key, not the map's prototype.
  const m = decodeMsgpack(Buffer.concat([hex('81 a9'), Buffer.from('__proto__'), hex('81 a1 78 01')])) as Record<string, unknown>;
  assert.deepEqual(Object.keys(m), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('a stream of values back to back (PackedForward entries) decodes in order; the writer writes what the reader reads', () => {
  const stream = Buffer.concat([hex('92 01 80'), hex('92 02 81 a1 61 a1 62'), hex('c0')]);
  assert.deepEqual(plain(decodeMsgpackStream(stream)), [[1, {}], [2, { a: 'b' }], null]);
  assert.throws(() => decodeMsgpackStream(stream.subarray(0, -2)), MsgpackError);
  const helo = encodeMsgpack(['HELO', { nonce: Buffer.from([1, 2, 3]), auth: Buffer.alloc(0), keepalive: true }]);
  assert.deepEqual(plain(decodeMsgpack(helo)), ['HELO', { nonce: { bin: '010203' }, auth: { bin: '' }, keepalive: true }]);
  for (const v of [{ ack: 'YWJjZGVm' }, { ack: 'x'.repeat(40) }, { ack: 'ü'.repeat(200) }, { ack: 'y'.repeat(70_000) }, ['PONG', true, '', 'host', 'f'.repeat(128)], null, true, 7, 4294967295]) {
    const bytes = encodeMsgpack(v);
    assert.equal(msgpackLength(bytes, 0), bytes.length);
    assert.deepEqual(plain(decodeMsgpack(bytes)), v);
  }
  assert.deepEqual([...encodeMsgpack({ ack: 'abc' })], [0x81, 0xa3, 0x61, 0x63, 0x6b, 0xa3, 0x61, 0x62, 0x63]);
  assert.throws(() => encodeMsgpack(-1), /unsigned 32-bit/);
});

test('the resuming scanner: a value arriving a byte at a time, or in pieces, is found where msgpackLength finds it', () => {
  const value = Buffer.concat([hex('93 a3 74 61 67'), hex('dc 00 03'), hex('92 d7 00 69 2a c5 20 07 5b cd 15 81 a3 6c 6f 67 da 01 2c'), Buffer.alloc(300, 0x61), hex('92 01 80 92 02 80'), hex('81 a5 63 68 75 6e 6b c4 02 ab cd')]);
  const whole = msgpackLength(value, 0);
  assert.equal(whole, value.length);
  for (const step of [1, 2, 3, 7, 64, 301]) {
    const scanner = new MsgpackScanner();
    let got = -1;
    let calls = 0;
    // Behind a byte of an earlier value, as a framer's buffer holds it.
    for (let end = Math.min(step, value.length); got === -1; end = Math.min(end + step, value.length)) {
      got = scanner.length(Buffer.concat([hex('c0'), value.subarray(0, end)]), 1);
      calls++;
      if (end === value.length) break;
    }
    assert.equal(got, whole, `pieces of ${step}`);
    assert.equal(calls, Math.ceil(value.length / step), `pieces of ${step}: found as soon as it was all there`);
    // Reset by finding it: the next value is walked from its own start.
    assert.equal(scanner.length(hex('92 01 02'), 0), 3);
  }
});
