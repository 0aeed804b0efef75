/**
 * `npm run bench:agent`: one file of 250-byte log lines in, records acknowledged by Kafka (acks=all,
 * LZ4) out; lines/s, MB/s, CPU seconds per 100k lines and peak RSS of the agent, and the same file
 * produced by kcat (librdkafka) as the ceiling, and by kafkajs alone (no parsing) as the library's own. Starts its own broker on free ports; writes
 * bench/results/agent.json. BENCH_LINES sets the line count (default 300,000); BENCH_BATCH_EVENTS, BENCH_BATCH_BYTES
 * and BENCH_LINGER_MS set the agent's kafka.batch settings.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressFrame } from 'lz4-napi';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface RunResult {
  lines: number;
  seconds: number;
  linesPerSecond: number;
  mbPerSecond: number;
  cpuSeconds: number;
  cpuSecondsPer100k: number;
  peakRssMb: number;
}

function summarise(lines: number, bytes: number, seconds: number, cpuSeconds: number, peakRssKb: number): RunResult {
  const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    lines,
    seconds: r(seconds, 3),
    linesPerSecond: Math.round(lines / seconds),
    mbPerSecond: r(bytes / 1e6 / seconds),
    cpuSeconds: r(cpuSeconds, 3),
    cpuSecondsPer100k: r((cpuSeconds / lines) * 100_000, 3),
    peakRssMb: r(peakRssKb / 1024, 1),
  };
}

/** The agent side, in its own process so its CPU and RSS are its own. Prints one JSON line. */
async function child(): Promise<void> {
  const [, , , file, brokers, topic, linesText, stateDirPath] = process.argv;
  const lines = Number(linesText);
  const { validateAgentConfig } = await import('../agents/config.ts');
  const { agentFromConfig } = await import('../agents/from-config.ts');
  // The defaults a user gets: auto parser, multiline on, redaction on, LZ4, acks=all, idempotent.
  const cfg = validateAgentConfig({
    kafka: {
      brokers: brokers!.split(','),
      topics: { logs: topic },
      // Knobs for trying batch sizes; unset, the defaults.
      ...(process.env.BENCH_BATCH_EVENTS || process.env.BENCH_BATCH_BYTES || process.env.BENCH_LINGER_MS
        ? { batch: { ...(process.env.BENCH_BATCH_EVENTS ? { max_events: Number(process.env.BENCH_BATCH_EVENTS) } : {}), ...(process.env.BENCH_BATCH_BYTES ? { max_bytes: Number(process.env.BENCH_BATCH_BYTES) } : {}), ...(process.env.BENCH_LINGER_MS ? { linger_ms: Number(process.env.BENCH_LINGER_MS) } : {}) } }
        : {}),
    },
    state_dir: stateDirPath,
    self_metrics: { enabled: false },
    sources: { bench: { type: 'file', include: [file], poll_ms: 50 } },
    ...(process.env.BENCH_MAX_EVENTS ? { buffer: { memory: { max_events: Number(process.env.BENCH_MAX_EVENTS) } } } : {}),
  });
  const agent = agentFromConfig(cfg);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await agent.start();
  while (agent.sink.stats.sent < lines) await new Promise((r) => setTimeout(r, 20));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const maxRss = process.resourceUsage().maxRSS;
  await agent.stop();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKb: maxRss, batches: agent.sink.stats.batches }) + '\n');
  process.exit(0);
}

/**
 * The producer library's own ceiling: the same lines as record values, key and three headers, sent
 * with the agent's producer settings (idempotent, acks=all, LZ4, batches of 1,500), nothing else.
 */
async function kafkajsAlone(brokers: string, parts: string[], bytes: number): Promise<RunResult> {
  const { createKafka, CompressionTypes } = await import('../core/kafka/client.ts');
  const producer = createKafka({ brokers: [brokers], clientId: 'bench-kafkajs' }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const key = Buffer.from('bench');
  const headers = { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), 'content-type': Buffer.from('application/json'), 'tributary-schema': Buffer.from('1') };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < parts.length; i += 1500) {
    const messages = parts.slice(i, i + 1500).map((value) => ({ key, value, timestamp: String(Date.now()), headers }));
    await producer.sendBatch({ topicMessages: [{ topic: 'bench-kafkajs', messages }], acks: -1, compression: CompressionTypes.LZ4 });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await producer.disconnect();
  // Its RSS would be the benchmark process's (which holds the whole file): not reported.
  return { ...summarise(parts.length, bytes, seconds, (cpu.user + cpu.system) / 1e6, 0), peakRssMb: Number.NaN };
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
  const parseRedact = time(() => {
    for (const l of lines) full(raw(l.text));
  });
  const records = lines.map((l) => full(raw(l.text)));
  let json: string[] = [];
  const serialise = time(() => {
    json = records.map((r) => JSON.stringify(r));
  });
  const lz4 = time(() => {
    for (let i = 0; i < json.length; i += 2000) compressFrame(Buffer.from(json.slice(i, i + 2000).join('')));
  });
  const r = (x: number) => Math.round(x * 100) / 100;
  return { split: r(split), multiline: r(multiline), parse: r(parse), redact: r(parseRedact - parse), serialise: r(serialise), lz4: r(lz4) };
}

