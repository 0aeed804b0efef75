/**
 * Small factories over the foundation SDK's panel builders, so that each dashboard file reads as a
 * list of questions and their SQL. Every panel gets the ClickHouse datasource and one SQL query.
 */
import { type Builder } from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { ClickHouseQuery, DATASOURCE, Format } from './clickhouse.ts';

export interface PanelOptions {
  description?: string;
  /** Grid size: width (of 24) and height. */
  w?: number;
  h?: number;
  unit?: string;
  /** The smallest `$__interval` (Grafana's min interval), e.g. `1m` for minute rollups. */
  interval?: string;
  /** A relative time override, e.g. `30d`, for panels that always show a long range. */
  timeFrom?: string;
  /** A red threshold line/colour at this value. */
  threshold?: number;
}

function steps(threshold: number | undefined): Builder<dashboard.ThresholdsConfig> {
  const config = new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute);
  const list: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  if (threshold !== undefined) list.push({ value: threshold, color: 'red' });
  return config.steps(list);
}

function common_<T extends { description(d: string): T; span(w: number): T; height(h: number): T; unit(u: string): T; interval(i: string): T; timeFrom(t: string): T; datasource(d: common.DataSourceRef): T; thresholds(t: Builder<dashboard.ThresholdsConfig>): T }>(
  builder: T,
  o: PanelOptions,
): T {
  builder.datasource(DATASOURCE).span(o.w ?? 12).height(o.h ?? 8).thresholds(steps(o.threshold));
  if (o.description) builder.description(o.description);
  if (o.unit) builder.unit(o.unit);
  if (o.interval) builder.interval(o.interval);
  if (o.timeFrom) builder.timeFrom(o.timeFrom);
  return builder;
}

/** A time series: the query returns `time`, then labels (strings) and values; the plugin pivots long to wide. */
export function timeSeries(title: string, sql: string, o: PanelOptions & { stacked?: boolean; bars?: boolean } = {}): timeseries.PanelBuilder {
  const p = common_(new timeseries.PanelBuilder().title(title), o)
    .withTarget(new ClickHouseQuery(sql, Format.TimeSeries))
    .lineWidth(1)
    .fillOpacity(o.bars ? 80 : 10)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom));
  if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.threshold !== undefined) p.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  return p;
}

/** One number (the query returns one row with a numeric column). */
export function statPanel(title: string, sql: string, o: PanelOptions = {}): stat.PanelBuilder {
  return common_(new stat.PanelBuilder().title(title), { w: 6, h: 4, ...o })
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function tablePanel(title: string, sql: string, o: PanelOptions = {}): table.PanelBuilder {
  return common_(new table.PanelBuilder().title(title), { w: 24, h: 9, ...o })
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .filterable(true);
}

/** One bar per row: the query returns a label column and a numeric column. */
export function barGauge(title: string, sql: string, o: PanelOptions = {}): bargauge.PanelBuilder {
  return common_(new bargauge.PanelBuilder().title(title), { w: 12, h: 8, ...o })
    .withTarget(new ClickHouseQuery(sql, Format.Table))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true));
}

/** Log lines: the query returns `time`, `level` and `body` (the plugin's logs format), then labels. */
export function logsPanel(title: string, sql: string, o: PanelOptions = {}): logs.PanelBuilder {
  return common_(new logs.PanelBuilder().title(title), { w: 24, h: 14, ...o })
    .withTarget(new ClickHouseQuery(sql, Format.Logs))
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending);
}

/** A multi-value variable with All, filled by a query; used as `$__conditionalAll(col IN (${name:singlequote}), $name)`. */
export function queryVariable(name: string, label: string, sql: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(sql)
    .definition(sql)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Links from every dashboard to the others, keeping the time range and variables. */
export function tributaryLinks(): Builder<dashboard.DashboardLink> {
  return new dashboard.DashboardLinkBuilder('Tributary')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags(['tributary'])
    .asDropdown(true)
    .keepTime(true)
    .includeVars(true);
}

export function newDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['tributary'])
    .timezone('utc')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .editable()
    .link(tributaryLinks());
}
