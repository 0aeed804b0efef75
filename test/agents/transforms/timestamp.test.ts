import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFormat, parseSyslogTime, parseTimestamp, parseWithFormat, readTime, wallToInstant, zoneOffset, isValidTimeZone } from '../../../agents/transforms/timestamp.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0); // 2026-11-24T12:00:00Z

test('parses the usual forms in auto mode', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['2026-11-24T10:00:00Z', Date.UTC(2026, 10, 24, 10)],
    ['2026-11-24T10:00:00.123Z', Date.UTC(2026, 10, 24, 10, 0, 0, 123)],
    ['2026-11-24T10:00:00.123456789Z', Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456],
    ['2026-11-24T10:00:00+02:00', Date.UTC(2026, 10, 24, 8)],
    ['2026-11-24T10:00:00-0530', Date.UTC(2026, 10, 24, 15, 30)],
    ['2026-11-24 10:00:00,250', Date.UTC(2026, 10, 24, 10, 0, 0, 250)],
    ['2026-11-24', Date.UTC(2026, 10, 24)],
    [1764000000, 1764000000000],
    [1764000000123, 1764000000123],
    [1764000000123456, 1764000000123.456],
    ['1764000000', 1764000000000],
    ['1764000000.5', 1764000000500],
    ['1764000000123456789', 1764000000123.456],
    ['Nov 24 10:00:00', Date.UTC(2026, 10, 24, 10)],
    ['Nov  4 10:00:00', Date.UTC(2026, 10, 4, 10)],
    ['24/Nov/2026:10:00:00 +0000', Date.UTC(2026, 10, 24, 10)],
    ['24/Nov/2026:10:00:00 -0700', Date.UTC(2026, 10, 24, 17)],
    ['2026-11-24 10:00:00.5 +0000 UTC', Date.UTC(2026, 10, 24, 10, 0, 0, 500)],
    ['2026-11-24 10:00:00 -0800 PST', Date.UTC(2026, 10, 24, 18)],
    ['2026-11-24 10:00:00 UTC', Date.UTC(2026, 10, 24, 10)],
    ['2026-11-24 10:00:00 PST', undefined],
    ['Tue, 24 Nov 2026 10:00:00 GMT', Date.UTC(2026, 10, 24, 10)],
    ['24 Nov 2026 10:00:00 +0100', Date.UTC(2026, 10, 24, 9)],
    ['not a time', undefined],
    ['2026-13-01T00:00:00Z', undefined],
    ['2026-02-30T00:00:00Z', undefined],
    ['2026-02-29', undefined],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2100-02-29', undefined],
    ['2026-04-31', undefined],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    ['', undefined],
    [null, undefined],
    [-5, undefined],
  ];
  for (const [input, want] of cases) {
    assert.equal(parseTimestamp(input, { now: NOW }), want, `input ${JSON.stringify(input)}`);
  }
});

test('explicit named formats read numbers in their unit', () => {
  assert.equal(parseTimestamp(1764000000, { format: 'epoch_ms' }), 1764000000);
  assert.equal(parseTimestamp('1764000000000000', { format: 'epoch_us' }), 1764000000000);
  assert.equal(parseTimestamp('1764000000000000000', { format: 'epoch_ns' }), 1764000000000);
  assert.equal(parseTimestamp('1764000000', { format: 'epoch_s' }), 1764000000000);
  assert.equal(parseTimestamp('Nov 24 10:00:00', { format: 'iso8601' }), undefined);
});

test('a syslog stamp without a year: late December read in January is last year\'s, January 1 read on New Year\'s Eve next year\'s', () => {
  const newYear = Date.UTC(2027, 0, 1, 0, 5);
  assert.equal(parseTimestamp('Dec 31 23:59:00', { now: newYear }), Date.UTC(2026, 11, 31, 23, 59));
  const lateDec = Date.UTC(2026, 11, 31, 23, 59);
  assert.equal(parseTimestamp('Jan  1 00:01:00', { now: lateDec }), Date.UTC(2027, 0, 1, 0, 1));
  assert.equal(parseTimestamp('Jun 15 12:00:00', { now: NOW }), Date.UTC(2026, 5, 15, 12));
});

