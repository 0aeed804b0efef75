/**
 * The systemd journal, read as Vector's and the OpenTelemetry Collector's journald inputs read it:
 * through `journalctl -o json --follow` (the journal's file format is systemd's own; journalctl is
 * its reader), from the cursor after the last entry Kafka acknowledged, kept in the state folder
 * (written after each acknowledged batch, as file checkpoints are). An agent stopped or killed starts
 * again after that entry: nothing is skipped, and what was sent but not acknowledged is sent again.
 *
 * Each entry's MESSAGE goes through the source's parser (a service writing JSON or logfmt to stdout is
 * read like a file of it); the journal's own fields fill in what the message does not say: the time
 * (`_SOURCE_REALTIME_TIMESTAMP`, else `__REALTIME_TIMESTAMP`, microseconds), the host (`_HOSTNAME`),
 * the service (`SYSLOG_IDENTIFIER`, else the unit; a source's `service` wins) and the severity
 * (`PRIORITY`, a syslog severity, unless the message names a level itself; journald gives everything
 * a service prints on stdout priority 6 unless its unit says otherwise, so a level inferred from the
 * text beats a 6). Unit, process, code location and Docker's journald driver's container fields become
 * attributes with OpenTelemetry's names; fields an application set itself (sd_journal_send) are kept
 * as they are; the journal's other trusted fields (`_CMDLINE`, capabilities, ids) are left out.
 *
 * While the sink has no room journalctl's output is not read, and the pipe stops journalctl. If
 * journalctl ends (the journal rotated under it, a crash) it is started again after the last entry read.
 *
 * Docker's journald log driver cuts a line longer than 16 KiB into entries (CONTAINER_PARTIAL_MESSAGE
 * on all but the last; since Docker 20.10 CONTAINER_PARTIAL_ID, _ORDINAL and _LAST on every one): they
 * are held and joined into one record with the first part's time and fields, as the Forward intake
 * joins the fluentd driver's parts. The cursor kept stays before a held line's first part, so an agent
 * stopped mid-line reads the whole line again at its next start (records of the entries after that
 * part are then sent again). A line unfinished after PARTIAL_WAIT_MS or past MAX_PARTIAL_BYTES goes out
 * as far as it came, marked `log.partial`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord } from '../../core/contracts/records.ts';
import { severityFromSyslog } from '../transforms/severity.ts';
import { SYSLOG_FACILITIES } from '../transforms/parsers/syslog.ts';
import { isoOf } from '../record-builder.ts';
import { writeDurably } from '../checkpoints.ts';
import type { AgentEvent, RawLine, Source, SourceContext } from '../source.ts';
import { resolve } from 'node:path';
import { checkParsing, parserSchema, str, stringMap } from '../config-schema.ts';
import type { ParserConfig } from '../transforms/parsers/index.ts';
import { defineSource } from './definition.ts';

export interface JournaldSourceOptions {
  /** Service for entries that name none; with `serviceFromEntry` false, for every entry. */
  service: string;
  /** The source names no service: an entry's SYSLOG_IDENTIFIER or unit is its service. */
  serviceFromEntry: boolean;
  /** The agent's host, for entries without `_HOSTNAME`. */
  hostName: string;
  /** Where the cursor is kept. */
  stateDir: string;
  /** A journal folder to read instead of the system's (`journalctl --directory`). */
  directory?: string;
  /** Only these units (`journalctl --unit`, any of them). */
  units?: string[];
  /** Only these SYSLOG_IDENTIFIERs (`journalctl --identifier`, any of them). */
  identifiers?: string[];
  /** Entries of this priority or more severe (0-7, `journalctl --priority`). */
  maxPriority?: number;
  /** Without a cursor: from the oldest entry kept, or only entries written from now on. */
  startAt: 'beginning' | 'end';
  journalctl?: string;
  attributes?: Record<string, string>;
  toRecord?: (line: RawLine) => LogRecord;
  maxBatchLines?: number;
  /** How long a long line's parts wait for its last one (PARTIAL_WAIT_MS). */
  partialWaitMs?: number;
}

type Entry = Record<string, unknown>;

