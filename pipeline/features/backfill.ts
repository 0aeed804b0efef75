/**
 * Backfill: a view's rows recomputed from history through the same code the worker runs (schema check,
 * filter, windows, aggregations, derived features). Events of the range flow in from Kafka (start
 * offsets looked up by timestamp, read up to the end offsets seen at the start) or from the source's
 * raw table in ClickHouse; rows flow out to the view's table (the live rows' key and version, so a
 * backfilled row equals the live one and re-running changes nothing) or to a CSV/JSONL file for training.
 *
 * Order: events are run through the engine in (event time, partition, offset) order, the order an
 * in-order live stream has, with the windows closing as event time passes them. Derived features
 * need the key's past, so reading starts `warmup` before `from` (default: the longest history of the
 * view's derived features, in hops, plus one window); only windows starting in [from, to) are written.
 *
 * Memory: from ClickHouse, events are read page by page (100 000 at a time, in order) and rows are
 * written as windows close, so a long range is never held at once. From Kafka, whose partitions arrive
 * interleaved, the decoded events go through an external sort (sorted-runs.ts): up to 200 000 are held,
 * sorted and written to a temporary file at a time, and the files are merged back in order; rows are
 * written as windows close there too. Rows are written in chunks of 20 000.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { createKafka } from '../../core/kafka/client.ts';
import { type Store } from '../../core/storage/store.ts';
import { TributaryError } from '../../core/errors.ts';
import { log } from '../../core/log.ts';
import { type CompiledView } from '../transforms/features/views/definition.ts';
import { ViewEngine, type ViewEmission, type ViewRow } from '../transforms/features/views/engine.ts';
import { type SourceEvent } from '../transforms/features/views/schema.ts';
import { ensureViewTable } from '../transforms/features/views/table.ts';
import { formatWindowTime } from '../transforms/windows/tumbling.ts';
import { compareInputs, SortedRuns } from './sorted-runs.ts';

export interface BackfillInput {
  time: number;
  partition: number;
  offset: number;
  event: SourceEvent;
}

export interface BackfillOptions {
  view: CompiledView;
  /** Epoch ms; windows starting at or after it are written. */
  from: number;
  /** Epoch ms; windows starting before it are written. */
  to: number;
  /** How far before `from` reading starts, ms (default: see the header). */
  warmupMs?: number;
}

export interface BackfillResult {
  /** Events read (valid ones; invalid records are counted in `invalid`). */
  events: number;
  invalid: number;
  rows: number;
  /** Where the rows went. */
  target: string;
}

const CHUNK = 20_000;

/** The default warm-up: the longest baseline history, in hops, plus one window. */
export function defaultWarmupMs(view: CompiledView): number {
  const history = Math.max(0, ...view.derived.flatMap((d) => d.baseline.map((b) => b.history)));
  return history * view.hopMs + view.sizeMs;
}

/** Runs events (any order) through a fresh engine of the view; returns the rows of windows in [from, to). */
export function computeRows(options: BackfillOptions, events: BackfillInput[], onRows?: (rows: ViewEmission[]) => void): ViewEmission[] {
  events.sort(compareInputs);
  const out: ViewEmission[] = [];
  const run = new RowRun(options, onRows ?? ((rows) => void out.push(...rows)));
  run.add(events);
  run.end();
  return out;
}

/**
 * The engine of one backfill, fed chunks of events already in (event time, partition, offset) order:
 * the same steps whether the events arrive at once (Kafka) or page by page (ClickHouse).
 */
class RowRun {
  private readonly engine: ViewEngine;
  private i = 0;

  constructor(
    private readonly options: BackfillOptions,
    private readonly onRows: (rows: ViewEmission[]) => void,
  ) {
    this.engine = new ViewEngine(options.view);
  }

  private keep(rows: ViewEmission[]): void {
    const kept = rows.filter((e) => e.start >= this.options.from && e.start < this.options.to);
    if (kept.length > 0) this.onRows(kept);
  }

