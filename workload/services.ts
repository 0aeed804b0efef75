/**
 * The services of the generated workload: each one's hosts, base rate, latency, log format and
 * message templates (normal, warning, error, and never-seen error patterns kept for incidents).
 */
import { type Rng } from './prng.ts';

export type LogFormat = 'text' | 'pino' | 'json' | 'logfmt';
export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What a template needs from the generator at render time. */
export interface RenderContext {
  rng: Rng;
  /** A request duration in ms, drawn from the service's (possibly degraded) latency distribution. */
  duration(): number;
}

export interface Rendered {
  msg: string;
  attrs: Record<string, string | number>;
}

export interface Template {
  weight: number;
  /** Overrides the level of the list the template sits in (a DEBUG line among the INFO ones). */
  level?: Level;
  render(ctx: RenderContext): Rendered;
}

export interface ServiceProfile {
  name: string;
  hosts: string[];
  /** Records per second for the whole service, before `rateScale`. */
  baseRate: number;
  format: LogFormat;
  latencyMedianMs: number;
  /** Log-space sigma of request durations. */
  latencySigma: number;
  /** Share of records that are warnings / errors in normal operation. */
  warnShare: number;
  errorShare: number;
  info: Template[];
  warn: Template[];
  error: Template[];
  /** Host metric profile. */
  cpus: number;
  baseCpu: number;
  baseMemory: number;
  diskBytesPerS: number;
  netBytesPerS: number;
}

const PATHS = ['/cart', '/cart/items', '/checkout', '/checkout/confirm', '/orders', '/orders/history'];
const QUERIES = ['red shoes', 'usb-c cable', 'winter jacket', 'coffee grinder', 'desk lamp', 'running socks', 'headphones', 'yoga mat', 'phone case', 'backpack'];
const SKUS = ['SKU-1042', 'SKU-2210', 'SKU-3381', 'SKU-4417', 'SKU-5120', 'SKU-6093', 'SKU-7788', 'SKU-8015'];

