/**
 * OTLP/HTTP intake: OpenTelemetry SDKs and collectors POST logs (`/v1/logs`), metrics
 * (`/v1/metrics`) and traces (`/v1/traces`), protobuf or JSON, optionally gzip; log records and spans
 * (as log records, redacted) and metric points go to the sink. A request is answered 200 only once its records are durable (Kafka acknowledged them
 * or the disk buffer holds them), so a client that gets no answer retries and nothing is lost. Bound
 * to 127.0.0.1 by default; bound elsewhere, it refuses to start without a bearer token.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { SCHEMA_VERSION, type LogRecord, type MetricPoint } from '../../core/contracts/records.ts';
import { TributaryError } from '../../core/errors.ts';
import { severityFromText, severityText } from '../transforms/severity.ts';
import { isoOf } from '../record-builder.ts';
import type { AgentEvent, Source, SourceContext } from '../source.ts';
import { checkPort, claimAddress, int, isLoopback, LISTEN_PATTERN, MiB, str } from '../config-schema.ts';
import { defineSource } from './definition.ts';
import { bearerMatches, closeServer, emitDurable, listen, readBody } from './http-intake.ts';
import { checkTls, optionsFrom, resolveTlsPaths, tlsSchema, type TlsConfig, type TlsOptions } from './tls.ts';
import { CumulativeTotals, isDelta, seriesKey } from './otlp-delta.ts';
import { exponentialToLe, fromOffset, type ExponentialBuckets } from './exponential-buckets.ts';

export interface OtlpSourceOptions {
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** 4318 by default; 0 picks a free port (see `port` after start). */
  port?: number;
  /** Bearer token clients must send; required when `host` is not a loopback address. */
  token?: string;
  /** Host name for records whose resource has no `host.name`. */
  defaultHost: string;
  /** Service for records whose resource has no `service.name`. */
  defaultService?: string;
  /** Largest request body accepted (bytes, after gunzip). */
  maxBodyBytes?: number;
  /** How long a request waits for its records to become durable before it is answered 503. */
  ackTimeoutMs?: number;
  /** HTTPS (tls.ts); with `verifyClient` a client certificate stands for the token beyond loopback. */
  tls?: TlsOptions;
}

type Obj = Record<string, unknown>;

export interface OtlpStats {
  requests: number;
  logRecords: number;
  metricPoints: number;
  /** Spans received on /v1/traces (each shipped as a log record). */
  spans: number;
  /** Requests refused: 401, 400, 413, 415, 503. */
  refused: number;
  unauthorized: number;
  badRequests: number;
  /** TLS handshakes that failed. */
  tls_failed: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function nanosToMs(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '' || v === '0' || v === 0) return undefined;
  try {
    const ns = BigInt(typeof v === 'number' ? Math.round(v) : String(v));
    if (ns <= 0n) return undefined;
    // ms with a microsecond fraction
    return Number(ns / 1000n) / 1000;
  } catch {
    return undefined;
  }
}

function hexId(v: unknown, bytes: number): string {
  if (v === undefined || v === null) return '';
  let hex = '';
  if (v instanceof Uint8Array) hex = Buffer.from(v).toString('hex');
  else if (typeof v === 'string') hex = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v) ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
  return hex.length === bytes * 2 && !/^0+$/.test(hex) ? hex : '';
}

/** An OTLP AnyValue as a plain JS value. */
function anyValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Obj;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return o.doubleValue;
  if ('bytesValue' in o) return o.bytesValue instanceof Uint8Array ? Buffer.from(o.bytesValue).toString('base64') : o.bytesValue;
  if ('arrayValue' in o) return (((o.arrayValue as Obj)?.values as unknown[]) ?? []).map(anyValue);
  if ('kvlistValue' in o) return kvObject((o.kvlistValue as Obj)?.values);
  return undefined;
}