/** How long a long line's parts wait for the last one, and the most bytes of one line held. */
export const PARTIAL_WAIT_MS = 5000;
export const MAX_PARTIAL_BYTES = 8 * 1024 * 1024;
const PARTIAL_FIELDS = ['CONTAINER_PARTIAL_MESSAGE', 'CONTAINER_PARTIAL_ID', 'CONTAINER_PARTIAL_ORDINAL', 'CONTAINER_PARTIAL_LAST'];

/** A long line's parts so far: the first part's entry, the texts, and the cursor to keep while they are held (that of the entry before the first). */
interface HeldLine {
  entry: Entry;
  texts: string[];
  bytes: number;
  since: number;
  before: string | undefined;
}

/** Trusted and well-known journal fields kept, under OpenTelemetry's names (or the syslog parser's). */
const FIELD_NAMES: Record<string, string> = {
  _SYSTEMD_UNIT: 'systemd.unit',
  _SYSTEMD_USER_UNIT: 'systemd.user_unit',
  SYSLOG_IDENTIFIER: 'syslog.appname',
  _PID: 'process.pid',
  _COMM: 'process.command',
  _EXE: 'process.executable.path',
  _TRANSPORT: 'journald.transport',
  CODE_FILE: 'code.file.path',
  CODE_LINE: 'code.line.number',
  CODE_FUNC: 'code.function.name',
  CONTAINER_NAME: 'container.name',
  CONTAINER_ID_FULL: 'container.id',
  IMAGE_NAME: 'container.image.name',
  CONTAINER_TAG: 'container.tag',
};
/** Read into the record's own fields, or repeated elsewhere. */
// CONTAINER_LOG_EPOCH and CONTAINER_LOG_ORDINAL: Docker's (23+) bookkeeping for `docker logs --follow`,
// a sequence number per entry that would make each record's attributes unique.
const CONSUMED = new Set(['MESSAGE', 'PRIORITY', 'SYSLOG_FACILITY', 'SYSLOG_PID', 'SYSLOG_TIMESTAMP', 'CONTAINER_ID', 'SYSLOG_RAW', 'CONTAINER_LOG_EPOCH', 'CONTAINER_LOG_ORDINAL']);

/** A field's value as text: journalctl writes bytes that are not UTF-8 as an array of numbers, and a field given several times as an array. */
export function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('utf8');
    const first = v.find((x) => typeof x === 'string' || Array.isArray(x));
    return first === undefined ? undefined : fieldText(first);
  }
  return undefined;
}

export function journalctlArgs(o: Pick<JournaldSourceOptions, 'directory' | 'units' | 'identifiers' | 'maxPriority' | 'startAt'>, cursor: string | undefined): string[] {
  // --all: long and unprintable fields too (journalctl leaves fields over 4 KiB out without it).
  // Not --quiet: journalctl says on stderr when it cannot see every journal (a user outside the
  // systemd-journal group sees only their own), which the agent passes on.
  const args = ['--output=json', '--all', '--follow', '--no-pager'];
  if (o.directory !== undefined) args.push(`--directory=${o.directory}`);
  for (const u of o.units ?? []) args.push(`--unit=${u}`);
  for (const t of o.identifiers ?? []) args.push(`--identifier=${t}`);
  if (o.maxPriority !== undefined) args.push(`--priority=${o.maxPriority}`);
  // --follow alone would start with the last 10 entries.
  if (cursor !== undefined) args.push(`--after-cursor=${cursor}`, '--lines=all');
  else args.push(o.startAt === 'end' ? '--lines=0' : '--lines=all');
  return args;
}

export class JournaldSource implements Source {
  readonly stats = { entries: 0, bytes: 0, restarts: 0, badEntries: 0, partial_parts: 0, partial_lines: 0, partial_unfinished: 0 };
  /** Docker's long lines being joined, by CONTAINER_PARTIAL_ID (or container and priority, before Docker 20.10); oldest first. */
  private readonly held = new Map<string, HeldLine>();
  private child?: ChildProcess;
  private stopped = false;
  private pending: AgentEvent[] = [];
  private pendingCursor: string | undefined;
  /** The cursor of the last entry read (journalctl restarts after it) and of the last one acknowledged (kept). */
  private readCursor: string | undefined;
  private savedCursor: string | undefined;
  private saving: Promise<void> = Promise.resolve();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private timer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private ctx?: SourceContext;
  private readonly cursorPath: string;