const uid = (r: Rng): string => `u-${r.int(1000, 99999)}`;
const oid = (r: Rng): string => `o-${r.int(100000, 999999)}`;
const ip = (r: Rng): string => `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
const reqId = (r: Rng): string => r.hex(12);

function t(weight: number, render: (ctx: RenderContext) => Rendered, level?: Level): Template {
  return level ? { weight, render, level } : { weight, render };
}

/** Never-seen error patterns: none of these appears in normal traffic. One is drawn per incident. */
export const NOVEL_ERRORS: Template[] = [
  t(1, ({ rng, duration }) => {
    const n = rng.pick([20, 50, 100]);
    const d = Math.round(duration() * 40);
    return { msg: `connection pool exhausted: 0 of ${n} connections available after waiting ${d}ms`, attrs: { pool_size: n, wait_ms: d } };
  }),
  t(1, ({ rng }) => {
    const field = rng.pick(['id', 'items', 'total', 'address']);
    const line = rng.int(10, 400);
    return { msg: `unhandled exception: TypeError: Cannot read properties of undefined (reading '${field}') at mapOrder (src/mappers/order.js:${line})`, attrs: { exception: 'TypeError' } };
  }),
  t(1, ({ rng }) => {
    const addr = ip(rng);
    return { msg: `TLS handshake with upstream ${addr}:443 failed: certificate has expired`, attrs: { peer: addr } };
  }),
  t(1, ({ rng }) => {
    const tx = rng.hex(8);
    const table = rng.pick(['orders', 'stock_levels', 'sessions', 'ledger']);
    return { msg: `deadlock detected on table ${table}, transaction ${tx} rolled back`, attrs: { table, tx } };
  }),
  t(1, ({ rng }) => {
    const n = rng.int(4096, 1048576);
    return { msg: `disk quota exceeded writing /var/lib/app/spool/${rng.hex(6)}.tmp: ${n} bytes requested`, attrs: { bytes: n } };
  }),
  t(1, ({ rng }) => {
    const dep = rng.pick(['pricing', 'recommendations', 'fraud-check', 'geo']);
    const n = rng.int(5, 60);
    return { msg: `circuit breaker open for ${dep}: ${n} consecutive failures`, attrs: { dependency: dep, failures: n } };
  }),
];

function checkout(): ServiceProfile {
  const req = (status: number[]) => ({ rng, duration }: RenderContext): Rendered => {
    const method = rng.pick(['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']);
    const path = rng.pick(PATHS);
    const code = rng.pick(status);
    const d = Math.round(duration());
    const user = uid(rng);
    return {
      msg: `${method} ${path} ${code} ${d}ms user=${user} req=${reqId(rng)}`,
      attrs: { 'http.method': method, 'http.route': path, 'http.status_code': code, duration_ms: d, user_id: user },
    };
  };
  return {
    name: 'checkout', hosts: ['checkout-1', 'checkout-2'], baseRate: 10, format: 'text',
    latencyMedianMs: 35, latencySigma: 0.5, warnShare: 0.02, errorShare: 0.004,
    info: [
      t(60, req([200, 200, 200, 201, 204, 302])),
      t(10, ({ rng }) => {
        const o = oid(rng); const u = uid(rng); const total = (rng.int(500, 50000) / 100).toFixed(2); const n = rng.int(1, 9);
        return { msg: `order ${o} placed by ${u} total=${total} items=${n}`, attrs: { order_id: o, user_id: u, items: n } };
      }),
      t(8, ({ rng }) => {
        const c = `c-${rng.hex(8)}`;
        return { msg: `cache hit for cart ${c}`, attrs: { cart_id: c } };
      }, 'DEBUG'),
    ],
    warn: [
      t(3, req([400, 404, 409, 429])),
      t(1, ({ rng }) => {
        const o = oid(rng); const a = rng.int(1, 3);
        return { msg: `retrying payment call for order ${o} attempt=${a}`, attrs: { order_id: o, attempt: a } };
      }),
    ],
    error: [
      t(2, ({ rng, duration }) => {
        const d = Math.round(duration()); const u = uid(rng);
        return { msg: `POST /checkout 500 ${d}ms user=${u} req=${reqId(rng)} error="payment service unavailable"`, attrs: { 'http.status_code': 500, duration_ms: d, user_id: u } };
      }),
      t(1, ({ rng, duration }) => {
        const o = oid(rng); const d = Math.round(duration() * 20);
        return { msg: `failed to reserve inventory for order ${o}: timeout after ${d}ms`, attrs: { order_id: o, timeout_ms: d } };
      }),
    ],
    cpus: 4, baseCpu: 0.32, baseMemory: 0.58, diskBytesPerS: 180_000, netBytesPerS: 2_400_000,
  };
}

function payments(): ServiceProfile {
  return {
    name: 'payments', hosts: ['payments-1', 'payments-2'], baseRate: 5, format: 'pino',
    latencyMedianMs: 120, latencySigma: 0.45, warnShare: 0.03, errorShare: 0.003,
    info: [
      t(50, ({ rng, duration }) => ({ msg: 'charge authorised', attrs: { order_id: oid(rng), amount_cents: rng.int(300, 90000), currency: rng.pick(['EUR', 'USD', 'GBP']), card_brand: rng.pick(['visa', 'mastercard', 'amex']), duration_ms: Math.round(duration()) } })),
      t(6, ({ rng, duration }) => ({ msg: 'refund processed', attrs: { refund_id: `r-${rng.int(10000, 99999)}`, order_id: oid(rng), amount_cents: rng.int(300, 20000), duration_ms: Math.round(duration()) } })),
      t(12, ({ rng, duration }) => ({ msg: 'webhook delivered', attrs: { endpoint: `https://hooks.example.net/${rng.hex(6)}`, status: 200, duration_ms: Math.round(duration() / 2) } })),
      t(5, ({ rng }) => ({ msg: 'idempotency key reused', attrs: { key: rng.hex(16) } }), 'DEBUG'),
    ],
    warn: [
      t(3, ({ rng }) => ({ msg: 'card declined', attrs: { order_id: oid(rng), reason: rng.pick(['insufficient_funds', 'do_not_honor', 'expired_card']) } })),
      t(1, ({ rng, duration }) => ({ msg: 'slow upstream response', attrs: { provider: rng.pick(['adyen', 'stripe']), duration_ms: Math.round(duration() * 6) } })),
    ],
    error: [
      t(2, ({ rng, duration }) => ({ msg: 'charge failed', attrs: { order_id: oid(rng), err: 'gateway timeout', duration_ms: Math.round(duration() * 10) } })),
      t(1, ({ rng }) => ({ msg: 'webhook delivery failed', attrs: { endpoint: `https://hooks.example.net/${rng.hex(6)}`, status: 502 } })),
    ],
    cpus: 2, baseCpu: 0.25, baseMemory: 0.5, diskBytesPerS: 90_000, netBytesPerS: 900_000,
  };
}

