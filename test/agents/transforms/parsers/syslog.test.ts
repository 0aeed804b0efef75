import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSyslogParser, mayBeBsdAfterIso } from '../../../../agents/transforms/parsers/syslog.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };
const parse = createSyslogParser();

test('RFC 5424 with structured data', () => {
  const r = parse('<165>1 2026-11-24T10:00:00.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App \\"x\\""][ex@1 a="]\\]"] \uFEFFAn application event', ctx);
  assert.deepEqual(r, {
    body: 'An application event', time: Date.UTC(2026, 10, 24, 10, 0, 0, 3), severityText: 'NOTICE', severityNumber: 10,
    host: 'mymachine.example.com', service: 'evntslog',
    attributes: {
      'syslog.facility': 'local4', 'syslog.appname': 'evntslog', 'syslog.msgid': 'ID47',
      'exampleSDID@32473.iut': '3', 'exampleSDID@32473.eventSource': 'App "x"', 'ex@1.a': ']]',
    },
  });
});

test('RFC 5424 with nil values and no message', () => {
  const r = parse('<34>1 - - - - - -', ctx)!;
  assert.equal(r.body, '');
  assert.equal(r.severityText, 'CRIT');
  assert.equal(r.time, undefined);
  assert.equal(r.host, undefined);
});

test('RFC 3164 forms', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['<34>Nov 24 10:00:00 mymachine su[123]: \'su root\' failed', { body: '\'su root\' failed', severityNumber: 21, host: 'mymachine', service: 'su', time: Date.UTC(2026, 10, 24, 10) }],
    ['Nov  4 09:00:00 web-1 sshd[4242]: Accepted publickey', { body: 'Accepted publickey', severityNumber: undefined, host: 'web-1', service: 'sshd', time: Date.UTC(2026, 10, 4, 9) }],
    // One space before a one-digit day, as some writers (Thunderbird's nodes, BusyBox) put it.
    ['Nov 4 09:00:00 web-1 sshd[4242]: Accepted publickey', { body: 'Accepted publickey', host: 'web-1', service: 'sshd', time: Date.UTC(2026, 10, 4, 9) }],
    ['<13>Nov 24 10:00:00 myprog: no host here', { host: undefined, service: 'myprog', body: 'no host here' }],
    ['2026-11-24T10:00:00.123456+01:00 web-1 kernel: [  1.0] booted', { host: 'web-1', service: 'kernel', time: Date.UTC(2026, 10, 24, 9, 0, 0, 123) + 0.456 }],
  ];
  for (const [line, want] of cases) {
    const r = parse(line, ctx);
    assert.ok(r, line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
  }
  assert.equal(parse('<13>Nov 24 10:00:00 h p[1]: x', ctx)!.attributes['syslog.procid'], '1');
});

test('macOS: a tag\'s parenthesised qualifier before the colon is an attribute, not the message', () => {
  // Lines of Loghub's Mac sample (logpai/loghub, Mac/Mac_2k.log) and a launchd line of the same shape.
  const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
    [
      'Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny network-outbound /private/var/run/mDNSResponder',
      { host: 'calvisitor-10-105-160-95', service: 'sandboxd', body: 'com.apple.Addres(31211) deny network-outbound /private/var/run/mDNSResponder' },
      { 'syslog.procid': '129', 'syslog.context': '[31211]' },
    ],
    [
      'Jul  2 16:55:53 calvisitor-10-105-163-202 com.apple.xpc.launchd[1] (com.apple.xpc.launchd.domain.pid.WebContent.32502): Path not allowed in target domain',
      { host: 'calvisitor-10-105-163-202', service: 'com.apple.xpc.launchd', body: 'Path not allowed in target domain' },
      { 'syslog.procid': '1', 'syslog.context': 'com.apple.xpc.launchd.domain.pid.WebContent.32502' },
    ],
    // Two blanks after the colon (Mac's secd): the message starts at its first character.
    ['Jul  1 09:00:55 calvisitor-10-105-160-95 secd[276]:  SOSAccountThisDeviceCanSyncWithCircle sync with device failure', { body: 'SOSAccountThisDeviceCanSyncWithCircle sync with device failure' }, { 'syslog.procid': '276' }],
    // The same qualifier under an ISO stamp (rsyslog's precise format on a Mac relay).
    ['2017-07-01T09:29:02+00:00 mac-1 sandboxd[129] ([31211]): deny network-outbound', { host: 'mac-1', service: 'sandboxd', body: 'deny network-outbound' }, { 'syslog.context': '[31211]' }],
  ];
  for (const [line, want, attrs] of cases) {
    const r = parse(line, ctx);
    assert.ok(r, line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
    for (const [k, v] of Object.entries(attrs)) assert.equal(r.attributes[k], v, `${line}: ${k}`);
  }
  // A parenthesis with a blank inside is message text: no qualifier, and with looseTag off no match at all.
  const strict = createSyslogParser({ looseTag: false });
  assert.equal(strict('Jul  1 09:29:02 host app[1] (two words): x', ctx), null);
});

