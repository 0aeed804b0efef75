/**
 * SASL mechanisms over Kafka's SaslAuthenticate exchange: PLAIN and SCRAM-SHA-256/512 (RFC 5802,
 * RFC 7677). Each is a small state machine: `first()` gives the first client message, `next(server)`
 * the following one (or null when the exchange is over). SCRAM verifies the server's signature, so a
 * broker that does not know the password cannot pose as one that does.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type SaslMechanismName = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

export interface SaslExchange {
  /** Kafka's name of the mechanism (SaslHandshake). */
  readonly name: string;
  first(): Buffer;
  /** The next client message, or null when the server's last message ended the exchange. */
  next(server: Buffer): Buffer | null;
}

/** `nonce` is for tests (RFC 7677's example); a random one is used otherwise. */
export function saslExchange(c: SaslCredentials, nonce?: string): SaslExchange {
  if (c.mechanism === 'plain') {
    return {
      name: 'PLAIN',
      first: () => Buffer.from(`\0${c.username}\0${c.password}`),
      next: () => null,
    };
  }
  return new Scram(c.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512', c.username, c.password, nonce);
}

const escapeName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

class Scram implements SaslExchange {
  readonly name: string;
  private readonly nonce: string;
  private clientFirstBare = '';
  private serverSignature?: Buffer;
  private done = false;

  constructor(
    private readonly hash: 'sha256' | 'sha512',
    private readonly username: string,
    private readonly password: string,
    nonce?: string,
  ) {
    this.nonce = nonce ?? randomBytes(24).toString('base64').replace(/[=,]/g, '');
    this.name = hash === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  }

  first(): Buffer {
    this.clientFirstBare = `n=${escapeName(this.username)},r=${this.nonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  next(server: Buffer): Buffer | null {
    const text = server.toString('utf8');
    const attrs = new Map<string, string>();
    for (const part of text.split(',')) attrs.set(part[0]!, part.slice(2));
    if (attrs.has('e')) throw new Error(`the broker refused the SCRAM exchange: ${attrs.get('e')}`);
    if (this.serverSignature) {
      const v = Buffer.from(attrs.get('v') ?? '', 'base64');
      if (v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) throw new Error('the broker\'s SCRAM signature does not match: it does not know this password');
      this.done = true;
      return null;
    }
    if (this.done) return null;
    const r = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!r.startsWith(this.nonce) || salt.length === 0 || !(iterations >= 1)) throw new Error('malformed SCRAM server-first message');
    const size = this.hash === 'sha256' ? 32 : 64;
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), salt, iterations, size, this.hash);
    const hmac = (key: Buffer, data: string) => createHmac(this.hash, key).update(data).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(size);
    for (let i = 0; i < size; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }
}