  add(events: readonly BackfillInput[]): void {
    for (const e of events) {
      this.engine.add(e.event, e.partition, e.offset, e.time);
      if (++this.i % 1000 === 0) this.keep(this.engine.advance(e.time));
    }
  }

  end(): void {
    this.keep(this.engine.flush());
  }
}

/** Reads the source topic's events whose Kafka timestamp is in [since, until], up to the end offsets seen at the start, into `into`. */
export async function readKafka(brokers: string[], view: CompiledView, since: number, until: number, into: SortedRuns, counts = { invalid: 0 }): Promise<void> {
  const topic = view.source.topic;
  const kafka = createKafka({ brokers, clientId: 'tributary-backfill' });
  const admin = kafka.admin();
  await admin.connect();
  let starts: { partition: number; offset: string }[];
  let ends: { partition: number; offset: string; high: string }[];
  try {
    starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const endOf = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const startOf = new Map(starts.map((s) => [s.partition, Number(s.offset) < 0 ? endOf.get(s.partition)! : Number(s.offset)]));
  const todo = new Set([...endOf].filter(([p, end]) => (startOf.get(p) ?? end) < end).map(([p]) => p));
  if (todo.size === 0) return;
  // A group of its own whose starting offsets are set before it joins: no seek racing the join.
  const groupId = `tributary-backfill-${randomUUID()}`;
  const setter = kafka.admin();
  await setter.connect();
  try {
    await setter.setOffsets({ groupId, topic, partitions: [...endOf.keys()].map((p) => ({ partition: p, offset: String(startOf.get(p) ?? endOf.get(p)!) })) });
  } finally {
    await setter.disconnect();
  }
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    let done!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((res, rej) => {
      done = res;
      fail = rej;
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        try {
          const p = batch.partition;
          const end = endOf.get(p)!;
          // Writer schemas of ids met for the first time, from the registry (Avro, protobuf).
          if (view.source.needsPrepare) await view.source.prepare(batch.messages.map((m) => m.value));
          for (const m of batch.messages) {
            const off = Number(m.offset);
            if (off < (startOf.get(p) ?? 0)) continue;
            if (off >= end) break;
            const ts = Number(m.timestamp);
            if (ts > until) {
              todo.delete(p);
              break;
            }
            // As the live stream reads a record: a list's events in their order (the sort keeps ties so), a tombstone none.
            const r = view.source.decodeAll(m.value, ts);
            counts.invalid += r.refused.length;
            for (const event of r.events) await into.add({ time: event.time, partition: p, offset: off, event });
          }
          const last = Number(batch.messages.at(-1)?.offset ?? -1);
          if (last + 1 >= end) todo.delete(p);
          if (todo.size === 0) done();
        } catch (err) {
          fail(err);
        }
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
    // The group was only a way to read; it should not linger in the cluster's group list.
    const cleaner = kafka.admin();
    await cleaner.connect().then(() => cleaner.deleteGroups([groupId])).catch(() => undefined).finally(() => cleaner.disconnect());
  }
}

/**
 * Reads the source's raw table in ClickHouse for event times in [since, until], in (event time,
 * partition, offset) order, one page at a time (keyset pagination), so that a long range is never held
 * in memory at once.
 */
export async function* readClickHouse(store: Store, view: CompiledView, since: number, until: number, pageRows = 100_000): AsyncGenerator<BackfillInput[]> {
  const table = view.source.config.raw_table;
  if (!table) throw new TributaryError('USAGE', `source "${view.source.name}" has no raw_table, so its history is not in ClickHouse; backfill from Kafka instead`);
  const cols = view.source.fields.map((f) => `\`${f.name}\``).join(', ');
  let after: { t: number; p: number; o: string } | undefined;
  for (;;) {
    const rows = await store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(time) AS t, ${cols}, kafka_partition AS p, toString(kafka_offset) AS o FROM \`${table}\`
       WHERE time >= fromUnixTimestamp64Milli({since:Int64}) AND time <= fromUnixTimestamp64Milli({until:Int64})
       ${after ? 'AND (toUnixTimestamp64Milli(time), toInt64(kafka_partition), kafka_offset) > ({at:Int64}, {ap:Int64}, {ao:UInt64})' : ''}
       ORDER BY time, kafka_partition, kafka_offset LIMIT {n:UInt32}`,
      { since, until, n: pageRows, ...(after ? { at: after.t, ap: after.p, ao: after.o } : {}) },
    );
    if (rows.length === 0) return;
    yield rows.map((r) => {
      const fields: SourceEvent['fields'] = {};
      for (const f of view.source.fields) {
        const v = r[f.name];
        fields[f.name] = v === null || v === undefined ? null : f.type === 'string' ? String(v) : f.type === 'boolean' ? v === true || v === 1 || v === 'true' : Number(v);
      }
      const time = Number(r.t);
      return { time, partition: Number(r.p), offset: Number(r.o), event: { time, fields } };
    });
    if (rows.length < pageRows) return;
    const last = rows[rows.length - 1]!;
    after = { t: Number(last.t), p: Number(last.p), o: String(last.o) };
  }
}

/**
 * Writes rows into the view's table in chunks, each under a token derived from its content: re-running
 * the same backfill changes nothing, and a run over more data is not mistaken for an earlier one.
 * Rows come in as the engine closes windows; a chunk goes out whenever `rowsPerInsert` are buffered.
 */
export class TableWriter {
  private buffer: ViewRow[] = [];
  private ready: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly view: CompiledView,
    private readonly tokenBase: string,
    private readonly rowsPerInsert = CHUNK,
  ) {}

  async write(rows: readonly ViewRow[]): Promise<void> {
    this.buffer.push(...rows);
    while (this.buffer.length >= this.rowsPerInsert) await this.insert(this.buffer.splice(0, this.rowsPerInsert));
  }

  async end(): Promise<void> {
    if (this.buffer.length > 0) await this.insert(this.buffer.splice(0));
  }

  private async insert(chunk: ViewRow[]): Promise<void> {
    await (this.ready ??= ensureViewTable(this.store, this.view));
    const digest = createHash('sha1').update(JSON.stringify(chunk)).digest('hex');
    await this.store.insert(this.view.table, chunk, { dedupToken: `${this.tokenBase}/${digest}` });
  }
}

