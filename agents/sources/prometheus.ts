/**
 * Prometheus scrape source: a service's own metrics, as its `/metrics` page shows them (every
 * exporter and Prometheus client library serves one), read every `interval_ms` and sent as metric
 * points. Counters stay cumulative (kind `counter`), gauges and untyped samples are gauges, a
 * histogram is its `_bucket` (with `le`), `_sum` and `_count` counters, a summary its quantiles
 * (gauges) with `_sum` and `_count`, under the names the page gives. Each point has the sample's
 * labels with `job` (the source's name) and `instance` (the target's host:port) beside them unless the
 * sample has its own. Each scrape also gives Prometheus' own series per target, `up` (1 or 0),
 * `scrape_duration_seconds` and `scrape_samples_scraped`, so a target that stops answering can page.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import { createGunzip, createInflate } from 'node:zlib';
import { SCHEMA_VERSION, type MetricPoint, type MetricKind } from '../../core/contracts/records.ts';
import { bool, checkEnvNames, int, isLoopback, MiB, obj, str } from '../config-schema.ts';
import { globToRegExp } from '../glob.ts';
import { setOwn } from '../transforms/parsers/fields.ts';
import type { Source, SourceContext } from '../source.ts';
import { defineSource } from './definition.ts';
import { parseExposition, type Exposition, type Sample } from './prometheus-text.ts';

export interface PrometheusScrapeOptions {
  /** The source's name: the `job` label. */
  name: string;
  /** URLs of the pages to scrape (`http://127.0.0.1:9100/metrics`). */
  targets: string[];
  intervalMs: number;
  timeoutMs: number;
  service: string;
  /** The agent's host name: the host of a target on this machine (loopback). */
  host: string;
  /** A sample's own timestamp is its time (else the scrape's start). */
  honorTimestamps: boolean;
  /** More samples than this fail the scrape, as Prometheus' `sample_limit` does (0: no limit). */
  sampleLimit: number;
  maxBytes: number;
  /** Only samples whose name or family matches one of these globs (`node_cpu_*`); all when absent or empty. */
  include?: string[];
  /** No sample whose name or family matches one of these globs. */
  exclude?: string[];
  /** `Authorization` header value (`Bearer ...`, `Basic ...`), when set. */
  authorization?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** What one scrape of one target gave. */
