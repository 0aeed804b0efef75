/**
 * Prometheus remote write intake: a Prometheus server (or its agent mode, Grafana Alloy, the Collector's
 * prometheusremotewrite exporter, VictoriaMetrics' vmagent) POSTs what it scraped to `/api/v1/write`,
 * snappy-compressed protobuf, remote write 1.0 or 2.0 (remote-write-wire.ts), and each float sample
 * becomes a metric point. Like the OTLP intake, a request is answered only once its points are durable
 * (204; 503 after `ack_timeout` so the sender retries; 400 for a body that cannot be read, which a sender
 * does not retry), bound to 127.0.0.1 unless a bearer token or client certificates guard it.
 *
 * A point's service is the series' `job` (the source's `service` when set), its host the `instance`'s
 * host (for a loopback instance, the sender's address, or this agent's host when the sender is local
 * too); every label but `__name__` stays a label. Its kind comes from the metadata the sender gives (2.0
 * per series; 1.0 by family, in its own requests, kept here), else from the name as Prometheus names
 * things: `_total`, `_bucket` (with `le`), `_count` and `_sum` are counters, the rest gauges. Prometheus'
 * staleness markers and `_created` series are counted, not sent. A native histogram sample becomes
 * what a classic histogram's scrape gives: `<name>_count` and `<name>_sum`, and `<name>_bucket` by `le`
 * (its exponential buckets merged down to 4 per doubling, exponential-buckets.ts; custom bounds as they are).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { SCHEMA_VERSION, type MetricKind, type MetricPoint } from '../../core/contracts/records.ts';
import { TributaryError } from '../../core/errors.ts';
import type { AgentEvent, Source, SourceContext } from '../source.ts';
import { checkPort, claimAddress, int, isLoopback, LISTEN_PATTERN, MiB, str } from '../config-schema.ts';
import { defineSource } from './definition.ts';
import { bearerMatches, closeServer, emitDurable, listen, listenAddress, readBody } from './http-intake.ts';
import { setOwn } from '../transforms/parsers/fields.ts';
import { canonicalNumber, unitOf } from './prometheus.ts';
import { decodeRequestV2, decodeWriteRequest, type NativeHistogram, type RemoteSeries, type RemoteType } from './remote-write-wire.ts';
import { exponentialToLe } from './exponential-buckets.ts';
import { snappyDecode } from './snappy.ts';
import { checkTls, optionsFrom, resolveTlsPaths, tlsSchema, type TlsConfig, type TlsOptions } from './tls.ts';

export interface RemoteWriteSourceOptions {
  /** 127.0.0.1 by default. */
  host?: string;
  /** 9201 by default; 0 picks a free port (see `port` after start). */
  port?: number;
  token?: string;
  /** This agent's host name: the host of points from a loopback instance sent from this machine. */
  agentHost: string;
  /** Every point's service, instead of its series' `job`. */
  service?: string;
  /** The service of a series without `job` when `service` is not set. */
  defaultService: string;
  /** Largest body accepted, compressed and decompressed alike. */
  maxBodyBytes?: number;
  ackTimeoutMs?: number;
  tls?: TlsOptions;
}

export interface RemoteWriteStats {
  requests: number;
  series: number;
  points: number;
  /** Prometheus' staleness markers (a series that went away), not sent. */
  staleMarkers: number;
  nonFinite: number;
  /** Native histogram samples (each written as _count, _sum and _bucket points). */
  histograms: number;
  /** Exemplars, which a point cannot hold. */
  exemplars: number;
  /** Series without `__name__`. */
  unnamed: number;
  refused: number;
  unauthorized: number;
  badRequests: number;
  tls_failed: number;
}

const PATH = '/api/v1/write';
const V2 = 'io.prometheus.write.v2.Request';
const V1 = 'prometheus.WriteRequest';
/** Families whose 1.0 metadata is kept; past it the oldest goes, and its series fall back on their names. */
const MAX_FAMILIES = 100_000;

/** The suffixes Prometheus names a family's series with, the longest first where one ends another. */
const SUFFIXES = ['_bucket', '_count', '_total', '_sum', '_created', '_info'];

/** A series' kind and unit, from its family's metadata where there is some, else from its name. */
export function kindOf(name: string, labels: Record<string, string>, declared: { type: RemoteType; unit: string } | undefined): { kind: MetricKind; unit: string } | undefined {
  let suffix = '';
  for (const s of SUFFIXES) {
    if (name.endsWith(s)) {
      suffix = s;
      break;
    }
  }
  if (suffix === '_created') return undefined;
  const family = suffix === '' ? name : name.slice(0, -suffix.length);
  const counting = suffix === '_count' || suffix === '_sum' || (suffix === '_bucket' && labels.le !== undefined);
  const type = declared?.type ?? 'unknown';
  let kind: MetricKind;
  if (type === 'counter') kind = 'counter';
  else if (type === 'histogram' || type === 'summary') kind = counting ? 'counter' : 'gauge';
  else if (type === 'unknown') kind = suffix === '_total' || counting ? 'counter' : 'gauge';
  else kind = 'gauge';
  // A bucket's or a count's value is a number of observations: the unit is the sum's and the quantile's.
  const unit = suffix === '_bucket' || suffix === '_count' ? '' : unitOf(family, declared?.unit || undefined);
  return { kind, unit };
}

