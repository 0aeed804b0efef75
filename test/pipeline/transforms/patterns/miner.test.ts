import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternMiner, patternIdOf } from '../../../../pipeline/transforms/patterns/miner.ts';

const ID = /^[0-9a-f]{16}$/;

test('gives a 16 hex char id and a template with <*> for variables', () => {
  const miner = new PatternMiner();
  const m = miner.match('user 42 logged in from 10.0.0.1');
  assert.match(m.patternId, ID);
  assert.equal(m.template, 'user <*> logged in from <*>');
  assert.equal(m.isNew, true);
  const again = miner.match('user 7 logged in from 192.168.1.20');
  assert.equal(again.patternId, m.patternId);
  assert.equal(again.isNew, false);
});

test('the id is derived from the first template, the same in every process', () => {
  const a = new PatternMiner().match('disk 3 is full');
  const b = new PatternMiner().match('disk 9 is full');
  assert.equal(a.patternId, b.patternId);
  assert.equal(a.patternId, patternIdOf('disk <*> is full'));
});

test('the id stays while the template generalises', () => {
  const miner = new PatternMiner();
  const first = miner.match('Component node-12 is in the unavailable state (HWID=1973)');
  assert.equal(first.template, 'Component node-<*> is in the unavailable state (HWID=<*>)');
  const second = miner.match('Component 0x1f is in the unavailable state (HWID=3180)');
  assert.equal(second.patternId, first.patternId);
  assert.equal(second.template, 'Component <*> is in the unavailable state (HWID=<*>)');
  assert.equal(miner.template(first.patternId), second.template);
});

test('lines that differ in a plain word are different events', () => {
  const miner = new PatternMiner();
  const ids = ['VM Started (Lifecycle Event)', 'VM Stopped (Lifecycle Event)', 'VM Paused (Lifecycle Event)'].map(
    (b) => miner.match(`[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] ${b}`).patternId,
  );
  assert.equal(new Set(ids).size, 3);
});

test('a plain word after a naming word becomes a variable from the second value on', () => {
  const miner = new PatternMiner();
  const a = miner.match('session closed for user cyrus');
  const b = miner.match('session closed for user news');
  assert.equal(b.patternId, a.patternId);
  assert.equal(b.template, 'session closed for user <*>');
});

test('many clusters differing in one plain word merge into the oldest, whose id the others resolve to', () => {
  const miner = new PatternMiner({ siblings: 4 });
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  const ids = words.map((w) => miner.match(`job finished on worker ${w} with success`).patternId);
  assert.equal(new Set(ids.slice(0, 3)).size, 3, 'below the sibling count they stay apart');
  assert.equal(ids[3], ids[0], 'the fourth merges them into the first');
  assert.equal(ids[4], ids[0]);
  for (const id of ids) assert.equal(miner.resolve(id), ids[0]);
  assert.equal(miner.template(ids[1]!), 'job finished on worker <*> with success');
  assert.equal(miner.merges, 2);
  assert.deepEqual(miner.takeMerges(), [
    [ids[1], ids[0]],
    [ids[2], ids[0]],
  ]);
  assert.deepEqual(miner.takeMerges(), []);
});

test('a survivor merged into an older cluster takes the ids merged into it along, and the merges say so', () => {
  const miner = new PatternMiner({ siblings: 3 });
  // red differs from the blue ones in two places, so it stays apart while the blue ones merge.
  const lines = ['job done on worker alpha code red', 'job done on worker bravo code blue', 'job done on worker charlie code blue', 'job done on worker delta code blue'];
  const [red, blue, charlie, delta] = lines.map((l) => miner.match(l).patternId);
  assert.equal(delta, blue);
  assert.deepEqual(miner.takeMerges(), [[charlie, blue]]);
  // Now red and the blue cluster differ in the colour only: the blue one merges into the older red one.
  assert.equal(miner.match('job done on worker alpha code green').patternId, red);
  assert.deepEqual(miner.takeMerges(), [[blue, red], [charlie, red]], 'charlie, merged into blue before, now stands for red');
  assert.equal(miner.resolve(charlie!), red);
  // One look-up resolves every id, as the pattern_merges table is read.
  assert.deepEqual(miner.snapshot().aliases.sort(), [[blue, red], [charlie, red]].sort());
});

test('an id merged away whose survivor was evicted is a pattern of its own again, and the merges say so', () => {
  const miner = new PatternMiner({ siblings: 4, maxClusters: 20 });
  const ids = ['alpha', 'bravo', 'charlie', 'delta'].map((w) => miner.match(`job finished on worker ${w} with success`).patternId);
  assert.equal(miner.resolve(ids[1]!), ids[0]);
  miner.takeMerges();
  // Bodies of different lengths never merge with one another.
  for (let i = 0; i < 25; i++) miner.match(`unrelated event ${'again '.repeat(i)}happened`);
  assert.equal(miner.template(ids[0]!), undefined, 'the survivor was evicted');
  const again = miner.match('job finished on worker bravo with success');
  assert.equal(again.patternId, ids[1], 'the first line gives the id it gave before');
  assert.deepEqual(miner.takeMerges(), [[ids[1], ids[1]]]);
  assert.equal(miner.resolve(ids[1]!), ids[1]);
});