export interface ScrapeResult {
  points: MetricPoint[];
  /** Why the scrape failed; undefined when it did not. */
  error?: string;
  /** Samples on the page (before dropping values JSON cannot hold). */
  samples: number;
  /** Samples left after `include` and `exclude`. */
  kept: number;
  invalidLines: number;
  /** The first of the page's lines that could not be read, with its number, for the log. */
  firstInvalid?: string;
  nonFinite: number;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

/** Unit words at the end of a family's name (Prometheus' naming rules), as the UCUM codes OpenTelemetry uses. */
const UNIT_SUFFIXES: Array<[string, string]> = [
  ['_seconds', 's'], ['_milliseconds', 'ms'], ['_bytes', 'By'], ['_ratio', '1'], ['_percent', '%'], ['_celsius', 'Cel'],
  ['_meters', 'm'], ['_volts', 'V'], ['_amperes', 'A'], ['_joules', 'J'], ['_grams', 'g'], ['_hertz', 'Hz'],
];

export function unitOf(family: string, declared: string | undefined): string {
  if (declared) {
    // OpenMetrics' `# UNIT` and remote write's metadata say the word (`seconds`): written as the name's would be.
    for (const [suffix, unit] of UNIT_SUFFIXES) if (declared === suffix.slice(1)) return unit;
    return declared;
  }
  // A counter's `_total`, and the `_max` gauge Micrometer writes beside a timer or a summary
  // (`http_server_requests_seconds_max`), come after the unit word.
  const base = family.endsWith('_total') ? family.slice(0, -6) : family.endsWith('_max') ? family.slice(0, -4) : family;
  for (const [suffix, unit] of UNIT_SUFFIXES) if (base.endsWith(suffix)) return unit;
  return '';
}

/**
 * A sample's kind and unit as a metric point; undefined for what is not a value of its own
 * (`_created`: when a counter started, which the cumulative value already implies).
 */
function kindOf(s: Sample, unit: string): [MetricKind, string] | undefined {
  if (s.suffix === '_created') return undefined;
  switch (s.type) {
    case 'counter':
      return ['counter', unit];
    case 'histogram':
      return ['counter', s.suffix === '_sum' ? unit : ''];
    case 'summary':
      return s.suffix === '' ? ['gauge', unit] : ['counter', s.suffix === '_sum' ? unit : ''];
    case 'gaugehistogram':
      return ['gauge', s.suffix === '_gsum' ? unit : ''];
    default:
      return ['gauge', unit];
  }
}

/** A page's samples as metric points of one service and host, the target's labels beside each sample's own. */
export function pointsOf(page: Exposition, o: { service: string; host: string; targetLabels: Record<string, string>; timeMs: number; honorTimestamps: boolean }): { points: MetricPoint[]; nonFinite: number } {
  const points: MetricPoint[] = [];
  let nonFinite = 0;
  const scrapeTime = new Date(o.timeMs).toISOString();
  for (const s of page.samples) {
    const kind = kindOf(s, unitOf(s.family, page.units.get(s.family)));
    if (kind === undefined) continue;
    // JSON has no NaN or infinity (a summary without observations has NaN quantiles).
    if (!Number.isFinite(s.value)) {
      nonFinite++;
      continue;
    }
    const time = o.honorTimestamps && s.timeMs !== undefined ? new Date(s.timeMs).toISOString() : scrapeTime;
    // Copied key by key: an object spread here was most of a sample's cost.
    const labels: Record<string, string> = {};
    for (const k in o.targetLabels) labels[k] = o.targetLabels[k]!;
    for (const k in s.labels) setOwn(labels, k, s.labels[k]!);
    if (labels.le !== undefined) labels.le = canonicalNumber(labels.le);
    if (labels.quantile !== undefined) labels.quantile = canonicalNumber(labels.quantile);
    points.push({ v: SCHEMA_VERSION, time, service: o.service, host: o.host, name: s.name, kind: kind[0], value: s.value, unit: kind[1], labels });
  }
  return { points, nonFinite };
}

/**
 * A bucket's bound or a quantile written one way: OpenMetrics writes `le="5.0"` and `quantile="0.0"`
 * where the text format writes `5` and `0`, and one series must not split in two when a target
 * changes format. Anything that is not a number stays as written.
 */
export function canonicalNumber(v: string): string {
  if (v === '+Inf' || v === 'Inf' || v === '+inf') return '+Inf';
  const n = Number(v);
  return v.trim() === '' || Number.isNaN(n) ? v : n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n);
}

/** Whether a sample passes `include` and `exclude` (each a list of name globs, matched against its name and its family's); undefined when both are empty. */
export function nameFilter(include: string[] | undefined, exclude: string[] | undefined): ((s: Pick<Sample, 'name' | 'family'>) => boolean) | undefined {
  const inc = (include ?? []).map(globToRegExp);
  const exc = (exclude ?? []).map(globToRegExp);
  if (inc.length === 0 && exc.length === 0) return undefined;
  const any = (res: RegExp[], s: Pick<Sample, 'name' | 'family'>) => res.some((re) => re.test(s.name) || re.test(s.family));
  return (s) => (inc.length === 0 || any(inc, s)) && !any(exc, s);
}

/** The host a target's points are filed under: this machine's for a loopback address, else the target's own. */
export function targetHost(url: URL, agentHost: string): string {
  return isLoopback(url.hostname) ? agentHost : url.hostname.replace(/^\[|\]$/g, '');
}

