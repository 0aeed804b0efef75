import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../core/buffer-pool.ts';

test('a buffer handed back is reused: the smallest that fits, new ones with room to spare, small and surplus ones let go', () => {
  const min = 64 * 1024;
  const pool = new BufferPool(3, min);
  const fresh = pool.take(100_000);
  assert.ok(fresh.byteLength >= 112_500 && fresh.byteLength % 65536 === 0, `a new buffer has an eighth to spare, in 64 KiB steps (${fresh.byteLength})`);
  assert.equal(pool.take(1000).byteLength, 1000, 'a small one gets what it asked for');
  const big = new ArrayBuffer(1 << 20);
  const mid = new ArrayBuffer(300_000);
  pool.add([big, mid, new ArrayBuffer(min - 1)]);
  assert.equal(pool.kept, 2, 'a buffer under minBytes is not kept');
  assert.equal(pool.take(200_000), mid, 'the smallest that fits');
  assert.equal(pool.take(200_000), big);
  assert.equal(pool.kept, 0);
  // Kept buffers too small for the sizes of now: a new one, and the smallest kept one goes.
  const small = [new ArrayBuffer(70_000), new ArrayBuffer(80_000)];
  pool.add(small);
  assert.ok(!small.includes(pool.take(500_000)));
  assert.equal(pool.kept, 1);
  assert.equal(pool.take(75_000), small[1], 'the 70 KB one was let go, the 80 KB one kept');
  pool.add(Array.from({ length: 6 }, () => new ArrayBuffer(min)));
  assert.equal(pool.kept, 3, 'at most `keep` kept');
});
