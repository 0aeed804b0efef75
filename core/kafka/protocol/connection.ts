/**
 * One connection to one broker: size-prefixed frames, request header v1 with increasing correlation
 * ids, responses matched by id (Kafka answers in order on a connection), at most `maxInFlight`
 * requests on the wire (more wait here, in order). Opening it negotiates versions (ApiVersions) and,
 * when configured, TLS and SASL (PLAIN, SCRAM-SHA-256/512). A request that outlives its timeout closes
 * the connection: every request on it then fails with a NETWORK error, so the caller retries them all
 * in order. Secrets never appear in errors or logs.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { isIP } from 'node:net';
import { Reader, Writer } from './codec.ts';
import { KafkaError, errorName } from './errors.ts';
import { API, decodeApiVersions, decodeSaslAuthenticate, decodeSaslHandshake, type ApiName, type ApiVersionRange } from './messages.ts';
import { saslExchange, type SaslCredentials } from './sasl.ts';
import { clientCertificateRefusal } from '../security.ts';
import { SERVER_CERT_UNTRUSTED as TLS_TRUST } from '../../tls-alerts.ts';


/** A bootstrap address, `host:port`, as a connection's host and port. */
export function brokerAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** TLS: true for the system's CAs (NODE_EXTRA_CA_CERTS adds more), or Node's TLS options. */
  ssl?: boolean | TlsOptions;
  sasl?: SaslCredentials;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
}

interface Pending {
  id: number;
  frame: Buffer;
  decode: (r: Reader) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  what: string;
}

export class Connection {
  readonly address: string;
  private socket?: Socket;
  private nextId = 1;
  private readonly onWire = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private versions = new Map<number, ApiVersionRange>();
  private closedWith?: KafkaError;
  private readonly maxInFlight: number;
  private readonly requestTimeoutMs: number;
  /** Called once when the connection is gone (error, timeout, close). */
  onClose?: (err: KafkaError) => void;

  private constructor(private readonly o: ConnectionOptions) {
    this.address = `${o.host}:${o.port}`;
    this.maxInFlight = o.maxInFlight ?? 5;
    this.requestTimeoutMs = o.requestTimeoutMs ?? 30_000;
  }

