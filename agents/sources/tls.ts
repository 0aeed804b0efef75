/**
 * TLS for the network intakes (syslog and GELF over TCP, Fluent Forward, Splunk HEC, OTLP/HTTP): one
 * `tls` block in each source's config, read and checked here, so that a sender can reach the agent over
 * a network it does not trust: syslog over TLS as RFC 5425 has it (rsyslog's and syslog-ng's TLS
 * drivers; the framing is the same octet counting), Fluent Bit's and Fluentd's `tls on`, HTTPS for the
 * HTTP intakes (Splunk's senders default to it).
 *
 * With `verify_client`, a sender must present a certificate signed by `ca_file` (mutual TLS): the
 * handshake fails for any other, before a byte of it is read, and the connection is counted
 * (`tls_failed`) and warned of with the reason. That authenticates a sender as a token or a shared key
 * does, so an intake beyond loopback may rely on it alone.
 *
 * Certificates are renewed in place (cert-manager, certbot, an operator's copy): the files are looked at
 * every `reloadMs` (60 s) and, when one changed, read again and used for new connections; a pair that
 * does not load (a key written before its certificate, say) keeps the one in use, with a warning, and
 * is tried again at the next look. Open connections keep what they were opened with.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer, type TlsOptions as NodeTlsServerOptions } from 'node:tls';
import type { ConfigIssue } from '../../core/config/loader.ts';
import type { Logger } from '../../core/log.ts';
import { bool, str } from '../config-schema.ts';

/** The `tls` block of an intake's config. */
export interface TlsConfig {
  cert_file: string;
  key_file: string;
  key_password_env?: string;
  ca_file?: string;
  verify_client: boolean;
  min_version: 'TLSv1.2' | 'TLSv1.3';
}

/** What a listener needs to serve TLS: the files, read again when they change. */
export interface TlsOptions {
  certFile: string;
  keyFile: string;
  keyPassword?: string;
  caFile?: string;
  verifyClient: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** How often the files are looked at for a renewal (ms); 0: never. */
  reloadMs?: number;
}

export const TLS_RELOAD_MS = 60_000;

