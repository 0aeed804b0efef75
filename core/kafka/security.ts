/**
 * How to reach Kafka securely, from the environment and a component's own settings: one place for the
 * kafkajs clients (client.ts) and our own connections (the producer, admin.ts). Holds no kafkajs, so
 * a process on our own protocol code never loads it.
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../errors.ts';
import { clientCertificateAlert } from '../tls-alerts.ts';
import type { SaslCredentials } from './protocol/sasl.ts';

/** TLS for a connection: true for the system's CAs, or the CAs to trust (PEM) and this client's certificate and key (mutual TLS). */
export type TlsSetting = boolean | { ca?: string[]; cert?: string; key?: string; passphrase?: string };

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
 * the CA in `KAFKA_SSL_CA_FILE` (PEM) when set, e.g. the one `stack up --secure` makes. A cluster that
 * takes clients by their certificate (mutual TLS: Strimzi's `tls` users, Aiven's default, MSK's)
 * also needs `KAFKA_SSL_CERT_FILE` and `KAFKA_SSL_KEY_FILE` (PEM; `KAFKA_SSL_KEY_PASSWORD` for an
 * encrypted key).
 */
export function sslFromEnv(env: NodeJS.ProcessEnv = process.env): TlsSetting | undefined {
  if (env.KAFKA_SSL !== '1' && env.KAFKA_SSL !== 'true') return undefined;
  const read = (name: 'KAFKA_SSL_CA_FILE' | 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE'): string | undefined => {
    const file = env[name];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `${name}=${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = read('KAFKA_SSL_CA_FILE');
  const cert = read('KAFKA_SSL_CERT_FILE');
  const key = read('KAFKA_SSL_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) {
    throw new TributaryError('CONFIG_INVALID', `${cert === undefined ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE'} is set without ${cert === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE'}: a client certificate needs both (PEM files)`);
  }
  if (ca === undefined && cert === undefined) return true;
  return {
    ...(ca !== undefined ? { ca: [ca] } : {}),
    ...(cert !== undefined ? { cert, key: key! } : {}),
    ...(env.KAFKA_SSL_KEY_PASSWORD ? { passphrase: env.KAFKA_SSL_KEY_PASSWORD } : {}),
  };
}

/**
 * Kafka refused this client's certificate, or asked for one it was not given (mutual TLS): the alert
 * OpenSSL reports, as a sentence naming the broker and what to set; undefined for any other error.
 * `sentCert`: whether this client presented one (a broker refusing a missing one may say "bad
 * certificate" too). Not retried: a person has to act.
 */
export function clientCertificateRefusal(err: { message?: string; code?: string }, where: string, sentCert: boolean): string | undefined {
  const alert = clientCertificateAlert(err, sentCert);
  if (alert === undefined) return undefined;
  const why = (err.message ?? '').trim().split('\n')[0];
  if (alert === 'required') return `Kafka at ${where} takes clients by their TLS certificate and this one sent none (${why}); set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE (an agent's config: kafka.tls.cert_file and key_file) to a certificate its truststore's CA signed`;
  return `Kafka at ${where} refused this client's TLS certificate (${why}); is KAFKA_SSL_CERT_FILE (an agent's config: kafka.tls.cert_file) signed by a CA in the broker's truststore, and still valid?`;
}

/** A config's `kafka.tls` block: PEM files (paths already absolute) and the variable holding the key's password. */
export interface KafkaTlsFiles {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  key_password_env?: string;
}

/**
 * TLS settings from a config's files, read now. `path` is where the block sits (`kafka.tls`), named in
 * an error: a file that cannot be read, a certificate without its key, a password variable not set.
 */
export function tlsFromFiles(f: KafkaTlsFiles, path: string, env: NodeJS.ProcessEnv = process.env): TlsSetting {
  const read = (key: 'ca_file' | 'cert_file' | 'key_file'): string | undefined => {
    const file = f[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TributaryError('CONFIG_INVALID', `${path}.${key}: ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  if ((f.cert_file === undefined) !== (f.key_file === undefined)) {
    throw new TributaryError('CONFIG_INVALID', `${path}: ${f.cert_file === undefined ? 'key_file' : 'cert_file'} is set without ${f.cert_file === undefined ? 'cert_file' : 'key_file'}: a client certificate needs both (PEM files)`);
  }
  const passphrase = f.key_password_env !== undefined ? env[f.key_password_env] : undefined;
  if (f.key_password_env !== undefined && !passphrase) throw new TributaryError('CONFIG_INVALID', `${path}.key_password_env: environment variable ${f.key_password_env} is not set`);
  const ca = read('ca_file');
  const cert = read('cert_file');
  const key = read('key_file');
  if (ca === undefined && cert === undefined) return true;
  return { ...(ca !== undefined ? { ca: [ca] } : {}), ...(cert !== undefined ? { cert, key: key! } : {}), ...(passphrase ? { passphrase } : {}) };
}

/**
 * A component's settings over the environment's: `ssl: true` (a config's `kafka.ssl`) turns TLS on and
 * still trusts `KAFKA_SSL_CA_FILE`; a config's SASL wins over `KAFKA_SASL_*`.
 */
export function securityOf(o: { ssl?: TlsSetting; sasl?: SaslCredentials } = {}): { ssl?: TlsSetting; sasl?: SaslCredentials } {
  // A config's own files (`kafka.tls`) are the whole setting: the environment's are not mixed in.
  const ssl = typeof o.ssl === 'object' ? o.ssl : o.ssl ? (sslFromEnv({ ...process.env, KAFKA_SSL: '1' }) ?? true) : sslFromEnv();
  const sasl = o.sasl ?? saslFromEnv();
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
