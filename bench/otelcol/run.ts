/**
 * Running our Collector build (bench/otelcol, upstream 0.165 components; dist/otelcol/otelcol) from
 * TypeScript: start it on a config of bench/otelcol with settings from the environment, read its own
 * telemetry, stop it. bench/agent.ts uses `otelcolRun` as one more shipper; the interop check uses
 * `startOtelcol` to read our topics through the Collector's kafka receiver.
 *
 * Lines, not Kafka messages, are counted: with otlp_proto the exporter packs a filelog batch (100
 * lines) into one message, so the broker's offsets say little. The Collector's telemetry counts
 * records: otelcol_exporter_sent_log_records, on its Prometheus endpoint (bound to 127.0.0.1), goes up
 * once Kafka acknowledged a send.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../core/ports.ts';
import { cpuSeconds, peakRssKb, startService, type Service } from '../proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const OTELCOL_BIN = join(root, 'dist/otelcol/otelcol');

/**
 * Builds dist/otelcol/otelcol with bench/otelcol/build.sh unless it is there and `rebuild` is off
 * (BENCH_OTELCOL_REBUILD=1 sets it). A rebuild with Go's caches warm takes seconds (a link).
 */
export function ensureOtelcol(rebuild = !!process.env.BENCH_OTELCOL_REBUILD): string {
  if (existsSync(OTELCOL_BIN) && !rebuild) return OTELCOL_BIN;
  process.stderr.write('Building the Collector (bench/otelcol/build.sh; the first build on a machine takes minutes)...\n');
  const b = spawnSync('bash', [join(root, 'bench/otelcol/build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (b.status !== 0) throw new Error(`bench/otelcol/build.sh failed (exit ${b.status})`);
  return OTELCOL_BIN;
}

/** The sum of a metric's samples in Prometheus text (one per label set; a counter's `_total` name too), or undefined if absent. */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    let rest = line.slice(name.length);
    if (rest.startsWith('_total')) rest = rest.slice(6);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface Otelcol extends Service {
  /** Its Prometheus text, or undefined while the endpoint does not answer yet. */
  scrape(): Promise<string | undefined>;
}

/**
 * Starts the Collector on bench/otelcol/<config> with `env` added; OTELCOL_METRICS_PORT is set to a
 * free port for its telemetry. stderr is kept (the last 4 KB) for error messages.
 */
export async function startOtelcol(config: string, env: Record<string, string>): Promise<Otelcol> {
  const port = await freePort();
  // Its queue is empty once its work is counted, so SIGTERM ends it at once.
  const service = startService('the Collector', OTELCOL_BIN, [`--config=file:${join(root, 'bench/otelcol', config)}`], { ...env, OTELCOL_METRICS_PORT: String(port) });
  return { ...service, scrape: () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => undefined) };
}

/**
 * Ships `file` (of `lines` lines) into `topic` with the Collector's filelog -> kafka exporter
 * (filelog-kafka.yaml); the same figures as the bench's other rows. Polled every 25 ms until every
 * line is counted sent; CPU (/proc/<pid>/stat, all threads) and peak RSS (VmHWM) are read then, before
 * the process is stopped, so its shutdown is not in the figures. As for the agent's rows (timed from
 * just before agent.start(), modules loaded), the clock and the CPU count start when the endpoint
 * first answers: the service has read its config and built its telemetry, and starts its receiver and
 * exporter next. The steady figure is the agent rows' too: CPU between the polls that first see 10 %
 * and 90 % of the lines sent.
 */
export async function otelcolRun(file: string, brokers: string, topic: string, lines: number, encoding: 'otlp_proto' | 'raw', timeoutMs = 300_000): Promise<{ seconds: number; cpuSeconds: number; maxRssKb: number; steadyCpuSeconds?: number; steadyLines?: number }> {
  const t0 = Date.now();
  const oc = await startOtelcol('filelog-kafka.yaml', { OTELCOL_FILE: file, OTELCOL_BROKERS: brokers, OTELCOL_TOPIC: topic, OTELCOL_ENCODING: encoding });
  let start: { t: bigint; cpu: number } | undefined;
  const marks: Array<{ cpu: number; sent: number }> = [];
  try {
    for (;;) {
      oc.checkAlive();
      if (Date.now() - t0 > timeoutMs) throw new Error(`the Collector sent fewer than ${lines} lines in ${timeoutMs / 1000} s`);
      const text = await oc.scrape();
      if (text === undefined) {
        await new Promise((r) => setTimeout(r, 5)); // not up yet
        continue;
      }
      start ??= { t: process.hrtime.bigint(), cpu: cpuSeconds(oc.pid) };
      // Lines it dropped or could not send never count as sent: fail at once rather than time out.
      const failed = metricSum(text, 'otelcol_exporter_send_failed_log_records') ?? 0;
      if (failed > 0) throw new Error(`the Collector's kafka exporter failed to send ${failed} records: ${oc.stderr()}`);
      const refused = metricSum(text, 'otelcol_receiver_refused_log_records') ?? 0;
      if (refused > 0) throw new Error(`the Collector dropped ${refused} lines (its exporter's queue refused them)`);
      const sent = metricSum(text, 'otelcol_exporter_sent_log_records') ?? 0;
      if (marks.length === 0 && sent >= lines / 10) marks.push({ cpu: cpuSeconds(oc.pid), sent });
      else if (marks.length === 1 && sent >= (lines * 9) / 10) marks.push({ cpu: cpuSeconds(oc.pid), sent });
      if (sent >= lines) {
        const seconds = Number(process.hrtime.bigint() - start.t) / 1e9;
        const steady = marks.length === 2 ? { steadyCpuSeconds: marks[1]!.cpu - marks[0]!.cpu, steadyLines: marks[1]!.sent - marks[0]!.sent } : {};
        return { seconds, cpuSeconds: cpuSeconds(oc.pid) - start.cpu, maxRssKb: peakRssKb(oc.pid), ...steady };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await oc.stop();
  }
}
