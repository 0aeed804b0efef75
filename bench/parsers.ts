/**
 * Micro-benchmark of the host-side transforms other than redaction: 250-byte lines in, lines/s out
 * (printed only) for each parser through `buildParser`, and for the line splitter and the multiline
 * assembler on a byte stream. Run: `node --import tsx bench/parsers.ts`.
 *
 * `--loghub`: the `auto` parser on the agent bench's line mix (bench/agent.ts, through the record
 * builder with redaction off, as its `parse` stage figure), on each Loghub 2k sample, on Proxifier's
 * in a configured zone (Europe/Berlin) and on logback's console default, their stamps alone
 * (`readTime`), and the mix's plain lines with the common header paths and with the general scan only,
 * CPU µs per line, min/median/max of interleaved rounds, written to bench/results/parsers.json.
 * `PARSERS_BASELINE=<root of another checkout>` times that tree's parser and record builder too, in the
 * same process and rounds (the machine is shared: only a side-by-side run compares), e.g. main before
 * a change: `git archive <commit> agents core | tar -x -C /tmp/base`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../agents/transforms/line-splitter.ts';
import { MultilineAssembler } from '../agents/transforms/multiline.ts';
import { createAutoParser } from '../agents/transforms/parsers/auto.ts';
import { buildParser, type ParserConfig, type ParserName } from '../agents/transforms/parsers/index.ts';
import { readTime } from '../agents/transforms/timestamp.ts';
import { createRecordBuilder, newCounters } from '../agents/record-builder.ts';
import { withAgentV8Flags } from './agent-flags.ts';
import { availableSystems, loadRawSample } from './loghub.ts';

withAgentV8Flags(fileURLToPath(new URL('..', import.meta.url)));

const LINE_BYTES = 250;
const N = 100_000;

function pad(line: string, close = ''): string {
  const room = LINE_BYTES - line.length - close.length;
  return room > 0 ? line + 'x'.repeat(room) + close : line + close;
}

const FORMATS: Record<string, (i: number) => string> = {
  json: (i) => pad(`{"level":30,"time":${1764000000000 + i},"pid":42,"hostname":"web-1","req_id":"r-${i}","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"order processed `, '"}'),
  logfmt: (i) => pad(`time=2026-11-24T10:00:00.${String(i % 1000).padStart(3, '0')}Z level=info msg="order processed" order=${i} region=eu-west-1 took_ms=${i % 500} note=`),
  syslog: (i) => pad(`<134>1 2026-11-24T10:00:00.${String(i % 1000).padStart(3, '0')}Z web-1 checkout ${i % 30000} ID47 [meta seq="${i}"] order processed `),
  combined: (i) => pad(`203.0.113.${i % 255} - - [24/Nov/2026:10:00:00 +0000] "GET /api/items/${i}?page=2 HTTP/1.1" 200 ${i % 5000} "https://example.com/" "Mozilla/5.0 `, '"'),
  plain: (i) => pad(`2026-11-24 10:00:00,${String(i % 1000).padStart(3, '0')} INFO [worker-${i % 8}] com.acme.orders.OrderService - order ${i} processed `),
};

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(10);
}

function run(label: string, parser: ParserConfig | ParserName, lines: string[], print: boolean): void {
  const parse = buildParser(parser);
  const ctx = { now: Date.UTC(2026, 10, 24, 12), timeZone: 'UTC' };
  for (let i = 0; i < 20_000; i++) parse(lines[i % lines.length]!, ctx);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let sink = 0;
  for (const line of lines) sink += parse(line, ctx).body.length;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  // Per CPU-second as well as per wall second: on a shared machine the CPU figure is the steadier one.
  const perCpu = lines.length / ((c.user + c.system) / 1e6);
  if (print) console.log(`${label.padEnd(30)} ${fmt(perCpu)} lines/cpu-s ${(1e9 / perCpu).toFixed(0).padStart(6)} ns/line   (wall: ${fmt(lines.length / wall)} lines/s)${sink === 0 ? ' !' : ''}`);
}

interface Contender {
  name: string;
  parse: (line: string) => unknown;
  /** The same parser with a source's `timezone: Europe/Berlin` (stamps without an offset read as Berlin's local time). */
  parseBerlin: (line: string) => unknown;
  build: (line: string) => unknown;
  /** The stamp at the line's start alone (`readTime`), read in UTC and in Europe/Berlin. */
  stamp: (line: string) => unknown;
  stampBerlin: (line: string) => unknown;
}

