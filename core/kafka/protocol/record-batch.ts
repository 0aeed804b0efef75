/**
 * Kafka record batch v2 (magic 2): records encoded once into one buffer, compressed (LZ4 frame,
 * gzip) off the main thread, then wrapped in the 61-byte batch header whose CRC-32C covers
 * everything from the attributes on. The producer fields (id, epoch, base sequence) can be stamped
 * again without re-encoding when the producer renumbers a partition. `decodeBatches` reads batches
 * back (tests, and the fault-injection proofs); it checks each CRC.
 */
import { gunzipSync, gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { crc32c } from './crc32c.ts';
import { ProtocolError, Reader, varintSize, varlongSize, writeVarint, writeVarlong } from './codec.ts';

const gzip = promisify(gzipCb);

export type CompressionName = 'none' | 'gzip' | 'lz4';
export const COMPRESSION_CODES: Record<CompressionName, number> = { none: 0, gzip: 1, lz4: 3 };

/** A record ready to encode: `headers` is a header section from `encodeHeaders` (shared by many records). */
export interface ProduceRecord {
  key: Buffer | null;
  value: string | Buffer;
  /** Epoch milliseconds. */
  timestamp: number;
  headers?: Buffer;
}

export const BATCH_HEADER_BYTES = 61;
const EMPTY_HEADERS = Buffer.from([0]);

/** A record's header section: count, then (key, value) pairs; encode once, share between records. */
export function encodeHeaders(headers: Record<string, string | Buffer> | Array<[string, string | Buffer]>): Buffer {
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  const parts = entries.map(([k, v]) => [Buffer.from(k), Buffer.isBuffer(v) ? v : Buffer.from(v)] as const);
  let size = varintSize(parts.length);
  for (const [k, v] of parts) size += varintSize(k.length) + k.length + varintSize(v.length) + v.length;
  const out = Buffer.allocUnsafe(size);
  let pos = writeVarint(out, 0, parts.length);
  for (const [k, v] of parts) {
    pos = writeVarint(out, pos, k.length);
    pos += k.copy(out, pos);
    pos = writeVarint(out, pos, v.length);
    pos += v.copy(out, pos);
  }
  return out;
}

export interface EncodedRecords {
  /** The records, uncompressed. */
  body: Buffer;
  count: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

/**
 * Encodes `records[i]` for i in `indexes` (or all) as the records section of one batch; `alloc` gives
 * the memory (at least the bytes asked for; a reused buffer, see core/buffer-pool.ts), else a new Buffer.
 */
export function encodeRecords(records: readonly ProduceRecord[], indexes?: readonly number[], alloc?: (bytes: number) => ArrayBuffer): EncodedRecords {
  const count = indexes ? indexes.length : records.length;
  if (count === 0) throw new RangeError('a record batch needs at least one record');
  const first = records[indexes ? indexes[0]! : 0]!;
  const firstTimestamp = first.timestamp;
  let maxTimestamp = firstTimestamp;
  const valueBytes = new Int32Array(count);
  const bodySizes = new Int32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const r = records[indexes ? indexes[i]! : i]!;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const vlen = typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length;
    valueBytes[i] = vlen;
    const klen = r.key ? r.key.length : -1;
    const body =
      1 + varlongSize(r.timestamp - firstTimestamp) + varintSize(i) + varintSize(klen) + (klen > 0 ? klen : 0) + varintSize(vlen) + vlen + (r.headers ?? EMPTY_HEADERS).length;
    bodySizes[i] = body;
    total += varintSize(body) + body;
  }
  const out = alloc ? Buffer.from(alloc(total), 0, total) : Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const r = records[indexes ? indexes[i]! : i]!;
    pos = writeVarint(out, pos, bodySizes[i]!);
    out[pos++] = 0; // record attributes
    pos = writeVarlong(out, pos, r.timestamp - firstTimestamp);
    pos = writeVarint(out, pos, i);
    // TypedArray set, not Buffer copy: the same bytes without copy's argument handling, three times a record.
    if (r.key) {
      pos = writeVarint(out, pos, r.key.length);
      out.set(r.key, pos);
      pos += r.key.length;
    } else {
      pos = writeVarint(out, pos, -1);
    }
    const vlen = valueBytes[i]!;
    pos = writeVarint(out, pos, vlen);
    if (typeof r.value === 'string') pos += out.write(r.value, pos, vlen, 'utf8');
    else {
      out.set(r.value, pos);
      pos += vlen;
    }
    const h = r.headers ?? EMPTY_HEADERS;
    out.set(h, pos);
    pos += h.length;
  }
  if (pos !== total) throw new ProtocolError(`record encoding wrote ${pos} bytes, expected ${total}`);
  return { body: out, count, firstTimestamp, maxTimestamp };
}

