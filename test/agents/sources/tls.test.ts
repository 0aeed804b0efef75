// TLS for the intakes (agents/sources/tls.ts): the config block's checks, the reasons a handshake fails
// as a warning says them, and certificates renewed on disk, against real TLS servers and clients of
// Node's tls module with certificates openssl made. The intakes speaking it to senders that are not
// ours are in syslog.test.ts (rsyslog), forward.test.ts (fluent-forward-go), splunk-hec.test.ts
// (splunk-logging) and otlp.test.ts (OpenTelemetry's exporter).
import { test } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import pino from 'pino';
import { validateAgentConfig } from '../../../agents/config.ts';
import { checkTls, handshakeFailure, peerOf, reloadOnChange, rememberPeers, serverOptions, type TlsConfig, type TlsOptions } from '../../../agents/sources/tls.ts';
import type { ConfigIssue } from '../../../core/config/loader.ts';
import { makeTestCerts, signedCert } from '../../helpers/certs.ts';

const certs = makeTestCerts();

function issuesOf(tls: Partial<TlsConfig>, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  checkTls({ verify_client: false, min_version: 'TLSv1.2', ...tls } as TlsConfig, 'sources.s.tls', issues, env);
  return issues;
}

test('the config block: each problem names its key and what is wrong with the file', () => {
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: certs.serverKey }), []);
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.ca, verify_client: true }), []);
  assert.deepEqual(issuesOf({ cert_file: join(certs.dir, 'nope.pem'), key_file: certs.serverKey }), [{ path: 'sources.s.tls.cert_file', message: `cannot read ${join(certs.dir, 'nope.pem')}: ENOENT` }]);
  const notPem = join(certs.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: notPem }), [{ path: 'sources.s.tls.key_file', message: `${notPem} holds no PEM block (-----BEGIN ...)` }]);
  // The client's key with the server's certificate: OpenSSL's "key values mismatch", said plainly.
  const mismatch = issuesOf({ cert_file: certs.serverCert, key_file: certs.clientKey });
  assert.equal(mismatch.length, 1);
  assert.equal(mismatch[0]!.path, 'sources.s.tls');
  assert.match(mismatch[0]!.message, /the private key does not belong to the certificate/);
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: certs.serverKey, verify_client: true }), [{ path: 'sources.s.tls.ca_file', message: 'is required with verify_client: true (the authorities a sender\'s certificate must be signed by)' }]);
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: certs.serverKey, key_password_env: 'KEY_PASS' }), [{ path: 'sources.s.tls.key_password_env', message: 'environment variable KEY_PASS is not set' }]);
});

test('an encrypted key opens with the passphrase from the environment, and a wrong one is named as such', async () => {
  const encrypted = join(certs.dir, 'server-enc.key');
  execFileSync('openssl', ['pkey', '-in', certs.serverKey, '-out', encrypted, '-aes256', '-passout', 'pass:s3cret']);
  assert.deepEqual(issuesOf({ cert_file: certs.serverCert, key_file: encrypted, key_password_env: 'KEY_PASS' }, { KEY_PASS: 's3cret' }), []);
  const wrong = issuesOf({ cert_file: certs.serverCert, key_file: encrypted, key_password_env: 'KEY_PASS' }, { KEY_PASS: 'guess' });
  assert.equal(wrong.length, 1);
  assert.match(wrong[0]!.message, /the private key is encrypted and the passphrase is wrong or missing/);
  // The passphrase is a secret: it is not in the message.
  assert.doesNotMatch(wrong[0]!.message, /guess/);
});

test('in the agent\'s config: TLS over UDP is refused, relative files resolve against the config\'s folder, client certificates stand for a key beyond loopback', () => {
  const tls = { cert_file: certs.serverCert, key_file: certs.serverKey };
  assert.throws(() => validateAgentConfig({ sources: { s: { type: 'syslog', mode: 'udp', tls } } }, { env: {} }), /sources\.s\.tls: needs mode: tcp/);
  const cfg = validateAgentConfig({ sources: { s: { type: 'syslog', mode: 'tcp', tls: { cert_file: 'server.pem', key_file: 'server.key' } } } }, { env: {}, baseDir: certs.dir });
  assert.equal((cfg.sources.s as { tls: TlsConfig }).tls.cert_file, certs.serverCert);
  assert.equal((cfg.sources.s as { tls: TlsConfig }).tls.min_version, 'TLSv1.2');
  const mutual = { ...tls, ca_file: certs.ca, verify_client: true };
  assert.throws(() => validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224', tls } } }, { env: {} }), /sources\.f\.shared_key_env: is required when listening on a non-loopback address/);
  validateAgentConfig({ sources: { f: { type: 'forward', listen: '0.0.0.0:24224', tls: mutual } } }, { env: {} });
  assert.throws(() => validateAgentConfig({ sources: { h: { type: 'splunk_hec', listen: '0.0.0.0:8088', tls } } }, { env: {} }), /sources\.h\.token_env: is required/);
  validateAgentConfig({ sources: { h: { type: 'splunk_hec', listen: '0.0.0.0:8088', tls: mutual } } }, { env: {} });
  validateAgentConfig({ sources: { o: { type: 'otlp', listen: '0.0.0.0:4318', tls: mutual } } }, { env: {} });
  assert.throws(() => validateAgentConfig({ sources: { o: { type: 'otlp', tls: { cert_file: certs.serverCert } } } }, { env: {} }), /key_file/);
});

/** A TLS server on a free loopback port with the intakes' options; resolves with it, its port and the handshake errors it saw. */
async function server(o: TlsOptions): Promise<{ srv: Server; port: number; errors: string[]; peers: string[] }> {
  const errors: string[] = [];
  const peers: string[] = [];
  const srv = createServer(serverOptions(o), (s) => s.end('hello\n'));
  rememberPeers(srv);
  srv.on('tlsClientError', (err, socket) => {
    errors.push(handshakeFailure(err, socket as { authorizationError?: Error }));
    peers.push(peerOf(socket));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as { port: number }).port, errors, peers };
}

/** Connects as a client trusting `ca`; resolves with the server certificate's serial, or rejects with the failure. */
function hello(port: number, ca: string, client?: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readPem(ca), ...(client ? { cert: readPem(client.cert), key: readPem(client.key) } : {}) }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.once('data', () => {
        s.destroy();
        resolve(serial);
      });
    });
    s.once('error', reject);
    // TLS 1.3: a refused client certificate shows as the server closing after the handshake.
    s.once('end', () => reject(new Error('closed by the server')));
  });
}

