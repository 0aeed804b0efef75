/**
 * Micro-benchmark of host-side redaction: 250-byte log lines in, lines/s out (printed only).
 * Run: `node --import tsx bench/redact.ts`. Three mixes: no candidates, 10% with a secret, all secrets.
 */
import { Redactor } from '../agents/transforms/redact.ts';

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

const redactor = new Redactor();
const cleanLines = Array.from({ length: N }, (_, i) => clean(i));
const mixed = Array.from({ length: N }, (_, i) => (i % 10 === 0 ? secret(i) : clean(i)));
const secrets = Array.from({ length: N }, (_, i) => secret(i));
console.log(`redaction, ${LINE_BYTES}-byte lines, ${N.toLocaleString('en-US')} per run, ${redactor.rules.length} rules`);
run('no candidates', cleanLines, redactor);
run('10% with a secret', mixed, redactor);
run('every line a secret', secrets, redactor);
run('10% + 2 user rules', mixed, new Redactor({ rules: [{ name: 'cust', pattern: 'cust-\\d+' }, { name: 'ssn', pattern: '\\b\\d{3}-\\d{2}-\\d{4}\\b' }] }));
