/**
 * Micro-benchmark of host-side redaction: 250-byte log lines in, lines/s out. Run:
 * `node --import tsx bench/redact.ts`. Three mixes of lines (no candidates, 10% with a secret, all
 * secrets), then the agent's records: bench/agent.ts's line mix parsed (`auto`), body and attributes
 * through `redactRecord`, CPU µs per record, and the same over the eight Loghub samples' lines, together
 * and each system alone, written to bench/results/redact.json.
 * `REDACT_BASELINE=<another redact.ts>` times that one too, interleaved in the same process (the
 * machine is shared: only a side-by-side run compares), e.g. the version before a change:
 * `git show <commit>:agents/transforms/redact.ts > /tmp/redact-base.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redactor } from '../agents/transforms/redact.ts';
import { createRecordBuilder, newCounters } from '../agents/record-builder.ts';
import { withAgentV8Flags } from './agent-flags.ts';
import { benchLine, loghubLines, loghubSystems } from './agent.ts';

withAgentV8Flags(fileURLToPath(new URL('..', import.meta.url)));

const LINE_BYTES = 250;
const N = 200_000;

function pad(line: string): string {
  return line.length >= LINE_BYTES ? line.slice(0, LINE_BYTES) : line + ' ' + 'x'.repeat(LINE_BYTES - line.length - 1);
}

function clean(i: number): string {
  return pad(`2026-11-24T10:00:${String(i % 60).padStart(2, '0')}.${i % 1000}Z INFO [worker-${i % 8}] com.acme.orders.OrderService - order ${100000 + i} processed for region eu-west-1 in ${i % 500} ms, items=${i % 7} status=ok cache_hit=true`);
}

const SECRETS = [
  'Authorization: Bearer abcdef0123456789abcdef',
  'postgres://app:s3cr3t@db.internal:5432/app',
  'api_key=0123456789abcdef',
  'card 4111 1111 1111 1111',
  'user jane.doe@example.com',
  'AKIAIOSFODNN7EXAMPLE',
  'password=hunter2',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
];

function secret(i: number): string {
  return pad(`2026-11-24T10:00:00Z WARN [http-${i % 8}] request ${i} failed with ${SECRETS[i % SECRETS.length]} after retry`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(10);
}

function run(label: string, lines: string[], redactor: Redactor): void {
  const counts = {};
  // Warm up the JIT on the same data.
  for (let i = 0; i < 20_000; i++) redactor.redact(lines[i % lines.length]!, counts);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let bytes = 0;
  for (const line of lines) bytes += redactor.redact(line, counts).length;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  // Per CPU-second as well as per wall second: on a shared machine the CPU figure is the steadier one.
  const cpu = (c.user + c.system) / 1e6;
  const perCpu = lines.length / cpu;
  console.log(`${label.padEnd(24)} ${fmt(perCpu)} lines/cpu-s ${(bytes / cpu / 1e6).toFixed(0).padStart(5)} MB/cpu-s ${(1e9 / perCpu).toFixed(0).padStart(6)} ns/line   (wall: ${fmt(lines.length / wall)} lines/s)`);
}


const ROUNDS = 20;

interface RecordRedactor {
  redactRecord(record: { body: string; attributes: Record<string, string> }, counts?: Record<string, number>): number;
}

/** Lines parsed as the agent parses them (`auto`), redaction off: what `redactRecord` gets. */
function parse(lines: string[]): Array<{ body: string; attributes: Record<string, string> }> {
  const build = createRecordBuilder(newCounters(), { redaction: false });
  const origin = { kind: 'file' as const, path: '/var/log/app.log', fingerprint: '1:2:abcdef:64', offset: 0 };
  return lines.map((text) => build({ text, origin, service: 'bench', host: 'h', observedMs: Date.now() }));
}

/**
 * CPU µs per record of `redactRecord` over `parsed`: rounds interleaved, min/median/max. Each round a
 * new Redactor, so what it remembers of attribute values is learnt within the round, as by an agent
 * meeting these lines for the first time.
 */
async function records(label: string, parsed: Array<{ body: string; attributes: Record<string, string> }>): Promise<Record<string, { min: number; median: number; max: number }>> {
  const contenders: Array<[string, () => RecordRedactor]> = [['this tree', () => new Redactor()]];
  const baseline = process.env.REDACT_BASELINE;
  if (baseline) {
    const mod = (await import(baseline)) as { Redactor: new () => RecordRedactor };
    contenders.push([`baseline (${baseline})`, () => new mod.Redactor()]);
  }
  const times: Record<string, number[]> = {};
  // Many short rounds, alternating which goes first: the machine's load moves within a run.
  for (let round = 0; round < ROUNDS + 1; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const [name, make] of order) {
      const redactor = make();
      // Fresh records every round (redaction works in place); copying is outside the timing.
      const recs = parsed.map((r) => ({ body: r.body, attributes: { ...r.attributes } }));
      const counts = {};
      const c0 = process.cpuUsage();
      for (const rec of recs) redactor.redactRecord(rec, counts);
      const c = process.cpuUsage(c0);
      (times[name] ??= []).push((c.user + c.system) / recs.length);
    }
  }
  const out: Record<string, { min: number; median: number; max: number }> = {};
  for (const [name, t] of Object.entries(times)) {
    // The first round warms the JIT up.
    const s = t.slice(1).sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    out[name] = { min: r(s[0]!), median: r(s[s.length >> 1]!), max: r(s[s.length - 1]!) };
    console.log(`${label}, ${name}: ${out[name]!.min} / ${out[name]!.median} / ${out[name]!.max} CPU µs per record (min / median / max of ${ROUNDS} rounds of ${parsed.length.toLocaleString('en-US')})`);
  }
  return out;
}

// The records first, while neither version's code has been shaped by other inputs.
const recordTimes = await records('agent mix records', parse(Array.from({ length: 20_000 }, (_, i) => benchLine(i).slice(0, -1))));
// Real lines: header fields, loggers and thread names that take turns, ids that never repeat.
const loghubTimes = await records("Loghub's 8 systems", parse(loghubLines()));
// Each system alone: what one program's mix of repeated and unique values does (a file holds one program's lines).
const loghubSystemTimes: Record<string, Record<string, { min: number; median: number; max: number }>> = {};
for (const [name, lines] of loghubSystems()) loghubSystemTimes[name] = await records(`Loghub ${name}`, parse(lines));
const redactor = new Redactor();
const cleanLines = Array.from({ length: N }, (_, i) => clean(i));
const mixed = Array.from({ length: N }, (_, i) => (i % 10 === 0 ? secret(i) : clean(i)));
const secrets = Array.from({ length: N }, (_, i) => secret(i));
console.log(`redaction, ${LINE_BYTES}-byte lines, ${N.toLocaleString('en-US')} per run, ${redactor.rules.length} rules`);
run('no candidates', cleanLines, redactor);
run('10% with a secret', mixed, redactor);
run('every line a secret', secrets, redactor);
run('10% + 2 user rules', mixed, new Redactor({ rules: [{ name: 'cust', pattern: 'cust-\\d+' }, { name: 'ssn', pattern: '\\b\\d{3}-\\d{2}-\\d{4}\\b' }] }));
const results = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(results, { recursive: true });
writeFileSync(results + 'redact.json', JSON.stringify({ when: new Date().toISOString(), agentMixRecords: recordTimes, loghubRecords: loghubTimes, loghubSystemRecords: loghubSystemTimes }, null, 2) + '\n');
