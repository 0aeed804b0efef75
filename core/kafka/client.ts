/**
 * One place that builds kafkajs clients: its log lines go through pino, retries back off, and LZ4
 * (Kafka's framed format, through lz4-napi) is registered so every producer and consumer can use it.
 */
import kafkajs, { type Kafka as KafkaClient, type KafkaConfig, type logCreator } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { log } from '../log.ts';

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
}

/** SASL settings from the environment (`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`). */
export function saslFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaConfig['sasl'] | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (!mechanism) return undefined;
  const username = env.KAFKA_SASL_USERNAME ?? '';
  const password = env.KAFKA_SASL_PASSWORD ?? '';
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    return { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return undefined;
}

export function createKafka(options: ClientOptions): KafkaClient {
  registerCodecs();
  // Every producer here keys its records; the partitioner change kafkajs warns about does not apply.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: options.retries ?? 8 },
    ssl: options.ssl ?? (process.env.KAFKA_SSL === '1' ? true : undefined),
    sasl: options.sasl ?? saslFromEnv(),
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator,
  });
}

export { CompressionTypes };

/**
 * Waits until Kafka answers, logging a clear message with the address and backing off between tries
 * (1 s doubling to 30 s). Gives up after `timeoutMs` (default: never) with a KAFKA_UNREACHABLE error.
 */
export async function waitForKafka(brokers: string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const { TributaryError } = await import('../errors.ts');
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
