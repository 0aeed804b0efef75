/**
 * `npm run bench:agent`: one file of 250-byte log lines in, records acknowledged by Kafka (acks=all,
 * LZ4, idempotent) out, each shipper into a fresh 6-partition topic. Three interleaved rounds (each starting one shipper further on) of: the
 * agent with its defaults; the agent with parsing, redaction and multiline off; our producer alone
 * (the lines as values, a key and 3 headers, like the agent's records); kafkajs alone, the same way;
 * the other clients tried, the same way (@platformatic/kafka and the Confluent client, installed into
 * dist/bench-clients from bench/clients on first use; BENCH_CLIENTS=0 leaves them out; each client alone is
 * one definition in bench/clients/produce.ts); kcat (librdkafka); then the agent and kcat on real lines (the eight Loghub samples in
 * test/fixtures/loghub-2k, repeated to the same line count). Each runs in its own process, so its CPU and peak RSS are its own; min / median /
 * max of lines/s, CPU µs per line and peak RSS. Starts its own broker on free ports; writes
 * bench/results/agent.json and prints the README's table. BENCH_LINES sets the line count (default
 * 500,000), BENCH_ROUNDS the rounds (3); BENCH_BATCH_EVENTS, BENCH_BATCH_BYTES, BENCH_LINGER_MS set the
 * agent's kafka.batch settings, BENCH_CLIENT its kafka.client, BENCH_ENCODING its kafka.encoding (json, otlp_proto), BENCH_MEMORY_EVENTS its buffer.memory.max_events; BENCH_BASELINE=<checkout of an earlier commit> adds a row of that commit's agent (defaults) to every round; BENCH_STAGES_ONLY=1 prints only
 * the per-stage costs (no broker; measured in a child started with the agent's Node and V8 flags), on the bench's lines and on the Loghub lines (`cpuMicrosecondsPerLineLoghub`); BENCH_MEM=1 makes each agent child print its main thread's memory (and each record thread's heap by space at the end; V8's
 * spaces, memory outside the heap, the largest mappings: node's own file by section) to stderr at the end, and
 * (`atPeakRssMb`) its RSS, anonymous RSS, main-thread heap and memory outside it when its RSS was highest (sampled every 20 ms); BENCH_PROFILE=dir writes --cpu-prof
 * profiles of the agent runs there; BENCH_DUMP=file writes each child's whole standard output there as it exits (the last
 * one's stays; with BENCH_ONLY naming one agent row and BENCH_ROUNDS=1, what V8 printed for BENCH_V8_FLAGS='--trace-opt', say); BENCH_DEBUG=1 makes an agent child print its sink's queue, its CPU seconds so far, its RSS and where that memory is (V8's heaps, main and record threads; memory outside V8; the kernel's anonymous and file pages) every 250 ms (BENCH_DEBUG_MS sets another period).
 * Every agent child starts Node with the flags `tributary agent` gets from its launcher (`AGENT_NODE_OPTIONS` and
 * `AGENT_NODE_FLAGS` in bin/tributary; a BENCH_BASELINE checkout's own, none if it has no such line); BENCH_AGENT_NODE_OPTIONS
 * and BENCH_AGENT_NODE_FLAGS replace them for this checkout's agent children only (empty: none), to compare Node/V8 flags side by side. BENCH_V8_FLAGS sets V8 flags
 * in those children at run time (`v8.setFlagsFromString`: for flags Node does not take in NODE_OPTIONS, such as
 * --heap-growing-percent=50), also for this checkout's children only.
 * After each run the topic's records are counted (Kafka's offsets): a row whose topic does not hold one record per line
 * says so in its name; a topic of OTLP requests holding several lines each (the Collector's otlp_proto rows, the agent's
 * records_per_message rows) is read back with kcat and its requests' records counted.
 * BENCH_PLATFORMATIC_OVERLAP=1 lets @platformatic/kafka's row keep up to 5 sends under way, as the other rows do: the
 * overlap its 1.x loses records under (upstream #326), which the count then shows.
 * BENCH_ONLY=<regular expression> runs only the shippers whose names match (no stages; agent.json left as it is).
 * BENCH_THREAD_CPU=1 makes each agent child print its CPU per line by thread (main, the busiest other, the rest; and each thread's seconds) to stderr at the end.
 * BENCH_FSYNC_DELAY_US=<µs> runs every Node.js child (the agent rows) under strace with each fsync held that long, as
 * on a network disk or one the host keeps busy (needs strace; kcat and the Collector are not slowed).
 * BENCH_OTELCOL=1 adds the OpenTelemetry Collector (bench/otelcol, built first if dist/otelcol/otelcol is
 * missing): filelog -> kafka exporter with otlp_proto (its default: one message per 100 lines) and with raw
 * (one message per line, as kcat), and on the Loghub lines; see bench/otelcol/run.ts.
 * rsyslog (imfile -> omkafka, one message per line; Debian's packages unpacked into dist/rsyslog by
 * bench/rsyslog/fetch.sh on first use) has a row on each file; BENCH_RSYSLOG=0 leaves them out, and a
 * machine without Debian's apt-get leaves them out with the reason; see bench/rsyslog/run.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressFrameSync } from 'lz4-napi';
import { freePort } from '../core/ports.ts';
import { ensureBenchClients } from './clients/install.ts';
import { CLIENTS } from './clients/produce.ts';
import { ensureOtelcol, otelcolRun } from './otelcol/run.ts';
import { ensureRsyslog, rsyslogFetched, rsyslogRun, type Rsyslog } from './rsyslog/run.ts';
import { decodeOtlpLogs } from '../core/contracts/otlp-log.ts';
import { launcherNodeFlags, launcherNodeOptions } from './agent-flags.ts';
import { procStatus, statusKb } from './proc.ts';

const LINE_BYTES = 250;
const root = fileURLToPath(new URL('..', import.meta.url));

function pad(line: string): string {
  return line.length >= LINE_BYTES - 1 ? line.slice(0, LINE_BYTES - 1) : line + ' ' + 'x'.repeat(LINE_BYTES - line.length - 2);
}

/** A mix like a real host: half plain text, 30% pino JSON, 20% logfmt; each line numbered. */
export function benchLine(i: number): string {
  const t = new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + i).toISOString();
  const k = i % 10;
  if (k < 5) return pad(`${t} INFO [worker-${i % 8}] com.acme.orders.OrderService - order ${100000 + i} processed for region eu-west-1 in ${i % 500} ms, items=${i % 7} status=ok`) + '\n';
  if (k < 8) {
    const head = JSON.stringify({ level: i % 97 === 0 ? 50 : 30, time: Date.parse(t), pid: 4242, hostname: 'web-1', reqId: `r-${i}`, route: '/api/cart', ms: i % 300, msg: `cart updated ${i}` });
    return head.slice(0, -1) + `,"pad":"${'p'.repeat(Math.max(0, LINE_BYTES - head.length - 10))}"}` + '\n';
  }
  return pad(`ts=${t} level=info service=search msg="query served" q_id=${i} hits=${i % 50} took_ms=${i % 90} cache=miss`) + '\n';
}



interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  /** CPU seconds while the 10th to the 90th percent of lines were acknowledged (start-up, module loading and warm-up excluded), and those lines; agent runs only. */
  steadyCpuSeconds?: number;
  steadyLines?: number;
  /** CPU seconds of the whole machine (every process: the broker too) over the same wall time as `seconds`; agent runs only. */
  machineCpuSeconds?: number;
  /** Records the topic holds after the run, when not one per line (a shipper that lost or repeated some). */
  storedLines?: number;
}

/** Busy CPU seconds of the whole machine since boot, from /proc/stat's first line (undefined where there is none). */
function machineCpuSeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait, in clock ticks of 10 ms.
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / 100;
  } catch {
    return undefined;
  }
}

/**
 * A child's own peak RSS: VmHWM, its address space's high-water mark since exec. Not getrusage's
 * maxRSS: Linux carries the address space it had before exec into that (the parent's, copied at
 * fork), so a child spawned by a parent holding more showed the parent's size (seen: 234 MB for an
 * agent whose own peak was 157, after the parent had read a topic back).
 */
function ownPeakRssKb(): number {
  return statusKb(procStatus('self'), 'VmHWM');
}

/** What a child prints: wall seconds from the first line to the last acknowledgement, CPU seconds, peak RSS. */
function report(t0: bigint, cpu0: NodeJS.CpuUsage, steady?: { cpu: NodeJS.CpuUsage; lines: number }, machine0?: number): void {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const s = steady?.cpu;
  const machine = machine0 === undefined ? undefined : machineCpuSeconds();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKb: ownPeakRssKb(), ...(s ? { steadyCpuSeconds: (s.user + s.system) / 1e6, steadyLines: steady!.lines } : {}), ...(machine !== undefined ? { machineCpuSeconds: machine - machine0! } : {}) }) + '\n');
}

/**
 * The agent, from a config as a user writes it; `plain` switches parsing, redaction and multiline off;
 * `stdin` reads the lines from standard input (`cat file | tributary agent`; the parent opens the file
 * as the child's stdin) instead of tailing the file.
 */
