import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ConfigIssue } from '../../../core/config/loader.ts';
import { type LogRecord } from '../../../core/contracts/records.ts';
import { createKeep, createRecordBuilder, newCounters } from '../../../agents/record-builder.ts';
import { checkFilter, compileFilter, type FilterConfig } from '../../../agents/transforms/filter.ts';
import { loadAgentConfig } from '../../../agents/config.ts';

const record = (over: Partial<LogRecord> = {}): LogRecord => ({
  v: 1,
  time: '2026-12-08T00:00:00.000Z',
  observed_time: '2026-12-08T00:00:00.000Z',
  service: 'web',
  host: 'h1',
  severity_text: 'INFO',
  severity_number: 9,
  body: 'GET /api/orders 200',
  attributes: {},
  origin: { kind: 'file', path: '/var/log/web.log', offset: 0 },
  ...over,
});

const passes = (f: FilterConfig | FilterConfig[], r: LogRecord): boolean => {
  const keep = compileFilter(Array.isArray(f) ? f : [f]);
  assert.ok(keep, 'a filter that drops something compiles to a predicate');
  return keep(r);
};

test('no filter, or one that drops nothing, compiles to nothing: an agent without one tests no record', () => {
  assert.equal(compileFilter([]), undefined);
  assert.equal(compileFilter([{}, undefined]), undefined);
  assert.equal(compileFilter([{ keep_unspecified: true, drop: [], keep: [] }]), undefined);
});

test('min_severity drops what is below it; a record of unknown severity is kept unless keep_unspecified is false', () => {
  const f: FilterConfig = { min_severity: 'warn' };
  assert.equal(passes(f, record({ severity_text: 'DEBUG', severity_number: 5 })), false);
  assert.equal(passes(f, record({ severity_text: 'INFO', severity_number: 9 })), false);
  assert.equal(passes(f, record({ severity_text: 'WARN', severity_number: 13 })), true);
  assert.equal(passes(f, record({ severity_text: 'ERROR2', severity_number: 18 })), true);
  assert.equal(passes(f, record({ severity_text: 'UNSPECIFIED', severity_number: 0 })), true);
  assert.equal(passes({ ...f, keep_unspecified: false }, record({ severity_text: 'UNSPECIFIED', severity_number: 0 })), false);
  // The number decides: the sources give a record that has only a word the number it means
  // (test/agents/sources/otlp.test.ts for OTLP senders that set severityText alone).
  assert.equal(passes(f, record({ severity_text: 'DEBUG', severity_number: 5 })), false);
  assert.equal(passes({ ...f, keep_unspecified: false }, record({ severity_text: 'ERROR', severity_number: 0 })), false);
  // Words the agent reads, in any case, and numbers.
  for (const min of ['Warning', 'W', 'WRN', 13, '13']) {
    assert.equal(passes({ min_severity: min }, record({ severity_number: 12 })), false, String(min));
    assert.equal(passes({ min_severity: min }, record({ severity_number: 13 })), true, String(min));
  }
});

test('a drop rule needs every one of its fields to match; any rule drops; a field the record lacks does not match', () => {
  const f: FilterConfig = {
    drop: [
      { body: '^GET /(healthz?|ready)\\b', 'attributes.http.user_agent': 'kube-probe' },
      { service: '^noisy-' },
    ],
  };
  const probe = record({ body: 'GET /healthz 200', attributes: { 'http.user_agent': 'kube-probe/1.29' } });
  assert.equal(passes(f, probe), false);
  // The same path from a browser: only one of the rule's two fields matches.
  assert.equal(passes(f, record({ body: 'GET /healthz 200', attributes: { 'http.user_agent': 'Mozilla/5.0' } })), true);
  // No user agent at all: the rule cannot be met.
  assert.equal(passes(f, record({ body: 'GET /healthz 200' })), true);
  assert.equal(passes(f, record({ service: 'noisy-cron' })), false);
  assert.equal(passes(f, record({ service: 'not-noisy' })), true);
});

