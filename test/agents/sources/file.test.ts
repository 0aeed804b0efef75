import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointStore } from '../../../agents/checkpoints.ts';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { testBrokers } from '../../helpers/kafka.ts';
import { checkSeq, readLogs, seqLine, startFileAgent, tempDir, until, writeAtRate, writeSeq } from '../harness.ts';

// Started here, at the top level, so a file run on its own keeps one broker for all its tests.
await testBrokers();

function assertComplete(report: ReturnType<typeof checkSeq>, allowDuplicates = false): void {
  for (const [stream, r] of Object.entries(report)) {
    assert.equal(r.missingCount, 0, `stream ${stream}: ${r.missingCount} lines missing, first ${r.missing.join(',')}`);
    if (!allowDuplicates) assert.equal(r.duplicates, 0, `stream ${stream}: ${r.duplicates} duplicates`);
  }
}

test('rotation by rename at 5,000 lines/s loses and repeats nothing', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  let rotations = 0;
  const total = 20_000;
  await writeAtRate(() => path, 'r', total, 5000, (written) => {
    if (written >= (rotations + 1) * 5000 && written < total) {
      rotations++;
      renameSync(path, `${path}.${rotations}`);
      writeFileSync(path, '');
    }
  });
  const records = await readLogs(a.topic, total);
  await a.agent.stop();
  const report = checkSeq(records, { r: total });
  t.diagnostic(`rotations=${rotations} read=${report.r!.count} source rotations seen=${a.source.stats.rotations}`);
  assert.equal(rotations, 3);
  assertComplete(report);
});

test('rapid rotation at the default discoverMs: a rename every 200 ms, each rotated file deleted at the next rotation, loses and repeats nothing', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  // Rotated names leave the glob and are deleted 200 ms later: a replacement not found before the next
  // rotation is never read (the globs alone, once a second, lost three quarters of the lines).
  const a = await startFileAgent({ include: [join(dir, '*.log')], stateDir: join(dir, 'state') });
  let rotations = 0;
  const total = 30_000;
  await writeAtRate(() => path, 'q', total, 5000, (written) => {
    if (written >= (rotations + 1) * 1000 && written < total) {
      rotations++;
      renameSync(path, `${path}.${rotations}`);
      if (rotations > 1) unlinkSync(`${path}.${rotations - 1}`);
      writeFileSync(path, '');
    }
  });
  const records = await readLogs(a.topic, total, 30_000);
  await a.agent.stop();
  const report = checkSeq(records, { q: total });
  t.diagnostic(`rotations=${rotations} read=${report.q!.count} source rotations seen=${a.source.stats.rotations}`);
  assert.equal(rotations, 29);
  assertComplete(report);
});

test('copytruncate: lines after the truncation are read from the start of the file', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeSeq(path, 'c', 0, 3000);
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  await until(() => a.agent.sink.stats.sent >= 3000, 30_000, 'first 3000 lines');
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  // As many bytes as before, at once: the size alone would not show the truncation.
  writeSeq(path, 'c', 3000, 6000);
  const records = await readLogs(a.topic, 6000);
  await a.agent.stop();
  assertComplete(checkSeq(records, { c: 6000 }));
  assert.ok(a.source.stats.truncations >= 1);
});

test('truncation in place: the file is read again from offset 0', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeSeq(path, 't', 0, 1000);
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  await until(() => a.agent.sink.stats.sent >= 1000, 30_000, 'first 1000 lines');
  truncateSync(path, 0);
  await sleep(300);
  writeSeq(path, 't', 1000, 1500);
  const records = await readLogs(a.topic, 1500);
  await a.agent.stop();
  assertComplete(checkSeq(records, { t: 1500 }));
  assert.equal(a.source.stats.truncations, 1);
});

test('a file deleted while it is being read is read to its end', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const total = 100_000;
  for (let i = 0; i < total; i += 10_000) writeSeq(path, 'd', i, i + 10_000);
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') }, { maxBufferedEvents: 5000 });
  await until(() => a.source.stats.linesRead > 0, 10_000, 'first lines');
  unlinkSync(path);
  const readAtDelete = a.agent.sink.stats.sent;
  const records = await readLogs(a.topic, total);
  await a.agent.stop();
  assert.ok(readAtDelete < total, 'the file was deleted before it was fully shipped');
  assertComplete(checkSeq(records, { d: total }));
});

test('1,000 files under one glob, half of them created while running', async () => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const perFile = 20;
  const expected: Record<string, number> = {};
  for (let f = 0; f < 500; f++) {
    writeSeq(join(logs, `svc-${f}.log`), `f${f}`, 0, perFile);
    expected[`f${f}`] = perFile;
  }
  writeSeq(join(logs, 'ignored.txt'), 'ignored', 0, 5);
  writeSeq(join(logs, 'skip-me.log'), 'skip', 0, 5);
  const a = await startFileAgent({ include: [join(logs, '*.log')], exclude: [join(logs, 'skip-*')], stateDir: join(dir, 'state') });
  for (let f = 500; f < 1000; f++) {
    writeSeq(join(logs, `svc-${f}.log`), `f${f}`, 0, perFile);
    expected[`f${f}`] = perFile;
  }
  const records = await readLogs(a.topic, 1000 * perFile, 90_000);
  await a.agent.stop();
  assertComplete(checkSeq(records, expected));
  assert.equal(records.filter((r) => r.body.startsWith('seq ignored') || r.body.startsWith('seq skip')).length, 0);
});