export class PrometheusScrapeSource implements Source {
  readonly name: string;
  readonly stats = { scrapes: 0, failures: 0, samples: 0, points: 0, invalidLines: 0, nonFinite: 0, skipped: 0, targetsDown: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  /** Per target: whether its last scrape failed (a change is logged, not every failure). */
  private readonly down = new Map<string, boolean>();
  /** Per target: the unreadable line last logged, so that a page broken the same way is logged once. */
  private readonly invalidLogged = new Map<string, string>();
  private stopped = false;
  private readonly keep: ((s: Sample) => boolean) | undefined;

  constructor(private readonly o: PrometheusScrapeOptions) {
    this.name = o.name;
    this.keep = nameFilter(o.include, o.exclude);
  }

  async start(ctx: SourceContext): Promise<void> {
    this.o.targets.forEach((target, i) => {
      // Targets spread over the interval, so a host with many does not scrape them all at once.
      const offset = Math.floor((this.o.intervalMs * i) / this.o.targets.length);
      const first = setTimeout(() => {
        this.tick(target, ctx);
        const timer = setInterval(() => this.tick(target, ctx), this.o.intervalMs);
        this.timers.push(timer);
      }, offset);
      this.timers.push(first);
    });
  }

  private tick(target: string, ctx: SourceContext): void {
    if (this.stopped) return;
    if (this.running.has(target)) {
      // The last scrape's points still wait for room in the sink (or it has not timed out yet).
      this.stats.skipped++;
      return;
    }
    const run = (async () => {
      const r = await this.scrape(target);
      this.stats.scrapes++;
      this.stats.samples += r.samples;
      this.stats.invalidLines += r.invalidLines;
      this.stats.nonFinite += r.nonFinite;
      const wasDown = this.down.get(target);
      if (r.error !== undefined) {
        this.stats.failures++;
        if (wasDown !== true) ctx.log.warn({ target, reason: r.error }, 'A Prometheus target could not be scraped; its up series is 0 until it answers.');
      } else if (wasDown === true) ctx.log.info({ target }, 'A Prometheus target answers again.');
      if (r.firstInvalid !== undefined && this.invalidLogged.get(target) !== r.firstInvalid) {
        ctx.log.warn({ target, lines: r.invalidLines, first: r.firstInvalid }, 'Lines of a Prometheus page could not be read; the rest was sent (said again only when the first such line changes).');
      }
      if (r.error === undefined) this.invalidLogged.set(target, r.firstInvalid ?? '');
      this.down.set(target, r.error !== undefined);
      this.stats.targetsDown = [...this.down.values()].filter(Boolean).length;
      this.stats.points += r.points.length;
      if (!this.stopped) await ctx.emit({ events: r.points.map((point) => ({ type: 'metric' as const, point })) });
    })()
      .catch((err: Error) => ctx.log.error({ target, err: err.message }, 'A Prometheus scrape failed unexpectedly.'))
      .finally(() => this.running.delete(target));
    this.running.set(target, run);
  }

  /** One scrape of one target: its points and Prometheus' own series, or why it failed (with `up` 0). */
  async scrape(target: string, now = Date.now()): Promise<ScrapeResult> {
    const url = new URL(target);
    const host = targetHost(url, this.o.host);
    const targetLabels = { job: this.o.name, instance: url.host };
    const started = performance.now();
    let result: ScrapeResult;
    try {
      const { body, contentType } = await this.fetch(url);
      const page = parseExposition(body, /application\/openmetrics-text/i.test(contentType));
      const samples = page.samples.length;
      // As Prometheus: the limit counts what is left after the filters.
      if (this.keep) page.samples = page.samples.filter(this.keep);
      if (this.o.sampleLimit > 0 && page.samples.length > this.o.sampleLimit) {
        result = { points: [], error: `${page.samples.length} samples, more than sample_limit (${this.o.sampleLimit})`, samples, kept: page.samples.length, invalidLines: 0, nonFinite: 0 };
      } else {
        const { points, nonFinite } = pointsOf(page, { service: this.o.service, host, targetLabels, timeMs: now, honorTimestamps: this.o.honorTimestamps });
        const first = page.errors[0];
        result = { points, samples, kept: page.samples.length, invalidLines: page.errors.length, nonFinite, ...(first ? { firstInvalid: `line ${first.line}: ${first.reason}: ${first.text}` } : {}) };
      }
    } catch (err) {
      result = { points: [], error: (err as Error).message, samples: 0, kept: 0, invalidLines: 0, nonFinite: 0 };
    }
    const time = new Date(now).toISOString();
    const own = (name: string, value: number, unit: string): MetricPoint => ({ v: SCHEMA_VERSION, time, service: this.o.service, host, name, kind: 'gauge', value, unit, labels: { ...targetLabels } });
    result.points.push(
      own('up', result.error === undefined ? 1 : 0, '1'),
      own('scrape_duration_seconds', Math.round(performance.now() - started) / 1000, 's'),
      own('scrape_samples_scraped', result.samples, '1'),
      own('scrape_samples_post_metric_relabeling', result.kept, '1'),
    );
    return result;
  }

  /**
   * The page at `url` and its content type. Settles once, however the exchange ends: an answer in
   * full, an HTTP status but 200, the connection lost before or during the body, more than
   * `max_bytes`, or `timeout_ms` for the whole scrape (not only while idle), after which the request
   * is destroyed.
   */
  private fetch(url: URL, again = false): Promise<{ body: string; contentType: string }> {
    const o = this.o;
    return new Promise((resolvePage, reject) => {
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      const settle = (err: Error | undefined, page?: { body: string; contentType: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err) {
          reject(err);
          // Destroyed without an error: the promise is settled, and no listener may be left to take one.
          req.destroy();
        } else resolvePage(page!);
      };
      const headers: Record<string, string> = {
        accept: ACCEPT,
        'accept-encoding': 'gzip, deflate',
        'user-agent': 'tributary-agent',
        'x-prometheus-scrape-timeout-seconds': String(o.timeoutMs / 1000),
      };
      if (o.authorization !== undefined) headers.authorization = o.authorization;
      const tls = url.protocol === 'https:' ? { ...(o.ca ? { ca: o.ca } : {}), ...(o.cert ? { cert: o.cert } : {}), ...(o.key ? { key: o.key } : {}) } : {};
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, ...tls }, (res: IncomingMessage) => {
        // Node says `aborted` when the connection is lost mid-body; said here as what happened.
        res.on('error', (err: Error) => settle(res.complete ? err : new Error(`the connection closed before the page ended (${err.message})`)));
        if (res.statusCode !== 200) {
          res.resume();
          settle(new Error(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim() + (res.statusCode === 401 || res.statusCode === 403 ? ' (check bearer_token_env or username/password_env)' : '')));
          return;
        }
        const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
        const stream = enc === 'gzip' ? res.pipe(createGunzip()) : enc === 'deflate' ? res.pipe(createInflate()) : res;
        const parts: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (b: Buffer) => {
          bytes += b.length;
          if (bytes > o.maxBytes) {
            settle(new Error(`the page is larger than max_bytes (${o.maxBytes})`));
            if (stream !== res) stream.destroy();
            return;
          }
          parts.push(b);
        });
        if (stream !== res) stream.on('error', (err: Error) => settle(new Error(`the page's ${enc} does not decompress: ${err.message}`)));
        stream.on('end', () => settle(undefined, { body: Buffer.concat(parts).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
        // The connection closed before the body ended (the target stopped mid-answer).
        res.on('close', () => {
          if (!res.complete) settle(new Error('the connection closed before the page ended (closed)'));
        });
      });
      deadline = setTimeout(() => settle(new Error(`no answer within timeout_ms (${o.timeoutMs} ms)`)), o.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the target closed while idle fails at once: asked again on a new one.
        if (!settled && !again && req.reusedSocket && err.code === 'ECONNRESET') {
          settled = true;
          clearTimeout(deadline);
          this.fetch(url, true).then(resolvePage, reject);
        } else settle(err);
      });
      req.end();
    });
  }

