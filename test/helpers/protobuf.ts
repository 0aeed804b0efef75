/**
 * Messages made by hand in tests, encoded by protobufjs (a dependency already: the OTLP intake decodes
 * with it), so the agent's own decoders meet an encoder that is not ours: Prometheus' remote write
 * messages (prompb/types.proto and io/prometheus/write/v2/types.proto) and a page in its protobuf
 * exposition format (client_model's metrics.proto), with the field numbers of those files. Field names
 * are camelCase, as protobufjs gives them.
 */
import protobuf from 'protobufjs';

const { root } = protobuf.parse(`
syntax = "proto3";
package t;
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  int32 reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16;
}
message Label { string name = 1; string value = 2; }
message TimeSeries { repeated Label labels = 1; repeated Histogram histograms = 4; }
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeriesV2 { repeated uint32 labels_refs = 1; repeated Histogram histograms = 3; }
message RequestV2 { repeated string symbols = 4; repeated TimeSeriesV2 timeseries = 5; }
message LabelPair { string name = 1; string value = 2; }
message ClientHistogram { uint64 sample_count = 1; double sample_sum = 2; sint32 schema = 5; double zero_threshold = 6; uint64 zero_count = 7; repeated BucketSpan positive_span = 12; repeated sint64 positive_delta = 13; }
message Metric { repeated LabelPair label = 1; ClientHistogram histogram = 7; }
message MetricFamily { string name = 1; string help = 2; int32 type = 3; repeated Metric metric = 4; }
`);

export type ProtoMessage = 'WriteRequest' | 'RequestV2' | 'MetricFamily';

/** `value` encoded as message `type` (checked against its fields first: a misspelt field is an error, not a silent default). */
export function encodeProto(type: ProtoMessage, value: Record<string, unknown>, delimited = false): Buffer {
  const t = root.lookupType(`t.${type}`);
  const problem = t.verify(value);
  if (problem) throw new Error(`${type}: ${problem}`);
  const message = t.fromObject(value);
  return Buffer.from((delimited ? t.encodeDelimited(message) : t.encode(message)).finish());
}
