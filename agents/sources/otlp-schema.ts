/**
 * The part of the OTLP protobuf schema (opentelemetry-proto v1: common, resource, logs, metrics, traces
 * and the three export requests) that the intake decodes, as a protobufjs reflection root. Field names are
 * the OTLP/JSON (camelCase) names, so protobuf and JSON requests decode to the same object shape.
 */
import protobuf from 'protobufjs';

const f = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

const descriptor = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: f(1, 'string'), boolValue: f(2, 'bool'), intValue: f(3, 'int64'), doubleValue: f(4, 'double'),
            arrayValue: f(5, 'ArrayValue'), kvlistValue: f(6, 'KeyValueList'), bytesValue: f(7, 'bytes'),
          },
        },
        ArrayValue: { fields: { values: f(1, 'AnyValue', 'repeated') } },
        KeyValueList: { fields: { values: f(1, 'KeyValue', 'repeated') } },
        KeyValue: { fields: { key: f(1, 'string'), value: f(2, 'AnyValue') } },
        InstrumentationScope: { fields: { name: f(1, 'string'), version: f(2, 'string'), attributes: f(3, 'KeyValue', 'repeated') } },
        Resource: { fields: { attributes: f(1, 'KeyValue', 'repeated') } },
        LogRecord: {
          fields: {
            timeUnixNano: f(1, 'fixed64'), observedTimeUnixNano: f(11, 'fixed64'), severityNumber: f(2, 'int32'), severityText: f(3, 'string'),
            body: f(5, 'AnyValue'), attributes: f(6, 'KeyValue', 'repeated'), flags: f(8, 'fixed32'), traceId: f(9, 'bytes'), spanId: f(10, 'bytes'),
            eventName: f(12, 'string'),
          },
        },
        ScopeLogs: { fields: { scope: f(1, 'InstrumentationScope'), logRecords: f(2, 'LogRecord', 'repeated'), schemaUrl: f(3, 'string') } },
        ResourceLogs: { fields: { resource: f(1, 'Resource'), scopeLogs: f(2, 'ScopeLogs', 'repeated'), schemaUrl: f(3, 'string') } },
        ExportLogsServiceRequest: { fields: { resourceLogs: f(1, 'ResourceLogs', 'repeated') } },
        NumberDataPoint: {
          oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
          fields: {
            attributes: f(7, 'KeyValue', 'repeated'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'),
            asDouble: f(4, 'double'), asInt: f(6, 'sfixed64'), flags: f(8, 'uint32'),
          },
        },
        HistogramDataPoint: {
          fields: {
            attributes: f(9, 'KeyValue', 'repeated'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'), count: f(4, 'fixed64'),
            sum: f(5, 'double'), bucketCounts: f(6, 'fixed64', 'repeated'), explicitBounds: f(7, 'double', 'repeated'), flags: f(10, 'uint32'),
            min: f(11, 'double'), max: f(12, 'double'),
          },
        },
        ExponentialHistogramDataPoint: {
          fields: {
            attributes: f(1, 'KeyValue', 'repeated'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'), count: f(4, 'fixed64'),
            sum: f(5, 'double'), scale: f(6, 'sint32'), zeroCount: f(7, 'fixed64'), positive: f(8, 'ExponentialBuckets'), negative: f(9, 'ExponentialBuckets'),
            flags: f(10, 'uint32'), min: f(12, 'double'), max: f(13, 'double'), zeroThreshold: f(14, 'double'),
          },
        },
        ExponentialBuckets: { fields: { offset: f(1, 'sint32'), bucketCounts: f(2, 'uint64', 'repeated') } },
        ValueAtQuantile: { fields: { quantile: f(1, 'double'), value: f(2, 'double') } },
        SummaryDataPoint: {
          fields: {
            attributes: f(7, 'KeyValue', 'repeated'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'), count: f(4, 'fixed64'),
            sum: f(5, 'double'), quantileValues: f(6, 'ValueAtQuantile', 'repeated'), flags: f(8, 'uint32'),
          },
        },
        Gauge: { fields: { dataPoints: f(1, 'NumberDataPoint', 'repeated') } },
        Sum: { fields: { dataPoints: f(1, 'NumberDataPoint', 'repeated'), aggregationTemporality: f(2, 'int32'), isMonotonic: f(3, 'bool') } },
        Histogram: { fields: { dataPoints: f(1, 'HistogramDataPoint', 'repeated'), aggregationTemporality: f(2, 'int32') } },
        ExponentialHistogram: { fields: { dataPoints: f(1, 'ExponentialHistogramDataPoint', 'repeated'), aggregationTemporality: f(2, 'int32') } },
        Summary: { fields: { dataPoints: f(1, 'SummaryDataPoint', 'repeated') } },
        Metric: {
          oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
          fields: {
            name: f(1, 'string'), description: f(2, 'string'), unit: f(3, 'string'), gauge: f(5, 'Gauge'), sum: f(7, 'Sum'),
            histogram: f(9, 'Histogram'), exponentialHistogram: f(10, 'ExponentialHistogram'), summary: f(11, 'Summary'),
          },
        },
        ScopeMetrics: { fields: { scope: f(1, 'InstrumentationScope'), metrics: f(2, 'Metric', 'repeated'), schemaUrl: f(3, 'string') } },
        ResourceMetrics: { fields: { resource: f(1, 'Resource'), scopeMetrics: f(2, 'ScopeMetrics', 'repeated'), schemaUrl: f(3, 'string') } },
        ExportMetricsServiceRequest: { fields: { resourceMetrics: f(1, 'ResourceMetrics', 'repeated') } },
        SpanLink: {
          fields: { traceId: f(1, 'bytes'), spanId: f(2, 'bytes'), traceState: f(3, 'string'), attributes: f(4, 'KeyValue', 'repeated'), flags: f(6, 'fixed32') },
        },
        SpanStatus: { fields: { message: f(2, 'string'), code: f(3, 'int32') } },
        Span: {
          fields: {
            traceId: f(1, 'bytes'), spanId: f(2, 'bytes'), traceState: f(3, 'string'), parentSpanId: f(4, 'bytes'), flags: f(16, 'fixed32'),
            name: f(5, 'string'), kind: f(6, 'int32'), startTimeUnixNano: f(7, 'fixed64'), endTimeUnixNano: f(8, 'fixed64'),
            attributes: f(9, 'KeyValue', 'repeated'), links: f(13, 'SpanLink', 'repeated'), status: f(15, 'SpanStatus'),
          },
        },
        ScopeSpans: { fields: { scope: f(1, 'InstrumentationScope'), spans: f(2, 'Span', 'repeated'), schemaUrl: f(3, 'string') } },
        ResourceSpans: { fields: { resource: f(1, 'Resource'), scopeSpans: f(2, 'ScopeSpans', 'repeated'), schemaUrl: f(3, 'string') } },
        ExportTraceServiceRequest: { fields: { resourceSpans: f(1, 'ResourceSpans', 'repeated') } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ExportLogsServiceRequest = root.lookupType('otlp.ExportLogsServiceRequest');
export const ExportMetricsServiceRequest = root.lookupType('otlp.ExportMetricsServiceRequest');
export const ExportTraceServiceRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/** Decodes a protobuf request body to the OTLP/JSON object shape (64-bit numbers as strings, bytes as Buffers). */
export function decodeProtobuf(type: protobuf.Type, body: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(body), { longs: String, defaults: false }) as Record<string, unknown>;
}
