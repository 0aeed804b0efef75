// Network devices' messages in Cisco's convention (agents/transforms/parsers/cisco.ts) through the auto
// parser and the syslog parser. No router, switch or firewall runs here, so the lines are written after
// the vendors' own documentation of their message format (Cisco's "System Message Format" for IOS, IOS XE
// and XR, the ASA and NX-OS system message guides; Arista EOS's logging examples) with the `logging`
// settings that change what precedes the mnemonic: a test double of a device, not its capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';
import { buildParser } from '../../../../agents/transforms/parsers/index.ts';

test('a device message straight from the device: PRI or none, a sequence number, its clock, a name; the mnemonic gives the level', () => {
  check('cisco', [
    // ASA's defaults: no stamp, no name.
    ['<166>%ASA-6-302013: Built outbound TCP connection 123 for outside:1.2.3.4/443 (1.2.3.4/443) to inside:10.0.0.2/5555 (10.0.0.2/5555)', {
      time: null, level: 'INFO', number: 9, body: 'Built outbound TCP connection 123 for outside:1.2.3.4/443 (1.2.3.4/443) to inside:10.0.0.2/5555 (10.0.0.2/5555)',
      attributes: { 'cisco.facility': 'ASA', 'cisco.mnemonic': '302013', 'syslog.appname': undefined, 'syslog.facility': 'local4' }, service: undefined,
    }],
    // ASA's `logging timestamp` (a year in it) and `logging device-id hostname`.
    ['<164>Nov 28 2026 11:40:00 fw01 : %ASA-4-106023: Deny tcp src outside:198.51.100.7/5151 dst inside:10.0.0.2/22 by access-group "outside_in" [0x0, 0x0]', {
      time: '2026-11-28T11:40:00.000Z', level: 'WARNING', number: 13, host: 'fw01', body: 'Deny tcp src outside:198.51.100.7/5151 dst inside:10.0.0.2/22 by access-group "outside_in" [0x0, 0x0]',
      attributes: { 'cisco.facility': 'ASA', 'cisco.mnemonic': '106023' },
    }],
    // IOS: a sequence number, then its clock; `*` when the clock was never set (it starts at Mar 1 1993): the time of reading, the stamp kept.
    ['<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0 (10.1.1.1)', {
      time: null, level: 'NOTICE', body: 'Configured from console by vty0 (10.1.1.1)',
      attributes: { 'cisco.sequence': '123', 'cisco.device_time': 'Mar  1 18:46:11.123', 'cisco.facility': 'SYS', 'cisco.mnemonic': 'CONFIG_I' },
    }],
    // IOS with `service timestamps log datetime msec show-timezone` and `logging origin-id hostname`; a zone other than UTC leaves the source's.
    ['<189>45: router1: Nov 28 11:40:00.250 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.1.1.1] [localport: 22] at 11:40:00 UTC Sat Nov 28 2026', {
      time: '2026-11-28T11:40:00.250Z', level: 'NOTICE', host: 'router1', body: 'Login Success [user: admin] [Source: 10.1.1.1] [localport: 22] at 11:40:00 UTC Sat Nov 28 2026',
      attributes: { 'cisco.sequence': '45', 'cisco.facility': 'SEC_LOGIN', 'cisco.mnemonic': 'LOGIN_SUCCESS' },
    }],
    // NX-OS: a stray colon, its year first.
    ['<189>: 2026 Nov 28 11:40:00 UTC: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up in mode access', {
      time: '2026-11-28T11:40:00.000Z', level: 'NOTICE', body: 'Interface Ethernet1/1 is up in mode access', attributes: { 'cisco.facility': 'ETHPORT', 'cisco.mnemonic': 'IF_UP' },
    }],
    // IOS XR: the node and the process before the mnemonic, a blank before its colon; sub-facilities in the facility.
    ['<187>1234: RP/0/RSP0/CPU0:Nov 28 11:40:00.123 UTC: ifmgr[254]: %PKT_INFRA-LINK-3-UPDOWN : Interface GigabitEthernet0/0/0/0, changed state to Down', {
      time: '2026-11-28T11:40:00.123Z', level: 'ERR', number: 17, body: 'Interface GigabitEthernet0/0/0/0, changed state to Down',
      attributes: { 'cisco.node': 'RP/0/RSP0/CPU0', 'cisco.process': 'ifmgr[254]', 'cisco.facility': 'PKT_INFRA-LINK', 'cisco.mnemonic': 'UPDOWN' },
    }],
    // Without PRI (a relay that strips it): the level from the mnemonic alone.
    ['%ASA-2-106001: Inbound TCP connection denied from 198.51.100.7/5151 to 10.0.0.2/22 flags SYN on interface outside', {
      level: 'CRIT', number: 21, body: 'Inbound TCP connection denied from 198.51.100.7/5151 to 10.0.0.2/22 flags SYN on interface outside', attributes: { 'cisco.facility': 'ASA', 'cisco.mnemonic': '106001' },
    }],
  ]);
});

