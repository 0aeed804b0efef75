/** stdin source: `some-service | tributary agent --service some-service`; ends when stdin closes. */
import { createInterface } from 'node:readline';
import { type AgentEvent, type RawLine, type Source, type SourceContext } from '../source.ts';
import { type LogRecord } from '../../core/contracts/records.ts';

export interface StdinSourceOptions {
  service: string;
  host: string;
  maxBatchLines?: number;
  input?: NodeJS.ReadableStream;
  /** This source's own record builder (its parser); the agent's when unset. */
  toRecord?: (line: RawLine) => LogRecord;
}

export class StdinSource implements Source {
  readonly name = 'stdin';
  done!: Promise<void>;
  private stopped = false;
  lines = 0;

  constructor(private readonly o: StdinSourceOptions) {}

  async start(ctx: SourceContext): Promise<void> {
    const rl = createInterface({ input: this.o.input ?? process.stdin, crlfDelay: Infinity });
    const max = this.o.maxBatchLines ?? 1000;
    this.done = (async () => {
      let events: AgentEvent[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = async () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (events.length === 0) return;
        const batch = events;
        events = [];
        await ctx.emit({ events: batch });
      };
      for await (const text of rl) {
        if (this.stopped) break;
        events.push({
          type: 'log',
          record: (this.o.toRecord ?? ctx.toRecord)({ text, origin: { kind: 'stdin', offset: this.lines++ }, service: this.o.service, host: this.o.host, observedMs: Date.now() }),
        });
        if (events.length >= max) await flush();
        else timer ??= setTimeout(() => void flush(), 50);
      }
      await flush();
    })();
  }

  async pause(): Promise<void> {
    this.stopped = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