  constructor(
    readonly name: string,
    private readonly o: JournaldSourceOptions,
  ) {
    this.cursorPath = join(o.stateDir, `journald-${name.replace(/[^\w.-]/g, '_')}.cursor`);
  }

  /** The cursor kept for the next start (undefined before the first acknowledged entry). */
  get cursor(): string | undefined {
    return this.savedCursor;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    try {
      const text = readFileSync(this.cursorPath, 'utf8').trim();
      if (text !== '') this.savedCursor = this.readCursor = text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.log.warn({ path: this.cursorPath, err: (err as Error).message }, 'The journal cursor cannot be read; reading starts as for a first run (start_at).');
    }
    this.timer = setInterval(() => void this.flush(), 50);
    this.spawn();
    ctx.log.info({ directory: this.o.directory ?? '(the system journal)', after: this.readCursor ? 'the kept cursor' : this.o.startAt }, 'Reading the journal.');
  }

  private spawn(): void {
    const ctx = this.ctx!;
    const args = journalctlArgs(this.o, this.readCursor);
    const child = spawn(this.o.journalctl ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let rest = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.stats.bytes += Buffer.byteLength(chunk);
      const text = rest + chunk;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        this.add(text.slice(from, nl));
        from = nl + 1;
      }
      rest = text.slice(from);
      if (this.pending.length >= (this.o.maxBatchLines ?? 1000)) void this.flush();
      // The sink holds two batches: stop reading, and the full pipe stops journalctl.
      if (this.queued >= 2) child.stdout!.pause();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length >= 4000) return;
      stderr += s;
      // What journalctl says while it runs: a journal it cannot read, most often (said once per start).
      ctx.log.warn({ journalctl: s.trim().slice(0, 1000) }, 'journalctl reports a problem reading the journal.');
    });
    child.on('error', (err) => {
      ctx.log.error({ err: err.message, command: this.o.journalctl ?? 'journalctl' }, 'journalctl could not be started; the journal is not read (is systemd\'s journalctl installed?). Trying again in 5 s.');
    });
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      this.stats.restarts++;
      ctx.log.warn({ code, signal, stderr: stderr.trim().slice(0, 1000) }, 'journalctl ended; it is started again after the last entry read.');
      this.restartTimer = setTimeout(() => this.spawn(), code === null ? 1000 : 5000);
    });
  }

  private add(line: string): void {
    if (line === '') return;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      this.stats.badEntries++;
      return;
    }
    const cursor = fieldText(entry.__CURSOR);
    this.stats.entries++;
    const before = this.readCursor;
    if (cursor !== undefined) this.pendingCursor = this.readCursor = cursor;
    const cut = fieldText(entry.CONTAINER_PARTIAL_MESSAGE) === 'true';
    if (cut || this.held.size > 0) {
      const key = partKey(entry);
      const held = this.held.get(key);
      if (cut) {
        const text = fieldText(entry.MESSAGE) ?? '';
        this.stats.partial_parts++;
        if (held) {
          held.texts.push(text);
          held.bytes += text.length;
        } else {
          this.held.set(key, { entry, texts: [text], bytes: text.length, since: Date.now(), before });
        }
        const line = this.held.get(key)!;
        if (line.bytes > MAX_PARTIAL_BYTES) this.letGo(key, line);
        return;
      }
      if (held) {
        // The line's last part: one record of them all, with the first part's time and fields.
        this.held.delete(key);
        this.stats.partial_parts++;
        this.stats.partial_lines++;
        held.texts.push(fieldText(entry.MESSAGE) ?? '');
        this.push(joined(held));
        return;
      }
    }
    this.push(entry);
  }

  private push(entry: Entry, partial = false): void {
    const record = recordOf(entry, this.o, this.o.toRecord ?? this.ctx!.toRecord);
    if (partial) record.attributes['log.partial'] = 'true';
    this.pending.push({ type: 'log', record });
  }

  /** Ships a held line as far as it came (its last part late or never coming, or too long). */
  private letGo(key: string, line: HeldLine): void {
    this.held.delete(key);
    this.stats.partial_unfinished++;
    this.push(joined(line), true);
  }

  /** The cursor to keep after the entries read so far: before the oldest held line's first part, while one is held. */
  private safeCursor(): string | undefined {
    for (const line of this.held.values()) return line.before ?? this.savedCursor;
    return this.pendingCursor;
  }

  private flush(): Promise<void> {
    if (this.held.size > 0) {
      const now = Date.now();
      for (const [key, line] of this.held) if (now - line.since >= (this.o.partialWaitMs ?? PARTIAL_WAIT_MS)) this.letGo(key, line);
    }
    if (this.pending.length === 0 || !this.ctx) return this.chain;
    const events = this.pending;
    const cursor = this.safeCursor();
    const ctx = this.ctx;
    this.pending = [];
    this.queued++;
    // Batches go to the sink in journal order; the cursor moves once Kafka acknowledged a batch.
    this.chain = this.chain.then(async () => {
      try {
        await ctx.emit({ events, onDelivered: () => cursor !== undefined && this.save(cursor) });
      } catch (err) {
        ctx.log.error({ err: (err as Error).message, records: events.length }, 'The sink refused a batch of the journal.');
      } finally {
        this.queued--;
        if (this.queued < 2) this.child?.stdout?.resume();
      }
    });
    return this.chain;
  }

  private save(cursor: string): void {
    this.savedCursor = cursor;
    // One write at a time, each of the newest cursor: a slow disk costs writes, not order.
    this.saving = this.saving.then(async () => {
      if (this.savedCursor !== cursor) return;
      try {
        await writeDurably(this.cursorPath, `${cursor}\n`);
      } catch (err) {
        this.ctx?.log.error({ path: this.cursorPath, err: (err as Error).message }, 'The journal cursor cannot be written; a restart reads again from the last one written.');
      }
    });
  }

  async pause(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.timer) clearInterval(this.timer);
    const child = this.child;
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    await this.flush();
  }

  async stop(): Promise<void> {
    if (!this.stopped) await this.pause();
    await this.saving;
  }
}

