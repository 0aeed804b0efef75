/**
 * The sink's messages: events and a record thread's encoded batches made into wire messages (what the
 * memory queue and the disk buffer hold), and those into the producer's messages (our client) or
 * kafkajs's. Keys and header sections are encoded once per distinct value and shared by neighbouring
 * records. The queue, delivery and retries are the sink's (kafka.ts).
 */
import type { Message } from 'kafkajs';
import { HEADERS, type LogEncoding } from '../../core/contracts/topics.ts';
import { metricKey, type LogRecord } from '../../core/contracts/records.ts';
import { encodeHeaders, type ProducerMessage } from '../../core/kafka/producer.ts';
import type { AgentEvent } from '../source.ts';
import { encodeRecords, type EncodedLogs } from '../line-batch.ts';
import type { WireMessage } from './disk-buffer.ts';
import { LogPacker, logWire, ownTraceparent, recordTimeMs, type KeyStrategy } from './log-wire.ts';

export interface WireOptions {
  logsTopic: string;
  metricsTopic: string;
  key: KeyStrategy;
  maxRecordBytes: number;
  encoding: LogEncoding;
  /** Most log records in one message (`otlp_proto` only; 1 writes one per message). */
  recordsPerMessage: number;
}

/** A record thread's batch as the queue keeps it: its columns, and what its producer messages share. */
export interface EncodedEntry {
  e: EncodedLogs;
  headers: Record<string, string>;
  /** Whether records that carry their own trace get it as their header (not while the pipeline traces itself). */
  ownTraces: boolean;
  /** Per distinct key, its bytes; the batch's header section; traced records' own sections (made on first send). */
  keyBuffers?: Buffer[];
  headerSection?: Buffer;
  traced?: Map<number, Buffer>;
}

/** Bytes record `i` of an encoded batch counts for in the buffers: its value and its key, as for a wire message. */
export function encodedSize(e: EncodedLogs, i: number): number {
  return e.ends[i]! - e.starts[i]! + e.keys[e.keyOf[i]!]!.length;
}

/** Records in wire messages (`WireMessage.records`, one when unset). */
export function recordsOf(messages: WireMessage[]): number {
  let sum = 0;
  for (const m of messages) sum += m.records ?? 1;
  return sum;
}

type LogEvent = Extract<AgentEvent, { type: 'log' }>;

export class Wire {
  /** Whether log records go several to a message (`otlp_proto` with `recordsPerMessage` above 1). */
  readonly packs: boolean;

  /** `noteTruncated` hears of every record whose body was cut to fit `maxRecordBytes`. */
  constructor(
    private readonly o: WireOptions,
    private readonly noteTruncated: (r: Pick<LogRecord, 'service' | 'origin'>, bytes: number) => void,
  ) {
    this.packs = o.encoding === 'otlp_proto' && o.recordsPerMessage > 1;
  }

