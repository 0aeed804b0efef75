/** The metrics stream: `metrics.v1` records -> decode -> `metrics` rows -> metric windows (`metric_windows`). */
import { decodeMetric } from '../transforms/decode.ts';
import { MetricWindows, type MetricWindowOptions } from '../transforms/windows/metric-windows.ts';
import { DecodeStage } from '../stages/decode.ts';
import { MetricRowStage } from '../stages/rows.ts';
import { WindowStage } from '../stages/windows.ts';
import { Chain, chain } from './chain.ts';

export interface MetricStream {
  stream: Chain;
  decode: DecodeStage<unknown>;
  windows: WindowStage<never, unknown>;
}

export function metricStream(topic: string, options: { windows: MetricWindowOptions }): MetricStream {
  const decode = new DecodeStage(decodeMetric);
  const windows = new WindowStage('metric_windows', () => new MetricWindows(options.windows));
  const stream = new Chain(topic, chain(decode, new MetricRowStage(), windows), { table: 'metrics', hasTopicColumn: false });
  return { stream, decode: decode as DecodeStage<unknown>, windows: windows as unknown as WindowStage<never, unknown> };
}
