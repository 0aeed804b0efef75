/**
 * Patterns: which log templates dominate, which are new, and how each one trends. Pattern totals
 * come from `log_patterns` (per-batch deltas, aggregated again on read because merges are eventual);
 * counts over time from the hourly pattern rollup, or from raw logs when the range is short. The
 * template shown is the one of the newest delta (argMax on last_seen), whatever order parts are read in.
 * Every panel reads a pattern id as the id it stands for now: rows landed before the miner merged
 * their pattern into another keep the old id, and `pattern_merges` maps it (one look-up, see the
 * migration), so a merged pattern is one row with all its records.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { inVar } from './clickhouse.ts';
import { newDashboard, queryVariable, tablePanel, timeSeries } from './panels.ts';
import { SERVICE_VARIABLE_SQL } from './service-overview.ts';

export const PATTERNS_UID = 'tributary-patterns';

/** The newest merge of each merged id; joined with LEFT JOIN, an id never merged reads ''. */
const MERGES = 'SELECT pattern_id, argMax(merged_into, merged_at) AS merged_into FROM pattern_merges GROUP BY pattern_id';

/** `table` joined with the merges: select `PID` (or `RESOLVED_ID`) for the id each row stands for now. */
function resolved(table: string): string {
  return `${table} AS src LEFT JOIN (${MERGES}) AS m ON src.pattern_id = m.pattern_id`;
}
const RESOLVED_ID = "if(m.merged_into = '', src.pattern_id, m.merged_into)";
const PID = `${RESOLVED_ID} AS pid`;

export function patternsDashboard(): dashboard.Dashboard {
  const svc = inVar('service', 'service');
  return newDashboard(PATTERNS_UID, 'Tributary / Patterns', 'Top patterns, new patterns and pattern trends per service.')
    .withVariable(queryVariable('service', 'Service', SERVICE_VARIABLE_SQL))
    .withPanel(
      tablePanel(
        'Top patterns in range',
        `
        SELECT r.service AS service, r.pid AS pattern_id, t.template AS template, r.records AS records,
          t.first_seen_at AS first_seen, t.last_seen_at AS last_seen
        FROM (
          SELECT service, ${PID}, countMerge(records) AS records
          FROM ${resolved('log_patterns_1h')}
          WHERE $__timeFilter(hour) AND ${svc}
          GROUP BY service, pid
        ) AS r
        LEFT JOIN (
          SELECT service, ${PID}, argMax(template, last_seen) AS template, min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at
          FROM ${resolved('log_patterns')}
          WHERE ${svc}
          GROUP BY service, pid
        ) AS t ON r.service = t.service AND r.pid = t.pid
        ORDER BY records DESC
        LIMIT 50
        `,
        { description: 'Counted from the hourly pattern rollup, so the edges of the range count whole hours.' },
      ),
    )
    .withPanel(
      tablePanel(
        'New patterns (first seen in range)',
        `
        SELECT service, ${RESOLVED_ID} AS pattern_id, argMax(template, last_seen) AS template, min(first_seen) AS first_seen_at,
          max(last_seen) AS last_seen_at, sum(count) AS records
        FROM ${resolved('log_patterns')}
        WHERE ${svc}
        GROUP BY service, pattern_id
        HAVING first_seen_at >= $__fromTime AND first_seen_at <= $__toTime
        ORDER BY first_seen_at DESC
        LIMIT 100
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Top 10 patterns over time',
        `
        WITH top AS (
          SELECT service, ${PID}
          FROM ${resolved('log_patterns_1h')}
          WHERE $__timeFilter(hour) AND ${svc}
          GROUP BY service, pid
          ORDER BY countMerge(records) DESC
          LIMIT 10
        )
        SELECT time, pattern, records FROM (
          SELECT $__timeInterval(time) AS time, concat(service, ' ', ${RESOLVED_ID}) AS pattern, count() AS records
          FROM ${resolved('logs')}
          WHERE $__interval_s < 3600 AND $__timeFilter(time) AND ${svc} AND (service, ${RESOLVED_ID}) IN (SELECT service, pid FROM top)
          GROUP BY time, pattern
          UNION ALL
          SELECT $__timeInterval(hour) AS time, concat(service, ' ', ${RESOLVED_ID}) AS pattern, countMerge(records) AS records
          FROM ${resolved('log_patterns_1h')}
          WHERE $__interval_s >= 3600 AND $__timeFilter(hour) AND ${svc} AND (service, ${RESOLVED_ID}) IN (SELECT service, pid FROM top)
          GROUP BY time, pattern
        )
        ORDER BY time
        `,
        { w: 24, unit: 'short', description: 'Raw logs below an hour per point; the hourly pattern rollup above, so long ranges never scan raw logs.' },
      ),
    )
    .withPanel(
      timeSeries(
        'New patterns per window',
        `
        SELECT $__timeInterval(window_start) AS time, service, sum(new_patterns) AS new_patterns
        FROM service_windows FINAL
        WHERE $__timeFilter(window_start) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { unit: 'short', bars: true },
      ),
    )
    .withPanel(
      timeSeries(
        'Distinct patterns per window',
        `
        SELECT $__timeInterval(window_start) AS time, service, max(distinct_patterns) AS distinct_patterns
        FROM service_windows FINAL
        WHERE $__timeFilter(window_start) AND ${svc}
        GROUP BY time, service
        ORDER BY time
        `,
        { unit: 'short' },
      ),
    )
    .build();
}