/** This tree's auto parser and record builder, and the baseline's when one is named. */
async function contenders(): Promise<Contender[]> {
  const ctx = { now: Date.now(), timeZone: 'UTC' };
  const origin = { kind: 'file' as const, path: '/var/log/app.log', fingerprint: '1:2:abcdef:64', offset: 0 };
  const make = (name: string, build: typeof buildParser, builder: typeof createRecordBuilder, counters: typeof newCounters, stamp: typeof readTime): Contender => {
    const parse = build('auto');
    const record = builder(counters(), { redaction: false });
    const berlin = { now: ctx.now, timeZone: 'Europe/Berlin' };
    return {
      name,
      parse: (line) => parse(line, ctx),
      parseBerlin: (line) => parse(line, berlin),
      build: (text) => record({ text, origin, service: 'bench', host: 'h', observedMs: Date.now() }),
      stamp: (line) => stamp(line, 0, 'UTC', ctx.now),
      stampBerlin: (line) => stamp(line, 0, 'Europe/Berlin', ctx.now),
    };
  };
  const out = [make('this tree', buildParser, createRecordBuilder, newCounters, readTime)];
  const base = process.env.PARSERS_BASELINE;
  if (base) {
    const p = (await import(`${base}/agents/transforms/parsers/index.ts`)) as { buildParser: typeof buildParser };
    const b = (await import(`${base}/agents/record-builder.ts`)) as { createRecordBuilder: typeof createRecordBuilder; newCounters: typeof newCounters };
    const t = (await import(`${base}/agents/transforms/timestamp.ts`)) as { readTime: typeof readTime };
    out.push(make(`baseline (${base})`, p.buildParser, b.createRecordBuilder, b.newCounters, t.readTime));
  }
  return out;
}

/** CPU µs per line of each contender over `lines`: rounds interleaved (the order alternating), the first a warm-up. */
function interleaved(label: string, lines: string[], runs: Array<[string, (line: string) => unknown]>, rounds: number): Record<string, { min: number; median: number; max: number }> {
  const times: Record<string, number[]> = {};
  for (let round = 0; round < rounds + 1; round++) {
    for (const [name, f] of round % 2 === 0 ? runs : [...runs].reverse()) {
      const c0 = process.cpuUsage();
      for (const line of lines) f(line);
      const c = process.cpuUsage(c0);
      if (round > 0) (times[name] ??= []).push((c.user + c.system) / lines.length);
    }
  }
  const out: Record<string, { min: number; median: number; max: number }> = {};
  for (const [name, t] of Object.entries(times)) {
    const s = t.sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 100) / 100;
    out[name] = { min: r(s[0]!), median: r(s[s.length >> 1]!), max: r(s[s.length - 1]!) };
    console.log(`${label.padEnd(34)} ${name.padEnd(12)} ${String(out[name]!.min).padStart(5)} / ${String(out[name]!.median).padStart(5)} / ${String(out[name]!.max).padStart(5)} CPU µs per line`);
  }
  return out;
}