/**
 * Compresses a records section with the batch's codec: gzip on libuv's pool, LZ4 on the calling thread.
 * lz4-napi allocates its output with its own allocator (mimalloc), which keeps freed memory per thread:
 * run on the pool's four threads, each kept about 10 MB, freed there only when that thread compressed
 * again (the output dies on the main thread), and the agent peaked 10-35 MB higher, for no less CPU and
 * no more lines/s than compressing where the batch is built (agents/PERFORMANCE.md, "LZ4 on the main thread").
 */
export async function compressRecords(body: Buffer, compression: CompressionName): Promise<Buffer> {
  if (compression === 'lz4') return compressFrameSync(body);
  if (compression === 'gzip') return gzip(body);
  return body;
}

export interface BatchProducerFields {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/**
 * The whole batch: header, then the (compressed) records. Without `p` the producer fields and the CRC
 * are left for `stampProducer`: the producer stamps every batch as it sends it (the sequence is known
 * only then), and the CRC over the whole batch, computed twice, was 7 % of the agent's main thread.
 */
export function buildBatch(records: EncodedRecords, payload: Buffer, compression: CompressionName, p?: BatchProducerFields): Buffer {
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  out.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(-1, 12); // partition leader epoch
  out.writeInt8(2, 16); // magic
  out.writeInt16BE(COMPRESSION_CODES[compression], 21);
  out.writeInt32BE(records.count - 1, 23);
  out.writeBigInt64BE(BigInt(records.firstTimestamp), 27);
  out.writeBigInt64BE(BigInt(records.maxTimestamp), 35);
  out.writeInt32BE(records.count, 57);
  payload.copy(out, BATCH_HEADER_BYTES);
  if (p) stampProducer(out, p);
  return out;
}

/** Writes producer id, epoch and base sequence into a built batch and recomputes its CRC. */
export function stampProducer(batch: Buffer, p: BatchProducerFields): void {
  batch.writeBigInt64BE(p.producerId, 43);
  batch.writeInt16BE(p.producerEpoch, 51);
  batch.writeInt32BE(p.baseSequence, 53);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
}

/**
 * The records of a batch `buildBatch` made, as records to encode again: key, value and header section
 * are the batch's own bytes (views into its uncompressed records). The producer splits a batch the
 * broker found too large from these, so it need not keep the messages a batch was made from.
 */
export function batchRecords(batch: Buffer): ProduceRecord[] {
  const firstTimestamp = Number(batch.readBigInt64BE(27));
  const r = new Reader(batchPayload(batch, 0, batch.length), 0, 'record batch');
  const out: ProduceRecord[] = [];
  for (let i = 0, count = batch.readInt32BE(57); i < count; i++) {
    // The offset delta is given again when the record is encoded.
    const { timestamp, key, value, headers } = readRecord(r, firstTimestamp, `record ${i}`);
    out.push({ key, value: value ?? Buffer.alloc(0), timestamp, headers });
  }
  return out;
}

/** The records section of the batch at `pos` (ending at `end`), uncompressed with the codec its attributes name. */
function batchPayload(buf: Buffer, pos: number, end: number): Buffer {
  const compression = buf.readInt16BE(pos + 21) & 7;
  const payload = buf.subarray(pos + BATCH_HEADER_BYTES, end);
  if (compression === 1) return gunzipSync(payload);
  if (compression === 3) return decompressFrameSync(payload);
  if (compression !== 0) throw new ProtocolError(`record batch at ${pos}: codec ${compression} not supported here`);
  return payload;
}

/** One record of a records section: key, value and its header section are views into the section. */
function readRecord(r: Reader, firstTimestamp: number, what: string): { timestamp: number; offsetDelta: number; key: Buffer | null; value: Buffer | null; headers: Buffer } {
  const len = r.varint();
  const end = r.pos + len;
  r.int8(); // record attributes
  const timestamp = firstTimestamp + r.varlong();
  const offsetDelta = r.varint();
  const klen = r.varint();
  const key = klen < 0 ? null : r.buf.subarray(r.pos, (r.pos += klen));
  const vlen = r.varint();
  const value = vlen < 0 ? null : r.buf.subarray(r.pos, (r.pos += vlen));
  if (end > r.buf.length || r.pos > end) throw new ProtocolError(`${what}: runs past its length ${len}`);
  const headers = r.buf.subarray(r.pos, end);
  r.pos = end;
  return { timestamp, offsetDelta, key, value, headers };
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

export interface DecodedBatch {
  baseOffset: bigint;
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  firstTimestamp: number;
  maxTimestamp: number;
  records: DecodedRecord[];
}

/** Reads concatenated v2 batches; a CRC mismatch, another magic or an unknown codec throws. */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const length = buf.readInt32BE(pos + 8);
    const end = pos + 12 + length;
    if (end > buf.length) break; // a partial batch at the end of a fetch
    const magic = buf.readInt8(pos + 16);
    if (magic !== 2) throw new ProtocolError(`record batch at ${pos} has magic ${magic}, not 2`);
    const crc = buf.readUInt32BE(pos + 17);
    const actual = crc32c(buf, pos + 21, end);
    if (crc !== actual) throw new ProtocolError(`record batch at ${pos}: CRC-32C ${actual.toString(16)} != stored ${crc.toString(16)}`);
    const compression = buf.readInt16BE(pos + 21) & 7;
    const baseOffset = buf.readBigInt64BE(pos);
    const firstTimestamp = Number(buf.readBigInt64BE(pos + 27));
    const count = buf.readInt32BE(pos + 57);
    const r = new Reader(batchPayload(buf, pos, end), 0, 'record batch');
    const records: DecodedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const f = readRecord(r, firstTimestamp, `record ${i} of batch at ${pos}`);
      const h = new Reader(f.headers, 0, `headers of record ${i} of batch at ${pos}`);
      const headers: Array<[string, Buffer | null]> = [];
      for (let n = 0, hn = h.varint(); n < hn; n++) {
        const hk = h.varint();
        const name = h.buf.toString('utf8', h.pos, (h.pos += hk));
        const hv = h.varint();
        headers.push([name, hv < 0 ? null : Buffer.from(h.buf.subarray(h.pos, (h.pos += hv)))]);
      }
      if (h.pos !== f.headers.length) throw new ProtocolError(`record ${i} of batch at ${pos}: headers end at ${h.pos} of ${f.headers.length} bytes`);
      records.push({ offset: baseOffset + BigInt(f.offsetDelta), timestamp: f.timestamp, key: f.key && Buffer.from(f.key), value: f.value && Buffer.from(f.value), headers });
    }
    out.push({
      baseOffset,
      compression,
      producerId: buf.readBigInt64BE(pos + 43),
      producerEpoch: buf.readInt16BE(pos + 51),
      baseSequence: buf.readInt32BE(pos + 53),
      firstTimestamp,
      maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
      records,
    });
    pos = end;
  }
  return out;
}
