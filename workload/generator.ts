/**
 * A deterministic multi-service workload: log lines exactly as each service would write them, host
 * metric points as an agent reading /proc would ship them, and labelled incidents injected into both.
 * The same seed and options give the same output, so the demo, training and evaluation are reproducible.
 *
 * Host metrics (all gauges; one point per host per interval; `service` is the service the host runs):
 *   system.cpu.utilization       ratio 0..1 of all CPUs busy           unit "1"
 *   system.memory.utilization    ratio 0..1 of memory used             unit "1"
 *   system.cpu.load_average.1m   1-minute load average                 unit "{thread}"
 *   system.disk.io.read          bytes read per second                 unit "By/s"
 *   system.disk.io.write         bytes written per second              unit "By/s"
 *   system.network.io.receive    bytes received per second             unit "By/s"
 *   system.network.io.transmit   bytes sent per second                 unit "By/s"
 * Disk and network are per-second rates computed between two reads of the /proc counters, not the
 * cumulative counters, so that one series windows on its own (a window row carries no labels).
 */
import { SCHEMA_VERSION, type MetricPoint } from '../core/contracts/records.ts';
import { Rng, hash32 } from './prng.ts';
import { defaultServices, NOVEL_ERRORS, type Level, type ServiceProfile, type Template } from './services.ts';

export type IncidentKind =
  | 'error_burst'
  | 'latency_regression'
  | 'traffic_drop'
  | 'new_error_pattern'
  | 'cpu_saturation'
  | 'memory_saturation'
  | 'service_silent';

/** Incidents that show in a service's logs (scored by the service-window model). */
export const LOG_INCIDENT_KINDS: readonly IncidentKind[] = ['error_burst', 'latency_regression', 'traffic_drop', 'new_error_pattern', 'service_silent'];
/** Incidents that show in a host's metrics (scored by the host model). */
export const HOST_INCIDENT_KINDS: readonly IncidentKind[] = ['cpu_saturation', 'memory_saturation'];
export const INCIDENT_KINDS: readonly IncidentKind[] = [...LOG_INCIDENT_KINDS, ...HOST_INCIDENT_KINDS];

export interface IncidentSpec {
  kind: IncidentKind;
  service: string;
  /** One host of the service; all of its hosts when absent (host kinds default to the first host). */
  host?: string;
  startMs: number;
  durationMs: number;
}

/** Ground truth: an incident as injected, with the hosts it touched and its end. */
export interface LabelledIncident extends IncidentSpec {
  endMs: number;
  hosts: string[];
  /** How strong it was (error share, latency factor, rate factor, CPU or memory level), for reports. */
  intensity: number;
}

export interface WorkloadOptions {
  seed: number | string;
  /** Epoch milliseconds of the first event. */
  startMs: number;
  durationMs: number;
  /** Service names from the default set, or full profiles; the default five when absent. */
  services?: (string | ServiceProfile)[];
  /** Multiplies every service's record rate (1 = about 41 records/s in total). */
  rateScale?: number;
  incidents?: IncidentSpec[];
}

export interface GeneratedLog {
  timeMs: number;
  service: string;
  host: string;
  /** The line exactly as the service writes it to its log file (no trailing newline). */
  line: string;
  severity_text: string;
  body: string;
  attributes: Record<string, string>;
  incident?: IncidentKind;
}

export interface GeneratedMetric {
  point: MetricPoint;
  incident?: IncidentKind;
}

export interface Workload {
  readonly services: readonly ServiceProfile[];
  readonly incidents: readonly LabelledIncident[];
  readonly startMs: number;
  readonly endMs: number;
  /** Every log record in event-time order. Each call starts over and yields the same sequence. */
  logs(): Iterable<GeneratedLog>;
  /** Host metric points every `intervalMs` (default 10 s), in time order. */
  metrics(intervalMs?: number): Iterable<GeneratedMetric>;
}

const TICK_MS = 1000;

