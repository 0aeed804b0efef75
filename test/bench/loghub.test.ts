import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { availableSystems, DRAIN_GA, extractContent, findLoghubDir, formatRegex, groupingAccuracy, LOG_FORMATS, parseCsv } from '../../bench/loghub.ts';

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
  // Whichever copy is found, it holds the eight systems that ship with the project, so the accuracy test skips none.
  // DRAIN_GA names all sixteen Loghub systems; the other eight are read only when a fuller copy is pointed at.
  const shipped = new URL('../fixtures/loghub-2k', import.meta.url).pathname;
  const eight = ['BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux', 'OpenStack', 'Proxifier'];
  assert.deepEqual(availableSystems(shipped).sort(), eight.sort());
  for (const s of eight) assert.ok(availableSystems(dir).includes(s), `${s} missing from ${dir}`);
  for (const s of eight) assert.ok(s in DRAIN_GA, `no published Drain figure for ${s}`);
  assert.equal(Object.keys(DRAIN_GA).length, 16);
});

test('FGA is the F1 of whole groups: precision over predicted groups, recall over true ones', async () => {
  const { fgaScore } = await import('../../bench/loghub.ts');
  // Truth: a a b b c. Prediction groups {0,1} right, {2,3,4} wrong (b and c merged): P = 1/2, R = 1/3.
  assert.equal(fgaScore(['x', 'x', 'y', 'y', 'y'], ['a', 'a', 'b', 'b', 'c']).toFixed(4), (2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3)).toFixed(4));
  assert.equal(fgaScore(['1', '1', '2'], ['a', 'a', 'b']), 1);
  assert.equal(fgaScore(['1', '2', '3'], ['a', 'a', 'a']), 0);
});