test('strftime-like formats', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['%Y-%m-%d %H:%M:%S.%f', '2026-11-24 10:00:00.123456', Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456],
    ['%Y-%m-%d %H:%M:%S', '2026-11-24 10:00:00', Date.UTC(2026, 10, 24, 10)],
    ['%d/%m/%Y %I:%M:%S %p', '24/11/2026 01:30:00 PM', Date.UTC(2026, 10, 24, 13, 30)],
    ['%d/%m/%Y %I:%M:%S %p', '24/11/2026 12:30:00 AM', Date.UTC(2026, 10, 24, 0, 30)],
    ['%a %b %e %T %Y', 'Tue Nov  3 10:00:00 2026', Date.UTC(2026, 10, 3, 10)],
    ['%F %T%z', '2026-11-24 10:00:00+0100', Date.UTC(2026, 10, 24, 9)],
    ['%F %T %Z', '2026-11-24 10:00:00 UTC', Date.UTC(2026, 10, 24, 10)],
    ['%F %T %Z', '2026-07-01 10:00:00 Europe/Berlin', Date.UTC(2026, 6, 1, 8)],
    ['%y%m%d %H:%M:%S', '261124 10:00:00', Date.UTC(2026, 10, 24, 10)],
    ['%s', '1764000000', 1764000000000],
    ['%b %d %H:%M:%S', 'Nov 24 10:00:00', Date.UTC(2026, 10, 24, 10)],
    ['%Y-%j', '2026-032', Date.UTC(2026, 1, 1)],
    ['%Y-%m-%d %H:%M:%S', '2026-11-24T10:00:00', undefined],
    ['%Y-%m-%d %H:%M:%S,%L', '2026-11-24 10:00:00,007', Date.UTC(2026, 10, 24, 10, 0, 0, 7)],
  ];
  for (const [format, text, want] of cases) {
    assert.equal(parseTimestamp(text, { format, now: NOW }), want, `${format} on ${text}`);
  }
});

test('format strings are checked', () => {
  assert.equal(checkFormat('auto'), undefined);
  assert.equal(checkFormat('%Y-%m-%d'), undefined);
  assert.match(checkFormat('%Q') ?? '', /unknown directive %Q/);
  assert.match(checkFormat('yyyy-mm-dd') ?? '', /must be one of/);
});

test('local times in a time zone, across daylight saving changes', () => {
  const ny = 'America/New_York';
  const berlin = 'Europe/Berlin';
  const cases: Array<[string, string, string | undefined]> = [
    // Winter and summer offsets.
    ['2026-01-15 12:00:00', ny, '2026-01-15T17:00:00.000Z'],
    ['2026-07-15 12:00:00', ny, '2026-07-15T16:00:00.000Z'],
    ['2026-01-15 12:00:00', berlin, '2026-01-15T11:00:00.000Z'],
    ['2026-07-15 12:00:00', berlin, '2026-07-15T10:00:00.000Z'],
    // New York springs forward at 2026-03-08 02:00 local: 01:59 is EST, 03:00 is EDT.
    ['2026-03-08 01:59:00', ny, '2026-03-08T06:59:00.000Z'],
    ['2026-03-08 03:00:00', ny, '2026-03-08T07:00:00.000Z'],
    // 02:30 never happens; read with the offset before the change (shifted forward, like Temporal).
    ['2026-03-08 02:30:00', ny, '2026-03-08T07:30:00.000Z'],
    // Falls back at 2026-11-01 02:00 EDT: 01:30 happens twice; the earlier (EDT) one is taken.
    ['2026-11-01 01:30:00', ny, '2026-11-01T05:30:00.000Z'],
    ['2026-11-01 02:30:00', ny, '2026-11-01T07:30:00.000Z'],
    // Berlin: forward 2026-03-29 02:00 -> 03:00, back 2026-10-25 03:00 -> 02:00.
    ['2026-03-29 01:59:59', berlin, '2026-03-29T00:59:59.000Z'],
    ['2026-03-29 03:00:00', berlin, '2026-03-29T01:00:00.000Z'],
    ['2026-10-25 02:30:00', berlin, '2026-10-25T00:30:00.000Z'],
    ['2026-10-25 03:30:00', berlin, '2026-10-25T02:30:00.000Z'],
    // Half-hour zone without DST.
    ['2026-06-01 12:00:00', 'Asia/Kolkata', '2026-06-01T06:30:00.000Z'],
    // Southern hemisphere: Sydney is on daylight time in January.
    ['2026-01-15 12:00:00', 'Australia/Sydney', '2026-01-15T01:00:00.000Z'],
  ];
  for (const [text, tz, want] of cases) {
    for (const format of ['auto', '%Y-%m-%d %H:%M:%S']) {
      const t = parseTimestamp(text, { format, timeZone: tz });
      assert.equal(t === undefined ? undefined : new Date(t).toISOString(), want, `${text} in ${tz} (${format})`);
    }
  }
  // An explicit offset wins over the configured zone.
  assert.equal(parseTimestamp('2026-07-15T12:00:00Z', { timeZone: ny }), Date.UTC(2026, 6, 15, 12));
});