/** Which long line a part belongs to: Docker 20.10's id, else (older Dockers) its container and stream (stdout and stderr differ in PRIORITY). */
function partKey(entry: Entry): string {
  const id = fieldText(entry.CONTAINER_PARTIAL_ID);
  if (id !== undefined) return `id ${id}`;
  return `${fieldText(entry.CONTAINER_ID_FULL) ?? fieldText(entry.CONTAINER_ID) ?? fieldText(entry._PID) ?? ''} ${fieldText(entry.PRIORITY) ?? ''}`;
}

/** A held line as one entry: the first part's fields, the parts' texts as its MESSAGE, without the partial fields. */
function joined(line: HeldLine): Entry {
  const entry: Entry = { ...line.entry, MESSAGE: line.texts.join('') };
  for (const f of PARTIAL_FIELDS) delete entry[f];
  return entry;
}

/** One journal entry as a log record: its MESSAGE through the parser, the journal's fields around it. */
export function recordOf(entry: Entry, o: Pick<JournaldSourceOptions, 'service' | 'serviceFromEntry' | 'hostName' | 'attributes'>, toRecord: (line: RawLine) => LogRecord): LogRecord {
  const attributes: Record<string, string> = { ...o.attributes };
  for (const key of Object.keys(entry)) {
    if (CONSUMED.has(key)) continue;
    const named = FIELD_NAMES[key];
    // Trusted fields (`_X`) and the journal's own (`__X`) only when named above.
    if (named === undefined && key.charCodeAt(0) === 95 /* _ */) continue;
    const v = fieldText(entry[key]);
    if (v !== undefined) attributes[named ?? key] = v;
  }
  if (attributes['container.id'] === undefined) {
    const short = fieldText(entry.CONTAINER_ID);
    if (short !== undefined) attributes['container.id'] = short;
  }
  const facility = Number(fieldText(entry.SYSLOG_FACILITY));
  if (Number.isInteger(facility) && SYSLOG_FACILITIES[facility] !== undefined) attributes['syslog.facility'] = SYSLOG_FACILITIES[facility]!;
  const unit = fieldText(entry._SYSTEMD_UNIT) ?? fieldText(entry._SYSTEMD_USER_UNIT);
  const service = o.serviceFromEntry ? (fieldText(entry.SYSLOG_IDENTIFIER) ?? unit?.replace(/\.service$/, '') ?? o.service) : o.service;
  const observedMs = Date.now();
  const record = toRecord({
    text: fieldText(entry.MESSAGE) ?? '',
    origin: { kind: 'journald' },
    service,
    host: fieldText(entry._HOSTNAME) ?? o.hostName,
    observedMs,
    attributes,
  });
  // The message's own time wins; else when the program wrote it, else when journald received it.
  if (record.time === record.observed_time) {
    const us = Number(fieldText(entry._SOURCE_REALTIME_TIMESTAMP) ?? fieldText(entry.__REALTIME_TIMESTAMP));
    if (Number.isFinite(us) && us > 0) record.time = isoOf(us / 1000);
  }
  const priority = Number(fieldText(entry.PRIORITY));
  if (Number.isInteger(priority) && priority >= 0 && priority <= 7) {
    const inferred = record.attributes['severity.inferred'] === 'true';
    // A level the message names wins; a priority other than journald's default beats a guess from the text.
    if (record.severity_number === 0 || (inferred && priority !== 6)) {
      const sev = severityFromSyslog(priority);
      record.severity_text = sev.text;
      record.severity_number = sev.number;
      if (inferred) delete record.attributes['severity.inferred'];
    }
  }
  return record;
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

/** `priority` as a word or a digit: its index modulo 8 is the syslog severity. */
const PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', '0', '1', '2', '3', '4', '5', '6', '7'];

export interface JournaldSourceConfig {
  type: 'journald';
  directory?: string;
  units: string[];
  identifiers: string[];
  priority?: string;
  start_at: 'beginning' | 'end';
  journalctl_path: string;
  parser: ParserConfig;
  time_zone: string;
  service?: string;
  attributes: Record<string, string>;
}

export const journaldSourceDefinition = defineSource<JournaldSourceConfig>({
  type: 'journald',
  description: 'The systemd journal, through journalctl, from the cursor after the last entry Kafka acknowledged.',
  properties: {
      directory: str('A journal folder to read instead of the system\'s (a host\'s /var/log/journal mounted into a container, say).', { minLength: 1 }),
      units: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Only entries of these systemd units (journalctl --unit; any of them). Empty: every unit.' },
      identifiers: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Only entries with these SYSLOG_IDENTIFIERs (journalctl --identifier; any of them). Empty: every one.' },
      priority: str('Only entries of this priority or more severe: emerg, alert, crit, err, warning, notice, info or debug (0-7). Default: every entry.', { enum: PRIORITIES }),
      start_at: str('Where to start without a kept cursor (a first run): end (default: entries written from now on; the journal keeps weeks) or beginning (every entry it keeps).', { enum: ['beginning', 'end'], default: 'end' }),
      journalctl_path: str('The journalctl to run.', { default: 'journalctl', minLength: 1 }),
      service: str('Service name for every record of this source (default: each entry\'s SYSLOG_IDENTIFIER, else its unit, else service.name); a service named by the message itself wins.', { minLength: 1 }),
      attributes: stringMap('Attributes added to every record of this source.'),
      parser: parserSchema(),
      time_zone: str('IANA time zone for timestamps written without an offset in messages.', { default: 'UTC' }),
  },
  resolvePaths(src, baseDir) {
    if (src.directory !== undefined) src.directory = resolve(baseDir, src.directory);
  },
  check: (src, path, issues) => checkParsing(src, path, issues),
  create: (src, ctx) =>
    new JournaldSource(ctx.name, {
      service: ctx.service,
      serviceFromEntry: !ctx.serviceNamed,
      hostName: ctx.host,
      stateDir: ctx.stateDir,
      directory: src.directory,
      units: src.units,
      identifiers: src.identifiers,
      maxPriority: src.priority === undefined ? undefined : PRIORITIES.indexOf(src.priority) % 8,
      startAt: src.start_at,
      journalctl: src.journalctl_path,
      attributes: src.attributes,
      toRecord: ctx.recordBuilder(src),
    }),
  describe: (src) => `${src.directory ?? 'the system journal'}${src.units.length > 0 ? ` (units ${src.units.join(', ')})` : ''}`,
});