test('a year-less stamp takes the year of the program\'s own full stamp that starts the message, when date and clock agree', () => {
  // Loghub's Mac sample (ksfetch under launchd's syslog stamp), read in 2026.
  const mac = parse('Jul  4 09:42:58 calvisitor-10-105-160-95 ksfetch[34604]: 2017-07-04 09:42:58.121 ksfetch[34604:3c8e1] KSHTTPFetcher start fetch', ctx)!;
  assert.equal(mac.time, Date.UTC(2017, 6, 4, 9, 42, 58));
  assert.equal(mac.body, '2017-07-04 09:42:58.121 ksfetch[34604:3c8e1] KSHTTPFetcher start fetch');
  // A year's last second and a leap day: the body's year, whatever the time of reading.
  assert.equal(parse('Dec 31 23:59:58 h app[1]: 2016-12-31 23:59:58,001 INFO year end', ctx)!.time, Date.UTC(2016, 11, 31, 23, 59, 58));
  assert.equal(parse('Feb 29 10:00:00 h app[1]: 2016-02-29T10:00:00Z leap', ctx)!.time, Date.UTC(2016, 1, 29, 10));
  // Another day or another clock in the message is not this line's stamp: the year comes from the time of reading.
  assert.equal(parse('Jul  4 09:42:58 h app[1]: 2017-07-05 09:42:58 other day', ctx)!.time, Date.UTC(2026, 6, 4, 9, 42, 58));
  assert.equal(parse('Jul  4 09:42:58 h app[1]: 2017-07-04 10:42:58 other hour', ctx)!.time, Date.UTC(2026, 6, 4, 9, 42, 58));
});

test('lines that are not syslog: null', () => {
  for (const line of [
    '', 'hello', '<999>1 2026-11-24T10:00:00Z h a - - - x', '<34>1 notatime h a - - - x', '<34>1 - h a - - [broken',
    '2026-11-24T10:00:00Z ERROR main: app line', 'Nov 24 garbage',
  ]) assert.equal(parse(line, ctx), null, line);
});

test('modes and options', () => {
  const only5424 = createSyslogParser({ mode: 'rfc5424' });
  assert.equal(only5424('<34>Nov 24 10:00:00 h p: x', ctx), null);
  const only3164 = createSyslogParser({ mode: 'rfc3164', appAsService: false });
  assert.equal(only3164('<34>1 - - - - - -', ctx), null);
  assert.equal(only3164('<34>Nov 24 10:00:00 h p: x', ctx)!.service, undefined);
});