test('a device message in a relay\'s file (rsyslog, no PRI): the mnemonic or sequence number is no tag, the device\'s clock is the time', () => {
  check('cisco relayed', [
    ['Nov 28 11:40:00 fw01 %ASA-6-302014: Teardown TCP connection 123 for outside:1.2.3.4/443 to inside:10.0.0.2/5555 duration 0:00:30 bytes 6000 TCP FINs', {
      time: '2026-11-28T11:40:00.000Z', host: 'fw01', level: 'INFO', body: 'Teardown TCP connection 123 for outside:1.2.3.4/443 to inside:10.0.0.2/5555 duration 0:00:30 bytes 6000 TCP FINs',
      attributes: { 'cisco.facility': 'ASA', 'cisco.mnemonic': '302014', 'syslog.appname': undefined }, service: undefined,
    }],
    ['Nov 28 11:40:01 10.0.0.1 123: Nov 28 11:40:00.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down', {
      time: '2026-11-28T11:40:00.123Z', host: '10.0.0.1', level: 'ERR', body: 'Interface GigabitEthernet0/1, changed state to down',
      attributes: { 'cisco.sequence': '123', 'cisco.facility': 'LINK', 'cisco.mnemonic': 'UPDOWN', 'syslog.appname': undefined },
    }],
    // A device the relay knows by its IPv6 address: the address is the host, its colons no header's.
    ['Nov 28 11:40:01 2001:db8::1 123: Nov 28 11:40:00.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down', {
      time: '2026-11-28T11:40:00.123Z', host: '2001:db8::1', level: 'ERR', body: 'Interface GigabitEthernet0/1, changed state to down',
      attributes: { 'cisco.sequence': '123', 'cisco.mnemonic': 'UPDOWN' },
    }],
    ['Nov 28 11:40:01 fe80::a00:27ff:fe4e:66a1 fw01 : %ASA-6-302013: Built outbound TCP connection 9', {
      host: 'fe80::a00:27ff:fe4e:66a1', level: 'INFO', body: 'Built outbound TCP connection 9', attributes: { 'cisco.device_id': 'fw01', 'cisco.mnemonic': '302013' },
    }],
    // The device's clock never set: the relay's stamp is the time.
    ['Nov 28 11:40:01 sw1 7: *Mar  1 00:01:02: %LINEPROTO-5-UPDOWN: Line protocol on Interface Vlan1, changed state to up', {
      time: '2026-11-28T11:40:01.000Z', host: 'sw1', level: 'NOTICE', body: 'Line protocol on Interface Vlan1, changed state to up',
      attributes: { 'cisco.sequence': '7', 'cisco.device_time': 'Mar  1 00:01:02', 'cisco.mnemonic': 'UPDOWN' },
    }],
    ['Nov 28 11:40:01 fw01 : %ASA-4-106023: Deny udp src outside:198.51.100.7/53 dst inside:10.0.0.2/53 by access-group "outside_in" [0x0, 0x0]', {
      time: '2026-11-28T11:40:01.000Z', host: 'fw01', level: 'WARNING', attributes: { 'cisco.mnemonic': '106023' }, body: 'Deny udp src outside:198.51.100.7/53 dst inside:10.0.0.2/53 by access-group "outside_in" [0x0, 0x0]',
    }],
    // A relay's host, then the ASA's own device-id.
    ['Nov 28 11:40:01 10.0.0.1 fw01 : %ASA-6-302013: Built outbound TCP connection 9', {
      host: '10.0.0.1', level: 'INFO', body: 'Built outbound TCP connection 9', attributes: { 'cisco.device_id': 'fw01', 'cisco.mnemonic': '302013' },
    }],
    // Arista EOS: a real agent name as the tag, the mnemonic at the start of its message.
    ['Nov 28 11:40:00 leaf1 Ebra: %LINEPROTO-5-UPDOWN: Line protocol on Interface Ethernet1, changed state to up', {
      host: 'leaf1', level: 'NOTICE', body: 'Line protocol on Interface Ethernet1, changed state to up', attributes: { 'syslog.appname': 'Ebra', 'cisco.facility': 'LINEPROTO', 'cisco.mnemonic': 'UPDOWN' },
    }],
    ['2026-11-28T11:40:00.123456+00:00 fw02 %FTD-1-430003: Protocol: TCP, SrcIP: 10.0.0.2, DstIP: 198.51.100.7, AccessControlRuleAction: Block', {
      time: '2026-11-28T11:40:00.123Z', host: 'fw02', level: 'ALERT', attributes: { 'cisco.facility': 'FTD', 'cisco.mnemonic': '430003' }, body: 'Protocol: TCP, SrcIP: 10.0.0.2, DstIP: 198.51.100.7, AccessControlRuleAction: Block',
    }],
    // RFC 5424 (IOS XE's `logging host ... transport ... format rfc5424`): PRI's level stays, the mnemonic leaves the body.
    ['<187>1 2026-11-28T11:40:00.123Z rtr1 - - - - %LINK-3-UPDOWN: Interface Gi0/1, changed state to down', {
      time: '2026-11-28T11:40:00.123Z', level: 'ERR', host: 'rtr1', body: 'Interface Gi0/1, changed state to down', attributes: { 'cisco.facility': 'LINK', 'cisco.mnemonic': 'UPDOWN' },
    }],
  ]);
});

