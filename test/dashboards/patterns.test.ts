// The Patterns dashboard on a real log whose patterns the miner merges while it learns them (Loghub's
// OpenSSH sample: five "Failed password for <user>" clusters merge into one after their lines landed).
// The lines go through the worker's logs stream (decode, miner, rows) in batches of 200; each batch's
// rows, pattern deltas and merges go into chDB as the landing writes them; then the panels' queries,
// expanded as Grafana expands them, must show every pattern once, under the id it stands for now,
// with all its records. The windows' repartition sink is a stand-in (windows are not under test here).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { availableSystems, DEFAULT_LOGHUB_DIR, groupingAccuracy, loadSample } from '../../bench/loghub.ts';
import { buildDashboards } from '../../dashboards/index.ts';
import { expandPanelQuery, type VariableState } from '../../dashboards/macros.ts';
import { PATTERNS_UID } from '../../dashboards/patterns.ts';
import { migrate } from '../../core/storage/migrate.ts';
import { openStore } from '../../core/storage/open.ts';
import { type Store } from '../../core/storage/store.ts';
import { Batch, BatchCursor } from '../../pipeline/sinks/clickhouse/landing.ts';
import { type RepartitionSink } from '../../pipeline/sinks/repartition.ts';
import { type RecordContext } from '../../pipeline/stage.ts';
import { logStream } from '../../pipeline/streams/logs.ts';

const SYSTEM = 'OpenSSH';
const present = availableSystems(DEFAULT_LOGHUB_DIR).includes(SYSTEM);
const BASE = Date.parse('2026-11-24T10:00:00Z');
const sink = (() => ({ partitionsOf: () => 1, send: async () => undefined })) as unknown as () => RepartitionSink;

let dir = '';
let store: Store;
/** Per line: the id its row was stored with, the id it stands for at the end, its event time, its true event. */
let lines: Array<{ stored: string; final: string; time: number; truth: string }> = [];

before(async () => {
  if (!present) return;
  dir = mkdtempSync(join(tmpdir(), 'tributary-patterns-dash-'));
  store = await openStore({ driver: 'embedded', path: dir });
  await migrate(store);
  const sample = loadSample(SYSTEM);
  const s = logStream('logs.v1', { windows: { sizesMs: [60_000], allowedLatenessMs: 0 }, patterns: {}, group: 'g', sink });
  s.windows.assign(0, BASE);
  const cursor = new BatchCursor();
  cursor.topic = 'logs.v1';
  const ctx: RecordContext = { topic: 'logs.v1', partition: 0, offset: 0, now: BASE, replay: false, out: cursor };
  const times: number[] = [];
  for (let first = 0; first < sample.contents.length; first += 200) {
    cursor.batch = new Batch(first);
    const last = Math.min(sample.contents.length, first + 200) - 1;
    for (let offset = first; offset <= last; offset++) {
      const time = BASE + offset * 1000;
      times.push(time);
      ctx.offset = cursor.offset = offset;
      const value = Buffer.from(JSON.stringify({ v: 1, time: new Date(time).toISOString(), service: 'sshd', host: 'h1', body: sample.contents[offset], severity_number: 9 }));
      cursor.record = { key: null, value };
      s.stream.push(value, ctx);
    }
    // As the landing writes a batch: aggregates (pattern deltas, merges), then the raw rows, each under the batch's token.
    for (const [table, byKey] of cursor.batch.aggregates) {
      const rows = [...byKey.values()].map((a) => (a.finish ? a.finish(a.acc as never) : (a.acc as object)));
      await store.insert(table, rows, { dedupToken: `${table}/logs.v1/0/${first}-${last}` });
    }
    await store.insert('logs', cursor.batch.tables.get('logs')!, { dedupToken: `logs.v1/0/${first}-${last}` });
  }
  const stored = await store.query<{ pattern_id: string }>('SELECT pattern_id FROM logs ORDER BY kafka_offset');
  lines = stored.map((r, i) => ({ stored: r.pattern_id, final: s.patterns.miner.resolve(r.pattern_id), time: times[i]!, truth: sample.eventIds[i]! }));
});