test('the syslog year rule works in a time zone too', () => {
  const t = parseTimestamp('Nov 24 10:00:00', { timeZone: 'Europe/Berlin', now: NOW });
  assert.equal(t, Date.UTC(2026, 10, 24, 9));
});

test('zone helpers agree with each other', () => {
  assert.equal(isValidTimeZone('Europe/Berlin'), true);
  assert.equal(isValidTimeZone('Mars/Olympus'), false);
  for (let h = 0; h < 72; h++) {
    const t = Date.UTC(2026, 2, 28) + h * 3_600_000;
    const off = zoneOffset(t, 'Europe/Berlin');
    assert.equal(wallToInstant(t + off, 'Europe/Berlin'), t, `hour ${h}`);
  }
});

test('readTime: the common ISO stamp read digit by digit ends and resolves where the full pattern does', () => {
  // Europe/Berlin is UTC+1 in November: a stamp read without its zone lands an hour earlier.
  const utc10 = Date.UTC(2026, 10, 24, 10), local10 = Date.UTC(2026, 10, 24, 9);
  const cases: Array<[string, number, number]> = [
    ['2026-11-24T10:00:00.123Z INFO', utc10 + 123, 24],
    ['2026-11-24t10:00:00.123456789z', utc10 + 123.456, 30],
    ['2026-11-24 10:00:00,5 x', local10 + 500, 21],
    // What the shortcut must leave to the pattern: `Z` before a digit or `:` is no zone, a point
    // without digits no fraction, ten digits one too many, and zones after a space or an offset.
    ['2026-11-24T10:00:00Z1', local10, 19],
    ['2026-11-24T10:00:00Z:', local10, 19],
    ['2026-11-24T10:00:00. x', local10, 19],
    ['2026-11-24T10:00:00.1234567891 x', local10 + 123.456, 29],
    ['2026-11-24 10:00:00 +0000 x', utc10, 25],
    ['2026-11-24 10:00:00 UTC x', utc10, 23],
    ['2026-11-24 10:00:00 Z', utc10, 21],
    ['2026-11-24 10:00:00 z x', utc10, 21],
    ['2026-11-24T10:00:00+01:00', local10, 25],
    ['2026-11-24T10:00:00-0100 x', utc10 + 3_600_000, 24],
    // An offset before `: ` (JDK 8's GC log, -XX:+PrintGCDateStamps); before a colon and more, none.
    ['2026-11-24T10:00:00.123+0000: 12.345: [GC (Allocation Failure) ...]', utc10 + 123, 28],
    ['2026-11-24T10:00:00+01:00: x', local10, 25],
    ['2026-11-24T10:00:00+0100:x', local10, 19],
    // The year between the day and the clock (CEF's `rt`, Cisco ASA's `logging timestamp`).
    ['Nov 24 2026 10:00:00 x', local10, 20],
    ['Nov 24 2026 10:00:00.5 GMT x', utc10 + 500, 26],
  ];
  for (const [line, time, end] of cases) assert.deepEqual(readTime(line, 0, 'Europe/Berlin', NOW), { time, end }, line);
  assert.deepEqual(readTime('x 2026-11-24T10:00:00Z', 2, 'UTC', NOW), { time: utc10, end: 22 });
  assert.ok(Number.isNaN(readTime('2026-02-30T00:00:00Z', 0, 'UTC', NOW)!.time));
  // parseIso through parseTimestamp: only a stamp that is the whole text.
  assert.equal(parseTimestamp('2026-11-24T10:00:00.5Z'), utc10 + 500);
  assert.equal(parseTimestamp('2026-11-24T10:00:00Z1'), undefined);
  assert.equal(parseTimestamp('2026-11-24 10:00:00.25', { timeZone: 'Europe/Berlin' }), local10 + 250);
  assert.equal(parseTimestamp('2026-11-24T10:00:00.5 +0100'), local10 + 500);
});

