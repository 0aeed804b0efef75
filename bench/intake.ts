/**
 * `npm run bench:intake`: syslog pushed over TCP, the agent's network intake against rsyslog's own job
 * (imtcp -> omkafka), side by side in one run. A sender in this process writes BENCH_LINES (default
 * 300,000) RFC 3164 messages, line-ended, down one TCP connection as fast as the receiver reads them
 * (both slow a sender down instead of dropping: TCP's own backpressure); each shipper sends them into
 * a fresh 6-partition topic with lz4, acks=all and the idempotent producer. A run ends when the topic
 * holds every message (counted by its offsets, as bench:agent counts rsyslog's).
 *
 * The messages are the bench:agent lines (half Java-style text, 30 % pino JSON, 20 % logfmt, padded to
 * 250 bytes) behind a syslog header (`<134>Dec  6 10:00:00 web-1 orders[4242]: `), so the agent's
 * parser reads the header and then the line inside it, as it does for a file.
 *
 * Shippers: `tributary agent` with its defaults (as users run it: bin/tributary, its bundle, one syslog
 * source `mode: tcp`); the agent with a Fluent Forward source taking the same lines as Docker's fluentd
 * driver writes them (container fields, `log`, an EventTime), a Message per event as the driver sends
 * them and PackedForward messages of 1,000 as Fluent Bit sends (BENCH_FORWARD=0 leaves both out); the
 * agent with a Splunk HEC source taking them as requests of 1,000 events (BENCH_HEC=0 leaves it out);
 * the agent with an Elasticsearch bulk source taking them as Filebeat-shaped documents, 1,000 to a
 * request (BENCH_ES=0 leaves it out);
 * the agent's syslog source and rsyslog's imtcp over TLS (RFC 5425; BENCH_TLS=0 leaves both out); and rsyslog 8.2302 from Debian (bench/rsyslog: imtcp -> omkafka with the
 * settings bench:agent gives it, each message's raw text as one Kafka message; BENCH_RSYSLOG=0 leaves
 * it out, a machine without Debian's apt-get leaves it out with the reason). BENCH_BASELINE=<checkout of
 * another commit, with its node_modules> adds that commit's agent (its own bin/tributary) as a row, to
 * compare a change side by side. BENCH_ROUNDS rounds
 * (default 3), each starting one shipper further on. Per row: messages/s from the first byte sent to
 * the last message stored, CPU µs per message (the shipper's process, all threads, /proc, from the first
 * byte sent: its start-up is not counted), the same between 10 % and 90 % stored, and peak RSS.
 * Prints the table and writes bench/results/intake.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../core/ports.ts';
import { createKafka, waitForTopicLeaders } from '../core/kafka/client.ts';
import { defaultStackOptions, stackDown, stackUp } from '../core/kafka/stack.ts';
import { benchLine } from './agent.ts';
import { cpuSeconds, peakRssKb, startService } from './proc.ts';
import { ensureRsyslog, type Rsyslog } from './rsyslog/run.ts';
import { makeTestCerts, type TestCerts } from '../test/helpers/certs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const LINES = Number(process.env.BENCH_LINES ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Run {
  seconds: number;
  cpuSeconds: number;
  steadyCpuSeconds?: number;
  steadyLines?: number;
  maxRssKb: number;
}

/** A receiving shipper: its pid, and how to stop it. */
interface Receiver {
  pid: number;
  alive(): void;
  stop(): Promise<void>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The messages, one after another, each ended by LF. */
export function syslogMessages(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(Date.UTC(2026, 11, 6, 10, 0, 0) + i);
    const stamp = `${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)}`;
    parts.push(`<134>${stamp} web-${i % 3} orders[4242]: ${benchLine(i)}`);
  }
  return Buffer.from(parts.join(''));
}

