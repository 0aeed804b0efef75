/**
 * How to reach Kafka securely, from the environment and a component's own settings: one place for the
 * kafkajs clients (client.ts) and our own connections (the producer, admin.ts). Holds no kafkajs, so
 * a process on our own protocol code never loads it.
 */
import { readFileSync } from 'node:fs';
import { TributaryError } from '../errors.ts';
import { clientCertificateAlert } from '../tls-alerts.ts';
import type { SaslCredentials } from './protocol/sasl.ts';
import type { ConfigIssue } from '../config/loader.ts';

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

/** The three PEM files of a TLS setting. */
type Pem = 'ca' | 'cert' | 'key';

/** What is wrong with a set of PEM files: one of them cannot be read, or a certificate and key not both given. */
type PemProblem = { kind: 'unreadable'; which: Pem; file: string; why: string } | { kind: 'unpaired'; given: 'cert' | 'key' };

/**
 * PEM files read into a TLS setting (true: the system's CAs, nothing to read), or every problem with
 * them; the environment's and a config's readers word the problems each in its own terms.
 */
function readPem(files: Partial<Record<Pem, string>>, passphrase: string | undefined): { tls: TlsSetting; problems: PemProblem[] } {
  const problems: PemProblem[] = [];
  if ((files.cert === undefined) !== (files.key === undefined)) problems.push({ kind: 'unpaired', given: files.cert === undefined ? 'key' : 'cert' });
  const read = (which: Pem): string | undefined => {
    const file = files[which];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ kind: 'unreadable', which, file, why: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
      return undefined;
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if (ca === undefined && cert === undefined) return { tls: true, problems };
  return { tls: { ...(ca !== undefined ? { ca: [ca] } : {}), ...(cert !== undefined ? { cert, key: key! } : {}), ...(passphrase ? { passphrase } : {}) }, problems };
}

const PAIR = 'a client certificate needs both (PEM files)';

/**
 * TLS settings from the environment: `KAFKA_SSL=1` turns TLS on, trusting the system's CAs, or only
 * the CA in `KAFKA_SSL_CA_FILE` (PEM) when set, e.g. the one `stack up --secure` makes. A cluster that
 * takes clients by their certificate (mutual TLS: Strimzi's `tls` users, Aiven's default, MSK's)
 * also needs `KAFKA_SSL_CERT_FILE` and `KAFKA_SSL_KEY_FILE` (PEM; `KAFKA_SSL_KEY_PASSWORD` for an
 * encrypted key).
 */
export function sslFromEnv(env: NodeJS.ProcessEnv = process.env): TlsSetting | undefined {
  if (env.KAFKA_SSL !== '1' && env.KAFKA_SSL !== 'true') return undefined;
  const name = { ca: 'KAFKA_SSL_CA_FILE', cert: 'KAFKA_SSL_CERT_FILE', key: 'KAFKA_SSL_KEY_FILE' } as const;
  const { tls, problems } = readPem({ ca: env[name.ca] || undefined, cert: env[name.cert] || undefined, key: env[name.key] || undefined }, env.KAFKA_SSL_KEY_PASSWORD || undefined);
  if (problems.length > 0) {
    throw new TributaryError('CONFIG_INVALID', problems.map((p) => (p.kind === 'unreadable' ? `${name[p.which]}=${p.file} cannot be read: ${p.why}` : `${name[p.given]} is set without ${name[p.given === 'cert' ? 'key' : 'cert']}: ${PAIR}`)).join('; '));
  }
  return tls;
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
 * TLS settings from a config's files, read now, and what is wrong with them as config issues under
 * `path` (where the block sits, `kafka.tls`): a file that cannot be read, a certificate without its
 * key, a password variable not set.
 */
export function readKafkaTls(f: KafkaTlsFiles, path: string, env: NodeJS.ProcessEnv = process.env): { tls: TlsSetting; issues: ConfigIssue[] } {
  const passphrase = f.key_password_env !== undefined ? env[f.key_password_env] : undefined;
  const { tls, problems } = readPem({ ca: f.ca_file, cert: f.cert_file, key: f.key_file }, passphrase);
  const issues = problems.map((p): ConfigIssue => (p.kind === 'unreadable' ? { path: `${path}.${p.which}_file`, message: `${p.file} cannot be read: ${p.why}` } : { path, message: `${p.given}_file is set without ${p.given === 'cert' ? 'key' : 'cert'}_file: ${PAIR}` }));
  if (f.key_password_env !== undefined && !passphrase) issues.push({ path: `${path}.key_password_env`, message: `environment variable ${f.key_password_env} is not set` });
  return { tls, issues };
}

/** `readKafkaTls`, throwing its issues (a validated config has none). */
export function tlsFromFiles(f: KafkaTlsFiles, path: string, env: NodeJS.ProcessEnv = process.env): TlsSetting {
  const { tls, issues } = readKafkaTls(f, path, env);
  if (issues.length > 0) throw new TributaryError('CONFIG_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return tls;
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
