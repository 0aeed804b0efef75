/**
 * What a TLS server's alert says about this client's certificate, for the clients of Kafka and
 * ClickHouse: a server that takes clients by certificate (mutual TLS) refuses a missing or untrusted
 * one with an alert that OpenSSL reports as a long code. Read here once, worded by each caller.
 */

/** `required`: the server asked for a certificate this client did not send; `refused`: it did not accept the one sent; undefined: another error. */
export function clientCertificateAlert(err: { message?: string; code?: string }, sentCert: boolean): 'required' | 'refused' | undefined {
  const m = `${err.code ?? ''} ${err.message ?? ''}`;
  if (/certificate required|CERTIFICATE_REQUIRED/i.test(m)) return 'required';
  // A server may answer a missing certificate with "bad certificate" too (TLS 1.2, Java's).
  if (/alert (bad certificate|unknown ca|certificate unknown|certificate expired|certificate revoked|access denied)|ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|ACCESS_DENIED)/i.test(m)) return sentCert ? 'refused' : 'required';
  return undefined;
}

/** A server certificate this client does not trust or that is not for the host connected to, in Node's codes and OpenSSL's words (the Kafka clients' test; it runs after `clientCertificateAlert`, whose alerts also say "certificate"). */
export const SERVER_CERT_UNTRUSTED = /self[- ]signed|unable to (get|verify)|certificate|CERT_|ERR_TLS|altname|does not match certificate/i;
