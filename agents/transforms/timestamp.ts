/**
 * Timestamps as written in log lines in, epoch milliseconds out (fractional below a millisecond,
 * kept to the microsecond). Knows ISO-8601/RFC 3339, epoch s/ms/us/ns, syslog without a year, the
 * Apache access-log form and strftime-like user formats; wall-clock times without an offset are read
 * in a configured IANA time zone through Intl.
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
  january: 0, february: 1, march: 2, april: 3, june: 5, july: 6, august: 7, september: 8,
  october: 9, november: 10, december: 11, sept: 8,
};

/** Named formats; anything containing `%` is a strftime-like pattern. */
export const NAMED_FORMATS = ['auto', 'iso8601', 'rfc3339', 'rfc2822', 'epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns', 'syslog', 'apache'] as const;
export type NamedFormat = (typeof NAMED_FORMATS)[number];

export interface TimestampOptions {
  /** A named format or a strftime-like pattern (`%Y-%m-%d %H:%M:%S.%f`). Default `auto`. */
  format?: string;
  /** IANA zone for times written without an offset. Default `UTC`. */
  timeZone?: string;
  /** Now, epoch ms: picks the year of year-less syslog stamps. Default `Date.now()`. */
  now?: number;
}

// ---------------------------------------------------------------------------------------------
// Time zones

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets per zone per quarter hour: every modern transition falls on a quarter-hour boundary. */
const offsetCache = new Map<string, number>();
const QUARTER_HOUR = 15 * 60_000;
const DAY_MS = 86_400_000;

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
    zoneFormatters.set(timeZone, f);
  }
  return f;
}