/** MessagePack as the bench's Forward messages need it: maps and arrays of strings, bytes, small integers, EventTimes. */
function pack(v: unknown, out: Buffer[]): void {
  const head = (small: number, big: number, n: number) => {
    if (n < 16 && small !== 0) return out.push(Buffer.from([small | n]));
    const b = Buffer.alloc(5);
    b[0] = big;
    b.writeUInt32BE(n, 1);
    out.push(b);
  };
  if (typeof v === 'string') {
    const s = Buffer.from(v);
    if (s.length < 32) out.push(Buffer.from([0xa0 | s.length]));
    else head(0, 0xdb, s.length);
    out.push(s);
  } else if (typeof v === 'number') {
    head(0, 0xce, v);
  } else if (Buffer.isBuffer(v)) {
    head(0, 0xc6, v.length);
    out.push(v);
  } else if (Array.isArray(v)) {
    head(0x90, 0xdd, v.length);
    for (const x of v) pack(x, out);
  } else if (v instanceof Date) {
    // EventTime: extension 0, seconds and nanoseconds.
    const b = Buffer.alloc(10);
    b[0] = 0xd7;
    b.writeUInt32BE(Math.floor(v.getTime() / 1000), 2);
    b.writeUInt32BE((v.getTime() % 1000) * 1e6, 6);
    out.push(b);
  } else {
    const entries = Object.entries(v as object);
    head(0x80, 0xdf, entries.length);
    for (const [k, x] of entries) {
      pack(k, out);
      pack(x, out);
    }
  }
}

/**
 * The same lines as Fluent Forward messages, each event as Docker's fluentd driver writes it (its map of
 * container_id, container_name, source and log, an EventTime): one Message per event as the driver
 * sends them (`perMessage` 1), or PackedForward messages of `perMessage` events as Fluent Bit sends its chunks.
 */
export function forwardMessages(n: number, perMessage: number): Buffer {
  const out: Buffer[] = [];
  const event = (i: number) => ({ container_id: '3c9e7c1d0a5f4b2e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e', container_name: '/orders', source: 'stdout', log: benchLine(i).slice(0, -1) });
  const time = (i: number) => new Date(Date.UTC(2026, 11, 6, 10, 0, 0) + i);
  for (let i = 0; i < n; i += perMessage) {
    if (perMessage === 1) {
      pack(['docker.3c9e7c1d0a5f', time(i), event(i)], out);
      continue;
    }
    const entries: Buffer[] = [];
    for (let j = i; j < Math.min(n, i + perMessage); j++) pack([time(j), event(j)], entries);
    pack(['docker.3c9e7c1d0a5f', Buffer.concat(entries), { size: Math.min(n, i + perMessage) - i }], out);
  }
  return Buffer.concat(out);
}

/**
 * The same lines as Splunk HEC requests of `perRequest` events each (as the OpenTelemetry Collector's
 * splunkhec exporter and Vector batch them): HTTP/1.1 POSTs to /services/collector/event one after
 * another on one connection (pipelined: the intake answers them in order; their answers are not read),
 * each event `{"time", "host", "source", "sourcetype", "event": <line>}`.
 */
export function hecRequests(n: number, perRequest: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i += perRequest) {
    let body = '';
    for (let j = i; j < Math.min(n, i + perRequest); j++) {
      body += JSON.stringify({ time: (Date.UTC(2026, 11, 6, 10, 0, 0) + j) / 1000, host: `web-${j % 3}`, source: 'orders', sourcetype: 'orders:app', event: benchLine(j).slice(0, -1) });
    }
    const bytes = Buffer.from(body);
    out.push(Buffer.from(`POST /services/collector/event HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Splunk bench\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes);
  }
  return Buffer.concat(out);
}

/**
 * The same lines as Elasticsearch bulk requests of `perRequest` documents each, shaped as Filebeat 8's
 * filestream input writes them (ECS: `@timestamp`, `message`, `log.file.path`, `log.offset`, `host.name`,
 * `agent`, `input`, `ecs`): HTTP/1.1 POSTs to /_bulk, an `create` action on a data stream before each
 * document, pipelined on one connection as `hecRequests` does.
 */
export function bulkRequests(n: number, perRequest: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i += perRequest) {
    let body = '';
    for (let j = i; j < Math.min(n, i + perRequest); j++) {
      body += '{"create":{"_index":"filebeat-8.17.0"}}\n';
      body += JSON.stringify({ '@timestamp': new Date(Date.UTC(2026, 11, 6, 10, 0, 0) + j).toISOString(), message: benchLine(j).slice(0, -1), log: { file: { path: '/var/log/orders/app.log' }, offset: j * 250 }, input: { type: 'filestream' }, host: { name: `web-${j % 3}` }, agent: { type: 'filebeat', version: '8.17.0', name: `web-${j % 3}` }, ecs: { version: '8.0.0' } }) + '\n';
    }
    const bytes = Buffer.from(body);
    out.push(Buffer.from(`POST /_bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes);
  }
  return Buffer.concat(out);
}