test('readTime: an hour of one digit, space-padded as MariaDB writes it, and only where a clock follows', () => {
  assert.deepEqual(readTime('2026-11-24  9:30:05 0 [Note] x', 0, 'UTC', NOW), { time: Date.UTC(2026, 10, 24, 9, 30, 5), end: 19 });
  assert.deepEqual(readTime('2026-11-24 9:30:05.250 x', 0, 'UTC', NOW), { time: Date.UTC(2026, 10, 24, 9, 30, 5, 250), end: 22 });
  assert.deepEqual(readTime('2026-11-24  9:30:05 +0100', 0, 'UTC', NOW), { time: Date.UTC(2026, 10, 24, 8, 30, 5), end: 25 });
  // A second digit makes it the usual stamp; three spaces, or a date alone, are no stamp of this kind.
  assert.equal(readTime('2026-11-24   9:30:05', 0, 'UTC', NOW), undefined);
  assert.equal(readTime('2026-11-24  99 bottles', 0, 'UTC', NOW), undefined);
});

test('readTime: day, month name and year apart by spaces (Redis, RFC 2822 without a weekday)', () => {
  assert.deepEqual(readTime('02 Dec 2026 03:44:22.123 * Ready', 0, 'UTC', NOW), { time: Date.UTC(2026, 11, 2, 3, 44, 22, 123), end: 24 });
  assert.deepEqual(readTime('2 Dec 2026 03:44:22 +0100 x', 0, 'UTC', NOW), { time: Date.UTC(2026, 11, 2, 2, 44, 22), end: 25 });
  // Redis before 4.0 writes no year: the latest that is not in the future, as for syslog's stamps.
  assert.deepEqual(readTime('09 Nov 15:07:53.265 * Ready', 0, 'UTC', NOW), { time: Date.UTC(2026, 10, 9, 15, 7, 53, 265), end: 19 });
  assert.equal(readTime('09 Jan 15:07:53.265 * Ready', 0, 'UTC', NOW)!.time, Date.UTC(2026, 0, 9, 15, 7, 53, 265));
  assert.equal(readTime('24-Nov 10:00:00', 0, 'UTC', NOW), undefined);
  // The separators agree, as before: `02 Dec-2026` is none.
  assert.equal(readTime('02 Dec-2026 03:44:22', 0, 'UTC', NOW), undefined);
  assert.equal(readTime('02 Foo 2026 03:44:22', 0, 'UTC', NOW), undefined);
});

test("readTime: java.util.logging's stamp, with its 12-hour clock", () => {
  assert.deepEqual(readTime('Dec 02, 2026 3:44:22 AM org.x.Y start', 0, 'UTC', NOW), { time: Date.UTC(2026, 11, 2, 3, 44, 22), end: 23 });
  assert.equal(readTime('Dec 02, 2026 3:44:22 PM x', 0, 'UTC', NOW)!.time, Date.UTC(2026, 11, 2, 15, 44, 22));
  assert.equal(readTime('Dec 2, 2026 12:00:01 AM x', 0, 'UTC', NOW)!.time, Date.UTC(2026, 11, 2, 0, 0, 1));
  assert.equal(readTime('Dec 2, 2026 12:00:01 PM x', 0, 'UTC', NOW)!.time, Date.UTC(2026, 11, 2, 12, 0, 1));
  assert.equal(readTime('Dec 02, 2026 13:00:00 PM x', 0, 'UTC', NOW), undefined);
  assert.equal(readTime('Foo 02, 2026 3:44:22 AM x', 0, 'UTC', NOW), undefined);
});

