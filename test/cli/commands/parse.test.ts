import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../helpers/cli.js';

function run(args: string[], input: string | Buffer): Promise<CliResult> {
  return runCli(['parse', ...args], input);
}

function records(stdout: string): Array<Record<string, unknown>> {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('prints the record the agent would send for each line, with the given service and host', async () => {
  const input = Buffer.concat([
    Buffer.from('2026-11-29T04:56:40.316Z {"msg":"hello ...","pad":"x"}\n'),
    Buffer.from('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating\n'),
    Buffer.from([0xff, 0xfe, 0x20, 0x00, 0x0a]), // invalid UTF-8 and a NUL: still a record
    Buffer.from('2026-13-45 10:00:00 INFO impossible date\n'),
    Buffer.from('level=error msg="password=hunter2 rejected" user=bob\n'),
  ]);
  const { code, stdout, stderr } = await run(['--service', 'myapp', '--host', 'web-1'], input);
  assert.equal(code, 0, stderr);
  const rs = records(stdout);
  assert.equal(rs.length, 5);
  for (const r of rs) {
    assert.equal(r.service, 'myapp', 'the configured service stays');
    assert.equal(r.host, 'web-1');
    assert.equal(r.v, 1);
    assert.match(String(r.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}Z$/);
  }
  assert.equal(rs[0]!.body, 'hello ...');
  assert.equal(rs[0]!.time, '2026-11-29T04:56:40.316Z');
  assert.deepEqual(rs[0]!.attributes, { pad: 'x' });
  assert.equal(rs[1]!.time, '2008-11-09T20:36:15.000Z');
  assert.equal(rs[1]!.severity_text, 'INFO');
  assert.equal(rs[1]!.severity_number, 9);
  assert.equal(rs[1]!.body, 'PacketResponder 1 terminating');
  assert.equal(rs[2]!.severity_number, 0);
  assert.equal(rs[2]!.time, rs[2]!.observed_time);
  assert.equal(rs[3]!.body, '2026-13-45 10:00:00 INFO impossible date');
  assert.ok(!stdout.includes('hunter2'), 'redaction applies as in the agent');
  assert.match(stderr, /5 records; 1 matched no format .* 1 had an impossible date/);
});

test('--config takes the source\'s parser, time zone and service; --parser picks a parser', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-parse-'));
  try {
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(cfg, [
      'service: { name: fallback }',
      'sources:',
      '  app:',
      '    type: file',
      '    include: ["/var/log/app/*.log"]',
      '    service: billing',
      '    time_zone: Europe/Berlin',
      '    parser: { type: regex, pattern: "^(?<time>\\\\S+ \\\\S+) (?<level>\\\\w+) (?<msg>.*)$" }',
      '',
    ].join('\n'));
    const a = await run(['--config', cfg], '2026-11-24 10:00:00 WARN disk almost full\n');
    assert.equal(a.code, 0, a.stderr);
    const [r] = records(a.stdout);
    assert.equal(r!.service, 'billing');
    assert.equal(r!.time, '2026-11-24T09:00:00.000Z');
    assert.equal(r!.body, 'disk almost full');
    const b = await run(['--parser', 'json'], 'not json at all\n');
    assert.equal(records(b.stdout)[0]!.body, 'not json at all');
    assert.match(b.stderr, /1 matched no format/);
    const bad = await run(['--config', cfg, '--source', 'nope'], '');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--source nope: no file or stdin source of that name; the configuration has: app/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the configuration\'s filters drop records as the agent would (counted on stderr); --no-filter prints them all; --min-severity alone or over a configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-parse-'));
  try {
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(cfg, [
      'transforms: { filter: { min_severity: INFO } }',
      'sources:',
      '  web:',
      '    type: file',
      '    include: ["/var/log/web/*.log"]',
      "    filter: { drop: [{ body: '^GET /healthz', attributes.user_agent: '^kube-probe/' }] }",
      '',
    ].join('\n'));
    const input = [
      JSON.stringify({ level: 'debug', msg: 'cache miss' }),
      JSON.stringify({ level: 'info', msg: 'GET /healthz 200', user_agent: 'kube-probe/1.29' }),
      JSON.stringify({ level: 'info', msg: 'GET /healthz 200', user_agent: 'curl/8.5.0' }),
      'a line that states no level',
      JSON.stringify({ level: 'warn', msg: 'slow query' }),
    ].join('\n') + '\n';
    const a = await run(['--config', cfg], input);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(records(a.stdout).map((r) => r.body), ['GET /healthz 200', 'a line that states no level', 'slow query']);
    assert.match(a.stderr, /5 records; .*; 2 dropped by the filter \(not printed\)/);
    const all = await run(['--config', cfg, '--no-filter'], input);
    assert.equal(records(all.stdout).length, 5);
    assert.doesNotMatch(all.stderr, /dropped/);
    const warn = await run(['--config', cfg, '--min-severity', 'WARN'], input);
    assert.deepEqual(records(warn.stdout).map((r) => r.body), ['a line that states no level', 'slow query']);
    const flag = await run(['--min-severity', 'info'], input);
    assert.equal(records(flag.stdout).length, 4);
    const bad = await run(['--config', cfg, '--min-severity', 'loud'], input);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--min-severity loud: not a severity/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reads the files it is given, one after another, each record\'s origin its file and byte offset; - is stdin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-parse-'));
  try {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, '2026-11-24 10:00:00 INFO first\n2026-11-24 10:00:01 ERROR boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n');
    writeFileSync(b, 'level=warn msg="from b"\n');
    const r = await run([a, '-', b], 'from stdin\n');
    assert.equal(r.code, 0, r.stderr);
    const rs = records(r.stdout);
    assert.deepEqual(rs.map((x) => x.body), ['first', 'boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)', 'from stdin', 'from b']);
    assert.deepEqual(rs.map((x) => x.origin), [
      { kind: 'file', path: a, offset: 0 },
      { kind: 'file', path: a, offset: 31 },
      { kind: 'stdin', offset: 0 },
      { kind: 'file', path: b, offset: 0 },
    ]);
    assert.match(r.stderr, /^4 records;/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file it cannot read is named, and nothing is printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-parse-'));
  try {
    const a = join(dir, 'a.log');
    writeFileSync(a, 'INFO fine\n');
    const missing = await run([a, join(dir, 'nope.log')], '');
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, new RegExp(`cannot read ${join(dir, 'nope.log').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file`));
    const folder = await run([dir], '');
    assert.notEqual(folder.code, 0);
    assert.match(folder.stderr, /is a directory; name the log files in it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