/**
 * A native histogram's samples as a classic histogram's series: `_count`, `_sum` and cumulative
 * `_bucket` by `le` (+Inf last), counters (gauges for a gauge histogram). Exponential buckets are
 * merged down (exponential-buckets.ts; Prometheus' bucket i is OpenTelemetry's i - 1); custom bounds
 * (schema -53) are written, every one of them, as the sender has them.
 */
function histogramPoints(out: MetricPoint[], samples: NativeHistogram[], s: { service: string; host: string; name: string; labels: Record<string, string>; unit: string }): void {
  for (const h of samples) {
    if (!Number.isFinite(h.count) || !Number.isFinite(h.sum)) continue;
    const kind: MetricKind = h.gauge ? 'gauge' : 'counter';
    const time = new Date(h.time).toISOString();
    const point = (suffix: string, value: number, unit: string, labels = s.labels) => out.push({ v: SCHEMA_VERSION, time, service: s.service, host: s.host, name: s.name + suffix, kind, value, unit, labels });
    point('_count', h.count, '');
    point('_sum', h.sum, s.unit);
    let buckets: Array<[number, number]>;
    if (h.schema === CUSTOM_BOUNDS) {
      const by = new Map(h.positive);
      let below = 0;
      buckets = h.customBounds.map((le, i) => [le, (below += by.get(i) ?? 0)]);
      buckets.push([Infinity, Math.max(h.count, below)]);
    } else if (Number.isInteger(h.schema) && h.schema >= -10 && h.schema <= 20) {
      const shifted = (b: Array<[number, number]>) => b.map(([i, c]): [number, number] => [i - 1, c]);
      buckets = exponentialToLe({ scale: h.schema, count: h.count, zeroCount: h.zeroCount, zeroThreshold: h.zeroThreshold, positive: shifted(h.positive), negative: shifted(h.negative) });
    } else continue;
    for (const [le, count] of buckets) point('_bucket', count, '', { ...s.labels, le: le === Infinity ? '+Inf' : String(le) });
  }
}

/** Prometheus' schema of native histograms with custom bucket bounds (NHCB). */
const CUSTOM_BOUNDS = -53;

/** The host a series is filed under: its instance's, unless that is loopback (then who sent it). */
function hostOf(instance: string | undefined, peer: string, agentHost: string): string {
  const sender = peer.replace(/^::ffff:/, '');
  const senderHost = isLoopback(sender) ? agentHost : sender;
  if (instance === undefined || instance === '') return senderHost;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(instance) ?? /^([^:]+)(?::\d+)?$/.exec(instance);
  const host = m ? m[1]! : instance;
  return isLoopback(host) ? senderHost : host;
}

export class RemoteWriteSource implements Source {
  readonly name = 'prometheus_remote_write';
  readonly stats: RemoteWriteStats = { requests: 0, series: 0, points: 0, staleMarkers: 0, nonFinite: 0, histograms: 0, exemplars: 0, unnamed: 0, refused: 0, unauthorized: 0, badRequests: 0, tls_failed: 0 };
  private server?: Server;
  private ctx!: SourceContext;
  private accepting = false;
  private readonly token?: Buffer;
  /** 1.0 metadata by family, least recently updated first. */
  private readonly families = new Map<string, { type: RemoteType; unit: string }>();
  port = 0;

  constructor(private readonly o: RemoteWriteSourceOptions) {
    const host = o.host ?? '127.0.0.1';
    if (!isLoopback(host) && !o.token && !o.tls?.verifyClient) {
      throw new TributaryError('CONFIG_INVALID', `the remote write intake is bound to ${host}, which is reachable from other machines: set a bearer token (bearer_token_env), require client certificates (tls.verify_client) or bind it to 127.0.0.1`);
    }
    if (o.token) this.token = Buffer.from(`Bearer ${o.token}`);
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.accepting = true;
    const https = this.o.tls && { tls: this.o.tls, log: ctx.log, what: 'prometheus_remote_write', onFailure: () => this.stats.tls_failed++ };
    ({ server: this.server, port: this.port } = await listen(this.o.host ?? '127.0.0.1', this.o.port ?? 9201, (req, res) => void this.handle(req, res), https));
    ctx.log.info({ host: this.o.host ?? '127.0.0.1', port: this.port, path: PATH, tls: this.o.tls ? (this.o.tls.verifyClient ? 'mutual' : 'on') : 'off' }, 'The Prometheus remote write intake is listening.');
  }