test('stamps of one day, the next and the one before, in turn: each keeps its own date', () => {
  // The day's midnight is remembered between calls; a stale one would put a stamp on the wrong day.
  const stamps: Array<[string, number]> = [
    ['2026-11-24T10:00:00Z', Date.UTC(2026, 10, 24, 10)],
    ['2026-11-24T23:59:59.999Z', Date.UTC(2026, 10, 24, 23, 59, 59, 999)],
    ['2026-11-25T00:00:01Z', Date.UTC(2026, 10, 25, 0, 0, 1)],
    ['2026-11-24T24:00:00Z', Date.UTC(2026, 10, 25)],
    ['2026-12-24T10:00:00Z', Date.UTC(2026, 11, 24, 10)],
    ['2027-11-24T10:00:00Z', Date.UTC(2027, 10, 24, 10)],
    ['2026-11-24T10:00:00Z', Date.UTC(2026, 10, 24, 10)],
    ['0099-11-24T10:00:00Z', new Date(Date.UTC(2000, 10, 24, 10)).setUTCFullYear(99)],
  ];
  for (const [text, want] of stamps) assert.equal(parseTimestamp(text), want, text);
});

test('a stamp without a year takes the latest year that does not put it in the future (two days ahead still count)', () => {
  // NOW is 2026-11-24 (a leap year is 2028; the last one before now 2024).
  const cases: Array<[string, number]> = [
    ['May 20 10:00:00', Date.UTC(2026, 4, 20, 10)],
    ['Jan  5 10:00:00', Date.UTC(2026, 0, 5, 10)],
    ['Nov 24 10:00:00', Date.UTC(2026, 10, 24, 10)],
    ['Nov 26 09:00:00', Date.UTC(2026, 10, 26, 9)],
    // Eight days ahead is not now: last year's.
    ['Dec  2 10:00:00', Date.UTC(2025, 11, 2, 10)],
    ['Feb 29 10:00:00', Date.UTC(2024, 1, 29, 10)],
  ];
  for (const [text, want] of cases) {
    assert.equal(parseTimestamp(text, { now: NOW }), want, text);
    assert.equal(readTime(`${text} host app: msg`, 0, 'UTC', NOW)?.time, want, text);
  }
});

test('a year-less stamp takes the year of each call\'s own now, one call after the other', () => {
  // The year of `now` is remembered for the last now: a new now must give its own year.
  const nows = [Date.UTC(2026, 5, 1), Date.UTC(2031, 5, 1), Date.UTC(2031, 5, 1, 0, 0, 1), Date.UTC(2026, 5, 1), Date.UTC(1999, 5, 1)];
  for (const now of nows) {
    const want = Date.UTC(new Date(now).getUTCFullYear(), 5, 2, 10);
    assert.equal(parseSyslogTime('Jun  2 10:00:00', 'UTC', now), want, String(now));
    assert.equal(readTime('Jun  2 10:00:00 host app: x', 0, 'UTC', now)?.time, want, String(now));
    assert.equal(parseWithFormat('06-02 10:00', '%m-%d %H:%M', 'UTC', now), want, String(now));
  }
});

test("an epoch stamp may be followed by `: ` (Mosquitto), not by a colon and more digits", () => {
  assert.deepEqual(readTime('1700000000: New connection', 0, 'UTC', NOW), { time: 1700000000000, end: 10 });
  assert.equal(readTime('1700000000:5 ratio', 0, 'UTC', NOW), undefined);
  assert.equal(readTime('1700000000123:x', 0, 'UTC', NOW), undefined);
});