test('discoverMs: files already open are read at every poll; a new file waits for the globs to be expanded again', async () => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeSeq(join(logs, 'a.log'), 'a', 0, 10);
  const a = await startFileAgent({ include: [join(logs, '*.log')], stateDir: join(dir, 'state'), discoverMs: 60_000 });
  await until(() => a.agent.sink.stats.sent >= 10, 30_000, 'the file there at start');
  writeSeq(join(logs, 'b.log'), 'b', 0, 10);
  writeSeq(join(logs, 'a.log'), 'a', 10, 20);
  await until(() => a.agent.sink.stats.sent >= 20, 30_000, 'lines appended to the open file, read without a new expansion');
  await sleep(1000); // ten polls
  assert.equal(a.source.stats.filesOpen, 1, 'the new file is not looked for before discoverMs has passed');
  await a.agent.stop();
  assertComplete(checkSeq(await readLogs(a.topic, 20), { a: 20 }));
});

test('discoverMs: a file being written that is rotated by rename is followed by its replacement within a few polls, created at once or later', async (t) => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  // Polls every 100 ms; the globs are expanded once a minute, so only the rotation rule finds the new files.
  const a = await startFileAgent({ include: [join(logs, '*.log')], stateDir: join(dir, 'state'), discoverMs: 60_000 });
  const next = { i: 0 };
  const write = (file: string, n: number) => {
    writeSeq(file, 'w', next.i, next.i + n);
    next.i += n;
  };
  const found: number[] = [];
  for (const late of [0, 400]) {
    for (let k = 0; k < 5; k++) {
      write(path, 20);
      await sleep(50);
    }
    const old = `${path}.${found.length + 1}`;
    renameSync(path, old);
    // The writer goes on in the old file until it reopens (on a signal), as with logrotate's create.
    write(old, 20);
    if (late) await sleep(late);
    const created = Date.now();
    write(path, 20);
    await until(() => a.source.stats.linesRead >= next.i, 2000, `the replacement created ${late} ms after the rename`);
    found.push(Date.now() - created);
  }
  write(path, 20);
  const records = await readLogs(a.topic, next.i, 30_000);
  await a.agent.stop();
  t.diagnostic(`replacements read ${found.join(' and ')} ms after they were created`);
  assertComplete(checkSeq(records, { w: next.i }));
});

test('idlePollMs: files at rest are passed by between looks; written, rotated or truncated, they are read again', async () => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const paths = ['a', 'b', 'c'].map((n) => join(logs, `${n}.log`));
  for (const [k, p] of paths.entries()) writeSeq(p, 'r', k * 10, k * 10 + 10);
  // At rest after 300 ms without new bytes; looked at again only after a minute: any line read
  // from a resting file below came through a rule that wakes it, not through a look.
  // Without watches (`watch: false`): the kernel's notice of the write would wake the file (tested below).
  const a = await startFileAgent({ include: [join(logs, '*.log')], stateDir: join(dir, 'state'), pollMs: 50, discoverMs: 100, restingAfterMs: 300, idlePollMs: 60_000, watch: false });
  await until(() => a.agent.sink.stats.sent >= 30, 30_000, 'the files there at start');
  await until(() => a.source.stats.filesResting === 3, 5000, 'all three files at rest');
  appendFileSync(paths[0]!, seqLine('r', 30));
  await sleep(1000); // twenty polls
  assert.equal(a.source.stats.linesRead, 30, 'a resting file is not read between looks');
  // Rotation of a resting file: its path names another file at the next expansion, which wakes the
  // old one (read to its end, then closed) and opens the new one, read from its start.
  renameSync(paths[1]!, `${paths[1]}.1`);
  appendFileSync(`${paths[1]}.1`, seqLine('r', 35)); // the writer, not yet reopened, goes on in the old file
  writeSeq(paths[1]!, 'r', 31, 35);
  await until(() => a.source.stats.linesRead >= 35, 5000, 'the rotated resting file and its replacement');
  await a.agent.stop();
  const lines = checkSeq(await readLogs(a.topic, 35), { r: 36 })['r']!;
  assert.equal(lines.missingCount, 1, 'line 30 (in the resting file a.log) is read only at its next look');
  assert.deepEqual(lines.missing, [30]);
  // From the checkpoints, a source that looks at every file at every poll reads line 30 at once, and
  // a truncation at its next poll.
  const b = await startFileAgent({ include: [join(logs, '*.log')], stateDir: join(dir, 'state'), pollMs: 50, discoverMs: 100, restingAfterMs: 300, idlePollMs: 0 });
  await until(() => b.source.stats.linesRead >= 1, 5000, 'line 30, read at once by a source that looks every poll');
  await sleep(500);
  assert.equal(b.source.stats.filesResting, 0, 'idlePollMs 0: no file is passed by');
  truncateSync(paths[2]!, 0);
  writeSeq(paths[2]!, 'r', 36, 37);
  await until(() => b.source.stats.linesRead >= 2, 5000, 'the truncated file, read again from its start');
  await b.agent.stop();
});

