// bench/profile-summary.ts on a real `--cpu-prof` profile: a Node process whose time goes, by
// construction, mostly to a helper that writeRun (the JSON stage) calls, and to redactRecord
// (redaction) running a regular expression: a frame without a stage's name counts for its caller's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarise } from '../../bench/profile-summary.ts';

test('a profile is summed by stage from our function names, other frames under their caller\'s, idle left out of busy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-profile-'));
  try {
    const script = join(dir, 'work.mjs');
    writeFileSync(script, `
      const record = { v: 1, body: 'x'.repeat(400), attributes: { a: '1', b: '2' }, origin: { kind: 'file', path: '/p', offset: 1 } };
      // A helper of no stage's name, called by writeRun: its time is writeRun's stage.
      function helper(r) { let n = 0; for (let i = 0; i < 50; i++) n += JSON.stringify([r, r, r]).length; return n; }
      function writeRun() { let n = 0; for (let i = 0; i < 4; i++) n += helper(record); return n; }
      function redactRecord() { let n = 0; for (let i = 0; i < 4000; i++) n += /(\\d{3})-(\\d{4})/.test('call 555-1234 now ' + i) ? 1 : 0; return n; }
      const until = Date.now() + 1500;
      let sink = 0;
      while (Date.now() < until) { sink += writeRun(); sink += writeRun(); sink += redactRecord(); }
      // Then idle: a timer, no work.
      setTimeout(() => console.log(sink > 0), 500);
    `);
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const s = summarise(file, JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const json = s.stages['JSON (stringify and write)'] ?? 0;
    const redaction = s.stages.redaction ?? 0;
    assert.ok(json > 0.3, `JSON.stringify's time counted for writeRun's stage: ${JSON.stringify(s.stages)}`);
    assert.ok(redaction > 0.05, `the regular expression's time counted for redaction: ${JSON.stringify(s.stages)}`);
    assert.ok(s.busy > 0.5 && s.busy < 0.95, `the half second of idle is not busy time (busy ${s.busy})`);
    assert.ok(Math.abs(Object.values(s.stages).reduce((a, b) => a + b, 0) - 1) < 0.01, 'the stages share out the busy time');
    assert.ok(s.top.some(([k]) => k === 'helper'), `the helper among the functions with most self time: ${JSON.stringify(s.top)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
