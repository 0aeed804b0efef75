/**
 * The Kafka clients bench:agent runs alone (no agent: the lines as values, a key and the agent's 3
 * headers, idempotent, acks=all, LZ4), each one definition in `CLIENTS`: connect, then `begin()` (the
 * timing starts there, so a library's steady cost is what is compared), send the whole file, and
 * resolve once Kafka acknowledged every line, with how to close. Ours and kafkajs come from the
 * project; the others from dist/bench-clients (bench/clients/install.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_CLIENTS_DIR, CLIENT_ENTRIES, type OtherClient } from './install.ts';

/** Lines of a file in batches, read in 4 MB chunks (so a client's RSS is not the file's). */
export function* fileBatches(file: string, batch: number): Generator<string[]> {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let rest = '';
  let out: string[] = [];
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
    rest = parts.pop()!;
    for (const p of parts) {
      out.push(p);
      if (out.length === batch) {
        yield out;
        out = [];
      }
    }
  }
  closeSync(fd);
  if (rest) out.push(rest);
  if (out.length) yield out;
}

export const BENCH_HEADERS = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'content-type': 'application/json', 'tributary-schema': '1' };

/** The file in batches of 5,000 lines, each handed to `send`, up to 5 sends under way, the last awaited. */
async function sendBatches(file: string, send: (lines: string[]) => Promise<unknown>): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  for (const lines of fileBatches(file, 5000)) {
    const sent = send(lines);
    inflight.add(sent);
    void sent.then(() => inflight.delete(sent));
    if (inflight.size >= 5) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

/** An installed other client's entry module (bench/clients), as an import() specifier. */
function clientEntry(client: OtherClient): string {
  return pathToFileURL(join(process.env.TRIBUTARY_BENCH_CLIENTS ?? BENCH_CLIENTS_DIR, CLIENT_ENTRIES[client])).href;
}

// What the bench uses of the other clients (installed apart, in dist/bench-clients: no types here).
interface PlatformaticKafka {
  Producer: new (o: Record<string, unknown>) => {
    metadata(o: { topics: string[] }): Promise<unknown>;
    initIdempotentProducer(o: Record<string, unknown>): Promise<unknown>;
    send(o: { messages: Array<{ topic: string; key: string; value: string; timestamp: bigint; headers: Record<string, string> }> }): Promise<unknown>;
    close(): Promise<void>;
  };
  compatibilityPartitioner: unknown;
  stringSerializers: unknown;
}
interface ConfluentKafka {
  KafkaJS: {
    Kafka: new (o: Record<string, unknown>) => {
      producer(o: Record<string, unknown>): {
        connect(): Promise<void>;
        send(o: { topic: string; messages: Array<{ key: string; value: string; timestamp: string; headers: Record<string, string> }> }): Promise<unknown>;
        disconnect(): Promise<void>;
      };
    };
    CompressionTypes: { LZ4: string };
    logLevel: { ERROR: number };
  };
  Producer: new (o: Record<string, unknown>) => {
    on(event: 'delivery-report', f: (err: Error | null) => void): void;
    once(event: string, f: (arg?: unknown) => void): void;
    connect(): void;
    setPollInBackground(on: boolean): void;
    produce(topic: string, partition: null, value: Buffer, key: Buffer, timestamp: number, opaque: undefined, headers: Array<Record<string, string>>): boolean;
    disconnect(cb: () => void): void;
  };
}

/** What a client is handed: where to send, and `begin()` to call once connected. */
export interface ClientContext {
  file: string;
  brokers: string;
  topic: string;
  begin: () => void;
}

/** Sends the whole file; resolves once every line is acknowledged, with how to close the client. */
type ClientRun = (c: ClientContext) => Promise<() => Promise<void>>;

export const CLIENTS: Record<string, ClientRun> = {
  async native({ file, brokers, topic, begin }) {
    const { KafkaProducer, encodeHeaders } = await import('../../core/kafka/producer.ts');
    const p = new KafkaProducer({ brokers: [brokers], clientId: 'bench-native', compression: 'lz4' });
    await p.connect();
    begin();
    const key = Buffer.from('bench');
    const headers = encodeHeaders(BENCH_HEADERS);
    await sendBatches(file, (lines) => {
      const now = Date.now();
      return p.send(lines.map((value) => ({ topic, key, value, timestamp: now, headers })));
    });
    return () => p.close();
  },

  async kafkajs({ file, brokers, topic, begin }) {
    const { createKafka, CompressionTypes } = await import('../../core/kafka/client.ts');
    const producer = createKafka({ brokers: [brokers], clientId: 'bench-kafkajs' }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    begin();
    const key = Buffer.from('bench');
    const headers = Object.fromEntries(Object.entries(BENCH_HEADERS).map(([k, v]) => [k, Buffer.from(v)]));
    for (const lines of fileBatches(file, 5000)) {
      const timestamp = String(Date.now());
      await producer.sendBatch({ topicMessages: [{ topic, messages: lines.map((value) => ({ key, value, timestamp, headers })) }], acks: -1, compression: CompressionTypes.LZ4 });
    }
    return () => producer.disconnect();
  },

  // The newest @platformatic/kafka that runs on Node 20, with the guards against its traps: one send
  // at a time (two overlapping idempotent sends lose records silently in 1.x, upstream #326), the
  // Java/kafkajs partitioner (its own maps keys elsewhere). bench:agent counts what reached the topic.
  async platformatic({ file, brokers, topic, begin }) {
    const { Producer, compatibilityPartitioner, stringSerializers } = (await import(clientEntry('platformatic'))) as PlatformaticKafka;
    const p = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: [brokers], idempotent: true, acks: -1, compression: 'lz4', partitioner: compatibilityPartitioner, serializers: stringSerializers });
    await p.metadata({ topics: [topic] });
    await p.initIdempotentProducer({});
    begin();
    const send = (lines: string[]) => {
      const timestamp = BigInt(Date.now());
      return p.send({ messages: lines.map((value) => ({ topic, key: 'bench', value, timestamp, headers: BENCH_HEADERS })) });
    };
    // BENCH_PLATFORMATIC_OVERLAP=1: up to 5 sends under way, as the other rows send: the trap itself.
    if (process.env.BENCH_PLATFORMATIC_OVERLAP === '1') await sendBatches(file, send);
    else for (const lines of fileBatches(file, 5000)) await send(lines);
    return () => p.close();
  },

  // librdkafka under the Confluent client's kafkajs-style API: each send resolves on its delivery
  // reports (not flush(), which can return before failures are reported); up to 5 sends under way.
  async confluent({ file, brokers, topic, begin }) {
    const { KafkaJS } = ((await import(clientEntry('confluent'))) as { default: ConfluentKafka }).default;
    const p = new KafkaJS.Kafka({ kafkaJS: { brokers: [brokers], clientId: 'bench-confluent', logLevel: KafkaJS.logLevel.ERROR } }).producer({
      kafkaJS: { idempotent: true, acks: -1, compression: KafkaJS.CompressionTypes.LZ4 },
      'linger.ms': 5,
    });
    await p.connect();
    begin();
    await sendBatches(file, (lines) => {
      const timestamp = String(Date.now());
      return p.send({ topic, messages: lines.map((value) => ({ key: 'bench', value, timestamp, headers: BENCH_HEADERS })) });
    });
    return () => p.disconnect();
  },

  // The same client's own callback API: produce() per line into librdkafka's queue, one delivery
  // report per line (polled on librdkafka's background thread), no promise per line.
  async 'confluent-produce'({ file, brokers, topic, begin }) {
    const { Producer } = ((await import(clientEntry('confluent'))) as { default: ConfluentKafka }).default;
    const p = new Producer({ 'metadata.broker.list': brokers, 'client.id': 'bench-confluent-produce', 'enable.idempotence': true, acks: 'all', 'compression.codec': 'lz4', 'linger.ms': 5, dr_cb: true, partitioner: 'murmur2_random' });
    let delivered = 0;
    let failure: Error | undefined;
    let done: (() => void) | undefined;
    let total = Infinity;
    p.on('delivery-report', (err) => {
      if (err) failure ??= err;
      if (++delivered === total) done?.();
    });
    await new Promise<void>((resolve, reject) => {
      p.once('ready', () => resolve());
      p.once('connection.failure', (err) => reject(err as Error));
      p.connect();
    });
    p.setPollInBackground(true);
    begin();
    const key = Buffer.from('bench');
    const headers = Object.entries(BENCH_HEADERS).map(([k, v]) => ({ [k]: v }));
    let sent = 0;
    for (const lines of fileBatches(file, 5000)) {
      const now = Date.now();
      for (const line of lines) {
        const value = Buffer.from(line);
        for (;;) {
          try {
            p.produce(topic, null, value, key, now, undefined, headers);
            break;
          } catch (err) {
            // librdkafka's queue is full: wait for deliveries to make room.
            if (!/queue full/i.test((err as Error).message)) throw err;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        sent++;
      }
    }
    total = sent;
    if (delivered < total) await new Promise<void>((resolve) => (done = resolve));
    if (failure) throw failure;
    return () => new Promise<void>((resolve) => p.disconnect(() => resolve()));
  },
};