test('watch: a resting file written, truncated or written through a link is read at the next poll, not at its next look', async () => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(logs);
  mkdirSync(elsewhere);
  const paths = ['a', 'b', 'c'].map((n) => join(logs, `${n}.log`));
  for (const [k, p] of paths.entries()) writeSeq(p, 'w', k * 10, k * 10 + 10);
  // c.log is also reachable by a hard link outside the globs: the watch is on the file, not its folder.
  linkSync(paths[2]!, join(elsewhere, 'c-link.log'));
  // Files at rest after 300 ms; a look only each minute, watched or not: every line read from a resting
  // file below came through the kernel's notice of its change.
  const a = await startFileAgent({ include: [join(logs, '*.log')], stateDir: join(dir, 'state'), pollMs: 50, discoverMs: 100, restingAfterMs: 300, idlePollMs: 60_000, watchedPollMs: 60_000 });
  await until(() => a.agent.sink.stats.sent >= 30, 30_000, 'the files there at start');
  await until(() => a.source.stats.filesWatched === 3 && a.source.stats.filesResting === 3, 5000, 'all three files at rest and watched');
  appendFileSync(paths[0]!, seqLine('w', 30));
  await until(() => a.source.stats.linesRead === 31, 2000, 'the line written to a watched resting file');
  // Growing, a file is read every poll and its watch closed; at rest again, it is watched again.
  await until(() => a.source.stats.filesWatched === 2, 2000, 'the written file no longer watched');
  await until(() => a.source.stats.filesWatched === 3, 5000, 'the written file watched again once at rest');
  truncateSync(paths[1]!, 0);
  writeSeq(paths[1]!, 'w', 31, 32);
  await until(() => a.source.stats.linesRead === 32 && a.source.stats.truncations === 1, 2000, 'the truncated resting file, read again from its start');
  appendFileSync(join(elsewhere, 'c-link.log'), seqLine('w', 32));
  await until(() => a.source.stats.linesRead === 33, 2000, 'the line written through the link');
  assert.equal(a.source.stats.watchFailures, 0);
  await a.agent.stop();
  assertComplete(checkSeq(await readLogs(a.topic, 33), { w: 33 }));
});

test('idlePollMs: a file holding a multiline record is not at rest until the record is out', async () => {
  const dir = tempDir();
  const path = join(dir, 'trace.log');
  // A stack trace whose last line cannot know it is the last: only the assembler's timeout (200 ms
  // here) ends it, at a poll that looks at the file, after the file stopped growing.
  writeFileSync(path, 'java.lang.IllegalStateException: boom\n\tat com.acme.A.run(A.java:10)\n\tat com.acme.B.call(B.java:20)\n');
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state'), pollMs: 50, restingAfterMs: 100, idlePollMs: 60_000, multiline: { timeoutMs: 200 } });
  await until(() => a.agent.sink.stats.sent >= 1, 5000, 'the trace, flushed by the timeout');
  await a.agent.stop();
  const [record] = await readLogs(a.topic, 1);
  assert.match(record!.body, /boom\n\tat com\.acme\.A\.run\(A\.java:10\)\n\tat com\.acme\.B\.call/);
});

test('a 1 MiB line is split into marked parts that add up to the line', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const big = 'B'.repeat(1024 * 1024);
  writeSeq(path, 'l', 0, 5);
  appendFileSync(path, big + '\n');
  writeSeq(path, 'l', 5, 10);
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  const records = await readLogs(a.topic, 10 + 4);
  await a.agent.stop();
  assertComplete(checkSeq(records, { l: 10 }));
  const parts = records.filter((r) => r.attributes['tributary.line.part'] !== undefined);
  assert.equal(parts.length, 4);
  assert.equal(parts.map((r) => r.body).join(''), big);
  assert.equal(a.source.stats.longLines, 1);
});

test('invalid UTF-8 and binary garbage are shipped with replacement characters, never a crash', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  for (let i = 0; i < 200; i++) {
    appendFileSync(path, seqLine('g', i));
    appendFileSync(path, Buffer.concat([Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x80]), randomBytes(64).map((b) => (b === 10 ? 11 : b)), Buffer.from('\n')]));
  }
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  const records = await readLogs(a.topic, 400);
  await a.agent.stop();
  assertComplete(checkSeq(records, { g: 200 }));
  assert.equal(records.length, 400);
  assert.ok(a.source.stats.replacedLines >= 200);
  assert.ok(records.some((r) => r.body.includes('\uFFFD')));
});

test('UTF-16LE with a BOM is decoded', async () => {
  const dir = tempDir();
  const path = join(dir, 'win.log');
  let text = '';
  for (let i = 0; i < 50; i++) text += seqLine('u', i).replace('\n', '\r\n');
  writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  const records = await readLogs(a.topic, 50);
  await a.agent.stop();
  assertComplete(checkSeq(records, { u: 50 }));
  assert.ok(records.every((r) => !r.body.endsWith('\r')));
});

