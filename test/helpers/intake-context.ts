/**
 * A stand-in for the agent's sink in the intakes' tests (no Kafka): every batch emitted is taken as
 * delivered at once and its records kept, those a record thread encoded decoded back from their JSON,
 * so a test can compare what an intake builds on the threads with what it builds one by one.
 */
import { createRecordBuilder } from '../../agents/record-builder.ts';
import type { SourceContext } from '../../agents/source.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import { log } from '../../core/log.ts';

export function recordingContext(): { ctx: SourceContext; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const ctx: SourceContext = {
    emit: async (b) => {
      if (b.encoded) {
        const e = b.encoded;
        for (let i = 0; i < e.count; i++) records.push(JSON.parse(e.values.subarray(e.starts[i], e.ends[i]).toString()) as LogRecord);
      } else for (const ev of b.events) records.push((ev as { record: LogRecord }).record);
      b.onDelivered?.();
    },
    toRecord: createRecordBuilder(),
    redact: (r) => r,
    log: log('test'),
  };
  return { ctx, records };
}
