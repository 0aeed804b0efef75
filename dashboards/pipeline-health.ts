/**
 * Pipeline health, from ClickHouse alone: the workers' counters in `pipeline_stats` (records in and
 * out per stage, consumer lag, DLQ, batch and model latency) and the agents' own metric points,
 * which travel through the pipeline like any host's under the service `tributary-agent`.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { AGENT_SERVICE, PipelineStat } from '../core/contracts/pipeline-stats.ts';
import { newDashboard, statPanel, timeSeries } from './panels.ts';

export const PIPELINE_UID = 'tributary-pipeline-health';

export function pipelineHealthDashboard(): dashboard.Dashboard {
  const s = PipelineStat;
  return newDashboard(PIPELINE_UID, 'Tributary / Pipeline health', "The pipeline's own counters: throughput, lag, DLQ and latency.")
    .withPanel(
      statPanel(
        'Consumer lag now',
        `
        SELECT sum(lag) AS consumer_lag FROM (
          SELECT instance, argMax(value, time) AS lag
          FROM pipeline_stats
          WHERE name = '${s.consumerLag}' AND $__timeFilter(time)
          GROUP BY instance
        )
        `,
        { unit: 'short', threshold: 10000 },
      ),
    )
    .withPanel(
      statPanel(
        'DLQ records in range',
        `
        SELECT sum(value) AS dlq_records
        FROM pipeline_stats
        WHERE name = '${s.dlqRecords}' AND $__timeFilter(time)
        `,
        { unit: 'short', threshold: 1 },
      ),
    )
    .withPanel(
      statPanel(
        'Records stored in range',
        `
        SELECT sum(value) AS records_stored
        FROM pipeline_stats
        WHERE stage = 'store' AND name = '${s.recordsOut}' AND $__timeFilter(time)
        `,
        { unit: 'short' },
      ),
    )
    .withPanel(
      statPanel(
        'Late records in range',
        `
        SELECT sum(late_count) AS late_records
        FROM service_windows FINAL
        WHERE $__timeFilter(window_start)
        `,
        { unit: 'short' },
      ),
    )
    .withPanel(
      timeSeries(
        'Records in and out per stage',
        `
        SELECT $__timeInterval(time) AS time, concat(stage, ' ', name) AS series, sum(value) / $__interval_s AS per_second
        FROM pipeline_stats
        WHERE name IN ('${s.recordsIn}', '${s.recordsOut}') AND $__timeFilter(time)
        GROUP BY time, series
        ORDER BY time
        `,
        { w: 24, unit: 'reqps', interval: '10s' },
      ),
    )
    .withPanel(
      timeSeries(
        'Consumer lag per worker',
        `
        SELECT $__timeInterval(time) AS time, instance, max(value) AS consumer_lag
        FROM pipeline_stats
        WHERE name = '${s.consumerLag}' AND $__timeFilter(time)
        GROUP BY time, instance
        ORDER BY time
        `,
        { unit: 'short', threshold: 10000, interval: '10s' },
      ),
    )
    .withPanel(
      timeSeries(
        'DLQ records',
        `
        SELECT $__timeInterval(time) AS time, stage, sum(value) AS dlq_records
        FROM pipeline_stats
        WHERE name = '${s.dlqRecords}' AND $__timeFilter(time)
        GROUP BY time, stage
        ORDER BY time
        `,
        { unit: 'short', bars: true, interval: '10s' },
      ),
    )
    .withPanel(
      timeSeries(
        'Batch latency per stage',
        `
        SELECT $__timeInterval(time) AS time, stage, avg(value) AS avg_ms, max(value) AS max_ms
        FROM pipeline_stats
        WHERE name = '${s.batchMs}' AND $__timeFilter(time)
        GROUP BY time, stage
        ORDER BY time
        `,
        { unit: 'ms', interval: '10s' },
      ),
    )
    .withPanel(
      timeSeries(
        'Model latency',
        `
        SELECT $__timeInterval(time) AS time, instance, avg(value) AS avg_ms, max(value) AS max_ms
        FROM pipeline_stats
        WHERE stage = 'score' AND name = '${s.modelMs}' AND $__timeFilter(time)
        GROUP BY time, instance
        ORDER BY time
        `,
        { unit: 'ms', interval: '10s' },
      ),
    )
    .withPanel(
      timeSeries(
        'Agent counters (per second)',
        `
        SELECT time, series, greatest(value - lagInFrame(value, 1, value) OVER (PARTITION BY series ORDER BY time), 0) / $__interval_s AS per_second
        FROM (
          SELECT $__timeInterval(time) AS time, concat(host, ' ', name) AS series, max(value) AS value
          FROM metrics
          WHERE service = '${AGENT_SERVICE}' AND kind = 'counter' AND $__timeFilter(time)
          GROUP BY time, series
        )
        ORDER BY time
        `,
        { unit: 'short', interval: '10s', description: 'Agents send cumulative counters; the rate is the increase per interval (a restart counts as zero).' },
      ),
    )
    .withPanel(
      timeSeries(
        'Agent gauges',
        `
        SELECT $__timeInterval(time) AS time, concat(host, ' ', name) AS series, avg(value) AS value
        FROM metrics
        WHERE service = '${AGENT_SERVICE}' AND kind = 'gauge' AND $__timeFilter(time)
        GROUP BY time, series
        ORDER BY time
        `,
        { interval: '10s' },
      ),
    )
    .build();
}