interface Effects {
  rateMult: number;
  errorShare?: number;
  latencyMult: number;
  novel?: { template: Template; ratePerS: number };
  silent: boolean;
  logIncident?: IncidentKind;
  cpu?: number;
  memory?: { target: number; progress: number };
  hostIncident?: IncidentKind;
}

function resolveServices(list: WorkloadOptions['services']): ServiceProfile[] {
  const defaults = defaultServices();
  if (!list) return defaults;
  return list.map((s) => {
    if (typeof s !== 'string') return s;
    const found = defaults.find((d) => d.name === s);
    if (!found) throw new Error(`unknown workload service "${s}" (known: ${defaults.map((d) => d.name).join(', ')})`);
    return found;
  });
}

function labelIncidents(seed: number | string, services: ServiceProfile[], specs: IncidentSpec[]): LabelledIncident[] {
  return specs.map((spec, i) => {
    const svc = services.find((s) => s.name === spec.service);
    if (!svc) throw new Error(`incident ${i} names unknown service "${spec.service}"`);
    if (spec.host && !svc.hosts.includes(spec.host)) throw new Error(`incident ${i} names host "${spec.host}", not a host of ${svc.name}`);
    const r = new Rng(`${seed}:incident:${i}:${spec.kind}`);
    const isHostKind = HOST_INCIDENT_KINDS.includes(spec.kind);
    const hosts = spec.host ? [spec.host] : isHostKind ? [svc.hosts[0]!] : [...svc.hosts];
    let intensity: number;
    switch (spec.kind) {
      case 'error_burst': intensity = 0.12 + 0.28 * r.next(); break; // share of records that are errors
      case 'latency_regression': intensity = 2.5 + 3.5 * r.next(); break; // latency factor
      case 'traffic_drop': intensity = 0.1 + 0.25 * r.next(); break; // remaining share of traffic
      case 'new_error_pattern': intensity = 0.15 + 0.35 * r.next(); break; // burst rate, share of base rate
      case 'cpu_saturation': intensity = 0.9 + 0.08 * r.next(); break;
      case 'memory_saturation': intensity = 0.93 + 0.06 * r.next(); break;
      case 'service_silent': intensity = 0; break;
    }
    return { ...spec, hosts, endMs: spec.startMs + spec.durationMs, intensity };
  });
}

