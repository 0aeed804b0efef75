import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkTracker } from '../../../../pipeline/transforms/windows/watermark.ts';
import { TributaryError } from '../../../../core/errors.ts';

type Step =
  | { observe: [partition: number, eventTime: number, now: number] }
  | { assign: [partition: number, now: number] }
  | { revoke: number }
  | { compute: number; expect: number };

const CASES: { name: string; lateness: number; idle: number; steps: Step[] }[] = [
  {
    name: 'one partition: highest event time minus the allowed lateness',
    lateness: 1_000,
    idle: 10_000,
    steps: [
      { compute: 0, expect: -Infinity },
      { observe: [0, 5_000, 0] },
      { observe: [0, 3_000, 0] },
      { compute: 0, expect: 4_000 },
      { observe: [0, 9_000, 1] },
      { compute: 1, expect: 8_000 },
    ],
  },
  {
    name: 'the slowest active partition holds the watermark',
    lateness: 0,
    idle: 10_000,
    steps: [
      { observe: [0, 50_000, 0] },
      { observe: [1, 20_000, 0] },
      { compute: 0, expect: 20_000 },
      { observe: [1, 30_000, 5_000] },
      { compute: 5_000, expect: 30_000 },
    ],
  },
  {
    name: 'an idle partition stops holding the watermark after the idle timeout',
    lateness: 500,
    idle: 10_000,
    steps: [
      { observe: [0, 20_000, 0] },
      { observe: [1, 10_000, 0] },
      { observe: [0, 40_000, 10_000] },
      // Partition 1 last spoke at processing time 0: at 10 000 it is exactly at the timeout, still active.
      { compute: 10_000, expect: 9_500 },
      { observe: [0, 45_000, 10_001] },
      { compute: 10_001, expect: 44_500 },
    ],
  },
  {
    name: 'when every partition is idle the highest event time seen rules',
    lateness: 1_000,
    idle: 5_000,
    steps: [
      { observe: [0, 20_000, 0] },
      { observe: [1, 12_000, 0] },
      { compute: 0, expect: 11_000 },
      { compute: 5_001, expect: 19_000 },
    ],
  },
  {
    name: 'the watermark never goes back when a partition wakes up behind it',
    lateness: 0,
    idle: 5_000,
    steps: [
      { observe: [0, 100_000, 0] },
      { observe: [1, 10_000, 0] },
      { observe: [0, 100_000, 6_000] },
      { compute: 6_000, expect: 100_000 },
      { observe: [1, 20_000, 6_500] },
      { compute: 6_500, expect: 100_000 },
      { observe: [1, 150_000, 7_000] },
      { compute: 7_000, expect: 100_000 },
      { observe: [0, 200_000, 7_000] },
      { compute: 7_000, expect: 150_000 },
    ],
  },
  {
    name: 'an assigned partition with no records holds the watermark until it idles',
    lateness: 0,
    idle: 5_000,
    steps: [
      { assign: [1, 0] },
      { observe: [0, 30_000, 1_000] },
      { compute: 1_000, expect: -Infinity },
      { compute: 5_000, expect: -Infinity },
      { compute: 5_001, expect: 30_000 },
    ],
  },
  {
    name: 'a revoked partition no longer holds the watermark',
    lateness: 0,
    idle: 60_000,
    steps: [
      { observe: [0, 30_000, 0] },
      { observe: [1, 10_000, 0] },
      { compute: 0, expect: 10_000 },
      { revoke: 1 },
      { compute: 0, expect: 30_000 },
    ],
  },
];

for (const c of CASES) {
  test(`watermark: ${c.name}`, () => {
    const wm = new WatermarkTracker({ allowedLatenessMs: c.lateness, idleTimeoutMs: c.idle });
    c.steps.forEach((s, i) => {
      if ('observe' in s) wm.observe(...s.observe);
      else if ('assign' in s) wm.assign(...s.assign);
      else if ('revoke' in s) wm.revoke(s.revoke);
      else {
        assert.equal(wm.compute(s.compute), s.expect, `step ${i}`);
        assert.equal(wm.current, s.expect);
      }
    });
  });
}

test('partitions() reports which partitions are idle', () => {
  const wm = new WatermarkTracker({ idleTimeoutMs: 1_000 });
  wm.observe(2, 500, 0);
  wm.observe(0, 900, 1_500);
  assert.deepEqual(wm.partitions(2_000), [
    { partition: 0, maxEventTime: 900, lastActivity: 1_500, idle: false },
    { partition: 2, maxEventTime: 500, lastActivity: 0, idle: true },
  ]);
  assert.equal(wm.maxEventTime, 900);
});

test('a restored watermark is the starting point and only moves forward', () => {
  const wm = new WatermarkTracker({ allowedLatenessMs: 0, initialWatermark: 50_000 });
  wm.observe(0, 10_000, 0);
  assert.equal(wm.compute(0), 50_000);
  assert.equal(wm.forceTo(40_000), 50_000);
  assert.equal(wm.forceTo(60_000), 60_000);
});

test('defaults are 5 s of lateness and 30 s of idle timeout', () => {
  const wm = new WatermarkTracker();
  assert.equal(wm.allowedLatenessMs, 5_000);
  assert.equal(wm.idleTimeoutMs, 30_000);
});

test('invalid options throw a CONFIG_INVALID error', () => {
  for (const o of [{ allowedLatenessMs: -1 }, { allowedLatenessMs: Infinity }, { idleTimeoutMs: -5 }]) {
    assert.throws(() => new WatermarkTracker(o), (e: unknown) => e instanceof TributaryError && e.code === 'CONFIG_INVALID');
  }
});