async function agentChild(file: string, brokers: string, topic: string, lines: number, stateDir: string, mode: 'full' | 'plain' | 'stdin', threads?: number): Promise<void> {
  const plain = mode === 'plain';
  // BENCH_V8_FLAGS, handed to this checkout's agent children only: V8 flags set at run time (those V8 reads as it goes).
  if (process.env.TRIBUTARY_BENCH_V8_FLAGS) (await import('node:v8')).setFlagsFromString(process.env.TRIBUTARY_BENCH_V8_FLAGS);
  const { validateAgentConfig } = await import('../agents/config.ts');
  const { agentFromConfig } = await import('../agents/from-config.ts');
  const env = process.env;
  const cfg = validateAgentConfig({
    kafka: {
      brokers: brokers.split(','),
      topics: { logs: topic },
      // The produce path chosen by measurement; BENCH_CLIENT=kafkajs measures the agent's current default.
      client: env.BENCH_CLIENT ?? 'native',
      ...(env.BENCH_ENCODING ? { encoding: env.BENCH_ENCODING } : {}),
      ...(env.BENCH_RECORDS_PER_MESSAGE ? { records_per_message: Number(env.BENCH_RECORDS_PER_MESSAGE) } : {}),
      ...(env.BENCH_BATCH_EVENTS || env.BENCH_BATCH_BYTES || env.BENCH_LINGER_MS
        ? { batch: { ...(env.BENCH_BATCH_EVENTS ? { max_events: Number(env.BENCH_BATCH_EVENTS) } : {}), ...(env.BENCH_BATCH_BYTES ? { max_bytes: Number(env.BENCH_BATCH_BYTES) } : {}), ...(env.BENCH_LINGER_MS ? { linger_ms: Number(env.BENCH_LINGER_MS) } : {}) } }
        : {}),
    },
    state_dir: stateDir,
    ...(env.BENCH_MEMORY_EVENTS ? { buffer: { memory: { max_events: Number(env.BENCH_MEMORY_EVENTS) } } } : {}),
    self_metrics: { enabled: false },
    sources: { bench: mode === 'stdin' ? { type: 'stdin' } : { type: 'file', include: [file], poll_ms: 50, ...(plain ? { parser: 'plain', multiline: { enabled: false } } : {}) } },
    transforms: { ...(threads !== undefined ? { threads } : env.BENCH_THREADS ? { threads: Number(env.BENCH_THREADS) } : {}), ...(plain ? { redaction: { enabled: false } } : {}) },
  });
  const agent = agentFromConfig(cfg);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // The whole machine's CPU over the run: whether the cores were saturated (the broker shares them).
  const machine0 = machineCpuSeconds();
  // BENCH_MEM: the process's and the main thread's memory at the moment of the highest RSS (every 20 ms).
  let peak = { rss: 0, rssAnon: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const peakProbe = env.BENCH_MEM ? setInterval(() => {
    const status = procStatus('self');
    const rss = (statusKb(status, 'VmRSS') || 0) / 1024;
    if (rss <= peak.rss) return;
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e6);
    peak = { rss: Math.round(rss), rssAnon: Math.round((statusKb(status, 'RssAnon') || 0) / 1024), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
  }, 20) : undefined;
  // The record threads' V8 heaps as last answered (asked for with each debug line, answered between batches).
  let threadHeapMb: number[] = [];
  const debugPool = (agent as unknown as { o: { pool?: { heaps(): Promise<Array<Record<string, number> | undefined>> } } }).o.pool;
  const debug = env.BENCH_DEBUG ? setInterval(() => {
    const sink = agent.sink as unknown as { sq: { queue: Array<{ next: number; count: number }> }; delivery?: { requestsInFlight: number; producerStats?: unknown } };
    const c = process.cpuUsage(cpu0);
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    void debugPool?.heaps().then((hs) => (threadHeapMb = hs.map((h) => mb(Object.values(h ?? {}).reduce((a, v) => a + v, 0)))));
    // Where the RSS is: the main thread's V8 heap (used of total), memory outside V8 that V8 knows of
    // (external, of which ArrayBuffers), each record thread's V8 heap (total), and the kernel's split.
    const status = procStatus('self');
    const kb = (key: string) => Math.round((statusKb(status, key) || 0) / 1024);
    const memMb = { heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), threadHeaps: threadHeapMb, rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
    process.stdout.write(`${JSON.stringify({ t: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6, rssMb: Math.round(process.memoryUsage.rss() / 1048576), memMb, sent: agent.sink.stats.sent, buffered: agent.sink.stats.buffered, waits: agent.sink.stats.backpressureWaits, pending: sink.delivery?.requestsInFlight, queue: sink.sq.queue.length, unsent: sink.sq.queue.reduce((n, q) => n + q.count - q.next, 0), producer: sink.delivery?.producerStats })}\n`);
  }, Number(env.BENCH_DEBUG_MS ?? 250)) : undefined;
  // Steady state: CPU (process.cpuUsage counts every thread) between the acknowledgements that pass a
  // tenth and nine tenths of the lines, over the lines acknowledged in between. Work under way (read
  // and encoded, not yet acknowledged) is about the same at both ends, so it cancels out. Taken where
  // the count moves: a timer polling it can be starved while the source reads on (and the file
  // source's first read round runs inside agent.start()).
  const marks: Array<{ cpu: NodeJS.CpuUsage; sent: number }> = [];
  let sent = agent.sink.stats.sent;
  Object.defineProperty(agent.sink.stats, 'sent', {
    get: () => sent,
    set: (n: number) => {
      sent = n;
      if ((marks.length === 0 && n >= lines / 10) || (marks.length === 1 && n >= (lines * 9) / 10)) marks.push({ cpu: process.cpuUsage(), sent: n });
    },
  });
  await agent.start();
  while (agent.sink.stats.sent < lines) await new Promise((r) => setTimeout(r, 10));
  if (debug) clearInterval(debug);
  const steady = marks.length === 2 ? { cpu: process.cpuUsage(marks[0]!.cpu), lines: marks[1]!.sent - marks[0]!.sent } : undefined;
  if (steady) {
    const c = process.cpuUsage(marks[1]!.cpu);
    steady.cpu = { user: steady.cpu.user - c.user, system: steady.cpu.system - c.system };
  }
  if (env.BENCH_THREAD_CPU) {
    // CPU by thread, from start-up to here (/proc/self/task; clock ticks of 10 ms): the main thread (its
    // id is the process's), the busiest other (a record thread when there is one), and the rest (more
    // record threads, V8's helpers: concurrent marking, parallel scavenges, compiles; libuv's pool); and
    // each thread's seconds in the order the kernel numbered them (Node names none of them): the main
    // thread, its helpers, V8's platform threads, libuv's pool when used, then the record threads.
    const ticks = readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b).map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { main: tid === process.pid, seconds: (Number(f[11]) + Number(f[12])) / 100 };
    });
    const others = ticks.filter((t) => !t.main).sort((a, b) => b.seconds - a.seconds);
    const us = (sec: number) => Math.round((sec * 1e8) / lines) / 100; // µs per line
    const main = ticks.find((t) => t.main)?.seconds ?? 0;
    const busiest = others[0]?.seconds ?? 0;
    const rest = others.slice(1).reduce((a, t) => a + t.seconds, 0);
    process.stderr.write(`${JSON.stringify({ cpuMicrosecondsPerLineByThread: { main: us(main), busiestOther: us(busiest), rest: us(rest) }, threads: ticks.length, secondsByThread: ticks.map((t) => t.seconds) })}\n`);
  }
  if (env.BENCH_MEM) {
    // Where the main thread's memory is once every line is acknowledged: V8's spaces and what lives outside its heap.
    const { getHeapSpaceStatistics } = await import('node:v8');
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    const m = process.memoryUsage();
    // The whole process (every thread) as the kernel counts it: anonymous memory (heaps, buffers, malloc) and mapped files (node's code).
    const status = procStatus('self');
    const kb = (k: string) => statusKb(status, k) / 1024;
    const proc = { VmHWM: Math.round(kb('VmHWM')), RssAnon: Math.round(kb('RssAnon')), RssFile: Math.round(kb('RssFile')) };
    // The largest mappings by resident size (`[anon]` for anonymous ones, summed), from /proc/self/smaps.
    const byMap = new Map<string, number>();
    let name = '';
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) name = (head[1] || '[anon]') + (head[1]?.endsWith('bin/node') ? ' ' + line.split(' ').slice(1, 3).join(' ') : '');
      else if (line.startsWith('Rss:')) byMap.set(name, (byMap.get(name) ?? 0) + Number(line.split(/\s+/)[1]) / 1024);
    }
    const maps = Object.fromEntries([...byMap].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k.split('/').slice(-2).join('/'), Math.round(v * 10) / 10]));
    clearInterval(peakProbe);
    // Each record thread's V8 heap at the end, by space (RecordPool.heaps).
    const pool = (agent as unknown as { o: { pool?: { heaps(): Promise<Array<Record<string, number> | undefined>> } } }).o.pool;
    const threadHeaps = pool ? (await pool.heaps()).map((h) => h && Object.fromEntries(Object.entries(h).filter(([, v]) => v > 0).map(([k, v]) => [k, mb(v)]))) : [];
    process.stderr.write(`${JSON.stringify({ atPeakRssMb: peak, processMb: proc, mapsMb: maps, recordThreadsMb: threadHeaps, mainThreadMb: { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) }, spacesMb: Object.fromEntries(getHeapSpaceStatistics().filter((x) => x.space_size > 0).map((x) => [x.space_name, [mb(x.space_size), mb(x.space_used_size)]])) })}\n`);
  }
  report(t0, cpu0, steady, machine0);
  await agent.stop();
  process.exit(0);
}

/** A producer library alone (bench/clients/produce.ts), timed from its connection to the last acknowledgement. */
async function clientChild(client: string, file: string, brokers: string, topic: string): Promise<void> {
  const run = CLIENTS[client];
  if (!run) throw new Error(`no client ${client}; the clients are ${Object.keys(CLIENTS).join(', ')}`);
  let cpu0 = process.cpuUsage();
  let t0 = process.hrtime.bigint();
  const close = await run({
    file,
    brokers,
    topic,
    begin: () => {
      cpu0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
    },
  });
  report(t0, cpu0);
  await close();
  process.exit(0);
}

