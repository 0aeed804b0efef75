/**
 * Network devices' syslog messages in Cisco's convention (IOS, IOS XE and XR, NX-OS, ASA, FTD; Arista
 * EOS writes the same): `%FACILITY-SEVERITY-MNEMONIC: text`, where SEVERITY is the syslog severity
 * (0-7) and FACILITY-...-MNEMONIC names the event (`%LINK-3-UPDOWN`, `%ASA-6-302013`). What comes
 * before it depends on the device's `logging` settings and on what relayed it:
 *
 *   <166>%ASA-6-302013: Built ...                               ASA, its default (no stamp, no name)
 *   <166>Dec 06 2026 22:24:49 fw01 : %ASA-6-302013: Built ...   ASA, `logging timestamp`, `logging device-id hostname`
 *   <189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: ...        IOS: a sequence number, the device's clock (`*`: never set)
 *   <189>: 2026 Dec  6 22:24:49 UTC: %ETHPORT-5-IF_UP: ...      NX-OS
 *   Dec  6 22:24:49 10.0.0.1 123: Dec  6 22:24:48.123 UTC: %LINK-3-UPDOWN: ...   the same in a relay's file (rsyslog)
 *
 * The severity comes from the message when no PRI gave one; facility and mnemonic become attributes
 * (`cisco.facility`, `cisco.mnemonic`), the sequence number `cisco.sequence`; the text after the
 * mnemonic is the body. The mnemonic is never an app name: a BSD parse that took `%ASA-6-302013` (or
 * IOS's sequence number) for the tag is corrected, so a syslog intake naming services after the tag
 * does not make one service per event kind. Time: the device's own stamp, else a relay's; a stamp
 * marked `*` (the device's clock was never set: IOS starts at Mar 1 1993) is kept as
 * `cisco.device_time` and the record takes the relay's stamp or the time of reading.
 */
import { isIPv6 } from 'node:net';
import { severityFromSyslog } from '../severity.ts';
import { readTime, wallToInstant } from '../timestamp.ts';
import { applyPri } from './pri.ts';
import type { ParseContext, ParsedFields } from './types.ts';

// Facility (with sub-facilities: `%PKT_INFRA-LINK-3-UPDOWN`, `%LINK-SW1-3-UPDOWN`), severity, mnemonic,
// then the colon (IOS XR puts a blank before it). Bounded, so that no line makes it backtrack for long.
const MNEMONIC = /%([A-Z][A-Z0-9_]{0,31}(?:-[A-Z0-9_]{1,32}){0,3}?)-([0-7])-([A-Za-z0-9_]{1,64}) ?: ?/y;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
// NX-OS's stamp, its year first (`2026 Dec  6 22:24:49`); the others (ASA's `Dec 06 2026 22:24:49`, IOS's) readTime reads.
const NXOS_STAMP = /(\d{4}) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/y;
const PRI = /<(\d{1,3})>/y;

/** Where a mnemonic starts in `text` (its `%`, within the first 160 characters), or -1. */
export function mnemonicAt(text: string): number {
  let p = text.indexOf('%');
  while (p !== -1 && p < 160) {
    const c = text.charCodeAt(p + 1);
    if (c >= 65 && c <= 90) {
      MNEMONIC.lastIndex = p;
      if (MNEMONIC.test(text)) return p;
    }
    p = text.indexOf('%', p + 1);
  }
  return -1;
}

/** Reads the mnemonic at `at` into `r` (attributes, severity when none yet, body after it); false when there is none. */
function mnemonicInto(text: string, at: number, r: ParsedFields): boolean {
  MNEMONIC.lastIndex = at;
  const m = MNEMONIC.exec(text);
  if (m === null) return false;
  r.attributes['cisco.facility'] = m[1]!;
  r.attributes['cisco.mnemonic'] = m[3]!;
  if (r.severityNumber === undefined) {
    const sev = severityFromSyslog(+m[2]!);
    r.severityText = sev.text;
    r.severityNumber = sev.number;
  }
  r.body = text.slice(MNEMONIC.lastIndex);
  return true;
}

