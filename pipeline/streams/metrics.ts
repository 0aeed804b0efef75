/**
 * The metrics stream: `metrics.v1` records -> decode -> `metrics` rows -> metric windows, sent as
 * partials to the group's partials topic (merged in `partials.ts`).
 */
import { decodeMetric } from '../transforms/decode.ts';
import { metricKind, type MetricWindowInput, type MetricWindowOptions } from '../transforms/windows/metric-windows.ts';
import { type RepartitionSink } from '../sinks/repartition.ts';
import { DecodeStage } from '../stages/decode.ts';
import { MetricRowStage } from '../stages/rows.ts';
import { WindowStage } from '../stages/windows.ts';
import { Chain, chain } from './chain.ts';

export interface MetricStream {
  stream: Chain;
  decode: DecodeStage<unknown>;
  windows: WindowStage<MetricWindowInput>;
}

export function metricStream(topic: string, options: { windows: MetricWindowOptions; sink: () => RepartitionSink }): MetricStream {
  const decode = new DecodeStage(decodeMetric);
  const windows = new WindowStage<MetricWindowInput>('metric', topic, metricKind(options.windows) as never, options.windows, options.sink);
  const stream = new Chain(topic, chain(decode, new MetricRowStage(), windows), { table: 'metrics', hasTopicColumn: false });
  return { stream, decode: decode as DecodeStage<unknown>, windows };
}
