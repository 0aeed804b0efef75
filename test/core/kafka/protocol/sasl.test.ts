import { test } from 'node:test';
import assert from 'node:assert/strict';
import { saslExchange } from '../../../../core/kafka/protocol/sasl.ts';

test('SCRAM-SHA-256 gives RFC 7677\'s example proof and checks the server signature', () => {
  const ex = saslExchange({ mechanism: 'scram-sha-256', username: 'user', password: 'pencil' }, 'rOprNGfwEbeRWgbNEkqO');
  assert.equal(ex.name, 'SCRAM-SHA-256');
  assert.equal(ex.first().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const final = ex.next(Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'));
  assert.equal(final!.toString(), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  assert.equal(ex.next(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), null);
});

test('a server signature that does not match, or a server error, is refused without the password in the message', () => {
  const ex = saslExchange({ mechanism: 'scram-sha-512', username: 'agent', password: 's3cret-pw' }, 'abc');
  ex.first();
  ex.next(Buffer.from('r=abcdef,s=c2FsdA==,i=4096'));
  assert.throws(() => ex.next(Buffer.from('v=AAAA')), (err: Error) => /signature does not match/.test(err.message) && !err.message.includes('s3cret-pw'));
  const ex2 = saslExchange({ mechanism: 'scram-sha-512', username: 'agent', password: 's3cret-pw' }, 'abc');
  ex2.first();
  assert.throws(() => ex2.next(Buffer.from('e=invalid-proof')), /refused the SCRAM exchange: invalid-proof/);
  assert.throws(() => ex2.next(Buffer.from('r=zzz,s=c2FsdA==,i=1')), /malformed SCRAM/);
  const plain = saslExchange({ mechanism: 'plain', username: 'u', password: 'p' });
  assert.deepEqual(plain.first(), Buffer.from('\0u\0p'));
});