function kvObject(list: unknown): Obj {
  const out: Obj = {};
  for (const kv of (list as Obj[] | undefined) ?? []) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function asString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function stringMap(o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = asString(v);
  return out;
}

/** ExportLogsServiceRequest (JSON shape) to our log records. */
export function logsFromRequest(req: Obj, defaults: { host: string; service: string }, now = Date.now()): LogRecord[] {
  const out: LogRecord[] = [];
  for (const rl of (req.resourceLogs as Obj[] | undefined) ?? []) {
    const resource = stringMap(kvObject((rl.resource as Obj | undefined)?.attributes));
    const service = resource['service.name'] || defaults.service;
    const host = resource['host.name'] || defaults.host;
    for (const sl of (rl.scopeLogs as Obj[] | undefined) ?? []) {
      const scope = sl.scope as Obj | undefined;
      for (const lr of (sl.logRecords as Obj[] | undefined) ?? []) {
        const observed = nanosToMs(lr.observedTimeUnixNano) ?? now;
        const time = nanosToMs(lr.timeUnixNano) ?? observed;
        const given = typeof lr.severityNumber === 'number' ? lr.severityNumber : Number(String(lr.severityNumber ?? '0').replace(/\D/g, '')) || 0;
        // A sender that sets only the word (a logging bridge passing its level name on) gets the
        // number the word means, as a file's line does: the error ratio and a filter's min_severity
        // go by the number. A word the agent does not know stays 0 (UNSPECIFIED).
        const number = given === 0 && typeof lr.severityText === 'string' && lr.severityText ? severityFromText(lr.severityText) : given;
        const attributes = stringMap(kvObject(lr.attributes));
        if (scope?.name) attributes['otel.scope.name'] = String(scope.name);
        if (lr.eventName) attributes['event.name'] = String(lr.eventName);
        out.push({
          v: SCHEMA_VERSION,
          time: isoOf(time),
          observed_time: isoOf(observed),
          service,
          host,
          severity_text: typeof lr.severityText === 'string' && lr.severityText ? lr.severityText.toUpperCase() : severityText(number),
          severity_number: number,
          body: asString(anyValue(lr.body)),
          attributes,
          resource,
          trace_id: hexId(lr.traceId, 16),
          span_id: hexId(lr.spanId, 8),
          origin: { kind: 'otlp' },
        });
      }
    }
  }
  return out;
}

/**
 * ExportMetricsServiceRequest (JSON shape) to metric points; a histogram gives .count, .sum (counters), its
 * mean, and with explicit bounds .bucket counters by `le`, as Prometheus' `_bucket` (cumulative, +Inf
 * last). Sums, and a histogram's count, sum and buckets, sent with delta temporality become running totals
 * in `totals` (otlp-delta.ts); without it they pass as sent.
 */
export function metricsFromRequest(req: Obj, defaults: { host: string; service: string }, now = Date.now(), totals?: CumulativeTotals): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const rm of (req.resourceMetrics as Obj[] | undefined) ?? []) {
    const resource = stringMap(kvObject((rm.resource as Obj | undefined)?.attributes));
    const service = resource['service.name'] || defaults.service;
    const host = resource['host.name'] || defaults.host;
    for (const sm of (rm.scopeMetrics as Obj[] | undefined) ?? []) {
      for (const m of (sm.metrics as Obj[] | undefined) ?? []) {
        const name = String(m.name ?? '');
        const unit = String(m.unit ?? '');
        const push = (suffix: string, kind: MetricPoint['kind'], value: number, dp: Obj, extra: Record<string, string> = {}, delta = false) => {
          if (!Number.isFinite(value)) return;
          const labels = { ...stringMap(kvObject(dp.attributes)), ...extra };
          if (delta && totals) value = totals.add(seriesKey(service, host, name + suffix, labels), value);
          out.push({ v: SCHEMA_VERSION, time: isoOf(nanosToMs(dp.timeUnixNano) ?? now), service, host, name: name + suffix, kind, value, unit, labels });
        };
        const number = (dp: Obj) => (dp.asDouble !== undefined ? Number(dp.asDouble) : Number(dp.asInt ?? 0));
        if (m.gauge) for (const dp of ((m.gauge as Obj).dataPoints as Obj[]) ?? []) push('', 'gauge', number(dp), dp);
        if (m.sum) {
          const s = m.sum as Obj;
          const delta = isDelta(s.aggregationTemporality);
          for (const dp of (s.dataPoints as Obj[]) ?? []) push('', s.isMonotonic ? 'counter' : 'gauge', number(dp), dp, {}, delta);
        }
        for (const key of ['histogram', 'exponentialHistogram'] as const) {
          if (!m[key]) continue;
          const delta = isDelta((m[key] as Obj).aggregationTemporality);
          for (const dp of ((m[key] as Obj).dataPoints as Obj[]) ?? []) {
            const count = Number(dp.count ?? 0);
            const sum = Number(dp.sum ?? 0);
            push('', 'histogram', count > 0 ? sum / count : 0, dp);
            push('.count', 'counter', count, dp, {}, delta);
            push('.sum', 'counter', sum, dp, {}, delta);
            // Buckets as Prometheus writes them: cumulative counts by upper bound `le`, the last +Inf.
            if (key === 'exponentialHistogram') {
              for (const [le, below] of exponentialLe(dp, count)) push('.bucket', 'counter', below, dp, { le: le === Infinity ? '+Inf' : String(le) }, delta);
              continue;
            }
            const bounds = (dp.explicitBounds as unknown[] | undefined) ?? [];
            const counts = (dp.bucketCounts as unknown[] | undefined) ?? [];
            if (bounds.length > 0 && counts.length === bounds.length + 1) {
              let below = 0;
              for (let b = 0; b < counts.length; b++) {
                below += Number(counts[b]);
                push('.bucket', 'counter', below, dp, { le: b < bounds.length ? String(Number(bounds[b])) : '+Inf' }, delta);
              }
            }
          }
        }
        if (m.summary) {
          for (const dp of ((m.summary as Obj).dataPoints as Obj[]) ?? []) {
            push('.count', 'counter', Number(dp.count ?? 0), dp);
            push('.sum', 'counter', Number(dp.sum ?? 0), dp);
            for (const q of (dp.quantileValues as Obj[]) ?? []) push('', 'gauge', Number(q.value ?? 0), dp, { quantile: String(q.quantile ?? 0) });
          }
        }
      }
    }
  }
  return out;
}

