/**
 * The agent's source types, in the order the config reference lists them: each one definition beside
 * its code (`SourceDefinition`, definition.ts).
 */
import { type SourceDefinition } from './definition.ts';
import { elasticsearchSourceDefinition, type ElasticsearchSourceConfig } from './elasticsearch.ts';
import { fileSourceDefinition, type FileSourceConfig } from './file.ts';
import { forwardSourceDefinition, type ForwardSourceConfig } from './forward.ts';
import { gelfSourceDefinition } from './gelf.ts';
import { hostMetricsSourceDefinition, type HostMetricsSourceConfig } from './host-metrics.ts';
import { journaldSourceDefinition, type JournaldSourceConfig } from './journald.ts';
import { type ListenerSourceConfig } from './listener.ts';
import { otlpSourceDefinition, type OtlpSourceConfig } from './otlp.ts';
import { prometheusScrapeSourceDefinition, type PrometheusScrapeSourceConfig } from './prometheus.ts';
import { remoteWriteSourceDefinition, type RemoteWriteSourceConfig } from './remote-write.ts';
import { splunkHecSourceDefinition, type SplunkHecSourceConfig } from './splunk-hec.ts';
import { stdinSourceDefinition, type StdinSourceConfig } from './stdin.ts';
import { syslogSourceDefinition } from './syslog.ts';

export const SOURCES: readonly SourceDefinition[] = [
  fileSourceDefinition,
  stdinSourceDefinition,
  otlpSourceDefinition,
  syslogSourceDefinition,
  gelfSourceDefinition,
  forwardSourceDefinition,
  splunkHecSourceDefinition,
  elasticsearchSourceDefinition,
  journaldSourceDefinition,
  hostMetricsSourceDefinition,
  prometheusScrapeSourceDefinition,
  remoteWriteSourceDefinition,
];

export type SourceConfig = FileSourceConfig | StdinSourceConfig | OtlpSourceConfig | ListenerSourceConfig | ForwardSourceConfig | SplunkHecSourceConfig | ElasticsearchSourceConfig | JournaldSourceConfig | HostMetricsSourceConfig | PrometheusScrapeSourceConfig | RemoteWriteSourceConfig;
export type { ElasticsearchSourceConfig, FileSourceConfig, ForwardSourceConfig, HostMetricsSourceConfig, JournaldSourceConfig, ListenerSourceConfig, OtlpSourceConfig, PrometheusScrapeSourceConfig, RemoteWriteSourceConfig, SplunkHecSourceConfig, StdinSourceConfig };

/** The definition of a source type; undefined for a type the agent does not know. */
export function sourceDefinition(type: string): SourceDefinition | undefined {
  return SOURCES.find((d) => d.type === type);
}