test('restore from a snapshot gives the same ids and templates', () => {
  const lines = [
    'user 42 logged in from 10.0.0.1',
    'disk 3 is full',
    'session closed for user cyrus',
    'session closed for user news',
    'Component alt0 is in the unavailable state (HWID=1973)',
    'VM Started',
  ];
  const miner = new PatternMiner();
  const before = lines.map((l) => miner.match(l));
  const json = JSON.parse(JSON.stringify(miner.snapshot()));
  const restored = PatternMiner.restore(json);
  assert.equal(restored.size, miner.size);
  const after = ['user 7 logged in from 10.9.9.9', 'disk 11 is full', 'session closed for user root', 'Component alt3 is in the unavailable state (HWID=1)', 'VM Started'].map(
    (l) => restored.match(l),
  );
  assert.equal(after[0]!.patternId, before[0]!.patternId);
  assert.equal(after[1]!.patternId, before[1]!.patternId);
  assert.equal(after[2]!.patternId, before[2]!.patternId);
  assert.equal(after[3]!.patternId, before[4]!.patternId);
  assert.equal(after[4]!.patternId, before[5]!.patternId);
  assert.ok(after.every((m) => !m.isNew));
  assert.deepEqual(restored.patterns().map((p) => p.patternId).sort(), miner.patterns().map((p) => p.patternId).sort());
});

test('aliases survive a restore', () => {
  const miner = new PatternMiner({ siblings: 3 });
  const ids = ['a', 'b', 'c'].map((w) => miner.match(`copied file into bucket store ${w} now`).patternId);
  const restored = PatternMiner.restore(miner.snapshot());
  assert.equal(restored.resolve(ids[1]!), ids[0]);
});

test('memory is bounded: the least recently used clusters are evicted', () => {
  const miner = new PatternMiner({ maxClusters: 10 });
  const keep = miner.match('keep this one alive').patternId;
  for (let i = 0; i < 100; i++) {
    miner.match(`event${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} happened`);
    miner.match('keep this one alive');
    assert.ok(miner.size <= 10, `size ${miner.size} after ${i + 1} new patterns`);
  }
  assert.ok(miner.evictions >= 90);
  assert.equal(miner.match('keep this one alive').patternId, keep);
  assert.equal(miner.match('keep this one alive').isNew, false);
});

test('an evicted pattern comes back with the same id', () => {
  const miner = new PatternMiner({ maxClusters: 2 });
  const first = miner.match('alpha happened here');
  miner.match('bravo happened there now');
  miner.match('charlie went away again today');
  miner.match('delta went away again today and more');
  assert.equal(miner.template(first.patternId), undefined);
  const back = miner.match('alpha happened here');
  assert.equal(back.isNew, true);
  assert.equal(back.patternId, first.patternId);
});

test('long bodies are cut at maxTokens', () => {
  const miner = new PatternMiner({ maxTokens: 4 });
  const m = miner.match('a b c d e f g');
  assert.equal(m.template, 'a b c <*>');
});

test('restore refuses what is not a snapshot', () => {
  assert.throws(() => PatternMiner.restore({} as never), /snapshot/);
});

test('keyed values that differ in several places merge once there are enough of them', () => {
  const miner = new PatternMiner();
  const pairs = [
    ['View Lock', 'com.android.systemui'],
    ['RILJ_ACK_WL', 'com.android.phone'],
    ['*alarm*', 'android'],
    ['WindowManager', 'android'],
    ['SCREEN_FROZEN', 'system'],
  ];
  const ids = pairs.map(([tag, name]) => miner.match(`acquire lock=1234, flags=0x1, tag="${tag}", name=${name}, ws=null, uid=1000`).patternId);
  const final = new Set(ids.map((id) => miner.resolve(id)));
  assert.equal(final.size, 1);
  // The merged places keep the key and quotes their values were written in.
  assert.equal(miner.template(ids[0]!), 'acquire lock=<*>, flags=<*>, tag="<*>", name=<*>, ws=null, uid=<*>');
});

test('bare words that differ in two places stay distinct events (state pairs)', () => {
  const miner = new PatternMiner();
  const states = ['NEW', 'UNASSIGNED', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'KILLED'];
  const ids = states.slice(1).map((to, i) => miner.match(`attempt_1445_0020_m_000000_0 TaskAttempt Transitioned from ${states[i]} to ${to}`).patternId);
  assert.equal(new Set(ids.map((id) => miner.resolve(id))).size, 6);
});

test('the first word becomes a variable only when a long rest agrees', () => {
  const miner = new PatternMiner();
  const daemons = ['cupsd', 'klogd', 'syslogd', 'portmap', 'xinetd', 'hcid'];
  const short = daemons.map((d) => miner.match(`${d} startup succeeded`).patternId);
  assert.equal(new Set(short.map((id) => miner.resolve(id))).size, daemons.length);
  const jobs = ['com.apple.a.heartbeat:', 'com.apple.b.update:', 'com.apple.c.daily:', 'com.apple.d.daily:', 'com.apple.e.weekly:'];
  const long = jobs.map((j) => miner.match(`${j} scheduler told me to run this job; however, the start time is not for 5 seconds.`).patternId);
  assert.equal(new Set(long.map((id) => miner.resolve(id))).size, 1);
});

