/**
 * The stage contract: what a worker stage sees and gives back. A stream (one Kafka topic) is a decode
 * step and a chain of stages; each stage takes records in and hands records on (`push` returns what
 * the next stage gets), writes rows that land with the record's raw batch (`out.row`), and on every
 * tick gives back the rows that became final (`flush`, e.g. closed windows), by table. A stage that
 * holds records in memory says which offsets it still holds (`heldOffsets`), so that nothing it holds
 * is committed; a stage with state worth keeping across workers implements `Stateful`.
 *
 * The worker owns everything else: the consumer, batching, the landing protocol (intents, tokens,
 * retries), commits, ticks, scoring and stats. A stage never throws for a bad record: it routes it
 * with `out.dead(stage, reason)` (the record goes to `dlq.v1`) and returns undefined.
 *
 * One Kafka record can hold several (an OTLP request from another producer): a stage hands them on
 * as `new Several(records)`, and each goes through the rest of the chain in turn, with the same
 * context (one offset).
 *
 * Delivery rules a stage can count on:
 * - Every record of an assigned partition reaches `push` once per assignment, in offset order.
 * - `ctx.replay` is true for records that were already landed before this assignment (after a crash
 *   or a rebalance): rebuild state from them, write nothing (`out` ignores them anyway).
 * - Rows given to `out.row` land exactly once per table (batch deduplication tokens); rows returned by
 *   `flush` land at least once, so they must be keyed so that a repeat replaces itself (the window
 *   tables are ReplacingMergeTree on their key, version = records included).
 * - `revoke(partition)` means another worker now owns it: drop what came from it (the new owner
 *   re-reads from the last commit).
 */

import { type StatSample } from './stats.ts';

/** What a stage returns for several records out of one (each goes on through the rest of the chain). */
export class Several<T> {
  constructor(readonly items: readonly T[]) {}
}

/** Where a record came from. */
export interface Position {
  topic: string;
  partition: number;
  /** Kafka offset (below 2^53). */
  offset: number;
}

/** What a stage writes into the raw batch of the record's partition. */
export interface BatchWriter {
  /** A row that lands with the batch, in `table`, under the batch's deduplication token. */
  row(table: string, row: object): void;
  /**
   * An aggregate row of the batch, one per `key` and table (e.g. pattern counts): `create` makes it on
   * the key's first record of the batch, `update` runs for every record, `finish` (optional) turns it
   * into the row that lands.
   */
  aggregate<A>(table: string, key: string, create: () => A, update: (acc: A) => void, finish?: (acc: A) => object): void;
  /** The record goes to the dead-letter topic with this stage name and reason (and is not dropped silently). */
  dead(stage: string, reason: string): void;
}

export interface RecordContext extends Position {
  /** Processing time, epoch ms (one value per fetched batch). */
  now: number;
  /** True when the record was landed before this assignment: rebuild state, write nothing. */
  replay: boolean;
  /** The record's `content-type` header, when it has one (how its value is encoded). */
  contentType?: string;
  /** The record's Kafka timestamp (the producer's CreateTime or the broker's LogAppendTime), epoch ms. */
  timestamp?: number;
  out: BatchWriter;
}

/** Rows that became final on a tick, per table. */
export type TickRows = Map<string, object[]>;

/** One step of a stream's chain. `In` comes from the step before, `Out` goes to the next. */
export interface Stage<In, Out = void> {
  readonly name: string;
  /** One record in; what the next stage gets (undefined stops the record here). Never throws for bad data. */
  push(record: In, ctx: RecordContext): Out | undefined;
  /** On every tick (processing time `now`): rows that became final, by table. */
  flush?(now: number): TickRows | Promise<TickRows>;
  /** Per partition, the lowest offset of a record whose effect lives only in this stage's memory. */
  heldOffsets?(): ReadonlyMap<number, number>;
  /** A partition of the stream was assigned to this worker (before its first record). */
  assign?(partition: number, now: number): void;
  /**
   * Before a fetched batch's records are pushed (their values, in order): fetch what handling them
   * needs from outside (an event source's schemas from the registry). A retriable TributaryError makes
   * the worker wait and call it again; no record is pushed until it resolves.
   */
  prepare?(values: ReadonlyArray<Buffer | null>): Promise<void>;
  /** A partition went to another worker: drop what came from it. */
  revoke?(partition: number): void;
  /** Counters for `pipeline_stats` (stage and name as in `core/contracts/pipeline-stats.ts`). */
  samples?(): StatSample[];
  close?(): Promise<void>;
}

/**
 * State that outlives a worker: saved in `pipeline_state` under `key` every snapshot interval and on
 * stop, restored on start and when a partition is taken over. `restore` is given every saved snapshot
 * of the key's family (one per worker that saved one), oldest first, and merges what it lacks, so that
 * a worker taking partitions over gets the previous owner's state (feature baselines, say) back.
 */
export interface Stateful {
  /** Key in `pipeline_state`. */
  readonly stateKey: string;
  /**
   * True: each worker saves its own copy (the worker adds `/<instance>` to the key) and `restore` gets
   * every copy. False: one copy per key, newest write wins (the pattern miner: one shared state).
   */
  readonly perWorker: boolean;
  /** A JSON-safe snapshot; undefined when there is nothing to save. */
  snapshot(): unknown;
  /** Takes what it lacks from saved snapshots (oldest first); must never throw for a snapshot it cannot read. */
  restore(saved: readonly unknown[]): void;
}

export function isStateful(x: unknown): x is Stateful {
  return typeof x === 'object' && x !== null && typeof (x as Stateful).stateKey === 'string' && typeof (x as Stateful).snapshot === 'function';
}

/**
 * A stage chain behind one topic, as the worker drives it: raw bytes in (decoded first), rows out.
 * `raw` names the table whose `kafka_offset` tells what landed (used when a partition is taken over).
 */
export interface Stream {
  readonly topic: string;
  /** The batch table written for every record, with `kafka_topic`?, `kafka_partition`, `kafka_offset` columns. */
  readonly raw?: { table: string; hasTopicColumn: boolean };
  readonly stages: ReadonlyArray<Stage<unknown, unknown>>;
  push(value: Buffer | null, ctx: RecordContext): void;
  /** Every stage's `prepare`, before a batch's records are pushed. */
  prepare?(values: ReadonlyArray<Buffer | null>): Promise<void>;
  /** Whether `prepare` does anything (else the worker does not call it). */
  readonly prepares?: boolean;
}
