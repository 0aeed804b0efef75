/**
 * The row stages: a checked record in, its raw row out into the record's batch (`logs`, `metrics`),
 * plus, for logs, the batch's pattern deltas (`log_patterns`: one row per service and pattern with its
 * count and event-time bounds). Records replayed after a take-over are passed on without a row.
 */
import { type MetricPoint } from '../../core/contracts/records.ts';
import { type LogRow, type MetricRow, type PatternRow } from '../../core/contracts/rows.ts';
import { toClickHouseTime } from '../transforms/decode.ts';
import { formatWindowTime } from '../transforms/windows/tumbling.ts';
import { type ServiceWindowInput } from '../transforms/windows/service-windows.ts';
import { type MetricWindowInput } from '../transforms/windows/metric-windows.ts';
import { type RecordContext, type Stage } from '../stage.ts';
import { type MinedLog } from './patterns.ts';

interface PatternAcc {
  row: PatternRow;
  first: number;
  last: number;
}

/** Mined log -> a `logs` row and a pattern delta; hands the windows their input. */
export class LogRowStage implements Stage<MinedLog, ServiceWindowInput> {
  readonly name = 'rows';

  constructor(readonly table = 'logs', readonly patternTable = 'log_patterns') {}

  push(m: MinedLog, ctx: RecordContext): ServiceWindowInput {
    const r = m.record;
    const t = m.time;
    if (!ctx.replay) {
      // Agents usually stamp observed_time = time: convert the text once.
      const time = toClickHouseTime(r.time);
      ctx.out.row(this.table, {
        time,
        observed_time: r.observed_time === r.time ? time : toClickHouseTime(r.observed_time),
        service: r.service,
        host: r.host,
        severity_text: r.severity_text,
        severity_number: r.severity_number,
        body: r.body,
        attributes: r.attributes,
        resource: r.resource ?? {},
        trace_id: r.trace_id ?? '',
        span_id: r.span_id ?? '',
        pattern_id: m.patternId,
        source_kind: r.origin.kind,
        source_path: r.origin.path ?? '',
        source_fingerprint: r.origin.fingerprint ?? '',
        source_offset: r.origin.offset ?? 0,
        kafka_topic: ctx.topic,
        kafka_partition: ctx.partition,
        kafka_offset: String(ctx.offset),
      } satisfies LogRow);
      ctx.out.aggregate<PatternAcc>(
        this.patternTable,
        `${r.service}\u0000${m.patternId}`,
        () => ({ row: { pattern_id: m.patternId, service: r.service, template: m.template, first_seen: '', last_seen: '', count: 0 }, first: t, last: t }),
        (p) => {
          p.row.count++;
          p.row.template = m.template;
          if (t < p.first) p.first = t;
          if (t > p.last) p.last = t;
        },
        (p) => ({ ...p.row, first_seen: formatWindowTime(p.first), last_seen: formatWindowTime(p.last) }),
      );
    }
    return {
      time: t, service: r.service, severity_number: r.severity_number, pattern_id: m.patternId, pattern_is_new: m.isNew,
      attributes: r.attributes, partition: ctx.partition, offset: ctx.offset,
    };
  }
}

/** Checked metric point -> a `metrics` row; hands the windows their input. */
export class MetricRowStage implements Stage<MetricPoint, MetricWindowInput> {
  readonly name = 'rows';

  constructor(readonly table = 'metrics') {}

  push(p: MetricPoint, ctx: RecordContext): MetricWindowInput {
    if (!ctx.replay) {
      ctx.out.row(this.table, {
        time: toClickHouseTime(p.time),
        service: p.service,
        host: p.host,
        name: p.name,
        kind: p.kind,
        value: p.value,
        unit: p.unit,
        labels: p.labels,
        kafka_partition: ctx.partition,
        kafka_offset: String(ctx.offset),
      } satisfies MetricRow);
    }
    return { time: Date.parse(p.time), service: p.service, host: p.host, name: p.name, value: p.value, partition: ctx.partition, offset: ctx.offset };
  }
}
