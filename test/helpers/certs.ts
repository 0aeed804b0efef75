/**
 * Certificates for the TLS tests, made with the machine's openssl (as `stack up --secure` makes its
 * own): a CA, a server certificate for localhost and 127.0.0.1 signed by it, a client certificate
 * signed by it, and a second CA with a client certificate of its own (one the first CA did not sign).
 * EC P-256 keys: quick to make, and every sender tried here takes them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA (otherCa). */
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate for `cn` signed by the CA `ca` (cert and key files), written as <name>.pem and <name>.key. */
export function signedCert(dir: string, name: string, cn: string, ca: { cert: string; key: string }, usage: 'serverAuth' | 'clientAuth'): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  writeFileSync(ext, `${usage === 'serverAuth' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' : ''}extendedKeyUsage=${usage}\nkeyUsage=digitalSignature\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '30', '-extfile', ext]);
  return { cert, key };
}

function makeCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${cn}`]);
  return { cert, key };
}

export function makeTestCerts(dir = mkdtempSync(join(tmpdir(), 'tributary-certs-'))): TestCerts {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca', 'Tributary test CA');
  const server = signedCert(dir, 'server', 'localhost', ca, 'serverAuth');
  const client = signedCert(dir, 'client', 'sender-1', ca, 'clientAuth');
  const other = makeCa(dir, 'other-ca', 'Some other CA');
  const otherClient = signedCert(dir, 'other-client', 'sender-2', other, 'clientAuth');
  return {
    dir,
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCa: other.cert,
    otherClientCert: otherClient.cert,
    otherClientKey: otherClient.key,
  };
}
