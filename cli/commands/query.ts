/** `tributary query "<SQL>"`: runs SQL against the store; a table on a terminal, JSON with --json. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { TributaryError } from '../../core/errors.ts';
import { openStoreFromFlags, STORE_HELP, STORE_OPTIONS } from '../store-flags.ts';

const help = `Usage: tributary query "<SQL>" [options]

Runs one SQL statement against the store (the embedded chDB folder by default) and prints the result:
an aligned table, or one JSON object per line with --json.

Options:
  --json                 print JSON lines
  --param name=value     bind a query parameter, used in the SQL as {name:Type} (repeatable)
${STORE_HELP}
`;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => cell(r[c]).replace(/\n/g, '\\n')));
  const widths = cols.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const fit = (s: string, w: number, right: boolean) => (s.length > w ? s.slice(0, w - 1) + '…' : right ? s.padStart(w) : s.padEnd(w));
  const numeric = cols.map((_, i) => cells.every((row) => /^-?\d+(\.\d+)?$/.test(row[i]!)));
  const line = (vals: string[]) => vals.map((v, i) => fit(v, widths[i]!, numeric[i]!)).join('  ').trimEnd();
  return [line(cols), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const command: Command = {
  name: 'query',
  summary: 'run SQL against the store and print the result',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, param: { type: 'string', multiple: true }, ...STORE_OPTIONS },
    });
    const sql = positionals.join(' ').trim();
    if (!sql) throw new TributaryError('USAGE', 'query needs SQL, e.g. tributary query "SELECT count() FROM logs"');
    const params: Record<string, string> = {};
    for (const p of values.param ?? []) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new TributaryError('USAGE', `--param needs name=value, got ${p}`);
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    const store = await openStoreFromFlags(values);
    try {
      const rows = await store.query<Record<string, unknown>>(sql, params);
      if (values.json || !process.stdout.isTTY) {
        if (values.json) process.stdout.write(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
        else process.stdout.write(rows.map((r) => Object.values(r).map(cell).join('\t')).join('\n') + (rows.length ? '\n' : ''));
      } else {
        process.stdout.write(formatTable(rows) + '\n');
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
