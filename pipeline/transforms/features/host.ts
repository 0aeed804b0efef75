/**
 * Host-metric features: the closed metric windows of one host and one window (one `MetricWindowRow`
 * per series) plus the host's recent baseline go in, a fixed-order vector comes out. Absolute CPU and
 * memory levels matter for saturation; load, disk and network are compared with the host's own past.
 *
 * The set is declared in the feature views' terms (`HOST_FEATURE_SET`): the readings are its inputs
 * (what a view's aggregations are), its features are derived features of `views/derived.ts` with the
 * same config a view in worker.yaml takes, so adding one is one entry there (and a retrained model).
 */
import { type MetricWindowRow } from '../../../core/contracts/rows.ts';
import { RollingBaseline } from './baseline.ts';
import { FeatureSet, type FeatureSetDefinition } from './feature-set.ts';
import { type FeatureVector } from './service.ts';

/** Metric names the host features read (what the agent's /proc reader ships; see workload/README.md). */
export const HOST_METRICS = {
  cpu: 'system.cpu.utilization',
  memory: 'system.memory.utilization',
  load: 'system.cpu.load_average.1m',
  diskRead: 'system.disk.io.read',
  diskWrite: 'system.disk.io.write',
  netReceive: 'system.network.io.receive',
  netTransmit: 'system.network.io.transmit',
} as const;

export const HOST_FEATURES = [
  /** Mean CPU utilisation over the window, 0..1. */
  'cpu_mean',
  /** Highest CPU utilisation point in the window. */
  'cpu_max',
  /** cpu_mean minus its baseline median. */
  'cpu_delta',
  /** Mean memory utilisation, 0..1. */
  'memory_mean',
  /** memory_mean minus its baseline median. */
  'memory_delta',
  /** ln((load + 0.1) / (baseline load + 0.1)). */
  'log_load_ratio',
  /** ln((disk read + write + 1) / (baseline + 1)), bytes per second. */
  'log_disk_ratio',
  /** ln((network receive + transmit + 1) / (baseline + 1)). */
  'log_net_ratio',
  /** (cpu_mean - baseline median) / max(1.4826 x baseline MAD, 0.02): CPU against the host's own noise. */
  'cpu_z',
  /** Same for memory, with a floor of 0.01. */
  'memory_z',
] as const;

export type HostFeatureName = (typeof HOST_FEATURES)[number];

/** Windows of a host's past each comparison reads (an hour of 1-minute windows). */
const HISTORY = 60;
const past = { history: HISTORY, min_history: 1, default: 0 };

/** The host features as a feature set: readings in, HOST_FEATURES out (a test holds the two lists equal). */
export const HOST_FEATURE_SET: FeatureSetDefinition = {
  name: 'host',
  description: 'Per host and window: CPU, memory, load, disk and network against the host\'s own past.',
  inputs: [
    { name: 'cpu', description: 'Mean of system.cpu.utilization over the window.' },
    { name: 'cpu_peak', description: 'Highest system.cpu.utilization point in the window.' },
    { name: 'memory', description: 'Mean of system.memory.utilization.' },
    { name: 'load', description: 'Mean of system.cpu.load_average.1m.' },
    { name: 'disk', description: 'Mean disk read + write, bytes per second.' },
    { name: 'net', description: 'Mean network receive + transmit, bytes per second.' },
  ],
  derived: [
    // A series missing from this window reads as its baseline (no evidence either way).
    { name: 'cpu_mean', fn: 'fill_median', of: 'cpu', ...past },
    { name: 'cpu_max', fn: 'coalesce', of: ['cpu_peak', 'cpu_mean'], default: 0 },
    { name: 'cpu_delta', fn: 'change', of: 'cpu', ...past },
    { name: 'memory_mean', fn: 'fill_median', of: 'memory', ...past },
    { name: 'memory_delta', fn: 'change', of: 'memory', ...past },
    { name: 'log_load_ratio', fn: 'log_ratio', of: 'load', offset: 0.1, ...past },
    { name: 'log_disk_ratio', fn: 'log_ratio', of: 'disk', offset: 1, ...past },
    { name: 'log_net_ratio', fn: 'log_ratio', of: 'net', offset: 1, ...past },
    { name: 'cpu_z', fn: 'robust_z', of: 'cpu', min_spread: 0.02, ...past },
    { name: 'memory_z', fn: 'robust_z', of: 'memory', min_spread: 0.01, ...past },
  ],
  outputs: HOST_FEATURES,
};

const hostSet = new FeatureSet(HOST_FEATURE_SET);

/** The metric windows of one host and one window start. */
export interface HostWindow {
  service: string;
  host: string;
  window_start: string;
  window_end: string;
  window_size_s: number;
  rows: MetricWindowRow[];
}