test('keep rules: a record must meet one of them; fields of the resource, origin, trace and severity text', () => {
  const f: FilterConfig = { keep: [{ 'resource.deployment.environment': '^prod$' }, { 'origin.path': '/audit/' }, { trace_id: '.' }] };
  assert.equal(passes(f, record({ resource: { 'deployment.environment': 'prod' } })), true);
  assert.equal(passes(f, record({ resource: { 'deployment.environment': 'staging' } })), false);
  assert.equal(passes(f, record()), false);
  assert.equal(passes(f, record({ origin: { kind: 'file', path: '/var/log/audit/a.log', offset: 0 } })), true);
  assert.equal(passes(f, record({ trace_id: '0af7651916cd43dd8448eb211c80319c' })), true);
  assert.equal(passes(f, record({ trace_id: '' })), false);
  assert.equal(passes({ drop: [{ severity_text: '^(DEBUG|TRACE)' }] }, record({ severity_text: 'DEBUG3' })), false);
  assert.equal(passes({ drop: [{ 'origin.kind': '^syslog$' }] }, record({ origin: { kind: 'syslog', offset: 1 } })), false);
  // A key named like one of Object's own is a key like any other: absent unless the record has it.
  assert.equal(passes({ drop: [{ 'attributes.constructor': 'function' }, { 'resource.toString': '.' }] }, record({ resource: {} })), true);
  assert.equal(passes({ drop: [{ 'attributes.constructor': '^web$' }] }, record({ attributes: { constructor: 'web' } })), false);
});

test("filters in a row: a record passes only when it passes each (the agent's, then the source's)", () => {
  const agent: FilterConfig = { min_severity: 'INFO' };
  const source: FilterConfig = { drop: [{ body: 'GET /healthz' }] };
  assert.equal(passes([agent, source], record({ severity_number: 5 })), false);
  assert.equal(passes([agent, source], record({ body: 'GET /healthz 200' })), false);
  assert.equal(passes([agent, source], record()), true);
});

test('mistakes are named with their path: an unknown severity or field, a broken regular expression', () => {
  const issues: ConfigIssue[] = [];
  checkFilter({ min_severity: 'loud', drop: [{ bodyy: 'x' }], keep: [{ body: '(' }] }, 'sources.web.filter', issues);
  checkFilter({ min_severity: 30 }, 'transforms.filter', issues);
  checkFilter({ drop: [{ 'attributes.': 'x', 'resource.region': '^eu-' }] }, 'transforms.filter', issues);
  checkFilter({ sample: [{ rate: 10, when: { service: '[' } }] }, 'transforms.filter', issues);
  assert.deepEqual(
    issues.map((i) => i.path),
    ['sources.web.filter.min_severity', 'sources.web.filter.drop[0].bodyy', 'sources.web.filter.keep[0].body', 'transforms.filter.min_severity', 'transforms.filter.drop[0].attributes.', 'transforms.filter.sample[0].when.service'],
  );
  assert.match(issues[0]!.message, /unknown severity "loud"/);
  assert.match(issues[1]!.message, /unknown field "bodyy".*attributes\.<key>/);
  assert.match(issues[2]!.message, /not a valid regular expression/);
  assert.throws(() => compileFilter([{ min_severity: 'loud' }]), /min_severity: unknown severity "loud"/);
});

test('createKeep counts what it drops under the source', () => {
  const counters = newCounters();
  const keep = createKeep(counters, { source: 'web', filter: [{ min_severity: 'ERROR' }] })!;
  assert.deepEqual([keep(record()), keep(record({ severity_number: 17 })), keep(record({ severity_number: 1 }))], [false, true, false]);
  assert.deepEqual(counters.filtered, { web: 2 });
  assert.equal(createKeep(counters, { source: 'web' }), undefined);
});

// Real logs: the Loghub samples' structured files give each line's level as the dataset's authors
// read it, apart from our parsers. min_severity WARN must keep exactly the lines they call WARN and
// above, whatever form the line writes it in.
const LEVEL_NUMBER: Record<string, number> = { INFO: 9, WARN: 13, WARNING: 13, ERROR: 17, SEVERE: 17, FATAL: 21 };