function formatLine(svc: ServiceProfile, host: string, pid: number, timeMs: number, level: Level, msg: string, attrs: Record<string, string | number>): string {
  const iso = new Date(timeMs).toISOString();
  switch (svc.format) {
    case 'text':
      return `${iso} ${level} [${svc.name}] ${msg}`;
    case 'pino': {
      const num = level === 'DEBUG' ? 20 : level === 'INFO' ? 30 : level === 'WARN' ? 40 : 50;
      return JSON.stringify({ level: num, time: timeMs, pid, hostname: host, ...attrs, msg });
    }
    case 'json':
      return JSON.stringify({ time: iso, level: level.toLowerCase(), service: svc.name, host, msg, ...attrs });
    case 'logfmt': {
      const kv = Object.entries(attrs).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`);
      return [`time=${iso}`, `level=${level.toLowerCase()}`, `service=${svc.name}`, `host=${host}`, `msg=${JSON.stringify(msg)}`, ...kv].join(' ');
    }
  }
}

/** Builds a workload; nothing is generated until `logs()` or `metrics()` is iterated. */
export function generateWorkload(opts: WorkloadOptions): Workload {
  const services = resolveServices(opts.services);
  const rateScale = opts.rateScale ?? 1;
  const startMs = Math.floor(opts.startMs);
  const endMs = startMs + Math.max(0, Math.floor(opts.durationMs));
  const incidents = labelIncidents(opts.seed, services, opts.incidents ?? []);
  const seconds = Math.ceil((endMs - startMs) / TICK_MS) + 1;

  // Traffic of each service: a mean-reverting random walk in log space (about +-15%, time constant
  // about a minute), shared by logs and metrics so that CPU and network follow the request rate.
  const walks = new Map<string, Float64Array>();
  for (const svc of services) {
    const r = new Rng(`${opts.seed}:walk:${svc.name}`);
    const w = new Float64Array(seconds);
    let x = 0;
    for (let i = 0; i < seconds; i++) {
      x = 0.98 * x + 0.03 * r.normal();
      w[i] = Math.exp(x);
    }
    walks.set(svc.name, w);
  }
  const walkAt = (svc: string, t: number): number => {
    const w = walks.get(svc)!;
    return w[Math.min(w.length - 1, Math.max(0, Math.floor((t - startMs) / TICK_MS)))]!;
  };

  const effects = (svc: ServiceProfile, host: string, t: number): Effects => {
    const e: Effects = { rateMult: 1, latencyMult: 1, silent: false };
    for (const inc of incidents) {
      if (inc.service !== svc.name || t < inc.startMs || t >= inc.endMs || !inc.hosts.includes(host)) continue;
      switch (inc.kind) {
        case 'error_burst': e.errorShare = inc.intensity; e.logIncident = inc.kind; break;
        case 'latency_regression': e.latencyMult *= inc.intensity; e.logIncident = inc.kind; break;
        case 'traffic_drop': e.rateMult *= inc.intensity; e.logIncident = inc.kind; break;
        case 'service_silent': e.silent = true; e.rateMult = 0.05; e.logIncident = inc.kind; break;
        case 'new_error_pattern': {
          const idx = hash32(`${opts.seed}:${inc.service}:${inc.startMs}`) % NOVEL_ERRORS.length;
          e.novel = { template: NOVEL_ERRORS[idx]!, ratePerS: Math.max(0.3, (svc.baseRate / svc.hosts.length) * inc.intensity) };
          e.logIncident = inc.kind;
          break;
        }
        case 'cpu_saturation': e.cpu = inc.intensity; e.hostIncident = inc.kind; break;
        case 'memory_saturation':
          e.memory = { target: inc.intensity, progress: Math.min(1, (t - inc.startMs) / Math.max(1, inc.durationMs * 0.3)) };
          e.hostIncident = inc.kind;
          break;
      }
    }
    return e;
  };

  function* logs(): Generator<GeneratedLog> {
    const streams = services.flatMap((svc) => svc.hosts.map((host, hi) => ({
      svc,
      host,
      rng: new Rng(`${opts.seed}:logs:${host}`),
      pid: 1000 + (hash32(host) % 60000),
      share: svc.hosts.length === 1 ? 1 : (hi === 0 ? 0.52 : 0.48 / (svc.hosts.length - 1)),
      infoTotal: svc.info.reduce((a, x) => a + x.weight, 0),
      warnTotal: svc.warn.reduce((a, x) => a + x.weight, 0),
      errorTotal: svc.error.reduce((a, x) => a + x.weight, 0),
    })));
    for (let tick = startMs; tick < endMs; tick += TICK_MS) {
      const batch: GeneratedLog[] = [];
      const tickLen = Math.min(TICK_MS, endMs - tick);
      for (const s of streams) {
        const e = effects(s.svc, s.host, tick);
        const { rng, svc } = s;
        const ctx = { rng, duration: () => Math.max(1, rng.logNormal(svc.latencyMedianMs * e.latencyMult, svc.latencySigma)) };
        const emit = (template: Template, level: Level, incident: boolean): void => {
          const timeMs = tick + Math.floor(rng.next() * tickLen);
          const { msg, attrs } = template.render(ctx);
          const line = formatLine(svc, s.host, s.pid, timeMs, level, msg, attrs);
          const attributes: Record<string, string> = {};
          for (const [k, v] of Object.entries(attrs)) attributes[k] = String(v);
          const log: GeneratedLog = { timeMs, service: svc.name, host: s.host, line, severity_text: level, body: msg, attributes };
          if (incident && e.logIncident) log.incident = e.logIncident;
          batch.push(log);
        };
        const mean = (svc.baseRate * s.share * walkAt(svc.name, tick) * rateScale * e.rateMult * tickLen) / TICK_MS;
        const n = e.silent ? 0 : rng.poisson(mean);
        const errShare = e.errorShare ?? svc.errorShare;
        for (let i = 0; i < n; i++) {
          const u = rng.next();
          if (u < errShare) {
            emit(svc.error[rng.weighted(svc.error.map((x) => x.weight), s.errorTotal)]!, 'ERROR', true);
          } else if (u < errShare + svc.warnShare) {
            emit(svc.warn[rng.weighted(svc.warn.map((x) => x.weight), s.warnTotal)]!, 'WARN', true);
          } else {
            const tpl = svc.info[rng.weighted(svc.info.map((x) => x.weight), s.infoTotal)]!;
            emit(tpl, tpl.level ?? 'INFO', true);
          }
        }
        if (e.novel && !e.silent) {
          const k = rng.poisson((e.novel.ratePerS * rateScale * tickLen) / TICK_MS);
          for (let i = 0; i < k; i++) emit(e.novel.template, 'ERROR', true);
        }
      }
      batch.sort((a, b) => a.timeMs - b.timeMs);
      yield* batch;
    }
  }

  function* metrics(intervalMs = 10_000): Generator<GeneratedMetric> {
    const hosts = services.flatMap((svc) => svc.hosts.map((host) => {
      const rng = new Rng(`${opts.seed}:metrics:${host}`);
      return { svc, host, rng, load: svc.baseCpu * svc.cpus, memory: svc.baseMemory, memDrift: 0, gc: 0, diskBurst: 0 };
    }));
    const decay = Math.exp(-intervalMs / 60_000);
    for (let t = startMs; t < endMs; t += intervalMs) {
      const time = new Date(t).toISOString();
      for (const h of hosts) {
        const { svc, rng } = h;
        const e = effects(svc, h.host, t);
        const traffic = walkAt(svc.name, t) * e.rateMult * (e.silent ? 0.3 : 1);
        let cpu = svc.baseCpu * (0.35 + 0.65 * traffic) * (1 + 0.08 * rng.normal()) + 0.01 * Math.abs(rng.normal());
        if (e.cpu !== undefined) cpu = e.cpu + 0.015 * rng.normal();
        cpu = Math.min(1, Math.max(0.005, cpu));
        // Load follows busy CPUs with the kernel's one-minute exponential average; saturation queues threads.
        const runnable = cpu * svc.cpus * (e.cpu !== undefined ? 2.5 : 1) * (1 + 0.1 * rng.normal());
        h.load = h.load * decay + Math.max(0, runnable) * (1 - decay);
        // Memory: a slow drift plus a garbage-collector sawtooth; saturation climbs to its target.
        h.memDrift = 0.995 * h.memDrift + 0.002 * rng.normal();
        h.gc = h.gc > 0.04 || rng.chance(0.02) ? 0 : h.gc + 0.002 + 0.001 * rng.next();
        let memory = svc.baseMemory + h.memDrift + h.gc;
        if (e.memory) memory = memory + (e.memory.target - memory) * e.memory.progress + 0.005 * rng.normal();
        memory = Math.min(0.995, Math.max(0.05, memory));
        // Disk: proportional to traffic, with an occasional normal burst (log rotation, compaction).
        if (h.diskBurst > 0) h.diskBurst--;
        else if (rng.chance(0.003)) h.diskBurst = rng.int(1, 3);
        const burst = h.diskBurst > 0 ? 3 + 2 * rng.next() : 1;
        const swap = e.memory && e.memory.progress > 0.8 ? 2 : 1;
        const diskRead = svc.diskBytesPerS * 0.3 * traffic * swap * rng.logNormal(1, 0.3);
        const diskWrite = svc.diskBytesPerS * traffic * burst * rng.logNormal(1, 0.25);
        const netRx = svc.netBytesPerS * 0.4 * traffic * rng.logNormal(1, 0.15);
        const netTx = svc.netBytesPerS * traffic * rng.logNormal(1, 0.15);
        const incident = e.hostIncident;
        const point = (name: string, value: number, unit: string): GeneratedMetric => {
          const p: GeneratedMetric = { point: { v: SCHEMA_VERSION, time, service: svc.name, host: h.host, name, kind: 'gauge', value, unit, labels: {} } };
          if (incident) p.incident = incident;
          return p;
        };
        yield point('system.cpu.utilization', round(cpu, 4), '1');
        yield point('system.memory.utilization', round(memory, 4), '1');
        yield point('system.cpu.load_average.1m', round(h.load, 2), '{thread}');
        yield point('system.disk.io.read', Math.round(diskRead), 'By/s');
        yield point('system.disk.io.write', Math.round(diskWrite), 'By/s');
        yield point('system.network.io.receive', Math.round(netRx), 'By/s');
        yield point('system.network.io.transmit', Math.round(netTx), 'By/s');
      }
    }
  }

  return { services, incidents, startMs, endMs, logs, metrics };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface RandomIncidentOptions {
  startMs: number;
  durationMs: number;
  /** Service names, or profiles (for their hosts); the default five when absent. */
  services?: (string | ServiceProfile)[];
  /** Kinds to draw; every kind when absent. */
  kinds?: readonly IncidentKind[];
  /** How many incidents of each kind. */
  perKind?: number;
  /** No incident starts before `startMs + warmupMs`, so that baselines exist (default 30 min). */
  warmupMs?: number;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Quiet time kept between two incidents on one service (default 20 min). */
  gapMs?: number;
}

/**
 * Draws labelled incidents of every kind, never two on one service at once (nor within `gapMs`),
 * so that each window has one unambiguous label. Incidents that cannot be placed are left out.
 */
export function randomIncidents(seed: number | string, opts: RandomIncidentOptions): IncidentSpec[] {
  const r = new Rng(`${seed}:random-incidents`);
  const services = resolveServices(opts.services);
  const kinds = opts.kinds ?? INCIDENT_KINDS;
  const perKind = opts.perKind ?? 3;
  const warmup = opts.warmupMs ?? 30 * 60_000;
  const minD = opts.minDurationMs ?? 4 * 60_000;
  const maxD = opts.maxDurationMs ?? 15 * 60_000;
  const gap = opts.gapMs ?? 20 * 60_000;
  const todo: IncidentKind[] = [];
  for (const k of kinds) for (let i = 0; i < perKind; i++) todo.push(k);
  for (let i = todo.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [todo[i], todo[j]] = [todo[j]!, todo[i]!];
  }
  const placed: IncidentSpec[] = [];
  for (const kind of todo) {
    for (let attempt = 0; attempt < 60; attempt++) {
      const svc = r.pick(services);
      const durationMs = Math.round((minD + (maxD - minD) * r.next()) / 1000) * 1000;
      const lo = opts.startMs + warmup;
      const hi = opts.startMs + opts.durationMs - durationMs;
      if (hi <= lo) break;
      const startMs = Math.round((lo + (hi - lo) * r.next()) / 1000) * 1000;
      const clash = placed.some((p) => p.service === svc.name && startMs < p.startMs + p.durationMs + gap && p.startMs < startMs + durationMs + gap);
      if (clash) continue;
      const spec: IncidentSpec = { kind, service: svc.name, startMs, durationMs };
      if (HOST_INCIDENT_KINDS.includes(kind)) spec.host = r.pick(svc.hosts);
      else if ((kind === 'error_burst' || kind === 'latency_regression' || kind === 'new_error_pattern') && r.chance(0.25)) spec.host = r.pick(svc.hosts);
      placed.push(spec);
      break;
    }
  }
  return placed.sort((a, b) => a.startMs - b.startMs || a.service.localeCompare(b.service));
}
