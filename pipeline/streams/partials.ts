/**
 * The partials stream: the group's partials topic (partial windows and source watermarks, keyed by
 * series) -> merge -> whole service and metric windows, which the worker scores and lands. Nothing
 * lands per record here, so there is no raw table and nothing to replay: after a take-over the
 * merge state is rebuilt from the last commit.
 */
import { serviceKind, type ServiceWindowOptions } from '../transforms/windows/service-windows.ts';
import { metricKind, type MetricWindowOptions } from '../transforms/windows/metric-windows.ts';
import { MergeStage } from '../stages/merge.ts';
import { Chain } from './chain.ts';

export function partialsStream(topic: string, options: { windows: ServiceWindowOptions & MetricWindowOptions; retentionMs: number }): { stream: Chain; merge: MergeStage } {
  const merge = new MergeStage([
    { name: 'service', table: 'service_windows', kind: serviceKind(options.windows) as never, retentionMs: options.retentionMs },
    { name: 'metric', table: 'metric_windows', kind: metricKind(options.windows) as never, retentionMs: options.retentionMs },
  ]);
  return { stream: new Chain(topic, [merge as never]), merge };
}
