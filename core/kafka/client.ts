/**
 * One place that builds kafkajs clients: its log lines go through pino, retries back off, and LZ4
 * (Kafka's framed format, through lz4-napi) is registered so every producer and consumer can use it,
 * and consumers follow their group coordinator when it moves (group-coordinator.ts).
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import kafkajs, { type ISocketFactory, type Kafka as KafkaClient, type KafkaConfig, type logCreator } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { log } from '../log.ts';
import { TributaryError } from '../errors.ts';
import { followGroupCoordinator } from './group-coordinator.ts';
import { clientCertificateRefusal, securityOf } from './security.ts';
import { SERVER_CERT_UNTRUSTED as TLS_TRUST } from '../tls-alerts.ts';
import type { SaslCredentials } from './protocol/sasl.ts';

const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = kafkajs;

let codecsRegistered = false;

function registerCodecs(): void {
  if (codecsRegistered) return;
  codecsRegistered = true;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    async compress(encoder: { buffer: Buffer }) {
      return compressFrame(encoder.buffer);
    },
    async decompress(buffer: Buffer) {
      return decompressFrame(buffer);
    },
  });
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn', // kafkajs calls every retried network hiccup an error; ours are kept for lost data
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'debug',
};

const pinoLogCreator: logCreator = () => {
  const logger = log('kafkajs');
  return ({ level, log: entry }) => {
    const { message, ...rest } = entry;
    // Our sink retries on its own, deliberately; kafkajs's warning about it is noise.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    logger[LEVELS[level] ?? 'debug'](rest, message);
  };
};

export interface ClientOptions {
  brokers: string[];
  clientId: string;
  /** Give up connecting after this long; the caller decides whether to retry. */
  connectionTimeoutMs?: number;
  retries?: number;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** No kafkajs log lines (probes that expect to fail and report it themselves). */
  quiet?: boolean;
  /** Opens the client's sockets through this tracker, so its owner can close every one on stop. */
  sockets?: SocketTracker;
}

/**
 * Every socket of one kafkajs client. kafkajs can lose track of a connection: after a broker restart
 * the consumer group keeps its coordinator's old Broker object, whose pool reconnects for the next
 * heartbeat, and `disconnect()` closes only the brokers the cluster still lists. That socket then
 * keeps the process alive after the worker stopped. The owner calls `destroy()` after `disconnect()`.
 */
export class SocketTracker {
  private readonly open = new Set<Socket>();

  /** kafkajs's own socket factory (same options, same keep-alive), remembering what it opened. */
  readonly factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return socket;
  };

  get size(): number {
    return this.open.size;
  }

  /**
   * Closes every socket still open; returns how many kafkajs had lost track of. Those are closed with
   * an error, which is what makes kafkajs's connection clean up after itself (reject what waits, clear
   * its request-timeout interval); a plain destroy would leave that interval running.
   */
  destroy(): number {
    let lost = 0;
    for (const s of this.open) {
      if (s.writableEnded) {
        s.destroy();
      } else {
        lost++;
        s.destroy(new Error('closed on stop: the client had lost track of this connection'));
      }
    }
    this.open.clear();
    return lost;
  }
}


/**
 * Turns an error that retrying cannot fix (SASL refused the credentials, the broker's certificate is
 * not trusted or not for this host) into a TributaryError that names the broker and is not retried;
 * undefined for anything else. Messages never carry the password (kafkajs's do not either).
 */
export function kafkaAccessError(err: unknown, brokers: string[]): TributaryError | undefined {
  const e = err as Error & { name?: string; broker?: string; cause?: unknown; originalError?: Error };
  const seen = new Set<unknown>();
  let cur: (Error & { name?: string; code?: string; broker?: string; cause?: unknown; originalError?: Error }) | undefined = e;
  let broker = e?.broker;
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    broker ??= cur.broker;
    const where = broker ?? brokers.join(',');
    if (cur.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed|Authentication failed/i.test(cur.message ?? '')) {
      return new TributaryError('KAFKA_AUTH', `Kafka at ${where} refused the SASL credentials (user ${JSON.stringify(process.env.KAFKA_SASL_USERNAME ?? '')}, mechanism ${process.env.KAFKA_SASL_MECHANISM ?? '?'}): ${cur.message.replace(/password[^,;]*/gi, 'password ***')}; check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD`, { cause: err });
    }
    const refused = clientCertificateRefusal(cur, where, !!process.env.KAFKA_SSL_CERT_FILE);
    if (refused) return new TributaryError('KAFKA_TLS', refused, { cause: err });
    if (TLS_TRUST.test(cur.code ?? '') || TLS_TRUST.test(cur.message ?? '')) {
      return new TributaryError('KAFKA_TLS', `the TLS certificate of Kafka at ${where} is not trusted (${cur.message}); set KAFKA_SSL_CA_FILE to the CA that signed it (for \`stack up --secure\`: <TRIBUTARY_HOME>/kafka/secure/ca.crt)`, { cause: err });
    }
    cur = (cur.originalError ?? cur.cause) as typeof cur;
  }
  return undefined;
}

