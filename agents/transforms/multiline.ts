/**
 * Lines (with their byte ranges) in, records out: a stack trace from Java, Python, Node, Go or PHP becomes
 * one record (Node's report of an uncaught exception too, from its `file.js:10` line to `Node.js v20`, and a
 * Rust panic with its message and notes; PostgreSQL's report with its DETAIL, HINT, STATEMENT ... lines; RabbitMQ's lines of one message). Each record keeps the byte range from its first line's start to its last line's end,
 * so a file checkpoint can move only past complete records. A pending record is flushed when the next
 * record starts, after a timeout without new lines (time is passed in), or at a line/byte limit.
 *
 * Lines a container runtime wrapped (CRI's `<stamp> stderr F <line>`, Docker json-file's objects, as
 * the files under /var/log/containers hold them) are judged by the app's line inside: a Java trace
 * written by a pod is one record as it is in a plain file. Lines of one stream only make a record
 * together, and a part the runtime cut from a long line (CRI's `P`, a Docker line without its `\n`)
 * always takes the next part of its stream. The record's text stays the lines as the file holds them
 * (a checkpoint, and a record thread, go by the file's bytes); the parser unwraps them again
 * (parsers/container.ts).
 */
import type { Line } from './line-splitter.ts';
import { csvOpen, csvRowComma, postgresHead, postgresPart } from './parsers/postgres.ts';
import { rabbitmqHead } from './parsers/rabbitmq.ts';
import { slowLogContinues, slowLogStart } from './parsers/slow-log.ts';
import { generalLogHeader, generalLogStart } from './parsers/general-log.ts';
import { zabbixHead } from './parsers/layouts.ts';
import { containerLine, type ContainerLine } from './parsers/container.ts';
import { readTime } from './timestamp.ts';

export interface MultilineOptions {
  /**
   * A line matching this starts a new record; every other line continues the pending one.
   * Unset (and no continuePattern): built-in rules that know what each runtime prints.
   */
  startPattern?: RegExp;
  /** A line matching this continues the pending record; every other line starts a new one. */
  continuePattern?: RegExp;
  /**
   * Records start with a time stamp: under a record whose first line starts with one (any shape the
   * parser reads, also after `[` or a terminal colour), every line without one continues it (a message
   * of several lines, a dump); under a first line without one the built-in rules decide. Exclusive with
   * the patterns.
   */
  startWithStamp?: boolean;
  /** Flush a pending record after this many ms without a new line. */
  timeoutMs: number;
  /** Most lines in one record; the next line starts a new part. */
  maxLines: number;
  /** Most bytes (source encoding, terminators included) in one record. */
  maxBytes: number;
}

export const MULTILINE_DEFAULTS: Readonly<MultilineOptions> = {
  timeoutMs: 1000,
  maxLines: 500,
  maxBytes: 1024 * 1024,
};

/** Set on each piece of a record that was cut by maxLines/maxBytes: 1, 2, ... */
export const MULTILINE_PART_ATTRIBUTE = 'tributary.multiline.part';

export interface AssembledRecord {
  /** The lines joined by `\n`, blank lines before the first with text and after the last left out. */
  text: string;
  /** File offset of the first byte of the first line. */
  start: number;
  /** File offset just past the last line's terminator: where a checkpoint may move after this record. */
  end: number;
  /** How many lines went into it. */
  lines: number;
  /** Markers from the lines (long-line parts) and from assembly (multiline parts). */
  attributes?: Record<string, string>;
}

export interface MultilineStats {
  records: number;
  /** Records of more than one line. */
  multiline: number;
  /** Records flushed because no line came within timeoutMs. */
  timeouts: number;
  /** Records cut by maxLines or maxBytes. */
  cutByLimit: number;
}

type TraceKind = 'none' | 'java' | 'python' | 'python-end' | 'python-chain' | 'go' | 'jul' | 'node' | 'rust' | 'postgres' | 'rabbitmq' | 'csv' | 'slow' | 'general';

