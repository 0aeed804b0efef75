/**
 * Can the OpenTelemetry Collector read our topics? `npm run interop:otelcol` writes OTLP protobuf log
 * messages (one ExportLogsServiceRequest with one record per Kafka message, header content-type
 * application/x-protobuf, as the agent's kafka.encoding otlp_proto does) to a topic, runs our Collector
 * build (bench/otelcol, upstream 0.165 kafka receiver with encoding otlp_proto -> kafka exporter with
 * otlp_json; kafka-kafka.yaml) over it, and compares every record that came out with what went in:
 * body, times, severity, flags, trace ids, attributes, scope and resource, field by field. What went
 * in is read back from the input topic and decoded by the Collector's own pdata (test/interop/otlp-pdata),
 * so the comparison is of the Collector's view before and after, never of our own encoder with itself.
 *
 * Sources (--source): `sdk` (OpenTelemetry JS's own protobuf serializer; independent of our code) or
 * `agent` (the agent itself with kafka.encoding otlp_proto, on the Loghub samples and pino/logfmt
 * lines), default both. Starts its own broker on free ports unless TRIBUTARY_TEST_BROKERS names one;
 * builds the Collector first if dist/otelcol/otelcol is missing. Exit 1 and the first differences
 * when a record is missing, extra or changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka } from '../../core/kafka/client.ts';
import { createTestTopic, readTopic, testBrokers } from '../../test/helpers/kafka.ts';
import { pdataDecoder } from '../../test/helpers/otlp-pdata.ts';
import { ensureOtelcol, metricSum, startOtelcol } from './run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One log record with the resource and scope it came under, as OTLP/JSON (pdata's spelling). */
export interface FlatRecord {
  resource: unknown;
  scope: unknown;
  record: Record<string, unknown>;
}

interface OtlpJson {
  resourceLogs?: Array<{ resource?: unknown; schemaUrl?: string; scopeLogs?: Array<{ scope?: unknown; schemaUrl?: string; logRecords?: Array<Record<string, unknown>> }> }>;
}

/** Every record of some OTLP/JSON requests, each with its resource and scope (batching may regroup them). */
export function flatten(requests: unknown[]): FlatRecord[] {
  const out: FlatRecord[] = [];
  for (const req of requests as OtlpJson[])
    for (const rl of req.resourceLogs ?? [])
      for (const sl of rl.scopeLogs ?? []) for (const record of sl.logRecords ?? []) out.push({ resource: rl.resource ?? {}, scope: sl.scope ?? {}, record });
  return out;
}

/** A record as one string with keys in order, so two lists compare as multisets. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x);
}

export interface RoundTrip {
  /** The input topic's records as the Collector's pdata decodes them. */
  sent: FlatRecord[];
  /** The records the Collector wrote on as OTLP/JSON. */
  arrived: FlatRecord[];
  /** Records missing from `arrived`, and records in it that were not sent (canonical JSON). */
  missing: string[];
  extra: string[];
  /** Messages the Collector's kafka receiver could not decode (its own counter). */
  unmarshalFailed: number;
  messagesIn: number;
  messagesOut: number;
}

/**
 * Runs the Collector from `inTopic` (OTLP protobuf, `records` log records in all) to a fresh topic
 * (OTLP/JSON) and compares the two record by record.
 */
export async function throughCollector(inTopic: string, records: number, timeoutMs = 120_000): Promise<RoundTrip> {
  const brokers = (await testBrokers()).join(',');
  const outTopic = await createTestTopic('otelcol-out');
  const oc = await startOtelcol('kafka-kafka.yaml', { OTELCOL_BROKERS: brokers, OTELCOL_IN: inTopic, OTELCOL_OUT: outTopic, OTELCOL_GROUP: `interop-${randomBytes(4).toString('hex')}` });
  let unmarshalFailed = 0;
  try {
    const start = Date.now();
    for (;;) {
      oc.checkAlive();
      const text = (await oc.scrape()) ?? '';
      const sent = metricSum(text, 'otelcol_exporter_sent_log_records') ?? 0;
      unmarshalFailed = metricSum(text, 'otelcol_kafka_receiver_unmarshal_failed_log_records') ?? 0;
      if (sent + unmarshalFailed >= records) break;
      if (Date.now() - start > timeoutMs) throw new Error(`the Collector sent on ${sent} of ${records} records in ${timeoutMs / 1000} s (${unmarshalFailed} failed to decode): ${oc.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await oc.stop();
  }
  const [inMessages, outMessages] = await Promise.all([readTopic(inTopic, { idleMs: 1500 }), readTopic(outTopic, { idleMs: 1500 })]);
  const decode = await pdataDecoder();
  const sent = flatten(await decode(inMessages.map((m) => m.value)));
  const arrived = flatten(outMessages.map((m) => JSON.parse(m.value.toString('utf8')) as unknown));
  // Multiset difference: a record sent twice must arrive twice.
  const left = new Map<string, number>();
  for (const r of sent) left.set(canonical(r), (left.get(canonical(r)) ?? 0) + 1);
  const extra: string[] = [];
  for (const r of arrived) {
    const k = canonical(r);
    const n = left.get(k) ?? 0;
    if (n === 0) extra.push(k);
    else left.set(k, n - 1);
  }
  const missing = [...left].flatMap(([k, n]) => Array<string>(n).fill(k));
  return { sent, arrived, missing, extra, unmarshalFailed, messagesIn: inMessages.length, messagesOut: outMessages.length };
}

/**
 * Log records as OpenTelemetry JS's own exporter serializes them, one per Kafka message: varied
 * bodies (unicode, newlines, empty), every severity, attributes of every scalar type, some with trace
 * context, under two resources. Returns the topic's record count.
 */
export async function produceSdkRecords(topic: string, count = 200): Promise<number> {
  const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
  const { resources } = await import('@opentelemetry/sdk-node');
  const res = [resources.resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'web-1' }), resources.resourceFromAttributes({ 'service.name': 'search', 'host.name': 'web-2', 'deployment.environment': 'prod' })];
  const scope = { name: 'tributary.interop', version: '0.1.0' };
  const bodies = ['order 42 paid', 'ünïcødé ✓ — 日本語', 'first line\n\tat second line', '', 'x'.repeat(3000)];
  const messages = Array.from({ length: count }, (_, i) => {
    const ns = 1_764_410_400_000_000_000n + BigInt(i) * 1_000_003n;
    const hr = (n: bigint): [number, number] => [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
    const body = `${bodies[i % bodies.length]} #${i}`;
    const record = {
      hrTime: hr(ns),
      hrTimeObserved: hr(ns + 7_000n),
      severityNumber: (i % 24) + 1,
      severityText: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][Math.floor((i % 24) / 4)],
      body,
      resource: res[i % 2]!,
      instrumentationScope: scope,
      attributes: { 'log.file.path': '/var/log/app.log', 'log.offset': i * 250, ratio: i / 7, ok: i % 3 === 0, route: `/api/${i % 5}` },
      droppedAttributesCount: 0,
      ...(i % 4 === 0 ? { spanContext: { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: 1 } } : {}),
    };
    return { key: `svc-${i % 2}`, value: Buffer.from(ProtobufLogsSerializer.serializeRequest([record])!), headers: { 'content-type': 'application/x-protobuf' } };
  });
  const producer = createKafka({ brokers: await testBrokers(), clientId: 'interop-sdk' }).producer();
  await producer.connect();
  await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();
  return count;
}