test('stop then start resumes exactly at the checkpoint', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const state = join(dir, 'state');
  writeSeq(path, 's', 0, 2000);
  const a = await startFileAgent({ include: [path], stateDir: state });
  await until(() => a.agent.sink.stats.sent >= 2000, 30_000, 'first run');
  await a.agent.stop();
  writeSeq(path, 's', 2000, 3000);
  // From the checkpoints, a source that looks at every file at every poll reads line 30 at once, and
  // a truncation at its next poll.
  const b = await startFileAgent({ include: [path], stateDir: state }, {}, a.topic);
  const records = await readLogs(a.topic, 3000);
  await b.agent.stop();
  assertComplete(checkSeq(records, { s: 3000 }));
  assert.equal(b.source.stats.resumed, 1);
});

test('checkpoints that cannot be written are counted while every line keeps shipping; once they can, they hold the offset read through', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const state = join(dir, 'state');
  writeSeq(path, 's', 0, 1000);
  const a = await startFileAgent({ include: [path], stateDir: state });
  await until(() => a.agent.sink.stats.sent >= 1000, 30_000, 'the first lines');
  // The state folder becomes a file: every checkpoint write fails (ENOTDIR) until it is a folder again.
  rmSync(state, { recursive: true });
  writeFileSync(state, 'not a folder');
  writeSeq(path, 's', 1000, 3000);
  await until(() => a.agent.sink.stats.sent >= 3000 && a.source.stats.checkpointWriteFailures >= 2, 30_000, 'every line shipped and checkpoint writes failing');
  unlinkSync(state);
  const file = join(state, 'checkpoints-files.json');
  const size = statSync(path).size;
  await until(() => existsSync(file) && new CheckpointStore(file).all()[0]?.offset === size, 30_000, 'the checkpoints written once the folder can be made');
  await a.agent.stop();
  assertComplete(checkSeq(await readLogs(a.topic, 3000), { s: 3000 }));
});

test('a reused inode with other content never resumes at the old offset', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const state = join(dir, 'state');
  writeSeq(path, 'i', 0, 100);
  const st = statSync(path);
  // A checkpoint left by an earlier file that had this device and inode but other first bytes.
  const store = new CheckpointStore(join(state, 'checkpoints-files.json'));
  store.set(`${st.dev}:${st.ino}:0123456789abcdef:64`, path, 5000);
  store.flush();
  const a = await startFileAgent({ include: [path], stateDir: state });
  const records = await readLogs(a.topic, 100);
  await a.agent.stop();
  assertComplete(checkSeq(records, { i: 100 }));
  assert.equal(a.source.stats.resumed, 0);
});

test('start_at end skips what files already hold at start, but reads files created later from their start', async () => {
  const dir = tempDir();
  const old = join(dir, 'old.log');
  writeSeq(old, 'old', 0, 100);
  appendFileSync(old, 'half a line without newline ');
  const a = await startFileAgent({ include: [join(dir, '*.log')], stateDir: join(dir, 'state'), startAt: 'end' });
  await sleep(300);
  appendFileSync(old, 'finished\n');
  writeSeq(old, 'old', 100, 110);
  writeSeq(join(dir, 'new.log'), 'new', 0, 10);
  const records = await readLogs(a.topic, 21);
  await a.agent.stop();
  const report = checkSeq(records, { new: 10 });
  assertComplete(report);
  assert.equal(records.filter((r) => r.body.startsWith('seq old')).length, 10);
  assert.ok(records.some((r) => r.body === 'half a line without newline finished'));
});

test('a Java stack trace arrives as one record, and the checkpoint never splits it', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const trace = [
    '2026-11-24 10:00:01,123 ERROR [main] c.e.Checkout - payment failed',
    'java.lang.IllegalStateException: card declined',
    '\tat com.example.Checkout.pay(Checkout.java:42)',
    '\tat com.example.Checkout.main(Checkout.java:7)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)',
    '\t... 2 more',
  ].join('\n');
  writeSeq(path, 'j', 0, 3);
  // The trace arrives in two writes, the second after the agent read the first.
  const lines = trace.split('\n');
  appendFileSync(path, lines.slice(0, 3).join('\n') + '\n');
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state'), multiline: { timeoutMs: 1000 } });
  await sleep(400);
  appendFileSync(path, lines.slice(3).join('\n') + '\n');
  writeSeq(path, 'j', 3, 6);
  const records = await readLogs(a.topic, 7);
  await a.agent.stop();
  assertComplete(checkSeq(records, { j: 6 }));
  assert.equal(records.length, 7);
  const r = records.find((x) => x.body.includes('payment failed'))!;
  // The body is the message (the header's stamp, level, thread and logger are fields) with its whole trace.
  assert.equal(r.body, trace.slice(trace.indexOf('payment failed')));
  assert.equal(r.severity_text, 'ERROR');
  assert.equal(r.time, '2026-11-24T10:00:01.123Z');
});

/**
 * Ships `content` three ways (records built on the main thread; on two record threads; on a thread
 * that fails every batch, so the main thread builds them from what was sent) and checks that all three
 * give the same records in file order and the same counters. Returns the records and how many batches
 * went to the threads as the file's bytes (`LineBatch.bytes`) and as joined texts.
 */