function readPem(file: string): string {
  return readFileSync(file, 'utf8');
}

test('mutual TLS: a sender without a certificate, with one another CA signed, or speaking plain TCP is refused, and the warning says which', async () => {
  const { srv, port, errors, peers } = await server({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, verifyClient: true, minVersion: 'TLSv1.2' });
  try {
    assert.match(await hello(port, certs.ca, { cert: certs.clientCert, key: certs.clientKey }), /^[0-9A-F]+$/);
    await assert.rejects(hello(port, certs.ca));
    await assert.rejects(hello(port, certs.ca, { cert: certs.otherClientCert, key: certs.otherClientKey }));
    await new Promise<void>((resolve) => {
      const plain = netConnect(port, '127.0.0.1', () => plain.write('<13>1 2026-12-07T10:00:00Z host app - - - plain text\n'));
      plain.on('close', () => resolve());
      plain.on('error', () => undefined);
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(errors.map((e) => e.replace(/ \(.*\)$/, '')), [
      'the sender presented no certificate',
      "the sender's certificate is not signed by ca_file",
      'the sender does not speak TLS, or an older version than min_version',
    ]);
    assert.match(errors[1]!, /UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    // Each named by its address, the one Node destroyed for its certificate too.
    assert.deepEqual(peers, ['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  } finally {
    srv.close();
  }
});

test('a sender that does not trust the intake\'s certificate: OpenSSL\'s alert named, and a client that just closes told apart', async () => {
  const { srv, port, errors } = await server({ certFile: certs.serverCert, keyFile: certs.serverKey, verifyClient: false, minVersion: 'TLSv1.2' });
  try {
    // openssl s_client checks against another CA and sends "unknown ca", as rsyslog's or curl's OpenSSL would.
    // (Run asynchronously: the server answers on this process's event loop.)
    const status = await new Promise<number | null>((resolve) => {
      const c = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', certs.otherCa, '-verify_return_error'], { stdio: ['pipe', 'ignore', 'ignore'] });
      c.stdin.end();
      c.on('exit', resolve);
    });
    assert.notEqual(status, 0, 'the client refused the certificate');
    // Node's client checks after the handshake and closes.
    await assert.rejects(hello(port, certs.otherCa));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(errors.length, 2, errors.join(' | '));
    assert.match(errors[0]!, /^the sender refused this intake's certificate \(unknown ca\)/);
    assert.match(errors[1]!, /^the sender closed the connection during the handshake/);
  } finally {
    srv.close();
  }
});

test('a renewed certificate is served to new connections; a pair that does not load keeps the one in use, with a warning', async () => {
  const dir = certs.dir;
  const cert = join(dir, 'live.pem');
  const key = join(dir, 'live.key');
  copyFileSync(certs.serverCert, cert);
  copyFileSync(certs.serverKey, key);
  const o: TlsOptions = { certFile: cert, keyFile: key, verifyClient: false, minVersion: 'TLSv1.2', reloadMs: 50 };
  const { srv, port } = await server(o);
  const lines: Array<{ msg: string; level: number }> = [];
  const stop = reloadOnChange(srv, o, pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }), 'test');
  try {
    const first = await hello(port, certs.ca);
    const renewed = signedCert(dir, 'renewed', 'localhost', { cert: certs.ca, key: join(dir, 'ca.key') }, 'serverAuth');
    // A half-done renewal: the new certificate beside the old key.
    copyFileSync(renewed.cert, cert);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await hello(port, certs.ca), first, 'the certificate in use is kept');
    assert.ok(lines.some((l) => l.level === 40 && /do not load together/.test(l.msg)), JSON.stringify(lines));
    copyFileSync(renewed.key, key);
    await new Promise((r) => setTimeout(r, 200));
    const second = await hello(port, certs.ca);
    assert.notEqual(second, first);
    assert.ok(lines.some((l) => l.level === 30 && /new connections get the new one/.test(l.msg)), JSON.stringify(lines));
  } finally {
    stop();
    srv.close();
  }
});
