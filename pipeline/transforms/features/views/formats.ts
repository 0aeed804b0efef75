/**
 * How an event source's records are written, and the decoder of each binary format: JSON is read by
 * the light schema itself (schema.ts); Avro (avro.ts) and Protobuf (protobuf.ts) payloads are decoded
 * into an object here and then checked the same way.
 */
import { TributaryError } from '../../../../core/errors.ts';
import { AvroDecoder, type AvroSourceConfig } from './avro.ts';
import { ProtobufDecoder, type ProtobufSourceConfig } from './protobuf.ts';
import { type SchemaRegistry } from './registry.ts';

export const EVENT_FORMATS = ['json', 'avro', 'avro_raw', 'protobuf', 'protobuf_raw'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

/** A record's payload as a value, or why it is not one. */
export type Decoded = { value: unknown } | { ok: false; field: string; reason: string };

export interface PayloadDecoder {
  /** Before a batch is decoded: fetch what its records need (schemas of ids not seen before). */
  prepare?(values: ReadonlyArray<Buffer | null>): Promise<void>;
  decode(bytes: Buffer): Decoded;
}

/**
 * The schema id of a record in Confluent's wire format (magic byte 0, the id as 4 bytes), or why the
 * record is not in it. `after` names what follows the id in this format, `raw` the format to use for
 * payloads without the frame.
 */
export function confluentSchemaId(bytes: Buffer, minLength: number, after: string, raw: EventFormat): number | { ok: false; field: string; reason: string } {
  if (bytes.length >= minLength && bytes[0] === 0) return bytes.readUInt32BE(1);
  const first = bytes[0]!;
  const hint = first === 0x7b || first === 0x5b ? ` ('${String.fromCharCode(first)}': JSON? then the source's format is json)` : ` (payloads without the frame are format ${raw})`;
  return { ok: false, field: '', reason: `not in Confluent's wire format (magic byte 0, a 4-byte schema id${after}): it starts with byte 0x${first.toString(16).padStart(2, '0')}${hint}` };
}

/** The decoder of a binary format, or undefined for JSON; throws CONFIG_INVALID naming `where` and the key. */
export function payloadDecoder(format: EventFormat, config: AvroSourceConfig & ProtobufSourceConfig, where: string, registry?: SchemaRegistry): PayloadDecoder | undefined {
  const avroKeys = config.avro_schema !== undefined || config.avro_schemas !== undefined;
  const protoKeys = config.proto_file !== undefined || config.proto_message !== undefined;
  if (avroKeys && format !== 'avro' && format !== 'avro_raw') {
    throw new TributaryError('CONFIG_INVALID', `${where}: avro_schema is given but format is ${format} (set format: avro, or avro_raw)`);
  }
  if (protoKeys && format !== 'protobuf' && format !== 'protobuf_raw') {
    throw new TributaryError('CONFIG_INVALID', `${where}: proto_file is given but format is ${format} (set format: protobuf, or protobuf_raw)`);
  }
  if (format === 'avro' || format === 'avro_raw') return new AvroDecoder(format, config, where, registry);
  if (format === 'protobuf' || format === 'protobuf_raw') return new ProtobufDecoder(format, config, where, registry);
  return undefined;
}