async function main(): Promise<void> {
  const lines = Number(process.env.BENCH_LINES ?? 300_000);
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-agent-'));
  const file = join(work, 'bench.log');
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) parts.push(benchLine(i));
  writeFileSync(file, parts.join(''));
  const bytes = statSync(file).size;
  const { defaultStackOptions, stackDown, stackUp } = await import('../core/kafka/stack.ts');
  const { createKafka } = await import('../core/kafka/client.ts');
  const stack = { ...defaultStackOptions(), home: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  process.stderr.write(`Starting a Kafka broker on 127.0.0.1:${stack.port}; ${lines} lines of ${LINE_BYTES} bytes (${(bytes / 1e6).toFixed(1)} MB)...\n`);
  try {
    await stackUp(stack);
  } catch (err) {
    await stackDown(stack).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const brokers = `127.0.0.1:${stack.port}`;
  try {
    const admin = createKafka({ brokers: [brokers], clientId: 'bench' }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: false, topics: ['bench-agent', 'bench-kcat', 'bench-kafkajs'].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })) });
    // A fresh broker takes a moment to elect the new partitions' leaders.
    for (let i = 0; ; i++) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: ['bench-agent', 'bench-kcat', 'bench-kafkajs'] });
        if (md.topics.every((t) => t.partitions.length === 6 && t.partitions.every((p) => p.leader >= 0))) break;
      } catch (err) {
        if (i > 50) throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.disconnect();

    // kcat first, as the ceiling: librdkafka, LZ4, acks=all, idempotent, the same file.
    const kcat = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'kcat', '-P', '-b', brokers, '-t', 'bench-kcat', '-z', 'lz4', '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5', '-l', file], { encoding: 'utf8' });
    if (kcat.status !== 0) throw new Error(`kcat failed: ${kcat.stderr}`);
    const [e, u, s, m] = kcat.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    const kcatResult = summarise(lines, bytes, e!, u! + s!, m!);

    process.stderr.write('kcat done; running the agent...\n');
    const agentOut = await new Promise<string>((resolve, reject) => {
      const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
      const c = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, brokers, 'bench-agent', String(lines), join(work, 'state')], {
        cwd: root,
        env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`agent child exited ${code}`))));
    });
    const a = JSON.parse(agentOut.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; maxRssKb: number; batches: number };
    const agentResult = summarise(lines, bytes, a.seconds, a.cpuSeconds, a.maxRssKb);
    process.stderr.write('agent done; kafkajs alone...\n');
    const kafkajsResult = await kafkajsAlone(brokers, parts, bytes);
    const perStage = await stages(parts.slice(0, 50_000));
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      lineBytes: LINE_BYTES,
      compression: 'lz4',
      acks: 'all',
      agent: { ...agentResult, batches: a.batches },
      kafkajsAlone: kafkajsResult,
      kcat: kcatResult,
      agentVsKcat: Math.round((agentResult.linesPerSecond / kcatResult.linesPerSecond) * 100) / 100,
      cpuMicrosecondsPerLine: perStage,
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/agent.json'), JSON.stringify(result, null, 2) + '\n');
    const row = (name: string, x: RunResult) => `| ${name} | ${x.linesPerSecond.toLocaleString('en')} | ${x.mbPerSecond} | ${x.cpuSecondsPer100k} | ${Number.isNaN(x.peakRssMb) ? '-' : x.peakRssMb} |`;
    console.log('| producer | lines/s | MB/s | CPU s / 100k lines | peak RSS MB |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(row('tributary agent (file -> Kafka)', agentResult));
    console.log(row('kafkajs alone (the lines as values, no parsing)', kafkajsResult));
    console.log(row('kcat (librdkafka)', kcatResult));
    console.log(`\nagent / kcat: ${result.agentVsKcat}`);
    console.log(`CPU per line by stage (µs, one core): ${Object.entries(perStage).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  } finally {
    await stackDown(stack);
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child();
else await main();
