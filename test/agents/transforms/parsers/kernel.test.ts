// The kernel's ring buffer (agents/transforms/parsers/kernel.ts): dmesg's output as it prints it
// (`dmesg`, `dmesg -r`), kern.log lines with the uptime in the message and journalctl's text outputs that
// look like them, through the auto parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';

test('dmesg lines: the seconds since boot leave the body for kernel.uptime, the level from dmesg -r\'s PRI, no time of day', () => {
  check('kernel', [
    ['[    0.000000] Linux version 6.1.0-18-amd64 (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC', { time: null, body: 'Linux version 6.1.0-18-amd64 (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC', attributes: { 'kernel.uptime': '0.000000' } }],
    ['[12345.678901] usb 1-1: new high-speed USB device number 2 using xhci_hcd', { time: null, body: 'usb 1-1: new high-speed USB device number 2 using xhci_hcd', attributes: { 'kernel.uptime': '12345.678901' } }],
    ['<3>[  123.456789] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0', { time: null, level: 'ERR', number: 17, body: 'EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0', attributes: { 'kernel.uptime': '123.456789', 'syslog.facility': 'kern' } }],
    ['Nov 28 11:40:00 web-1 kernel: [987654.321000] Out of memory: Killed process 4242 (java)', { time: '2026-11-28T11:40:00.000Z', host: 'web-1', body: 'Out of memory: Killed process 4242 (java)', attributes: { 'syslog.appname': 'kernel', 'kernel.uptime': '987654.321000' } }],
    ['<4>1 2026-11-28T11:40:00.123Z web-1 kernel - - - [  42.000001] ACPI Warning: SystemIO range conflicts', { time: '2026-11-28T11:40:00.123Z', level: 'WARNING', body: 'ACPI Warning: SystemIO range conflicts', attributes: { 'kernel.uptime': '42.000001' } }],
    // journalctl -o short-monotonic: the same bracket, then host, tag and pid; -o short-unix: an epoch stamp.
    ['[   12.345678] web-1 sshd[812]: Server listening on 0.0.0.0 port 22.', { time: null, host: 'web-1', body: 'Server listening on 0.0.0.0 port 22.', attributes: { 'kernel.uptime': '12.345678', 'syslog.appname': 'sshd', 'syslog.procid': '812' } }],
    ['1795866000.123456 web-1 sshd[812]: Server listening on 0.0.0.0 port 22.', { time: '2026-11-28T11:40:00.123Z', host: 'web-1', body: 'Server listening on 0.0.0.0 port 22.', attributes: { 'syslog.appname': 'sshd', 'syslog.procid': '812' } }],
    // journalctl -o short-full: a weekday before the ISO stamp, its zone, then host and tag (with or without a pid).
    ['Sat 2026-11-28 11:40:00.123456 UTC web-1 sshd[812]: Server listening on 0.0.0.0 port 22.', { time: '2026-11-28T11:40:00.123Z', host: 'web-1', body: 'Server listening on 0.0.0.0 port 22.', attributes: { 'syslog.appname': 'sshd', 'syslog.procid': '812' } }],
    ['Sat 2026-11-28 11:40:00 UTC web-1 kernel: usb 1-1: new high-speed USB device number 2 using xhci_hcd', { time: '2026-11-28T11:40:00.000Z', host: 'web-1', body: 'usb 1-1: new high-speed USB device number 2 using xhci_hcd', attributes: { 'syslog.appname': 'kernel' } }],
    // dmesg -T: a real stamp, read as one.
    ['[Sat Nov 28 11:40:00 2026] usb 1-1: new high-speed USB device number 2 using xhci_hcd', { time: '2026-11-28T11:40:00.000Z', body: 'usb 1-1: new high-speed USB device number 2 using xhci_hcd' }],
  ]);
  // One message from two boots is one body.
  assert.equal(parse('[    5.100000] e1000e: eth0 NIC Link is Up', ctx).body, parse('[ 7205.100321] e1000e: eth0 NIC Link is Up', ctx).body);
  // Ten digits of seconds are an epoch in brackets, not an uptime; a bracket of other things is no uptime.
  assert.equal(parse('[1795860000.123] job started', ctx).attributes['kernel.uptime'], undefined);
  assert.equal(parse('[12.5s] compiled', ctx).attributes['kernel.uptime'], undefined);
  // The uptime only leaves the message of the kernel's own syslog lines.
  assert.equal(parse('Nov 28 11:40:00 web-1 app[1]: [12345.678901] not the kernel', ctx).body, '[12345.678901] not the kernel');
});

test('this machine\'s own ring buffer, where it can be read: every line that has an uptime gives it', (t) => {
  let out: string;
  try {
    out = execFileSync('dmesg', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    t.skip('dmesg cannot be read here (no permission, or no dmesg)');
    return;
  }
  const lines = out.split('\n').filter((l) => /^\[ *\d+\.\d+\] /.test(l));
  if (lines.length === 0) {
    t.skip('the ring buffer is empty');
    return;
  }
  for (const line of lines) {
    const r = parse(line, ctx);
    assert.equal(r.attributes['kernel.uptime'], line.slice(1, line.indexOf(']')).trim(), line);
    assert.equal(r.body, line.slice(line.indexOf(']') + 2), line);
  }
});
