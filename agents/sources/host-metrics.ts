/**
 * Host metrics source: /proc in, gauge MetricPoints out at an interval: CPU utilisation, memory
 * utilisation and usage, load averages, disk and network throughput. Names follow the OpenTelemetry
 * host-metrics conventions that `workload/` generates (`system.cpu.utilization`, ...), so generated
 * and real hosts land in the same series.
 */
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, type MetricPoint } from '../../core/contracts/records.ts';
import type { Source, SourceContext } from '../source.ts';
import { int, str } from '../config-schema.ts';
import { defineSource } from './definition.ts';

export interface HostMetricsOptions {
  /** Service the points are filed under (metrics are keyed `service|host`). */
  service: string;
  host: string;
  intervalMs?: number;
  /** Folder to read instead of /proc (a container may mount the host's elsewhere). */
  procDir?: string;
  /** Which groups to send: cpu, memory, load, disk, network (all by default). */
  collectors?: string[];
}

const GROUP: Array<[RegExp, string]> = [[/^system\.cpu\.load_average/, 'load'], [/^system\.cpu\./, 'cpu'], [/^system\.memory\./, 'memory'], [/^system\.disk\./, 'disk'], [/^system\.network\./, 'network']];

function groupOf(name: string): string {
  return GROUP.find(([re]) => re.test(name))?.[1] ?? 'other';
}

interface Sample {
  at: number;
  cpuBusy: number;
  cpuTotal: number;
  diskRead: number;
  diskWrite: number;
  netRx: number;
  netTx: number;
}

// Whole disks only: partitions, loop and RAM devices would count the same bytes twice or not at all.
const PARTITION = /^(?:(?:sd|vd|xvd|hd)[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+|loop\d+|ram\d+|zram\d+|dm-\d+|sr\d+)$/;

export function readSample(proc: string, at = Date.now()): Sample {
  const cpu = readFileSync(`${proc}/stat`, 'utf8').split('\n').find((l) => l.startsWith('cpu '))!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  let diskRead = 0;
  let diskWrite = 0;
  try {
    for (const line of readFileSync(`${proc}/diskstats`, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || PARTITION.test(f[2]!)) continue;
      diskRead += Number(f[5]) * 512;
      diskWrite += Number(f[9]) * 512;
    }
  } catch {
    /* containers may hide diskstats */
  }
  let netRx = 0;
  let netTx = 0;
  for (const line of readFileSync(`${proc}/net/dev`, 'utf8').split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name!.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    netRx += f[0] ?? 0;
    netTx += f[8] ?? 0;
  }
  return { at, cpuBusy: total - idle, cpuTotal: total, diskRead, diskWrite, netRx, netTx };
}

/** Gauges from two samples (rates over the time between them) and the current memory and load. */
export function hostPoints(prev: Sample, cur: Sample, proc: string, service: string, host: string): MetricPoint[] {
  const time = new Date(cur.at).toISOString();
  const seconds = Math.max(0.001, (cur.at - prev.at) / 1000);
  const mem: Record<string, number> = {};
  for (const line of readFileSync(`${proc}/meminfo`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) mem[m[1]!] = Number(m[2]) * 1024;
  }
  const memTotal = mem.MemTotal ?? 0;
  const memUsed = memTotal - (mem.MemAvailable ?? mem.MemFree ?? 0);
  const load = readFileSync(`${proc}/loadavg`, 'utf8').trim().split(/\s+/).map(Number);
  const dCpu = cur.cpuTotal - prev.cpuTotal;
  const point = (name: string, value: number, unit: string): MetricPoint => ({ v: SCHEMA_VERSION, time, service, host, name, kind: 'gauge', value, unit, labels: {} });
  const rate = (a: number, b: number) => Math.max(0, Math.round((b - a) / seconds));
  return [
    point('system.cpu.utilization', dCpu > 0 ? Math.round(((cur.cpuBusy - prev.cpuBusy) / dCpu) * 10_000) / 10_000 : 0, '1'),
    point('system.memory.utilization', memTotal > 0 ? Math.round((memUsed / memTotal) * 10_000) / 10_000 : 0, '1'),
    point('system.memory.usage', memUsed, 'By'),
    point('system.cpu.load_average.1m', load[0] ?? 0, '{thread}'),
    point('system.cpu.load_average.5m', load[1] ?? 0, '{thread}'),
    point('system.cpu.load_average.15m', load[2] ?? 0, '{thread}'),
    point('system.disk.io.read', rate(prev.diskRead, cur.diskRead), 'By/s'),
    point('system.disk.io.write', rate(prev.diskWrite, cur.diskWrite), 'By/s'),
    point('system.network.io.receive', rate(prev.netRx, cur.netRx), 'By/s'),
    point('system.network.io.transmit', rate(prev.netTx, cur.netTx), 'By/s'),
  ];
}

export class HostMetricsSource implements Source {
  readonly name = 'host_metrics';
  readonly stats = { samples: 0, points: 0, errors: 0 };
  private timer?: NodeJS.Timeout;
  private prev?: Sample;
  private tick?: Promise<void>;

  constructor(private readonly o: HostMetricsOptions) {}

  async start(ctx: SourceContext): Promise<void> {
    const proc = this.o.procDir ?? '/proc';
    this.prev = readSample(proc);
    this.timer = setInterval(() => {
      if (this.tick) return; // the previous sample is still waiting for room in the sink
      this.tick = (async () => {
        try {
          const cur = readSample(proc);
          const wanted = this.o.collectors;
          const points = hostPoints(this.prev!, cur, proc, this.o.service, this.o.host).filter((p) => !wanted || wanted.includes(groupOf(p.name)));
          this.prev = cur;
          this.stats.samples++;
          this.stats.points += points.length;
          await ctx.emit({ events: points.map((point) => ({ type: 'metric' as const, point })) });
        } catch (err) {
          this.stats.errors++;
          ctx.log.warn({ err: (err as Error).message }, 'Reading host metrics failed; trying again at the next interval.');
        }
      })().finally(() => (this.tick = undefined));
    }, this.o.intervalMs ?? 10_000);
  }

  async pause(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.tick;
  }

  async stop(): Promise<void> {
    await this.pause();
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

export interface HostMetricsSourceConfig {
  type: 'host_metrics';
  interval_ms: number;
  collectors: Array<'cpu' | 'memory' | 'load' | 'disk' | 'network'>;
  proc_path: string;
  service?: string;
}

export const hostMetricsSourceDefinition = defineSource<HostMetricsSourceConfig>({
  type: 'host_metrics',
  metricsOnly: true,
  description: 'CPU, memory, load, disk and network from /proc, as metric points.',
  properties: {
      interval_ms: int('Collection interval.', 1000, 10_000),
      collectors: {
        type: 'array', uniqueItems: true, minItems: 1, description: 'Which metric groups to collect.',
        items: { type: 'string', enum: ['cpu', 'memory', 'load', 'disk', 'network'] },
        default: ['cpu', 'memory', 'load', 'disk', 'network'],
      },
      proc_path: str('Where procfs is mounted (a container may mount the host\'s elsewhere).', { default: '/proc' }),
      service: str('Service name for the metric points (default: service.name).', { minLength: 1 }),
  },
  create: (src, ctx) => new HostMetricsSource({ service: ctx.service, host: ctx.host, intervalMs: src.interval_ms, procDir: src.proc_path, collectors: src.collectors }),
  describe: (src) => `every ${src.interval_ms} ms`,
});