/** NODE_OPTIONS for a child: the flags in front of the caller's, as bin/tributary puts them (the caller's win). */
function withNodeOptions(flags: string): Record<string, string> {
  const all = [flags, process.env.NODE_OPTIONS ?? ''].filter(Boolean).join(' ');
  return all ? { NODE_OPTIONS: all } : {};
}

/** Runs this file as a child: through tsx, or from `bundle` (its bundled copy; see main). */
function runChild(args: string[], profile?: string, bundle?: string, env: Record<string, string> = {}, nodeFlags: string[] = [], stdinFile?: string): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const prof = [...nodeFlags, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
    // BENCH_FSYNC_DELAY_US: a slow disk, made real by strace holding each fsync on its way back (only those syscalls stop).
    const delay = process.env.BENCH_FSYNC_DELAY_US;
    const slowDisk = delay ? ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=fsync,fdatasync', '-e', `inject=fsync,fdatasync:delay_exit=${delay}`, process.execPath] : [];
    const stdinFd = stdinFile ? openSync(stdinFile, 'r') : undefined;
    const c = spawn(delay ? 'strace' : process.execPath, [...slowDisk, ...prof, ...(bundle ? [bundle] : ['--import', 'tsx', fileURLToPath(import.meta.url)]), ...args], {
      cwd: root,
      env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', ...env },
      stdio: [stdinFd ?? 'ignore', 'pipe', 'inherit'],
    });
    if (stdinFd !== undefined) closeSync(stdinFd);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code) => {
      if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, out);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as Run);
      else reject(new Error(`${args.join(' ')} exited ${code}`));
    });
  });
}

function kcatRun(file: string, brokers: string, topic: string): Run {
  const kcat = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'kcat', '-P', '-b', brokers, '-t', topic, '-z', 'lz4', '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5', '-l', file], { encoding: 'utf8' });
  if (kcat.status !== 0) throw new Error(`kcat failed: ${kcat.stderr}`);
  const [e, u, s, m] = kcat.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: e!, cpuSeconds: u! + s!, maxRssKb: m! };
}

interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Log records in a topic of OTLP requests (several to a message): its values read back with kcat, each request's records counted. */
function otlpRecordsIn(brokers: string, topic: string): number {
  const out = spawnSync('kcat', ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%S %s'], { maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`kcat could not read ${topic}: ${String(out.stderr).slice(0, 500)}`);
  const buf = out.stdout as Buffer;
  let n = 0;
  for (let at = 0; at < buf.length; ) {
    const space = buf.indexOf(0x20, at);
    const size = Number(buf.toString('latin1', at, space));
    if (!(space > at && size >= 0)) throw new Error(`kcat's output of ${topic} is not "<size> <value>" at byte ${at}`);
    const d = decodeOtlpLogs(buf.subarray(space + 1, space + 1 + size));
    if (!d.ok) throw new Error(`a message on ${topic} is not an OTLP request: ${d.reason}`);
    n += d.records.length;
    at = space + 1 + size;
  }
  return n;
}

function spread(xs: number[], digits: number): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return { min: r(s[0]!), median: r(s[Math.floor(s.length / 2)]!), max: r(s[s.length - 1]!) };
}

/** The eight Loghub systems' samples (test/fixtures/loghub-2k), one after another, without their newlines. */
export function loghubLines(): string[] {
  return loghubSystems().flatMap(([, lines]) => lines);
}

/** Each Loghub system's sample (its name, its lines without their newlines), by name. */
export function loghubSystems(): Array<[string, string[]]> {
  const fixtures = join(root, 'test/fixtures/loghub-2k');
  return readdirSync(fixtures).filter((d) => !d.includes('.') && d !== 'LICENSE').sort().map((d) => [d, readFileSync(join(fixtures, d, `${d}_2k.log`), 'utf8').split('\n').filter(Boolean)]);
}

type PerStage = { bench: Record<string, number>; loghub: Record<string, number> };

/** Per-line CPU of each stage on the bench's lines (the first 50,000), and the same stages on the Loghub lines (16,000 real lines of 8 systems). */
async function stagesBoth(): Promise<PerStage> {
  const sample = Array.from({ length: 50_000 }, (_, i) => benchLine(i));
  return { bench: await stages(sample), loghub: await stages(loghubLines().map((l) => l + '\n')) };
}

/**
 * The stage figures, measured in a child started with the V8 flags `tributary agent` gets (bin/tributary),
 * so that they are the agent's costs. Without `--no-allocation-site-pretenuring` on the command line
 * (setting it at run time does not hold) V8 pretenured the auto parser's records in about one run of
 * three of a loop of the parser alone, whose old-space records then kept young strings alive through
 * every scavenge: 1.4-1.6 against 1.1-1.2 µs a plain line on the same code. (This loop, best of three
 * with the record builder, showed no such split in five runs each way.)
 */
async function stagesWithAgentFlags(): Promise<PerStage> {
  return (await runChild(['--stages'], undefined, undefined, {}, launcherNodeFlags(root))) as unknown as PerStage;
}