test('lines that only look like device messages are left as they were', () => {
  // A percent in an ordinary program's message, a tag that is a number with no mnemonic after it.
  const usage = parse('Nov 28 11:40:00 host app[123]: disk usage 95% - high', ctx);
  assert.equal(usage.body, 'disk usage 95% - high');
  assert.equal(usage.attributes['cisco.facility'], undefined);
  const cron = parse('Nov 28 11:40:00 host cron[123]: (root) CMD (run %ABC-3-DEF: x)', ctx);
  assert.equal(cron.body, '(root) CMD (run %ABC-3-DEF: x)');
  assert.equal(cron.attributes['syslog.appname'], 'cron');
  const number = parse('Nov 28 11:40:00 host 42: not a device message', ctx);
  assert.equal(number.attributes['syslog.appname'], '42');
  assert.equal(number.body, 'not a device message');
  // Severity digits beyond syslog's 0-7 are no mnemonic.
  assert.equal(parse('<166>%ASA-9-302013: x', ctx).attributes['cisco.facility'], undefined);
});

test('with the syslog parser naming services after the tag (as a syslog intake does), a mnemonic names none', () => {
  const syslog = buildParser({ type: 'syslog', app_as_service: true });
  const asa = syslog('Nov 28 11:40:00 fw01 %ASA-6-302013: Built outbound TCP connection 1', ctx);
  assert.equal(asa.service, undefined);
  assert.equal(asa.attributes['syslog.appname'], undefined);
  assert.equal(asa.attributes['cisco.mnemonic'], '302013');
  assert.equal(asa.severityText, 'INFO');
  const ios = syslog('<189>Nov 28 11:40:00 rtr1 123: Nov 28 11:40:00.250: %SYS-5-CONFIG_I: Configured from console', ctx);
  assert.equal(ios.service, undefined);
  assert.equal(ios.body, 'Configured from console');
  // A real program keeps its name as the service.
  assert.equal(syslog('Nov 28 11:40:00 leaf1 Ebra: %LINEPROTO-5-UPDOWN: up', ctx).service, 'Ebra');
  // Lines no syslog shape reads, read as device messages by the syslog parser too (not only by auto).
  assert.equal(syslog('<166>%ASA-6-302013: Built', ctx).attributes['cisco.mnemonic'], '302013');
});

test('hostile lines (thousands of facility segments, sequence numbers, percent signs) are read in bounded time and never throw', () => {
  const syslog = buildParser({ type: 'syslog' });
  const lines = [
    '%A' + '-A'.repeat(20_000) + ' x',
    'Nov 28 11:40:00 fw01 : %A' + '-AB'.repeat(20_000),
    '<189>' + '1: '.repeat(20_000) + '%SYS-5-X: y',
    '<189>' + '%'.repeat(50_000),
    'Nov 28 11:40:00 sw1 123: ' + '*Mar  1 00:01:02: '.repeat(5_000) + '%LINK-3-UPDOWN: x',
  ];
  const t0 = process.hrtime.bigint();
  for (const line of lines) {
    assert.equal(typeof parse(line, ctx).body, 'string');
    assert.equal(typeof syslog(line, ctx).body, 'string');
  }
  // Generous: a backtracking pattern takes minutes on these, a bounded one milliseconds.
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000);
});
