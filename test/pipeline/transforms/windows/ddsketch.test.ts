import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DDSketch } from '../../../../pipeline/transforms/windows/ddsketch.ts';
import { TributaryError } from '../../../../core/errors.ts';
import { exactQuantile, random, withinRelative } from './fixtures.ts';

const QS = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Distributions chosen to stress different parts of the bucket range. */
const DISTRIBUTIONS: { name: string; n: number; draw: (r: () => number) => number }[] = [
  { name: 'uniform 0..1000', n: 20_000, draw: (r) => r() * 1000 },
  { name: 'exponential mean 50', n: 20_000, draw: (r) => -50 * Math.log(1 - r()) },
  { name: 'lognormal heavy tail', n: 20_000, draw: (r) => Math.exp(3 + 2 * gaussian(r)) },
  { name: 'constant 42', n: 1_000, draw: () => 42 },
  { name: 'integers 0..5 with zeros', n: 5_000, draw: (r) => Math.floor(r() * 6) },
  { name: 'tiny 1e-6..1e-3', n: 5_000, draw: (r) => 1e-6 * Math.pow(1000, r()) },
  { name: 'huge 1e9..1e15', n: 5_000, draw: (r) => 1e9 * Math.pow(1e6, r()) },
  { name: 'mixed signs', n: 10_000, draw: (r) => (r() < 0.3 ? -1 : 1) * Math.exp(6 * r()) },
  { name: 'all negative', n: 5_000, draw: (r) => -1 - r() * 500 },
  { name: 'single value', n: 1, draw: () => 7.5 },
];

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function sample(seed: number, n: number, draw: (r: () => number) => number): number[] {
  const r = random(seed);
  return Array.from({ length: n }, () => draw(r));
}

// At alpha = 0.001 buckets are 20 times narrower, so the default limit of 2048 would collapse wide inputs.
for (const [alpha, maxBuckets] of [[0.01, undefined], [0.05, undefined], [0.001, 20_000]] as const) {
  for (const d of DISTRIBUTIONS) {
    test(`quantiles within ${alpha} relative error: ${d.name}`, () => {
      const values = sample(17, d.n, d.draw);
      const sk = new DDSketch({ alpha, maxBuckets });
      for (const v of values) sk.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      assert.equal(sk.count, values.length);
      assert.equal(sk.collapsed, false);
      for (const q of QS) {
        const exact = exactQuantile(sorted, q);
        const est = sk.quantile(q);
        assert.ok(withinRelative(est, exact, alpha), `q=${q}: estimate ${est}, exact ${exact}`);
      }
    });
  }
}

test('merge of sketches equals the sketch of the union', () => {
  const values = sample(3, 30_000, (r) => Math.exp(2 + 1.5 * gaussian(r)) * (r() < 0.1 ? -1 : 1));
  const union = new DDSketch();
  for (const v of values) union.add(v);
  const parts = [new DDSketch(), new DDSketch(), new DDSketch(), new DDSketch()];
  values.forEach((v, i) => parts[(i * 7) % 4]!.add(v));
  const merged = new DDSketch();
  for (const p of parts) merged.merge(p);
  const sorted = [...values].sort((a, b) => a - b);
  assert.equal(merged.count, union.count);
  assert.equal(merged.min, union.min);
  assert.equal(merged.max, union.max);
  for (const q of QS) {
    assert.equal(merged.quantile(q), union.quantile(q), `q=${q}`);
    assert.ok(withinRelative(merged.quantile(q), exactQuantile(sorted, q), 0.01), `q=${q}`);
  }
});

test('serialize and deserialize give the same sketch and the same bytes', () => {
  const sk = new DDSketch({ alpha: 0.02 });
  for (const v of sample(9, 5_000, (r) => (r() - 0.2) * 300)) sk.add(v);
  const text = sk.serialize();
  const back = DDSketch.deserialize(text);
  assert.equal(back.serialize(), text);
  assert.equal(back.alpha, 0.02);
  assert.equal(back.count, sk.count);
  for (const q of QS) assert.equal(back.quantile(q), sk.quantile(q));
  // A restored sketch keeps working: adding to both keeps them equal.
  sk.add(12345);
  back.add(12345);
  assert.equal(back.serialize(), sk.serialize());
  // The parsed object form is accepted as well.
  assert.equal(DDSketch.deserialize(JSON.parse(text)).serialize(), text);
});