async function sameOnThreads(t: { diagnostic: (m: string) => void }, content: Buffer, expected: number, options: { readBytes?: number; maxLineBytes?: number } = {}) {
  const { RecordPool } = await import('../../../agents/record-pool.ts');
  const { createRecordBuilder, newCounters } = await import('../../../agents/record-builder.ts');
  const { log } = await import('../../../core/log.ts');
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, content);
  const shipped = async (state: string, threads?: { parser?: string; size: number }) => {
    const counters = newCounters();
    const pool = threads ? new RecordPool({ threads: threads.size, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') }) : undefined;
    const builder = pool?.addBuilder({ source: 'files', ...(threads?.parser ? { parser: { type: threads.parser } as never } : {}) });
    // What the file source hands the pool, seen on its way (the pool itself is the real one).
    const sent = { bytes: 0, text: 0, here: 0 };
    if (pool) {
      const encode = pool.encode.bind(pool);
      pool.encode = (b) => {
        sent[b.bytes ? 'bytes' : 'text']++;
        return encode(b);
      };
      const encodeHere = pool.encodeHere.bind(pool);
      pool.encodeHere = (b) => {
        sent.here++;
        return encodeHere(b);
      };
    }
    const a = await startFileAgent({ include: [path], stateDir: join(dir, state), multiline: { timeoutMs: 500 }, ...options, toRecord: createRecordBuilder(counters, { source: 'files' }), ...(pool ? { threads: { pool, builder: builder! } } : {}) });
    const records = await readLogs(a.topic, expected);
    await a.agent.stop();
    await pool?.close();
    return { records, counters, sent };
  };
  const main = await shipped('main');
  const threaded = await shipped('threads', { size: 2 });
  const failing = await shipped('failing', { size: 1, parser: 'no-such-parser' });
  // `transforms.threads: 0`: a pool of no threads, every batch encoded on the main thread as a thread would.
  const local = await shipped('local', { size: 0 });
  // Records as JSON without the time of reading (and without the time where it fell back to it).
  // Lines with a host of their own (syslog) have another key, so another partition: compared in file order.
  const comparable = (rs: LogRecord[]) => [...rs].sort((a, b) => a.origin.offset! - b.origin.offset!).map((r) => JSON.stringify({ ...r, observed_time: '', time: r.time === r.observed_time ? '' : r.time }));
  // The first difference only: a deep diff of thousands of records takes minutes to print.
  const sameRecords = (got: string[], want: string[], what: string) => {
    const i = got.findIndex((g, j) => g !== want[j]);
    assert.ok(i < 0 && got.length === want.length, `${what}: ${got.length} vs ${want.length} records; first difference at ${i}:\n${got[i]}\n${want[i]}`);
  };
  t.diagnostic(`${main.records.length} records; batches to threads as bytes ${threaded.sent.bytes}, as text ${threaded.sent.text}; counters on the main thread ${JSON.stringify(main.counters.unmatched)}, on threads ${JSON.stringify(threaded.counters.unmatched)}`);
  assert.equal(main.records.length, expected);
  sameRecords(comparable(threaded.records), comparable(main.records), 'on threads');
  sameRecords(comparable(failing.records), comparable(main.records), 'built on the main thread after the threads failed');
  sameRecords(comparable(local.records), comparable(main.records), 'batches encoded on the main thread (no threads)');
  assert.ok(local.sent.here > 0 && local.sent.bytes + local.sent.text === 0, `with no threads every batch was encoded here (${JSON.stringify(local.sent)})`);
  assert.deepEqual(local.counters, main.counters);
  // Each key's records are on one partition, in file order.
  const last = new Map<string, number>();
  for (const r of threaded.records) {
    const key = `${r.service}|${r.host}`;
    assert.ok(r.origin.offset! > (last.get(key) ?? -1), `${key}: offset ${r.origin.offset} after ${last.get(key)}`);
    last.set(key, r.origin.offset!);
  }
  assert.deepEqual(threaded.counters, main.counters);
  return { records: main.records, sent: threaded.sent, keys: last.size };
}

test('on record threads the records are those built on the main thread, in file order; batches the threads fail are built on the main thread', async (t) => {
  const { readFileSync } = await import('node:fs');
  // Real lines (Loghub's HDFS and Linux samples) with a stack trace among them, so multiline runs too.
  const fixtures = new URL('../../fixtures/loghub-2k/', import.meta.url);
  const lines = ['HDFS', 'Linux'].flatMap((s) => readFileSync(new URL(`${s}/${s}_2k.log`, fixtures), 'utf8').split('\n').filter(Boolean));
  lines.splice(1000, 0, '2026-11-24 10:00:01,123 ERROR [main] c.e.Checkout - payment failed', 'java.lang.IllegalStateException: card declined', '\tat com.example.Checkout.pay(Checkout.java:42)');
  // The three lines of the stack trace are one record.
  const { sent, keys } = await sameOnThreads(t, Buffer.from(lines.join('\n') + '\n'), lines.length - 2);
  assert.ok(keys >= 2, 'the sample has lines of more than one key');
  assert.ok(sent.bytes > 0, 'batches went to the threads as the file\'s bytes');
});

test('a pod\'s log (CRI): its stack traces and the lines the runtime cut are one record each, on record threads and here, across reads', async (t) => {
  const { readFileSync } = await import('node:fs');
  // A real program's output (logback's, with traces) as containerd writes it: a stamp, the stream, F
  // for a whole line, P for a part of a longer one (cut here at 40 characters, where containerd cuts at 16 KiB).
  const program = readFileSync(new URL('../../fixtures/programs/logback-default.log', import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const out: string[] = [];
  for (let r = 0; r < 100; r++) {
    for (const [i, line] of program.entries()) {
      const stamp = `2026-12-07T05:${String(r % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000001Z`;
      const parts = line.length > 40 && i % 3 === 0 ? line.match(/.{1,40}/g)! : [line];
      parts.forEach((p, k) => out.push(`${stamp} stdout ${k === parts.length - 1 ? 'F' : 'P'} ${p}`));
    }
  }
  const content = Buffer.from(out.join('\n') + '\n');
  // What the plain output makes: the same number of records, as the multiline rules see the program's lines.
  const plain = await recordCount(Buffer.from(Array.from({ length: 100 }, () => program.join('\n')).join('\n') + '\n'));
  const { records, sent } = await sameOnThreads(t, content, plain, { readBytes: 32 * 1024 });
  assert.ok(sent.bytes > 0, 'batches went to the threads as the file\'s bytes');
  const traces = records.filter((r) => r.body.includes('\n\tat '));
  assert.ok(traces.length >= 100, `stack traces assembled: ${traces.length}`);
  assert.ok(records.every((r) => !r.body.includes(' stdout F ') && !r.body.includes(' stdout P ')), 'no wrapper left inside a record');
  assert.ok(records.every((r) => r.attributes['log.iostream'] === 'stdout' && r.attributes['log.partial'] === undefined));
});

test('lines sent to record threads as the file\'s bytes read as they do on the main thread: a BOM, CRLF, broken and multi-byte UTF-8, blank lines, traces, long lines, lines across reads', async (t) => {
  const { readFileSync } = await import('node:fs');
  const fixtures = new URL('../../fixtures/loghub-2k/', import.meta.url);
  const loghub = readFileSync(new URL('OpenStack/OpenStack_2k.log', fixtures));
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf])];
  const add = (s: string | Buffer) => parts.push(typeof s === 'string' ? Buffer.from(s) : s);
  for (let i = 0; i < 300; i++) {
    add(`2026-11-24T10:00:${String(i % 60).padStart(2, '0')}Z INFO line ${i} ${'x'.repeat((i * 37) % 300)}\r\n`);
    add(Buffer.concat([Buffer.from(`2026-11-24T10:01:00Z WARN broken bytes ${i} `), Buffer.from([0xff, 0xfe, 0x41, 0xe2, 0x82]), Buffer.from(' cut\n')]));
    add(`2026-11-24T10:02:00Z INFO héllo wörld ✓ 日本語 😀 ${i}\n`);
    if (i % 7 === 0) add('\n\n');
    if (i % 9 === 0) add(`2026-11-24 10:03:00,123 ERROR [main] c.e.Pay - failed ${i}\r\njava.lang.IllegalStateException: declined\r\n\tat c.e.Pay.go(Pay.java:42)\r\n\r\n`);
    if (i % 43 === 0) add(`2026-11-24T10:04:00Z INFO long ${i} ${'L'.repeat(5000)}\n`);
    if (i % 5 === 0) add(loghub.subarray(i * 1000, i * 1000 + 3000).toString('latin1').replace(/^[^\n]*\n/, '').replace(/[^\n]*$/, ''));
  }
  add('2026-11-24T10:05:00Z INFO the last line\n');
  const content = Buffer.concat(parts);
  // What the main thread makes of it is the reference. Reads of 16 KiB: dozens of lines each (fewer than
  // 33 are built on the main thread), and a line or a trace across every read's end.
  const reference = await sameOnThreads(t, content, await recordCount(content), { readBytes: 16 * 1024, maxLineBytes: 2000 });
  assert.ok(reference.sent.bytes > 0 && reference.sent.text > 0, `both ways were used (bytes ${reference.sent.bytes}, text ${reference.sent.text}: long lines' parts go as text)`);
  assert.ok(reference.records.some((r) => r.body.includes('\uFFFD')), 'broken UTF-8 became U+FFFD');
  assert.ok(reference.records.some((r) => r.body.includes('日本語 😀')), 'multi-byte characters kept');
  assert.ok(reference.records.some((r) => r.body.includes('declined\n\tat c.e.Pay.go(Pay.java:42)') && !r.body.includes('\r')), 'a CRLF trace is one record without CRs');
});

