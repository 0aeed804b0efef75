/**
 * The agent's `/healthz`, `/readyz` and `/metrics` (core/health). Ready means: Kafka answers, and
 * what waits in the buffers is being acknowledged (or there is nothing waiting). The instruments read
 * the counters the agent keeps anyway, so scraping costs the shipping path nothing.
 */
import { TOPICS } from '../core/contracts/topics.ts';
import { KafkaProbe, ProgressCheck } from '../core/health/kafka-probe.ts';
import { HealthMetrics } from '../core/health/metrics.ts';
import { startHealthServer, type HealthServer } from '../core/health/server.ts';
import type { Agent } from './agent.ts';

export interface AgentHealth {
  server: HealthServer;
  metrics: HealthMetrics;
  close(): Promise<void>;
}

/** Instruments of the agent: stages `read` (sources to records) and `ship` (records to Kafka). */
export function agentMetrics(agent: Agent, metrics = new HealthMetrics('tributary-agent')): HealthMetrics {
  const s = agent.sink.stats;
  const o = agent.sinkOptions;
  metrics.counter('records_in', 'Records that entered the stage', () => [
    { value: agent.counters.records, labels: { stage: 'read' } },
    { value: s.sent + s.buffered + s.diskBuffered + s.dropped, labels: { stage: 'ship' } },
  ]);
  const filtered = () => [agent.counters.filtered, agent.counters.throttled].reduce((a, m) => a + Object.values(m).reduce((x, y) => x + y, 0), 0);
  metrics.counter('records_out', 'Records the stage handed on (read: built and not dropped by a filter; ship: acknowledged by Kafka)', () => [
    { value: agent.counters.records - filtered(), labels: { stage: 'read' } },
    { value: s.sent, labels: { stage: 'ship' } },
  ]);
  metrics.counter('records_filtered', 'Records a filter dropped on the host (transforms.filter, a source\'s filter), per source', () =>
    Object.entries(agent.counters.filtered).map(([source, value]) => ({ value, labels: { source } })),
  );
  metrics.counter('records_throttled', 'Records a filter\'s throttle dropped (over its limit), per source', () =>
    Object.entries(agent.counters.throttled).map(([source, value]) => ({ value, labels: { source } })),
  );
  metrics.counter('records_dropped', 'Records dropped for good (Kafka refused them, or a disk record failed its checksum); each is logged', () => [{ value: s.dropped, labels: { stage: 'ship' } }]);
  metrics.counter('records_truncated', 'Records whose body was cut to fit max_record_bytes', () => [{ value: s.truncated, labels: { stage: 'ship' } }]);
  metrics.counter('buffer_refusals', 'Appends the full disk buffer refused (reading paused meanwhile)', () => [{ value: s.diskRefusals, labels: { stage: 'ship' } }]);
  metrics.counter('backpressure_waits', 'Times reading paused because the buffers were full', () => [{ value: s.backpressureWaits, labels: { stage: 'ship' } }]);
  metrics.counter('batches_retried', 'Produce requests Kafka did not acknowledge, retried', () => [{ value: s.retries, labels: { stage: 'ship' } }]);
  metrics.counter('batches', 'Produce requests Kafka acknowledged', () => [{ value: s.batches, labels: { stage: 'ship' } }]);
  metrics.gauge('buffered_records', 'Records waiting for Kafka', () => [
    { value: s.buffered, labels: { buffer: 'memory' } },
    { value: s.diskBuffered, labels: { buffer: 'disk' } },
  ]);
  metrics.gauge('buffer_fill', 'Fill of the buffer, 0 to 1 (memory: records over its bound; disk: bytes over its bound)', () => [
    { value: Math.max(s.buffered / (o.maxBufferedEvents ?? 20_000), s.bufferedBytes / (o.maxBufferedBytes ?? 64 * 1024 * 1024)), labels: { buffer: 'memory' } },
    ...(o.diskBuffer ? [{ value: s.diskBufferedBytes / o.diskBuffer.maxBytes, labels: { buffer: 'disk' } }] : []),
  ]);
  metrics.counter('lines_read', 'Lines read per source', () => perSource(agent, (st) => st.linesRead ?? st.records ?? st.received));
  metrics.counter('checkpoint_write_failures', 'Checkpoint writes that failed per file source (each retried at the next write)', () => perSource(agent, (st) => st.checkpointWriteFailures));
  return metrics;
}

/** One value per source that has it among its stats (sources keep different stats). */
function perSource(agent: Agent, pick: (stats: Record<string, unknown>) => unknown): Array<{ value: number; labels: { source: string } }> {
  return agent.sources.flatMap((src) => {
    const st = (src as { stats?: Record<string, unknown> }).stats;
    const v = st ? pick(st) : undefined;
    return typeof v === 'number' ? [{ value: v, labels: { source: src.name } }] : [];
  });
}

export async function serveAgentHealth(agent: Agent, listen: string, opts: { probeIntervalMs?: number; stallMs?: number } = {}): Promise<AgentHealth> {
  const o = agent.sinkOptions;
  const probe = new KafkaProbe(o.brokers, [o.logsTopic ?? TOPICS.logs.name], { intervalMs: opts.probeIntervalMs ?? 2000 });
  const s = agent.sink.stats;
  const progress = new ProgressCheck(() => s.sent + s.dropped, () => s.buffered + s.diskBuffered, opts.stallMs ?? 30_000);
  const metrics = agentMetrics(agent);
  probe.start();
  const server = await startHealthServer({
    listen,
    metrics,
    ready: () => ({
      kafka: probe.check(),
      progress: progress.check(),
      buffer: s.lastError && s.buffered + s.diskBuffered > 0 ? { ok: true, detail: `holding ${s.buffered + s.diskBuffered} records while Kafka fails: ${s.lastError}` } : { ok: true },
    }),
  });
  return {
    server,
    metrics,
    async close() {
      await server.close();
      await probe.stop();
      await metrics.shutdown();
    },
  };
}