test('mayBeBsdAfterIso: false only for lines the BSD pattern cannot match', () => {
  const p = createSyslogParser({ mode: 'rfc3164' });
  const syslogLines = [
    '2026-11-24T10:00:00.123+01:00 web-1 kernel: msg',
    '2026-11-24T10:00:00Z web-1 kernel:msg without a space',
    '2026-11-24T10:00:00Z web-1 su[230]: msg',
    '2026-11-24T10:00:00Z web-1 app[1:2]: msg',
    '2026-11-24T10:00:00Z web-1 app[1:2]:',
    '2026-11-24T10:00:00Z web-1 sandboxd[129] ([31211]): deny',
    '2026-11-24T10:00:00Z web-1 Microsoft Word[14463]: Cocoa scripting error',
    '2026-11-24T10:00:00Z web-1 Google Chrome Helper[812]: msg',
  ];
  for (const line of syslogLines) {
    assert.notEqual(p(line, ctx), null, line);
    assert.equal(mayBeBsdAfterIso(line), true, line);
  }
  const appLines = [
    '2026-11-24T10:00:00.000Z INFO [worker-1] com.acme.Svc - order 1 done at 10:00',
    '2026-11-24T10:00:00Z INFO main - no colon at all',
    '2026-11-24T10:00:00Z',
    '2026-11-24T10:00:00Z one two three: late colon',
    '2026-11-24T10:00:00Z one two (three) four: late colon',
    '2026-11-24T10:00:00Z one two three four five six[12]: too many words for a name',
  ];
  for (const line of appLines) {
    assert.equal(p(line, ctx), null, line);
    assert.equal(mayBeBsdAfterIso(line), false, line);
  }
  // Not starting with a digit: no claim, the pattern decides.
  assert.equal(mayBeBsdAfterIso('Nov 24 10:00:00 host app: msg'), true);
  assert.equal(mayBeBsdAfterIso('<34>2026-11-24T10:00:00Z host app: msg'), true);
});

test('a BSD tag without ":" ends where a name cannot go (RFC 3164), unless loose_tag is off', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['Jun 19 04:09:11 combo syslogd 1.4.1: restart.', { host: 'combo', service: 'syslogd', body: '1.4.1: restart.', time: Date.UTC(2026, 5, 19, 4, 9, 11) }],
    ['<30>Jun 19 04:09:11 combo ntpd[512] synchronized', { host: 'combo', service: 'ntpd', body: 'synchronized', severityNumber: 9 }],
    ['Jun 19 04:09:11 combo  -- root[2421]: ROOT LOGIN ON tty2', { host: 'combo', service: undefined, body: '-- root[2421]: ROOT LOGIN ON tty2' }],
    ['Jun 19 04:09:11 combo kernel', { host: 'combo', service: 'kernel', body: '' }],
  ];
  for (const [line, want] of cases) {
    const r = parse(line, ctx);
    assert.ok(r, line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
  }
  assert.equal(parse('<30>Jun 19 04:09:11 combo ntpd[512] synchronized', ctx)!.attributes['syslog.procid'], '512');
  const strict = createSyslogParser({ looseTag: false });
  for (const [line] of cases) assert.equal(strict(line, ctx), null, line);
  // Still not syslog: no host after the stamp, an ISO stamp before an application's words, a bad PRI.
  for (const line of ['Jun 19 04:09:11', 'Jun 19 04:09:11 ', '2026-11-24T10:00:00Z ERROR main x', '<999>Jun 19 04:09:11 h p x']) {
    assert.equal(parse(line, ctx), null, line);
  }
});

test('Loghub Linux (2,000 real lines): every line parses, with the host and time its header holds', () => {
  const lines = readFileSync(new URL('../../../fixtures/loghub-2k/Linux/Linux_2k.log', import.meta.url), 'utf8')
    .split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
  assert.equal(lines.length, 2000);
  const failed = lines.filter((l) => {
    const r = parse(l, ctx);
    return r === null || r.host !== 'combo' || r.time === undefined || new Date(r.time).getUTCSeconds() !== Number(l.slice(13, 15));
  });
  assert.deepEqual(failed, []);
  // The auto chain keeps the strict reading: those 8 lines stay plain text with a leading time there.
  const strict = createSyslogParser({ appAsService: false, looseTag: false });
  assert.equal(lines.filter((l) => strict(l, ctx) === null).length, 8);
});