/** How many records the main thread makes of `content` (line splitter and multiline assembler, as the file source runs them). */
async function recordCount(content: Buffer): Promise<number> {
  const { LineSplitter } = await import('../../../agents/transforms/line-splitter.ts');
  const { MultilineAssembler } = await import('../../../agents/transforms/multiline.ts');
  const splitter = new LineSplitter({ maxLineBytes: 2000 }, 0);
  const assembler = new MultilineAssembler();
  let n = 0;
  for (const line of [...splitter.push(content, 0), ...splitter.flush()]) n += assembler.push(line, 0).length;
  return n + assembler.flush().length;
}

test('with record threads, small batches are built on the main thread and large ones on threads, interleaved: every line once, in file order', async () => {
  const { RecordPool, INLINE_MAX_LINES } = await import('../../../agents/record-pool.ts');
  const { createRecordBuilder, newCounters } = await import('../../../agents/record-builder.ts');
  const { log } = await import('../../../core/log.ts');
  const dir = tempDir();
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const builder = pool.addBuilder({ source: 'files' });
  // Counting calls only; the pool's own methods do the work.
  const calls = { here: 0, threads: 0 };
  const here = pool.encodeHere.bind(pool);
  const onThread = pool.encode.bind(pool);
  pool.encodeHere = (b) => (calls.here++, here(b));
  pool.encode = (b) => (calls.threads++, onThread(b));
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state'), toRecord: createRecordBuilder(counters, { source: 'files' }), threads: { pool, builder } });
  let n = 0;
  const write = (count: number) => {
    writeSeq(path, 's', n, n + count);
    n += count;
  };
  try {
    for (const burst of [2000, 5, 3, 4000, 2, 7, 1, 6]) {
      write(burst);
      // Small writes a poll apart, so that each is a batch of its own and the burst before is shipped.
      if (burst <= INLINE_MAX_LINES) await sleep(400);
      else await until(() => a.source.stats.linesRead >= n, 10_000);
      await sleep(600);
    }
    const records = await readLogs(a.topic, n);
    assertComplete(checkSeq(records, { s: n }));
    assert.equal(records.length, n);
    // One key: one partition, read back in the order written.
    const order = records.map((r) => Number(/^seq s (\d{8})/.exec(r.body)![1]));
    assert.deepEqual(order, Array.from({ length: n }, (_, i) => i));
    assert.ok(calls.here >= 5, `batches built on the main thread: ${calls.here} (of 6 small writes)`);
    assert.ok(calls.threads >= 2, `batches built on threads: ${calls.threads}`);
    assert.equal(counters.records, n);
  } finally {
    await a.agent.stop();
    await pool.close();
  }
});

