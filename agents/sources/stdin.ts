/**
 * stdin source: `some-service | tributary agent --service some-service`. Bytes from standard input go
 * through the same line splitter (encodings, long lines) and multiline assembler as files, then
 * become records; the source ends when stdin closes, after the last partial line was sent.
 */
import type { AgentEvent, RawLine, Source, SourceContext } from '../source.ts';
import type { LogRecord } from '../../core/contracts/records.ts';
import { LineSplitter, type Encoding, type Line } from '../transforms/line-splitter.ts';
import { MultilineAssembler, type MultilineOptions } from '../transforms/multiline.ts';
import { checkLineSource, lineSourceCommon, multilineOptions, type LineSourceCommon } from '../config-schema.ts';
import { defineSource } from './definition.ts';

export interface StdinSourceOptions {
  service: string;
  host: string;
  maxBatchLines?: number;
  input?: NodeJS.ReadableStream;
  /** The file `input` reads (`tributary parse app.log`): records' origin is that file and the byte offset, not stdin. */
  path?: string;
  /** This source's own record builder (its parser); the agent's when unset. */
  toRecord?: (line: RawLine) => LogRecord;
  encoding?: Encoding;
  maxLineBytes?: number;
  onLongLine?: 'split' | 'truncate';
  /** Assemble multiline records (stack traces); off when false or unset. */
  multiline?: Partial<MultilineOptions> | false;
  /** Attributes added to every record of this source. */
  attributes?: Record<string, string>;
}

interface Piece {
  text: string;
  start: number;
  attributes?: Record<string, string>;
}

export class StdinSource implements Source {
  readonly name = 'stdin';
  done!: Promise<void>;
  readonly stats = { linesRead: 0, bytesRead: 0, longLines: 0, replacedLines: 0 };
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: StdinSourceOptions) {}

  async start(ctx: SourceContext): Promise<void> {
    const input = this.o.input ?? process.stdin;
    const toRecord = this.o.toRecord ?? ctx.toRecord;
    const max = this.o.maxBatchLines ?? 1000;
    const splitter = new LineSplitter({ encoding: this.o.encoding ?? 'auto', maxLineBytes: this.o.maxLineBytes ?? 256 * 1024, onLongLine: this.o.onLongLine ?? 'split' }, 0);
    const assembler = this.o.multiline ? new MultilineAssembler(this.o.multiline) : undefined;
    let pending: AgentEvent[] = [];
    // Emits run one after another, so records keep the order of the input.
    let chain = Promise.resolve();
    const emit = (pieces: Piece[]) => {
      const observedMs = Date.now();
      for (const p of pieces) {
        const attributes = p.attributes || this.o.attributes ? { ...this.o.attributes, ...p.attributes } : undefined;
        const origin: RawLine['origin'] = this.o.path === undefined ? { kind: 'stdin', offset: p.start } : { kind: 'file', path: this.o.path, offset: p.start };
        pending.push({ type: 'log', record: toRecord({ text: p.text, origin, service: this.o.service, host: this.o.host, observedMs, attributes }) });
      }
      this.stats.linesRead += pieces.length;
    };
    const flush = () => {
      if (pending.length === 0) return chain;
      const events = pending;
      pending = [];
      chain = chain.then(() => ctx.emit({ events }));
      return chain;
    };
    const assemble = (lines: Line[]): Piece[] => {
      if (!assembler) return lines;
      const out: Piece[] = [];
      for (const l of lines) out.push(...assembler.push(l, Date.now()));
      return out;
    };
    // Partial batches and a stack trace's last record go out after a short quiet time.
    this.timer = setInterval(() => {
      if (assembler) emit(assembler.poll(Date.now()));
      void flush();
    }, 50);
    this.done = (async () => {
      let offset = 0;
      for await (const chunk of input) {
        if (this.stopped) break;
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        this.stats.bytesRead += buf.length;
        emit(assemble(splitter.push(buf, offset)));
        offset += buf.length;
        if (pending.length >= max) await flush();
      }
      emit(assemble(splitter.flush()));
      if (assembler) emit(assembler.flush());
      clearInterval(this.timer);
      this.stats.longLines = splitter.stats.longLines;
      this.stats.replacedLines = splitter.stats.linesWithReplacement;
      await flush();
    })();
  }

  async pause(): Promise<void> {
    this.stopped = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

export interface StdinSourceConfig extends LineSourceCommon {
  type: 'stdin';
}

export const stdinSourceDefinition = defineSource<StdinSourceConfig>({
  type: 'stdin',
  description: 'Read lines from standard input (some-service | tributary agent).',
  properties: { ...lineSourceCommon },
  check: (src, path, issues) => checkLineSource(src, path, issues),
  create: (src, ctx) =>
    new StdinSource({
      service: ctx.service,
      host: ctx.host,
      encoding: src.encoding,
      maxLineBytes: src.max_line_bytes,
      onLongLine: src.on_long_line,
      multiline: multilineOptions(src.multiline) ?? false,
      attributes: src.attributes,
      toRecord: ctx.recordBuilder(src),
    }),
  describe: () => 'standard input',
});
