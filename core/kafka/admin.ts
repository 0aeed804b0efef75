/**
 * The few reads of the cluster a process on our own producer makes beside producing: does Kafka answer
 * and let us in (at start), does a topic exist, what are a topic's settings (the retention guard), is
 * Kafka still there (readiness). Over our own protocol code, one connection to one broker, so the
 * agent never loads kafkajs for them (loading it costs about 50 ms of CPU and 6 MB at every start).
 */
import { TributaryError } from '../errors.ts';
import { brokerAddress, Connection } from './protocol/connection.ts';
import { KafkaError, kafkaError } from './protocol/errors.ts';
import { decodeDescribeConfigs, decodeMetadata, encodeDescribeConfigs, encodeMetadata, RESOURCE_TOPIC, type MetadataResponse } from './protocol/messages.ts';
import type { SaslCredentials } from './protocol/sasl.ts';
import { securityOf, type TlsSetting } from './security.ts';

export interface AdminOptions {
  brokers: string[];
  clientId: string;
  /** TLS on (a config's `kafka.ssl`; KAFKA_SSL and KAFKA_SSL_CA_FILE apply either way), or a config's own files (`kafka.tls`). */
  ssl?: TlsSetting;
  /** A config's SASL settings; else KAFKA_SASL_*. */
  sasl?: SaslCredentials;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const UNKNOWN_TOPIC_OR_PARTITION = 3;

export class KafkaAdmin {
  private constructor(private readonly c: Connection) {}

  /**
   * One connection to the first bootstrap broker that answers. A refusal only a person can fix (an
   * untrusted certificate, refused credentials, a broker too old) is thrown at once; otherwise the
   * last broker's error once every one failed.
   */
  static async connect(o: AdminOptions): Promise<KafkaAdmin> {
    const { ssl, sasl } = securityOf(o);
    let last: Error | undefined;
    for (const addr of o.brokers) {
      try {
        const c = await Connection.open({ ...brokerAddress(addr), clientId: o.clientId, ssl, sasl, maxInFlight: 1, connectTimeoutMs: o.connectTimeoutMs ?? 3000, requestTimeoutMs: o.requestTimeoutMs ?? 10_000 });
        return new KafkaAdmin(c);
      } catch (err) {
        last = err as Error;
        if (err instanceof KafkaError && err.action === 'fatal') throw err;
      }
    }
    throw last ?? new KafkaError('no broker address configured', 'NETWORK', 'fatal');
  }

  get address(): string {
    return this.c.address;
  }

  /** Metadata of `topics` (none: only the brokers); a topic that does not exist comes back with its error code, not thrown. */
  metadata(topics: string[]): Promise<MetadataResponse> {
    return this.c.request('Metadata', (w, v) => encodeMetadata(w, v, topics), decodeMetadata);
  }

  /** Whether `topic` exists (a topic still electing its leaders does). Throws when Kafka will not say (not allowed to describe it, say). */
  async topicExists(topic: string): Promise<boolean> {
    const t = (await this.metadata([topic])).topics.find((x) => x.name === topic);
    if (!t || t.errorCode === UNKNOWN_TOPIC_OR_PARTITION) return false;
    if (t.errorCode === 0 || t.errorCode === 5 /* LEADER_NOT_AVAILABLE */) return true;
    throw kafkaError(t.errorCode, `Metadata of topic ${topic}`, this.c.address);
  }

  /** The settings `keys` of `topic` as the broker applies them (its own value or the default); a key Kafka does not know is left out. */
  async topicConfigs(topic: string, keys: string[]): Promise<Map<string, string | null>> {
    const results = await this.c.request('DescribeConfigs', (w, v) => encodeDescribeConfigs(w, v, [{ type: RESOURCE_TOPIC, name: topic, keys }]), decodeDescribeConfigs);
    const r = results.find((x) => x.name === topic) ?? results[0];
    if (!r) throw new KafkaError(`DescribeConfigs of topic ${topic} at ${this.c.address} answered nothing`, 'INVALID_REQUEST', 'retry', this.c.address);
    if (r.errorCode !== 0) throw kafkaError(r.errorCode, `DescribeConfigs of topic ${topic}`, this.c.address, r.errorMessage);
    return r.configs;
  }

  close(): void {
    this.c.close();
  }
}

/** `f` with an admin connection, closed after. */
export async function withAdmin<T>(o: AdminOptions, f: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = await KafkaAdmin.connect(o);
  try {
    return await f(admin);
  } finally {
    admin.close();
  }
}

/**
 * What only a person can fix, as the error a command stops with: refused credentials (KAFKA_AUTH), an
 * untrusted certificate (KAFKA_TLS), anything else our protocol code gives up on (a broker too old:
 * CONFIG_INVALID). Undefined for what retrying may fix.
 */
export function refusalOf(err: unknown): TributaryError | undefined {
  if (!(err instanceof KafkaError) || err.action !== 'fatal') return undefined;
  if (err.type === 'SASL_AUTHENTICATION_FAILED') return new TributaryError('KAFKA_AUTH', err.message, { canRetry: false, cause: err });
  if (err.type === 'TLS') return new TributaryError('KAFKA_TLS', `${err.message} (for \`stack up --secure\`: <TRIBUTARY_HOME>/kafka/secure/ca.crt)`, { canRetry: false, cause: err });
  return new TributaryError('CONFIG_INVALID', err.message, { canRetry: false, cause: err });
}

/**
 * One connection attempt at start-up: throws KAFKA_AUTH / KAFKA_TLS when Kafka answers but refuses us
 * (retrying would never help), and returns quietly when it is merely unreachable (a process that
 * buffers, like the agent, starts anyway and keeps trying).
 */
export async function checkAccess(o: Omit<AdminOptions, 'clientId'>): Promise<void> {
  try {
    await withAdmin({ ...o, clientId: 'tributary-probe' }, (a) => a.metadata([]));
  } catch (err) {
    const refused = refusalOf(err);
    if (refused && refused.code !== 'CONFIG_INVALID') throw refused;
  }
}
