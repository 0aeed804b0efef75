// CEF and LEEF (agents/transforms/parsers/cef.ts) through the auto parser, inside syslog (BSD, RFC 5424,
// rsyslog's precise stamp) and on their own. No device here writes either format, so the lines are
// written after the specifications' own examples and field lists (ArcSight's "Implementing ArcSight
// CEF", revision 25; IBM's LEEF 1.0 and 2.0 guides): a test double of a device, not its capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';

test('CEF inside syslog: the event name is the body, the header and the extension are attributes, the severity a level', () => {
  check('CEF', [
    ['Nov 28 11:40:00 fw01 CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed.', {
      time: '2026-11-28T11:40:00.000Z', host: 'fw01', body: 'worm successfully stopped', level: 'VERY-HIGH', number: 21,
      attributes: { 'cef.device_vendor': 'Security', 'cef.device_product': 'threatmanager', 'cef.device_version': '1.0', 'cef.signature_id': '100', 'cef.severity': '10', src: '10.0.0.1', dst: '2.1.2.2', spt: '1232', msg: 'Detected a threat. No action needed.', 'syslog.appname': undefined },
    }],
    ['<134>Nov 28 11:40:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|1|rt=Nov 28 2026 11:40:00 GMT deviceExternalId=0123 src=10.0.0.5 dst=8.8.8.8 act=allow', {
      body: 'TRAFFIC', level: 'LOW', number: 9, host: 'fw01', attributes: { 'syslog.facility': 'local0', act: 'allow', rt: 'Nov 28 2026 11:40:00 GMT', 'cef.signature_id': 'end' },
    }],
    ['2026-11-28T11:40:00.123456+00:00 host1 CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=hostname filePath=C:\\Users\\test\\eicar.exe', {
      time: '2026-11-28T11:40:00.123Z', body: 'Eicar_test_file', level: 'MEDIUM', number: 13, attributes: { cn1Label: 'Host ID', dvchost: 'hostname', filePath: 'C:\\Users\\test\\eicar.exe' },
    }],
    ['<13>1 2026-11-28T11:40:00.000Z fw02 CEF - - - CEF:0|Fortinet|FortiGate|7.0|0000000013|traffic:forward accept|3|src=10.1.1.1 dst=10.2.2.2 cs1Label=policy cs1=allow all', {
      time: '2026-11-28T11:40:00.000Z', body: 'traffic:forward accept', level: 'LOW', attributes: { src: '10.1.1.1', cs1: 'allow all', 'cef.device_vendor': 'Fortinet' },
    }],
  ]);
});

test('CEF on its own: escapes in the header and the extension, a value with blanks and = in it, and its time from rt', () => {
  check('CEF', [
    ['CEF:0|Vendor\\|Co|Product|1.0|42|Pipe \\| and backslash \\\\ in name|High|msg=a\\=b c\\\\d\\nnext rt=Nov 28 2026 11:40:00.250 +0100 request=https://x.test/a?b=c&d=e', {
      time: '2026-11-28T10:40:00.250Z', body: 'Pipe | and backslash \\ in name', level: 'HIGH', number: 17,
      attributes: { 'cef.device_vendor': 'Vendor|Co', msg: 'a=b c\\d\nnext', request: 'https://x.test/a?b=c&d=e' },
    }],
    ['CEF:0|Acme|IDS|2|7|port scan|Unknown|start=1795860000000 src=10.0.0.9', { time: '2026-11-28T10:00:00.000Z', body: 'port scan', attributes: { 'cef.severity': 'Unknown' } }],
  ]);
  assert.equal(parse('CEF:0|Acme|IDS|2|7|port scan|Unknown|src=10.0.0.9', ctx).severityText, undefined, 'an unknown severity sets no level');
});

test('LEEF 1.0 (tab-separated) and 2.0 (its delimiter in the header, as a character or its hex code), sev as the level', () => {
  check('LEEF', [
    ['LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tdevTime=1795860000000', {
      time: '2026-11-28T10:00:00.000Z', body: '15345', level: 'MEDIUM', attributes: { 'leef.vendor': 'Microsoft', 'leef.product_version': '4.0 SP1', src: '192.0.2.0', cat: 'anomaly' },
    }],
    ['LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.0^dst=172.50.123.1^sev=9^msg=the message', { body: '41', level: 'VERY-HIGH', attributes: { msg: 'the message', dst: '172.50.123.1' } }],
    ['Nov 28 11:40:00 qradar LEEF:2.0|Vendor|Product|1.0|login failed|x7C|usrName=bob|src=10.0.0.3', { host: 'qradar', body: 'login failed', attributes: { usrName: 'bob', src: '10.0.0.3' } }],
  ]);
});

test('an incomplete header is no CEF event: the line stays whole, as before', () => {
  for (const line of ['CEF:0|only|three', 'CEF:x|a|b|c|d|e|f|g', 'LEEF:1.0|a|b', 'Nov 28 11:40:00 fw01 CEF:0|a|b']) {
    const r = parse(line, ctx);
    assert.equal(r.attributes['cef.version'] ?? r.attributes['leef.version'], undefined, line);
  }
  const r = parse('Nov 28 11:40:00 fw01 CEF:0|a|b', ctx);
  assert.equal(r.attributes['syslog.appname'], 'CEF', 'the syslog reading stays as it was');
});
