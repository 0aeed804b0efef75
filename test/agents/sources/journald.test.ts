// The journald source (agents/sources/journald.ts) on real journal files: systemd-journal-remote writes
// them from the journal's export format (as it does for entries a host forwards), the source reads them
// with the real journalctl, and the agent ships the records into a real Kafka topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../../agents/agent.ts';
import { fieldText, journalctlArgs, JournaldSource, type JournaldSourceOptions } from '../../../agents/sources/journald.ts';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { readLogs, tempDir } from '../harness.ts';

const REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));
const hasJournalctl = spawnSync('journalctl', ['--version']).status === 0;
const skip = REMOTE && hasJournalctl ? false : 'needs journalctl and systemd-journal-remote (Debian: apt-get install systemd-journal-remote)';
const BOOT = '0123456789abcdef0123456789abcdef';

type Fields = Record<string, string | Buffer>;

/** A journal file being written: entries in the export format into systemd-journal-remote's stdin. */
class JournalWriter {
  private readonly child: ChildProcess;
  private mono = 1000;
  private readonly exited: Promise<unknown>;

  constructor(readonly dir: string) {
    this.child = spawn(REMOTE!, [`--output=${join(dir, 'external.journal')}`, '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  write(entries: Fields[], timeUs = BigInt(Date.now()) * 1000n): void {
    const parts: Buffer[] = [];
    for (const [i, e] of entries.entries()) {
      parts.push(Buffer.from(`__REALTIME_TIMESTAMP=${timeUs + BigInt(i)}\n__MONOTONIC_TIMESTAMP=${this.mono++}\n_BOOT_ID=${BOOT}\n`));
      for (const [k, v] of Object.entries(e)) {
        if (typeof v === 'string' && !v.includes('\n')) {
          parts.push(Buffer.from(`${k}=${v}\n`));
        } else {
          // Binary-safe form: the name, a newline, the length as 64-bit little endian, the bytes.
          const bytes = typeof v === 'string' ? Buffer.from(v) : v;
          const len = Buffer.alloc(8);
          len.writeBigUInt64LE(BigInt(bytes.length));
          parts.push(Buffer.from(`${k}\n`), len, bytes, Buffer.from('\n'));
        }
      }
      parts.push(Buffer.from('\n'));
    }
    this.child.stdin!.write(Buffer.concat(parts));
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}

async function agentOn(dir: string, topic: string, stateDir: string, extra: Partial<JournaldSourceOptions> = {}) {
  const source = new JournaldSource('journal', { service: 'journal', serviceFromEntry: true, hostName: 'agent-host', stateDir, directory: dir, startAt: 'beginning', ...extra });
  const agent = new Agent({ sink: { brokers: await testBrokers(), logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  return { agent, source };
}

const until = async (what: string, cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('journal entries become records: the message parsed, the journal\'s time, host, service and priority around it', { skip }, async () => {
  const dir = tempDir('tributary-journal-');
  const topic = await createTestTopic('journald');
  const w = new JournalWriter(dir);
  const timeUs = 1_764_400_000_123_456n;
  w.write([
    { MESSAGE: 'upstream timed out (110: Connection timed out)', PRIORITY: '3', SYSLOG_IDENTIFIER: 'nginx', SYSLOG_FACILITY: '3', _SYSTEMD_UNIT: 'nginx.service', _PID: '812', _COMM: 'nginx', _EXE: '/usr/sbin/nginx', _HOSTNAME: 'web-1', _TRANSPORT: 'syslog', _CMDLINE: 'nginx --secret-flag', _UID: '33' },
    // A service writing JSON to stdout: journald gives it priority 6; the level in the JSON wins.
    { MESSAGE: '{"level":"error","msg":"payment refused","order":42}', PRIORITY: '6', _SYSTEMD_UNIT: 'payments.service', _TRANSPORT: 'stdout', _HOSTNAME: 'web-1' },
    // Plain stdout text, priority 6: the guess from the text beats journald's default.
    { MESSAGE: 'java.lang.IllegalStateException: pool exhausted', PRIORITY: '6', SYSLOG_IDENTIFIER: 'orders', _HOSTNAME: 'web-1' },
    // A field the program set itself (sd_journal_send), code location, and a message with a newline.
    { MESSAGE: 'line one\nline two', PRIORITY: '4', SYSLOG_IDENTIFIER: 'billing', REQUEST_ID: 'r-77', CODE_FILE: 'billing.c', CODE_LINE: '120', CODE_FUNC: 'charge', _HOSTNAME: 'web-1' },
    // Docker's journald log driver.
    { MESSAGE: 'GET /health 200', CONTAINER_NAME: 'web', CONTAINER_ID: 'a7c3e4f1b2d5', CONTAINER_ID_FULL: 'a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3', IMAGE_NAME: 'nginx:1.27', SYSLOG_IDENTIFIER: 'web', _HOSTNAME: 'docker-1' },
    // Bytes that are not UTF-8 (journalctl writes them as an array of numbers).
    { MESSAGE: Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0x62, 0x79, 0x74, 0x65, 0x73]), PRIORITY: '5', SYSLOG_IDENTIFIER: 'legacy', _HOSTNAME: 'web-1' },
  ], timeUs);
  const { agent, source } = await agentOn(dir, topic, tempDir());
  try {
    await until('six entries', () => source.stats.entries >= 6);
  } finally {
    await agent.stop();
    await w.close();
  }
  const records = await readLogs(topic, 6);
  const by = (svc: string): LogRecord => {
    const r = records.find((x) => x.service === svc);
    assert.ok(r, `a record of ${svc} among ${records.map((x) => x.service).join(', ')}`);
    return r;
  };
  const nginx = by('nginx');
  assert.equal(nginx.body, 'upstream timed out (110: Connection timed out)');
  assert.equal(nginx.time, '2025-11-29T07:06:40.123456Z', 'the journal\'s time, to the microsecond');
  assert.equal(nginx.host, 'web-1');
  assert.equal(nginx.severity_text, 'ERR');
  assert.equal(nginx.origin.kind, 'journald');
  assert.equal(nginx.attributes['systemd.unit'], 'nginx.service');
  assert.equal(nginx.attributes['process.pid'], '812');
  assert.equal(nginx.attributes['process.executable.path'], '/usr/sbin/nginx');
  assert.equal(nginx.attributes['syslog.facility'], 'daemon');
  assert.equal(nginx.attributes['journald.transport'], 'syslog');
  assert.equal(nginx.attributes._CMDLINE, undefined, 'the command line (secrets, often) is left out');
  assert.equal(Object.keys(nginx.attributes).some((k) => k.startsWith('_')), false);
  const payments = by('payments');
  assert.equal(payments.body, 'payment refused');
  assert.equal(payments.severity_text, 'ERROR');
  assert.equal(payments.attributes.order, '42');
  assert.equal(by('orders').severity_text, 'ERROR', 'inferred from the exception, not journald\'s default 6');
  const billing = by('billing');
  assert.equal(billing.body, 'line one\nline two');
  assert.equal(billing.severity_text, 'WARNING');
  assert.deepEqual([billing.attributes.REQUEST_ID, billing.attributes['code.file.path'], billing.attributes['code.line.number'], billing.attributes['code.function.name']], ['r-77', 'billing.c', '120', 'charge']);
  const web = by('web');
  assert.equal(web.host, 'docker-1');
  assert.equal(web.attributes['container.name'], 'web');
  assert.equal(web.attributes['container.id'], 'a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3e4f1b2d5a7c3');
  assert.equal(web.attributes['container.image.name'], 'nginx:1.27');
  assert.equal(by('legacy').body, 'bad \ufffd\ufffd bytes');
});

test('the cursor moves with Kafka\'s acknowledgements: a restart reads on after the last entry shipped, none twice; journalctl is started again when it ends', { skip }, async () => {
  const dir = tempDir('tributary-journal-');
  const state = tempDir();
  const topic = await createTestTopic('journald-cursor');
  const w = new JournalWriter(dir);
  const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ MESSAGE: `seq j ${String(from + i).padStart(8, '0')} entry`, SYSLOG_IDENTIFIER: 'seq', _HOSTNAME: 'h' }));
  try {
    w.write(batch(0, 500));
    let a = await agentOn(dir, topic, state);
    await until('500 entries shipped', () => a.source.stats.entries >= 500);
    w.write(batch(500, 500));
    await until('1000 entries read', () => a.source.stats.entries >= 1000);
    // journalctl ends under the source: it starts again after the last entry read.
    assert.equal(spawnSync('pkill', ['-f', '--', `--directory=${dir}`]).status, 0, 'journalctl was found and stopped');
    await until('journalctl restarted', () => a.source.stats.restarts >= 1);
    w.write(batch(1000, 500));
    await until('1500 entries read', () => a.source.stats.entries >= 1500);
    await a.agent.stop();
    assert.ok(a.source.cursor, 'a cursor was kept');
    // Written while no agent runs, then read by the next one from the kept cursor.
    w.write(batch(1500, 500));
    a = await agentOn(dir, topic, state);
    await until('the rest', () => a.source.stats.entries >= 500);
    await new Promise((r) => setTimeout(r, 300));
    await a.agent.stop();
    assert.equal(a.source.stats.entries, 500, 'the second agent read only what the first had not shipped');
  } finally {
    await w.close();
  }
  const records = await readLogs(topic, 2000);
  const seqs = records.map((r) => Number(/^seq j (\d{8})/.exec(r.body)?.[1]));
  assert.equal(records.length, 2000);
  assert.deepEqual([...new Set(seqs)].sort((x, y) => x - y), Array.from({ length: 2000 }, (_, i) => i), 'every entry once');
});

test('Docker\'s journald driver\'s long lines: parts joined into one record (Docker 20.10\'s ids and the older form), another stream between them, an unfinished line marked; an agent stopped mid-line reads it whole at its next start', { skip }, async () => {
  const dir = tempDir('tributary-journal-');
  const state = tempDir();
  const topic = await createTestTopic('journald-partial');
  const w = new JournalWriter(dir);
  // As moby's daemon/logger/journald writes a container's line: its fields on every part, the line cut at 16 KiB.
  const container = (id: string, name: string, priority: string) => ({ CONTAINER_ID: id.slice(0, 12), CONTAINER_ID_FULL: id, CONTAINER_NAME: name, SYSLOG_IDENTIFIER: name, PRIORITY: priority, _HOSTNAME: 'docker-host', _TRANSPORT: 'journal', CONTAINER_LOG_EPOCH: 'e1f2', CONTAINER_LOG_ORDINAL: String(++ordinal) });
  let ordinal = 0;
  const web = container('a'.repeat(64), 'shop-web', '6');
  const webErr = container('a'.repeat(64), 'shop-web', '3');
  const old = container('b'.repeat(64), 'legacy', '6');
  const cut = (text: string) => [text.slice(0, 16384), text.slice(16384, 32768), text.slice(32768)].filter((t) => t.length > 0);
  const long = JSON.stringify({ level: 'warn', msg: 'cart dump', blob: 'abcdefghij'.repeat(4000) });
  const parts = cut(long);
  assert.equal(parts.length, 3);
  const oldLong = `2026-12-07 08:00:00,123 ERROR [main] c.s.Legacy - ${'x'.repeat(20000)}`;
  const oldParts = cut(oldLong);
  try {
    w.write([
      { ...web, MESSAGE: 'before the long line' },
      ...parts.map((m, i) => ({ ...web, MESSAGE: m, CONTAINER_PARTIAL_ID: 'p1', CONTAINER_PARTIAL_ORDINAL: String(i + 1), CONTAINER_PARTIAL_LAST: String(i === parts.length - 1), ...(i < parts.length - 1 ? { CONTAINER_PARTIAL_MESSAGE: 'true' } : {}) })).flatMap((e, i) => (i === 1 ? [{ ...webErr, MESSAGE: 'stderr between the parts' }, e] : [e])),
      // Before Docker 20.10: CONTAINER_PARTIAL_MESSAGE on every part but the last, nothing else.
      ...oldParts.map((m, i) => ({ ...old, MESSAGE: m, ...(i < oldParts.length - 1 ? { CONTAINER_PARTIAL_MESSAGE: 'true' } : {}) })),
      // A line whose last part never comes.
      { ...web, MESSAGE: 'unfinished '.repeat(10), CONTAINER_PARTIAL_ID: 'p2', CONTAINER_PARTIAL_ORDINAL: '1', CONTAINER_PARTIAL_LAST: 'false', CONTAINER_PARTIAL_MESSAGE: 'true' },
    ]);
    let a = await agentOn(dir, topic, state, { partialWaitMs: 500 });
    await until('the unfinished line let go', () => a.source.stats.partial_unfinished === 1, 30_000);
    // The first part of another line, then the agent stops: its cursor stays before that part.
    w.write([{ ...web, MESSAGE: 'restart-'.repeat(3000), CONTAINER_PARTIAL_ID: 'p3', CONTAINER_PARTIAL_ORDINAL: '1', CONTAINER_PARTIAL_LAST: 'false', CONTAINER_PARTIAL_MESSAGE: 'true' }]);
    await until('its first part read', () => a.source.stats.partial_parts === 3 + 1 + oldParts.length + 1);
    await new Promise((r) => setTimeout(r, 200));
    await a.agent.stop();
    assert.deepEqual([a.source.stats.partial_lines, a.source.stats.partial_unfinished], [2, 1]);
    w.write([{ ...web, MESSAGE: 'end', CONTAINER_PARTIAL_ID: 'p3', CONTAINER_PARTIAL_ORDINAL: '2', CONTAINER_PARTIAL_LAST: 'true' }, { ...web, MESSAGE: 'after the restart' }]);
    a = await agentOn(dir, topic, state, { partialWaitMs: 500 });
    await until('the line read again and ended', () => a.source.stats.entries >= 3);
    await new Promise((r) => setTimeout(r, 300));
    await a.agent.stop();
    assert.equal(a.source.stats.entries, 3, 'read again from before the held part, not from the start');
    assert.equal(a.source.stats.partial_lines, 1);
  } finally {
    await w.close();
  }
  const records = await readLogs(topic, 7);
  assert.equal(records.length, 7, records.map((r) => r.body.slice(0, 40)).join(' | '));
  const byBody = (start: string) => records.filter((r) => r.body.startsWith(start));
  const joinedJson = records.find((r) => r.body === 'cart dump');
  assert.ok(joinedJson, 'the joined line parsed as the JSON line it was');
  assert.equal(joinedJson.attributes.blob, 'abcdefghij'.repeat(4000));
  assert.equal(joinedJson.attributes['container.name'], 'shop-web');
  assert.equal(joinedJson.severity_text, 'WARN');
  assert.ok(!Object.keys(joinedJson.attributes).some((k) => /partial/i.test(k)), `no partial fields on a joined line: ${Object.keys(joinedJson.attributes).join(', ')}`);
  assert.ok(records.every((r) => !Object.keys(r.attributes).some((k) => k.startsWith('CONTAINER_LOG_'))), 'Docker\'s docker-logs bookkeeping left out');
  assert.equal(byBody('stderr between the parts').length, 1);
  assert.equal(byBody('before the long line').length, 1);
  const legacy = records.find((r) => r.service === 'legacy')!;
  assert.equal(legacy.body, `${'x'.repeat(20000)}`, 'the older form joined, then parsed: its header read');
  assert.equal(legacy.severity_text, 'ERROR');
  const unfinished = byBody('unfinished');
  assert.equal(unfinished.length, 1);
  assert.equal(unfinished[0]!.attributes['log.partial'], 'true');
  assert.equal(byBody('restart-')[0]?.body, `${'restart-'.repeat(3000)}end`, 'the line cut by the restart, whole');
  assert.equal(byBody('after the restart').length, 1);
});

test('without a cursor, start_at end reads only entries written from then on; units filter as journalctl does', { skip }, async () => {
  const dir = tempDir('tributary-journal-');
  const topic = await createTestTopic('journald-end');
  const w = new JournalWriter(dir);
  try {
    w.write([{ MESSAGE: 'before the agent', SYSLOG_IDENTIFIER: 'x', _SYSTEMD_UNIT: 'a.service' }]);
    await new Promise((r) => setTimeout(r, 500));
    const a = await agentOn(dir, topic, tempDir(), { startAt: 'end', units: ['a.service'] });
    await new Promise((r) => setTimeout(r, 1000));
    w.write([{ MESSAGE: 'of another unit', SYSLOG_IDENTIFIER: 'y', _SYSTEMD_UNIT: 'b.service' }, { MESSAGE: 'after the agent', SYSLOG_IDENTIFIER: 'x', _SYSTEMD_UNIT: 'a.service' }]);
    await until('the new entry', () => a.source.stats.entries >= 1);
    await new Promise((r) => setTimeout(r, 300));
    await a.agent.stop();
    assert.equal(a.source.stats.entries, 1);
  } finally {
    await w.close();
  }
  const records = await readLogs(topic, 1, 10_000);
  assert.deepEqual(records.map((r) => r.body), ['after the agent']);
});

test('journalctl\'s arguments: filters, and where to start with and without a cursor', () => {
  assert.deepEqual(journalctlArgs({ startAt: 'end' }, undefined).slice(-1), ['--lines=0'], '--follow alone would start with the last 10 entries');
  assert.deepEqual(journalctlArgs({ startAt: 'beginning' }, undefined).slice(-1), ['--lines=all']);
  const args = journalctlArgs({ startAt: 'end', directory: '/j', units: ['a.service', 'b.service'], identifiers: ['sshd'], maxPriority: 4 }, 's=1;i=2');
  for (const a of ['--output=json', '--all', '--follow', '--directory=/j', '--unit=a.service', '--unit=b.service', '--identifier=sshd', '--priority=4', '--after-cursor=s=1;i=2', '--lines=all']) assert.ok(args.includes(a), a);
  assert.ok(!args.includes('--lines=0'), 'a kept cursor wins over start_at');
});

test('a field\'s text: a string, bytes as numbers, the first of several values', () => {
  assert.equal(fieldText('x'), 'x');
  assert.equal(fieldText([104, 105]), 'hi');
  assert.equal(fieldText(['a', 'b']), 'a');
  assert.equal(fieldText([[104], 'b']), 'h');
  assert.equal(fieldText(null), undefined);
});
