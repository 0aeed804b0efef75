import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecordBuilder, dayText, isoOf, newCounters } from '../../agents/record-builder.ts';
import { type RawLine } from '../../agents/source.ts';

const line = (text: string): RawLine => ({ text, origin: { kind: 'file', path: '/x.log', offset: 0 }, service: 'svc', host: 'h', observedMs: Date.parse('2026-11-24T12:00:00Z') });

test('a pino JSON line becomes a record with its time, severity, message and attributes', () => {
  const build = createRecordBuilder();
  const r = build(line('{"level":50,"time":1795560000123,"msg":"boom","orderId":7,"service":"pay"}'));
  assert.equal(r.body, 'boom');
  assert.equal(r.severity_number, 17);
  assert.equal(r.time, '2026-11-24T22:40:00.123Z');
  assert.equal(r.service, 'pay');
  assert.equal(r.attributes.orderId, '7');
});

test('a line no parser matches is kept whole, with the observed time', () => {
  const r = createRecordBuilder()(line('just some words'));
  assert.equal(r.body, 'just some words');
  assert.equal(r.time, '2026-11-24T12:00:00.000Z');
  assert.equal(r.severity_number, 0);
});

test('redaction runs before the record leaves, and is counted per rule', () => {
  const counters = newCounters();
  const r = createRecordBuilder(counters)(line('level=info msg="login" password=hunter2 url=https://bob:pw@example.com/'));
  assert.ok(!JSON.stringify(r).includes('hunter2'));
  assert.ok(!JSON.stringify(r).includes('bob:pw'));
  assert.ok(Object.values(counters.redactions).reduce((a, b) => a + b, 0) >= 2);
  const off = createRecordBuilder(newCounters(), { redaction: false })(line('password=hunter2'));
  assert.ok(off.body.includes('hunter2'));
});

test('the configured parser and time zone apply', () => {
  const build = createRecordBuilder(newCounters(), { parser: { type: 'regex', pattern: '^(?<time>\\S+ \\S+) (?<level>\\w+) (?<msg>.*)$' }, timeZone: 'Europe/Berlin' });
  const r = build(line('2026-11-24 10:00:00 WARN disk almost full'));
  assert.equal(r.time, '2026-11-24T09:00:00.000Z');
  assert.equal(r.severity_text, 'WARN');
  assert.equal(r.body, 'disk almost full');
});

test('microseconds survive into the record time', () => {
  assert.equal(isoOf(1700000000123.456), '2023-11-14T22:13:20.123456Z');
});

