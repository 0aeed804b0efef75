/**
 * `/healthz` (the process lives), `/readyz` (it reaches what it needs and makes progress; 503 with
 * the failing checks otherwise) and `/metrics` (Prometheus text). Bound to 127.0.0.1 unless told
 * otherwise: these say a lot about the pipeline and need no authentication.
 */
import { createServer, type Server } from 'node:http';
import { TributaryError } from '../errors.ts';
import type { HealthMetrics } from './metrics.ts';

export interface Check {
  ok: boolean;
  /** What is wrong (or right), for a human reading the JSON. */
  detail?: string;
}

export type Readiness = Record<string, Check>;

export interface HealthServerOptions {
  /** `host:port`, `:port` or `port`; host defaults to 127.0.0.1. Port 0 picks a free one. */
  listen: string;
  ready: () => Readiness | Promise<Readiness>;
  metrics?: HealthMetrics;
}

export interface HealthServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(listen.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new TributaryError('USAGE', `a health address is [host:]port (e.g. 127.0.0.1:9464), not ${JSON.stringify(listen)}`);
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseListen(o.listen);
  const started = Date.now();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', uptimeS: Math.round((Date.now() - started) / 1000) }) + '\n');
    } else if (path === '/readyz') {
      void Promise.resolve()
        .then(() => o.ready())
        .then(
          (checks) => {
            const ready = Object.values(checks).every((c) => c.ok);
            res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, checks }) + '\n');
          },
          (err: Error) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: false, error: err.message }) + '\n'),
        );
    } else if (path === '/metrics' && o.metrics) {
      o.metrics.handle(req, res);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /healthz, /readyz or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new TributaryError('USAGE', `the health endpoint cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is taken' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const bound = server.address() as { port: number };
  return {
    host,
    port: bound.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
