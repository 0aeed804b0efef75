// Line batches for the tests of their encoding (test/agents/line-batch.test.ts) and of the record
// threads (test/agents/record-pool.test.ts): real lines, and what the sink makes of them record by record.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLine } from '../../bench/agent.ts';
import { createRecordBuilder, type BuiltCounters, type RecordBuilderOptions } from '../../agents/record-builder.ts';
import { joinLines, lineText, type EncodedLogs, type LineBatch } from '../../agents/line-batch.ts';
import { logWire } from '../../agents/sinks/log-wire.ts';
import { type LogRecord } from '../../core/contracts/records.ts';
import { type LogEncoding } from '../../core/contracts/topics.ts';

export const loghub = fileURLToPath(new URL('../fixtures/loghub-2k', import.meta.url));

/** Real lines: every Loghub system's 2k sample, the bench's mix, and lines that take the rarer paths. */
export function corpus(): string[][] {
  const systems = readdirSync(loghub).filter((d) => !d.includes('.') && d !== 'LICENSE');
  const batches = systems.map((s) => readFileSync(join(loghub, s, `${s}_2k.log`), 'utf8').split('\n').filter(Boolean));
  batches.push(Array.from({ length: 2000 }, (_, i) => benchLine(i).slice(0, -1)));
  // What separates two records in a batch's JSON, inside records: escaped there, so never a boundary.
  batches.push(['tricky },{"v":1,"time":"x"} body', '{"v":2,"msg":"a JSON line whose first key is v"}', 'level=info v=3 msg="},{\\"v\\":"']);
  batches.push([
    'naïve café — 東京 ✓ level=warn password=hunter2 user=ana@example.com',
    JSON.stringify({ level: 'error', msg: 'traced', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', card: '4111 1111 1111 1111' }),
    'x'.repeat(5000),
    '\u0000control\u001f chars "quoted" \\ back',
  ]);
  // Fractions below the millisecond (a record's Kafka timestamp is its time in whole milliseconds, never rounded up).
  batches.push(['2026-11-29T12:00:00.123789Z INFO micro', '2026-11-29T12:00:00.999999999Z WARN nano', '2026-11-29 12:00:00,5 ERROR comma', JSON.stringify({ time: 1795968000123.7, msg: 'epoch ms with a fraction' }), 'ts=2026-11-29T12:00:00.000600Z level=info msg=x']);
  // Records of several lines (a PostgreSQL report joined with its parts, whose prefixes the parser drops) and access lines of proxies.
  batches.push([
    '2026-11-29 12:00:00.123 UTC [4321] ERROR:  duplicate key\n2026-11-29 12:00:00.123 UTC [4321] DETAIL:  Key (id)=(1) already exists.\n2026-11-29 12:00:00.123 UTC [4321] STATEMENT:  INSERT INTO users\n\tVALUES (1)',
    '10.0.1.2:33317 [29/Nov/2026:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"',
    'INFO:     127.0.0.1:54321 - "GET /items HTTP/1.1" 200 OK',
    'www.example.com:443 203.0.113.9 - - [29/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0"',
  ]);
  return batches;
}

// The third reads each syslog line's program as its service, so keys change within a batch (Loghub Linux, Mac, ...).
export const builderOptions: RecordBuilderOptions[] = [{ source: 'a' }, { source: 'b', parser: 'plain', redaction: { disabled: ['email'] } }, { source: 'c', parser: 'syslog' }];

export function batchOf(texts: string[], builder: number): LineBatch {
  let offset = 0;
  const starts = texts.map((t) => ((offset += Buffer.byteLength(t) + 1), offset - Buffer.byteLength(t) - 1));
  return { builder, ...joinLines(texts), starts, path: '/var/log/app.log', fingerprint: '1:2:abc:64', service: 'svc', host: 'h1', observedMs: Date.UTC(2026, 10, 29, 12), attributes: { team: 'core' }, lineAttributes: [[1, { 'log.truncated': 'true' }]] };
}

/** What the sink makes of these lines on the main thread, record by record. */
export function mainThread(counters: BuiltCounters, b: LineBatch, maxRecordBytes: number, encoding: LogEncoding = 'json'): { values: Buffer[]; keys: string[]; times: number[]; traces: Array<[number, string]>; truncated: number } {
  const build = createRecordBuilder(counters, builderOptions[b.builder]);
  const out = { values: [] as Buffer[], keys: [] as string[], times: [] as number[], traces: [] as Array<[number, string]>, truncated: 0 };
  Array.from(b.textEnds, (_, i) => lineText(b, i)).forEach((text, i) => {
    const own = b.lineAttributes?.find(([j]) => j === i)?.[1];
    const r: LogRecord = build({ text, origin: { kind: 'file', path: b.path, fingerprint: b.fingerprint, offset: b.starts[i]! }, service: b.service, host: b.host, observedMs: b.observedMs, attributes: { ...b.attributes, ...own } });
    const w = logWire(r, 'service_host', maxRecordBytes, encoding);
    out.values.push(Buffer.from(w.value));
    out.keys.push(w.key);
    out.times.push(w.timestampMs);
    if (r.trace_id && r.span_id) out.traces.push([i, `00-${r.trace_id}-${r.span_id}-01`]);
    if (w.truncatedFrom !== undefined) out.truncated++;
  });
  return out;
}

export function unpack(e: Pick<EncodedLogs, 'count' | 'starts' | 'ends' | 'keys' | 'keyOf' | 'times'> & { values: Buffer }): { values: Buffer[]; keys: string[]; times: number[] } {
  const values: Buffer[] = [];
  for (let i = 0; i < e.count; i++) values.push(e.values.subarray(e.starts[i], e.ends[i]));
  return { values, keys: Array.from(e.keyOf, (k) => e.keys[k]!), times: Array.from(e.times) };
}