/** A stamp, maybe its zone, then a comma: the start of a CSV row of a log (`2026-11-24 10:00:00.123 UTC,"postgres",...`). */
function csvStamped(text: string): boolean {
  const t = readTime(text, 0, 'UTC', 0);
  return t !== undefined && csvRowComma(text, t.end) !== -1;
}

// Built-in continuation rules, by what runtimes print after the first line of a record.
const isIndented = (c: number): boolean => c === 32 || c === 9;
/** A `.` within the first four characters: the only lines NUMBERED_FRAME is tried on. */
const isNumberedStart = (t: string): boolean => t.charCodeAt(1) === 46 || t.charCodeAt(2) === 46 || t.charCodeAt(3) === 46;
const NONE: readonly AssembledRecord[] = Object.freeze([]);
const JAVA_CONT = /^(?:Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted)|at [\w$.<>/-]+\(.*\)$)/;
const JAVA_EXCEPTION = /^(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)(?::|$)/;
const PY_TRACEBACK = /^Traceback \(most recent call last\):\s*$/;
/** A request's protocol and status, as access lines write them: `"GET / HTTP/1.1" 200` (NCSA), `(HTTP/1.1 200)` (uWSGI). */
const ACCESS_STATUS = /HTTP\/\d(?:\.\d)?(?:" | )[1-5]\d\d\b/;
const PY_CHAIN = /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;
const PY_EXCEPTION_LINE = /^[A-Za-z_][\w.]*(?::.*)?$/;
// The first level word of a line (upper case, or a lower-case one in brackets or after `level=`), to
// tell `logger.exception`'s traceback (under its ERROR line) from an uncaught exception's printed after
// an INFO line: Python's own formats put the level first (`INFO:root:msg`, `... - INFO - msg`).
const LEVEL_WORD = /(?:^|[^A-Za-z])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|EXCEPTION)(?![A-Za-z])|\[(trace|debug|info|notice|warn|warning|error|critical|fatal)\s*\]|\blevel[=:]"?(trace|debug|info|notice|warn|warning|error|critical|fatal)\b/;
const BELOW_WARNING = new Set(['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'trace', 'debug', 'info', 'notice']);
const GO_START = /^(?:panic: |fatal error: )/;
const GO_GOROUTINE = /^goroutine \d+ \[[^\]]*\]:\s*$/;
const GO_CONT = /^(?:[\w./*()\-[\]{}]+\(.*\)$|created by |\[signal |exit status \d+$)/;
const NODE_CONT = /^(?:at .+:\d+:\d+\)?$|Node\.js v\d+)/;
// Node's report of an uncaught exception: `/app/server.js:10`, the source line and a caret under it, a
// blank line, then the error and its stack (`Error: boom`, `TypeError [ERR_X]: ...`), and the stack's
// `{ code: ... }` properties closing with `}`.
const NODE_CRASH_START = /^(?:file:\/\/)?(?:[A-Za-z]:\\)?[^\s:]+\.(?:[cm]?js|[cm]?ts|jsx|tsx):\d+$/;
// Rust's panic: `thread 'main' panicked at src/main.rs:2:5:` (Rust 1.95 here names the thread's id too:
// `thread 'main' (8020) panicked at`), the message on the next line (Rust 1.73+;
// before, in quotes on the same line), `note: run with RUST_BACKTRACE=1 ...`, or `stack backtrace:` and
// indented frames.
const RUST_PANIC = /^thread '[^']*'(?: \(\d+\))? panicked at /;
const RUST_CONT = /^(?:note: |stack backtrace:$)/;
const NODE_ERROR_LINE = /^(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[A-Z0-9_]+\])?: /;
// java.util.logging's SimpleFormatter writes two lines a record: `Dec 02, 2026 3:44:22 AM class method`, `INFO: msg`.
const JUL_START = /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M /;
const JUL_LEVEL = /^(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): /;
// PHP: `Stack trace:` then `#0 /app/x.php(12): f()` ... `#3 {main}`.
const PHP_CONT = /^(?:Stack trace:$|#\d+ (?:\/|\{main\}|\[internal))/;
// A numbered frame of a C++ stack trace (ClickHouse's: a blank line after the error, then `0. /lib/x.so(f()+0x16) [0x7f...]`
// or `0. DB::Exception::Exception(...) @ 0x... in /usr/bin/clickhouse`).
const NUMBERED_FRAME = /^\d{1,3}\. \S/;

export class MultilineAssembler {
  readonly stats: MultilineStats = { records: 0, multiline: 0, timeouts: 0, cutByLimit: 0 };
  private readonly options: MultilineOptions;
  /**
   * The pending record's lines: the first `count` slots of one array kept for the assembler's life. A
   * fresh array per record (most are one line) cost the main thread about 150 bytes of garbage per
   * line at full speed (V8 gives a pushed-to empty array room for 17).
   */
  private readonly texts: string[] = [];
  private count = 0;
  /** `push`'s answer when it completes one record (the usual case), reused: read before the next call. */
  private readonly one: AssembledRecord[] = [];
  private start = 0;
  private end = 0;
  private bytes = 0;
  private attributes: Record<string, string> | undefined;
  private lastLineAt = 0;
  private kind: TraceKind = 'none';
  /** The current record was cut by a limit and this is its part number (0: not cut). */
  private part = 0;
  /** The last non-blank line was indented (Python: the exception line follows indented frames). */
  private lastIndented = false;
  /** With startWithStamp: the pending record's first line starts with a stamp. */
  private stamped = false;
  /** Every pending line is blank. */
  private blankOnly = false;
  /** Blank lines before the pending record's first line, taken into it (their bytes, not its text). */
  private leading = 0;
  /** With kind 'postgres' or 'rabbitmq': the record's first line up to its pid, which its other lines repeat. */
  private head = '';
  /**
   * The pending record's lines are a container runtime's (`wrap` and its `stream`): `texts` then holds
   * the apps' lines (a cut line's parts joined), which the rules read, and `raws` the lines as the file
   * has them, which the record is made of.
   */
  private wrap: ContainerLine['kind'] | undefined;
  private stream = '';
  private readonly raws: string[] = [];
  private rawCount = 0;
  /**
   * The parts so far of a line the runtime cut (CRI's `P`, a Docker line without `\n`), after the
   * pending record: whether the line continues that record is known only once it is whole.
   */
  private held: Array<{ line: Line; w: ContainerLine }> = [];
  private heldBytes = 0;

  constructor(options: Partial<MultilineOptions> = {}) {
    this.options = { ...MULTILINE_DEFAULTS, ...options };
    if (this.options.startPattern && this.options.continuePattern) {
      throw new Error('multiline: set start_pattern or continue_pattern, not both');
    }
    if (this.options.startWithStamp && (this.options.startPattern || this.options.continuePattern)) {
      throw new Error('multiline: start_with_stamp replaces start_pattern and continue_pattern; set one of them');
    }
  }

  /** Offset of the first byte of the pending record, or undefined when nothing is pending. */
  get pendingStart(): number | undefined {
    return this.count > 0 ? this.start : this.held.length > 0 ? this.held[0]!.line.start : undefined;
  }

  /** When `poll` would flush the pending record; undefined when nothing is pending. */
  get deadline(): number | undefined {
    return this.count > 0 || this.held.length > 0 ? this.lastLineAt + this.options.timeoutMs : undefined;
  }

  /**
   * Adds one line read at time `now` (ms); returns the records it completed (0 or 1). The array is the
   * assembler's own, read-only and valid until the next call: take its records before pushing again.
   */
  push(line: Line, now: number): readonly AssembledRecord[] {
    const w = containerLine(line.text);
    if (this.held.length === 0 && (w === undefined || !w.partial)) return this.pushLine(line, w, w === undefined ? line.text : w.inner, now);
    // A cut line's parts wait until it is whole (or another stream's line, or too many bytes, ends it).
    let out: readonly AssembledRecord[] = NONE;
    const h = this.held[0];
    if (h !== undefined && (w === undefined || w.kind !== h.w.kind || w.stream !== h.w.stream)) {
      out = [...this.pushHeld(now)];
      const more = w !== undefined && w.partial ? NONE : this.pushLine(line, w, w === undefined ? line.text : w.inner, now);
      if (more.length > 0) out = [...out, ...more];
      if (more !== NONE || w === undefined || !w.partial) return out;
    }
    this.held.push({ line, w: w! });
    this.heldBytes += line.end - line.start;
    this.lastLineAt = now;
    if (w!.partial && this.heldBytes <= this.options.maxBytes) return out;
    const done = this.pushHeld(now);
    return out.length === 0 ? done : [...out, ...done];
  }

  /** The held parts as one line: judged by their texts together, their file lines kept one by one. */
  private pushHeld(now: number): readonly AssembledRecord[] {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    let text = '';
    for (const h of held) text += h.w.inner;
    const first = held[0]!;
    const out = this.pushLine(first.line, first.w, text, now);
    for (let i = 1; i < held.length; i++) {
      const { line } = held[i]!;
      this.raws[this.rawCount++] = line.text;
      this.end = line.end;
      this.bytes += line.end - line.start;
      if (line.attributes !== undefined) this.attributes = { ...this.attributes, ...line.attributes };
    }
    return out;
  }

  /** One line (the app's `text` inside wrapper `w`, if any; a cut line's parts joined) into the pending record or a new one. */
  private pushLine(line: Line, w: ContainerLine | undefined, text: string, now: number): readonly AssembledRecord[] {
    // Most lines complete the one record before them: no array made for the lines that complete none.
    let out: readonly AssembledRecord[] = NONE;
    const size = line.end - line.start;
    if (this.count > 0 && this.continuesLine(text, w)) {
      if (this.count + 1 > this.options.maxLines || this.bytes + size > this.options.maxBytes) {
        // Too big: cut here; the rest goes on as the next part of the same logical record.
        this.stats.cutByLimit++;
        if (this.part === 0) this.part = 1;
        const kind = this.kind;
        const part = this.part;
        out = this.completed(this.take());
        this.part = part + 1;
        this.kind = kind;
        this.noteWrap(w);
      }
    } else if (this.count > 0) {
      if (this.blankOnly) {
        // Blank lines before a record's first line (Elixir's format writes one before every entry) are the
        // record's own bytes, not a record of their own: an empty record per entry once entries come apart.
        this.leading = this.count;
        this.clearTexts();
      } else {
        out = this.completed(this.take());
      }
      this.kind = 'none';
      this.noteStart(text);
      this.noteWrap(w);
    } else {
      this.noteStart(text);
      this.noteWrap(w);
    }
    this.add(line, size, text, w);
    this.lastLineAt = now;
    return out;
  }

  /** Flushes the pending record if no line came for timeoutMs. Call it from a timer. */
  poll(now: number): AssembledRecord[] {
    if ((this.count === 0 && this.held.length === 0) || now - this.lastLineAt < this.options.timeoutMs) return [];
    this.stats.timeouts++;
    return this.flush();
  }

  /** Flushes the pending record now (end of input, shutdown), and a cut line's parts that wait for the rest. */
  flush(): AssembledRecord[] {
    const out = this.held.length > 0 ? [...this.pushHeld(this.lastLineAt)] : [];
    if (this.count === 0) return out;
    const r = this.take();
    this.kind = 'none';
    out.push(r);
    return out;
  }

  private completed(r: AssembledRecord): readonly AssembledRecord[] {
    this.one[0] = r;
    return this.one;
  }

  /** The wrapper of a record's first line. */
  private noteWrap(w: ContainerLine | undefined): void {
    this.wrap = w?.kind;
    this.stream = w === undefined ? '' : w.stream;
  }

  /** Whether a line (`text`, the app's line inside wrapper `w`) continues the pending record: only a line of the same runtime and stream. */
  private continuesLine(text: string, w: ContainerLine | undefined): boolean {
    if (w === undefined ? this.wrap !== undefined : w.kind !== this.wrap || w.stream !== this.stream) return false;
    return this.continues(text);
  }

  private add(line: Line, size: number, text: string, w: ContainerLine | undefined): void {
    // The file's line for the record; the app's line for the rules.
    if (w !== undefined) this.raws[this.rawCount++] = line.text;
    if (this.count === 0) {
      // After blank lines taken in (push), the record starts where they did.
      if (this.leading === 0) {
        this.start = line.start;
        this.bytes = 0;
      }
      this.blankOnly = line.text === '';
    } else if (line.text !== '') {
      this.blankOnly = false;
    }
    this.texts[this.count++] = text;
    this.end = line.end;
    this.bytes += size;
    if (text !== '') this.lastIndented = isIndented(text.charCodeAt(0));
    if (line.attributes !== undefined) this.attributes = { ...this.attributes, ...line.attributes };
  }

  /** Lets go of the pending lines' texts (a line's text can hold its decoded run of the file alive). */
  private clearTexts(): void {
    for (let i = 0; i < this.count; i++) this.texts[i] = '';
    this.count = 0;
    for (let i = 0; i < this.rawCount; i++) this.raws[i] = '';
    this.rawCount = 0;
  }

  private take(): AssembledRecord {
    const count = this.count;
    const lines = count + this.leading;
    let n = count;
    while (n > 1 && this.texts[n - 1] === '') n--;
    // Blank lines before the first line with text are left out too (a record a pattern let start blank).
    let f = 0;
    while (f < n - 1 && this.texts[f] === '') f++;
    const raws = this.rawCount;
    // A runtime's lines: the record is the file's lines (never blank: each has its wrapper).
    const text = raws > 0 ? (raws === 1 ? this.raws[0]! : this.raws.slice(0, raws).join('\n')) : n - f === 1 ? this.texts[f]! : this.texts.slice(f, n).join('\n');
    this.leading = 0;
    const rec: AssembledRecord = { text, start: this.start, end: this.end, lines: raws > 0 ? raws : lines };
    let attributes = this.attributes;
    if (this.part > 0) attributes = { ...attributes, [MULTILINE_PART_ATTRIBUTE]: String(this.part) };
    if (attributes !== undefined) rec.attributes = attributes;
    this.stats.records++;
    if (lines > 1) this.stats.multiline++;
    // The slots let go of their texts (a line's text can hold its decoded run of the file alive).
    for (let i = 0; i < count; i++) this.texts[i] = '';
    if (count > 64) this.texts.length = 64;
    this.count = 0;
    if (raws > 0) {
      for (let i = 0; i < raws; i++) this.raws[i] = '';
      if (raws > 64) this.raws.length = 64;
      this.rawCount = 0;
    }
    this.wrap = undefined;
    this.attributes = undefined;
    this.part = 0;
    this.lastIndented = false;
    return rec;
  }

  /** Remembers what kind of trace a record's first line opens. */
  private noteStart(text: string): void {
    if (this.options.startWithStamp) this.stamped = startsWithStamp(text);
    // Every record's first line comes here: the patterns are tried only on lines starting as they do.
    const c = text.charCodeAt(0);
    if (c === 112 /* p */ || c === 102 /* f */) this.kind = GO_START.test(text) ? 'go' : c === 102 && NODE_CRASH_START.test(text) ? 'node' : 'none';
    else if (c === 47 /* / */ || (c >= 65 && c <= 90 && text.charCodeAt(1) === 58)) this.kind = NODE_CRASH_START.test(text) ? 'node' : 'none';
    else if (c === 103 /* g */) this.kind = GO_GOROUTINE.test(text) ? 'go' : 'none';
    else if (c === 84 /* T */) this.kind = PY_TRACEBACK.test(text) ? 'python' : 'none';
    else if (c === 116 /* t */) this.kind = RUST_PANIC.test(text) ? 'rust' : 'none';
    // A month's abbreviation, a day and a comma: the rest is looked at only then (syslog's `Nov 24 10:00` has none).
    else if (c >= 65 && c <= 90 && (text.charCodeAt(6) === 44 || text.charCodeAt(5) === 44)) this.kind = JUL_START.test(text) ? 'jul' : 'none';
    else if (c >= 48 && c <= 57) {
      // A general query log's entry (MariaDB, MySQL): its statement's lines, whatever they start with.
      if (generalLogStart(text)) {
        this.kind = 'general';
        return;
      }
      // A prefix the record's later lines repeat: PostgreSQL's report, RabbitMQ's message.
      const pg = postgresHead(text);
      const rabbit = pg === '' ? rabbitmqHead(text) : '';
      this.head = pg !== '' ? pg : rabbit;
      // A CSV row (PostgreSQL's csvlog) whose quoted field goes on on the next line.
      this.kind = pg !== '' ? 'postgres' : rabbit !== '' ? 'rabbitmq' : text.indexOf('"') !== -1 && csvStamped(text) && csvOpen(text) ? 'csv' : 'none';
    }
    // A slow query log's entry: its header lines and the statement, whatever the statement's lines start with.
    else if (c === 35 /* # */) this.kind = slowLogStart(text) ? 'slow' : 'none';
    else if (c === 9) this.kind = generalLogStart(text) ? 'general' : 'none';
    else this.kind = 'none';
  }

  /**
   * Whether a `Traceback (most recent call last):` line starts a record instead of joining the pending
   * one. It belongs to the record before it (logging's `exception()` prints it under its message)
   * unless that record is a whole traceback already (an exception line ended it, and no `During
   * handling of ...` line chains this one to it), or a line logged below WARNING (what an uncaught
   * exception prints after the program's last log line) that does not end with a colon announcing it
   * (certbot's `DEBUG:...:Exiting abnormally:`), or a request's access line, which is whole when written
   * (uWSGI prints a request's traceback before its line).
   */
  private tracebackStartsRecord(): boolean {
    if (this.kind === 'python-end') return true;
    if (this.kind === 'python' || this.kind === 'python-chain') return false;
    const first = this.texts[0]!;
    if (ACCESS_STATUS.test(first)) return true;
    return belowWarning(first) && !this.texts[this.count - 1]!.trimEnd().endsWith(':');
  }

  /** Whether `text` continues the pending record. */
  private continues(text: string): boolean {
    const { startPattern, continuePattern } = this.options;
    if (startPattern !== undefined) return !startPattern.test(text);
    if (continuePattern !== undefined) return continuePattern.test(text);
    if (this.kind === 'slow') return slowLogContinues(text, this.texts[this.count - 1]!);
    if (this.kind === 'general') return !generalLogStart(text) && !generalLogHeader(text);
    if (this.kind === 'csv') {
      // Every line until the quote closes, whatever it starts with (a quoted value can hold anything).
      if (csvOpen(text)) this.kind = 'none';
      return true;
    }
    if (text === '') return true;
    if (this.stamped) return !startsWithStamp(text) && text.charCodeAt(0) !== 123 /* { */;
    const c = text.charCodeAt(0);
    if (c === 32 || c === 9) {
      // A general query log's entry MariaDB wrote without a time starts with tabs.
      if (c === 9 && generalLogStart(text)) return false;
      // Zabbix right-aligns the pid that starts each of its lines (`  4768:20261206:062431.948 msg`).
      if (c === 32 && text.charCodeAt(6) === 58 && zabbixHead(text)) return false;
      if (this.kind === 'python-end' || this.kind === 'python-chain') this.kind = 'python';
      return true;
    }
    // Node's crash report: the source line under `/app/server.js:10`, as it is in the file (at column 0 too).
    if (this.kind === 'node' && this.count === 1) return true;
    // MySQL and MariaDB print their version and socket on the line under `ready for connections.`.
    if (c === 86 /* V */ && text.startsWith("Version: '") && this.texts[this.count - 1]!.endsWith('ready for connections.')) return true;
    // Digits, `{`, `<`: timestamps, JSON and syslog start records (but PostgreSQL's DETAIL, HINT, ...
    // under the prefix of the report they belong to); only Go's `[signal` starts with `[`.
    if (c >= 48 && c <= 57) {
      if (this.kind === 'postgres') return postgresPart(text, this.head) !== -1;
      // RabbitMQ repeats the whole prefix, to the microsecond and the process, on each line of one message.
      if (this.kind === 'rabbitmq') return text.startsWith(this.head);
      // A numbered frame continues only after a blank line or another frame (a stamp has 4 digits before its first dot).
      const prev = this.texts[this.count - 1]!;
      return (prev === '' || (isNumberedStart(prev) && NUMBERED_FRAME.test(prev))) && isNumberedStart(text) && NUMBERED_FRAME.test(text);
    }
    if (c === 123 || c === 60) return false;
    // The level line under java.util.logging's stamp line (the stack trace after it is indented).
    if (this.kind === 'jul' && this.count === 1 && JUL_LEVEL.test(text)) return true;
    if (JAVA_CONT.test(text)) {
      this.kind = 'java';
      return true;
    }
    if (PY_TRACEBACK.test(text)) {
      if (this.tracebackStartsRecord()) return false;
      this.kind = 'python';
      return true;
    }
    if (PY_CHAIN.test(text) && (this.kind === 'python' || this.kind === 'python-end')) {
      this.kind = 'python-chain';
      return true;
    }
    if (this.kind === 'python' && this.lastIndented && PY_EXCEPTION_LINE.test(text)) {
      this.kind = 'python-end';
      return true;
    }
    if (GO_GOROUTINE.test(text)) {
      this.kind = 'go';
      return true;
    }
    if (this.kind === 'go' && GO_CONT.test(text)) return true;
    if (this.kind === 'node' && (NODE_ERROR_LINE.test(text) || text === '}')) return true;
    // The message line right under `panicked at ...:` (it may start like anything), then Rust's notes.
    if (this.kind === 'rust' && ((this.count === 1 && this.texts[0]!.endsWith(':')) || RUST_CONT.test(text))) return true;
    if (JAVA_EXCEPTION.test(text)) {
      this.kind = 'java';
      return true;
    }
    return NODE_CONT.test(text) || PHP_CONT.test(text);
  }
}

/** A terminal's colour or style (`ESC [ 2 m`), as loggers write them before a stamp. */
const ANSI_AT_START = /^(?:\x1b\[[0-9;]*m)+/;

/** Whether a line starts with a time stamp the parser reads: at its start, after `[`, or after colour escapes. */
export function startsWithStamp(text: string): boolean {
  let at = 0;
  if (text.charCodeAt(0) === 27) {
    const m = ANSI_AT_START.exec(text);
    if (m === null) return false;
    at = m[0].length;
  }
  if (text.charCodeAt(at) === 91 /* [ */) at++;
  const c = text.charCodeAt(at);
  // A digit or a capital (`Nov 24 10:00:00`, `Sat Jul 20 ...`): every stamp starts with one.
  if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return false;
  const t = readTime(text, at, 'UTC', Date.now());
  if (t === undefined) return false;
  const e = text.charCodeAt(t.end);
  // Followed by what follows a stamp in a header: a blank, a bracket, a separator, or the end.
  return t.end >= text.length || e === 32 || e === 9 || e === 93 || e === 44 || e === 124 || e === 58 || e === 27;
}

/** Whether a record's first line names a level below WARNING before any other (see LEVEL_WORD). */
function belowWarning(line: string): boolean {
  const m = LEVEL_WORD.exec(line.length > 200 ? line.slice(0, 200) : line);
  return m !== null && BELOW_WARNING.has((m[1] ?? m[2] ?? m[3])!);
}
