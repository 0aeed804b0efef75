// bench:agent's rsyslog rows against the real test broker: Debian's rsyslogd with omkafka, unpacked
// by bench/rsyslog/fetch.sh (apt-get download, nothing installed), tails a file; the run resolves
// only once the topic holds every line, and the topic holds exactly the file's lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRsyslog, rsyslogRun } from '../../bench/rsyslog/run.ts';
import { createKafka, waitForTopicLeaders } from '../../core/kafka/client.ts';
import { testBrokers } from '../helpers/kafka.ts';

const brokers = await testBrokers();
// A machine without Debian's apt cannot have the rows at all (the bench then leaves them out with the
// reason); nor can one whose package lists are out of date when not root (apt cannot refresh them).
// As root, where fetch.sh refreshes the lists itself (CI), a failed fetch fails the tests.
const noApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status !== 0;
let cannotFetch: string | false = noApt && 'no apt-get here: the bench leaves the rsyslog rows out';
if (!noApt && process.getuid?.() !== 0) {
  try {
    ensureRsyslog();
  } catch (err) {
    cannotFetch = `rsyslog cannot be fetched here without root: ${(err as Error).message}`;
  }
}

test('rsyslog ships every line of a file once, and its run resolves only when the topic holds them all', { skip: cannotFetch }, async () => {
  const rs = ensureRsyslog();
  assert.match(rs.version, /^rsyslog \d+\.\d+\.\d+, librdkafka \S+/);
  const work = mkdtempSync(join(tmpdir(), 'tributary-rsyslog-'));
  const admin = createKafka({ brokers, clientId: 'rsyslog-test' }).admin();
  await admin.connect();
  const topic = `bench-rsyslog-${randomBytes(4).toString('hex')}`;
  try {
    const file = join(work, 'lines.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i} ${i % 3 === 0 ? 'naïve café ' : ''}${'x'.repeat(i % 300)}`);
    writeFileSync(file, lines.join('\n') + '\n');
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
    await waitForTopicLeaders(admin, [topic], 30_000);
    const run = await rsyslogRun(rs, file, brokers[0]!, topic, lines.length);
    assert.ok(run.seconds > 0 && run.cpuSeconds > 0 && run.maxRssKb > 1000, JSON.stringify(run));
    // Read back as a client that is not ours would: every line once, byte for byte (partitions interleave, so sorted).
    const read = spawnSync('kcat', ['-C', '-b', brokers[0]!, '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%s\n'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(read.status, 0, read.stderr);
    const got = read.stdout.split('\n').slice(0, -1);
    assert.equal(got.length, lines.length);
    assert.deepEqual(got.sort(), [...lines].sort());
    // Spread over the topic by librdkafka's partitioner, as kcat's lines are, not all on one partition.
    const perPartition = (await admin.fetchTopicOffsets(topic)).map((p) => Number(p.high) - Number(p.low));
    assert.ok(perPartition.filter((n) => n > 0).length > 1, `lines per partition: ${perPartition.join(', ')}`);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a run whose lines stop arriving fails with what rsyslog printed, not after the bench\'s whole timeout', { skip: cannotFetch }, async () => {
  const rs = ensureRsyslog();
  const work = mkdtempSync(join(tmpdir(), 'tributary-rsyslog-'));
  try {
    const file = join(work, 'lines.log');
    writeFileSync(file, 'one\ntwo\n');
    // Two lines in the file, three asked for: the count stops at two.
    const t = Date.now();
    const admin = createKafka({ brokers, clientId: 'rsyslog-test' }).admin();
    await admin.connect();
    const topic = `bench-rsyslog-${randomBytes(4).toString('hex')}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await waitForTopicLeaders(admin, [topic], 30_000);
    try {
      await assert.rejects(rsyslogRun(rs, file, brokers[0]!, topic, 3, 2_000), /held 2 of 3 lines and stopped moving for 2 s/);
      assert.ok(Date.now() - t < 30_000);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