  static async open(o: ConnectionOptions): Promise<Connection> {
    const c = new Connection(o);
    await c.connect();
    try {
      await c.negotiate();
      if (o.sasl) await c.authenticate(o.sasl);
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Requests sent or waiting for their turn. */
  get outstanding(): number {
    return this.onWire.size + this.waiting.length;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeoutMs = this.o.connectTimeoutMs ?? 5000;
      const tlsOptions = this.o.ssl === true ? {} : this.o.ssl || undefined;
      const socket = tlsOptions
        ? tlsConnect({ host: this.o.host, port: this.o.port, servername: isIP(this.o.host) ? undefined : this.o.host, ...tlsOptions })
        : netConnect({ host: this.o.host, port: this.o.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => socket.destroy(new Error(`connecting timed out after ${timeoutMs} ms`)), timeoutMs);
      const ready = tlsOptions ? 'secureConnect' : 'connect';
      const fail = (err: Error & { code?: string }) => {
        clearTimeout(timer);
        const refused = tlsOptions ? clientCertificateRefusal(err, this.address, !!(tlsOptions as { cert?: unknown } | undefined)?.cert) : undefined;
        if (refused) return reject(new KafkaError(refused, 'TLS', 'fatal', this.address));
        // An untrusted or mismatched certificate stays so: not a retry, a person has to act.
        if (tlsOptions && (TLS_TRUST.test(err.code ?? '') || TLS_TRUST.test(err.message))) {
          reject(new KafkaError(`the TLS certificate of Kafka at ${this.address} is not trusted (${err.message}); set KAFKA_SSL_CA_FILE to the CA that signed it`, 'TLS', 'fatal', this.address));
          return;
        }
        reject(new KafkaError(`cannot connect to the broker at ${this.address}: ${err.message}`, 'NETWORK', 'refresh', this.address));
      };
      socket.once('error', fail);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', fail);
        this.socket = socket;
        socket.on('data', (d: Buffer) => this.onData(d));
        socket.on('error', (err: Error & { code?: string }) => {
          // TLS 1.3: a broker refuses a client's certificate (or its lack) after the handshake, at the first read.
          const refused = tlsOptions ? clientCertificateRefusal(err, this.address, !!(tlsOptions as { cert?: unknown } | undefined)?.cert) : undefined;
          this.fail(refused ? new KafkaError(refused, 'TLS', 'fatal', this.address) : new KafkaError(`connection to ${this.address} failed: ${err.message}`, 'NETWORK', 'refresh', this.address));
        });
        socket.on('close', () => this.fail(new KafkaError(`connection to ${this.address} closed`, 'NETWORK', 'refresh', this.address)));
        resolve();
      });
    });
  }

  private async negotiate(): Promise<void> {
    // v0 answers every broker; a broker that does not speak the asked version answers in v0 with error 35.
    let version: number = API.ApiVersions.max;
    for (;;) {
      const res = await this.send(API.ApiVersions.key, version, () => undefined, (r) => decodeApiVersions(r, version), 'ApiVersions');
      if (res.errorCode === 35 && version > 0) {
        const offered = res.apis.get(API.ApiVersions.key);
        version = offered ? Math.min(API.ApiVersions.max, offered.max) : 0;
        continue;
      }
      if (res.errorCode !== 0) throw new KafkaError(`${errorName(res.errorCode)} from ApiVersions at ${this.address}`, errorName(res.errorCode), 'fatal', this.address);
      this.versions = res.apis;
      return;
    }
  }

  /** The highest version of `api` both sides speak; an UNSUPPORTED_VERSION error names both ranges. */
  version(api: ApiName): number {
    const ours = API[api];
    const theirs = this.versions.get(ours.key);
    const v = theirs ? Math.min(ours.max, theirs.max) : -1;
    if (!theirs || v < ours.min || v < theirs.min) {
      throw new KafkaError(
        `the broker at ${this.address} does not speak ${api} v${ours.min}-${ours.max} (it offers ${theirs ? `v${theirs.min}-${theirs.max}` : 'none'})`,
        'UNSUPPORTED_VERSION', 'fatal', this.address,
      );
    }
    return v;
  }

  private async authenticate(c: SaslCredentials): Promise<void> {
    const ex = saslExchange(c);
    const hs = await this.send(API.SaslHandshake.key, this.version('SaslHandshake'), (w) => w.string(ex.name), decodeSaslHandshake, 'SaslHandshake');
    if (hs.errorCode !== 0) {
      throw new KafkaError(`the broker at ${this.address} does not offer SASL ${ex.name} (it offers ${hs.mechanisms.join(', ') || 'none'})`, 'SASL_AUTHENTICATION_FAILED', 'fatal', this.address);
    }
    const version = this.version('SaslAuthenticate');
    let message: Buffer | null = ex.first();
    while (message) {
      const out: Buffer = message;
      const res = await this.send(API.SaslAuthenticate.key, version, (w) => w.bytes(out), decodeSaslAuthenticate, 'SaslAuthenticate');
      if (res.errorCode !== 0) {
        throw new KafkaError(
          `Kafka at ${this.address} refused the SASL credentials (user ${JSON.stringify(c.username)}, mechanism ${ex.name}): ${res.errorMessage ?? errorName(res.errorCode)}; check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD`,
          'SASL_AUTHENTICATION_FAILED', 'fatal', this.address,
        );
      }
      try {
        message = ex.next(res.authBytes);
      } catch (err) {
        throw new KafkaError(`Kafka at ${this.address} refused the SASL exchange (user ${JSON.stringify(c.username)}, mechanism ${ex.name}): ${(err as Error).message}`, 'SASL_AUTHENTICATION_FAILED', 'fatal', this.address);
      }
    }
  }

  /**
   * Sends one request of `api` in the negotiated version; resolves with the decoded response.
   * `bodyBytes`, about what the body will take (a Produce request's batches), sizes the request's buffer
   * once instead of doubling it from 256 bytes, a copy and an allocation per doubling.
   */
  request<T>(api: ApiName, encode: (w: Writer, version: number) => void, decode: (r: Reader, version: number) => T, bodyBytes = 0): Promise<T> {
    const version = this.version(api);
    return this.send(API[api].key, version, (w) => encode(w, version), (r) => decode(r, version), api, bodyBytes);
  }

  private send<T>(apiKey: number, version: number, encode: (w: Writer) => void, decode: (r: Reader) => T, what: string, bodyBytes = 0): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId;
    this.nextId = this.nextId === 0x7fffffff ? 1 : this.nextId + 1;
    const w = new Writer(256 + bodyBytes);
    w.int32(0).int16(apiKey).int16(version).int32(id).string(this.o.clientId);
    encode(w);
    const frame = w.result();
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ id, frame, decode, resolve: resolve as (v: unknown) => void, reject, what });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.onWire.size < this.maxInFlight && this.socket && !this.closedWith) {
      const p = this.waiting.shift()!;
      p.timer = setTimeout(() => this.fail(new KafkaError(`${p.what} to ${this.address} got no answer within ${this.requestTimeoutMs} ms`, 'REQUEST_TIMED_OUT', 'refresh', this.address)), this.requestTimeoutMs);
      this.onWire.set(p.id, p);
      this.socket.write(p.frame);
    }
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
      const buf = this.chunks[0]!;
      const size = buf.readInt32BE(0);
      if (size < 4 || size > 64 * 1024 * 1024) {
        this.fail(new KafkaError(`the broker at ${this.address} sent a frame of ${size} bytes; closing`, 'NETWORK', 'refresh', this.address));
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = buf.subarray(4, 4 + size);
      const rest = buf.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const id = frame.readInt32BE(0);
    const p = this.onWire.get(id);
    if (!p) {
      this.fail(new KafkaError(`the broker at ${this.address} answered unknown correlation id ${id}; closing`, 'NETWORK', 'refresh', this.address));
      return;
    }
    this.onWire.delete(id);
    clearTimeout(p.timer);
    try {
      p.resolve(p.decode(new Reader(frame, 4, `${p.what} response from ${this.address}`)));
    } catch (err) {
      p.reject(err as Error);
    }
    this.pump();
  }

  private fail(err: KafkaError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.socket?.destroy();
    const all = [...this.onWire.values(), ...this.waiting.splice(0)];
    this.onWire.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.onClose?.(err);
  }

  close(): void {
    this.fail(new KafkaError(`connection to ${this.address} closed by the client`, 'NETWORK', 'refresh', this.address));
  }
}
