/** Log records as the agent's sink tests send them: one per `i`, from a file at offset `i`. */
import { SCHEMA_VERSION, type LogRecord } from '../../core/contracts/records.ts';

export const sinkRecord = (i: number, body = `line ${i}`, extra: Partial<LogRecord> = {}): LogRecord => ({
  v: SCHEMA_VERSION, time: '2026-11-24T10:00:00.000Z', observed_time: '2026-11-24T10:00:01.000Z', service: 'svc', host: 'h1',
  severity_text: 'INFO', severity_number: 9, body, attributes: {}, resource: {}, trace_id: '', span_id: '', origin: { kind: 'file', offset: i }, ...extra,
});