if (process.argv.includes('--loghub')) {
  const { benchLine } = await import('./agent.ts');
  const who = await contenders();
  const rounds = Number(process.env.PARSERS_ROUNDS ?? 9);
  console.log(`auto parser, min / median / max of ${rounds} interleaved rounds`);
  const results: Record<string, unknown> = {};
  // The agent bench's mix as its stage benchmark parses it: line splitter, then the record builder.
  const mix: string[] = [];
  const splitter = new LineSplitter({}, 0);
  const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => benchLine(i)).join(''));
  for (let off = 0; off < bytes.length; off += 256 * 1024) for (const l of splitter.push(bytes.subarray(off, off + 256 * 1024), off)) mix.push(l.text);
  results['agent mix, record builder'] = interleaved('agent mix, record builder', mix, who.map((c) => [c.name, c.build]), rounds);
  results['agent mix, parser'] = interleaved('agent mix, parser', mix, who.map((c) => [c.name, c.parse]), rounds);
  for (const system of availableSystems()) {
    // Five copies of the 2k sample: each round long enough for the CPU clock's resolution.
    const lines = Array.from({ length: 5 }, () => loadRawSample(system).lines).flat();
    results[`Loghub ${system}`] = interleaved(`Loghub ${system}, parser`, lines, who.map((c) => [c.name, c.parse]), rounds);
  }
  // Proxifier's stamps have no zone (`[10.30 16:49:06]`): read in a configured zone, as a host's local time.
  const proxifier = Array.from({ length: 5 }, () => loadRawSample('Proxifier').lines).flat();
  results['Loghub Proxifier, Europe/Berlin'] = interleaved('Loghub Proxifier in Europe/Berlin', proxifier, who.map((c) => [c.name, c.parseBerlin]), rounds);
  // logback's and log4j2's console default, `%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n`: a clock without a date, the thread first.
  const logback = Array.from({ length: 10_000 }, (_, i) =>
    `10:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [http-nio-8080-exec-${i % 10}] ${['INFO ', 'DEBUG', 'WARN '][i % 3]} c.a.orders.web.OrderController - order ${i} accepted in ${i % 90} ms`);
  results['logback default'] = interleaved('logback default layout, parser', logback, who.map((c) => [c.name, c.parse]), rounds);
  // Their stamps alone: a clock without a date; Proxifier's (no zone) read in Europe/Berlin.
  results['clock-only stamp'] = interleaved('clock-only stamp, readTime', logback, who.map((c) => [c.name, c.stamp]), rounds);
  const proxifierStamps = proxifier.map((l) => l.slice(1));
  results['Proxifier stamp, Europe/Berlin'] = interleaved('Proxifier stamp in Berlin, readTime', proxifierStamps, who.map((c) => [c.name, c.stampBerlin]), rounds);
  // The common header paths (parsers/header.ts) against the general scan alone, on the mix's plain lines (this tree).
  const general = createAutoParser({}, { commonHeader: false });
  const common = createAutoParser();
  const ctx = { now: Date.now(), timeZone: 'UTC' };
  const plain = mix.filter((l) => / INFO \[worker-/.test(l));
  results['plain lines, common path'] = interleaved('mix plain lines, auto', plain, [['common path', (l) => common(l, ctx)], ['general scan', (l) => general(l, ctx)]], rounds);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'parsers.json', JSON.stringify({ when: new Date().toISOString(), unit: 'CPU µs per line', rounds, results }, null, 2) + '\n');
  process.exit(0);
}

console.log(`parsers, ${LINE_BYTES}-byte lines, ${N.toLocaleString('en-US')} per run (buildParser: parse + fallback + severity)`);
const sets: Record<string, string[]> = {};
for (const [name, make] of Object.entries(FORMATS)) sets[name] = Array.from({ length: N }, (_, i) => make(i));
// Two passes; only the second is printed, so every parser is measured with a warm JIT.
for (const print of [false, true]) {
  for (const name of Object.keys(FORMATS)) run(`${name} -> ${name}`, name as ParserName, sets[name]!, print);
  for (const name of Object.keys(FORMATS)) run(`${name} -> auto`, 'auto', sets[name]!, print);
  run('plain -> regex', { type: 'regex', pattern: '^(?<time>\\S+ \\S+) (?<level>\\w+) \\[(?<thread>[^\\]]+)\\] (?<logger>\\S+) - (?<msg>.*)$', time_format: '%Y-%m-%d %H:%M:%S,%L' }, sets.plain!, print);
}

// Line splitter and multiline assembly over a byte stream read in 256 KiB chunks.
const text = Buffer.from(sets.plain!.join('\n') + '\n');
const CHUNK = 256 * 1024;
for (const withMultiline of [false, true]) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let lines = 0;
  for (let rep = 0; rep < 3; rep++) {
    const splitter = new LineSplitter();
    const ml = new MultilineAssembler();
    for (let off = 0; off < text.length; off += CHUNK) {
      for (const l of splitter.push(text.subarray(off, off + CHUNK), off)) {
        if (withMultiline) lines += ml.push(l, 0).length;
        else lines++;
      }
    }
    lines += ml.flush().length;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const label = withMultiline ? 'line splitter + multiline' : 'line splitter (UTF-8)';
  console.log(`${label.padEnd(30)} ${fmt(lines / cpu)} lines/cpu-s ${((text.length * 3) / cpu / 1e6).toFixed(0).padStart(6)} MB/cpu-s (wall: ${fmt(lines / wall)} lines/s)`);
}
