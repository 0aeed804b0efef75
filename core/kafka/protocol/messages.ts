/**
 * The requests a producer needs, in their classic (non-flexible) versions, which every broker from
 * Kafka 2.1 to 4.x accepts (Kafka 4 dropped only older ones, KIP-896): ApiVersions v0-2, Metadata
 * v4-8, InitProducerId v0-1, Produce v3-8, SaslHandshake v1, SaslAuthenticate v0-1; and the one read
 * the agent makes of a topic's settings (admin.ts), DescribeConfigs v1-3. Each API says which versions
 * this client speaks; the connection picks the highest the broker also speaks.
 */
import type { Reader, Writer } from './codec.ts';

export const API = {
  Produce: { key: 0, min: 3, max: 8 },
  Metadata: { key: 3, min: 4, max: 8 },
  ApiVersions: { key: 18, min: 0, max: 2 },
  SaslHandshake: { key: 17, min: 1, max: 1 },
  SaslAuthenticate: { key: 36, min: 0, max: 1 },
  InitProducerId: { key: 22, min: 0, max: 1 },
  DescribeConfigs: { key: 32, min: 1, max: 3 },
} as const;

export type ApiName = keyof typeof API;

export interface ApiVersionRange {
  min: number;
  max: number;
}

export function decodeApiVersions(r: Reader, version: number): { errorCode: number; apis: Map<number, ApiVersionRange> } {
  const errorCode = r.int16();
  const apis = new Map<number, ApiVersionRange>();
  for (const a of r.array((x) => ({ key: x.int16(), min: x.int16(), max: x.int16() }))) apis.set(a.key, { min: a.min, max: a.max });
  if (version >= 1 && r.remaining >= 4) r.int32(); // throttle
  return { errorCode, apis };
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataPartition {
  errorCode: number;
  partition: number;
  leader: number;
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  brokers: MetadataBroker[];
  topics: MetadataTopic[];
}

export function encodeMetadata(w: Writer, version: number, topics: string[]): void {
  w.array(topics, (x, t) => x.string(t));
  w.bool(false); // allow_auto_topic_creation: topics are created on purpose (tributary stack up)
  if (version >= 8) {
    w.bool(false);
    w.bool(false);
  }
}

export function decodeMetadata(r: Reader, version: number): MetadataResponse {
  if (version >= 3) r.int32(); // throttle
  const brokers = r.array((x) => {
    const b = { nodeId: x.int32(), host: x.string() ?? '', port: x.int32() };
    x.string(); // rack
    return b;
  });
  r.string(); // cluster id
  r.int32(); // controller id
  const topics = r.array((x) => {
    const errorCode = x.int16();
    const name = x.string() ?? '';
    x.bool(); // internal
    const partitions = x.array((y) => {
      const p = { errorCode: y.int16(), partition: y.int32(), leader: y.int32() };
      if (version >= 7) y.int32(); // leader epoch
      y.array((z) => z.int32()); // replicas
      y.array((z) => z.int32()); // isr
      if (version >= 5) y.array((z) => z.int32()); // offline
      return p;
    });
    if (version >= 8) x.int32(); // topic authorized operations
    return { errorCode, name, partitions };
  });
  if (version >= 8) r.int32();
  return { brokers, topics };
}

export function encodeInitProducerId(w: Writer): void {
  w.string(null); // no transactional id: an idempotent producer
  w.int32(60_000);
}

export function decodeInitProducerId(r: Reader): { errorCode: number; producerId: bigint; producerEpoch: number } {
  r.int32(); // throttle
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}

export interface ProduceTopicData {
  topic: string;
  partitions: Array<{ partition: number; batch: Buffer }>;
}

/** The bytes `encodeProduce` writes for `data` (the request's body), so its buffer is sized once. */
export function produceBodyBytes(data: ProduceTopicData[]): number {
  let n = 2 + 2 + 4 + 4; // null transactional id, acks, timeout, topic count
  for (const t of data) {
    n += 2 + Buffer.byteLength(t.topic) + 4;
    for (const p of t.partitions) n += 4 + 4 + p.batch.length;
  }
  return n;
}

export function encodeProduce(w: Writer, acks: number, timeoutMs: number, data: ProduceTopicData[]): void {
  w.string(null); // transactional id
  w.int16(acks);
  w.int32(timeoutMs);
  w.array(data, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition);
      y.bytes(p.batch);
    });
  });
}

export interface ProducePartitionResponse {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: bigint;
  errorMessage?: string | null;
  /** (v8+) The records the broker named as the cause of the error, by their index in the batch. */
  recordErrors?: number[];
}

export function decodeProduce(r: Reader, version: number): ProducePartitionResponse[] {
  const out: ProducePartitionResponse[] = [];
  r.array((x) => {
    const topic = x.string() ?? '';
    x.array((y) => {
      const p: ProducePartitionResponse = { topic, partition: y.int32(), errorCode: y.int16(), baseOffset: y.int64() };
      y.int64(); // log append time
      if (version >= 5) y.int64(); // log start offset
      if (version >= 8) {
        const recordErrors = y.array((z) => ({ index: z.int32(), message: z.string() }));
        p.errorMessage = y.string() ?? recordErrors.map((e) => e.message).filter(Boolean).join('; ');
        if (recordErrors.length > 0) p.recordErrors = recordErrors.map((e) => e.index);
      }
      out.push(p);
    });
  });
  r.int32(); // throttle
  return out;
}

export function decodeSaslHandshake(r: Reader): { errorCode: number; mechanisms: string[] } {
  return { errorCode: r.int16(), mechanisms: r.array((x) => x.string() ?? '') };
}

export function decodeSaslAuthenticate(r: Reader): { errorCode: number; errorMessage: string | null; authBytes: Buffer } {
  const errorCode = r.int16();
  const errorMessage = r.string();
  const authBytes = r.bytes() ?? Buffer.alloc(0);
  return { errorCode, errorMessage, authBytes };
}

/** Kafka's resource type for a topic in DescribeConfigs. */
export const RESOURCE_TOPIC = 2;

export function encodeDescribeConfigs(w: Writer, version: number, resources: Array<{ type: number; name: string; keys: string[] }>): void {
  w.array(resources, (x, r) => {
    x.int8(r.type);
    x.string(r.name);
    x.array(r.keys, (y, k) => y.string(k));
  });
  w.bool(false); // include_synonyms
  if (version >= 3) w.bool(false); // include_documentation
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  name: string;
  configs: Map<string, string | null>;
}

export function decodeDescribeConfigs(r: Reader, version: number): DescribeConfigsResult[] {
  r.int32(); // throttle
  return r.array((x) => {
    const errorCode = x.int16();
    const errorMessage = x.string();
    x.int8(); // resource type
    const name = x.string() ?? '';
    const configs = new Map<string, string | null>();
    x.array((y) => {
      const key = y.string() ?? '';
      configs.set(key, y.string());
      y.bool(); // read only
      y.int8(); // source
      y.bool(); // sensitive
      y.array((z) => [z.string(), z.string(), z.int8()]); // synonyms
      if (version >= 3) {
        y.int8(); // type
        y.string(); // documentation
      }
    });
    return { errorCode, errorMessage, name, configs };
  });
}