/** Resolves once something accepts connections on the port (the shipper is up), or throws after `ms`. */
async function listening(port: number, alive: () => void, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    alive();
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms / 1000} s`);
    await sleep(100);
  }
}

/** Writes `data` down one connection (TLS when given the CA to trust) as fast as the other end reads it, then closes it; what comes back is read and dropped. */
function send(port: number, data: Buffer, ca?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const opened = () => {
      let at = 0;
      const pump = () => {
        while (at < data.length) {
          const end = Math.min(data.length, at + 64 * 1024);
          const more = s.write(data.subarray(at, end));
          at = end;
          if (!more) return void s.once('drain', pump);
        }
        s.end(resolve);
      };
      pump();
    };
    const s = ca ? tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca }, opened) : connect(port, '127.0.0.1', opened);
    s.on('error', reject);
    // Answers are read and dropped: a receiver whose answers pile up unread (Elasticsearch's bulk
    // answers are 180 bytes a document) stops reading the pipelined requests behind them.
    s.on('data', () => undefined);
  });
}

function startAgent(work: string, name: string, brokers: string, topic: string, port: number, checkout = root, source = 'type: syslog, mode: tcp'): Receiver {
  const config = join(work, `${name}.yaml`);
  writeFileSync(config, `kafka:\n  brokers: ["${brokers}"]\n  topics: { logs: ${topic} }\nstate_dir: ${join(work, `state-${name}`)}\nself_metrics: { enabled: false }\nsources:\n  net: { ${source}, listen: "127.0.0.1:${port}" }\n`);
  const child: ChildProcess = spawn(join(checkout, 'bin/tributary'), ['agent', '--config', config], { env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  const exit = new Promise((r) => child.once('exit', () => r((exited = true))));
  return {
    pid: child.pid!,
    alive: () => {
      if (exited) throw new Error('the agent exited during the run');
    },
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

function startRsyslogTcp(rs: Rsyslog, work: string, name: string, brokers: string, topic: string, port: number, certs?: TestCerts): Receiver {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'rsyslog.conf');
  const fill: Record<string, string> = {
    WORK: dir,
    BROKERS: brokers.split(',').map((b) => JSON.stringify(b)).join(', '),
    TOPIC: topic,
    PORT: String(port),
    GLOBAL_TLS: certs ? ` DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="${certs.ca}" DefaultNetstreamDriverCertFile="${certs.serverCert}" DefaultNetstreamDriverKeyFile="${certs.serverKey}"` : '',
    IMTCP_TLS: certs ? ' StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon"' : '',
  };
  writeFileSync(conf, readFileSync(join(root, 'bench/rsyslog/imtcp-omkafka.conf'), 'utf8').replace(/@(\w+)@/g, (_, k: string) => fill[k] ?? `@${k}@`));
  const s = startService('rsyslogd', rs.bin, ['-n', '-M', rs.modules, '-f', conf, '-i', join(dir, 'rsyslogd.pid')], rs.env);
  return { pid: s.pid, alive: () => s.checkAlive(), stop: () => s.stop() };
}

/** One run: start the shipper, wait for its port, send every message (over TLS with `ca`), wait for the topic to hold them. */
async function run(start: (port: number) => Receiver, data: Buffer, stored: () => Promise<number>, ca?: Buffer, stallMs = 30_000): Promise<Run> {
  const port = await freePort();
  const r = start(port);
  try {
    await listening(port, r.alive);
    const cpu0 = cpuSeconds(r.pid);
    const t0 = process.hrtime.bigint();
    const sent = send(port, data, ca);
    sent.catch(() => undefined);
    const marks: Array<{ cpu: number; n: number }> = [];
    let last = { n: -1, at: Date.now() };
    for (;;) {
      r.alive();
      const n = await stored();
      if (n !== last.n) last = { n, at: Date.now() };
      else if (Date.now() - last.at > stallMs) throw new Error(`the topic held ${n} of ${LINES} messages and stopped moving for ${stallMs / 1000} s`);
      if (marks.length === 0 && n >= LINES / 10) marks.push({ cpu: cpuSeconds(r.pid), n });
      else if (marks.length === 1 && n >= (LINES * 9) / 10) marks.push({ cpu: cpuSeconds(r.pid), n });
      if (n >= LINES) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        await sent;
        const steady = marks.length === 2 ? { steadyCpuSeconds: marks[1]!.cpu - marks[0]!.cpu, steadyLines: marks[1]!.n - marks[0]!.n } : {};
        return { seconds, cpuSeconds: cpuSeconds(r.pid) - cpu0, maxRssKb: peakRssKb(r.pid), ...steady };
      }
      await sleep(25);
    }
  } finally {
    await r.stop();
  }
}

function spread(xs: number[], digits = 2): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (digits === 0 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10 ** digits) / 10 ** digits));
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return s.length === 1 ? f(s[0]!) : `${f(median)} (${f(s[0]!)}–${f(s[s.length - 1]!)})`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-intake-'));
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  process.stderr.write(`Starting a Kafka broker on 127.0.0.1:${stack.port}; ${LINES} syslog messages over TCP, ${ROUNDS} rounds...\n`);
  await stackUp(stack);
  const brokers = `127.0.0.1:${stack.port}`;
  const data = syslogMessages(LINES);
  const shippers: Array<{ name: string; start: (topic: string, id: string, port: number) => Receiver; data?: Buffer; tls?: boolean }> = [
    { name: 'tributary agent, defaults (syslog source, mode tcp: auto parser, redaction)', start: (topic, id, port) => startAgent(work, `agent-${id}`, brokers, topic, port) },
  ];
  if (process.env.BENCH_FORWARD !== '0') {
    // The same lines, as Docker's fluentd driver sends them (a Message each) and as Fluent Bit does (PackedForward chunks).
    for (const per of [1, 1000]) {
      const fwd = forwardMessages(LINES, per);
      shippers.push({ name: `tributary agent, defaults, Fluent Forward source (${per === 1 ? 'a Message per event, as Docker\'s fluentd driver sends' : `PackedForward of ${per} events, as Fluent Bit sends`}; ${Math.round(fwd.length / LINES)} bytes per event)`, start: (topic, id, port) => startAgent(work, `forward${per}-${id}`, brokers, topic, port, root, 'type: forward'), data: fwd });
    }
  }
  if (process.env.BENCH_HEC !== '0') {
    const hec = hecRequests(LINES, 1000);
    shippers.push({ name: `tributary agent, defaults, Splunk HEC source (requests of 1,000 events, as the Collector's splunkhec exporter batches; ${Math.round(hec.length / LINES)} bytes per event)`, start: (topic, id, port) => startAgent(work, `hec-${id}`, brokers, topic, port, root, 'type: splunk_hec'), data: hec });
  }
  if (process.env.BENCH_ES !== '0') {
    const bulk = bulkRequests(LINES, 1000);
    shippers.push({ name: `tributary agent, defaults, Elasticsearch bulk source (requests of 1,000 Filebeat-shaped documents; ${Math.round(bulk.length / LINES)} bytes per document)`, start: (topic, id, port) => startAgent(work, `es-${id}`, brokers, topic, port, root, 'type: elasticsearch'), data: bulk });
  }
  // Syslog over TLS (RFC 5425), the agent's and rsyslog's, with a certificate openssl makes here.
  const certs = process.env.BENCH_TLS !== '0' ? makeTestCerts(join(work, 'certs')) : undefined;
  if (certs) {
    const tls = `tls: { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}" }`;
    shippers.push({ name: 'tributary agent, defaults, syslog source over TLS (RFC 5425, TLS 1.3, an EC P-256 certificate)', start: (topic, id, port) => startAgent(work, `tls-${id}`, brokers, topic, port, root, `type: syslog, mode: tcp, ${tls}`), tls: true });
  }
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) {
    const commit = spawnSync('git', ['-C', baseline, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).stdout.trim() || baseline;
    shippers.push({ name: `tributary agent, defaults, at the baseline ${commit} (BENCH_BASELINE)`, start: (topic, id, port) => startAgent(work, `baseline-${id}`, brokers, topic, port, baseline) });
  }
  if (process.env.BENCH_RSYSLOG !== '0') {
    try {
      const rs = ensureRsyslog();
      shippers.push({ name: `${rs.version.replace(', ', ' (imtcp -> omkafka, the raw message as one Kafka message; ')})`, start: (topic, id, port) => startRsyslogTcp(rs, work, `rsyslog-${id}`, brokers, topic, port) });
      if (certs) shippers.push({ name: `${rs.version.split(',')[0]} over TLS (imtcp with its OpenSSL driver, as above)`, start: (topic, id, port) => startRsyslogTcp(rs, work, `rsyslog-tls-${id}`, brokers, topic, port, certs), tls: true });
    } catch (err) {
      process.stderr.write(`The rsyslog row is left out: ${(err as Error).message}\n`);
    }
  }
  const admin = createKafka({ brokers: [brokers], clientId: 'bench-intake' }).admin();
  const runs: Run[][] = shippers.map(() => []);
  try {
    await admin.connect();
    const topics = shippers.flatMap((_, s) => Array.from({ length: ROUNDS }, (_, r) => `intake-${s}-${r}`));
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })) });
    await waitForTopicLeaders(admin, topics, 60_000);
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < shippers.length; k++) {
        const s = (k + r) % shippers.length;
        const topic = `intake-${s}-${r}`;
        const stored = async () => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
        const x = await run((port) => shippers[s]!.start(topic, `${s}-${r}`, port), shippers[s]!.data ?? data, stored, shippers[s]!.tls ? readFileSync(certs!.ca) : undefined);
        runs[s]!.push(x);
        process.stderr.write(`round ${r + 1}: ${shippers[s]!.name}: ${Math.round(LINES / x.seconds).toLocaleString('en-US')} messages/s, ${(x.cpuSeconds * 1e6 / LINES).toFixed(2)} CPU µs/message, ${Math.round(x.maxRssKb / 1024)} MB\n`);
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await stackDown(stack).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  const rows = shippers.map((s, i) => {
    const rs = runs[i]!;
    return {
      shipper: s.name,
      messagesPerSecond: rs.map((x) => LINES / x.seconds),
      cpuUsPerMessage: rs.map((x) => (x.cpuSeconds * 1e6) / LINES),
      steadyCpuUsPerMessage: rs.filter((x) => x.steadyLines).map((x) => (x.steadyCpuSeconds! * 1e6) / x.steadyLines!),
      peakRssMb: rs.map((x) => x.maxRssKb / 1024),
    };
  });
  const table = [
    '| shipper | messages/s, median (min–max) | CPU µs per message | the same from 10 % to 90 % stored | peak RSS MB |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.shipper} | ${spread(r.messagesPerSecond, 0)} | ${spread(r.cpuUsPerMessage)} | ${spread(r.steadyCpuUsPerMessage)} | ${spread(r.peakRssMb, 0)} |`),
  ].join('\n');
  process.stdout.write(`\n${LINES} syslog messages (RFC 3164, ${Math.round(data.length / LINES)} bytes on average), or the same lines as Fluent Forward events, over one TCP connection; ${ROUNDS} rounds\n\n${table}\n`);
  const out = join(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'intake.json'), `${JSON.stringify({ date: new Date().toISOString(), lines: LINES, bytesPerMessage: data.length / LINES, rounds: ROUNDS, rows }, null, 1)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