after(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function panelSql(title: string, from: number, to: number, intervalSeconds: number): string {
  const d = buildDashboards().find((b) => b.dashboard.uid === PATTERNS_UID)!.dashboard;
  const panel = (d.panels ?? []).find((p) => (p as { title?: string }).title === title) as { targets: Array<{ rawSql: string }> } | undefined;
  assert.ok(panel, `panel ${title}`);
  const variables: Record<string, VariableState> = { service: { value: ['$__all'], options: ['sshd'] } };
  return expandPanelQuery(panel.targets[0]!.rawSql, { from: new Date(from), to: new Date(to), intervalSeconds, variables });
}

/** Records per final id, as the miner sees them at the end. */
function finalCounts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.final, (out.get(l.final) ?? 0) + 1);
  return out;
}

const skip = present ? false : `no ${SYSTEM} sample under ${DEFAULT_LOGHUB_DIR}`;

test('the stream merged patterns after their first rows landed, so stored ids alone split events', { skip }, async () => {
  const merges = await store.query<{ n: string }>('SELECT count() AS n FROM pattern_merges');
  assert.ok(Number(merges[0]!.n) > 0, 'the miner merged clusters and the merges landed');
  const changed = lines.filter((l) => l.stored !== l.final).length;
  assert.ok(changed > 0, 'some rows carry an id merged away');
  const truth = lines.map((l) => l.truth);
  const storedGa = groupingAccuracy(lines.map((l) => l.stored), truth);
  const finalGa = groupingAccuracy(lines.map((l) => l.final), truth);
  assert.ok(finalGa > storedGa, `final ids group better (${finalGa.toFixed(3)}) than stored ones (${storedGa.toFixed(3)})`);
});

test('top patterns: one row per pattern under the id it stands for now, with all its records', { skip }, async () => {
  const rows = await store.query<{ pattern_id: string; records: string; template: string }>(panelSql('Top patterns in range', BASE, BASE + 3 * 3600_000, 60));
  const expected = finalCounts();
  assert.ok(expected.size <= 50, 'every pattern fits the panel');
  assert.deepEqual(new Map(rows.map((r) => [r.pattern_id, Number(r.records)])), expected);
  for (const r of rows) assert.notEqual(r.template, '', `${r.pattern_id} has a template`);
});

test('new patterns: a merged pattern is first seen when the first of its members was', { skip }, async () => {
  const rows = await store.query<{ pattern_id: string; records: string; first_seen_at: string }>(panelSql('New patterns (first seen in range)', BASE, BASE + 3 * 3600_000, 60));
  assert.deepEqual(new Map(rows.map((r) => [r.pattern_id, Number(r.records)])), finalCounts());
  for (const r of rows) {
    const first = Math.min(...lines.filter((l) => l.final === r.pattern_id).map((l) => l.time));
    assert.equal(Date.parse(`${r.first_seen_at.replace(' ', 'T')}Z`), first, r.pattern_id);
  }
});

test('the pattern trend counts a merged pattern as one series, from raw logs and from the hourly rollup alike', { skip }, async () => {
  const top10 = [...finalCounts()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  for (const interval of [60, 3600]) {
    const rows = await store.query<{ pattern: string; records: string }>(panelSql('Top 10 patterns over time', BASE, BASE + 3 * 3600_000, interval));
    const sums = new Map<string, number>();
    for (const r of rows) sums.set(r.pattern, (sums.get(r.pattern) ?? 0) + Number(r.records));
    // Ties at the tenth place may pick either pattern: compare the counts, and the ids above the tie.
    assert.deepEqual([...sums.values()].sort((a, b) => b - a), top10.map(([, n]) => n), `interval ${interval}`);
    for (const [id, n] of top10.filter(([, n]) => n > top10[9]![1])) assert.equal(sums.get(`sshd ${id}`), n, `${id} at interval ${interval}`);
  }
});