/** The Loghub samples (test/fixtures/loghub-2k), `per` lines of each system, plus pino JSON and logfmt lines. */
export function interopLines(per = 40): string[] {
  const fixtures = join(root, 'test/fixtures/loghub-2k');
  const loghub = readdirSync(fixtures).filter((d) => !d.includes('.') && d !== 'LICENSE').sort().flatMap((d) => readFileSync(join(fixtures, d, `${d}_2k.log`), 'utf8').split('\n').filter(Boolean).slice(0, per));
  const pino = Array.from({ length: per }, (_, i) => JSON.stringify({ level: [30, 40, 50][i % 3], time: 1_764_410_400_000 + i, pid: 7, hostname: 'web-1', reqId: `r-${i}`, msg: `cart updated ${i}` }));
  const logfmt = Array.from({ length: per }, (_, i) => `ts=2026-11-29T10:00:${String(i % 60).padStart(2, '0')}Z level=warn service=search msg="slow query ${i}" took_ms=${i * 3}`);
  return [...loghub, ...pino, ...logfmt];
}

/** The agent itself (kafka.encoding otlp_proto, `recordsPerMessage` to a message) ships `lines` from a file into `topic`; returns how many records it sent. */
export async function produceAgentRecords(topic: string, lines: string[], recordsPerMessage = 1): Promise<number> {
  const { validateAgentConfig } = await import('../../agents/config.ts');
  const { agentFromConfig } = await import('../../agents/from-config.ts');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-interop-'));
  try {
    const file = join(dir, 'app.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const cfg = validateAgentConfig({
      kafka: { brokers: await testBrokers(), topics: { logs: topic }, encoding: 'otlp_proto', records_per_message: recordsPerMessage },
      state_dir: join(dir, 'state'),
      self_metrics: { enabled: false },
      sources: { app: { type: 'file', include: [file], poll_ms: 50 } },
    });
    const agent = agentFromConfig(cfg);
    await agent.start();
    const start = Date.now();
    while (agent.sink.stats.sent < lines.length && Date.now() - start < 60_000) await new Promise((r) => setTimeout(r, 50));
    const sent = agent.sink.stats.sent;
    await agent.stop();
    return sent;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function summary(name: string, r: RoundTrip): boolean {
  const ok = r.missing.length === 0 && r.extra.length === 0 && r.unmarshalFailed === 0 && r.sent.length > 0;
  process.stdout.write(`${name}: ${r.sent.length} records in ${r.messagesIn} messages (OTLP protobuf) -> the Collector -> ${r.arrived.length} records in ${r.messagesOut} messages (OTLP/JSON); ${r.unmarshalFailed} undecodable; ${r.missing.length} missing, ${r.extra.length} extra or changed: ${ok ? 'all arrived intact' : 'FAILED'}\n`);
  for (const k of r.missing.slice(0, 3)) process.stdout.write(`  missing: ${k.slice(0, 600)}\n`);
  for (const k of r.extra.slice(0, 3)) process.stdout.write(`  arrived: ${k.slice(0, 600)}\n`);
  return ok;
}

async function main(): Promise<void> {
  ensureOtelcol();
  const arg = process.argv.indexOf('--source');
  const sources = arg > 0 ? [process.argv[arg + 1]!] : ['sdk', 'agent'];
  let ok = true;
  for (const source of sources) {
    const topic = await createTestTopic(`interop-${source}`, 3);
    const lines = interopLines();
    const records = source === 'sdk' ? await produceSdkRecords(topic) : await produceAgentRecords(topic, lines);
    if (source === 'agent' && records !== lines.length) throw new Error(`the agent sent ${records} of ${lines.length} lines`);
    ok = summary(source === 'sdk' ? 'OpenTelemetry JS serializer' : 'tributary agent (kafka.encoding otlp_proto)', await throughCollector(topic, records)) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
