/**
 * Hosts: the metric windows of each host (min/mean/max/p95 per window), their model scores, the
 * host anomalies, and whether the Prometheus pages the agents scrape answer. Windows are read with FINAL so that a re-emitted (late) window counts once.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { inVar } from './clickhouse.ts';
import { newDashboard, queryVariable, tablePanel, timeSeries } from './panels.ts';

export const HOSTS_UID = 'tributary-hosts';

export function hostsDashboard(): dashboard.Dashboard {
  const host = inVar('host', 'host');
  const metric = inVar('name', 'metric');
  return newDashboard(HOSTS_UID, 'Tributary / Hosts', 'Host metric windows, their anomaly scores, and host anomalies.')
    .withVariable(
      queryVariable('host', 'Host', `SELECT DISTINCT host FROM metric_windows WHERE $__timeFilter(window_start) ORDER BY host`),
    )
    .withVariable(
      queryVariable('metric', 'Metric', `SELECT DISTINCT name FROM metric_windows WHERE $__timeFilter(window_start) ORDER BY name`),
    )
    .withPanel(
      timeSeries(
        'Mean per window',
        `
        SELECT $__timeInterval(window_start) AS time, concat(host, ' ', name) AS series, avg(mean) AS mean
        FROM metric_windows FINAL
        WHERE $__timeFilter(window_start) AND ${host} AND ${metric}
        GROUP BY time, series
        ORDER BY time
        `,
        { w: 24 },
      ),
    )
    .withPanel(
      timeSeries(
        'Max and p95 per window',
        `
        SELECT $__timeInterval(window_start) AS time, concat(host, ' ', name) AS series, max(max) AS window_max, max(p95) AS window_p95
        FROM metric_windows FINAL
        WHERE $__timeFilter(window_start) AND ${host} AND ${metric}
        GROUP BY time, series
        ORDER BY time
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Counters per second',
        // A counter's points are cumulative totals (a Prometheus page's, an OTLP sum's, the agent's own), so its
        // windows hold totals; the rate is read from the raw points as Prometheus' rate() reads them: each point's
        // increase over the one before it in its own series (labels included), a fall counting as a restart from 0,
        // summed per interval over the series of a host and name.
        `
        SELECT $__timeInterval(time) AS time, concat(host, ' ', name) AS series, sum(if(value >= previous, value - previous, value)) / $__interval_s AS per_second
        FROM (
          SELECT time, host, name, value,
            lagInFrame(value, 1, value) OVER (PARTITION BY service, host, name, labels ORDER BY time ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
          FROM metrics
          WHERE kind = 'counter' AND NOT mapContains(labels, 'le') AND $__timeFilter(time) AND ${host} AND ${metric}
        )
        GROUP BY time, series
        ORDER BY time
        `,
        // At least a minute per interval, so that each holds several scrapes (15 s apart by default).
        { w: 24, interval: '1m', description: "Counters only: the increase of each series per second, summed over its labels (a restart of the counted process counts from 0). A histogram's buckets are in the panel below; its _count and _sum are here." },
      ),
    )
    .withPanel(
      timeSeries(
        'Histogram quantiles (p50, p95, p99)',
        // Prometheus' histogram_quantile over the rate of a histogram's `_bucket` series (`le` labels; an OTLP
        // histogram's `.bucket`, which the agent writes the same way): each
        // bucket's increase per interval, summed over the other labels, then the rank's bucket found and the
        // value interpolated linearly within it (from 0 in the first bucket; the highest finite bound when
        // the rank falls in +Inf).
        `
        SELECT time, series, quantiles[1] AS p50, quantiles[2] AS p95, quantiles[3] AS p99
        FROM (
          SELECT time, series, arrayMap(x -> x.1, buckets) AS les, arrayMap(x -> x.2, buckets) AS counts, counts[-1] AS total,
            arrayMap(q -> if(
              isInfinite(les[(arrayFirstIndex(c -> c >= q * total, counts) AS i)]), les[i - 1],
              (if(i = 1, least(les[1], 0), les[i - 1]) AS lower) + (les[i] - lower) * (q * total - if(i = 1, 0, counts[i - 1])) / (counts[i] - if(i = 1, 0, counts[i - 1]))
            ), [0.5, 0.95, 0.99]) AS quantiles
          FROM (
            SELECT time, series, arraySort(x -> x.1, groupArray((le, increase))) AS buckets
            FROM (
              SELECT $__timeInterval(time) AS time, concat(host, ' ', substring(name, 1, length(name) - 7)) AS series, toFloat64OrNull(labels['le']) AS le,
                sum(if(value >= previous, value - previous, value)) AS increase
              FROM (
                SELECT time, host, name, labels, value,
                  lagInFrame(value, 1, value) OVER (PARTITION BY service, host, name, labels ORDER BY time ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
                FROM metrics
                WHERE kind = 'counter' AND (endsWith(name, '_bucket') OR endsWith(name, '.bucket')) AND mapContains(labels, 'le') AND $__timeFilter(time) AND ${host} AND ${metric}
              )
              WHERE le IS NOT NULL
              GROUP BY time, series, le
            )
            GROUP BY time, series
          )
        )
        WHERE total > 0
        ORDER BY time
        `,
        { w: 24, interval: '1m', description: "Histograms' `_bucket` series (pick one with Metric): the quantiles of the observations in each interval, as Prometheus' histogram_quantile(q, sum by (le) (rate(..._bucket))) gives them." },
      ),
    )
    .withPanel(
      timeSeries(
        'Anomaly score and threshold',
        `
        SELECT $__timeInterval(window_start) AS time, host, max(score) AS score, max(threshold) AS threshold
        FROM metric_windows FINAL
        WHERE $__timeFilter(window_start) AND scored = 1 AND ${host} AND ${metric}
        GROUP BY time, host
        ORDER BY time
        `,
      ),
    )
    .withPanel(
      tablePanel(
        'Latest window per host and metric',
        `
        SELECT host, name, service, toDateTime(max(window_start)) AS latest_window, argMax(last, window_start) AS last_value,
          argMax(mean, window_start) AS window_mean, argMax(max, window_start) AS window_max, argMax(score, window_start) AS latest_score,
          argMax(anomaly, window_start) AS is_anomaly
        FROM metric_windows FINAL
        WHERE $__timeFilter(window_start) AND ${host} AND ${metric}
        GROUP BY host, name, service
        ORDER BY host, name
        `,
      ),
    )
    .withPanel(
      tablePanel(
        'Host anomalies',
        `
        SELECT toDateTime(window_start) AS window_start, host, service, round(score, 3) AS score, round(threshold, 3) AS threshold,
          model, arrayStringConcat(top_features, '; ') AS top_features
        FROM anomalies FINAL
        WHERE kind = 'host' AND $__timeFilter(window_start) AND ${host}
        ORDER BY window_start DESC
        LIMIT 100
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Scrape targets up',
        // The agent's prometheus_scrape sources write `up` per target every scrape: 1, or 0 when it failed.
        `
        SELECT $__timeInterval(time) AS time, concat(service, ' ', labels['instance']) AS series, min(value) AS up
        FROM metrics
        WHERE name = 'up' AND $__timeFilter(time) AND ${host}
        GROUP BY time, series
        ORDER BY time
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Hourly mean (30 days, rollup of raw metrics)',
        `
        SELECT hour AS time, concat(host, ' ', name) AS series, avgMerge(avg_value) AS mean
        FROM metrics_1h
        WHERE $__timeFilter(hour) AND ${host} AND ${metric}
        GROUP BY time, series
        ORDER BY time
        `,
        { w: 24, timeFrom: '30d', interval: '1h' },
      ),
    )
    .build();
}
