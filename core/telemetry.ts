/**
 * OpenTelemetry for the pipeline's own traces and metrics. It starts only when the user asks for it
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `TRIBUTARY_OTEL=1`), so a first try needs no collector; instruments
 * are created through `meter()` either way and cost nothing when no SDK is running.
 */
import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
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
