/**
 * The process's own metrics as OpenTelemetry instruments, read out in Prometheus text format by
 * `/metrics` (the exporter's serializer; no server of its own). Names follow `pipeline_stats`
 * (core/contracts/pipeline-stats.ts): a stat `records_in` of stage `decode` is
 * `tributary_records_in_total{stage="decode"}` (counters end in `_total`, as Prometheus wants), a
 * gauge `consumer_lag` is `tributary_consumer_lag{...}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/** A reading of one instrument: a value per label set. */
export type Reading = Array<{ value: number; labels?: Attributes }>;

export class HealthMetrics {
  readonly meter: Meter;
  private readonly exporter: PrometheusExporter;
  private readonly provider: MeterProvider;

  constructor(serviceName: string) {
    this.exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true });
    this.provider = new MeterProvider({ readers: [this.exporter] });
    this.meter = this.provider.getMeter(serviceName);
  }

  /**
   * A counter read from a running total the component already keeps (`stats.sent`...), so the hot
   * path pays nothing: the callback runs only when /metrics is scraped.
   */
  counter(name: string, description: string, read: () => Reading): void {
    const c = this.meter.createObservableCounter(`tributary_${name}`, { description });
    c.addCallback((r: ObservableResult) => {
      for (const { value, labels } of read()) if (Number.isFinite(value)) r.observe(value, labels);
    });
  }

  gauge(name: string, description: string, read: () => Reading, unit?: string): void {
    const g = this.meter.createObservableGauge(`tributary_${name}`, { description, ...(unit ? { unit } : {}) });
    g.addCallback((r: ObservableResult) => {
      for (const { value, labels } of read()) if (Number.isFinite(value)) r.observe(value, labels);
    });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.exporter.getMetricsRequestHandler(req, res);
  }

  /** The Prometheus text, as a scrape would get it. */
  async text(): Promise<string> {
    const { resourceMetrics } = await this.exporter.collect();
    const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    return new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