/**
 * The TLS and SASL settings a kafkajs client gets: the rule our own connections follow (`securityOf`):
 * `ssl: true` from a caller (a config's `kafka.ssl`) trusts `KAFKA_SSL_CA_FILE` whether or not
 * `KAFKA_SSL` is set, `false` or none leaves it to `KAFKA_SSL`; TLS options given whole are taken as they are.
 */
export function kafkajsSecurity(options: Pick<ClientOptions, 'ssl' | 'sasl'>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const own = securityOf({ ssl: options.ssl === true, sasl: options.sasl as SaslCredentials | undefined });
  const ssl = typeof options.ssl === 'object' ? options.ssl : own.ssl;
  return { ...(ssl !== undefined ? { ssl } : {}), ...(own.sasl ? { sasl: own.sasl as KafkaConfig['sasl'] } : {}) };
}

export function createKafka(options: ClientOptions): KafkaClient {
  registerCodecs();
  followGroupCoordinator();
  // Every producer here keys its records; the partitioner change kafkajs warns about does not apply.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: options.retries ?? 8 },
    ...kafkajsSecurity(options),
    logLevel: options.quiet ? logLevel.NOTHING : logLevel.WARN,
    logCreator: pinoLogCreator,
    ...(options.sockets ? { socketFactory: options.sockets.factory } : {}),
  });
}

export { CompressionTypes };

/**
 * Waits until Kafka answers, logging a clear message with the address and backing off between tries
 * (1 s doubling to 30 s). Gives up after `timeoutMs` (default: never) with a KAFKA_UNREACHABLE error.
 */
export async function waitForKafka(brokers: string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const started = Date.now();
  let backoff = 1000;
  let attempt = 0;
  for (;;) {
    attempt++;
    const admin = createKafka({ brokers, clientId: 'tributary-probe', retries: 0, connectionTimeoutMs: 2000 }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      if (attempt > 1) log('kafka').info({ brokers }, 'Kafka is reachable.');
      return;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      // A wrong password or an untrusted certificate stays wrong: say so once and stop.
      const fatal = kafkaAccessError(err, brokers);
      if (fatal) throw fatal;
      const elapsed = Date.now() - started;
      if (options.timeoutMs !== undefined && elapsed + backoff > options.timeoutMs) {
        throw new TributaryError('KAFKA_UNREACHABLE', `Kafka at ${brokers.join(',')} cannot be reached (${(err as Error).message}); start it with \`npx tributary stack up\` or set --brokers / TRIBUTARY_BROKERS`, { canRetry: true, cause: err });
      }
      log('kafka').warn({ brokers, attempt, retryInMs: backoff, err: (err as Error).message }, `Kafka at ${brokers.join(',')} cannot be reached; retrying.`);
      if (options.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 30_000);
    }
  }
}

/**
 * The topics' metadata, asked again every 100 ms while Kafka answers with a retriable error, until
 * `timeoutMs`: a topic made a moment ago is UNKNOWN_TOPIC_OR_PARTITION to a broker whose metadata has
 * not caught up (a worker on a 3-broker cluster crashed at start on it). A topic that does not exist is
 * still an error, after the timeout, naming it; a refusal that is not retriable (authorisation) at once.
 */
export async function fetchTopicMetadataRetrying(admin: ReturnType<KafkaClient['admin']>, topics: string[], timeoutMs = 30_000): ReturnType<ReturnType<KafkaClient['admin']>['fetchTopicMetadata']> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await admin.fetchTopicMetadata({ topics });
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable !== true) throw err;
      if (Date.now() + 100 > deadline) {
        const which = `the topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')}`;
        throw new TributaryError('CONFIG_INVALID', `Kafka still does not know ${which} after ${timeoutMs / 1000} s (${(err as Error).message}): create ${topics.length > 1 ? 'them' : 'it'}, or name topics that exist`, { canRetry: true, cause: err });
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until every partition of the topics has a leader. On KRaft a new topic answers
 * UNKNOWN_TOPIC_OR_PARTITION for a moment, which kafkajs's own `waitForLeaders` does not retry.
 */
export async function waitForTopicLeaders(admin: ReturnType<KafkaClient['admin']>, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
