/**
 * Logs: search raw log records by service, level and text. Volume panels read the minute rollup;
 * only the log list reads `logs`, filtered on the sort key (service, time) and the body's token index.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { inVar } from './clickhouse.ts';
import { barGauge, logsPanel, newDashboard, queryVariable, timeSeries } from './panels.ts';
import { SERVICE_VARIABLE_SQL } from './service-overview.ts';

export const LOGS_UID = 'tributary-logs';

export const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'UNSPECIFIED'];

/** Case-sensitive substring search; `LIKE` with a constant pattern can use the body's tokenbf index. */
const SEARCH = `$__conditionalAll(body LIKE concat('%', \${search:sqlstring}, '%'), $search)`;

export function logsDashboard(): dashboard.Dashboard {
  const svc = inVar('service', 'service');
  const lvl = inVar('level', 'level');
  return newDashboard(LOGS_UID, 'Tributary / Logs', 'Search log records by service, level and text.')
    .time({ from: 'now-1h', to: 'now' })
    .withVariable(queryVariable('service', 'Service', SERVICE_VARIABLE_SQL))
    .withVariable(
      new dashboard.CustomVariableBuilder('level')
        .label('Level')
        .values(LEVELS.join(','))
        .multi(true)
        .includeAll(true)
        .current({ selected: true, text: ['All'], value: ['$__all'] }),
    )
    .withVariable(new dashboard.TextBoxVariableBuilder('search').label('Text contains').defaultValue(''))
    .withPanel(
      timeSeries(
        'Log volume by level',
        `
        SELECT $__timeInterval(minute) AS time, level, countMerge(records) AS records
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc} AND ${lvl}
        GROUP BY time, level
        ORDER BY time
        `,
        { w: 16, interval: '1m', bars: true, stacked: true, unit: 'short' },
      ),
    )
    .withPanel(
      barGauge(
        'Records by service',
        `
        SELECT service, countMerge(records) AS records
        FROM logs_1m
        WHERE $__timeFilter(minute) AND ${svc} AND ${lvl}
        GROUP BY service
        ORDER BY records DESC
        `,
        { w: 8, unit: 'short' },
      ),
    )
    .withPanel(
      logsPanel(
        'Log records',
        `
        SELECT time, level, body, service, host, severity_text, pattern_id, trace_id, span_id
        FROM logs
        WHERE $__timeFilter(time) AND ${svc} AND ${lvl} AND ${SEARCH}
        ORDER BY time DESC
        LIMIT 1000
        `,
        { description: 'The newest 1000 matching records. The search is a case-sensitive substring of the body.' },
      ),
    )
    .build();
}