/** Groups metric window rows by (host, window start), in first-seen order. */
export function groupHostWindows(rows: Iterable<MetricWindowRow>): HostWindow[] {
  const groups = new Map<string, HostWindow>();
  for (const r of rows) {
    const key = `${r.host}\u0000${r.window_start}`;
    let g = groups.get(key);
    if (!g) {
      g = { service: r.service, host: r.host, window_start: r.window_start, window_end: r.window_end, window_size_s: r.window_size_s, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(r);
  }
  return [...groups.values()];
}

interface HostBaseline {
  cpu: RollingBaseline;
  memory: RollingBaseline;
  load: RollingBaseline;
  disk: RollingBaseline;
  net: RollingBaseline;
  windows: number;
}

interface HostReadings {
  cpu?: number;
  cpuMax?: number;
  memory?: number;
  load?: number;
  disk?: number;
  net?: number;
}

function readings(w: HostWindow): HostReadings {
  const by = new Map(w.rows.map((r) => [r.name, r]));
  const sum = (a: string, b: string): number | undefined => {
    const x = by.get(a);
    const y = by.get(b);
    if (!x && !y) return undefined;
    return (x?.mean ?? 0) + (y?.mean ?? 0);
  };
  const out: HostReadings = {};
  const cpu = by.get(HOST_METRICS.cpu);
  if (cpu) {
    out.cpu = cpu.mean;
    out.cpuMax = cpu.max;
  }
  const mem = by.get(HOST_METRICS.memory);
  if (mem) out.memory = mem.mean;
  const load = by.get(HOST_METRICS.load);
  if (load) out.load = load.mean;
  const disk = sum(HOST_METRICS.diskRead, HOST_METRICS.diskWrite);
  if (disk !== undefined) out.disk = disk;
  const net = sum(HOST_METRICS.netReceive, HOST_METRICS.netTransmit);
  if (net !== undefined) out.net = net;
  return out;
}

export type HostFeatureSnapshot = Record<string, { windows: number } & Record<Exclude<keyof HostBaseline, 'windows'>, number[]>>;

/** Per-host baselines and the feature computation. */
export class HostFeatures {
  readonly names: readonly string[] = HOST_FEATURES;
  private readonly history: number;
  private readonly warmAfter: number;
  private readonly baselines = new Map<string, HostBaseline>();

  constructor(options: { history?: number; warmAfter?: number } = {}) {
    this.history = options.history ?? 60;
    this.warmAfter = options.warmAfter ?? 5;
  }

  /** Features of one host window against the host's baseline, without changing it. */
  peek(w: HostWindow): FeatureVector {
    const b = this.baselines.get(w.host);
    const r = readings(w);
    const series: Record<string, RollingBaseline | undefined> = { cpu: b?.cpu, memory: b?.memory, load: b?.load, disk: b?.disk, net: b?.net };
    const values = hostSet.compute(
      { cpu: r.cpu, cpu_peak: r.cpuMax, memory: r.memory, load: r.load, disk: r.disk, net: r.net },
      (feature, limit) => series[feature]?.toJSON().slice(-limit) ?? [],
    );
    return { values, warm: (b?.windows ?? 0) >= this.warmAfter };
  }

  next(w: HostWindow): FeatureVector {
    const out = this.peek(w);
    this.observe(w);
    return out;
  }

  snapshot(): HostFeatureSnapshot {
    const out: HostFeatureSnapshot = {};
    for (const [host, b] of this.baselines) {
      out[host] = { windows: b.windows, cpu: b.cpu.toJSON(), memory: b.memory.toJSON(), load: b.load.toJSON(), disk: b.disk.toJSON(), net: b.net.toJSON() };
    }
    return out;
  }

  static restore(snapshot: HostFeatureSnapshot, options: { history?: number; warmAfter?: number } = {}): HostFeatures {
    const f = new HostFeatures(options);
    f.adopt(snapshot);
    return f;
  }

  /** Takes the baselines of hosts this instance has not seen (a partition taken over); returns how many. */
  adopt(snapshot: HostFeatureSnapshot): number {
    let n = 0;
    for (const [host, s] of Object.entries(snapshot)) {
      if (this.baselines.has(host)) continue;
      const r = (xs: number[]): RollingBaseline => RollingBaseline.from(this.history, xs);
      this.baselines.set(host, { windows: s.windows, cpu: r(s.cpu), memory: r(s.memory), load: r(s.load), disk: r(s.disk), net: r(s.net) });
      n++;
    }
    return n;
  }

  observe(w: HostWindow): void {
    let b = this.baselines.get(w.host);
    if (!b) {
      const mk = (): RollingBaseline => new RollingBaseline(this.history);
      b = { cpu: mk(), memory: mk(), load: mk(), disk: mk(), net: mk(), windows: 0 };
      this.baselines.set(w.host, b);
    }
    const r = readings(w);
    b.windows++;
    if (r.cpu !== undefined) b.cpu.push(r.cpu);
    if (r.memory !== undefined) b.memory.push(r.memory);
    if (r.load !== undefined) b.load.push(r.load);
    if (r.disk !== undefined) b.disk.push(r.disk);
    if (r.net !== undefined) b.net.push(r.net);
  }
}