  async pause(): Promise<void> {
    this.accepting = false;
    await closeServer(this.server);
  }

  async stop(): Promise<void> {
    await this.pause();
  }

  /** The metric points of one decoded request (exported for tests and the bench). */
  pointsOf(series: RemoteSeries[], peer: string): MetricPoint[] {
    const points: MetricPoint[] = [];
    let lastTime = NaN;
    let lastIso = '';
    let lastInstance: string | undefined;
    let lastHost = '';
    for (const s of series) {
      this.stats.series++;
      this.stats.histograms += s.histograms.length;
      this.stats.exemplars += s.exemplars;
      this.stats.staleMarkers += s.stale;
      const name = s.labels.__name__;
      if (name === undefined || name === '') {
        this.stats.unnamed++;
        continue;
      }
      const labels: Record<string, string> = {};
      for (const k in s.labels) if (k !== '__name__') setOwn(labels, k, s.labels[k]!);
      // Prometheus 3 writes `le="1.0"`, a scrape of the text format `le="1"`: one series either way.
      if (labels.le !== undefined) labels.le = canonicalNumber(labels.le);
      if (labels.quantile !== undefined) labels.quantile = canonicalNumber(labels.quantile);
      const declared = s.type !== undefined ? { type: s.type, unit: s.unit ?? '' } : this.family(name);
      const service = this.o.service ?? (labels.job || this.o.defaultService);
      const instance = labels.instance ?? '';
      if (instance !== lastInstance) {
        lastInstance = instance;
        lastHost = hostOf(instance, peer, this.o.agentHost);
      }
      if (s.histograms.length > 0) histogramPoints(points, s.histograms, { service, host: lastHost, name, labels, unit: unitOf(name, declared?.unit || undefined) });
      const kind = kindOf(name, labels, declared);
      if (kind === undefined) continue;
      for (let i = 0; i < s.values.length; i++) {
        const value = s.values[i]!;
        if (!Number.isFinite(value)) {
          this.stats.nonFinite++;
          continue;
        }
        // A scrape's series share its time: one ISO string for a run of them.
        const t = s.times[i]!;
        if (t !== lastTime) {
          lastTime = t;
          lastIso = new Date(t).toISOString();
        }
        points.push({ v: SCHEMA_VERSION, time: lastIso, service, host: lastHost, name, kind: kind.kind, value, unit: kind.unit, labels });
      }
    }
    this.stats.points += points.length;
    return points;
  }

  /** 1.0's metadata of the family a series' name belongs to. */
  private family(name: string): { type: RemoteType; unit: string } | undefined {
    const own = this.families.get(name);
    if (own !== undefined) return own;
    for (const s of SUFFIXES) if (name.endsWith(s)) return this.families.get(name.slice(0, -s.length));
    return undefined;
  }

