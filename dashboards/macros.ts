/**
 * Expands a panel's SQL the way Grafana and the `grafana-clickhouse-datasource` plugin do before it
 * reaches ClickHouse, so that tests can run every dashboard and alert query against chDB.
 *
 * The order is the plugin's: in the browser, `$__conditionalAll(cond, $var)` first, then template
 * variables (Grafana's templateSrv with the plugin's format function); in the plugin's backend, the
 * time macros. Expansions follow the plugin's `pkg/macros/macros.go` and `src/data/CHDatasource.ts`.
 * Alert rules are evaluated in the backend only, so they get the time macros and nothing else.
 */

/** A dashboard variable's current state, as Grafana keeps it (`current.value`). */
export interface VariableState {
  /** The selected value(s); `'$__all'` (or `['$__all']`) when "All" is selected. */
  value: string | string[];
  /** Every option, which "All" stands for when the variable has no custom all value. */
  options?: string[];
  /** What "All" becomes in the query when set (Grafana's `allValue`). */
  allValue?: string;
}

export interface ExpandContext {
  from: Date;
  to: Date;
  /** Grafana's computed interval for the panel, in seconds (at least the panel's min interval). */
  intervalSeconds: number;
  variables?: Record<string, VariableState>;
}

const ALL = '$__all';

/** The comma-separated arguments of a macro call whose `(` is at `open`; nested parentheses stay whole. */
export function macroArgs(text: string, open: number): { args: string[]; end: number } | undefined {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return undefined;
}

function isAll(state: VariableState | undefined): boolean {
  if (!state) return false;
  const v = Array.isArray(state.value) ? state.value.join(',') : state.value;
  return v === ALL;
}

/**
 * `$__conditionalAll(condition, $var)`: the condition, or `1=1` when the variable is "All" or empty.
 * Like the plugin, it works from the last occurrence backwards and compares `current.value.toString()`.
 */
export function applyConditionalAll(sql: string, variables: Record<string, VariableState> = {}): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = macroArgs(sql, at + macro.length - 1);
    if (!parsed || parsed.args.length !== 2) throw new Error(`$__conditionalAll needs two arguments: ${sql.slice(at, at + 80)}`);
    const [condition, ref] = parsed.args as [string, string];
    const name = /\$\{(\w+)\}|\$(\w+)/.exec(ref.trim());
    let phrase = condition;
    if (name) {
      const state = variables[name[1] ?? name[2]!];
      const value = state === undefined ? undefined : Array.isArray(state.value) ? state.value.join(',') : state.value;
      if (value === '' || value === ALL) phrase = '1=1';
    }
    sql = sql.slice(0, at) + phrase + sql.slice(parsed.end);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

function values(state: VariableState): string[] | string {
  if (isAll(state)) {
    if (state.allValue !== undefined) return state.allValue;
    return state.options ?? [];
  }
  return state.value;
}

/** Grafana's variable formats that these dashboards use, plus the plugin's default. */
function format(value: string | string[], fmt: string | undefined, name: string): string {
  const list = Array.isArray(value) ? value : [value];
  switch (fmt) {
    case undefined:
      // The plugin's own format function: arrays become a quoted list, single values go in as they are.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'csv':
      return list.join(',');
    case 'raw':
      return list.join(',');
    default:
      throw new Error(`variable format ${fmt} (in \${${name}:${fmt}}) is not supported by the expander`);
  }
}

/** Grafana's templateSrv.replace for `$var`, `${var}`, `${var:format}` and `[[var]]`; unknown names stay as written. */
export function replaceVariables(sql: string, ctx: ExpandContext): string {
  const vars = ctx.variables ?? {};
  const builtins: Record<string, string> = {
    __from: String(ctx.from.getTime()),
    __to: String(ctx.to.getTime()),
    __interval_ms: String(Math.round(ctx.intervalSeconds * 1000)),
    __range_s: String(Math.round((ctx.to.getTime() - ctx.from.getTime()) / 1000)),
  };
  return sql.replace(/\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g, (match, a?: string, b?: string, bFmt?: string, c?: string, cFmt?: string) => {
    const name = (a ?? b ?? c)!;
    const fmt = bFmt ?? cFmt;
    if (name in builtins) return builtins[name]!;
    const state = vars[name];
    if (!state) return match;
    return format(values(state), fmt, name);
  });
}