/**
 * An exponential histogram point's buckets by `le` (exponential-buckets.ts); none for a scale outside
 * OpenTelemetry's -10 to 20, whose bounds would not be numbers worth writing.
 */
function exponentialLe(dp: Obj, count: number): Array<[number, number]> {
  const scale = Number(dp.scale ?? 0);
  if (!Number.isInteger(scale) || scale < -10 || scale > 20) return [];
  const side = (b: unknown): ExponentialBuckets | undefined => {
    const counts = (b as Obj | undefined)?.bucketCounts as unknown[] | undefined;
    return counts && counts.length > 0 ? fromOffset(Number((b as Obj).offset ?? 0), counts.map(Number)) : undefined;
  };
  return exponentialToLe({ scale, count, zeroCount: Number(dp.zeroCount ?? 0), zeroThreshold: Number(dp.zeroThreshold ?? 0), positive: side(dp.positive), negative: side(dp.negative) });
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** An OTLP enum as JSON gives it: the number, or its name (`SPAN_KIND_SERVER`) when the sender spelled it out. */
function enumIndex(v: unknown, names: readonly string[], prefix: string): number {
  if (typeof v === 'number') return v;
  const i = names.indexOf(String(v ?? '').toLowerCase().replace(prefix, ''));
  return i < 0 ? 0 : i;
}

/**
 * ExportTraceServiceRequest (JSON shape) to log records, one per span: the span's name is the body,
 * its start the event time, its ids the record's trace and span ids; kind, parent, duration, status and
 * links (`traceid-spanid`, space separated) become `span.*` attributes, so spans land and are queried
 * like any log (`attributes['otel.signal'] = 'span'`). A span with an error status is an ERROR record.
 */
export function spansFromRequest(req: Obj, defaults: { host: string; service: string }, now = Date.now()): LogRecord[] {
  const out: LogRecord[] = [];
  for (const rs of (req.resourceSpans as Obj[] | undefined) ?? []) {
    const resource = stringMap(kvObject((rs.resource as Obj | undefined)?.attributes));
    const service = resource['service.name'] || defaults.service;
    const host = resource['host.name'] || defaults.host;
    for (const ss of (rs.scopeSpans as Obj[] | undefined) ?? []) {
      const scope = ss.scope as Obj | undefined;
      for (const sp of (ss.spans as Obj[] | undefined) ?? []) {
        const start = nanosToMs(sp.startTimeUnixNano) ?? now;
        const end = nanosToMs(sp.endTimeUnixNano);
        const status = (sp.status as Obj | undefined) ?? {};
        const code = enumIndex(status.code, ['unset', 'ok', 'error'], 'status_code_');
        const attributes = stringMap(kvObject(sp.attributes));
        attributes['otel.signal'] = 'span';
        if (scope?.name) attributes['otel.scope.name'] = String(scope.name);
        attributes['span.kind'] = SPAN_KINDS[enumIndex(sp.kind, SPAN_KINDS, 'span_kind_')] ?? 'unspecified';
        const parent = hexId(sp.parentSpanId, 8);
        if (parent) attributes['span.parent_span_id'] = parent;
        if (end !== undefined) attributes['span.duration_ms'] = String(Math.round((end - start) * 1000) / 1000);
        attributes['span.status'] = ['unset', 'ok', 'error'][code] ?? 'unset';
        if (status.message) attributes['span.status_message'] = String(status.message);
        const links = ((sp.links as Obj[] | undefined) ?? []).map((l) => `${hexId(l.traceId, 16)}-${hexId(l.spanId, 8)}`).filter((l) => l.length === 49);
        if (links.length > 0) attributes['span.links'] = links.join(' ');
        out.push({
          v: SCHEMA_VERSION,
          time: isoOf(start),
          observed_time: isoOf(now),
          service,
          host,
          severity_text: code === 2 ? 'ERROR' : 'INFO',
          severity_number: code === 2 ? 17 : 9,
          body: String(sp.name ?? ''),
          attributes,
          resource,
          trace_id: hexId(sp.traceId, 16),
          span_id: hexId(sp.spanId, 8),
          origin: { kind: 'otlp' },
        });
      }
    }
  }
  return out;
}

export class OtlpSource implements Source {
  readonly name = 'otlp';
  readonly stats: OtlpStats = { requests: 0, logRecords: 0, metricPoints: 0, spans: 0, refused: 0, unauthorized: 0, badRequests: 0, tls_failed: 0 };
  private server?: Server;
  private ctx!: SourceContext;
  private accepting = false;
  private schema?: typeof import('./otlp-schema.ts');
  private readonly token?: Buffer;
  /** Running totals of the sums SDKs send as deltas. */
  readonly totals = new CumulativeTotals();
  port = 0;

  constructor(private readonly o: OtlpSourceOptions) {
    const host = o.host ?? '127.0.0.1';
    if (!LOOPBACK.test(host) && !o.token && !o.tls?.verifyClient) {
      throw new TributaryError('CONFIG_INVALID', `the OTLP intake is bound to ${host}, which is reachable from other machines: set a bearer token (sources.otlp.bearer_token_env, default TRIBUTARY_OTLP_TOKEN), require client certificates (tls.verify_client) or bind it to 127.0.0.1`);
    }
    if (o.token) this.token = Buffer.from(`Bearer ${o.token}`);
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    // The schema (protobufjs, about 40 ms of CPU and 3 MB to load) only for an agent that takes OTLP.
    this.schema = await import('./otlp-schema.ts');
    this.accepting = true;
    const https = this.o.tls && { tls: this.o.tls, log: ctx.log, what: 'otlp', onFailure: () => this.stats.tls_failed++ };
    ({ server: this.server, port: this.port } = await listen(this.o.host ?? '127.0.0.1', this.o.port ?? 4318, (req, res) => void this.handle(req, res), https));
    ctx.log.info({ host: this.o.host ?? '127.0.0.1', port: this.port, tls: this.o.tls ? (this.o.tls.verifyClient ? 'mutual' : 'on') : 'off' }, 'The OTLP/HTTP intake is listening.');
  }

  async pause(): Promise<void> {
    this.accepting = false;
    await closeServer(this.server);
  }

  async stop(): Promise<void> {
    if (this.server?.listening) await this.pause();
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    this.stats.refused++;
    if (status === 401) this.stats.unauthorized++;
    if (status === 400) this.stats.badRequests++;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '5' } : {}) });
    res.end(JSON.stringify({ code: status, message }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/logs' && path !== '/v1/metrics' && path !== '/v1/traces')) return this.refuse(res, 404, 'POST /v1/logs, /v1/metrics or /v1/traces');
    if (this.token && !bearerMatches(req, this.token)) return this.refuse(res, 401, 'a valid bearer token is required');
    if (!this.accepting) return this.refuse(res, 503, 'the agent is shutting down');
    const max = this.o.maxBodyBytes ?? 16 * 1024 * 1024;
    let body = await readBody(req, max);
    if (body === undefined) return;
    if (body === 'too_large') return this.refuse(res, 413, `the body is larger than ${max} bytes`);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const json = type === 'application/json';
    if (!json && type !== 'application/x-protobuf') return this.refuse(res, 415, 'content-type must be application/x-protobuf or application/json');
    let events: AgentEvent[];
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body, { maxOutputLength: max });
      const otlp = this.schema!;
      const schema = path === '/v1/logs' ? otlp.ExportLogsServiceRequest : path === '/v1/traces' ? otlp.ExportTraceServiceRequest : otlp.ExportMetricsServiceRequest;
      const decoded = json ? (JSON.parse(body.toString('utf8') || '{}') as Obj) : otlp.decodeProtobuf(schema, body);
      const defaults = { host: this.o.defaultHost, service: this.o.defaultService ?? 'unknown' };
      if (path !== '/v1/metrics') {
        const records = path === '/v1/logs' ? logsFromRequest(decoded, defaults) : spansFromRequest(decoded, defaults);
        if (path === '/v1/logs') this.stats.logRecords += records.length;
        else this.stats.spans += records.length;
        events = records.map((r) => ({ type: 'log', record: this.ctx.redact(r) }));
      } else {
        const evicted = this.totals.evicted;
        const points = metricsFromRequest(decoded, defaults, Date.now(), this.totals);
        if (evicted === 0 && this.totals.evicted > 0) {
          this.ctx.log.warn({ series: this.totals.maxSeries }, 'More series of delta sums than the intake keeps totals for: the least recently updated start again from their next delta (a rate reads it as a restart).');
        }
        this.stats.metricPoints += points.length;
        events = points.map((point) => ({ type: 'metric', point }));
      }
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, path }, 'An OTLP request could not be decoded; answered 400.');
      return this.refuse(res, 400, `the request could not be decoded: ${(err as Error).message}`);
    }
    this.stats.requests++;
    const ok = await emitDurable(this.ctx, events, this.o.ackTimeoutMs ?? 30_000);
    if (!ok) return this.refuse(res, 503, 'Kafka did not acknowledge the records in time; they stay buffered, but retry to be sure');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