  private remember(metadata: Map<string, { type: RemoteType; unit: string }>): void {
    for (const [family, m] of metadata) {
      this.families.delete(family);
      this.families.set(family, m);
      if (this.families.size > MAX_FAMILIES) this.families.delete(this.families.keys().next().value!);
    }
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    this.stats.refused++;
    if (status === 401) this.stats.unauthorized++;
    if (status === 400) this.stats.badRequests++;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...(status === 503 ? { 'retry-after': '5' } : {}) });
    res.end(message + '\n');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== PATH) return this.refuse(res, 404, `POST ${PATH}`);
    if (this.token && !bearerMatches(req, this.token)) return this.refuse(res, 401, 'a valid bearer token is required');
    if (!this.accepting) return this.refuse(res, 503, 'the agent is shutting down');
    const [type, ...params] = String(req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
    const proto = params.find((p) => p.startsWith('proto='))?.slice(6) ?? V1;
    // 415 is what a 2.0 sender takes as "ask again in 1.0"; said for anything else unreadable too.
    if (type !== 'application/x-protobuf' || (proto !== V1 && proto !== V2)) {
      return this.refuse(res, 415, `content-type must be application/x-protobuf with proto=${V1} (the default) or proto=${V2}, not ${String(req.headers['content-type'] ?? 'none')}`);
    }
    const encoding = String(req.headers['content-encoding'] ?? '');
    if (encoding !== 'snappy') return this.refuse(res, 415, `content-encoding must be snappy, not ${encoding || 'none'}`);
    const max = this.o.maxBodyBytes ?? 16 * MiB;
    const body = await readBody(req, max);
    if (body === undefined) return;
    if (body === 'too_large') return this.refuse(res, 413, `the body is larger than ${max} bytes`);
    const decoded = snappyDecode(body, max);
    const peer = req.socket.remoteAddress ?? '';
    let points: MetricPoint[];
    let samples = 0;
    let histograms = 0;
    try {
      if (typeof decoded === 'string') throw new Error(decoded);
      const request = proto === V2 ? decodeRequestV2(decoded) : decodeWriteRequest(decoded);
      this.remember(request.metadata);
      for (const s of request.series) {
        samples += s.values.length;
        histograms += s.histograms.length;
      }
      points = this.pointsOf(request.series, peer);
    } catch (err) {
      // Each one said: a sender drops a request refused with 400, so these are records lost at the sender.
      this.ctx.log.warn({ err: (err as Error).message, peer, proto }, 'A remote write request could not be read; answered 400 (the sender drops it).');
      return this.refuse(res, 400, `the request could not be read: ${(err as Error).message}`);
    }
    this.stats.requests++;
    if (points.length > 0) {
      const events: AgentEvent[] = points.map((point) => ({ type: 'metric', point }));
      const ok = await emitDurable(this.ctx, events, this.o.ackTimeoutMs ?? 30_000);
      if (!ok) return this.refuse(res, 503, 'Kafka did not acknowledge the points in time; they stay buffered, but retry to be sure');
    }
    // 2.0 asks what was written: a sender counts what these headers do not as rejected.
    const written = proto === V2 ? { 'x-prometheus-remote-write-samples-written': String(samples), 'x-prometheus-remote-write-histograms-written': String(histograms), 'x-prometheus-remote-write-exemplars-written': '0' } : {};
    res.writeHead(204, written);
    res.end();
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

/** Where the intake's bearer token comes from when `bearer_token_env` is not set. */
export const DEFAULT_REMOTE_WRITE_TOKEN_ENV = 'TRIBUTARY_REMOTE_WRITE_TOKEN';

export interface RemoteWriteSourceConfig {
  type: 'prometheus_remote_write';
  listen: string;
  bearer_token_env?: string;
  max_body_bytes: number;
  service?: string;
  tls?: TlsConfig;
}

export const remoteWriteSourceDefinition = defineSource<RemoteWriteSourceConfig>({
  type: 'prometheus_remote_write',
  metricsOnly: true,
  description: 'Prometheus remote write intake (1.0 and 2.0, at /api/v1/write): what a Prometheus server, its agent mode or Grafana Alloy scraped, as metric points.',
  properties: {
    listen: str('host:port to listen on (Prometheus\' remote_write url is then http://host:port/api/v1/write). Anything but a loopback address needs a token (bearer_token_env) or tls.verify_client.', { default: '127.0.0.1:9201', pattern: LISTEN_PATTERN }),
    bearer_token_env: str(`Name of the environment variable holding the bearer token senders must send (default ${DEFAULT_REMOTE_WRITE_TOKEN_ENV}; Prometheus' remote_write authorization.credentials).`, { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    max_body_bytes: int('Largest request accepted, compressed and decompressed alike.', 1024, 16 * MiB),
    service: str('Service of every point (default: the series\' job label, else service.name).', { minLength: 1 }),
    tls: tlsSchema('remote write over HTTPS'),
  },
  resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
  check(src, path, issues, ctx) {
    const { host } = checkPort(src.listen, `${path}.listen`, issues);
    checkTls(src.tls, `${path}.tls`, issues, ctx.env);
    if (!isLoopback(host) && !src.tls?.verify_client) {
      const name = src.bearer_token_env ?? DEFAULT_REMOTE_WRITE_TOKEN_ENV;
      if (!ctx.env[name]) issues.push({ path: `${path}.bearer_token_env`, message: `listening on a non-loopback address (${src.listen}) needs a token: environment variable ${name} is not set` });
    } else if (src.bearer_token_env !== undefined && !ctx.env[src.bearer_token_env]) {
      issues.push({ path: `${path}.bearer_token_env`, message: `environment variable ${src.bearer_token_env} is not set` });
    }
    claimAddress(ctx.addresses, `tcp ${src.listen}`, src.listen, ctx.name, `${path}.listen`, issues);
  },
  create(src, ctx) {
    const { host, port } = listenAddress(src.listen);
    const token = ctx.env[src.bearer_token_env ?? DEFAULT_REMOTE_WRITE_TOKEN_ENV] || undefined;
    return new RemoteWriteSource({
      host, port, token, agentHost: ctx.host, defaultService: ctx.service, maxBodyBytes: src.max_body_bytes,
      ...(ctx.serviceNamed ? { service: ctx.service } : {}),
      ...(src.tls ? { tls: optionsFrom(src.tls, ctx.env) } : {}),
    });
  },
  describe: (src) => `${src.tls ? 'https' : 'http'} ${src.listen}${PATH}${src.tls?.verify_client ? ' (client certificates)' : ''}`,
});
