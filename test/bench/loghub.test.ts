import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { availableSystems, DRAIN_GA, extractContent, findLoghubDir, formatRegex, groupingAccuracy, labelByTemplates, loadLabels, LOG_FORMATS, MORE_LOGHUB_DIR, parseCsv, readCsvRows, sampleDir } from '../../bench/loghub.ts';

test('grouping accuracy counts a line only when its whole group matches its event', () => {
  assert.equal(groupingAccuracy(['a', 'a', 'b'], ['x', 'x', 'y']), 1);
  // Group a mixes two events: all three of its lines are wrong; the lone b is right.
  assert.equal(groupingAccuracy(['a', 'a', 'a', 'b'], ['x', 'x', 'y', 'z']), 0.25);
  // Event x is split over two groups: neither group equals it.
  assert.equal(groupingAccuracy(['a', 'b', 'c'], ['x', 'x', 'y']), 1 / 3);
  assert.equal(groupingAccuracy([], []), 1);
});

test('extracts the body with the system header format', () => {
  const linux = formatRegex(LOG_FORMATS.Linux!);
  assert.equal(
    extractContent('Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown', linux),
    'check pass; user unknown',
  );
  const hdfs = formatRegex(LOG_FORMATS.HDFS!);
  assert.equal(
    extractContent('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38 terminating', hdfs),
    'PacketResponder 1 for block blk_38 terminating',
  );
  assert.equal(extractContent('not a proxifier line', formatRegex(LOG_FORMATS.Proxifier!)), undefined);
});

test('reads quoted CSV fields with doubled quotes and commas', () => {
  assert.deepEqual(parseCsv('a,b\n1,"x, ""y"""\n'), [
    ['a', 'b'],
    ['1', 'x, "y"'],
  ]);
});

test('the Loghub samples are found on a plain clone: the environment first, then beside the repository, then the shipped copy', () => {
  assert.equal(findLoghubDir({ TRIBUTARY_LOGHUB_DIR: '/some/where' }), '/some/where');
  const dir = findLoghubDir({});
  assert.ok(existsSync(dir), dir);
  // Whichever copy is found, it holds the eight systems that ship with their published labels, and the
  // other eight of Loghub's sixteen come from the shipped copy with templates only, so the accuracy test skips none.
  const shipped = new URL('../fixtures/loghub-2k', import.meta.url).pathname;
  const eight = ['BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux', 'OpenStack', 'Proxifier'];
  const others = ['Android', 'Apache', 'Mac', 'OpenSSH', 'Spark', 'Thunderbird', 'Windows', 'Zookeeper'];
  assert.deepEqual(availableSystems(shipped, false).sort(), eight.sort());
  assert.deepEqual(availableSystems(MORE_LOGHUB_DIR, false).sort(), others.sort());
  assert.deepEqual(availableSystems(dir).sort(), Object.keys(DRAIN_GA).sort());
  for (const s of others) assert.equal(sampleDir(s, shipped, true), MORE_LOGHUB_DIR, s);
  // A folder pointed at explicitly is read alone unless asked to fill.
  assert.deepEqual(availableSystems('/nonexistent'), []);
  assert.deepEqual(availableSystems('/nonexistent', true).sort(), others.sort());
  assert.equal(Object.keys(DRAIN_GA).length, 16);
});

test('labels by template give exactly the published labels wherever both are published', () => {
  const dir = findLoghubDir({});
  for (const system of availableSystems(dir, false)) {
    const base = `${dir}/${system}/${system}_2k.log`;
    const published = readCsvRows(`${base}_structured.csv`);
    const derived = labelByTemplates(published.map((r) => r.Content!), readCsvRows(`${base}_templates.csv`));
    const differ = derived.filter((d, i) => d.EventId !== published[i]!.EventId || d.EventTemplate !== published[i]!.EventTemplate.trim());
    assert.equal(differ.length, 0, `${system}: ${differ.length} lines labelled otherwise, first ${JSON.stringify(differ[0])}`);
  }
});

test("the other eight systems' every line has its event, and their header fields are read by their formats", () => {
  for (const system of availableSystems(MORE_LOGHUB_DIR, false)) {
    const rows = loadLabels(system, MORE_LOGHUB_DIR);
    assert.equal(rows.length, 2000, system);
    assert.equal(rows.filter((r) => r.EventId === 'unmatched').length, 0, `${system}: lines no template matches`);
    assert.ok(rows.every((r) => r.Content !== undefined && r.Content !== ''), `${system}: a line without a body`);
  }
  const spark = loadLabels('Spark', MORE_LOGHUB_DIR)[0]!;
  assert.deepEqual([spark.Date, spark.Time, spark.Level, spark.Component], ['17/06/09', '20:10:40', 'INFO', 'executor.CoarseGrainedExecutorBackend']);
  // A template's `<NUM>` (Mac's) stands for a number; the longest literal text wins among matches.
  assert.deepEqual(labelByTemplates(['reason = AuthFail:sts:5_rsn:0', 'x y'], [
    { EventId: 'E1', EventTemplate: 'reason = <*>' },
    { EventId: 'E2', EventTemplate: 'reason = AuthFail:sts:<NUM>_rsn:<NUM>' },
  ]), [{ EventId: 'E2', EventTemplate: 'reason = AuthFail:sts:<NUM>_rsn:<NUM>' }, { EventId: 'unmatched', EventTemplate: '' }]);
});

test('FGA is the F1 of whole groups: precision over predicted groups, recall over true ones', async () => {
  const { fgaScore } = await import('../../bench/loghub.ts');
  // Truth: a a b b c. Prediction groups {0,1} right, {2,3,4} wrong (b and c merged): P = 1/2, R = 1/3.
  assert.equal(fgaScore(['x', 'x', 'y', 'y', 'y'], ['a', 'a', 'b', 'b', 'c']).toFixed(4), (2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3)).toFixed(4));
  assert.equal(fgaScore(['1', '1', '2'], ['a', 'a', 'b']), 1);
  assert.equal(fgaScore(['1', '2', '3'], ['a', 'a', 'a']), 0);
});