/** Where the OTLP intake's bearer token comes from when `bearer_token_env` is not set. */
export const DEFAULT_OTLP_TOKEN_ENV = 'TRIBUTARY_OTLP_TOKEN';

export interface OtlpSourceConfig {
  type: 'otlp';
  listen: string;
  bearer_token_env?: string;
  max_body_bytes: number;
  service?: string;
  tls?: TlsConfig;
}

export const otlpSourceDefinition = defineSource<OtlpSourceConfig>({
  type: 'otlp',
  description: 'OTLP/HTTP intake for logs and metrics (protobuf and JSON).',
  properties: {
      listen: str('host:port to listen on. Anything but a loopback address needs bearer_token_env (or tls.verify_client).', { default: '127.0.0.1:4318', pattern: LISTEN_PATTERN }),
      bearer_token_env: str('Name of the environment variable holding the bearer token clients must send.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
      max_body_bytes: int('Largest request body accepted.', 1024, 4 * MiB),
      service: str('Service name for records that do not name one (default: service.name).', { minLength: 1 }),
      tls: tlsSchema('OTLP over HTTPS'),
  },
  resolvePaths: (src, baseDir) => resolveTlsPaths(src.tls, baseDir),
  check(src, path, issues, ctx) {
    const { host } = checkPort(src.listen, `${path}.listen`, issues);
    checkTls(src.tls, `${path}.tls`, issues, ctx.env);
    if (!isLoopback(host) && !src.tls?.verify_client) {
      if (src.bearer_token_env === undefined) {
        issues.push({ path: `${path}.bearer_token_env`, message: `is required when listening on a non-loopback address (${src.listen})` });
      } else if (!ctx.env[src.bearer_token_env]) {
        issues.push({ path: `${path}.bearer_token_env`, message: `environment variable ${src.bearer_token_env} is not set` });
      }
    }
    claimAddress(ctx.addresses, `tcp ${src.listen}`, src.listen, ctx.name, `${path}.listen`, issues);
  },
  create(src, ctx) {
    const i = src.listen.lastIndexOf(':');
    const token = ctx.env[src.bearer_token_env ?? DEFAULT_OTLP_TOKEN_ENV] || undefined;
    return new OtlpSource({ host: src.listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(src.listen.slice(i + 1)), token, defaultHost: ctx.host, defaultService: ctx.service, maxBodyBytes: src.max_body_bytes, ...(src.tls ? { tls: optionsFrom(src.tls, ctx.env) } : {}) });
  },
  describe: (src) => `${src.tls ? 'https' : 'http'} ${src.listen}${src.tls?.verify_client ? ' (client certificates)' : ''}`,
});