/** Per-line CPU of each stage, measured in this process on the same lines. */
async function stages(sample: string[]): Promise<Record<string, number>> {
  const { LineSplitter } = await import('../agents/transforms/line-splitter.ts');
  const { MultilineAssembler } = await import('../agents/transforms/multiline.ts');
  const { createRecordBuilder, newCounters } = await import('../agents/record-builder.ts');
  const buf = Buffer.from(sample.join(''));
  const n = sample.length;
  // The best of three runs after a warm-up: the machine is shared, and the minimum is the cost.
  const time = (f: () => void): number => {
    f();
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      f();
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e3 / n); // µs per line
    }
    return best;
  };
  let lines: Array<{ text: string; start: number; end: number }> = [];
  const split = time(() => {
    const s = new LineSplitter({}, 0);
    lines = [];
    for (let off = 0; off < buf.length; off += 256 * 1024) lines.push(...s.push(buf.subarray(off, off + 256 * 1024), off));
  });
  const multiline = time(() => {
    const m = new MultilineAssembler();
    for (const l of lines) m.push(l, 0);
  });
  const parseOnly = createRecordBuilder(newCounters(), { redaction: false });
  const full = createRecordBuilder(newCounters());
  const raw = (text: string) => ({ text, origin: { kind: 'file' as const, path: '/var/log/app.log', fingerprint: '1:2:abcdef:64', offset: 0 }, service: 'bench', host: 'h', observedMs: Date.now() });
  const parse = time(() => {
    for (const l of lines) parseOnly(raw(l.text));
  });
  // Redaction timed alone, on records built without it (fresh copies per run: it rewrites them).
  const { Redactor } = await import('../agents/transforms/redact.ts');
  const redactor = new Redactor();
  const unredacted = lines.map((l) => parseOnly(raw(l.text)));
  const copies = Array.from({ length: 4 }, () => unredacted.map((r) => ({ body: r.body, attributes: { ...r.attributes } })));
  const redact = time(() => {
    const counts = {};
    for (const r of copies.pop()!) redactor.redactRecord(r, counts);
  });
  // Each record with its times as the builder wrote them (what the OTLP writer takes from a record thread).
  const packTimes: Array<readonly [number, number]> = [];
  const records = lines.map((l) => {
    const r = full(raw(l.text));
    packTimes.push([full.lastTime!, full.lastObserved!]);
    return r;
  });
  // As a record thread does it: batches of a file source's 2,000 lines, their JSON in one buffer.
  const { serialiseRecords } = await import('../agents/line-batch.ts');
  const batches: Array<ReturnType<typeof serialiseRecords>> = [];
  const serialise = time(() => {
    batches.length = 0;
    for (let i = 0; i < records.length; i += 2000) batches.push(serialiseRecords(records.slice(i, i + 2000), 1 << 20));
  });
  // A record thread's whole work on a batch, as the agent runs it: the batch's lines decoded from their
  // bytes, each built (parse, severity, redaction) and serialised in runs (encodeLines). Builds and
  // serialisation interleave there, so this is the figure to set against the stages above.
  const { encodeLines } = await import('../agents/line-batch.ts');
  const batchOf = (from: number, to: number) => ({
    builder: 0, text: '', textEnds: new Uint32Array(0), bytes: buf.subarray(lines[from]!.start, lines[to - 1]!.end), starts: lines.slice(from, to).map((l) => l.start),
    path: '/var/log/app.log', fingerprint: '1:2:abcdef:64', service: 'bench', host: 'h', observedMs: Date.now(),
  });
  const lineBatches = Array.from({ length: Math.ceil(lines.length / 2000) }, (_, k) => batchOf(k * 2000, Math.min(lines.length, (k + 1) * 2000)));
  const thread = time(() => {
    for (const b of lineBatches) encodeLines(full, b, 'service_host', 1 << 20);
  });
  // The same work with the records written as OTLP protobuf, up to 100 to a message (kafka.encoding
  // otlp_proto, kafka.records_per_message 100: the Collector's row's shape).
  const threadOtlpPacked = time(() => {
    for (const b of lineBatches) encodeLines(full, b, 'service_host', 1 << 20, 'otlp_proto', undefined, 100);
  });
  const lz4 = time(() => {
    for (const b of batches) compressFrameSync(Buffer.from(b!.values));
  });
  // The OTLP writer alone on records built beforehand, 100 to a message (LogPacker, as the record
  // threads call it with the builder's times): to set against `serialise`, JSON's writer alone.
  const { LogPacker } = await import('../agents/sinks/log-wire.ts');
  const packOtlp = time(() => {
    for (let i = 0; i < records.length; i += 2000) {
      const to = Math.min(records.length, i + 2000);
      const p = new LogPacker('service_host', 1 << 20, 100, to - i, (to - i) * 600);
      for (let j = i; j < to; j++) p.add(records[j]!, 0, packTimes[j]![0], packTimes[j]![1]);
      p.finish(false);
    }
  });
  // The same batches in the otlp_proto encoding (kafka.encoding), and its size against JSON's.
  const { serialiseOtlp } = await import('../agents/line-batch.ts');
  const otlpBatches: Array<ReturnType<typeof serialiseOtlp>> = [];
  const serialiseOtlpStage = time(() => {
    otlpBatches.length = 0;
    for (let i = 0; i < records.length; i += 2000) otlpBatches.push(serialiseOtlp(records.slice(i, i + 2000), 1 << 20));
  });
  // A typical filter (transforms.filter: a lowest severity, a health-check rule of two fields, a
  // service rule) asked of every built record: what a filter adds to the record thread per line.
  const { compileFilter } = await import('../agents/transforms/filter.ts');
  const pass = compileFilter([{ min_severity: 'DEBUG', drop: [{ body: '^GET /(healthz|ready)\\b', 'attributes.http.user_agent': '^kube-probe/' }, { service: '^noisy-' }] }])!;
  let passed = 0;
  const filter = time(() => {
    passed = 0;
    for (const rec of records) if (pass(rec)) passed++;
  });
  if (passed === 0) throw new Error('the bench filter dropped every record');
  const bytesOf = (bs: Array<{ starts: Uint32Array; ends: Uint32Array } | undefined>) => bs.reduce((n, b) => n + b!.ends.reduce((m, e, i) => m + e - b!.starts[i]!, 0), 0);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { split: r(split), multiline: r(multiline), parse: r(parse), redact: r(redact), serialise: r(serialise), recordThread: r(thread), recordThreadOtlp100: r(threadOtlpPacked), packOtlp100: r(packOtlp), serialiseOtlp: r(serialiseOtlpStage), otlpBytesVsJson: r(bytesOf(otlpBatches) / bytesOf(batches)), lz4: r(lz4), filter: r(filter) };
}

function printStages(perStage: { bench: Record<string, number>; loghub: Record<string, number> }): void {
  const list = (x: Record<string, number>) => Object.entries(x).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`Our stages, CPU µs per line on one core: ${list(perStage.bench)}`);
  console.log(`The same stages on the Loghub lines (8 systems, 16,000 lines): ${list(perStage.loghub)}`);
}

type Row = { name: string; linesPerSecond: Spread; cpuMicrosecondsPerLine: Spread; steadyCpuMicrosecondsPerLine?: Spread; peakRssMb: Spread; storedLines?: number[] };

