/**
 * Feature views: any view's features over time by key, and what the models bound to it said. Each
 * view has a table of its own (`view_<name>_v<version>`, listed in `feature_views`), so the `view`
 * variable holds the table name and the panels read `FROM ${view:raw}`; `feature` picks one of the
 * view's feature columns. Rows are read with FINAL so that a re-emitted (late) window counts once.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, inVar } from './clickhouse.ts';
import { newDashboard, queryVariable, statPanel, tablePanel, timeSeries } from './panels.ts';

export const FEATURES_UID = 'tributary-features';

/** A single-value variable (a table or a column name cannot be a list), its first option selected. */
function singleVariable(name: string, label: string, sql: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(sql)
    .definition(sql)
    .multi(false)
    .includeAll(false)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Predictions of the selected view (the table name is the view's name and version). */
const OF_VIEW = `concat('view_', view, '_v', toString(view_version)) = '\${view}'`;

export function featuresDashboard(): dashboard.Dashboard {
  const key = inVar('key', 'key');
  const model = inVar('model', 'model');
  return newDashboard(FEATURES_UID, 'Tributary / Feature views', 'Any feature view\'s features over time by key, and the predictions of the models bound to it.')
    .withVariable(singleVariable('view', 'View (table)', `SELECT DISTINCT table_name FROM feature_views ORDER BY table_name`))
    .withVariable(singleVariable('feature', 'Feature', `SELECT arrayJoin(features) AS feature FROM feature_views FINAL WHERE table_name = '\${view}'`))
    .withVariable(queryVariable('key', 'Key', `SELECT DISTINCT key FROM \${view:raw} WHERE $__timeFilter(window_start) ORDER BY key LIMIT 1000`))
    .withVariable(queryVariable('model', 'Model', `SELECT DISTINCT model FROM predictions WHERE ${OF_VIEW} AND $__timeFilter(window_start) ORDER BY model`))
    .withPanel(
      timeSeries(
        'Feature by key',
        `
        SELECT window_start AS time, key, \${feature:raw} AS value
        FROM \${view:raw} FINAL
        WHERE $__timeFilter(window_start) AND ${key}
        ORDER BY time
        `,
        { w: 24, description: 'The selected feature of each selected key, one point per window (missing values are gaps).' },
      ),
    )
    .withPanel(
      timeSeries(
        'Windows and events',
        `
        SELECT $__timeInterval(window_start) AS time, count() AS windows, sum(count) AS events, sum(late_count) AS late_events
        FROM \${view:raw} FINAL
        WHERE $__timeFilter(window_start) AND ${key}
        GROUP BY time
        ORDER BY time
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Prediction score by key and model',
        `
        SELECT window_start AS time, concat(key, ' ', model) AS series, score
        FROM predictions FINAL
        WHERE ${OF_VIEW} AND $__timeFilter(window_start) AND ${key} AND ${model}
        ORDER BY time
        `,
      ),
    )
    .withPanel(
      timeSeries(
        'Flagged windows per model',
        `
        SELECT $__timeInterval(window_start) AS time, model, countIf(anomaly = 1) AS flagged, countIf(shadow = 1 AND score >= threshold) AS shadow_over_threshold
        FROM predictions FINAL
        WHERE ${OF_VIEW} AND $__timeFilter(window_start) AND ${model}
        GROUP BY time, model
        ORDER BY time
        `,
        { bars: true },
      ),
    )
    .withPanel(statPanel('Predictions in range', `SELECT count() AS predictions FROM predictions FINAL WHERE ${OF_VIEW} AND $__timeFilter(window_start) AND ${model}`))
    .withPanel(statPanel('Flagged in range', `SELECT countIf(anomaly = 1) AS flagged FROM predictions FINAL WHERE ${OF_VIEW} AND $__timeFilter(window_start) AND ${model}`))
    .withPanel(
      tablePanel(
        'Latest flagged windows',
        `
        SELECT toDateTime(window_start) AS window_start, key, model, model_version, round(score, 3) AS score, label,
          arrayStringConcat(top_features, '; ') AS top_features
        FROM predictions FINAL
        WHERE ${OF_VIEW} AND anomaly = 1 AND $__timeFilter(window_start) AND ${key} AND ${model}
        ORDER BY window_start DESC
        LIMIT 100
        `,
      ),
    )
    .build();
}