/** NX-OS's stamp at `at` as a wall-clock time (its digits read as UTC), or undefined. */
function nxosStamp(text: string, at: number): { time: number; end: number } | undefined {
  NXOS_STAMP.lastIndex = at;
  const m = NXOS_STAMP.exec(text);
  if (m === null) return undefined;
  const mo = MONTHS.indexOf(m[2]!) / 3;
  if (!Number.isInteger(mo)) return undefined;
  const wall = Date.UTC(+m[1]!, mo, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +(m[7] ?? '0').padEnd(3, '0'));
  if (new Date(wall).getUTCDate() !== +m[3]!) return undefined;
  return { time: wall, end: NXOS_STAMP.lastIndex };
}

/** A stamp at `at` in any form a device writes, read in `tz` (`UTC` or `GMT` after it: in UTC); its end after the zone. */
function deviceStamp(text: string, at: number, tz: string, now: number): { time: number; end: number } | undefined {
  const c = text.charCodeAt(at);
  const nxos = c >= 48 && c <= 57 && text.charCodeAt(at + 4) === 32 ? nxosStamp(text, at) : undefined;
  // Read in UTC first, so that a zone after it can decide.
  const t = nxos ?? readTime(text, at, 'UTC', now);
  if (t === undefined || Number.isNaN(t.time)) return undefined;
  let end = t.end;
  let zone = '';
  // A zone abbreviation after the stamp (`UTC`, `CET`, `PST`): UTC and GMT read so; any other leaves the source's zone.
  if (text.charCodeAt(end) === 32) {
    let z = end + 1;
    while (z < end + 6 && text.charCodeAt(z) >= 65 && text.charCodeAt(z) <= 90) z++;
    if (z - end - 1 >= 3 && (text.charCodeAt(z) === 58 || text.charCodeAt(z) === 32)) {
      zone = text.slice(end + 1, z);
      end = z;
    }
  }
  if (zone === 'UTC' || zone === 'GMT' || tz === 'UTC') return { time: t.time, end };
  if (nxos !== undefined) return { time: wallToInstant(t.time, tz), end };
  const again = readTime(text, at, tz, now);
  return again === undefined ? undefined : { time: again.time, end };
}

/** 0-9, a-f, A-F, or `:` (an IPv6 address's first character). */
function isHex(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * The header before a mnemonic, from `from` to `at` (its `%`): stamps, a sequence number, names and
 * stray colons, in the orders devices and relays write them. Fills time, host and `cisco.*` into `r`;
 * false when something else stands there (the line is then not read as a device message).
 */
function headerInto(text: string, from: number, at: number, r: ParsedFields, ctx: ParseContext, hostKnown: boolean): boolean {
  const tz = ctx.timeZone ?? 'UTC';
  let i = from;
  let tokens = 0;
  while (i < at) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 58 /* : */) {
      i++;
      continue;
    }
    if (++tokens > 6) return false;
    // `*` before a stamp: the device's clock was never set; `.`: it was, but is no longer synchronised.
    const unset = c === 42;
    const s = unset || c === 46 ? i + 1 : i;
    const t = deviceStamp(text, s, tz, ctx.now);
    if (t !== undefined && t.end <= at) {
      // The stamp nearest the message is the device's own (one before it is a relay's): it wins.
      if (unset) r.attributes['cisco.device_time'] = text.slice(s, t.end);
      else r.time = t.time;
      i = t.end;
      continue;
    }
    // A relay's host as an IPv6 address (`2001:db8::1`): its colons are not the header's.
    const blank = text.indexOf(' ', i);
    if (blank !== -1 && blank < at && isHex(c) && isIPv6(text.slice(i, blank))) {
      if (!hostKnown) {
        r.host = text.slice(i, blank);
        hostKnown = true;
      } else r.attributes['cisco.device_id'] = text.slice(i, blank);
      i = blank;
      continue;
    }
    let e = i;
    while (e < at && text.charCodeAt(e) !== 32 && text.charCodeAt(e) !== 58) e++;
    // A word ends at a blank or a colon (`123:`, `router1:`); a word of any other shape is no header.
    const word = text.slice(i, e);
    if (/^\d{1,10}$/.test(word)) r.attributes['cisco.sequence'] = word;
    else if (/^[A-Za-z0-9][\w.-]{0,254}$/.test(word)) {
      // The first name is the host (a relay's HOSTNAME, else the device's); one after it, the device's own (ASA's device-id).
      if (!hostKnown) {
        r.host = word;
        hostKnown = true;
      } else r.attributes['cisco.device_id'] = word;
    } else if (/^[A-Z]+(?:\/\w+){2,}$/.test(word)) r.attributes['cisco.node'] = word; // IOS XR's `RP/0/RSP0/CPU0`
    else if (/^[A-Za-z][\w.-]{0,63}\[\d{1,10}\]$/.test(word)) r.attributes['cisco.process'] = word; // XR's `ifmgr[254]`
    else return false;
    i = e;
  }
  return true;
}

