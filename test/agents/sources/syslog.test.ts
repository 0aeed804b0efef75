// The syslog intake (agents/sources/syslog.ts) with real senders, util-linux's `logger`, over UDP and
// over TCP with both of RFC 6587's framings, and rsyslog over TLS (RFC 5425), through the agent into a
// real Kafka topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../../agents/agent.ts';
import { SyslogSource } from '../../../agents/sources/syslog.ts';
import { newCounters } from '../../../agents/record-builder.ts';
import { RecordPool } from '../../../agents/record-pool.ts';
import { log } from '../../../core/log.ts';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { ensureRsyslog } from '../../../bench/rsyslog/run.ts';
import { startService } from '../../../bench/proc.ts';
import { makeTestCerts } from '../../helpers/certs.ts';
import { createTestTopic, testBrokers } from '../../helpers/kafka.ts';
import { checkSeq, readLogs, seqLine, tempDir } from '../harness.ts';

await testBrokers();
const hasLogger = spawnSync('logger', ['--help']).status === 0;
const skip = hasLogger ? false : 'no logger (util-linux) on this machine';

async function intake(modes: Array<'udp' | 'tcp'>) {
  const brokers = await testBrokers();
  const topic = await createTestTopic('syslog');
  const sources = modes.map((mode) => new SyslogSource(`syslog-${mode}`, { mode, port: 0, maxMessageBytes: 64 * 1024, service: 'network', hostName: 'agent-host', serviceFromMessage: true }));
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources, selfMetrics: false });
  await agent.start();
  return { agent, sources, topic };
}

function logger(port: number, args: string[]): void {
  execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), ...args]);
}

test('logger over UDP: RFC 5424 and RFC 3164 messages with their severity, host, app as service, structured data and the sender\'s address', { skip }, async () => {
  const { agent, sources, topic } = await intake(['udp']);
  const port = sources[0]!.port;
  try {
    logger(port, ['-d', '--rfc5424', '--msgid', 'ID47', '--sd-id', 'order@32473', '--sd-param', 'id="42"', '-t', 'checkout', '-p', 'auth.crit', 'payment 42 refused']);
    logger(port, ['-d', '--rfc3164', '-t', 'cron', '-p', 'local0.warning', 'job backup took 12 s']);
  } finally {
    // Stopping hands what the intake holds to the sink and waits for Kafka's acknowledgement.
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
  }
  const records = await readLogs(topic, 2);
  const byService = new Map(records.map((r) => [r.service, r]));
  const a = byService.get('checkout')!;
  assert.ok(a, `a record of service checkout among ${records.map((r) => r.service).join(', ')}`);
  assert.equal(a.body, 'payment 42 refused');
  assert.equal(a.severity_text, 'CRIT');
  assert.equal(a.origin.kind, 'syslog');
  assert.equal(a.attributes['syslog.msgid'], 'ID47');
  assert.equal(a.attributes['order@32473.id'], '42');
  assert.equal(a.attributes['syslog.facility'], 'auth');
  assert.equal(a.attributes['network.peer.address'], '127.0.0.1');
  assert.notEqual(a.host, 'agent-host', 'the host the message names');
  assert.ok(Math.abs(Date.parse(a.time) - Date.now()) < 60_000, 'the time the message carries');
  const b = byService.get('cron')!;
  assert.ok(b);
  assert.equal(b.body, 'job backup took 12 s');
  assert.equal(b.severity_text, 'WARNING');
  assert.equal(b.attributes['syslog.facility'], 'local0');
});

test('logger over TCP, octet-counted and line-ended: thousands of messages arrive whole, in order, none twice', { skip }, async () => {
  const { agent, sources, topic } = await intake(['tcp']);
  const port = sources[0]!.port;
  const dir = tempDir();
  const counted = join(dir, 'counted.txt');
  const ended = join(dir, 'ended.txt');
  // Messages with spaces, digits first and a `<` inside, so that neither framing can be guessed from the text.
  let text1 = '';
  let text2 = '';
  for (let i = 0; i < 3000; i++) text1 += seqLine('c', i, 120).replace('xxxx', '12 <3 ');
  for (let i = 0; i < 3000; i++) text2 += seqLine('l', i, 120).replace('xxxx', '12 <3 ');
  writeFileSync(counted, text1);
  writeFileSync(ended, text2);
  try {
    logger(port, ['-T', '--octet-count', '-t', 'bulk', '-f', counted]);
    logger(port, ['-T', '-t', 'bulk', '-f', ended]);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await agent.stop();
  }
  const records = await readLogs(topic, 6000);
  const report = checkSeq(records, { c: 3000, l: 3000 });
  for (const s of ['c', 'l']) {
    assert.equal(report[s]!.missingCount, 0, `${s}: missing ${report[s]!.missing.join(',')}`);
    assert.equal(report[s]!.duplicates, 0, `${s}: duplicates`);
  }
  assert.ok(records.every((r: LogRecord) => r.service === 'bulk' && r.body.includes('12 <3 ')), 'each message whole, its own text');
  // One connection per logger run, on one partition (one key): the order within each is kept.
  const order = records.filter((r) => r.body.startsWith('seq c ')).map((r) => Number(r.body.slice(6, 14)));
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  assert.equal(sources[0]!.stats.connections, 2);
});

