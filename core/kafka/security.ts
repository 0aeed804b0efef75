/**
 * How to reach Kafka securely, from the environment and a component's own settings: one place for the
 * kafkajs clients (client.ts) and our own connections (the producer, admin.ts). Holds no kafkajs, so
 * a process on our own protocol code never loads it.
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../errors.ts';
import type { SaslCredentials } from './protocol/sasl.ts';

/** TLS for a connection: true for the system's CAs, or the CAs to trust (PEM). */
export type TlsSetting = boolean | { ca: string[] };

/** SASL settings from the environment (`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`). */
export function saslFromEnv(env: NodeJS.ProcessEnv = process.env): SaslCredentials | undefined {
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (!mechanism) return undefined;
  const username = env.KAFKA_SASL_USERNAME ?? '';
  const password = env.KAFKA_SASL_PASSWORD ?? '';
  if (mechanism === 'plain' || mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') return { mechanism, username, password };
  return undefined;
}

/**
 * TLS settings from the environment: `KAFKA_SSL=1` turns TLS on, trusting the system's CAs, or only
 * the CA in `KAFKA_SSL_CA_FILE` (PEM) when set, e.g. the one `stack up --secure` makes.
 */
export function sslFromEnv(env: NodeJS.ProcessEnv = process.env): TlsSetting | undefined {
  if (env.KAFKA_SSL !== '1' && env.KAFKA_SSL !== 'true') return undefined;
  const caFile = env.KAFKA_SSL_CA_FILE;
  if (!caFile) return true;
  try {
    return { ca: [readFileSync(caFile, 'utf8')] };
  } catch (err) {
    throw new TributaryError('CONFIG_INVALID', `KAFKA_SSL_CA_FILE=${caFile} cannot be read: ${(err as Error).message}`);
  }
}

/**
 * A component's settings over the environment's: `ssl: true` (a config's `kafka.ssl`) turns TLS on and
 * still trusts `KAFKA_SSL_CA_FILE`; a config's SASL wins over `KAFKA_SASL_*`.
 */
export function securityOf(o: { ssl?: boolean; sasl?: SaslCredentials } = {}): { ssl?: TlsSetting; sasl?: SaslCredentials } {
  const ssl = o.ssl ? (sslFromEnv({ ...process.env, KAFKA_SSL: '1' }) ?? true) : sslFromEnv();
  const sasl = o.sasl ?? saslFromEnv();
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
