// The origin dedup stage on its own: re-sent file lines stop, new ones and other origins pass, a
// take-over seeds it from what landed, and state past the horizon is forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OriginDedupStage } from '../../../pipeline/stages/origin.ts';
import { NO_WRITES } from '../../../pipeline/sinks/clickhouse/landing.ts';
import { type LogRecord, type RecordOrigin } from '../../../core/contracts/records.ts';

const rec = (origin: RecordOrigin): LogRecord => ({
  v: 1, time: '2026-11-29T00:00:00Z', observed_time: '2026-11-29T00:00:00Z', service: 's', host: 'h', severity_text: 'INFO', severity_number: 9,
  body: 'b', attributes: {}, resource: {}, trace_id: '', span_id: '', origin,
});
const ctx = (partition: number, now = 0, replay = false) => ({ topic: 't', partition, offset: 0, now, replay, out: NO_WRITES });
const file = (fingerprint: string, offset: number): RecordOrigin => ({ kind: 'file', path: '/a.log', fingerprint, offset });

test('a line at or below the highest offset seen for its file and partition is a re-send', () => {
  const s = new OriginDedupStage();
  const passed = [0, 100, 200, 100, 200, 300, 0].map((o) => s.push(rec(file('fp1', o)), ctx(0)) !== undefined);
  assert.deepEqual(passed, [true, true, true, false, false, true, false]);
  assert.equal(s.counts.duplicates, 3);
  assert.ok(s.push(rec(file('fp2', 0)), ctx(0)), 'another file has its own offsets');
  assert.ok(s.push(rec(file('fp1', 0)), ctx(1)), 'another partition has its own state');
  assert.ok(s.push(rec({ kind: 'otlp', offset: 1 }), ctx(0)) && s.push(rec({ kind: 'otlp', offset: 1 }), ctx(0)), 'other origins pass (at least once)');
});

test('replayed re-sends are dropped too (windows must not count them) but not counted again', () => {
  const s = new OriginDedupStage();
  s.push(rec(file('fp', 50)), ctx(0, 0, true));
  assert.equal(s.push(rec(file('fp', 50)), ctx(0, 0, true)), undefined);
  assert.equal(s.counts.duplicates, 0);
});

test('a take-over starts from what landed; a revoke forgets the partition', () => {
  const s = new OriginDedupStage();
  s.seed(3, new Map([['fp', 1000]]));
  assert.equal(s.push(rec(file('fp', 1000)), ctx(3)), undefined);
  assert.ok(s.push(rec(file('fp', 1001)), ctx(3)));
  s.revoke(3);
  assert.equal(s.size, 0);
  assert.ok(s.push(rec(file('fp', 10)), ctx(3)));
});

test('fingerprints not seen within the horizon are forgotten (the state is bounded)', () => {
  const s = new OriginDedupStage(3_600_000);
  s.push(rec(file('old', 10)), ctx(0, 0));
  s.push(rec(file('new', 10)), ctx(0, 3_000_000));
  s.flush(3_700_000);
  assert.equal(s.size, 1);
  assert.equal(s.counts.expired, 1);
  assert.ok(s.push(rec(file('old', 10)), ctx(0, 3_700_001)), 'past the horizon a re-send passes (lands again)');
  assert.equal(s.push(rec(file('new', 10)), ctx(0, 3_700_001)), undefined);
});
