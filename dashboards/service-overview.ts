/**
 * Service overview: per service, how much it logs, how often it fails, how slow it is, and what the
 * models think of it. Short ranges read the minute rollup and the scored windows; the "last 30 days"
 * row reads the hourly rollup only, so it never scans raw logs.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ClickHouseQuery, DATASOURCE, Format, inVar } from './clickhouse.ts';
import { barGauge, newDashboard, queryVariable, statPanel, tablePanel, timeSeries } from './panels.ts';

export const SERVICE_OVERVIEW_UID = 'tributary-service-overview';

/** The services that logged recently (the hourly rollup is small, so this is cheap at any range). */
export const SERVICE_VARIABLE_SQL = `SELECT DISTINCT service FROM logs_1h WHERE $__timeFilter(hour) ORDER BY service`;

const ERROR_LEVELS = `level IN ('ERROR', 'FATAL')`;

export function serviceOverview(): dashboard.Dashboard {
  const svc = inVar('service', 'service');
  return newDashboard(SERVICE_OVERVIEW_UID, 'Tributary / Service overview', 'Rate, error ratio, latency and anomaly score per service.')
    .withVariable(queryVariable('service', 'Service', SERVICE_VARIABLE_SQL))
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Anomalies')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('red')
        .target(
          new ClickHouseQuery(
            `
            SELECT toDateTime(window_start) AS time, toDateTime(window_end) AS timeEnd,
              concat(service, ': score ', toString(round(score, 3)), ' over ', toString(round(threshold, 3)),
                     if(empty(top_features), '', concat(' (', arrayStringConcat(top_features, ', '), ')'))) AS text,
              concat('service,', service, ',', model) AS tags
            FROM anomalies FINAL
            WHERE kind = 'service' AND $__timeFilter(window_start) AND ${svc}
            ORDER BY time
            `,
            Format.Table,
            'Anno',
          ),
        ),
    )
    .withRow(new dashboard.RowBuilder('Now'))
    .withPanel(
      statPanel(
        'Records in range',
        `
        SELECT countMerge(records) AS records
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        `,
        { unit: 'short', interval: '1m' },
      ),
    )
    .withPanel(
      statPanel(
        'Error ratio in range',
        `
        SELECT countMergeIf(records, ${ERROR_LEVELS}) / greatest(countMerge(records), 1) AS error_ratio
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        `,
        { unit: 'percentunit', threshold: 0.05, interval: '1m' },
      ),
    )
    .withPanel(
      statPanel(
        'Anomalous windows in range',
        `
        SELECT count() AS anomalies
        FROM anomalies FINAL
        WHERE kind = 'service' AND $__timeFilter(window_start) AND ${svc}
        `,
        { unit: 'short', threshold: 1 },
      ),
    )
    .withPanel(
      statPanel(
        'Services logging',
        `
        SELECT uniqExact(service) AS services
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        `,
        { unit: 'short' },
      ),
    )
    .withPanel(
      timeSeries(
        'Records per second',
        `
        SELECT $__timeInterval(minute) AS time, service, countMerge(records) / $__interval_s AS rate
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { unit: 'reqps', interval: '1m', description: 'From the minute rollup of `logs` (logs_1m).' },
      ),
    )
    .withPanel(
      timeSeries(
        'Error ratio',
        `
        SELECT $__timeInterval(minute) AS time, service,
          countMergeIf(records, ${ERROR_LEVELS}) / greatest(countMerge(records), 1) AS error_ratio
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { unit: 'percentunit', interval: '1m', threshold: 0.05, description: 'Share of ERROR and FATAL records.' },
      ),
    )
    .withPanel(
      timeSeries(
        'Latency p95 and p99',
        `
        SELECT $__timeInterval(minute) AS time, service,
          quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[2] AS p95_ms,
          quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[3] AS p99_ms
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc}
        GROUP BY time, service
        HAVING countMerge(records) > 0
        ORDER BY time
        `,
        { unit: 'ms', interval: '1m', description: 'From the `duration_ms` attribute of log records.' },
      ),
    )
    .withPanel(
      timeSeries(
        'Anomaly score and threshold',
        `
        SELECT $__timeInterval(window_start) AS time, service, max(score) AS score, max(threshold) AS threshold
        FROM service_windows FINAL
        WHERE $__timeFilter(window_start) AND scored = 1 AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { description: 'Model score of each closed window (newest version of each window, FINAL).' },
      ),
    )
    .withPanel(
      tablePanel(
        'Recent anomalies',
        `
        SELECT toDateTime(window_start) AS window_start, service, window_size_s, round(score, 3) AS score,
          round(threshold, 3) AS threshold, model, model_version, arrayStringConcat(top_features, '; ') AS top_features
        FROM anomalies FINAL
        WHERE kind = 'service' AND $__timeFilter(window_start) AND ${svc}
        ORDER BY window_start DESC
        LIMIT 100
        `,
      ),
    )
    .withRow(new dashboard.RowBuilder('Last 30 days (hourly rollup)'))
    .withPanel(
      timeSeries(
        'Records per day',
        `
        SELECT toStartOfDay(hour) AS time, service, countMerge(records) AS records
        FROM logs_1h
        WHERE $__timeFilter(hour) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { timeFrom: '30d', interval: '1d', bars: true, stacked: true, unit: 'short' },
      ),
    )
    .withPanel(
      timeSeries(
        'Error ratio per day',
        `
        SELECT toStartOfDay(hour) AS time, service,
          countMergeIf(records, ${ERROR_LEVELS}) / greatest(countMerge(records), 1) AS error_ratio
        FROM logs_1h
        WHERE $__timeFilter(hour) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { timeFrom: '30d', interval: '1d', unit: 'percentunit' },
      ),
    )
    .withPanel(
      timeSeries(
        'Latency p95 per hour',
        `
        SELECT hour AS time, service, quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[2] AS p95_ms
        FROM logs_1h
        WHERE $__timeFilter(hour) AND ${svc}
        GROUP BY time, service
        HAVING countMerge(records) > 0
        ORDER BY time
        `,
        { timeFrom: '30d', interval: '1h', unit: 'ms' },
      ),
    )
    .withPanel(
      barGauge(
        'Errors by service (30 days)',
        `
        SELECT service, countMergeIf(records, ${ERROR_LEVELS}) AS errors
        FROM logs_1h
        WHERE $__timeFilter(hour) AND ${svc}
        GROUP BY service
        ORDER BY errors DESC
        `,
        { timeFrom: '30d', unit: 'short' },
      ),
    )
    .build();
}