/** The config schema of the `tls` block (absent: the intake speaks plain TCP or HTTP). */
export function tlsSchema(what: string): object {
  return {
    type: 'object',
    description: `TLS: ${what}. Absent: plain. The files are read at start and again when they change (looked at every minute), so a renewed certificate is used for new connections without a restart.`,
    additionalProperties: false,
    required: ['cert_file', 'key_file'],
    properties: {
      cert_file: str('PEM file of the certificate (and its chain) the intake presents.', { minLength: 1 }),
      key_file: str('PEM file of its private key.', { minLength: 1 }),
      key_password_env: str('Name of the environment variable holding the key\'s passphrase, when the key is encrypted.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
      ca_file: str('PEM file of the certificate authorities a sender\'s certificate must be signed by (with verify_client).', { minLength: 1 }),
      verify_client: bool('Mutual TLS: a sender must present a certificate signed by ca_file, else the handshake fails before anything of it is read. Authenticates senders, so an intake beyond loopback may rely on it instead of a token or shared key.', false),
      min_version: str('Oldest TLS version taken.', { enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' }),
    },
  };
}

/** The block's files made absolute against the config file's folder. */
export function resolveTlsPaths(tls: TlsConfig | undefined, baseDir: string): void {
  if (!tls) return;
  tls.cert_file = resolve(baseDir, tls.cert_file);
  tls.key_file = resolve(baseDir, tls.key_file);
  if (tls.ca_file !== undefined) tls.ca_file = resolve(baseDir, tls.ca_file);
}

/** Checks the block: the files are there, the key opens and matches the certificate, the CA loads; each problem names its key. */
export function checkTls(tls: TlsConfig | undefined, path: string, issues: ConfigIssue[], env: NodeJS.ProcessEnv): void {
  if (!tls) return;
  const before = issues.length;
  if (tls.verify_client && tls.ca_file === undefined) issues.push({ path: `${path}.ca_file`, message: 'is required with verify_client: true (the authorities a sender\'s certificate must be signed by)' });
  if (tls.key_password_env !== undefined && env[tls.key_password_env] === undefined) issues.push({ path: `${path}.key_password_env`, message: `environment variable ${tls.key_password_env} is not set` });
  const files: Array<['cert_file' | 'key_file' | 'ca_file', string | undefined]> = [['cert_file', tls.cert_file], ['key_file', tls.key_file], ['ca_file', tls.ca_file]];
  for (const [key, file] of files) {
    if (file === undefined) continue;
    try {
      const text = readFileSync(file, 'utf8');
      if (!text.includes('-----BEGIN ')) issues.push({ path: `${path}.${key}`, message: `${file} holds no PEM block (-----BEGIN ...)` });
    } catch (err) {
      issues.push({ path: `${path}.${key}`, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
  }
  if (issues.length > before) return;
  try {
    createSecureContext(contextOptions(optionsFrom(tls, env)));
  } catch (err) {
    issues.push({ path, message: `the certificate, key or CA does not load: ${describeTlsError(err as Error)}` });
  }
}

/** The listener's options from a checked block. */
export function optionsFrom(tls: TlsConfig, env: NodeJS.ProcessEnv): TlsOptions {
  return {
    certFile: tls.cert_file,
    keyFile: tls.key_file,
    ...(tls.key_password_env !== undefined ? { keyPassword: env[tls.key_password_env] } : {}),
    ...(tls.ca_file !== undefined ? { caFile: tls.ca_file } : {}),
    verifyClient: tls.verify_client,
    minVersion: tls.min_version,
  };
}

function contextOptions(o: TlsOptions): SecureContextOptions {
  return {
    cert: readFileSync(o.certFile),
    key: readFileSync(o.keyFile),
    ...(o.keyPassword !== undefined ? { passphrase: o.keyPassword } : {}),
    ...(o.caFile !== undefined ? { ca: readFileSync(o.caFile) } : {}),
    minVersion: o.minVersion,
  };
}

/** OpenSSL's reasons, said so a reader knows which file to look at. */
function describeTlsError(err: Error): string {
  const m = err.message;
  if (/key values mismatch/i.test(m)) return 'the private key does not belong to the certificate (key values mismatch)';
  if (/bad decrypt|bad password/i.test(m)) return 'the private key is encrypted and the passphrase is wrong or missing (key_password_env)';
  return m;
}

/** Server options for `tls.createServer` / `https.createServer`; throws naming the file that does not load. */
export function serverOptions(o: TlsOptions): NodeTlsServerOptions {
  try {
    return { ...contextOptions(o), requestCert: o.verifyClient, rejectUnauthorized: o.verifyClient };
  } catch (err) {
    throw new Error(`TLS: ${describeTlsError(err as Error)} (cert ${o.certFile}, key ${o.keyFile}${o.caFile ? `, ca ${o.caFile}` : ''})`);
  }
}

/** A file's identity and state: any change of these is a renewal to load. */
function stamp(file: string | undefined): string {
  if (file === undefined) return '';
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Serves renewed certificates: looks at the files every `o.reloadMs` and, when any changed, gives the
 * server a new context. Returns the function that stops looking.
 */
export function reloadOnChange(server: TlsServer, o: TlsOptions, log: Logger, what: string): () => void {
  const every = o.reloadMs ?? TLS_RELOAD_MS;
  if (every <= 0) return () => undefined;
  const files = [o.certFile, o.keyFile, o.caFile];
  let seen = files.map(stamp).join('|');
  const timer = setInterval(() => {
    const now = files.map(stamp).join('|');
    if (now === seen) return;
    try {
      const opts = contextOptions(o);
      createSecureContext(opts);
      server.setSecureContext(opts);
      seen = now;
      log.info({ intake: what, cert: o.certFile }, 'The intake\'s TLS certificate changed on disk; new connections get the new one.');
    } catch (err) {
      // Half-written renewals (a key before its certificate) are tried again at the next look.
      log.warn({ intake: what, cert: o.certFile, reason: describeTlsError(err as Error) }, 'The intake\'s TLS files changed but do not load together; the certificate in use is kept.');
    }
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

/** A socket as far as the client's certificate goes (a TLSSocket; a plain socket has neither). */
interface MaybeTls {
  encrypted?: boolean;
  authorized?: boolean;
  getPeerCertificate?(): { subject?: Record<string, string | string[]> } | null;
}

const subjects = new WeakMap<object, string | null>();

/**
 * The subject of the certificate a sender presented and `ca_file` verified (mutual TLS), as
 * OpenTelemetry's `tls.client.subject` writes it (`CN=sender-1, O=Shop`); undefined without one. Read
 * once per connection.
 */
export function clientSubject(socket: object): string | undefined {
  const known = subjects.get(socket);
  if (known !== undefined) return known ?? undefined;
  const s = socket as MaybeTls;
  let subject: string | null = null;
  if (s.encrypted && s.authorized && s.getPeerCertificate) {
    const fields = s.getPeerCertificate()?.subject;
    if (fields) subject = Object.entries(fields).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`)).join(', ') || null;
  }
  subjects.set(socket, subject);
  return subject ?? undefined;
}

/**
 * Makes the sender's address of a failed handshake known to `peerOf`: Node destroys a socket whose
 * certificate it refused, after which it no longer says its address; the TCP socket under it does,
 * once asked while it was open.
 */
export function rememberPeers(server: TlsServer): void {
  server.on('connection', (raw: { remoteAddress?: string }) => void raw.remoteAddress);
}

/** The address of the sender of a (failed) TLS connection. */
export function peerOf(socket: { remoteAddress?: string; _parent?: { remoteAddress?: string } }): string {
  return socket.remoteAddress ?? socket._parent?.remoteAddress ?? '';
}

/**
 * Why a sender's TLS handshake failed, in a few words for a warning (OpenSSL's codes are long). A
 * certificate the CA did not sign ends the connection without an error of its own (Node destroys the
 * socket, which reports a hang-up): its reason is the socket's `authorizationError`.
 */
export function handshakeFailure(err: Error & { code?: string }, socket?: { authorizationError?: Error | string }): string {
  const m = err.message;
  const refused = socket?.authorizationError;
  if (refused) return `the sender's certificate is not signed by ca_file (${typeof refused === 'string' ? refused : (refused as Error & { code?: string }).code ?? refused.message})`;
  if (/peer did not return a certificate|PEER_DID_NOT_RETURN_A_CERTIFICATE/i.test(m)) return 'the sender presented no certificate (verify_client is on)';
  // An alert the sender sent: it refused this intake's certificate (an OpenSSL or GnuTLS client says why).
  if (/alert (unknown ca|bad certificate|certificate unknown|certificate expired|handshake failure)/i.test(m)) return `the sender refused this intake's certificate (${/alert ([a-z ]+)/i.exec(m)![1]!.trim()}): does it trust the CA that signed cert_file, and is the name it connects to in the certificate?`;
  // Node's clients (and some others) check the certificate after the handshake and just close.
  if (err.code === 'ECONNRESET') return 'the sender closed the connection during the handshake (did it trust this intake\'s certificate?)';
  if (/wrong version number|http request|unsupported protocol|no protocols available/i.test(m)) return `the sender does not speak TLS, or an older version than min_version (${err.code ?? m})`;
  return err.code ?? m;
}
