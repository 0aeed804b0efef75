/**
 * The ClickHouse datasource as the dashboards and rules see it: its provisioned uid, the plugin's
 * pinned version, and a query builder for the plugin's SQL editor. The foundation SDK (0.0.21) has
 * no ClickHouse query type, so `ClickHouseQuery` implements its `cog.Builder<cog.Dataquery>`
 * contract and produces the JSON the plugin saves for an SQL-editor query.
 */
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import { type DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** Pinned: the JSON below is the query shape of this release. */
export const PLUGIN_VERSION = '4.13.0';
export const DATASOURCE_UID = 'tributary-clickhouse';
export const DATASOURCE: DataSourceRef = { type: PLUGIN_ID, uid: DATASOURCE_UID };

/** The plugin's result formats (sqlds `FormatQueryOption`). */
export const Format = { TimeSeries: 0, Table: 1, Logs: 2 } as const;
export type FormatValue = (typeof Format)[keyof typeof Format];

const QUERY_TYPE: Record<FormatValue, string> = { 0: 'timeseries', 1: 'table', 2: 'logs' };

/** A saved SQL-editor query of the ClickHouse plugin. */
export interface ClickHouseDataquery extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  format: FormatValue;
  queryType: string;
  rawSql: string;
  pluginVersion: string;
}

export class ClickHouseQuery implements cog.Builder<ClickHouseDataquery> {
  private readonly internal: Omit<ClickHouseDataquery, '_implementsDataqueryVariant'>;

  constructor(rawSql: string, format: FormatValue = Format.Table, refId = 'A') {
    this.internal = {
      refId,
      datasource: DATASOURCE,
      editorType: 'sql',
      format,
      queryType: QUERY_TYPE[format],
      rawSql: dedent(rawSql),
      pluginVersion: PLUGIN_VERSION,
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  build(): ClickHouseDataquery {
    return { ...this.internal } as ClickHouseDataquery;
  }
}

/** SQL written indented in TypeScript, stored flush-left. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** `$__conditionalAll` over a multi-value variable: `col IN (...)`, or nothing when All is selected. */
export function inVar(column: string, variable: string): string {
  return `$__conditionalAll(${column} IN (\${${variable}:singlequote}), $${variable})`;
}