test('a snapshot that holds templates instead of tokens still restores', () => {
  const miner = PatternMiner.restore({
    version: 1,
    options: new PatternMiner().options,
    clusters: [{ id: 'aaaaaaaaaaaaaaaa', template: 'disk <*> is full', count: 3 } as never],
    aliases: [],
  });
  assert.equal(miner.match('disk 9 is full').patternId, 'aaaaaaaaaaaaaaaa');
});

test('a word with a digit stays constant until it varies, then only its number is a variable', () => {
  const miner = new PatternMiner();
  const a = miner.match('Accepted password for bob from 10.0.0.1 port 5022 ssh2');
  assert.equal(a.template, 'Accepted password for bob from <*> port <*> ssh2');
  const t1 = miner.match('ROOT LOGIN ON tty2');
  assert.equal(t1.template, 'ROOT LOGIN ON tty2');
  const t2 = miner.match('ROOT LOGIN ON tty3');
  assert.equal(t2.patternId, t1.patternId, 'tty2 and tty3 are one event');
  assert.equal(miner.template(t1.patternId), 'ROOT LOGIN ON tty<*>');
  // Different names are not one word with a number: ssh2 and http2 stay two events.
  assert.notEqual(miner.match('protocol ssh2 ready').patternId, miner.match('protocol http2 ready').patternId);
});

// The lines below are from Loghub's Android, Spark, HPC, Thunderbird and Linux samples.
test('a key whose value is already a variable takes any value: `ws=null` joins `ws=WorkSource{<*>}`; two plain values stay apart', () => {
  const miner = new PatternMiner();
  const a = miner.match('acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=WorkSource{10113}, uid=1000, pid=2227');
  const b = miner.match('acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=null, uid=1000, pid=2227');
  assert.equal(b.patternId, a.patternId);
  assert.equal(miner.template(a.patternId), 'acquire lock=<*>, flags=<*>, tag="View Lock", name=com.android.systemui, ws=<*>, uid=<*>, pid=<*>');
  // Neither value holds a variable: `user=root` and `user=guest` are two events, as Loghub labels them.
  const root = miner.match('authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220.82.197.48  user=root');
  const guest = miner.match('authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220.82.197.48  user=guest');
  assert.notEqual(guest.patternId, root.patternId);
  // An empty value is no value: `ruser=` does not join `ruser=<*>`.
  const named = miner.match('check pass; ruser=bob x=1');
  assert.notEqual(miner.match('check pass; ruser= x=1').patternId, named.patternId);
});

test('a size printed in the unit its magnitude picks is one value: `93.0 B` and `5.2 KB`; the same words elsewhere stay words', () => {
  const miner = new PatternMiner();
  const kb = miner.match('Block broadcast_9_piece0 stored as bytes in memory (estimated size 5.2 KB, free 5.2 KB)');
  const b = miner.match('Block broadcast_0_piece0 stored as bytes in memory (estimated size 93.0 B, free 317.1 KB)');
  assert.equal(b.patternId, kb.patternId);
  assert.equal(miner.template(kb.patternId), 'Block broadcast_<*>_piece<*> stored as bytes in memory (estimated size <*> <*>, free <*> KB)');
  // Not after a value, a unit's letters are a word of the event.
  assert.notEqual(miner.match('switching to mode KB now').patternId, miner.match('switching to mode MB now').patternId);
});

test('numbered compound names in one place are ids of one kind (`rdd_2_0`, `broadcast_<*>_piece<*>`, `[Thunderbird_A8]`); a name with a number and no joint is not', () => {
  const miner = new PatternMiner();
  const broadcast = miner.match('Block broadcast_9_piece0 stored as bytes in memory (estimated size 5.2 KB, free 5.2 KB)');
  const rdd = miner.match('Block rdd_2_0 stored as bytes in memory (estimated size 5.2 KB, free 317.1 KB)');
  assert.equal(rdd.patternId, broadcast.patternId);
  assert.equal(miner.template(rdd.patternId), 'Block <*> stored as bytes in memory (estimated size <*> KB, free <*> KB)');
  const a = miner.match('data_thread() got not answer from any [Thunderbird_A8] datasource');
  const b = miner.match('data_thread() got not answer from any [Thunderbird_B7] datasource');
  assert.equal(b.patternId, a.patternId);
  assert.equal(miner.template(a.patternId), 'data_thread() got not answer from any [<*>] datasource');
  // HPC's interfaces are labelled as events of their own.
  const ee0 = miner.match('NIFF: node node-9 has detected an available network connection on network 5.5.224.0 via interface ee0');
  const alt0 = miner.match('NIFF: node node-9 has detected an available network connection on network 5.5.224.0 via interface alt0');
  assert.notEqual(alt0.patternId, ee0.patternId);
});
