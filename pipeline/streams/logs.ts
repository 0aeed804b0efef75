/**
 * The logs stream: `logs.v1` records -> decode -> origin dedup (re-sent lines stop here) -> pattern
 * miner -> `logs` rows and pattern deltas -> service windows, sent as partials to the group's partials
 * topic (merged in `partials.ts`).
 */
import { decodeLogs } from '../transforms/decode.ts';
import { serviceKind, type ServiceWindowInput, type ServiceWindowOptions } from '../transforms/windows/service-windows.ts';
import { type PatternMinerOptions } from '../transforms/patterns/options.ts';
import { type RepartitionSink } from '../sinks/repartition.ts';
import { DecodeStage } from '../stages/decode.ts';
import { OriginDedupStage } from '../stages/origin.ts';
import { PatternStage } from '../stages/patterns.ts';
import { LogRowStage } from '../stages/rows.ts';
import { WindowStage } from '../stages/windows.ts';
import { Chain, chain } from './chain.ts';

export interface LogStream {
  stream: Chain;
  decode: DecodeStage<unknown>;
  origin: OriginDedupStage;
  patterns: PatternStage;
  windows: WindowStage<ServiceWindowInput>;
}

export function logStream(
  topic: string,
  options: { windows: ServiceWindowOptions; patterns: Partial<PatternMinerOptions>; group: string; sink: () => RepartitionSink; dedupHorizonMs?: number },
): LogStream {
  const decode = new DecodeStage(decodeLogs);
  const origin = new OriginDedupStage(options.dedupHorizonMs);
  const patterns = new PatternStage(options.patterns, options.group);
  const windows = new WindowStage<ServiceWindowInput>('service', topic, serviceKind(options.windows) as never, options.windows, options.sink);
  const stream = new Chain(topic, chain(decode, origin, patterns, new LogRowStage(), windows), { table: 'logs', hasTopicColumn: true });
  return { stream, decode: decode as DecodeStage<unknown>, origin, patterns, windows };
}