  /**
   * A batch of log events as a record thread's encoded batch (`encodeRecords`), which the sink sends for
   * less CPU than a message per event. Undefined when packing (`packed` does that), when the batch holds
   * metric points, or when a record is past `maxRecordBytes` (cut record by record in `fromEvents`).
   */
  encodeEvents(events: AgentEvent[]): EncodedLogs | undefined {
    if (this.packs || events.length === 0) return undefined;
    const records: LogRecord[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.type !== 'log') return undefined;
      records[i] = e.record;
    }
    return encodeRecords(records, this.o.key, this.o.maxRecordBytes, this.o.encoding);
  }

  /** A batch's events as wire messages: several log records to a message when packing, else one each. */
  fromEvents(events: AgentEvent[], logHeaders: Record<string, string>, headers: Record<string, string>, ownTraces: boolean): WireMessage[] {
    if (this.packs) return this.packed(events, logHeaders, headers);
    return events.map((e) => this.toWire(e, e.type === 'log' ? logHeaders : headers, ownTraces));
  }

  private toWire(e: AgentEvent, batchHeaders: Record<string, string>, ownTraces = true): WireMessage {
    let headers = batchHeaders;
    if (e.type === 'log') {
      const r = e.record;
      // A record that carries its own trace continues that trace; the others share the batch's. While
      // the pipeline traces itself, every header names the batch span (the record's own trace_id and
      // span_id still travel, and land, in its fields).
      const own = ownTraces ? ownTraceparent(r) : undefined;
      if (own !== undefined) headers = { ...batchHeaders, [HEADERS.traceparent]: own };
      const w = logWire(r, this.o.key, this.o.maxRecordBytes, this.o.encoding);
      if (w.truncatedFrom !== undefined) this.noteTruncated(r, w.truncatedFrom);
      return { topic: 'logs', key: w.key, value: w.value, timestamp: String(w.timestampMs), headers };
    }
    const p = e.point;
    return { topic: 'metrics', key: metricKey(p), value: JSON.stringify(p), timestamp: String(recordTimeMs(p.time) || Date.now()), headers };
  }

  /**
   * Several log records to a message (`recordsPerMessage`, `LogPacker`, as the record threads write
   * them): each run of neighbouring log records packed, metric points one per message as always. A
   * packed message carries the batch's header; its records keep their own trace ids in their fields.
   */
  private packed(events: AgentEvent[], logHeaders: Record<string, string>, headers: Record<string, string>): WireMessage[] {
    const out: WireMessage[] = [];
    for (let i = 0; i < events.length; ) {
      const e = events[i]!;
      if (e.type !== 'log') {
        out.push(this.toWire(e, headers));
        i++;
        continue;
      }
      let j = i;
      let bytes = 0;
      while (j < events.length && events[j]!.type === 'log') bytes += (events[j++] as LogEvent).record.body.length + 256;
      const packer = new LogPacker(this.o.key, this.o.maxRecordBytes, this.o.recordsPerMessage, j - i, bytes);
      for (let k = i; k < j; k++) {
        const r = (events[k] as LogEvent).record;
        packer.add(r, recordTimeMs(r.time) || Date.now());
      }
      const p = packer.finish(false);
      for (const t of p.truncated) this.noteTruncated(t, t.bytes);
      const values = Buffer.from(p.values);
      for (let m = 0; m < p.count; m++) {
        const w: WireMessage = { topic: 'logs', key: p.keys[p.keyOf[m]!]!, value: values.subarray(p.starts[m], p.ends[m]), timestamp: String(p.times[m]), headers: logHeaders };
        if (p.lines[m] !== 1) w.records = p.lines[m];
        out.push(w);
      }
      i = j;
    }
    return out;
  }

  /** Wire messages of a batch a record thread encoded: each value a view into the batch's one buffer. */
  fromEncoded({ e, headers, ownTraces }: EncodedEntry): WireMessage[] {
    const out = new Array<WireMessage>(e.count);
    for (let i = 0; i < e.count; i++) {
      out[i] = { topic: 'logs', key: e.keys[e.keyOf[i]!]!, value: e.values.subarray(e.starts[i], e.ends[i]), timestamp: String(e.times[i]), headers };
      if (e.lines && e.lines[i] !== 1) out[i]!.records = e.lines[i];
    }
    // As in toWire: a record that carries its own trace continues it, unless the pipeline traces itself.
    if (ownTraces) for (const [i, traceparent] of e.traces) out[i]!.headers = { ...headers, [HEADERS.traceparent]: traceparent };
    return out;
  }

  /** Producer messages `from` to `from + n` of an encoded batch, appended to `out`, made from its columns. */
  encodedMessages(c: EncodedEntry, from: number, n: number, out: ProducerMessage[]): void {
    const e = c.e;
    c.keyBuffers ??= e.keys.map((k) => this.keyBuffer(k));
    c.headerSection ??= this.headerSection(c.headers);
    if (c.ownTraces && e.traces.length > 0 && !c.traced) {
      c.traced = new Map(e.traces.map(([i, traceparent]) => [i, encodeHeaders({ ...c.headers, [HEADERS.traceparent]: traceparent })]));
    }
    const topic = this.o.logsTopic;
    for (let i = from; i < from + n; i++) {
      out.push({ topic, key: c.keyBuffers[e.keyOf[i]!]!, value: e.values.subarray(e.starts[i], e.ends[i]), timestamp: e.times[i]!, headers: c.traced?.get(i) ?? c.headerSection });
    }
  }

  toProducerMessage(m: WireMessage): ProducerMessage {
    return { topic: m.topic === 'logs' ? this.o.logsTopic : this.o.metricsTopic, key: this.keyBuffer(m.key), value: m.value, timestamp: Number(m.timestamp), headers: this.headerSection(m.headers) };
  }

  /** A wire message as kafkajs takes it (the kafkajs fallback). */
  toKafkajs(m: WireMessage): Message {
    return { key: this.keyBuffer(m.key), value: m.value, timestamp: m.timestamp, headers: this.headerBuffers(m.headers) };
  }

  private headerSections = new WeakMap<Record<string, string>, Buffer>();
  private lastHeaders?: Record<string, string>;
  private lastHeaderSection?: Buffer;

  /** A header object's encoded section, once per object (neighbours share their batch's). */
  private headerSection(headers: Record<string, string>): Buffer {
    if (headers === this.lastHeaders) return this.lastHeaderSection!;
    let section = this.headerSections.get(headers);
    if (!section) {
      section = encodeHeaders(headers);
      this.headerSections.set(headers, section);
    }
    this.lastHeaders = headers;
    this.lastHeaderSection = section;
    return section;
  }

  // Keys and kafkajs's headers as Buffers, made once per distinct value: records of a batch share
  // them (kafkajs would turn every string into a Buffer per record; measured in bench/agent.ts).
  private readonly keys = new Map<string, Buffer>();
  private readonly headerCache = new WeakMap<Record<string, string>, Record<string, Buffer>>();
  private lastKey = '';
  private lastKeyBuffer?: Buffer;

  private keyBuffer(key: string): Buffer {
    // Neighbouring records mostly share their key (one service and host per file).
    if (key === this.lastKey && this.lastKeyBuffer) return this.lastKeyBuffer;
    let b = this.keys.get(key);
    if (!b) {
      if (this.keys.size > 10_000) this.keys.clear();
      b = Buffer.from(key);
      this.keys.set(key, b);
    }
    this.lastKey = key;
    this.lastKeyBuffer = b;
    return b;
  }

  private headerBuffers(headers: Record<string, string>): Record<string, Buffer> {
    let b = this.headerCache.get(headers);
    if (!b) {
      b = {};
      for (const [k, v] of Object.entries(headers)) b[k] = Buffer.from(v);
      this.headerCache.set(headers, b);
    }
    return b;
  }
}