test("macOS applications' names with blanks before their `[pid]:` (Loghub's Mac sample); up to four words, only before a numeric pid", () => {
  const p = createSyslogParser({ mode: 'rfc3164' });
  const word = p("Jul  1 09:04:37 calvisitor-10-105-160-95 Microsoft Word[14463]: Cocoa scripting error for '0x00000002': four character codes must be four characters long.", ctx)!;
  assert.deepEqual([word.host, word.attributes['syslog.appname'], word.attributes['syslog.procid'], word.body], ['calvisitor-10-105-160-95', 'Microsoft Word', '14463', "Cocoa scripting error for '0x00000002': four character codes must be four characters long."]);
  const bezel = p('Jul  2 04:24:01 calvisitor-10-105-160-95 BezelServices 255.10[94]: ASSERTION FAILED: dvcAddrRef != ((void *)0)', ctx)!;
  assert.deepEqual([bezel.attributes['syslog.appname'], bezel.attributes['syslog.procid'], bezel.body], ['BezelServices 255.10', '94', 'ASSERTION FAILED: dvcAddrRef != ((void *)0)']);
  // Without a numeric pid, words before a colon are the message, read by RFC 3164's loose tag.
  const loose = p('Jul  1 09:04:37 host some words here: a message', ctx)!;
  assert.equal(loose.attributes['syslog.appname'], 'some');
});

test('host, tag and pid after an ISO stamp with a blank (ProFTPD, syslog-ng templates); never without the pid', async () => {
  const { hostTagPid } = await import('../../../../agents/transforms/parsers/syslog.ts');
  const line = '2026-12-06 09:38:40,449 vm proftpd[19441] 127.0.0.1 (client.example[10.0.0.5]): USER bob: no such user found';
  const r = hostTagPid(line, 24, 1)!;
  assert.deepEqual([r.host, r.attributes['syslog.appname'], r.attributes['syslog.procid'], r.attributes['server.address'], r.attributes['client.address'], r.body],
    ['vm', 'proftpd', '19441', '127.0.0.1', '10.0.0.5', 'USER bob: no such user found']);
  const plain = hostTagPid('2026-12-06 09:38:40 web-1 sshd[12]: Accepted password for bob', 20, 1)!;
  assert.deepEqual([plain.host, plain.attributes['syslog.appname'], plain.body], ['web-1', 'sshd', 'Accepted password for bob']);
  // Application layouts: a level where the host would be, a thread in brackets, no pid.
  assert.equal(hostTagPid('2026-12-06 09:38:40,123 INFO main[1]: x', 24, 1), null);
  assert.equal(hostTagPid('2026-12-06 09:38:40,123 web-1 [main] c.a.App: x', 24, 1), null);
  assert.equal(hostTagPid('2026-12-06 09:38:40,123 web-1 app: no pid', 24, 1), null);
});


test("a relay's host as an IPv6 address: the host when a tag follows it; never a tag made of its first group", () => {
  const r = parse('Nov 24 10:00:00 2001:db8::5 sshd[123]: Accepted publickey for alice', ctx)!;
  assert.deepEqual([r.host, r.attributes['syslog.appname'], r.body], ['2001:db8::5', 'sshd', 'Accepted publickey for alice']);
  const p = parse('<14>Nov 24 10:00:00 fe80::1 kernel: eth0 up', ctx)!;
  assert.deepEqual([p.host, p.attributes['syslog.appname'], p.body], ['fe80::1', 'kernel', 'eth0 up']);
  // No tag after the address (a Cisco device's ` : %ASA-...`): not read as tag `fe80` (cisco.ts reads such lines).
  assert.notEqual(parse('Nov 24 10:00:00 fe80::a00:27ff:fe4e:66a1 fw01 : %ASA-6-302013: Built', ctx)?.attributes['syslog.appname'], 'fe80');
  // A tag of hex letters that is no address stays a tag.
  assert.equal(parse('Nov 24 10:00:00 host1 beef: moo', ctx)!.attributes['syslog.appname'], 'beef');
  assert.equal(parse('Nov 24 10:00:00 cafe: no host', ctx)!.attributes['syslog.appname'], 'cafe');
});
