/**
 * The embedded driver: the ClickHouse engine in-process through chDB, data in a local folder.
 * One process owns a folder at a time; a lock file says which, so a second one gets a clear error
 * instead of two engines writing the same parts.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../errors.ts';
import type { EmbeddedStoreConfig, InsertOptions, Params, Store } from './store.ts';

type ChdbSession = import('chdb').Session;

const LOCK_FILE = 'tributary.lock';
/** Insert payloads below this size are parsed by one thread (see `insert`). */
const SERIAL_PARSE_BYTES = 32 * 1024 * 1024;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(dir: string): string {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n${process.argv.slice(1).join(' ')}\n`);
      closeSync(fd);
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText, cmd] = readFileSync(path, 'utf8').split('\n');
      const pid = Number(pidText);
      if (pid === process.pid) return path;
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new TributaryError(
          'STORE_LOCKED',
          `the store at ${dir} is in use by process ${pid} (${(cmd ?? '').trim() || 'unknown command'}); ` +
            'stop it first, or point this command at a ClickHouse server with --store-url',
          { canRetry: true },
        );
      }
      rmSync(path, { force: true }); // stale: its owner died without releasing it
    }
  }
  throw new TributaryError('STORE_LOCKED', `could not take the lock on ${dir}`);
}

export class ChdbStore implements Store {
  readonly driver = 'embedded' as const;
  readonly location: string;
  private session: ChdbSession | undefined;
  private readonly lockPath: string;

  private constructor(dir: string, session: ChdbSession, lockPath: string) {
    this.location = dir;
    this.session = session;
    this.lockPath = lockPath;
  }

  static async open(config: EmbeddedStoreConfig): Promise<ChdbStore> {
    const dir = config.path;
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw new TributaryError('STORE_NOT_WRITABLE', `the storage folder ${dir} is not writable (${(err as Error).message}); set TRIBUTARY_STORE_PATH or --store to a folder you can write`, { cause: err });
    }
    const lockPath = takeLock(dir);
    try {
      const { Session } = await import('chdb');
      const session = new Session(dir, { installSignalHandlers: false });
      const database = config.database ?? 'default';
      const store = new ChdbStore(dir, session, lockPath);
      if (database !== 'default') {
        await store.command(`CREATE DATABASE IF NOT EXISTS ${database}`);
        await store.command(`USE ${database}`);
      }
      return store;
    } catch (err) {
      rmSync(lockPath, { force: true });
      throw err;
    }
  }

  private live(): ChdbSession {
    if (!this.session) throw new TributaryError('STORE_UNAVAILABLE', `the store at ${this.location} is closed`);
    return this.session;
  }

  async command(sql: string, params?: Params): Promise<void> {
    await this.run(sql, params, 'CSV');
  }

  async query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const text = await this.run(sql, params, 'JSONEachRow');
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
    return rows;
  }

  async insert(table: string, rows: readonly object[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    // Positional rows (JSONCompactEachRow) parse markedly cheaper than keyed objects; the column list
    // comes from the first row, and every row of one insert has the same shape (core/contracts/rows.ts).
    // One JSON.stringify over all rows, instead of one per row plus a join, costs about 40 % less; its
    // outer brackets are cut off and the rows stay separated by commas, which JSONCompactEachRow
    // reads as row delimiters (parallel parsing included).
    const columns = Object.keys(rows[0]!);
    const width = columns.length;
    const values: unknown[][] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Record<string, unknown>;
      const v: unknown[] = new Array(width);
      for (let j = 0; j < width; j++) v[j] = row[columns[j]!];
      values[i] = v;
    }
    const all = Buffer.from(JSON.stringify(values));
    const payload = all.subarray(1, all.length - 1);
    // Parallel parsing cuts the input into chunks of at least 10 MiB (min_chunk_bytes_for_parallel_parsing)
    // for parser threads: a batch smaller than a few chunks gains nothing from it but pays its threads
    // and copies, about a tenth of the insert's CPU in a quick test.
    const settings: Record<string, string | number> = {
      date_time_input_format: 'best_effort',
      input_format_parallel_parsing: payload.length < SERIAL_PARSE_BYTES ? 0 : 1,
      ...options.settings,
    };
    if (options.dedupToken) settings.insert_deduplication_token = options.dedupToken;
    try {
      await this.live().insert({ table, values: payload, format: 'JSONCompactEachRow', columns, settings });
    } catch (err) {
      throw new TributaryError('QUERY_FAILED', `insert into ${table} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    try {
      session?.close();
    } finally {
      rmSync(this.lockPath, { force: true });
    }
  }

  private async run(sql: string, params: Params | undefined, format: string): Promise<string> {
    const session = this.live();
    try {
      const result = params && Object.keys(params).length > 0
        ? await session.queryBindAsync(sql, params, { format })
        : await session.queryAsync(sql, { format });
      return result.text();
    } catch (err) {
      throw new TributaryError('QUERY_FAILED', `${(err as Error).message.trim()}\n  in: ${sql.trim().slice(0, 300)}`, { cause: err });
    }
  }
}
