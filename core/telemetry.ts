/**
 * OpenTelemetry for the pipeline's own traces and metrics. It starts only when the user asks for it
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `TRIBUTARY_OTEL=1`), so a first try needs no collector; instruments
 * are created through `meter()` either way and cost nothing when no SDK is running.
 */
import { randomFillSync } from 'node:crypto';
import { metrics, trace, TraceFlags, type Meter, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { log } from './log.ts';

let sdk: { shutdown(): Promise<void> } | undefined;

export function telemetryWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) || env.TRIBUTARY_OTEL === '1';
}

/** Starts the OpenTelemetry Node SDK with OTLP exporters configured from the standard OTEL_* variables. */
export async function startTelemetry(serviceName: string): Promise<void> {
  if (sdk || !telemetryWanted()) return;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  process.env.OTEL_SERVICE_NAME ??= serviceName;
  const started = new NodeSDK({});
  started.start();
  sdk = started;
  log('telemetry').info({ serviceName }, 'OpenTelemetry SDK started');
}

export async function stopTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}

export function meter(name = 'tributary'): Meter {
  return metrics.getMeter(name);
}

export function tracer(name = 'tributary'): Tracer {
  return trace.getTracer(name);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of a span the SDK records; undefined when none runs (the no-op span's ids are
 * all zeros, which no reader accepts).
 */
export function traceparentOf(span: Span): string | undefined {
  if (!span.isRecording()) return undefined;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

// Random bytes for fresh trace and span ids, drawn 4 KiB at a time: two randomBytes calls per batch
// were 7 % of a settled agent's main thread at 100 lines/s (one batch a poll).
const ids = Buffer.alloc(4096);
let idsAt = ids.length;

/** A fresh W3C `traceparent` (random trace and span ids, sampled), for a batch no recorded span covers. */
export function newTraceparent(): string {
  if (idsAt + 24 > ids.length) {
    randomFillSync(ids);
    idsAt = 0;
  }
  const at = idsAt;
  idsAt += 24;
  return `00-${ids.toString('hex', at, at + 16)}-${ids.toString('hex', at + 16, at + 24)}-01`;
}

/** A `traceparent` header (W3C trace context, version 00) as a remote span context; undefined when malformed or all zeros. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(value);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}
