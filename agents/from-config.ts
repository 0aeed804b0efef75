/**
 * A validated AgentConfig in, a ready (not started) Agent out: each configured source built by its
 * type's definition (agents/sources/index.ts), with its own record builder (parser, time zone) sharing
 * the agent's counters and redaction, and the Kafka sink with its memory and disk buffer bounds.
 */
import { type AgentConfig, inferenceOptions, redactorOptions, sourceFilter } from './config.ts';
import { Agent } from './agent.ts';
import { log } from '../core/log.ts';
import { RecordPool } from './record-pool.ts';
import { createKeep, createRecordBuilder, newCounters, type RecordBuilderOptions, type RecordKeep } from './record-builder.ts';
import type { KafkaSinkOptions } from './sinks/kafka.ts';
import type { Source } from './source.ts';
import { sourceDefinition } from './sources/index.ts';
import type { ParserConfig } from './transforms/parsers/index.ts';
import { tlsFromFiles } from '../core/kafka/security.ts';

export function sinkOptions(cfg: AgentConfig, env: NodeJS.ProcessEnv = process.env): KafkaSinkOptions {
  const k = cfg.kafka;
  return {
    brokers: k.brokers,
    clientId: k.client_id,
    logsTopic: k.topics.logs,
    metricsTopic: k.topics.metrics,
    compression: k.compression,
    batchMaxEvents: k.batch.max_events,
    batchMaxBytes: k.batch.max_bytes,
    lingerMs: k.batch.linger_ms,
    maxRecordBytes: k.max_record_bytes,
    maxBufferedEvents: cfg.buffer.memory.max_events,
    maxBufferedBytes: cfg.buffer.memory.max_bytes,
    // The config's files, read once here (a renewed client certificate is read at the next start).
    ssl: k.tls ? tlsFromFiles(k.tls, 'kafka.tls', env) : k.ssl,
    sasl: k.sasl,
    client: k.client,
    key: k.key,
    encoding: k.encoding,
    recordsPerMessage: k.records_per_message,
    maxInFlight: k.max_in_flight,
    requestTimeoutMs: k.request_timeout_ms,
    diskBuffer: cfg.buffer.disk.enabled && cfg.buffer.disk.path ? { dir: cfg.buffer.disk.path, maxBytes: cfg.buffer.disk.max_bytes } : undefined,
  };
}

export function agentFromConfig(cfg: AgentConfig, env: NodeJS.ProcessEnv = process.env): Agent {
  const counters = newCounters();
  const base: RecordBuilderOptions = { redaction: redactorOptions(cfg), inference: inferenceOptions(cfg), resource: cfg.host.resource };
  let pool: RecordPool | undefined;
  const sources: Source[] = [];
  const keep: Record<string, RecordKeep> = {};
  for (const [name, src] of Object.entries(cfg.sources)) {
    const def = sourceDefinition(src.type);
    if (!def) throw new Error(`no source type ${src.type}`);
    // The agent's filter, then the source's: a record is shipped when it passes both.
    const own = sourceFilter(src);
    const filter = own ? [cfg.transforms.filter, own] : [cfg.transforms.filter];
    const sourceKeep = createKeep(counters, { filter, source: name });
    if (sourceKeep) keep[name] = sourceKeep;
    const builderOptions = (parsing: { parser: ParserConfig; time_zone: string }): RecordBuilderOptions => ({ ...base, parser: parsing.parser, timeZone: parsing.time_zone, source: name, ...(sourceKeep ? { filter } : {}) });
    sources.push(
      def.create(src, {
        name,
        service: src.service ?? cfg.service.name,
        serviceNamed: src.service !== undefined,
        host: cfg.host.name,
        stateDir: cfg.state_dir,
        env,
        builderOptions,
        recordBuilder: (parsing) => createRecordBuilder(counters, builderOptions(parsing)),
        pool: () =>
          (pool ??= new RecordPool({ threads: cfg.transforms.threads, key: cfg.kafka.key, maxRecordBytes: cfg.kafka.max_record_bytes, encoding: cfg.kafka.encoding, recordsPerMessage: cfg.kafka.records_per_message, counters, log: log('agent.threads') })),
      }),
    );
  }
  return new Agent({
    sink: sinkOptions(cfg, env),
    sources,
    counters,
    builder: base,
    keep,
    ...(pool ? { pool } : {}),
    selfMetrics: cfg.self_metrics.enabled ? { intervalMs: cfg.self_metrics.interval_ms, host: cfg.host.name } : false,
  });
}
