import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorkload } from '../../workload/generator.ts';
import { parseDuration, parseLine } from '../../cli/commands/detect.ts';

const START = Date.parse('2026-11-24T10:00:00.000Z');

function writeInput(dir: string, extra: (lines: string[]) => void): string {
  const w = generateWorkload({
    seed: 21, startMs: START, durationMs: 30 * 60_000, rateScale: 0.3,
    incidents: [{ kind: 'error_burst', service: 'checkout', startMs: START + 15 * 60_000, durationMs: 5 * 60_000 }],
  });
  const lines: string[] = [];
  for (const l of w.logs()) {
    // Half the lines with epoch-millisecond times, half with ISO-8601: both are accepted.
    const ts = lines.length % 2 ? l.timeMs : new Date(l.timeMs).toISOString();
    lines.push(JSON.stringify({ ts, service: l.service, host: l.host, severity: l.severity_text, body: l.body, attributes: l.attributes }));
  }
  extra(lines);
  const path = join(dir, 'logs.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function detect(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/tributary.js', 'detect', ...args], { encoding: 'utf8', env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('detect prints one scored JSON object per closed window and flags the error burst', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-detect-'));
  try {
    const r = detect(writeInput(dir, () => {}));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(out.length, 5 * 30, 'five services, thirty 1-minute windows');
    for (const o of out) {
      assert.deepEqual(Object.keys(o), ['service', 'window_start', 'window_end', 'score', 'anomaly', 'model']);
      assert.match(o.window_start as string, /^2026-11-24T10:\d\d:00\.000Z$/);
    }
    const flagged = out.filter((o) => o.anomaly).map((o) => `${o.service} ${(o.window_start as string).slice(11, 16)}`);
    assert.deepEqual(flagged, ['checkout 10:15', 'checkout 10:16', 'checkout 10:17', 'checkout 10:18', 'checkout 10:19']);
    const scored = out.filter((o) => o.score !== null);
    assert.ok(scored.every((o) => o.model === 'service-window-maxz'));
    assert.equal(out.length - scored.length, 25, 'the first five windows of each service build its baseline');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad lines are reported on stderr with their line number, skipped, and set the exit code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-detect-'));
  try {
    const path = writeInput(dir, (lines) => {
      lines.splice(10, 0, '{"ts": "2026-11-24T10:00:01Z", "service": "checkout"');
      lines.splice(20, 0, '{"ts": "2026-11-24T10:00:02", "service": "checkout", "body": "no zone"}');
      lines.splice(30, 0, '[1, 2]');
    });
    const r = detect(path, '--window', '1m');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^line 11: not JSON/m);
    assert.match(r.stderr, /^line 21: "ts" "2026-11-24T10:00:02" is not a time/m);
    assert.match(r.stderr, /^line 31: not a JSON object; skipped$/m);
    assert.match(r.stderr, /3 of \d+ lines skipped/);
    assert.equal(r.stdout.trim().split('\n').length, 150, 'the good lines are all windowed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage mistakes exit with 2', () => {
  assert.equal(detect().code, 2);
  assert.equal(detect('/nonexistent/file.jsonl').code, 2);
  assert.equal(detect('x.jsonl', '--window', 'soon').code, 2);
});

test('durations and lines parse as documented', () => {
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('90000ms'), 90_000);
  assert.equal(parseDuration('2'), 2000);
  assert.throws(() => parseDuration('0s'));
  const ok = parseLine('{"ts": 1795514400123, "service": "a", "body": "b", "attributes": {"duration_ms": 12, "ok": true}}');
  assert.deepEqual(ok, { time: 1795514400123, service: 'a', severity: 0, body: 'b', attributes: { duration_ms: '12', ok: 'true' } });
  assert.match(parseLine('{"ts": 1, "service": "a", "body": "b", "attributes": {"x": {}}}') as string, /attribute "x"/);
});