test('start resolves once the files are found, not once their backlog is shipped (the agent\'s other sources start meanwhile)', async () => {
  const dir = tempDir();
  const path = join(dir, 'backlog.log');
  const total = 100_000;
  writeSeq(path, 'b', 0, total);
  const a = await startFileAgent({ include: [path], stateDir: join(dir, 'state') });
  const readAtStart = a.source.stats.linesRead;
  assert.equal(a.source.stats.filesOpen, 1, 'the file present at start is open when start resolves');
  assert.ok(readAtStart < total, `start waited for the backlog: ${readAtStart} of ${total} lines read`);
  const records = await readLogs(a.topic, total);
  await a.agent.stop();
  assertComplete(checkSeq(records, { b: total }));
});

test('reading a backlog on the main thread (no record threads) gives timers a turn every chunk, not once the buffer is full', async () => {
  const dir = tempDir();
  const path = join(dir, 'backlog.log');
  const total = 60_000;
  writeSeq(path, 'c', 0, total);
  // 32 KB chunks of 100-byte lines: about 330 lines a chunk, against a memory buffer of 10,000 records.
  let agent: Awaited<ReturnType<typeof startFileAgent>> | undefined;
  let last = 0;
  let most = 0;
  const tick = setInterval(() => {
    const read = agent?.source.stats.linesRead ?? 0;
    most = Math.max(most, read - last);
    last = read;
  }, 2);
  try {
    agent = await startFileAgent({ include: [path], stateDir: join(dir, 'state'), readBytes: 32 * 1024 });
    await until(() => agent!.source.stats.linesRead >= total, 60_000, 'the backlog read');
  } finally {
    clearInterval(tick);
  }
  const records = await readLogs(agent.topic, total);
  await agent.agent.stop();
  assertComplete(checkSeq(records, { c: total }));
  assert.ok(most <= 1_500, `at most a few chunks between two timer turns, saw ${most} lines read in one stretch`);
});