test('an empty sketch answers NaN and round-trips', () => {
  const sk = new DDSketch();
  assert.ok(Number.isNaN(sk.quantile(0.5)));
  assert.ok(Number.isNaN(sk.min));
  assert.equal(sk.count, 0);
  const back = DDSketch.deserialize(sk.serialize());
  assert.equal(back.count, 0);
  assert.ok(Number.isNaN(back.quantile(0.99)));
});

test('non-finite values and bad weights are ignored', () => {
  const sk = new DDSketch();
  assert.equal(sk.add(NaN), false);
  assert.equal(sk.add(Infinity), false);
  assert.equal(sk.add(5, 0), false);
  assert.equal(sk.add(5, -1), false);
  assert.equal(sk.add(5, 3), true);
  assert.equal(sk.count, 3);
  assert.ok(withinRelative(sk.quantile(0.5), 5, 0.01));
});

test('out-of-range q gives NaN', () => {
  const sk = new DDSketch();
  sk.add(1);
  assert.ok(Number.isNaN(sk.quantile(-0.1)));
  assert.ok(Number.isNaN(sk.quantile(1.1)));
});

test('the bucket limit collapses the lowest buckets and keeps the guarantee above them', () => {
  const maxBuckets = 64;
  const values = sample(5, 10_000, (r) => Math.pow(10, 12 * r())); // 1 .. 1e12: ~1400 buckets at 1%
  const sk = new DDSketch({ maxBuckets });
  for (const v of values) sk.add(v);
  assert.equal(sk.collapsed, true);
  const stored = sk.toJSON().p[1];
  assert.ok(stored.length <= maxBuckets, `${stored.length} buckets`);
  const sorted = [...values].sort((a, b) => a - b);
  // 64 buckets at gamma = 1.0202 cover a factor of about 3.6 below the maximum.
  const keptFrom = sorted[sorted.length - 1]! / 3.5;
  for (const q of QS) {
    const exact = exactQuantile(sorted, q);
    const est = sk.quantile(q);
    if (exact >= keptFrom) assert.ok(withinRelative(est, exact, 0.01), `q=${q}: ${est} vs ${exact}`);
    else assert.ok(est >= exact, `collapsed quantile q=${q} is over-estimated: ${est} vs ${exact}`);
  }
  // The collapse survives serialisation and merging.
  assert.equal(DDSketch.deserialize(sk.serialize()).collapsed, true);
  assert.equal(new DDSketch({ maxBuckets }).merge(sk).collapsed, true);
});

test('merging into a small-limit sketch stays within the limit', () => {
  const a = new DDSketch({ maxBuckets: 32 });
  const b = new DDSketch({ maxBuckets: 32 });
  const values = [...sample(1, 2_000, (r) => Math.pow(10, 6 * r())), ...sample(2, 2_000, (r) => Math.pow(10, 3 + 6 * r()))];
  values.forEach((v, i) => (i < 2_000 ? a : b).add(v));
  a.merge(b);
  assert.ok(a.toJSON().p[1].length <= 32);
  assert.equal(a.count, 4_000);
  const sorted = values.sort((x, y) => x - y);
  for (const q of [0.99, 0.999, 1]) assert.ok(withinRelative(a.quantile(q), exactQuantile(sorted, q), 0.01), `q=${q}`);
});

test('invalid options and mismatched merges throw at once', () => {
  for (const alpha of [0, 1, -0.1, NaN]) {
    assert.throws(() => new DDSketch({ alpha }), (e: unknown) => e instanceof TributaryError && e.code === 'USAGE');
  }
  assert.throws(() => new DDSketch({ maxBuckets: 0 }), TributaryError);
  assert.throws(() => new DDSketch({ alpha: 0.01 }).merge(new DDSketch({ alpha: 0.02 })), TributaryError);
});

test('malformed serialised text is refused with a DECODE error', () => {
  for (const bad of ['not json', '{}', '{"a":0.01,"b":10,"n":1,"s":1,"z":0,"p":[0,[-1]],"m":[0,[]]}', 'null']) {
    assert.throws(() => DDSketch.deserialize(bad), (e: unknown) => e instanceof TributaryError && e.code === 'DECODE', bad);
  }
});