test('network devices over UDP (datagrams as an ASA, IOS and NX-OS send them): the source\'s service for all, the mnemonic\'s level and fields', async () => {
  const { createSocket } = await import('node:dgram');
  const { agent, sources, topic } = await intake(['udp']);
  const port = sources[0]!.port;
  // The shapes the vendors document for a syslog server (a test double of the devices: none runs here).
  const messages = [
    '<166>%ASA-6-302013: Built outbound TCP connection 123 for outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.0.0.2/5555 (10.0.0.2/5555)',
    '<164>Nov 28 2026 11:40:00 fw01 : %ASA-4-106023: Deny tcp src outside:198.51.100.7/5151 dst inside:10.0.0.2/22 by access-group "outside_in" [0x0, 0x0]',
    '<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.1.1.1)',
    '<187>: 2026 Nov 28 11:40:00 UTC: %ETHPORT-3-IF_DOWN_LINK_FAILURE: Interface Ethernet1/2 is down (Link failure)',
  ];
  const socket = createSocket('udp4');
  try {
    for (const m of messages) await new Promise<void>((resolve, reject) => socket.send(m, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  } finally {
    socket.close();
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
  }
  const records = await readLogs(topic, messages.length);
  assert.deepEqual(new Set(records.map((r) => r.service)), new Set(['network']), 'no service named after a mnemonic or a sequence number');
  const byMnemonic = new Map(records.map((r) => [r.attributes['cisco.mnemonic'], r]));
  assert.deepEqual([...byMnemonic.keys()].sort(), ['106023', '302013', 'CONFIG_I', 'IF_DOWN_LINK_FAILURE']);
  assert.equal(byMnemonic.get('302013')!.severity_text, 'INFO');
  assert.equal(byMnemonic.get('302013')!.body, 'Built outbound TCP connection 123 for outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.0.0.2/5555 (10.0.0.2/5555)');
  assert.equal(byMnemonic.get('106023')!.host, 'fw01');
  assert.equal(byMnemonic.get('106023')!.time, '2026-11-28T11:40:00.000Z');
  assert.equal(byMnemonic.get('CONFIG_I')!.attributes['cisco.sequence'], '123');
  assert.equal(byMnemonic.get('CONFIG_I')!.attributes['cisco.device_time'], 'Mar  1 18:46:11.123');
  assert.equal(byMnemonic.get('IF_DOWN_LINK_FAILURE')!.severity_text, 'ERR');
  assert.equal(byMnemonic.get('IF_DOWN_LINK_FAILURE')!.time, '2026-11-28T11:40:00.000Z');
  for (const r of records) assert.equal(r.attributes['network.peer.address'], '127.0.0.1');
});

// rsyslog as a TLS client (RFC 5425): Debian's rsyslogd and its OpenSSL driver, unpacked by
// bench/rsyslog/fetch.sh as for bench:agent's rows (test/bench/rsyslog.test.ts says when it can be had).
let noRsyslog: string | false = spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0 && 'no apt-get here: rsyslog cannot be fetched';
if (!noRsyslog && process.getuid?.() !== 0) {
  try {
    ensureRsyslog();
  } catch (err) {
    noRsyslog = `rsyslog cannot be fetched here without root: ${(err as Error).message}`;
  }
}

test('rsyslog over mutual TLS (omfwd, OpenSSL driver, octet-counted): every line of a file once, in order; senders without the CA\'s certificate are refused and counted', { skip: noRsyslog, timeout: 120_000 }, async () => {
  const rs = ensureRsyslog();
  const certs = makeTestCerts();
  const brokers = await testBrokers();
  const topic = await createTestTopic('syslog-tls');
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verifyClient: true, minVersion: 'TLSv1.2' as const };
  // Built on a record thread (the file's and the TCP intakes' usual path); forward.test.ts builds its TLS records one by one.
  const counters = newCounters();
  const pool = new RecordPool({ threads: 1, key: 'service_host', maxRecordBytes: 900 * 1024, counters, log: log('test') });
  const threads = { pool, builder: pool.addBuilder({ parser: { type: 'auto' }, source: 'syslog-tls' }) };
  const source = new SyslogSource('syslog-tls', { mode: 'tcp', port: 0, maxMessageBytes: 64 * 1024, service: 'network', hostName: 'agent-host', serviceFromMessage: true, tls, threads });
  const agent = new Agent({ sink: { brokers, logsTopic: topic, lingerMs: 5 }, sources: [source], selfMetrics: false });
  await agent.start();
  const work = tempDir('tributary-rsyslog-tls-');
  const file = join(work, 'app.log');
  const n = 2000;
  let text = '';
  for (let i = 0; i < n; i++) text += seqLine('t', i, 150).replace('xxxx', 'ünïcode 12 <3 ');
  writeFileSync(file, text);
  const conf = join(work, 'rsyslog.conf');
  writeFileSync(conf, [
    // The client's certificate and the CA it checks the agent's against (x509/name: the name must be localhost).
    `global(workDirectory="${work}" DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="${certs.ca}" DefaultNetstreamDriverCertFile="${certs.clientCert}" DefaultNetstreamDriverKeyFile="${certs.clientKey}")`,
    'module(load="imfile" mode="polling" PollingInterval="1")',
    `input(type="imfile" file="${file}" tag="checkout:" ruleset="fwd" freshStartTail="off")`,
    'ruleset(name="fwd") {',
    `  action(type="omfwd" target="127.0.0.1" port="${source.port}" protocol="tcp" StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")`,
    '}',
  ].join('\n') + '\n');
  const rsyslogd = startService('rsyslogd', rs.bin, ['-n', '-M', rs.modules, '-f', conf, '-i', join(work, 'rsyslogd.pid')], rs.env);
  try {
    const deadline = Date.now() + 60_000;
    while (source.stats.messages < n) {
      rsyslogd.checkAlive();
      if (Date.now() > deadline) throw new Error(`the intake had ${source.stats.messages} of ${n} messages after 60 s; rsyslog said: ${rsyslogd.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Senders the agent must refuse: one with a certificate of another CA, one without any, one in plain TCP.
    const { connect } = await import('node:tls');
    const { connect: plain } = await import('node:net');
    const refusedBy = (open: () => import('node:net').Socket) => new Promise<void>((resolve) => {
      const s = open();
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      s.on('secureConnect', () => s.write('25 <13>1 - - evil - - - forged'));
    });
    const ca = readFileSync(certs.ca);
    await refusedBy(() => connect({ host: '127.0.0.1', port: source.port, servername: 'localhost', ca, cert: readFileSync(certs.otherClientCert), key: readFileSync(certs.otherClientKey) }));
    await refusedBy(() => connect({ host: '127.0.0.1', port: source.port, servername: 'localhost', ca }));
    await refusedBy(() => plain(source.port, '127.0.0.1').on('connect', function (this: import('node:net').Socket) {
      this.end('25 <13>1 - - evil - - - forged');
    }));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await rsyslogd.stop();
    await agent.stop();
    await pool.close();
  }
  assert.equal(source.stats.tls_failed, 3);
  const records = await readLogs(topic, n);
  const report = checkSeq(records, { t: n });
  assert.equal(report.t!.missingCount, 0, `missing ${report.t!.missing.join(',')}`);
  assert.equal(report.t!.duplicates, 0);
  assert.equal(records.length, n, 'nothing of the refused senders');
  const order = records.map((r) => Number(r.body.slice(6, 14)));
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  for (const r of records) {
    assert.equal(r.service, 'checkout');
    assert.ok(r.body.includes('ünïcode 12 <3 '), r.body);
    assert.equal(r.attributes['network.peer.address'], '127.0.0.1');
    assert.equal(r.attributes['tls.client.subject'], 'CN=sender-1', 'who sent it, by its certificate');
  }
  assert.equal(counters.records, n, 'built on the record thread');
});
