/**
 * The agent's topology: sources -> record builder (parse, redact) -> Kafka sink. It starts the sink
 * first, then the sources; on shutdown it stops reading, waits until Kafka acknowledged everything
 * read, and only then writes the final checkpoints.
 */
import { log, type Logger } from '../core/log.ts';
import { createRecordBuilder, type BuiltCounters } from './record-builder.ts';
import { KafkaSink, type KafkaSinkOptions } from './sinks/kafka.ts';
import { type RawLine, type Source } from './source.ts';
import { type LogRecord } from '../core/contracts/records.ts';

export interface AgentOptions {
  sink: KafkaSinkOptions;
  sources: Source[];
  /** Overrides the default record builder (parsers and redaction). */
  toRecord?: (line: RawLine) => LogRecord;
}

export class Agent {
  readonly sink: KafkaSink;
  readonly counters: BuiltCounters = { json: 0, plain: 0 };
  private readonly log: Logger = log('agent');
  private readonly toRecord: (line: RawLine) => LogRecord;
  private stopping?: Promise<void>;

  constructor(private readonly o: AgentOptions) {
    this.sink = new KafkaSink(o.sink, log('agent.kafka'));
    this.toRecord = o.toRecord ?? createRecordBuilder(this.counters);
  }

  get sources(): readonly Source[] {
    return this.o.sources;
  }

  async start(): Promise<void> {
    await this.sink.start();
    for (const source of this.o.sources) {
      await source.start({
        emit: (batch) => this.sink.send(batch),
        toRecord: this.toRecord,
        log: this.log.child({ source: source.name }),
      });
    }
    this.log.info({ sources: this.o.sources.map((s) => s.name), brokers: this.o.sink.brokers }, 'The agent is shipping.');
  }

  /** Resolves when every finite source (stdin) has been read and delivered. */
  async finished(): Promise<void> {
    await Promise.all(this.o.sources.map((s) => s.done).filter(Boolean));
    await this.sink.flush();
  }

  /** Stops reading, flushes what was read to Kafka, then checkpoints. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of this.o.sources) await s.pause();
      await this.sink.close();
      for (const s of this.o.sources) await s.stop();
      this.log.info({ sent: this.sink.stats.sent }, 'The agent stopped; every line read was acknowledged by Kafka.');
    })();
    return this.stopping;
  }
}