function search(): ServiceProfile {
  return {
    name: 'search', hosts: ['search-1', 'search-2'], baseRate: 16, format: 'logfmt',
    latencyMedianMs: 18, latencySigma: 0.6, warnShare: 0.015, errorShare: 0.003,
    info: [
      t(60, ({ rng, duration }) => ({ msg: 'query served', attrs: { q: rng.pick(QUERIES), hits: rng.int(0, 500), duration_ms: Math.round(duration()) } })),
      t(20, ({ rng, duration }) => ({ msg: 'suggest served', attrs: { prefix: rng.pick(QUERIES).slice(0, rng.int(1, 4)), n: rng.int(0, 10), duration_ms: Math.round(duration() / 3) } })),
      t(3, ({ rng }) => ({ msg: 'shard cache refresh', attrs: { shard: rng.int(0, 11), docs: rng.int(10000, 90000) } }), 'DEBUG'),
    ],
    warn: [
      t(1, ({ rng, duration }) => ({ msg: 'slow query', attrs: { q: rng.pick(QUERIES), duration_ms: Math.round(duration() * 15) } })),
    ],
    error: [
      t(1, ({ rng }) => ({ msg: 'shard unavailable', attrs: { shard: rng.int(0, 11), replica: rng.int(0, 2) } })),
      t(1, ({ rng }) => ({ msg: 'query failed', attrs: { q: rng.pick(QUERIES), error: 'parse error near position ' + rng.int(1, 20) } })),
    ],
    cpus: 8, baseCpu: 0.42, baseMemory: 0.66, diskBytesPerS: 600_000, netBytesPerS: 3_500_000,
  };
}

function auth(): ServiceProfile {
  return {
    name: 'auth', hosts: ['auth-1', 'auth-2'], baseRate: 7, format: 'json',
    latencyMedianMs: 25, latencySigma: 0.4, warnShare: 0.04, errorShare: 0.002,
    info: [
      t(30, ({ rng, duration }) => ({ msg: 'login succeeded', attrs: { user_id: uid(rng), ip: ip(rng), method: rng.pick(['password', 'sso', 'passkey']), duration_ms: Math.round(duration()) } })),
      t(40, ({ rng, duration }) => ({ msg: 'token refreshed', attrs: { user_id: uid(rng), duration_ms: Math.round(duration() / 2) } })),
      t(25, ({ rng, duration }) => ({ msg: 'session validated', attrs: { session_id: rng.hex(16), duration_ms: Math.round(duration() / 4) } })),
    ],
    warn: [
      t(3, ({ rng }) => ({ msg: 'login failed: bad credentials', attrs: { user_id: uid(rng), ip: ip(rng) } })),
      t(1, ({ rng }) => ({ msg: 'rate limit applied', attrs: { ip: ip(rng), limit: 20 } })),
    ],
    error: [
      t(1, ({ rng }) => ({ msg: 'jwks fetch failed', attrs: { url: 'https://idp.internal/.well-known/jwks.json', error: rng.pick(['ETIMEDOUT', 'ECONNRESET']) } })),
      t(1, ({ rng }) => ({ msg: 'token signing failed', attrs: { kid: rng.hex(8) } })),
    ],
    cpus: 2, baseCpu: 0.22, baseMemory: 0.45, diskBytesPerS: 40_000, netBytesPerS: 700_000,
  };
}

function inventory(): ServiceProfile {
  return {
    name: 'inventory', hosts: ['inventory-1', 'inventory-2'], baseRate: 3, format: 'pino',
    latencyMedianMs: 40, latencySigma: 0.5, warnShare: 0.03, errorShare: 0.004,
    info: [
      t(40, ({ rng, duration }) => ({ msg: 'stock reserved', attrs: { sku: rng.pick(SKUS), qty: rng.int(1, 5), order_id: oid(rng), duration_ms: Math.round(duration()) } })),
      t(20, ({ rng, duration }) => ({ msg: 'stock released', attrs: { sku: rng.pick(SKUS), qty: rng.int(1, 5), duration_ms: Math.round(duration()) } })),
      t(4, ({ rng, duration }) => ({ msg: 'sync batch completed', attrs: { batch_size: rng.int(50, 500), duration_ms: Math.round(duration() * 8) } })),
    ],
    warn: [
      t(1, ({ rng }) => ({ msg: 'low stock', attrs: { sku: rng.pick(SKUS), remaining: rng.int(0, 9) } })),
    ],
    error: [
      t(1, ({ rng }) => ({ msg: 'reservation failed', attrs: { sku: rng.pick(SKUS), order_id: oid(rng), error: 'version conflict' } })),
    ],
    cpus: 2, baseCpu: 0.18, baseMemory: 0.55, diskBytesPerS: 250_000, netBytesPerS: 400_000,
  };
}

/** The default five services, two hosts each. */
export function defaultServices(): ServiceProfile[] {
  return [checkout(), payments(), search(), auth(), inventory()];
}