/** IANA names of UTC itself (Intl knows them all). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'GMT']);

/** Whether Intl knows the zone (`Europe/Berlin`, `UTC`); used by config validation. */
export function isValidTimeZone(timeZone: string): boolean {
  // The default, answered without Intl: making a DateTimeFormat loads ICU's locale and zone data,
  // about 6 MB of node's file the agent otherwise never touches (resident for the process's life).
  if (UTC_ZONES.has(timeZone)) return true;
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function isUtc(timeZone: string): boolean {
  return UTC_ZONES.has(timeZone) || timeZone === 'Z';
}

/** The zone's offset from UTC in ms at instant `t` (wall clock = t + offset). */
export function zoneOffset(t: number, timeZone: string): number {
  if (isUtc(timeZone)) return 0;
  const bucket = Math.floor(t / QUARTER_HOUR);
  // The last answer first: a stream's stamps stay in one quarter hour for many lines, and the key
  // below is a string built and hashed per call.
  if (bucket === lastOffsetBucket && timeZone === lastOffsetZone) return lastOffset;
  const key = `${timeZone}|${bucket}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return rememberOffset(timeZone, bucket, hit);
  const at = bucket * QUARTER_HOUR;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, bc = false;
  for (const p of zoneFormatter(timeZone).formatToParts(at)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
      case 'era': bc = p.value === 'BC' || p.value === 'B'; break;
    }
  }
  const wall = utcFromFields(bc ? 1 - y : y, mo - 1, d, h, mi, s, 0);
  const offset = wall - at;
  if (offsetCache.size > 4096) offsetCache.clear();
  offsetCache.set(key, offset);
  return rememberOffset(timeZone, bucket, offset);
}

let lastOffsetZone = '';
let lastOffsetBucket = NaN;
let lastOffset = 0;
function rememberOffset(timeZone: string, bucket: number, offset: number): number {
  lastOffsetZone = timeZone;
  lastOffsetBucket = bucket;
  lastOffset = offset;
  return offset;
}

/**
 * The instant at which the zone's wall clock shows `wall` (wall fields encoded as if UTC).
 * A time that occurs twice (clocks set back) takes the earlier instant; a time that never occurs
 * (clocks set forward) is read with the offset before the change, i.e. shifted forward, as
 * Temporal's `compatible` disambiguation does.
 */
export function wallToInstant(wall: number, timeZone: string): number {
  if (isUtc(timeZone)) return wall;
  const bucket = Math.floor(wall / QUARTER_HOUR);
  if (bucket === lastWallBucket && timeZone === lastWallZone) return wall - lastWallOffset;
  const before = zoneOffset(wall - DAY_MS, timeZone);
  const after = zoneOffset(wall + DAY_MS, timeZone);
  const t1 = wall - before;
  const t2 = wall - after;
  const ok1 = zoneOffset(t1, timeZone) === before;
  const ok2 = zoneOffset(t2, timeZone) === after;
  // Both valid (a wall time that happens twice): the earlier instant, the larger offset.
  const offset = ok1 && ok2 ? (t1 <= t2 ? before : after) : ok1 || !ok2 ? before : after;
  // zoneOffset answers per quarter hour of the instant; with both offsets whole quarter hours, every
  // wall in this quarter hour meets the same four answers above, so the same offset is the answer
  // for all of them (a local mean time's odd offset, before about 1900, is not remembered).
  if (before % QUARTER_HOUR === 0 && after % QUARTER_HOUR === 0) {
    lastWallZone = timeZone;
    lastWallBucket = bucket;
    lastWallOffset = offset;
  }
  return wall - offset;
}

let lastWallZone = '';
let lastWallBucket = NaN;
let lastWallOffset = 0;

// The UTC year of the last `now` asked about: a batch of lines shares its time of reading, and every
// year-less stamp (syslog, logcat, klog) asks for it.
let yearNow = NaN;
let yearOfNow = NaN;
function yearOf(now: number): number {
  if (now !== yearNow) {
    yearOfNow = new Date(now).getUTCFullYear();
    yearNow = now;
  }
  return yearOfNow;
}

// The midnight of the last day asked for: a file's lines share their day, and Date.UTC with seven
// arguments costs more than adding the clock to a remembered midnight.
let lastDay = NaN;
let lastMidnight = 0;

/** Whole-number wall fields (every caller passes whole numbers) as if UTC, in epoch ms. */
function utcFromFields(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100 && y <= 9999 && mo >= 0 && mo <= 11 && d >= 1 && d <= 31) {
    // Date.UTC adds the same products (MakeTime, MakeDate); out-of-range clocks (24:00) carry alike.
    const day = (y * 12 + mo) * 32 + d;
    if (day !== lastDay) {
      lastMidnight = Date.UTC(y, mo, d);
      lastDay = day;
    }
    return lastMidnight + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  }
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  // Date.UTC maps years 0..99 to 1900..1999.
  if (y >= 0 && y < 100) return new Date(t).setUTCFullYear(y);
  return t;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 24 || mi > 59 || s > 60) return false;
  if (d <= 28) return true;
  const leap = mo === 1 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  return d <= DAYS_IN_MONTH[mo]! + (leap ? 1 : 0);
}

/** Fraction digits (`123456789`) as milliseconds, kept to the microsecond. */
function fractionMs(digits: string | undefined): number {
  if (!digits) return 0;
  const us = Number((digits + '000000').slice(0, 6));
  return us / 1000;
}

function parseOffset(z: string): number | undefined {
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z);
  if (!m) return undefined;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (mins > 18 * 60) return undefined;
  return (m[1] === '-' ? -1 : 1) * mins * 60_000;
}

/** Wall fields plus an optional offset or zone name to an instant. */
function resolve(
  y: number, mo: number, d: number, h: number, mi: number, s: number, frac: number,
  zone: string | undefined, timeZone: string,
): number | undefined {
  if (!validFields(y, mo, d, h, mi, s)) return undefined;
  return instantOfWall(utcFromFields(y, mo, d, h, mi, Math.min(s, 59), 0) + frac, zone, timeZone);
}

/** A wall time (its fields as if UTC, in ms) as the instant it names in `zone` (an offset or an IANA name), or else in `timeZone`. */
function instantOfWall(wall: number, zone: string | undefined, timeZone: string): number | undefined {
  if (zone !== undefined && zone !== '') {
    const off = parseOffset(zone);
    if (off !== undefined) return wall - off;
    const upper = zone.toUpperCase();
    if (upper === 'UTC' || upper === 'GMT') return wall;
    if (zone.includes('/') && isValidTimeZone(zone)) return wallToInstant(wall, zone);
    return undefined;
  }
  return wallToInstant(wall, timeZone);
}

// ---------------------------------------------------------------------------------------------
// Fixed formats

// RFC 3339 / ISO-8601, also with a space before the offset, Go's `2026-11-24 10:00:00.5 +0000 UTC`
// (an abbreviation after an offset is ignored) and a bare ` UTC`/` GMT` suffix.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?(Z|z|[+-]\d{2}(?::?\d{2})?)(?: [A-Z]{2,5})?| (UTC|GMT))?)?$/;

export function parseIso(text: string, timeZone = 'UTC'): number | undefined {
  const fast = isoFast(text, 0, timeZone);
  if (fast !== undefined && fast.end === text.length) return Number.isNaN(fast.time) ? undefined : fast.time;
  const m = ISO.exec(text);
  if (!m) return undefined;
  return resolve(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), fractionMs(m[7]), m[8] ?? m[9], timeZone);
}

const RFC2822 = /^(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (GMT|UTC|UT|Z|[+-]\d{4})$/;

/** `Tue, 24 Nov 2026 10:00:00 GMT` (HTTP dates, e-mail headers). */
export function parseRfc2822(text: string): number | undefined {
  const m = RFC2822.exec(text);
  if (!m) return undefined;
  const mo = MONTHS[m[2]!.toLowerCase()];
  if (mo === undefined) return undefined;
  const zone = m[7] === 'UT' ? 'UTC' : m[7];
  return resolve(+m[3]!, mo, +m[1]!, +m[4]!, +m[5]!, +(m[6] ?? 0), 0, zone, 'UTC');
}

/** Epoch number in the given unit (or guessed from its magnitude) to ms. */
export function parseEpoch(value: number, unit?: 's' | 'ms' | 'us' | 'ns'): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const u = unit ?? (value < 1e11 ? 's' : value < 1e14 ? 'ms' : value < 1e17 ? 'us' : 'ns');
  const ms = u === 's' ? value * 1000 : u === 'ms' ? value : u === 'us' ? value / 1000 : value / 1e6;
  return Math.round(ms * 1000) / 1000;
}

const EPOCH_TEXT = /^\d{1,20}(?:\.\d{1,9})?$/;

function parseEpochText(text: string, unit?: 's' | 'ms' | 'us' | 'ns'): number | undefined {
  if (!EPOCH_TEXT.test(text)) return undefined;
  // Nanosecond integers exceed 2^53; split so the ms part stays exact.
  if (!text.includes('.') && text.length > 15 && (unit === 'ns' || unit === undefined && text.length >= 18)) {
    const ms = Number(text.slice(0, -6));
    const frac = Number(text.slice(-6, -3)) / 1000;
    return ms + frac;
  }
  return parseEpoch(Number(text), unit);
}

/**
 * A stamp without a year is from the latest year that does not put it in the future: lines are read
 * after they are written. Up to two days ahead still counts as now (clocks apart, a zone misread), so
 * `Jan  1 00:00:01` read a second before midnight on New Year's Eve is next year's, `Dec 31 23:59` read
 * on January 1 last year's, and `Dec 10` read on December 2 last year's, not eight days ahead.
 */
const AHEAD = 2 * DAY_MS;
/** Read in now's year and no further back than this, the stamp cannot be next year's (which is 365 days on, less a day where a zone moved). */
const SURELY_THIS_YEAR = 363 * DAY_MS - AHEAD;

/** Epoch ms of wall fields without a year, by the rule above; undefined when no year makes the date exist. */
function yearless(mo: number, d: number, h: number, mi: number, s: number, frac: number, zone: string | undefined, tz: string, now: number): number | undefined {
  const year = yearOf(now);
  const thisYear = resolve(year, mo, d, h, mi, s, frac, zone, tz);
  if (thisYear !== undefined && thisYear <= now + AHEAD && now - thisYear <= SURELY_THIS_YEAR) return thisYear;
  for (let k = 1; k >= -4; k--) {
    // Back four years at most: February 29 exists once in four.
    const t = k === 0 ? thisYear : resolve(year + k, mo, d, h, mi, s, frac, zone, tz);
    if (t !== undefined && t <= now + AHEAD) return t;
  }
  return undefined;
}

const SYSLOG = /^([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** `Nov 24 10:00:00`: the year by the rule of `yearless` (the latest that does not put it in the future). */
export function parseSyslogTime(text: string, timeZone = 'UTC', now = Date.now()): number | undefined {
  const m = SYSLOG.exec(text);
  if (!m) return undefined;
  const mo = MONTHS[m[1]!.toLowerCase()];
  if (mo === undefined) return undefined;
  return yearless(mo, +m[2]!, +m[3]!, +m[4]!, +m[5]!, fractionMs(m[6]), undefined, timeZone, now);
}

const APACHE = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4})[: ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: ([+-]\d{4}))?$/;

/** `24/Nov/2026:10:00:00 +0000`, as in the common and combined access-log formats (Python's werkzeug and Django write a space for the colon, without an offset). */
export function parseApacheTime(text: string, timeZone = 'UTC'): number | undefined {
  const m = APACHE.exec(text);
  if (!m) return undefined;
  const mo = MONTHS[m[2]!.toLowerCase()];
  if (mo === undefined) return undefined;
  return resolve(+m[3]!, mo, +m[1]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[8], timeZone);
}

// ---------------------------------------------------------------------------------------------
// strftime-like formats

interface CompiledFormat {
  re: RegExp;
  fields: string[];
}

const compiled = new Map<string, CompiledFormat>();

const DIRECTIVES: Readonly<Record<string, [string, string | null]>> = {
  Y: ['(\\d{4})', 'Y'],
  y: ['(\\d{2})', 'y'],
  m: ['(\\d{1,2})', 'm'],
  d: ['(\\d{1,2})', 'd'],
  e: [' ?(\\d{1,2})', 'd'],
  H: ['(\\d{1,2})', 'H'],
  I: ['(\\d{1,2})', 'I'],
  p: ['(AM|PM|am|pm)', 'p'],
  M: ['(\\d{2})', 'M'],
  S: ['(\\d{2})', 'S'],
  f: ['(\\d{1,9})', 'f'],
  L: ['(\\d{3})', 'f'],
  z: ['(Z|[+-]\\d{2}:?\\d{2})', 'z'],
  Z: ['([A-Za-z][A-Za-z_/+\\-]*)', 'Z'],
  b: ['([A-Za-z]{3})', 'b'],
  h: ['([A-Za-z]{3})', 'b'],
  B: ['([A-Za-z]{3,9})', 'b'],
  a: ['(?:[A-Za-z]{3})', null],
  A: ['(?:[A-Za-z]{6,9})', null],
  j: ['(\\d{3})', 'j'],
  s: ['(\\d{1,12})', 's'],
  T: ['(\\d{2}):(\\d{2}):(\\d{2})', 'HMS'],
  F: ['(\\d{4})-(\\d{1,2})-(\\d{1,2})', 'Ymd'],
};

/** Compiles a strftime-like pattern; throws on an unknown directive (config validation calls this). */
export function compileFormat(format: string): CompiledFormat {
  const hit = compiled.get(format);
  if (hit) return hit;
  let src = '^';
  const fields: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      const d = format[++i];
      if (d === '%') { src += '%'; continue; }
      const spec = d === undefined ? undefined : DIRECTIVES[d];
      if (!spec) throw new Error(`unknown directive %${d ?? ''} in time format "${format}"`);
      src += spec[0];
      if (spec[1] === 'HMS' || spec[1] === 'Ymd') fields.push(...spec[1]);
      else if (spec[1] !== null) fields.push(spec[1]);
    } else if (c === ' ') {
      src += '\\s+';
    } else {
      src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const result = { re: new RegExp(src + '$'), fields };
  compiled.set(format, result);
  return result;
}

export function parseWithFormat(text: string, format: string, timeZone = 'UTC', now = Date.now()): number | undefined {
  const { re, fields } = compileFormat(format);
  const m = re.exec(text);
  if (!m) return undefined;
  let y: number | undefined, mo = 0, d = 1, h = 0, mi = 0, s = 0, frac = 0, pm: boolean | undefined;
  let zone: string | undefined, doy: number | undefined;
  for (let i = 0; i < fields.length; i++) {
    const v = m[i + 1]!;
    switch (fields[i]) {
      case 'Y': y = +v; break;
      case 'y': y = 2000 + +v; if (y > yearOf(now) + 50) y -= 100; break;
      case 'm': mo = +v - 1; break;
      case 'd': d = +v; break;
      case 'H': case 'I': h = +v; break;
      case 'p': pm = v.toLowerCase() === 'pm'; break;
      case 'M': mi = +v; break;
      case 'S': s = +v; break;
      case 'f': frac = fractionMs(v); break;
      case 'z': case 'Z': zone = v; break;
      case 'j': doy = +v; break;
      case 'b': {
        const idx = MONTHS[v.toLowerCase()];
        if (idx === undefined) return undefined;
        mo = idx;
        break;
      }
      case 's': return +v * 1000 + frac;
    }
  }
  if (pm !== undefined) h = (h % 12) + (pm ? 12 : 0);
  if (doy !== undefined) {
    const base = new Date(Date.UTC(y ?? yearOf(now), 0, doy));
    mo = base.getUTCMonth();
    d = base.getUTCDate();
  }
  // No year in the format: the same rule as syslog's.
  if (y === undefined) return yearless(mo, d, h, mi, s, frac, zone, timeZone, now);
  return resolve(y, mo, d, h, mi, s, frac, zone, timeZone);
}

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * A timestamp field (string or number) to epoch ms, or undefined when it does not parse.
 * `auto` tries RFC 3339/ISO, epoch numbers (unit by magnitude), syslog, Apache and RFC 2822 forms.
 */
export function parseTimestamp(value: unknown, options: TimestampOptions = {}): number | undefined {
  const format = options.format ?? 'auto';
  const tz = options.timeZone ?? 'UTC';
  if (typeof value === 'number') {
    switch (format) {
      case 'epoch_s': return parseEpoch(value, 's');
      case 'epoch_ms': return parseEpoch(value, 'ms');
      case 'epoch_us': return parseEpoch(value, 'us');
      case 'epoch_ns': return parseEpoch(value, 'ns');
      case 'auto': return parseEpoch(value);
      default: return undefined;
    }
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return undefined;
  switch (format) {
    case 'auto': {
      const c = text.charCodeAt(0);
      if (c >= 48 && c <= 57) {
        return parseIso(text, tz) ?? parseEpochText(text) ?? parseApacheTime(text, tz) ?? parseRfc2822(text);
      }
      return parseSyslogTime(text, tz, options.now) ?? parseRfc2822(text);
    }
    case 'iso8601': case 'rfc3339': return parseIso(text, tz);
    case 'rfc2822': return parseRfc2822(text);
    case 'epoch_s': return parseEpochText(text, 's');
    case 'epoch_ms': return parseEpochText(text, 'ms');
    case 'epoch_us': return parseEpochText(text, 'us');
    case 'epoch_ns': return parseEpochText(text, 'ns');
    case 'syslog': return parseSyslogTime(text, tz, options.now);
    case 'apache': return parseApacheTime(text, tz);
    default: return parseWithFormat(text, format, tz, options.now);
  }
}

/** Checks a format string for config validation; returns an error message or undefined. */
export function checkFormat(format: string): string | undefined {
  if ((NAMED_FORMATS as readonly string[]).includes(format)) return undefined;
  if (!format.includes('%')) return `must be one of ${NAMED_FORMATS.join(', ')} or a pattern with % directives`;
  try {
    compileFormat(format);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------
// Stamps at the head of a log line

/** A stamp found in a line: its instant (NaN when the shape matched but the date cannot exist) and where it ends. */
export interface FoundTime {
  /** Epoch ms, or NaN for an impossible date (`2026-02-30`, month 13). */
  time: number;
  /** Index just after the stamp (and its zone, when written). */
  end: number;
}

/** The candidate nearest to `now` among the days around it: the rule for stamps without a date (a clock alone). */
function nearest(now: number, make: (shift: number) => number | undefined, shifts: readonly number[]): number {
  let best = NaN;
  for (const s of shifts) {
    const t = make(s);
    if (t !== undefined && (Number.isNaN(best) || Math.abs(t - now) < Math.abs(best - now))) best = t;
  }
  return best;
}

const DAY_SHIFTS = [-1, 0, 1] as const;
/** 0100-01-01 and 10000-01-01 UTC: utcFromFields reads the years between by arithmetic. */
const YEAR_100 = Date.UTC(100, 0, 1);
const YEAR_10000 = Date.UTC(10000, 0, 1);

function withYear(y: number | undefined, mo: number, d: number, h: number, mi: number, s: number, frac: number, zone: string | undefined, tz: string, now: number): number {
  if (y !== undefined) return resolve(y, mo, d, h, mi, s, frac, zone, tz) ?? NaN;
  return yearless(mo, d, h, mi, s, frac, zone, tz, now) ?? NaN;
}

function twoDigitYear(yy: number, now: number): number {
  const y = 2000 + yy;
  return y > yearOf(now) + 50 ? y - 100 : y;
}

// Each shape is sticky (`y`): it is tried at one position only, picked by the characters there.
// A zone may follow the clock: `Z`, `+01:00`, `+0100`, ` +0000`, ` UTC`.
// An offset may be followed by `: ` (the JVM's GC log: `2026-11-24T10:00:00.123+0000: 12.345: [GC ...`);
// otherwise no zone is followed by a word character or a colon (`Z:`, `+01:0` are not zones).
const ZONE = '(?: ?((?:Z|z)(?![\\w:])|[+-]\\d{2}(?::?\\d{2})?(?![\\w]|:(?!\\s)))| (UTC|GMT)(?![\\w]))?';
const CLOCK = '(\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?';
// `, ` between the date and the clock: Airflow's task logs as its UI shows and exports them
// (`[2026-11-24, 10:00:00 UTC] {taskinstance.py:1234} INFO - ...`).
const RE_ISO = new RegExp(`(\\d{4})-(\\d{2})-(\\d{2})(?:[Tt ]|, )${CLOCK}${ZONE}`, 'y');
// An hour of one digit, space-padded (`%2d`): MariaDB's `2026-11-24  9:30:05`.
const RE_ISO_PADDED_HOUR = new RegExp(`(\\d{4})-(\\d{2})-(\\d{2})  ?(\\d):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?${ZONE}`, 'y');
// IBM/DB2 style, as BGL writes it: 2005-06-03-15.42.50.675872
const RE_ISO_DOTTED = /(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.(\d{2})(?:\.(\d{1,9}))?/y;
const RE_SLASH_YMD = new RegExp(`(\\d{4})/(\\d{2})/(\\d{2})[ T]${CLOCK}${ZONE}`, 'y');
// `20171223-22:15:29:606` and `20171223-22:16:0:119`: unpadded fields; after a colon the fraction is a
// count of milliseconds (`:5` is 5 ms), after `.` or `,` a decimal fraction.
const RE_COMPACT = /(\d{4})(\d{2})(\d{2})[-T ](?:(\d{1,2}):(\d{1,2}):(\d{1,2})|(\d{2})(\d{2})(\d{2}))(?:([.,:])(\d{1,9}))?/y;
// .NET's and Windows' en-US default: `7/20/2024 1:38:44 PM`, `07/20/2024 01:38:44 PM`: month first, a 12-hour clock.
const RE_US_12H = /(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))? ([AaPp])[Mm](?!\w)/y;
// `2026.11.24 10:00:00` (SonarQube and other Java `yyyy.MM.dd` layouts).
const RE_DOTTED_YMD = new RegExp(`(\\d{4})\\.(\\d{2})\\.(\\d{2})[ T]${CLOCK}${ZONE}`, 'y');
// HDFS's `081109 203615`; Tornado's `%y%m%d %H:%M:%S`, `260720 13:38:44`.
const RE_YYMMDD = /(\d{2})(\d{2})(\d{2}) (\d{2})(:?)(\d{2})\5(\d{2})(?![\d:])/y;
const RE_SHORT_SLASH = new RegExp(`(\\d{2})/(\\d{2})/(\\d{2}|\\d{4}) ${CLOCK}${ZONE}`, 'y');
const RE_MONTH_DAY = new RegExp(`(\\d{2})([-.])(\\d{2})(?:\\2(\\d{4}))? ${CLOCK}${ZONE}`, 'y');
// The year may be missing where the parts are apart by spaces (Redis before 4.0: `09 Jan 15:07:53.265`).
const RE_DAY_MON_YEAR = new RegExp(`(\\d{1,2})([-/ ])([A-Z][a-z]{2})(?:\\2(\\d{4}))?[: ]${CLOCK}${ZONE}`, 'y');
const RE_CLOCK_ONLY = new RegExp(`(\\d{1,2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?${ZONE}(?![\\d:])`, 'y');
const RE_KITCHEN = /(\d{1,2}):(\d{2})([AP])M(?![\w:])/y;
// A colon may follow only as `: ` (Mosquitto's `1700000000: msg`); `1700000000:5` is no stamp.
const RE_EPOCH = /(1\d{9})(?:\.(\d{1,9}))?(?![\d.\-/]|:(?! ))|(1\d{12})(?![\d.\-/]|:(?! ))/y;
// The year after the clock (`Nov 24 10:00:00 2026`) or before it (`Nov 24 2026 10:00:00`: CEF's `rt`,
// Cisco ASA's `logging timestamp`).
const RE_SYSLOG_STAMP = new RegExp(`([A-Z][a-z]{2}) {1,2}(\\d{1,2}) (?:(\\d{4}) )?${CLOCK}(?: (\\d{4})(?!\\d))?${ZONE}`, 'y');
// java.util.logging's SimpleFormatter (Tomcat's catalina.out, Jetty): `Dec 02, 2026 3:44:22 AM`.
const RE_JUL = /([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([AP])M(?!\w)/y;
// With a zone before the year it is what `date` prints (`Sat Jul 20 13:38:44 UTC 2024`, scripts'
// `echo "$(date) ..."`): an offset or UTC/GMT is read as such; any other abbreviation (`CEST`, `PST`)
// is ambiguous and names the host's own zone, which is the source's `timezone`.
// JavaScript's Date#toString (`${new Date()}` in a Node app's line): `Sat Jul 20 2026 15:38:44 GMT+0200 (Central European Summer Time)`.
const RE_JS_DATE = /(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-]\d{4})(?: \([^)\n]{1,64}\))?/y;
// RFC 1123, HTTP's date and JavaScript's Date#toUTCString: `Sat, 20 Jul 2026 13:38:44 GMT`.
const RE_RFC1123 = /(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UTC|[+-]\d{4})(?!\w)/y;
const RE_CTIME = /(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: ([A-Z]{3,5}|[+-]\d{4}))? (\d{4})(?!\d)/y;

/** Time zone abbreviations a log writer puts after a stamp (PostgreSQL's `%m`, `date`'s output): each names the host's zone. */
const ZONE_ABBREVIATIONS = new Set(['EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST', 'PDT', 'AKST', 'AKDT', 'HST', 'AST', 'ADT', 'NST', 'NDT', 'WET', 'WEST', 'CET', 'CEST', 'MET', 'MEST', 'EET', 'EEST', 'MSK', 'IST', 'PKT', 'ICT', 'WIB', 'HKT', 'SGT', 'PHT', 'JST', 'KST', 'AWST', 'ACST', 'ACDT', 'AEST', 'AEDT', 'NZST', 'NZDT', 'SAST', 'WAT', 'CAT', 'EAT', 'BRT', 'ART', 'CLT', 'BST']);

/**
 * Where a zone's abbreviation at `at` ends (`2026-11-24 10:00:00.123 CET [1234] ...`), or -1. It names
 * the host's zone, which is the source's `timezone` (as for `date`'s output: `CST`, `IST` and `BST` each
 * name several zones), so it is passed over, not read. Most tokens after a stamp are levels: only
 * those ending as abbreviations do (`T`, `K`, `B`) are looked up.
 */
export function zoneAbbreviationEnd(line: string, at: number): number {
  let e = at;
  while (e < at + 5 && isUpperCode(line.charCodeAt(e))) e++;
  if (e - at < 3 || line.charCodeAt(e) !== 32) return -1;
  const last = line.charCodeAt(e - 1);
  if (last !== 84 /* T */ && last !== 75 /* K */ && last !== 66 /* B */) return -1;
  return ZONE_ABBREVIATIONS.has(line.slice(at, e)) ? e : -1;
}

function isUpperCode(c: number): boolean {
  return c >= 65 && c <= 90;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * The time stamp that starts at `at` in `line`, in any of the shapes log writers use, or undefined
 * when none starts there. Shapes: ISO 8601 / RFC 3339 (`T` or space, `.` or `,` fraction, any offset),
 * `2026-11-24  9:30:05` (an hour space-padded: MariaDB), `2005-06-03-15.42.50.675872`, `2026.11.24 10:00:00`, `7/20/2026 1:38:44 PM`, `2026/11/24 10:00:00` (nginx, Go), `20171223-22:15:29:606`,
 * `081109 203615` (yyMMdd HHmmss; Tornado's `260720 13:38:44`), `17/06/09 20:10:40` (yy/MM/dd), `11/24/2026 10:00:00`,
 * `11-24 10:00:00.123` (logcat), `10.30 16:49:06` and `24.11.2026 10:00:00`, `24-Nov-2026 10:00:00.123`, `24 Nov 2026 10:00:00` (and without the year),
 * `24/Nov/2026:10:00:00 +0000`, java.util.logging's `Dec 02, 2026 3:44:22 AM`, a clock alone (`10:00:00.123`, Go's kitchen `3:04PM`), epoch seconds or milliseconds
 * (`1700000000`, `1700000000.123`, `1700000000123`), syslog `Nov 24 10:00:00`, ctime
 * `Sun Dec 04 04:47:44 2005` (and `date`'s `Sat Jul 20 13:38:44 UTC 2024`), RFC 1123 `Sat, 20 Jul 2026 13:38:44 GMT`,
 * JavaScript's `Sat Jul 20 2026 15:38:44 GMT+0200 (Central European Summer Time)`. A stamp without a year takes the latest year that
 * does not put it more than two days after `now`, one without a date the day nearest to `now`; one without an offset is read in `timeZone`.
 */
export function readTime(line: string, at: number, timeZone: string, now: number): FoundTime | undefined {
  const c0 = line.charCodeAt(at);
  if (isDigit(c0)) {
    const c1 = line.charCodeAt(at + 1);
    const c2 = line.charCodeAt(at + 2);
    const c4 = line.charCodeAt(at + 4);
    if (!isDigit(c1)) {
      // `1:02:03`, `7/20/2026 1:38:44 PM`, `4-Nov-2026 ...`, `4/Nov/2026:...`
      if (c1 === 58) return clockOnly(line, at, timeZone, now);
      if (c1 === 47 && isDigit(c2)) return us12h(line, at, timeZone);
      return dayMonthYear(line, at, timeZone, now);
    }
    if (c2 === 58) return clockOnly(line, at, timeZone, now);
    // `02 Dec 2026 03:44:22.123` (Redis; RFC 2822 without its weekday).
    if (c2 === 32 && line.charCodeAt(at + 3) >= 65 && line.charCodeAt(at + 3) <= 90) return dayMonthYear(line, at, timeZone, now);
    if (c2 === 47 /* / */) {
      if (isDigit(line.charCodeAt(at + 3))) return us12h(line, at, timeZone) ?? shortSlash(line, at, timeZone, now);
      return dayMonthYear(line, at, timeZone, now);
    }
    if (c2 === 45 || c2 === 46 /* - . */) {
      if (isDigit(line.charCodeAt(at + 3))) return monthDay(line, at, timeZone, now);
      return dayMonthYear(line, at, timeZone, now);
    }
    if (c4 === 45 /* - */) return iso(line, at, timeZone);
    if (c4 === 47 /* / */) return slashYmd(line, at, timeZone);
    if (c4 === 46 /* . */) {
      RE_DOTTED_YMD.lastIndex = at;
      const m = RE_DOTTED_YMD.exec(line);
      return m ? found(resolve(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[8] ?? m[9], timeZone), RE_DOTTED_YMD.lastIndex) : undefined;
    }
    const c6 = line.charCodeAt(at + 6);
    if (c6 === 32 && isDigit(line.charCodeAt(at + 7))) {
      RE_YYMMDD.lastIndex = at;
      const m = RE_YYMMDD.exec(line);
      if (m) return found(resolve(twoDigitYear(+m[1]!, now), +m[2]! - 1, +m[3]!, +m[4]!, +m[6]!, +m[7]!, 0, undefined, timeZone), RE_YYMMDD.lastIndex);
    }
    const c8 = line.charCodeAt(at + 8);
    if ((c8 === 45 || c8 === 84 || c8 === 32) && isDigit(line.charCodeAt(at + 9))) {
      RE_COMPACT.lastIndex = at;
      const m = RE_COMPACT.exec(line);
      if (m) {
        const frac = m[10] === undefined ? 0 : m[10] === ':' ? (m[11]!.length <= 3 ? +m[11]! : NaN) : fractionMs(m[11]);
        const h = m[4] ?? m[7]!, mi = m[5] ?? m[8]!, sec = m[6] ?? m[9]!;
        return found(Number.isNaN(frac) ? undefined : resolve(+m[1]!, +m[2]! - 1, +m[3]!, +h, +mi, +sec, frac, undefined, timeZone), RE_COMPACT.lastIndex);
      }
    }
    if (c0 === 49 /* 1 */) {
      RE_EPOCH.lastIndex = at;
      const m = RE_EPOCH.exec(line);
      if (m) {
        const t = m[1] !== undefined ? +m[1] * 1000 + fractionMs(m[2]) : +m[3]!;
        return { time: t, end: RE_EPOCH.lastIndex };
      }
    }
    return undefined;
  }
  if (c0 >= 65 && c0 <= 90 && line.charCodeAt(at + 3) === 44 && line.charCodeAt(at + 4) === 32) {
    RE_RFC1123.lastIndex = at;
    const m = RE_RFC1123.exec(line);
    const mo = m ? MONTHS[m[2]!.toLowerCase()] : undefined;
    if (!m || mo === undefined) return undefined;
    return found(resolve(+m[3]!, mo, +m[1]!, +m[4]!, +m[5]!, +m[6]!, 0, m[7], timeZone), RE_RFC1123.lastIndex);
  }
  if (c0 >= 65 && c0 <= 90 && line.charCodeAt(at + 3) === 32) {
    const c4 = line.charCodeAt(at + 4);
    if (c4 >= 65 && c4 <= 90) {
      RE_CTIME.lastIndex = at;
      const m = RE_CTIME.exec(line);
      if (!m) return jsDate(line, at, timeZone);
      const mo = MONTHS[m[1]!.toLowerCase()];
      if (mo === undefined) return undefined;
      const z = m[7];
      const zone = z === undefined ? undefined : z === 'UTC' || z === 'GMT' || z.charCodeAt(0) === 43 || z.charCodeAt(0) === 45 ? z : undefined;
      return found(resolve(+m[8]!, mo, +m[2]!, +m[3]!, +m[4]!, +m[5]!, fractionMs(m[6]), zone, timeZone), RE_CTIME.lastIndex);
    }
    if (line.charCodeAt(at + 6) === 44 || line.charCodeAt(at + 5) === 44) {
      RE_JUL.lastIndex = at;
      const j = RE_JUL.exec(line);
      const mo = j ? MONTHS[j[1]!.toLowerCase()] : undefined;
      if (!j || mo === undefined || +j[4]! < 1 || +j[4]! > 12) return undefined;
      const h = hour24(+j[4]!, j[7] === 'P');
      return found(resolve(+j[3]!, mo, +j[2]!, h, +j[5]!, +j[6]!, 0, undefined, timeZone), RE_JUL.lastIndex);
    }
    RE_SYSLOG_STAMP.lastIndex = at;
    const m = RE_SYSLOG_STAMP.exec(line);
    if (!m) return undefined;
    const mo = MONTHS[m[1]!.toLowerCase()];
    if (mo === undefined) return undefined;
    const year = m[3] ?? m[8];
    const y = year !== undefined ? +year : undefined;
    return { time: withYear(y, mo, +m[2]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[9] ?? m[10], timeZone, now), end: RE_SYSLOG_STAMP.lastIndex };
  }
  return undefined;
}

/** JavaScript's Date#toString, its zone's name in parentheses included; undefined when not that shape. */
function jsDate(line: string, at: number, tz: string): FoundTime | undefined {
  RE_JS_DATE.lastIndex = at;
  const m = RE_JS_DATE.exec(line);
  const mo = m ? MONTHS[m[1]!.toLowerCase()] : undefined;
  if (!m || mo === undefined) return undefined;
  return found(resolve(+m[3]!, mo, +m[2]!, +m[4]!, +m[5]!, +m[6]!, 0, m[7], tz), RE_JS_DATE.lastIndex);
}

function found(t: number | undefined, end: number): FoundTime {
  return { time: t ?? NaN, end };
}

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48, b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The stamp most lines start with, `2026-11-24T10:00:00.123Z` (`T`, `t` or a space; `.` or `,` and
 * 1-9 fraction digits; `Z` or no zone), read digit by digit at `at`: what RE_ISO would find there,
 * without its nine substrings and their conversions to numbers. Undefined whenever the text has any
 * other shape (an offset, ` UTC`, a zone after a space, ten fraction digits, a missing second, ...),
 * and then the caller asks the regular expression, which knows them all.
 */
function isoFast(text: string, at: number, tz: string): FoundTime | undefined {
  const y1 = twoDigits(text, at), y2 = twoDigits(text, at + 2);
  if (y1 < 0 || y2 < 0 || text.charCodeAt(at + 4) !== 45 || text.charCodeAt(at + 7) !== 45) return undefined;
  const mo = twoDigits(text, at + 5), d = twoDigits(text, at + 8);
  const sep = text.charCodeAt(at + 10);
  if (mo < 0 || d < 0 || (sep !== 84 && sep !== 116 && sep !== 32)) return undefined;
  const h = twoDigits(text, at + 11), mi = twoDigits(text, at + 14), sec = twoDigits(text, at + 17);
  if (h < 0 || mi < 0 || sec < 0 || text.charCodeAt(at + 13) !== 58 || text.charCodeAt(at + 16) !== 58) return undefined;
  let p = at + 19;
  let us = 0;
  const c = text.charCodeAt(p);
  if (c === 46 || c === 44 /* . , */) {
    // Microseconds from the first six digits, as fractionMs reads them.
    let k = 0;
    for (let dg = text.charCodeAt(p + 1) - 48; dg >= 0 && dg <= 9; dg = text.charCodeAt(p + 1 + k) - 48) {
      if (k < 6) us = us * 10 + dg;
      k++;
    }
    // No digit after the point (the regex leaves the point out) or more than nine: not this shape.
    if (k === 0 || k > 9) return undefined;
    for (let pad = k; pad < 6; pad++) us *= 10;
    p += 1 + k;
  }
  let zone: string | undefined;
  const z = text.charCodeAt(p);
  if (z === 90 || z === 122 /* Z z */) {
    const after = text.charCodeAt(p + 1);
    // `Z` followed by a digit or `:` is not a zone to the regex: not this shape.
    if ((after >= 48 && after <= 57) || after === 58) return undefined;
    zone = 'Z';
    p++;
  } else if (z === 43 || z === 45 /* + - */) {
    return undefined;
  } else if (z === 32) {
    const next = text.charCodeAt(p + 1);
    // ` +0000`, ` Z`, ` UTC`, ` GMT` may follow: the regex reads those.
    if (next === 43 || next === 45 || next === 90 || next === 122 || next === 85 || next === 71) return undefined;
  }
  return found(resolve(y1 * 100 + y2, mo - 1, d, h, mi, sec, us / 1000, zone, tz), p);
}

function iso(line: string, at: number, tz: string): FoundTime | undefined {
  const t = isoClock(line, at, tz);
  // `2026-07-20 01:38:44 PM`: a 12-hour clock after an ISO date (rare, but read 12 hours early without this).
  if (t !== undefined && line.charCodeAt(t.end) === 32 && !Number.isNaN(t.time)) {
    // Capitals only: `am` may be the message's first word.
    const m = line.charCodeAt(t.end + 1), mm = line.charCodeAt(t.end + 2), after = line.charCodeAt(t.end + 3);
    if ((m === 65 || m === 80) && mm === 77 && !(after >= 48 && after <= 57) && !((after | 32) >= 97 && (after | 32) <= 122) && after !== 95) {
      const colon = line.indexOf(':', at + 10);
      const h12 = +line.slice(at + 11, colon).trim();
      if (h12 >= 1 && h12 <= 12) return { time: t.time + (hour24(h12, m === 80) - h12) * 3_600_000, end: t.end + 3 };
    }
  }
  return t;
}

function isoClock(line: string, at: number, tz: string): FoundTime | undefined {
  const fast = isoFast(line, at, tz);
  if (fast !== undefined) return fast;
  RE_ISO.lastIndex = at;
  const m = RE_ISO.exec(line);
  if (m) return found(resolve(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[8] ?? m[9], tz), RE_ISO.lastIndex);
  RE_ISO_PADDED_HOUR.lastIndex = at;
  const p = RE_ISO_PADDED_HOUR.exec(line);
  if (p) return found(resolve(+p[1]!, +p[2]! - 1, +p[3]!, +p[4]!, +p[5]!, +p[6]!, fractionMs(p[7]), p[8] ?? p[9], tz), RE_ISO_PADDED_HOUR.lastIndex);
  RE_ISO_DOTTED.lastIndex = at;
  const d = RE_ISO_DOTTED.exec(line);
  if (d) return found(resolve(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!, fractionMs(d[7]), undefined, tz), RE_ISO_DOTTED.lastIndex);
  return undefined;
}

function slashYmd(line: string, at: number, tz: string): FoundTime | undefined {
  RE_SLASH_YMD.lastIndex = at;
  const m = RE_SLASH_YMD.exec(line);
  if (!m) return undefined;
  return found(resolve(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[8] ?? m[9], tz), RE_SLASH_YMD.lastIndex);
}

/** `7/20/2026 1:38:44 PM`: month, day, year and a 12-hour clock; undefined without the AM/PM. */
function us12h(line: string, at: number, tz: string): FoundTime | undefined {
  RE_US_12H.lastIndex = at;
  const m = RE_US_12H.exec(line);
  if (!m) return undefined;
  const h12 = +m[4]!;
  if (h12 < 1 || h12 > 12) return { time: NaN, end: RE_US_12H.lastIndex };
  return found(resolve(+m[3]!, +m[1]! - 1, +m[2]!, hour24(h12, m[8] === 'P' || m[8] === 'p'), +m[5]!, +m[6]!, fractionMs(m[7]), undefined, tz), RE_US_12H.lastIndex);
}

/** `17/06/09 20:10:40` (log4j's yy/MM/dd), `11/24/2026 10:00:00` (US) or `24/11/2026 ...` when the first number cannot be a month. */
function shortSlash(line: string, at: number, tz: string, now: number): FoundTime | undefined {
  RE_SHORT_SLASH.lastIndex = at;
  const m = RE_SHORT_SLASH.exec(line);
  if (!m) return undefined;
  const a = +m[1]!, b = +m[2]!, c = m[3]!;
  let y: number, mo: number, d: number;
  if (c.length === 4) {
    y = +c;
    [mo, d] = a > 12 ? [b, a] : [a, b];
  } else if (+c > 31) {
    // The last number cannot be a day: US month/day/year.
    y = twoDigitYear(+c, now); mo = a; d = b;
  } else {
    y = twoDigitYear(a, now); mo = b; d = +c;
  }
  return found(resolve(y, mo - 1, d, +m[4]!, +m[5]!, +m[6]!, fractionMs(m[7]), m[8] ?? m[9], tz), RE_SHORT_SLASH.lastIndex);
}

/** `11-24 10:00:00.123` (logcat), `10.30 16:49:06` (month first unless it cannot be one), `24.11.2026 10:00:00`. */
function monthDay(line: string, at: number, tz: string, now: number): FoundTime | undefined {
  RE_MONTH_DAY.lastIndex = at;
  const m = RE_MONTH_DAY.exec(line);
  if (!m) return undefined;
  const a = +m[1]!, b = +m[3]!;
  const y = m[4] !== undefined ? +m[4] : undefined;
  // With a year (`24.11.2026`) the European day-first order; without, month first unless it cannot be.
  const dayFirst = y !== undefined ? b <= 12 || a > 12 : a > 12 && b <= 12;
  const [mo, d] = dayFirst ? [b, a] : [a, b];
  return { time: withYear(y, mo - 1, d, +m[5]!, +m[6]!, +m[7]!, fractionMs(m[8]), m[9] ?? m[10], tz, now), end: RE_MONTH_DAY.lastIndex };
}

function dayMonthYear(line: string, at: number, tz: string, now: number): FoundTime | undefined {
  RE_DAY_MON_YEAR.lastIndex = at;
  const m = RE_DAY_MON_YEAR.exec(line);
  // Without a year only `09 Jan 15:07:53` counts (`24-Nov 10:00` or `24/Nov:10:00` are nothing we know).
  if (!m || (m[4] === undefined && m[2] !== ' ')) return undefined;
  const mo = MONTHS[m[3]!.toLowerCase()];
  if (mo === undefined) return undefined;
  const y = m[4] === undefined ? undefined : +m[4];
  return found(withYear(y, mo, +m[1]!, +m[5]!, +m[6]!, +m[7]!, fractionMs(m[8]), m[9] ?? m[10], tz, now), RE_DAY_MON_YEAR.lastIndex);
}

/** A clock without a date (log4j2's and logback's default layouts): the day nearest to `now`. */
function clockOnly(line: string, at: number, tz: string, now: number): FoundTime | undefined {
  RE_CLOCK_ONLY.lastIndex = at;
  const m = RE_CLOCK_ONLY.exec(line);
  if (!m) return kitchen(line, at, tz, now);
  const h = +m[1]!, mi = +m[2]!, s = +m[3]!;
  if (h > 23 || mi > 59 || s > 60) return { time: NaN, end: RE_CLOCK_ONLY.lastIndex };
  return { time: onNearestDay(h, mi, s, fractionMs(m[4]), m[5] ?? m[6], tz, now), end: RE_CLOCK_ONLY.lastIndex };
}

/** A wall clock on the day (yesterday, today or tomorrow, in the zone it is read in) that puts it nearest to `now`. */
function onNearestDay(h: number, mi: number, s: number, frac: number, zone: string | undefined, tz: string, now: number): number {
  const today = now + (zone === undefined ? zoneOffset(now, tz) : 0);
  const midnight = Math.floor(today / DAY_MS) * DAY_MS;
  if (midnight - DAY_MS >= YEAR_100 && midnight + 2 * DAY_MS <= YEAR_10000) {
    // What resolve makes of each day's fields (utcFromFields is its midnight plus the clock there),
    // without a Date and its fields per day: a clock-only stamp is every line of some layouts (logback's console).
    // Added in resolve's order (the whole milliseconds first, the fraction last), to the same bits.
    const clock = ((h * 60 + mi) * 60 + Math.min(s, 59)) * 1000;
    return nearest(now, (k) => instantOfWall(midnight + k * DAY_MS + clock + frac, zone, tz), DAY_SHIFTS);
  }
  return nearest(now, (k) => {
    const day = new Date(today + k * DAY_MS);
    return resolve(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, mi, s, frac, zone, tz);
  }, DAY_SHIFTS);
}

/** A 12-hour clock's hour (1-12) as a 24-hour one: 12 AM is 0, 12 PM is 12. */
function hour24(h12: number, pm: boolean): number {
  return (h12 % 12) + (pm ? 12 : 0);
}

/** Go's `time.Kitchen`, `3:04PM`: zerolog's console writer starts its lines with it by default. */
function kitchen(line: string, at: number, tz: string, now: number): FoundTime | undefined {
  RE_KITCHEN.lastIndex = at;
  const m = RE_KITCHEN.exec(line);
  if (!m) return undefined;
  const h12 = +m[1]!, mi = +m[2]!;
  if (h12 < 1 || h12 > 12 || mi > 59) return { time: NaN, end: RE_KITCHEN.lastIndex };
  return { time: onNearestDay(hour24(h12, m[3] === 'P'), mi, 0, 0, undefined, tz, now), end: RE_KITCHEN.lastIndex };
}

/**
 * Wall-clock fields to an instant: no year (`y` undefined) takes the latest that is not in the future (`yearless`); no zone
 * reads them in `timeZone`. NaN when the date cannot exist.
 */
export function timeFromFields(
  y: number | undefined, mo: number, d: number, h: number, mi: number, s: number, frac: number,
  zone: string | undefined, timeZone: string, now: number,
): number {
  return withYear(y, mo, d, h, mi, s, frac, zone, timeZone, now);
}

/** Fraction digits (`123456`) to milliseconds, kept to the microsecond. */
export { fractionMs };