/** The first `n` fields of a CSV row (quoted fields may hold commas: Hadoop's `"18:01:47,978"`). */
function csvFields(row: string, n: number): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^,]*)/y;
  for (let at = 0; out.length < n && at <= row.length; ) {
    re.lastIndex = at;
    const m = re.exec(row)!;
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
    at = re.lastIndex + 1;
  }
  return out;
}

function structuredLevels(csv: string): string[] {
  const [head, ...rows] = csv.split('\n').filter(Boolean);
  const level = head!.split(',').indexOf('Level');
  // Level sits before the free-text Content column in each of these files.
  return rows.map((r) => csvFields(r, level + 1)[level]!);
}

for (const system of ['Hadoop', 'HDFS', 'OpenStack']) {
  test(`real logs: min_severity WARN over ${system}'s 2,000 lines keeps exactly the lines Loghub's ground truth calls WARN or worse`, () => {
    const dir = fileURLToPath(new URL(`../../../../shared/data/loghub-2k/${system}/`, import.meta.url));
    const lines = readFileSync(`${dir}${system}_2k.log`, 'utf8').split('\n').filter(Boolean);
    const levels = structuredLevels(readFileSync(`${dir}${system}_2k.log_structured.csv`, 'utf8'));
    assert.equal(levels.length, lines.length);
    const counters = newCounters();
    const build = createRecordBuilder(counters, { source: system, filter: [{ min_severity: 'WARN', keep_unspecified: false }] });
    const kept: number[] = [];
    lines.forEach((text, i) => {
      const r = build({ text, origin: { kind: 'file', path: `/${system}.log`, offset: i }, service: system, host: 'h', observedMs: 0 });
      if (build.keep!(r)) kept.push(i);
    });
    const expected = levels.flatMap((l, i) => (LEVEL_NUMBER[l]! >= 13 ? [i] : []));
    assert.ok(expected.length > 0 && expected.length < lines.length, `${system} has lines on both sides`);
    assert.deepEqual(kept, expected);
    assert.equal(counters.filtered[system], lines.length - expected.length);
  });
}

test('sample: 1 in rate of the records its rule meets, marked with the rate; the first rule met decides; records the rules drop are not counted in', () => {
  const keep = compileFilter([{ min_severity: 'INFO', sample: [{ rate: 10, when: { service: '^noisy$' } }, { rate: 4 }] }])!;
  const noisy = Array.from({ length: 1000 }, (_, i) => record({ service: 'noisy', body: `tick ${i}` }));
  // DEBUG records in between are dropped by min_severity before sampling, and do not take a turn.
  const kept = noisy.filter((r) => {
    assert.equal(keep(record({ service: 'noisy', severity_number: 5 })), false);
    return keep(r);
  });
  assert.equal(kept.length, 100);
  assert.ok(kept.every((r) => r.attributes['tributary.sample_rate'] === '10'));
  assert.ok(noisy.filter((r) => !kept.includes(r)).every((r) => r.attributes['tributary.sample_rate'] === undefined), 'a dropped record is not marked');
  const others = Array.from({ length: 1000 }, () => record({ service: 'web' })).filter(keep);
  assert.equal(others.length, 250);
  assert.ok(others.every((r) => r.attributes['tributary.sample_rate'] === '4'));
  // rate 1 keeps all, unmarked.
  const all = compileFilter([{ sample: [{ rate: 1 }] }])!;
  const one = record();
  assert.equal(all(one), true);
  assert.equal(one.attributes['tributary.sample_rate'], undefined);
});

test('sample: records of a trace are kept or dropped together, the same in every agent (by the trace id), about 1 in rate of the traces', () => {
  const traces = Array.from({ length: 4000 }, (_, i) => Buffer.from(`${i}`.padStart(16, 'x')).toString('hex').slice(0, 16) + (i * 2654435761 >>> 0).toString(16).padStart(8, '0') + (i * 40503 >>> 0).toString(16).padStart(8, '0'));
  const a = compileFilter([{ sample: [{ rate: 8 }] }])!;
  const b = compileFilter([{ sample: [{ rate: 8 }] }])!;
  let traced = 0;
  for (const id of traces) {
    // Two agents, each with records of the trace among others: the same verdict for every record of it.
    b(record({ body: 'an untraced record in between' }));
    const verdicts = [a(record({ trace_id: id })), a(record({ trace_id: id, body: 'second' })), b(record({ trace_id: id }))];
    assert.ok(verdicts.every((v) => v === verdicts[0]), id);
    if (verdicts[0]) traced++;
  }
  assert.ok(traced > 4000 / 8 * 0.8 && traced < 4000 / 8 * 1.2, `${traced} of 4,000 traces kept at 1 in 8`);
  // An id that is not hex falls back to turns rather than dropping every such record.
  const c = compileFilter([{ sample: [{ rate: 2 }] }])!;
  assert.equal(Array.from({ length: 10 }, () => c(record({ trace_id: 'not-a-hex-trace-id' }))).filter(Boolean).length, 5);
});