test('container logs: the k8s metadata of the path on every record, and the container as the service unless the source names one', async () => {
  const dir = tempDir();
  const uid = '0d0a1e2f-3b4c-4d5e-8f90-a1b2c3d4e5f6';
  const folder = join(dir, 'var/log/pods', `shop_web-7f9c6d5b8-x2x4q_${uid}`, 'nginx');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, '0.log');
  // CRI lines as containerd writes them: the runtime's stamp, the stream, a partial flag, the line.
  writeFileSync(path, ['2026-11-24T10:00:00.000000001Z stdout F 10.0.0.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0"', '2026-11-24T10:00:01.000000001Z stderr F 2026/11/24 10:00:01 [warn] 7#7: *1 an upstream response is buffered'].join('\n') + '\n');
  const plain = join(dir, 'app.log');
  writeFileSync(plain, '2026-11-24 10:00:02,000 INFO [main] c.e.App - started\n');
  const a = await startFileAgent({ include: [path, plain], stateDir: join(dir, 'state'), serviceFromContainer: true, attributes: { 'deployment.environment': 'test' } });
  const records = await readLogs(a.topic, 3);
  await a.agent.stop();
  const pods = records.filter((r) => r.origin.path === path);
  assert.equal(pods.length, 2);
  for (const r of pods) {
    assert.equal(r.service, 'nginx');
    assert.deepEqual(
      [r.attributes['k8s.namespace.name'], r.attributes['k8s.pod.name'], r.attributes['k8s.pod.uid'], r.attributes['k8s.container.name'], r.attributes['k8s.container.restart_count'], r.attributes['deployment.environment']],
      ['shop', 'web-7f9c6d5b8-x2x4q', uid, 'nginx', '0', 'test'],
    );
  }
  assert.deepEqual(pods.map((r) => r.attributes['log.iostream']).sort(), ['stderr', 'stdout'], 'the CRI wrapper is read as before');
  const other = records.find((r) => r.origin.path === plain)!;
  assert.equal(other.service, 'proof', 'a file that is no container log keeps the source\'s service');
  assert.equal(other.attributes['k8s.pod.name'], undefined);
  // A source that names its service keeps it (serviceFromContainer off); the attributes stay.
  const b = await startFileAgent({ include: [path], stateDir: join(dir, 'state-b'), serviceFromContainer: false });
  const named = await readLogs(b.topic, 2);
  await b.agent.stop();
  assert.deepEqual(named.map((r) => [r.service, r.attributes['k8s.container.name']]), [['proof', 'nginx'], ['proof', 'nginx']]);
  // On a record thread (as the agent runs by default) the same.
  const { RecordPool } = await import('../../../agents/record-pool.ts');
  const { createRecordBuilder, newCounters } = await import('../../../agents/record-builder.ts');
  const { log } = await import('../../../core/log.ts');
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const c = await startFileAgent({ include: [path], stateDir: join(dir, 'state-c'), serviceFromContainer: true, toRecord: createRecordBuilder(counters, { source: 'files' }), threads: { pool, builder: pool.addBuilder({ source: 'files' }) } });
  const threaded = await readLogs(c.topic, 2);
  await c.agent.stop();
  await pool.close();
  assert.deepEqual(threaded.map((r) => [r.service, r.attributes['k8s.pod.uid']]), [['nginx', uid], ['nginx', uid]]);
});

/** An IIS log (W3C extended, after Microsoft's "W3C Logging" page): a header block, `n` lines, from line `from`. */
function iisBlock(n: number, from = 0, fields = 'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'): string {
  const head = `#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-12-07 00:00:00\n#Fields: ${fields}\n`;
  const line = (i: number) => (fields.startsWith('date time s-ip')
    ? `2026-12-07 00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} 10.0.0.4 GET /p/${i} q=${i} 443 - 203.0.113.${i % 250} Mozilla/5.0+(X11;+Linux) - ${i % 50 === 0 ? 500 : 200} 0 0 ${i % 97}`
    : `2026-12-07 06:00:${String(i % 60).padStart(2, '0')} 198.51.100.2 GET /h/${i} 200 ${i} 120 1 HTTP/1.1 shop.example`);
  return head + Array.from({ length: n }, (_, i) => line(from + i)).join('\n') + '\n';
}

test('W3C logs (IIS): the header reaches every batch, on record threads or here, through a restart of the server mid-file', async (t) => {
  const content = iisBlock(3000) + iisBlock(2000, 3000, 'date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs-bytes time-taken cs-version cs-host');
  const { records } = await sameOnThreads(t, Buffer.from(content), 5008, { readBytes: 64 * 1024 });
  const data = records.filter((r) => !r.body.startsWith('#'));
  assert.equal(data.length, 5000);
  assert.ok(data.every((r) => r.attributes['http.request.method'] === 'GET' && /^\/[ph]\/\d+$/.test(r.attributes['url.path']!)), 'every line read by its header, whichever batch it was in');
  assert.equal(data.filter((r) => r.attributes['http.response.size'] !== undefined).length, 2000, 'the second header\'s columns after it');
  assert.equal(data.filter((r) => r.severity_text === 'ERROR').length, 60);
});

test('W3C logs (IIS): an agent started again from its checkpoint mid-file reads the lines after it under the file\'s header', async () => {
  const dir = tempDir();
  const path = join(dir, 'u_ex261207.log');
  const state = join(dir, 'state');
  writeFileSync(path, iisBlock(1000));
  const a = await startFileAgent({ include: [path], stateDir: state });
  await until(() => a.agent.sink.stats.sent >= 1004, 30_000, 'first run');
  await a.agent.stop();
  appendFileSync(path, iisBlock(500, 1000).split('\n').slice(4).join('\n'));
  const b = await startFileAgent({ include: [path], stateDir: state }, {}, a.topic);
  const records = await readLogs(a.topic, 1504);
  await b.agent.stop();
  assert.equal(b.source.stats.resumed, 1);
  const later = records.filter((r) => Number(/^\/p\/(\d+)$/.exec(r.attributes['url.path'] ?? '')?.[1]) >= 1000);
  assert.equal(later.length, 500, 'the second run\'s lines, each read by the header its file opened with');
  assert.ok(later.every((r) => r.time.startsWith('2026-12-07T00:') && r.attributes['client.address']!.startsWith('203.0.113.')));
});