test('isoOf formats like toISOString across seconds, before 1970, and with two seconds interleaved', () => {
  const reference = (ms: number) => {
    const whole = Math.floor(ms);
    const micros = Math.round((ms - whole) * 1000);
    const iso = new Date(whole).toISOString();
    return micros <= 0 || micros >= 1000 ? iso : `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
  };
  const times = [0, 999, 1000, 1001, -1, -999, -1000, -1001, -0.5, 1.0005, 253402300799999, 253402300800000, -62167219200001, 8.64e15, -8.64e15];
  // A record's event time and its observed time alternate between two seconds.
  for (let i = 0; i < 5000; i++) times.push(1795564800000 + i * 7, 1700000000000 + i * 13 + 0.25, 1795564800999 - i);
  // Seconds that miss the two remembered ones: any instant Date can hold, days and years apart, and
  // hours, minutes and seconds across a day's edges.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 20_000; i++) times.push(Math.floor((random() * 2 - 1) * 8.64e15), Math.floor(random() * 4e12) + random() * 0.999);
  for (let day = -3; day <= 3; day++) for (const t of [0, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999]) times.push(1795564800000 + day * 86_400_000 + t, day * 86_400_000 + t);
  for (const ms of times) assert.equal(isoOf(ms), reference(ms), String(ms));
  for (const bad of [NaN, Infinity, 8.64e15 + 1]) assert.throws(() => isoOf(bad), RangeError);
});

test('a configured service is never replaced by a guess: a stamp followed by JSON keeps it (issue 9)', () => {
  const r = createRecordBuilder()(line('2026-11-29T04:56:40.316Z {"msg":"hello ...","pad":"x"}'));
  assert.equal(r.service, 'svc');
  assert.equal(r.body, 'hello ...');
  assert.equal(r.time, '2026-11-29T04:56:40.316Z');
  // Syslog under auto: the app name is an attribute, the configured service stays.
  const s = createRecordBuilder()(line('Nov 24 10:00:00 web-1 sshd[42]: Accepted publickey'));
  assert.equal(s.service, 'svc');
  assert.equal(s.attributes['syslog.appname'], 'sshd');
  // Only where the source says so: a syslog parser told to, or the line's own JSON `service` field.
  const told = createRecordBuilder(newCounters(), { parser: { type: 'syslog', app_as_service: true } })(line('Nov 24 10:00:00 web-1 sshd[42]: Accepted publickey'));
  assert.equal(told.service, 'sshd');
});

test('lines no format matches and impossible dates are kept whole with the time of reading, counted per source', () => {
  const counters = newCounters();
  const build = createRecordBuilder(counters, { source: 'app' });
  const a = build(line('\uFFFD\uFFFD binary \u0000 junk'));
  assert.equal(a.body, '\uFFFD\uFFFD binary \u0000 junk');
  assert.equal(a.time, a.observed_time);
  assert.equal(a.severity_number, 0);
  const b = build(line('2026-02-30 10:00:00 INFO no such day'));
  assert.equal(b.body, '2026-02-30 10:00:00 INFO no such day');
  assert.equal(b.time, b.observed_time);
  build(line('2026-11-24 10:00:00 INFO fine'));
  assert.deepEqual(counters.unmatched, { app: 1 });
  assert.deepEqual(counters.badTime, { app: 1 });
  assert.equal(counters.records, 3);
});

test('fields at their defaults are left out of the JSON, and a worker reads the record back whole', async () => {
  const { decodeLog } = await import('../../pipeline/transforms/decode.ts');
  const plain = createRecordBuilder()(line('2026-11-24T10:00:00Z INFO order 7 done'));
  const json = JSON.stringify(plain);
  for (const field of ['resource', 'trace_id', 'span_id']) assert.ok(!json.includes(`"${field}"`), `${field} left out: ${json}`);
  const d = decodeLog(Buffer.from(json), Date.parse('2026-11-25T00:00:00Z'));
  assert.ok(d.ok, JSON.stringify(d));
  assert.deepEqual([d.value.resource, d.value.trace_id, d.value.span_id], [{}, '', '']);
  assert.equal(d.value.body, 'order 7 done');

  // With a trace and a resource, both travel.
  const traced = createRecordBuilder(newCounters(), { resource: { 'deployment.environment': 'prod' } })(
    line('{"msg":"t","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}'),
  );
  const back = decodeLog(Buffer.from(JSON.stringify(traced)), Date.parse('2026-11-25T00:00:00Z'));
  assert.ok(back.ok);
  assert.deepEqual([back.value.resource, back.value.trace_id, back.value.span_id], [{ 'deployment.environment': 'prod' }, '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7']);
});

test('an attribute named __proto__ is kept and redacted like any other', () => {
  // Parsers keep such a key as an own property; redaction writes the masked value through it.
  for (const text of ['level=info msg=hi __proto__="postgres://app:s3cr3t@db:5432/x" constructor=1', '{"msg":"hi","__proto__":"postgres://app:s3cr3t@db:5432/x","constructor":1}']) {
    const r = createRecordBuilder()(line(text));
    assert.equal(r.attributes['__proto__'], 'postgres://app:***@db:5432/x', text);
    assert.equal(r.attributes.constructor, '1' as unknown, text);
    assert.ok(!JSON.stringify(r).includes('s3cr3t'), text);
    assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  }
});

test('the day of a time stamp is written as toISOString writes it, in every year', () => {
  // dayText works the date out by arithmetic for years 0000-9999; checked here against Date on a
  // day in every 997 and around each bound (the whole range was compared once: 3.8 million days).
  const DAY = 86_400_000;
  const days = [-719_529, -719_528, -719_527, -1, 0, 1, 11_016, 11_017, 2_932_895, 2_932_896, 2_932_897, -800_000, 3_000_000];
  for (let k = -720_000; k <= 2_940_000; k += 997) days.push(k);
  for (const k of days) assert.equal(dayText(k * DAY), new Date(k * DAY).toISOString().slice(0, -13), String(k));
  // Through isoOf, alternating between days (the remembered day must change with them).
  for (const t of [Date.UTC(2005, 5, 3, 15, 42, 50, 675.872), Date.UTC(2016, 1, 29, 23, 59, 59, 999), Date.UTC(1999, 11, 31), Date.UTC(2005, 5, 3, 15, 42, 51), Date.UTC(2400, 1, 29, 1)]) {
    assert.equal(isoOf(t), new Date(t).toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${t % 1 ? String(Math.round((t % 1) * 1000)).padStart(3, '0') : ''}Z`), String(t));
  }
});

test("MariaDB's general log: an entry without a time takes its file's last stamped one; another file's stamp is not it", () => {
  const build = createRecordBuilder(newCounters(), { timeZone: 'Europe/Paris' });
  const at = (text: string, path: string) => build({ ...line(text), origin: { kind: 'file', path, offset: 0 } }).time;
  assert.equal(at('\t\t    3 Query\tSELECT 0', '/a.log'), '2026-11-24T12:00:00.000Z', 'no stamp seen yet: the time it was read');
  assert.equal(at('261207 22:14:18\t     3 Connect\troot@localhost on shop using Socket', '/a.log'), '2026-12-07T21:14:18.000Z');
  assert.equal(at('\t\t     3 Query\tSELECT 1', '/a.log'), '2026-12-07T21:14:18.000Z');
  assert.equal(at('just some words', '/a.log'), '2026-11-24T12:00:00.000Z');
  assert.equal(at('\t\t     3 Query\tSELECT 2', '/a.log'), '2026-12-07T21:14:18.000Z', 'other lines between keep it');
  assert.equal(at('\t\t     9 Query\tSELECT 3', '/b.log'), '2026-11-24T12:00:00.000Z', "another file's entry does not take a.log's second");
  assert.equal(at('261207 22:15:00\t     9 Connect\tapp@localhost on  using TCP/IP', '/b.log'), '2026-12-07T21:15:00.000Z');
  assert.equal(at('\t\t     9 Quit\t', '/b.log'), '2026-12-07T21:15:00.000Z');
  assert.equal(at('\t\t     4 Quit\t', '/a.log'), '2026-12-07T21:14:18.000Z', 'each file its own');
});
