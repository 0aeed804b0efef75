/**
 * A validated AgentConfig in, a ready (not started) Agent out: one constructor call per configured
 * source, each with its own record builder (parser, time zone), sharing the agent's counters and
 * redaction, and the Kafka sink with its memory and disk buffer bounds.
 */
import { type AgentConfig, inferenceOptions, multilineOptions, redactorOptions } from './config.ts';
import { Agent } from './agent.ts';
import { log } from '../core/log.ts';
import { RecordPool } from './record-pool.ts';
import { createRecordBuilder, newCounters, type RecordBuilderOptions } from './record-builder.ts';
import type { KafkaSinkOptions } from './sinks/kafka.ts';
import type { Source } from './source.ts';
import { FileSource } from './sources/file.ts';
import { GelfSource } from './sources/gelf.ts';
import { HostMetricsSource } from './sources/host-metrics.ts';
import { JournaldSource } from './sources/journald.ts';
import { OtlpSource } from './sources/otlp.ts';
import { StdinSource } from './sources/stdin.ts';
import { SyslogSource } from './sources/syslog.ts';

/** `priority` as a word or a digit: its index modulo 8 is the syslog severity. */
const JOURNAL_PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', '0', '1', '2', '3', '4', '5', '6', '7'];

/** Where the OTLP intake's bearer token comes from when `bearer_token_env` is not set. */
export const DEFAULT_OTLP_TOKEN_ENV = 'TRIBUTARY_OTLP_TOKEN';

export function sinkOptions(cfg: AgentConfig): KafkaSinkOptions {
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
    ssl: k.ssl,
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

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

export function agentFromConfig(cfg: AgentConfig, env: NodeJS.ProcessEnv = process.env): Agent {
  const counters = newCounters();
  const base: RecordBuilderOptions = { redaction: redactorOptions(cfg), inference: inferenceOptions(cfg), resource: cfg.host.resource };
  const host = cfg.host.name;
  const sources: Source[] = [];
  const hasFiles = Object.values(cfg.sources).some((s) => s.type === 'file');
  // With threads 0 too: the pool then builds each batch on the main thread, encoded as a thread would.
  const pool = hasFiles
    ? new RecordPool({ threads: cfg.transforms.threads, key: cfg.kafka.key, maxRecordBytes: cfg.kafka.max_record_bytes, encoding: cfg.kafka.encoding, recordsPerMessage: cfg.kafka.records_per_message, counters, log: log('agent.threads') })
    : undefined;
  for (const [name, src] of Object.entries(cfg.sources)) {
    const service = src.service ?? cfg.service.name;
    if (src.type === 'file') {
      const builder: RecordBuilderOptions = { ...base, parser: src.parser, timeZone: src.time_zone, source: name };
      sources.push(
        new FileSource(name, {
          include: src.include,
          exclude: src.exclude,
          service,
          host,
          startAt: src.start_at,
          stateDir: cfg.state_dir,
          pollMs: src.poll_ms,
          discoverMs: src.discover_ms,
          idlePollMs: src.idle_poll_ms,
          watch: src.watch,
          watchedPollMs: src.watched_poll_ms,
          readBytes: src.read_bytes,
          maxLineBytes: src.max_line_bytes,
          onLongLine: src.on_long_line,
          encoding: src.encoding,
          rotateWaitMs: src.rotate_wait_ms,
          checkpointExpireMs: src.checkpoint_expire_ms,
          containerPath: src.container_path,
          // The source's own service wins; the agent-wide default loses to the container's name.
          serviceFromContainer: src.service === undefined,
          multiline: multilineOptions(src.multiline) ?? false,
          attributes: src.attributes,
          toRecord: createRecordBuilder(counters, builder),
          ...(pool ? { threads: { pool, builder: pool.addBuilder(builder) } } : {}),
        }),
      );
    } else if (src.type === 'stdin') {
      sources.push(
        new StdinSource({
          service,
          host,
          encoding: src.encoding,
          maxLineBytes: src.max_line_bytes,
          onLongLine: src.on_long_line,
          multiline: multilineOptions(src.multiline) ?? false,
          attributes: src.attributes,
          toRecord: createRecordBuilder(counters, { ...base, parser: src.parser, timeZone: src.time_zone, source: name }),
        }),
      );
    } else if (src.type === 'otlp') {
      const { host: bind, port } = splitListen(src.listen);
      const token = env[src.bearer_token_env ?? DEFAULT_OTLP_TOKEN_ENV] || undefined;
      sources.push(new OtlpSource({ host: bind, port, token, defaultHost: host, defaultService: service, maxBodyBytes: src.max_body_bytes }));
    } else if (src.type === 'syslog' || src.type === 'gelf') {
      const { host: bind, port } = splitListen(src.listen);
      const Intake = src.type === 'syslog' ? SyslogSource : GelfSource;
      sources.push(
        new Intake(name, {
          mode: src.mode,
          host: bind,
          port,
          maxMessageBytes: src.max_message_bytes,
          service,
          hostName: host,
          serviceFromMessage: src.service === undefined,
          attributes: src.attributes,
          toRecord: createRecordBuilder(counters, { ...base, parser: src.parser, timeZone: src.time_zone, source: name }),
        }),
      );
    } else if (src.type === 'journald') {
      sources.push(
        new JournaldSource(name, {
          service,
          serviceFromEntry: src.service === undefined,
          hostName: host,
          stateDir: cfg.state_dir,
          directory: src.directory,
          units: src.units,
          identifiers: src.identifiers,
          maxPriority: src.priority === undefined ? undefined : JOURNAL_PRIORITIES.indexOf(src.priority) % 8,
          startAt: src.start_at,
          journalctl: src.journalctl_path,
          attributes: src.attributes,
          toRecord: createRecordBuilder(counters, { ...base, parser: src.parser, timeZone: src.time_zone, source: name }),
        }),
      );
    } else if (src.type === 'host_metrics') {
      sources.push(new HostMetricsSource({ service, host, intervalMs: src.interval_ms, procDir: src.proc_path, collectors: src.collectors }));
    }
  }
  return new Agent({
    sink: sinkOptions(cfg),
    sources,
    counters,
    builder: base,
    ...(pool ? { pool } : {}),
    selfMetrics: cfg.self_metrics.enabled ? { intervalMs: cfg.self_metrics.interval_ms, host } : false,
  });
}