function printTable(rows: Row[]): void {
  const f = (x: Spread, d = 0) => `${x.median.toLocaleString('en', { maximumFractionDigits: d })} (${x.min.toLocaleString('en', { maximumFractionDigits: d })}–${x.max.toLocaleString('en', { maximumFractionDigits: d })})`;
  console.log('| shipper | lines/s, median (min–max) | CPU µs per line | the same from 10 % to 90 % acknowledged | peak RSS MB |');
  console.log('|---|---:|---:|---:|---:|');
  // A row whose topic did not end up with one record per line says so in its name: its rate is not comparable.
  for (const row of rows) console.log(`| ${row.name}${row.storedLines ? ` (records in the topic: ${row.storedLines.map((n) => n.toLocaleString('en')).join(', ')})` : ''} | ${f(row.linesPerSecond)} | ${f(row.cpuMicrosecondsPerLine, 2)} | ${row.steadyCpuMicrosecondsPerLine ? f(row.steadyCpuMicrosecondsPerLine, 2) : '–'} | ${f(row.peakRssMb)} |`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_STAGES_ONLY) {
    // The stage figures alone (no broker, no shippers): they move between runs on a shared machine.
    const perStage = await stagesWithAgentFlags();
    printStages(perStage);
    return;
  }
  const lines = Number(process.env.BENCH_LINES ?? 500_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-agent-'));
  const file = join(work, 'bench.log');
  // Written 100,000 lines at a time: a file past about 2M lines is longer than a string can be.
  const writeLines = (path: string, line: (i: number) => string): void => {
    const fd = openSync(path, 'w');
    try {
      for (let from = 0; from < lines; from += 100_000) {
        let chunk = '';
        for (let i = from; i < Math.min(lines, from + 100_000); i++) chunk += line(i);
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
  };
  writeLines(file, benchLine);
  const bytes = statSync(file).size;
  // Real lines too: the eight Loghub systems' samples (test/fixtures/loghub-2k), one after another,
  // repeated to the same line count, for the agent and kcat.
  const loghub = loghubLines();
  const loghubFile = join(work, 'loghub.log');
  writeLines(loghubFile, (i) => loghub[i % loghub.length]! + '\n');
  const loghubBytes = Math.round(statSync(loghubFile).size / lines);
  const { defaultStackOptions, stackDown, stackUp } = await import('../core/kafka/stack.ts');
  const { createKafka, waitForTopicLeaders } = await import('../core/kafka/client.ts');
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  process.stderr.write(`Starting a Kafka broker on 127.0.0.1:${stack.port}; ${lines} lines of ${LINE_BYTES} bytes (${(bytes / 1e6).toFixed(1)} MB), ${rounds} rounds...\n`);
  try {
    await stackUp(stack);
  } catch (err) {
    await stackDown(stack).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const brokers = `127.0.0.1:${stack.port}`;
  const client = process.env.BENCH_CLIENT ? `, client ${process.env.BENCH_CLIENT}` : '';
  // The agent runs as `tributary agent` does: from a bundle of its sources (bin/agent-bundle.js), here
  // of this file with the same recipe, so the measuring code below rides along; one row runs the
  // sources through tsx instead.
  // @ts-expect-error: plain JavaScript, no declarations
  const { buildBundle, AGENT_ENTRIES } = (await import('../bin/agent-bundle.js')) as { buildBundle: (e: Record<string, string>, out: string) => Promise<string[]>; AGENT_ENTRIES: Record<string, string> };
  // Inside the project: the bundle imports packages from its node_modules.
  const bundleDir = join(root, 'dist', `bench-${process.pid}`);
  await buildBundle({ 'bench-agent': 'bench/agent.ts', 'record-thread': AGENT_ENTRIES['record-thread']! }, bundleDir);
  const bundle = join(bundleDir, 'bench-agent.mjs');
  // BENCH_BASELINE: a checkout of an earlier commit (with its node_modules, e.g. a git worktree with a
  // link to these), whose agent runs beside this one in every round, from its own bundle.
  const baseline = process.env.BENCH_BASELINE;
  let baselineBundle: string | undefined;
  if (baseline) {
    const { buildBundle: buildBaseline } = (await import(join(baseline, 'bin/agent-bundle.js'))) as { buildBundle: typeof buildBundle };
    const dir = join(baseline, 'dist', `bench-${process.pid}`);
    await buildBaseline({ 'bench-agent': 'bench/agent.ts', 'record-thread': 'agents/record-thread.ts' }, dir);
    baselineBundle = join(dir, 'bench-agent.mjs');
  }
  // BENCH_OTELCOL=1: the Collector, built before the broker's rounds start so its compile is not timed against anything.
  const otelcol = process.env.BENCH_OTELCOL === '1' ? ensureOtelcol() : undefined;
  const OTELCOL = 'OpenTelemetry Collector 0.165 (bench/otelcol)';
  // BENCH_ONLY=<regular expression>: only the shippers whose names match (a quick look at a few rows;
  // the table is printed but bench/results/agent.json, which the README quotes, is left as it is).
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined;
  // The other clients tried (bench/clients), installed before the broker's rounds; BENCH_CLIENTS=0 leaves them out.
  const PLATFORMATIC = `@platformatic/kafka 1.35.0 alone (${process.env.BENCH_PLATFORMATIC_OVERLAP === '1' ? 'up to 5 sends under way: BENCH_PLATFORMATIC_OVERLAP=1' : 'one send at a time'})`;
  const CONFLUENT = '@confluentinc/kafka-javascript 1.10.1 alone (librdkafka 2.15.1, kafkajs-style API)';
  const CONFLUENT_PRODUCE = '@confluentinc/kafka-javascript 1.10.1 alone (its callback API: produce() per line, delivery reports)';
  let otherClients: string | undefined;
  if (process.env.BENCH_CLIENTS !== '0' && [PLATFORMATIC, CONFLUENT, CONFLUENT_PRODUCE].some((name) => !only || only.test(name))) {
    const installed = ensureBenchClients();
    if ('dir' in installed) otherClients = installed.dir;
    else process.stderr.write(`The other clients' rows are left out: ${installed.error}\n`);
  }
  // rsyslog, fetched before the rounds when a row of it is to run; left out with the reason when it cannot be had.
  let rsyslog: Rsyslog | undefined;
  // Its rows' names hold its version, known once it is here: a BENCH_ONLY that names only that (`8\.2302`)
  // is tested against them when it is already fetched; one that names no rsyslog row fetches nothing.
  if (process.env.BENCH_RSYSLOG !== '0' && (!only || only.test('rsyslog') || rsyslogFetched())) {
    try {
      rsyslog = ensureRsyslog();
    } catch (err) {
      process.stderr.write(`The rsyslog rows are left out: ${(err as Error).message}\n`);
    }
  }
  const baselineName = baseline ? spawnSync('git', ['-C', baseline, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).stdout.trim() || baseline : '';
  // Node's flags as `tributary agent` starts it, for this checkout and the baseline's.
  const nodeOptions = new Map([[bundle, process.env.BENCH_AGENT_NODE_OPTIONS ?? launcherNodeOptions(root)], ...(baselineBundle ? [[baselineBundle, launcherNodeOptions(baseline!)] as [string, string]] : [])]);
  const ownFlags = process.env.BENCH_AGENT_NODE_FLAGS;
  const nodeFlags = new Map([[bundle, ownFlags !== undefined ? ownFlags.split(' ').filter(Boolean) : launcherNodeFlags(root)], ...(baselineBundle ? [[baselineBundle, launcherNodeFlags(baseline!)] as [string, string[]]] : [])]);
  const agentRun = (topic: string, state: string, mode: 'full' | 'plain' | 'stdin', threads?: number, fromSources = false, input = file, from = bundle, env: Record<string, string> = {}) =>
    runChild(['--agent', input, brokers, topic, String(lines), join(work, `state-${state}`), mode, ...(threads === undefined ? [] : [String(threads)])], process.env.BENCH_PROFILE, fromSources ? undefined : from, { ...withNodeOptions(nodeOptions.get(from) ?? ''), ...(from === bundle && process.env.BENCH_V8_FLAGS ? { TRIBUTARY_BENCH_V8_FLAGS: process.env.BENCH_V8_FLAGS } : {}), ...env }, nodeFlags.get(from) ?? [], mode === 'stdin' ? input : undefined);
  // The agent writing as the Collector's row does: OTLP protobuf, up to 100 lines to a Kafka message.
  const packed = { BENCH_ENCODING: 'otlp_proto', BENCH_RECORDS_PER_MESSAGE: '100' };
  // `otlp`: the topic holds OTLP requests of several records each, counted by decoding them (otlpRecordsIn).
  const all: Array<{ name: string; run: (topic: string, round: number) => Promise<Run>; otlp?: boolean }> = [
    { name: `tributary agent, defaults (auto parser, redaction, multiline; 1 record thread${client})`, run: (topic, round) => agentRun(topic, `d${round}`, 'full') },
    ...(baselineBundle ? [{ name: `tributary agent, defaults, at the baseline ${baselineName} (BENCH_BASELINE)`, run: (topic: string, round: number) => agentRun(topic, `b${round}`, 'full', undefined, false, file, baselineBundle) }] : []),
    { name: `tributary agent, defaults, run from the TypeScript sources through tsx (TRIBUTARY_AGENT_BUNDLE=0)`, run: (topic, round) => agentRun(topic, `s${round}`, 'full', undefined, true) },
    { name: `tributary agent, defaults but transforms.threads 0 (all on the main thread${client})`, run: (topic, round) => agentRun(topic, `m${round}`, 'full', 0) },
    { name: `tributary agent, defaults but transforms.threads 2${client ? ` (${client.slice(2)})` : ''}`, run: (topic, round) => agentRun(topic, `t${round}`, 'full', 2) },
    { name: `tributary agent, defaults, the file on its stdin (\`tributary agent < file\`: stdin's lines are built on the main thread${client})`, run: (topic, round) => agentRun(topic, `i${round}`, 'stdin') },
    { name: `tributary agent, parsing/redaction/multiline off (1 record thread${client})`, run: (topic, round) => agentRun(topic, `p${round}`, 'plain') },
    { name: `tributary agent, defaults but kafka.encoding otlp_proto, records_per_message 100 (as the Collector's row)`, otlp: true, run: (topic, round) => agentRun(topic, `o${round}`, 'full', undefined, false, file, bundle, packed) },
    { name: `tributary agent, parsing/redaction/multiline off, otlp_proto, records_per_message 100`, otlp: true, run: (topic, round) => agentRun(topic, `q${round}`, 'plain', undefined, false, file, bundle, packed) },
    { name: 'our producer alone (core/kafka/producer.ts)', run: (topic) => runChild(['--client', 'native', file, brokers, topic]) },
    { name: 'kafkajs 2.2.4 alone', run: (topic) => runChild(['--client', 'kafkajs', file, brokers, topic]) },
    ...(otherClients ? [
      { name: PLATFORMATIC, run: (topic: string) => runChild(['--client', 'platformatic', file, brokers, topic], undefined, undefined, { TRIBUTARY_BENCH_CLIENTS: otherClients }) },
      { name: CONFLUENT, run: (topic: string) => runChild(['--client', 'confluent', file, brokers, topic], undefined, undefined, { TRIBUTARY_BENCH_CLIENTS: otherClients }) },
      { name: CONFLUENT_PRODUCE, run: (topic: string) => runChild(['--client', 'confluent-produce', file, brokers, topic], undefined, undefined, { TRIBUTARY_BENCH_CLIENTS: otherClients }) },
    ] : []),
    { name: 'kcat (librdkafka)', run: async (topic) => kcatRun(file, brokers, topic) },
    { name: `tributary agent, defaults, on Loghub's 8 systems (${loghubBytes}-byte lines on average)`, run: (topic, round) => agentRun(topic, `l${round}`, 'full', undefined, false, loghubFile) },
    { name: `kcat (librdkafka), on the same Loghub lines`, run: async (topic) => kcatRun(loghubFile, brokers, topic) },
    ...(rsyslog ? [
      { name: `${rsyslog.version.replace(', ', ' (imfile -> omkafka, one message per line; ')})`, run: (topic: string) => rsyslogRun(rsyslog!, file, brokers, topic, lines) },
      { name: `${rsyslog.version.split(',')[0]}, on the same Loghub lines`, run: (topic: string) => rsyslogRun(rsyslog!, loghubFile, brokers, topic, lines) },
    ] : []),
    ...(otelcol ? [
      { name: `${OTELCOL} (filelog -> kafka exporter, otlp_proto: 100 lines per message)`, otlp: true, run: (topic: string) => otelcolRun(file, brokers, topic, lines, 'otlp_proto') },
      { name: `${OTELCOL}, encoding raw (one message per line, as kcat)`, run: (topic: string) => otelcolRun(file, brokers, topic, lines, 'raw') },
      { name: `${OTELCOL} (otlp_proto), on the same Loghub lines`, otlp: true, run: (topic: string) => otelcolRun(loghubFile, brokers, topic, lines, 'otlp_proto') },
    ] : []),
  ];
  const shippers = only ? all.filter((s) => only.test(s.name)) : all;
  if (shippers.length === 0) throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY} matches no shipper; they are:\n${all.map((s) => `  ${s.name}`).join('\n')}`);
  try {
    const admin = createKafka({ brokers: [brokers], clientId: 'bench' }).admin();
    await admin.connect();
    const topics = shippers.flatMap((_, s) => Array.from({ length: rounds }, (_, r) => `bench-${s}-${r}`));
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })) });
    await waitForTopicLeaders(admin, topics, 60_000);
    // A fresh cluster hands out its first idempotent producer id only after its controller allocated a
    // block of them (about 0.2 s here); every later one is immediate. A throwaway producer takes it now,
    // so the first round's first shipper (an agent row) does not pay the broker's warm-up in its lines/s.
    const { KafkaProducer } = await import('../core/kafka/producer.ts');
    const warm = new KafkaProducer({ brokers: [brokers], clientId: 'bench-warm-up' });
    await warm.connect();
    await warm.close();

    const runs: Run[][] = shippers.map(() => []);
    for (let r = 0; r < rounds; r++) {
      // Each round starts one shipper further on: the first run of a round pays more, whichever code it
      // runs (0.15 µs per line of the agent's, agents/PERFORMANCE.md, "2026-12-06, morning"), so no row
      // is always first.
      for (let k = 0; k < shippers.length; k++) {
        const s = (k + r) % shippers.length;
        const topic = `bench-${s}-${r}`;
        const run = await shippers[s]!.run(topic, r);
        runs[s]!.push(run);
        // What reached the topic, counted by Kafka (or, for OTLP requests of several lines each, by
        // reading them back): a shipper whose rate counts lines it lost would look faster than it is.
        {
          const stored = shippers[s]!.otlp ? otlpRecordsIn(brokers, topic) : (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
          if (stored !== lines) {
            run.storedLines = stored;
            process.stderr.write(`round ${r + 1}: ${shippers[s]!.name}: ${stored.toLocaleString('en')} of ${lines.toLocaleString('en')} lines reached the topic\n`);
          }
        }
        const machine = run.machineCpuSeconds !== undefined ? `, the machine ${(run.machineCpuSeconds / run.seconds).toFixed(2)} of ${availableParallelism()} cores busy (this shipper ${(run.cpuSeconds / run.seconds).toFixed(2)})` : '';
        process.stderr.write(`round ${r + 1}: ${shippers[s]!.name}: ${Math.round(lines / run.seconds).toLocaleString('en')} lines/s, ${((run.cpuSeconds / lines) * 1e6).toFixed(2)} CPU µs/line, ${(run.maxRssKb / 1024).toFixed(0)} MB${machine}\n`);
      }
    }
    const rows = shippers.map((sh, s) => ({
      name: sh.name,
      runs: runs[s]!.map((x) => ({ seconds: Math.round(x.seconds * 1000) / 1000, cpuSeconds: Math.round(x.cpuSeconds * 1000) / 1000, peakRssMb: Math.round(x.maxRssKb / 102.4) / 10, ...(x.steadyCpuSeconds !== undefined ? { steadyCpuSeconds: Math.round(x.steadyCpuSeconds * 1000) / 1000, steadyLines: x.steadyLines } : {}) })),
      linesPerSecond: spread(runs[s]!.map((x) => lines / x.seconds), 0),
      cpuMicrosecondsPerLine: spread(runs[s]!.map((x) => (x.cpuSeconds / lines) * 1e6), 2),
      ...(runs[s]!.every((x) => x.steadyCpuSeconds !== undefined) ? { steadyCpuMicrosecondsPerLine: spread(runs[s]!.map((x) => (x.steadyCpuSeconds! / x.steadyLines!) * 1e6), 2) } : {}),
      peakRssMb: spread(runs[s]!.map((x) => x.maxRssKb / 1024), 0),
      ...(runs[s]!.some((x) => x.storedLines !== undefined) ? { storedLines: runs[s]!.map((x) => x.storedLines ?? lines) } : {}),
    }));
    await admin.disconnect();
    if (only) {
      printTable(rows);
      return;
    }
    const perStage = await stagesWithAgentFlags();
    const kcatRow = rows.find((r) => r.name === 'kcat (librdkafka)')!;
    const ratio = (name: string, of = kcatRow) => Math.round((rows.find((r) => r.name.startsWith(name))!.linesPerSecond.median / of.linesPerSecond.median) * 100) / 100;
    const kcatLoghub = rows.find((r) => r.name.startsWith('kcat (librdkafka), on the same Loghub'))!;
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      lines,
      lineBytes: LINE_BYTES,
      compression: 'lz4',
      acks: 'all',
      rounds,
      rows,
      agentVsKcat: Math.round((rows[0]!.linesPerSecond.median / kcatRow.linesPerSecond.median) * 100) / 100,
      agentVsKcatLoghub: ratio("tributary agent, defaults, on Loghub's", kcatLoghub),
      ...(rsyslog ? { rsyslogVsKcat: ratio(`${rsyslog.version.split(',')[0]} (imfile`), rsyslogVsKcatLoghub: ratio(`${rsyslog.version.split(',')[0]}, on the same Loghub`, kcatLoghub) } : {}),
      ...(otelcol ? { otelcolVsKcat: ratio(`${OTELCOL} (filelog`), otelcolRawVsKcat: ratio(`${OTELCOL}, encoding raw`), otelcolVsKcatLoghub: ratio(`${OTELCOL} (otlp_proto), on the same Loghub`, kcatLoghub) } : {}),
      cpuMicrosecondsPerLine: perStage.bench,
      cpuMicrosecondsPerLineLoghub: perStage.loghub,
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/agent.json'), JSON.stringify(result, null, 2) + '\n');
    printTable(rows);
    console.log(`\nagent / kcat (lines/s, medians): ${result.agentVsKcat}; on the Loghub lines: ${result.agentVsKcatLoghub}`);
    if ('rsyslogVsKcat' in result) console.log(`rsyslog / kcat: ${result.rsyslogVsKcat}; on the Loghub lines: ${result.rsyslogVsKcatLoghub}`);
    if ('otelcolVsKcat' in result) console.log(`Collector / kcat: ${result.otelcolVsKcat} (otlp_proto), ${result.otelcolRawVsKcat} (raw); on the Loghub lines: ${result.otelcolVsKcatLoghub}`);
    printStages(perStage);
  } finally {
    await stackDown(stack);
    rmSync(work, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

// Run as bench/agent.ts (through tsx) or as its bundled copy (bench-agent.mjs); imported by a script reusing benchLine, nothing runs.
if (!/(?:agent\.ts|bench-agent\.mjs)$/.test(process.argv[1] ?? '')) {
  // imported: nothing to run
} else if (process.argv[2] === '--agent') {
  const [, , , file, brokers, topic, lines, stateDir, mode, threads] = process.argv;
  await agentChild(file!, brokers!, topic!, Number(lines), stateDir!, mode === 'plain' || mode === 'stdin' ? mode : 'full', threads === undefined ? undefined : Number(threads));
} else if (process.argv[2] === '--stages') {
  process.stdout.write(JSON.stringify(await stagesBoth()) + '\n');
} else if (process.argv[2] === '--client') {
  const [, , , client, file, brokers, topic] = process.argv;
  await clientChild(client!, file!, brokers!, topic!);
} else {
  await main();
}