test("real logs: the example config's health-check rule over nginx's own access log drops exactly Kubernetes' probes of /healthz and /readyz (test/fixtures/programs/nginx-health-checks.log)", () => {
  const example = loadAgentConfig(fileURLToPath(new URL('../../../agents/example-config.yaml', import.meta.url)), { HOSTNAME: 'h' });
  const src = example.sources.app_logs!;
  assert.ok(src.type === 'file' && src.filter?.drop?.length, 'the example config has a source filter');
  const lines = readFileSync(fileURLToPath(new URL('../../fixtures/programs/nginx-health-checks.log', import.meta.url)), 'utf8').split('\n').filter(Boolean);
  // Told from the raw line, apart from any parser: the probe's user agent on exactly those paths.
  const probe = (l: string) => /"GET \/(healthz|readyz) HTTP\/1\.1" .* "kube-probe\//.test(l);
  const counters = newCounters();
  const build = createRecordBuilder(counters, { source: 'app_logs', filter: [src.filter!] });
  const kept = lines.filter((text, i) => build.keep!(build({ text, origin: { kind: 'file', path: '/var/log/nginx/access.log', offset: i }, service: 'web', host: 'h', observedMs: 0 })));
  assert.deepEqual(kept, lines.filter((l) => !probe(l)));
  assert.equal(lines.length - kept.length, 20);
  assert.ok(kept.some((l) => l.includes('"GET /healthz HTTP/1.1" 200 3 "-" "curl/')), "a person's check of /healthz is kept");
  assert.equal(counters.filtered.app_logs, 20);
});

test('throttle: at most limit records per window for each key, the rest dropped and counted apart; a new window starts the counts again; applied after the rules', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 11, 8, 2, 0, 0) });
  const counters = newCounters();
  const keep = createKeep(counters, { source: 'web', filter: [{ drop: [{ body: '^noise' }], throttle: { limit: 3, window_ms: 1000, by: ['service', 'attributes.pod'] } }] })!;
  const burst = (service: string, pod: string | undefined, n: number) => Array.from({ length: n }, () => keep(record({ service, attributes: pod === undefined ? {} : { pod } }))).filter(Boolean).length;
  // Dropped by a rule: does not count toward the limit.
  assert.equal(keep(record({ body: 'noise 1' })), false);
  assert.deepEqual([burst('crashy', 'a', 10), burst('crashy', 'b', 2), burst('calm', 'a', 3), burst('calm', undefined, 5)], [3, 2, 3, 3]);
  assert.deepEqual([counters.throttled, counters.filtered], [{ web: 7 + 2 }, { web: 1 }]);
  // 999 ms on: the same window. 1 ms more: a new one.
  t.mock.timers.tick(999);
  assert.equal(burst('crashy', 'a', 1), 0);
  t.mock.timers.tick(1);
  assert.equal(burst('crashy', 'a', 5), 3);
  // The default key is the service.
  const byService = compileFilter([{ throttle: { limit: 2 } }])!;
  assert.deepEqual([1, 2, 3].map(() => byService(record({ attributes: { pod: String(Math.random()) } }))), [true, true, false]);
  const issues: ConfigIssue[] = [];
  checkFilter({ throttle: { limit: 1, by: ['service', 'bodyy'] } }, 'transforms.filter', issues);
  assert.deepEqual(issues.map((i) => i.path), ['transforms.filter.throttle.by[1]']);
});
