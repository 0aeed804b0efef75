// What a server's TLS alert says of this client's certificate (core/tls-alerts.ts), on the messages
// Node's OpenSSL gives for the alerts Kafka (Java) and ClickHouse (OpenSSL) were seen sending in
// test/core/kafka/secure.test.ts and test/core/storage/server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCertificateAlert } from '../../core/tls-alerts.ts';

test('a certificate asked for and not sent, one refused, and errors that are neither', () => {
  const required = { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:SSL alert number 116' };
  const unknownCa = { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: 'error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:SSL alert number 48' };
  const bad = { message: 'Connection error: error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:SSL alert number 42' };
  assert.equal(clientCertificateAlert(required, false), 'required');
  assert.equal(clientCertificateAlert(required, true), 'required');
  assert.equal(clientCertificateAlert(unknownCa, true), 'refused');
  assert.equal(clientCertificateAlert(bad, true), 'refused');
  // Java answers a missing certificate with "bad certificate" under TLS 1.2: it was asked for, not refused.
  assert.equal(clientCertificateAlert(bad, false), 'required');
  assert.equal(clientCertificateAlert({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9093' }, true), undefined);
  assert.equal(clientCertificateAlert({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' }, false), undefined, "the server's certificate not trusted is another matter");
});