test('readTime: a clock without a date takes the day nearest to now, as the same clock with each date would read', () => {
  // The day is yesterday, today or tomorrow in the zone the clock is read in (or its own zone's),
  // whichever puts it nearest to now; each candidate is read here as a full ISO stamp (another path).
  const localDate = (t: number, tz: string) => new Date(t).toLocaleDateString('en-CA', { timeZone: tz }); // YYYY-MM-DD
  const addDays = (date: string, k: number) => new Date(Date.parse(`${date}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10);
  const days = ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01', '2026-11-24', '2024-02-29', '2026-12-31'];
  const clocks = ['00:00:00', '01:30:00.5', '02:30:00', '03:00:00', '12:00:00.123456', '23:59:59.999', '23:30:00'];
  let checked = 0;
  for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
    for (const day of days) {
      for (let h = -2; h < 28; h += 3) {
        const now = Date.parse(`${day}T00:00:00Z`) + h * 3_600_000 + 17 * 60_000;
        for (const clock of clocks) {
          for (const zone of ['', 'Z', '+01:00']) {
            const got = readTime(`${clock}${zone} INFO [main] a.B - x`, 0, tz, now);
            // With its own zone the clock's day is the UTC day at now (no zone to shift it by).
            const base = zone === '' ? localDate(now, tz) : new Date(now).toISOString().slice(0, 10);
            let best = NaN;
            for (const k of [-1, 0, 1]) {
              const t = readTime(`${addDays(base, k)}T${clock}${zone}`, 0, tz, now)!.time;
              if (Number.isNaN(best) || Math.abs(t - now) < Math.abs(best - now)) best = t;
            }
            assert.equal(got?.time, best, `${clock}${zone} in ${tz} at ${new Date(now).toISOString()}`);
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 5_000, `${checked}`);
});

test('wallToInstant: wall times one after another in a quarter hour, across clock changes and local mean time, as each alone', () => {
  // The answer's definition (wallToInstant's own rule), from zoneOffset alone: the earlier of the
  // offsets a day before and after that hold at their instants, else the one before.
  const reference = (wall: number, tz: string) => {
    const before = zoneOffset(wall - 86_400_000, tz), after = zoneOffset(wall + 86_400_000, tz);
    const ok1 = zoneOffset(wall - before, tz) === before, ok2 = zoneOffset(wall - after, tz) === after;
    if (ok1 && ok2) return Math.min(wall - before, wall - after);
    return ok1 || !ok2 ? wall - before : wall - after;
  };
  const starts = [
    ['Europe/Berlin', '2026-03-29T01:00:00Z'], ['Europe/Berlin', '2026-10-25T01:00:00Z'], ['America/New_York', '2026-03-08T01:00:00Z'],
    ['America/New_York', '2026-11-01T00:30:00Z'], ['Australia/Lord_Howe', '2026-04-05T01:00:00Z'], ['Asia/Kathmandu', '2026-06-01T00:00:00Z'],
    // Local mean time (Berlin's +0:53:28 until 1893-04-01) and the change from it.
    ['Europe/Berlin', '1890-06-01T00:00:00Z'], ['Europe/Berlin', '1893-03-31T23:00:00Z'], ['Europe/Amsterdam', '1937-06-30T23:00:00Z'],
  ] as const;
  let checked = 0;
  for (const [tz, start] of starts) {
    // Every 7.3 s for three hours of wall time, each with a fraction: many walls per quarter hour.
    for (let wall = Date.parse(start); wall < Date.parse(start) + 3 * 3_600_000; wall += 7_300.123) {
      assert.equal(wallToInstant(wall, tz), reference(wall, tz), `${new Date(wall).toISOString()} in ${tz}`);
      checked++;
    }
  }
  assert.ok(checked > 10_000, `${checked}`);
  // One instant asked of several zones in turn: each its own offset.
  const june = Date.UTC(2026, 5, 1, 12, 7);
  const zones = [['Europe/Berlin', 2], ['Asia/Kolkata', 5.5], ['America/New_York', -4]] as const;
  for (let i = 0; i < 3; i++) for (const [tz, hours] of zones) assert.equal(zoneOffset(june + i, tz), hours * 3_600_000, tz);
  for (let i = 0; i < 3; i++) for (const [tz, hours] of zones) assert.equal(wallToInstant(june + i, tz), june + i - hours * 3_600_000, tz);
});