/** Writes rows into the view's table in chunks (see TableWriter). */
export async function writeTable(store: Store, view: CompiledView, rows: ViewRow[], tokenBase: string, rowsPerInsert = CHUNK): Promise<void> {
  await ensureViewTable(store, view);
  const w = new TableWriter(store, view, tokenBase, rowsPerInsert);
  await w.write(rows);
  await w.end();
}

/** The view's columns, in table order, for files. */
export function columnsOf(view: CompiledView): string[] {
  return ['view', 'view_version', 'key', ...view.keyFields, 'window_start', 'window_end', 'window_size_s', 'hop_s', 'version', 'count', 'late_count', ...view.features.map((f) => f.name)];
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows to a CSV (header, empty cell for missing) or JSONL file, as they come. */
export class FileWriter {
  private readonly cols: string[];
  private readonly format: 'csv' | 'jsonl';
  private readonly out;

  constructor(path: string, view: CompiledView) {
    const format = path.endsWith('.jsonl') || path.endsWith('.ndjson') ? 'jsonl' : path.endsWith('.csv') ? 'csv' : undefined;
    if (!format) throw new TributaryError('USAGE', `--out ${path}: the file name must end in .csv or .jsonl`);
    this.format = format;
    this.cols = columnsOf(view);
    this.out = createWriteStream(path);
    if (format === 'csv') this.out.write(this.cols.join(',') + '\n');
  }

  async write(rows: readonly ViewRow[]): Promise<void> {
    for (const r of rows) {
      const line = this.format === 'csv' ? this.cols.map((c) => csvCell(r[c])).join(',') + '\n' : JSON.stringify(Object.fromEntries(this.cols.map((c) => [c, r[c] ?? null]))) + '\n';
      if (!this.out.write(line)) await once(this.out, 'drain');
    }
  }

  async end(): Promise<void> {
    this.out.end();
    await once(this.out, 'close');
  }
}

/** Writes rows to a CSV or JSONL file (see FileWriter). */
export async function writeFile(path: string, view: CompiledView, rows: ViewRow[]): Promise<void> {
  const w = new FileWriter(path, view);
  await w.write(rows);
  await w.end();
}

/** The whole backfill: read, compute, write. */
export async function backfill(options: BackfillOptions & {
  from_: 'kafka' | 'clickhouse';
  brokers?: string[];
  store?: Store;
  /** A .csv or .jsonl file; without it, rows go to the view's table in `store`. */
  out?: string;
  /** Rows per insert into the view's table (default 20 000). */
  rowsPerInsert?: number;
  /** Events per page read from ClickHouse (default 100 000). */
  pageRows?: number;
  /** Events from Kafka held in memory before a sorted run goes to a temporary file (default 200 000). */
  runEvents?: number;
}): Promise<BackfillResult> {
  const { view, from, to } = options;
  if (!(to > from)) throw new TributaryError('USAGE', `--to (${new Date(to).toISOString()}) must be after --from (${new Date(from).toISOString()})`);
  const warmup = options.warmupMs ?? defaultWarmupMs(view);
  const since = from - warmup;
  // Events up to one window (and the allowed lateness) past `to` still belong to windows starting before it.
  const until = to + view.sizeMs + view.allowedLatenessMs;
  const counts = { invalid: 0 };
  const logger = log('backfill');
  let sink: { write(rows: readonly ViewRow[]): Promise<void>; end(): Promise<void> };
  if (options.out) sink = new FileWriter(options.out, view);
  else {
    if (!options.store) throw new TributaryError('USAGE', 'backfill into the view table needs a store');
    sink = new TableWriter(options.store, view, `backfill/${view.table}/${formatWindowTime(from)}/${formatWindowTime(to)}`, options.rowsPerInsert);
  }
  // The engine runs synchronously; rows it closes are written between pages, in order.
  const pending: ViewRow[] = [];
  const run = new RowRun(options, (rows) => void pending.push(...rows.map((e) => e.row)));
  let events = 0;
  let rows = 0;
  const drain = async (): Promise<void> => {
    rows += pending.length;
    await sink.write(pending.splice(0));
  };
  if (options.from_ === 'kafka') {
    if (!options.brokers) throw new TributaryError('USAGE', 'backfill from Kafka needs brokers');
    // Kafka's partitions arrive interleaved: the range is sorted on the way in (see the header).
    const runs = new SortedRuns(options.runEvents);
    try {
      await readKafka(options.brokers, view, since, until, runs, counts);
      events = runs.count;
      logger.info({ view: view.name, events, invalid: counts.invalid, runsOnDisk: runs.spilled, since: new Date(since).toISOString() }, 'Read the history; computing the view.');
      for await (const chunk of runs.sorted()) {
        run.add(chunk);
        await drain();
      }
    } finally {
      runs.close();
    }
  } else {
    if (!options.store) throw new TributaryError('USAGE', 'backfill from ClickHouse needs a store');
    for await (const page of readClickHouse(options.store, view, since, until, options.pageRows)) {
      events += page.length;
      run.add(page);
      await drain();
    }
    logger.info({ view: view.name, events, since: new Date(since).toISOString() }, 'Read the history from ClickHouse page by page.');
  }
  run.end();
  await drain();
  await sink.end();
  return { events, invalid: counts.invalid, rows, target: options.out ?? view.table };
}