function toDateTime(d: Date): string {
  return `toDateTime(${Math.floor(d.getTime() / 1000)})`;
}

function toDateTime64(d: Date): string {
  return `fromUnixTimestamp64Milli(${d.getTime()})`;
}

function toDate(d: Date): string {
  return `toDate('${d.toISOString().slice(0, 10)}')`;
}

type MacroFn = (args: string[], ctx: ExpandContext) => string;

function one(name: string, args: string[]): string {
  if (args.length !== 1 || !args[0]) throw new Error(`$__${name} expects 1 argument, received ${args.length}`);
  return args[0];
}

/** The plugin's backend macros (pkg/macros/macros.go). */
const MACROS: Record<string, MacroFn> = {
  fromTime: (_a, c) => toDateTime(c.from),
  toTime: (_a, c) => toDateTime(c.to),
  fromTime_ms: (_a, c) => toDateTime64(c.from),
  toTime_ms: (_a, c) => toDateTime64(c.to),
  timeFilter: (a, c) => {
    const col = one('timeFilter', a);
    return `${col} >= ${toDateTime(c.from)} AND ${col} <= ${toDateTime(c.to)}`;
  },
  timeFilter_ms: (a, c) => {
    const col = one('timeFilter_ms', a);
    return `${col} >= ${toDateTime64(c.from)} AND ${col} <= ${toDateTime64(c.to)}`;
  },
  dateFilter: (a, c) => {
    const col = one('dateFilter', a);
    return `${col} >= ${toDate(c.from)} AND ${col} <= ${toDate(c.to)}`;
  },
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${Math.max(Math.trunc(c.intervalSeconds), 1)} second)`,
  timeInterval_ms: (a, c) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.trunc(c.intervalSeconds * 1000), 1)} millisecond)`,
  interval_s: (_a, c) => String(Math.max(Math.trunc(c.intervalSeconds), 1)),
};

/** Expands the backend macros: `$__name` or `$__name(args)`, the name ending at a word boundary. */
export function applyTimeMacros(sql: string, ctx: ExpandContext): string {
  let out = '';
  let i = 0;
  const re = /\$__(\w+)/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const fn = MACROS[m[1]!];
    if (!fn) continue;
    let end = m.index + m[0].length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const parsed = macroArgs(sql, end);
      if (!parsed) throw new Error(`unclosed $__${m[1]}(`);
      args = parsed.args.map((s) => s.trim());
      if (args.length === 1 && args[0] === '') args = [];
      end = parsed.end;
    }
    out += sql.slice(i, m.index) + fn(args, ctx);
    i = end;
    re.lastIndex = end;
  }
  const rest = out + sql.slice(i);
  const left = /\$__\w+|\$\{?\w+/.exec(rest.replace(/'(?:[^'\\]|\\.)*'/g, "''"));
  if (left) throw new Error(`unexpanded ${left[0]} in query: ${rest.slice(0, 200)}`);
  return rest;
}

/** A dashboard panel's query as ClickHouse receives it. */
export function expandPanelQuery(sql: string, ctx: ExpandContext): string {
  return applyTimeMacros(replaceVariables(applyConditionalAll(sql, ctx.variables), ctx), ctx);
}

/** An alert rule's query as ClickHouse receives it (backend only: no template variables). */
export function expandAlertQuery(sql: string, ctx: Omit<ExpandContext, 'variables'>): string {
  return applyTimeMacros(sql, ctx);
}

/**
 * The interval Grafana picks for a panel: the range over the number of data points, rounded to a
 * "nice" step, never below the panel's min interval. Close to Grafana's `rangeutil.calculateInterval`.
 */
export function panelInterval(from: Date, to: Date, maxDataPoints = 1000, minIntervalSeconds = 0): number {
  const raw = (to.getTime() - from.getTime()) / 1000 / maxDataPoints;
  const steps = [0.01, 0.1, 1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800];
  const nice = steps.find((s) => s >= raw) ?? raw;
  return Math.max(nice, minIntervalSeconds);
}

/** Parses a Grafana duration such as `1m`, `30s`, `1h` into seconds. */
export function durationSeconds(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