/**
 * A whole line that is a device's message (with or without PRI, a relay's header, stamps, names); null
 * when it is not one. Tried where the syslog parser finds no syslog line, and on lines starting with `%`.
 */
export function ciscoLine(line: string, ctx: ParseContext): ParsedFields | null {
  const at = mnemonicAt(line);
  if (at === -1) return null;
  const r: ParsedFields = { body: '', attributes: {} };
  let from = 0;
  PRI.lastIndex = 0;
  const pri = line.charCodeAt(0) === 60 ? PRI.exec(line) : null;
  if (pri !== null) {
    if (!applyPri(r, pri[1])) return null;
    from = PRI.lastIndex;
  }
  if (!headerInto(line, from, at, r, ctx, false)) return null;
  mnemonicInto(line, at, r);
  return r;
}

/**
 * A record the syslog parser read from a device's message: its message starts with the mnemonic, or
 * the tag the BSD parse took is the mnemonic
 * (`host %ASA-6-302013: msg`) or IOS's sequence number (`host 123: *Mar  1 ...: %LINK-3-UPDOWN: msg`).
 * Corrects it in place (the tag is no app name: `syslog.appname` and the service it gave are removed).
 */
export function ciscoSyslog(r: ParsedFields, ctx: ParseContext): void {
  // A message that starts with the mnemonic under a real tag or none (Arista's `Ebra: %LINEPROTO-5-UPDOWN: ...`, RFC 5424).
  if (r.body.charCodeAt(0) === 37) {
    mnemonicInto(r.body, 0, r);
    return;
  }
  const app = r.attributes['syslog.appname'];
  if (app === undefined || r.attributes['syslog.procid'] !== undefined) return;
  const c = app.charCodeAt(0);
  if (c === 37 /* % */) {
    const tagged: ParsedFields = { body: '', attributes: {} };
    if (!mnemonicInto(`${app}: `, 0, tagged)) return;
    if (r.severityNumber === undefined) {
      r.severityText = tagged.severityText;
      r.severityNumber = tagged.severityNumber;
    }
    Object.assign(r.attributes, tagged.attributes);
  } else if (c >= 48 && c <= 57 && /^\d{1,10}$/.test(app)) {
    const at = mnemonicAt(r.body);
    if (at === -1) return;
    const device: ParsedFields = { body: '', attributes: {}, ...(r.severityNumber !== undefined ? { severityText: r.severityText!, severityNumber: r.severityNumber } : {}) };
    if (!headerInto(r.body, 0, at, device, ctx, true)) return;
    mnemonicInto(r.body, at, device);
    r.attributes['cisco.sequence'] = app;
    // The device's own stamp is the event's time where it has one it trusts; the relay's says when it arrived.
    if (device.time !== undefined) r.time = device.time;
    Object.assign(r.attributes, device.attributes);
    r.severityText = device.severityText;
    r.severityNumber = device.severityNumber;
    r.body = device.body;
  } else return;
  delete r.attributes['syslog.appname'];
  if (r.service === app) delete r.service;
}