  async pause(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
    await Promise.all(this.running.values());
  }

  async stop(): Promise<void> {
    await this.pause();
  }
}

// ---------------------------------------------------------------------------------------------
// As a source type of the agent's config

export interface PrometheusScrapeSourceConfig {
  type: 'prometheus_scrape';
  targets: string[];
  interval_ms: number;
  timeout_ms: number;
  service?: string;
  honor_timestamps: boolean;
  sample_limit: number;
  max_bytes: number;
  include: string[];
  exclude: string[];
  bearer_token_env?: string;
  username?: string;
  password_env?: string;
  tls?: { ca_file?: string; cert_file?: string; key_file?: string };
}

const ENV_NAME = { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };

export const prometheusScrapeSourceDefinition = defineSource<PrometheusScrapeSourceConfig>({
  type: 'prometheus_scrape',
  metricsOnly: true,
  description: 'A service\'s own metrics: Prometheus pages (`/metrics`, the text format or OpenMetrics) scraped at an interval, as metric points.',
  properties: {
    targets: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 }, description: 'URLs of the pages to scrape (http or https), e.g. http://127.0.0.1:9100/metrics.' },
    interval_ms: int('How often each target is scraped.', 1000, 15_000),
    timeout_ms: int('How long a scrape may take before it counts as failed (at most interval_ms).', 100, 10_000),
    service: str('Service name for the points (default: service.name).', { minLength: 1 }),
    honor_timestamps: bool('A sample\'s own timestamp is its time; else every point of a scrape has the scrape\'s time.', true),
    sample_limit: int('A page with more samples than this fails its scrape (up is 0), as Prometheus\' sample_limit; 0 for no limit.', 0, 100_000),
    max_bytes: int('A page larger than this (after decompression) fails its scrape.', 1024, 64 * MiB),
    include: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Only the samples whose name (or family\'s name) matches one of these globs, e.g. node_cpu_* (empty: all).' },
    exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Not the samples whose name (or family\'s name) matches one of these globs, e.g. go_* (applied after include).' },
    bearer_token_env: str('Name of the environment variable holding a bearer token sent with each scrape.', ENV_NAME),
    username: str('With password_env: the user name of basic authentication.', { minLength: 1 }),
    password_env: str('Name of the environment variable holding the password of basic authentication.', ENV_NAME),
    tls: obj('For https targets: the authorities to trust, and a client certificate when the target asks for one.', {
      ca_file: str('PEM file of the certificate authorities a target\'s certificate must be signed by (instead of Node\'s built-in list).', { minLength: 1 }),
      cert_file: str('PEM client certificate (with key_file).', { minLength: 1 }),
      key_file: str('PEM private key of cert_file.', { minLength: 1 }),
    }),
  },
  required: ['targets'],
  resolvePaths(cfg, baseDir) {
    const tls = cfg.tls;
    if (!tls) return;
    for (const k of ['ca_file', 'cert_file', 'key_file'] as const) if (tls[k] !== undefined) tls[k] = resolve(baseDir, tls[k]);
  },
  check(src, path, issues, ctx) {
    src.targets.forEach((t, i) => {
      let url: URL;
      try {
        url = new URL(t);
      } catch {
        issues.push({ path: `${path}.targets[${i}]`, message: `"${t}" is not a URL (http://host:port/metrics)` });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ path: `${path}.targets[${i}]`, message: `"${t}" must be http or https` });
      if (url.username || url.password) issues.push({ path: `${path}.targets[${i}]`, message: 'must not hold credentials (they would show in logs): use username and password_env' });
    });
    if (src.timeout_ms > src.interval_ms) issues.push({ path: `${path}.timeout_ms`, message: `must be at most interval_ms (${src.interval_ms})` });
    checkEnvNames(src, ['bearer_token_env', 'password_env'] as const, path, issues, ctx.env);
    if (src.password_env !== undefined && src.username === undefined) issues.push({ path: `${path}.password_env`, message: 'needs username (basic authentication sends both)' });
    if (src.username !== undefined && src.password_env === undefined) issues.push({ path: `${path}.username`, message: 'needs password_env (the password of basic authentication)' });
    if (src.bearer_token_env !== undefined && src.password_env !== undefined) issues.push({ path: `${path}.bearer_token_env`, message: 'set either bearer_token_env or username/password_env, not both' });
    const tls = src.tls ?? {};
    if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) issues.push({ path: `${path}.tls`, message: 'cert_file and key_file go together' });
    for (const k of ['ca_file', 'cert_file', 'key_file'] as const) {
      const f = tls[k];
      if (f === undefined) continue;
      try {
        readFileSync(f);
      } catch (err) {
        issues.push({ path: `${path}.tls.${k}`, message: `cannot be read: ${(err as Error).message}` });
      }
    }
  },
  create(src, ctx) {
    const authorization = src.bearer_token_env !== undefined
      ? `Bearer ${ctx.env[src.bearer_token_env] ?? ''}`
      : src.password_env !== undefined ? `Basic ${Buffer.from(`${src.username ?? ''}:${ctx.env[src.password_env] ?? ''}`).toString('base64')}` : undefined;
    const tls = src.tls ?? {};
    return new PrometheusScrapeSource({
      name: ctx.name,
      targets: src.targets,
      intervalMs: src.interval_ms,
      timeoutMs: src.timeout_ms,
      service: ctx.service,
      host: ctx.host,
      honorTimestamps: src.honor_timestamps,
      sampleLimit: src.sample_limit,
      maxBytes: src.max_bytes,
      include: src.include,
      exclude: src.exclude,
      ...(authorization !== undefined ? { authorization } : {}),
      ...(tls.ca_file !== undefined ? { ca: readFileSync(tls.ca_file) } : {}),
      ...(tls.cert_file !== undefined ? { cert: readFileSync(tls.cert_file) } : {}),
      ...(tls.key_file !== undefined ? { key: readFileSync(tls.key_file) } : {}),
    });
  },
  describe: (src) => `${src.targets.length === 1 ? src.targets[0] : `${src.targets.length} targets`} every ${src.interval_ms} ms`,
});
