import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGENT_CONFIG_SCHEMA, ConfigError, configFromFlags, configReferenceMarkdown, inferenceOptions, loadAgentConfig, multilineOptions, parseAgentConfig,
  redactorOptions, substituteEnv, validateAgentConfig, type ConfigIssue,
} from '../../agents/config.ts';
import { isTributaryError } from '../../core/errors.ts';

const EXAMPLE = new URL('../../agents/example-config.yaml', import.meta.url).pathname;

/** The issues a config raises, as `path: message` strings. */
function issues(input: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    validateAgentConfig(input, { env, baseDir: '/etc/tributary' });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.issues.map((i: ConfigIssue) => `${i.path}: ${i.message}`);
  }
  return [];
}

test('the example config validates', () => {
  const cfg = loadAgentConfig(EXAMPLE, { HOSTNAME: 'box-7' });
  assert.equal(cfg.host.name, 'box-7');
  assert.equal(cfg.service.name, 'checkout');
  assert.deepEqual(Object.keys(cfg.sources), ['app_logs', 'nginx', 'java_app', 'piped', 'otlp', 'syslog', 'gelf', 'forward', 'journal', 'host', 'app_metrics']);
  const nginx = cfg.sources.nginx!;
  assert.equal(nginx.type, 'file');
  if (nginx.type === 'file') {
    assert.deepEqual(nginx.parser, { type: 'combined' });
    assert.equal(nginx.multiline.enabled, false);
    assert.equal(multilineOptions(nginx.multiline), undefined);
  }
  assert.deepEqual(redactorOptions(cfg), { disabled: ['email'], rules: cfg.transforms.redaction.rules });
  assert.equal(inferenceOptions(cfg).rules.length, 3);
});

test('a config of only a source validates, and every default is filled in', () => {
  const cfg = validateAgentConfig({ sources: { app: { type: 'file', include: ['logs/*.log'] } } }, { env: {}, baseDir: '/etc/tributary' });
  const app = cfg.sources.app!;
  assert.ok(app.type === 'file');
  assert.deepEqual(app.include, ['/etc/tributary/logs/*.log']);
  assert.equal(app.start_at, 'beginning');
  assert.deepEqual(app.parser, { type: 'auto' });
  assert.equal(app.max_line_bytes, 1024 * 1024);
  assert.equal(app.multiline.enabled, true);
  assert.equal(cfg.service.name, 'unknown_service');
  assert.deepEqual(cfg.kafka.brokers, ['127.0.0.1:9092']);
  assert.equal(cfg.kafka.acks, 'all');
  assert.equal(cfg.kafka.compression, 'lz4');
  assert.deepEqual(cfg.kafka.topics, { logs: 'logs.v1', metrics: 'metrics.v1', dlq: 'dlq.v1' });
  assert.equal(cfg.buffer.when_full, 'block');
  assert.match(cfg.state_dir, /tributary\/agent$/);
  assert.equal(cfg.buffer.disk.path, join(cfg.state_dir, 'buffer'));
  const ml = multilineOptions(app.multiline)!;
  assert.equal(ml.timeoutMs, 1000);
  assert.equal(ml.startWithStamp, undefined);
  const stamped = validateAgentConfig({ sources: { s: { type: 'stdin', multiline: { start_with_stamp: true } } } }, { env: {} }).sources.s!;
  assert.equal(stamped.type === 'stdin' && multilineOptions(stamped.multiline)!.startWithStamp, true);
  const other = validateAgentConfig({ sources: { o: { type: 'otlp' }, h: { type: 'host_metrics' } } }, { env: {} });
  assert.deepEqual(other.sources.o, { type: 'otlp', listen: '127.0.0.1:4318', max_body_bytes: 4 * 1024 * 1024, filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
  assert.equal('filter' in other.sources.h!, false, 'a metrics-only source takes no record filter');
  assert.deepEqual(cfg.transforms.filter, { keep_unspecified: true, drop: [], keep: [], sample: [] });
  assert.equal(other.sources.h!.type === 'host_metrics' && other.sources.h!.interval_ms, 10_000);
  const intakes = validateAgentConfig({ sources: { s: { type: 'syslog' }, g: { type: 'gelf', mode: 'tcp' } } }, { env: {} });
  assert.deepEqual(intakes.sources.s, { type: 'syslog', mode: 'udp', listen: '127.0.0.1:5514', max_connections: 1000, max_message_bytes: 64 * 1024, attributes: {}, parser: { type: 'auto' }, time_zone: 'UTC', filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
  const journal = validateAgentConfig({ sources: { j: { type: 'journald', directory: 'journal' } } }, { env: {}, baseDir: '/srv' }).sources.j!;
  assert.deepEqual(journal, { type: 'journald', directory: '/srv/journal', units: [], identifiers: [], start_at: 'end', journalctl_path: 'journalctl', attributes: {}, parser: { type: 'auto' }, time_zone: 'UTC', filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
  assert.deepEqual(intakes.sources.g, { type: 'gelf', mode: 'tcp', listen: '127.0.0.1:12201', max_connections: 1000, max_message_bytes: 1024 * 1024, attributes: {}, parser: { type: 'auto' }, time_zone: 'UTC', filter: { keep_unspecified: true, drop: [], keep: [], sample: [] } });
});

test('the default time zone is checked without Intl; any other through it', () => {
  // A DateTimeFormat loads ICU's locale and zone data (about 6 MB of node's file, resident for the
  // agent's life), so the default must not make one; counted by wrapping the real constructor.
  const real = Intl.DateTimeFormat;
  const made: string[] = [];
  Intl.DateTimeFormat = new Proxy(real, {
    construct(target, args: [string?, Intl.DateTimeFormatOptions?]) {
      made.push(String(args[1]?.timeZone));
      return new target(...args);
    },
  });
  try {
    for (const zone of [undefined, 'UTC', 'Etc/UTC', 'GMT']) {
      validateAgentConfig({ sources: { app: { type: 'file', include: ['/var/log/a.log'], ...(zone ? { time_zone: zone } : {}) } } }, { env: {} });
    }
    assert.deepEqual(made, []);
    validateAgentConfig({ sources: { app: { type: 'file', include: ['/var/log/a.log'], time_zone: 'America/Sao_Paulo' } } }, { env: {} });
    assert.deepEqual(made, ['America/Sao_Paulo']);
    assert.throws(() => validateAgentConfig({ sources: { app: { type: 'file', include: ['/var/log/a.log'], time_zone: 'Mars/Olympus' } } }, { env: {} }), /unknown time zone "Mars\/Olympus"/);
  } finally {
    Intl.DateTimeFormat = real;
  }
});

test('schema mistakes name the key and its path', () => {
  const cases: Array<[unknown, string[]]> = [
    [{ sources: { app_logs: { type: 'file', include: ['a', 5] } } }, ['sources.app_logs.include[1]: must be string']],
    [{ sources: { app_logs: { type: 'file', inclde: ['a'] } } }, [
      'sources.app_logs.include: is required',
      'sources.app_logs.inclde: unknown key (did you mean "include"?); known keys: type, include, exclude, start_at, poll_ms, discover_ms, idle_poll_ms, watch, watched_poll_ms, read_bytes, rotate_wait_ms, checkpoint_expire_ms, container_path, service, attributes, parser, time_zone, multiline, encoding, max_line_bytes, on_long_line, filter',
    ]],
    [{ sources: { a: { type: 'stdin' } }, kafak: {} }, ['kafak: unknown key (did you mean "kafka"?); known keys: service, host, kafka, sources, transforms, buffer, state_dir, self_metrics']],
    [{ sources: { a: { type: 'ftp' } } }, ['sources.a.type: must be one of file, stdin, otlp, syslog, gelf, forward, splunk_hec, elasticsearch, journald, host_metrics, prometheus_scrape, prometheus_remote_write (got "ftp")']],
    [{ sources: { a: {} } }, ['sources.a.type: is required']],
    [{ sources: {} }, ['sources: must NOT have fewer than 1 properties']],
    [{}, ['sources: is required']],
    [{ sources: { 'bad name': { type: 'stdin' } } }, ['sources: has an invalid name "bad name" (letters, digits, _ and - only)']],
    [{ sources: { a: { type: 'stdin', parser: 'xml' } } }, ['sources.a.parser.type: must be one of auto, json, logfmt, regex, combined, syslog, plain (got "xml")']],
    [{ sources: { a: { type: 'stdin', parser: { type: 'json', patern: 'x' } } } }, ['sources.a.parser.patern: unknown key; known keys: type, message_keys, level_keys, time_keys, time_format, time_zone, flatten_depth']],
    [{ sources: { a: { type: 'stdin', parser: { type: 'regex' } } } }, ['sources.a.parser.pattern: is required']],
    [{ sources: { a: { type: 'stdin', encoding: 'latin1' } } }, ['sources.a.encoding: must be one of "auto", "utf8", "utf16le", "utf16be"']],
    [{ sources: { a: { type: 'stdin' } }, kafka: { acks: 'leader', compression: 'zstd' } }, [
      'kafka.compression: must be one of "lz4", "gzip", "none"', 'kafka.acks: must be one of "all"',
    ]],
    [{ sources: { a: { type: 'stdin' } }, kafka: { brokers: ['nohost'] } }, ['kafka.brokers[0]: must match pattern "^[^\\s:]+:\\d{1,5}$"']],
    [{ sources: { a: { type: 'stdin' } }, kafka: { sasl: { mechanism: 'plain', username: 'u' } } }, ['kafka.sasl.password: is required']],
    [{ sources: { a: { type: 'stdin' } }, transforms: { redaction: { disabled: ['emails'] } } }, [
      'transforms.redaction.disabled[0]: must be one of "url_password", "jwt", "authorization_header", "bearer_token", "aws_access_key", "aws_secret_key", "token_prefix", "api_key", "sql_password", "password", "email", "card_number", "secret_attribute"',
    ]],
    [{ sources: { a: { type: 'host_metrics', collectors: ['gpu'] } } }, ['sources.a.collectors[0]: must be one of "cpu", "memory", "load", "disk", "network"']],
    [[], ['(root): must be a mapping (key: value pairs)'.replace('(root)', '')]],
  ];
  for (const [input, want] of cases) assert.deepEqual(issues(input), want, JSON.stringify(input));
});

test('cross-field rules', () => {
  const src = (extra: object) => ({ sources: { a: { type: 'stdin', ...extra } } });
  const cases: Array<[unknown, string[], NodeJS.ProcessEnv?]> = [
    [src({ multiline: { start_pattern: '^x', continue_pattern: '^y' } }), ['sources.a.multiline: set start_pattern or continue_pattern, not both']],
    [src({ multiline: { start_with_stamp: true, start_pattern: '^x' } }), ['sources.a.multiline.start_with_stamp: replaces start_pattern and continue_pattern: set one of them']],
    [src({ multiline: { start_pattern: '(' } }), ['sources.a.multiline.start_pattern: is not a valid regular expression: Invalid regular expression: /(/: Unterminated group']],
    [src({ time_zone: 'Mars/Base' }), ['sources.a.time_zone: unknown time zone "Mars/Base"']],
    [src({ parser: { type: 'json', time_format: '%Q' } }), ['sources.a.parser.time_format: unknown directive %Q in time format "%Q"']],
    [src({ parser: { type: 'regex', pattern: '^(\\w+)$' } }), ['sources.a.parser: the pattern has no named groups (?<name>...)']],
    [src({ max_line_bytes: 4096, multiline: { max_bytes: 1024 } }), ['sources.a.multiline.max_bytes: must be at least max_line_bytes (4096), or a single line would not fit in a record']],
    [{ sources: { o: { type: 'otlp', listen: '0.0.0.0:4318' } } }, ['sources.o.bearer_token_env: is required when listening on a non-loopback address (0.0.0.0:4318)']],
    [{ sources: { o: { type: 'otlp', listen: '0.0.0.0:4318', bearer_token_env: 'OTLP_TOKEN' } } }, ['sources.o.bearer_token_env: environment variable OTLP_TOKEN is not set']],
    [{ sources: { o: { type: 'otlp', listen: '0.0.0.0:4318', bearer_token_env: 'OTLP_TOKEN' } } }, [], { OTLP_TOKEN: 't' }],
    [{ sources: { o: { type: 'otlp', listen: '[::1]:4318' }, p: { type: 'otlp', listen: '[::1]:4318' } } }, ['sources.p.listen: [::1]:4318 is already used by source o']],
    [{ sources: { a: { type: 'stdin' }, b: { type: 'stdin' } } }, ['sources.b: only one stdin source is possible']],
    // UDP and TCP may share a port number; one of them may not serve two sources.
    [{ sources: { u: { type: 'syslog', listen: '127.0.0.1:5514' }, t: { type: 'syslog', mode: 'tcp', listen: '127.0.0.1:5514' } } }, []],
    [{ sources: { u: { type: 'syslog' }, g: { type: 'gelf', listen: '127.0.0.1:5514' } } }, ['sources.g.listen: udp 127.0.0.1:5514 is already used by source u']],
    [{ sources: { o: { type: 'otlp', listen: '127.0.0.1:4318' }, t: { type: 'syslog', mode: 'tcp', listen: '127.0.0.1:4318' } } }, ['sources.t.listen: tcp 127.0.0.1:4318 is already used by source o']],
    [{ sources: { s: { type: 'syslog', listen: '127.0.0.1:0' } } }, ['sources.s.listen: port must be 1..65535']],
    [{ sources: { s: { type: 'syslog', time_zone: 'Mars/Base', parser: { type: 'regex', pattern: '^x$' } } } }, ['sources.s.time_zone: unknown time zone "Mars/Base"', 'sources.s.parser: the pattern has no named groups (?<name>...)']],
    [{ sources: { g: { type: 'gelf', mode: 'sctp' } } }, ['sources.g.mode: must be one of "udp", "tcp"']],
    [{ sources: { j: { type: 'journald', priority: 'loud', time_zone: 'Mars/Base' } } }, ['sources.j.priority: must be one of "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "0", "1", "2", "3", "4", "5", "6", "7"']],
    [{ sources: { j: { type: 'journald', time_zone: 'Mars/Base' } } }, ['sources.j.time_zone: unknown time zone "Mars/Base"']],
    [{ ...src({}), transforms: { redaction: { rules: [{ name: 'email', pattern: 'x' }, { name: 'x', pattern: '[' }] } } }, [
      'transforms.redaction.rules[0].name: "email" is already the name of another rule',
      'transforms.redaction.rules[1].pattern: redaction rule "x": Invalid regular expression: /[/g: Unterminated character class',
    ]],
    [{ ...src({}), transforms: { severity_inference: { rules: [{ pattern: 'x', severity: 'LOUD' }] } } }, ['transforms.severity_inference.rules[0].severity: unknown severity "LOUD"']],
    [{ ...src({}), kafka: { batch: { max_events: 10 } }, buffer: { memory: { max_events: 5 } } }, ['kafka.batch.max_events: must not exceed buffer.memory.max_events (5)']],
    [{ ...src({}), buffer: { disk: { enabled: true, max_bytes: 1024 * 1024 } } }, ['buffer.disk.max_bytes: must be at least buffer.memory.max_bytes (67108864)']],
    [{ ...src({}), kafka: { records_per_message: 100 } }, ['kafka.records_per_message: is 100, which needs kafka.encoding otlp_proto (a JSON value holds one record, so any Kafka client reads it as one)']],
    [{ ...src({}), kafka: { records_per_message: 100, encoding: 'otlp_proto' } }, []],
  ];
  for (const [input, want, env] of cases) assert.deepEqual(issues(input, env), want, JSON.stringify(input));
});

test('environment: ${VAR} substitution and TRIBUTARY_* overrides', () => {
  const input = {
    service: { name: '${SVC:-fallback}' },
    kafka: { sasl: { mechanism: 'scram-sha-512', username: '${KUSER}', password: '${KPASS}' } },
    sources: { a: { type: 'file', include: ['/logs/${APP}/*.log', 'literal-$${APP}'] } },
  };
  const cfg = validateAgentConfig(input, { env: { KUSER: 'u', KPASS: 'p', APP: 'web', TRIBUTARY_BROKERS: 'k1:9092, k2:9092' } });
  assert.equal(cfg.service.name, 'fallback');
  assert.deepEqual(cfg.kafka.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  assert.deepEqual(cfg.kafka.brokers, ['k1:9092', 'k2:9092']);
  const a = cfg.sources.a!;
  assert.ok(a.type === 'file');
  assert.deepEqual(a.include, ['/logs/web/*.log', join(process.cwd(), 'literal-${APP}')]);
  assert.deepEqual(issues(input, { KUSER: 'u' }), ['sources.a.include[0]: environment variable APP is not set', 'kafka.sasl.password: environment variable KPASS is not set']
    .sort((x, y) => (x.startsWith('kafka') ? -1 : y.startsWith('kafka') ? 1 : 0)));
  const over = validateAgentConfig({ sources: { a: { type: 'stdin' } }, kafka: { sasl: { mechanism: 'plain', username: 'file-user', password: 'x' } } },
    { env: { TRIBUTARY_KAFKA_PASSWORD: 'from-env', TRIBUTARY_STATE_DIR: '/srv/state', TRIBUTARY_SERVICE: 'svc' } });
  assert.equal(over.kafka.sasl!.password, 'from-env');
  assert.equal(over.kafka.sasl!.username, 'file-user');
  assert.equal(over.state_dir, '/srv/state');
  assert.equal(over.service.name, 'svc');
  assert.deepEqual(substituteEnv({ a: ['${X}'] }, { X: '1' }, []), { a: ['1'] });
});

test('YAML errors name the line; a file that cannot be read says which', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  try {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'sources:\n  a:\n    type: stdin\n  a:\n    type: stdin\n');
    assert.throws(() => loadAgentConfig(file, {}), (err: Error) => err instanceof ConfigError && /line 4, column 3: Map keys must be unique/.test(err.message) && err.message.startsWith(file));
    writeFileSync(file, 'sources:\n  app:\n    type: file\n    include: [logs/*.log]\n');
    const cfg = loadAgentConfig(file, {});
    assert.deepEqual(cfg.sources.app!.type === 'file' && cfg.sources.app!.include, [join(dir, 'logs/*.log')]);
    assert.throws(() => loadAgentConfig(join(dir, 'missing.yaml'), {}), (err: Error) => isTributaryError(err) && err.code === 'CONFIG_INVALID' && /cannot read/.test(err.message));
    assert.throws(() => parseAgentConfig('sources: [\n', { env: {} }), ConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config from command-line flags', () => {
  const cfg = configFromFlags({ tail: ['/var/log/app/*.log'], service: 'web', brokers: 'k:9092' }, { TRIBUTARY_BROKERS: 'ignored:1', TRIBUTARY_HOME: '/tmp/th' });
  assert.deepEqual(cfg.kafka.brokers, ['k:9092']);
  assert.equal(cfg.service.name, 'web');
  assert.equal(cfg.state_dir, '/tmp/th/agent');
  assert.equal(cfg.sources.tail!.type, 'file');
  const local = configFromFlags({ tail: ['a.log'], stdin: true, parser: 'json' }, {});
  assert.deepEqual(local.kafka.brokers, ['127.0.0.1:9092']);
  assert.deepEqual(Object.keys(local.sources), ['tail', 'stdin']);
  assert.throws(() => configFromFlags({}, {}), /nothing to read/);
  // Regression: `tributary agent --otlp 127.0.0.1:4318 --host-metrics` (the README's command) was refused as "nothing to read".
  const pushOnly = configFromFlags({ otlp: '127.0.0.1:4318', hostMetrics: true }, {});
  assert.deepEqual(Object.keys(pushOnly.sources), ['otlp', 'host']);
  assert.equal(pushOnly.sources.otlp!.type === 'otlp' && pushOnly.sources.otlp!.listen, '127.0.0.1:4318');
  assert.equal(pushOnly.sources.host!.type === 'host_metrics' && pushOnly.sources.host!.interval_ms, 10_000);
  // `--scrape <url>` (repeatable) alone is something to read too: one prometheus_scrape source of those targets.
  const scraped = configFromFlags({ scrape: ['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:9187/metrics'] }, {}).sources.prometheus!;
  assert.deepEqual(scraped.type === 'prometheus_scrape' && [scraped.targets, scraped.interval_ms, scraped.timeout_ms], [['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:9187/metrics'], 15_000, 10_000]);
  // `--remote-write`, written as the URL Prometheus is given or as host:port.
  for (const flag of ['127.0.0.1:9201', 'http://127.0.0.1:9201/api/v1/write']) {
    const rw = configFromFlags({ remoteWrite: flag }, {}).sources.remote_write!;
    assert.deepEqual(rw.type === 'prometheus_remote_write' && [rw.listen, rw.max_body_bytes], ['127.0.0.1:9201', 16 * 1024 * 1024]);
  }
  // Beyond loopback the intake needs a token (TRIBUTARY_REMOTE_WRITE_TOKEN unless bearer_token_env names another) or client certificates.
  const open = { sources: { p: { type: 'prometheus_remote_write', listen: '0.0.0.0:9201' } } };
  assert.throws(() => validateAgentConfig(open, { env: {} }), /sources\.p\.bearer_token_env: listening on a non-loopback address \(0\.0\.0\.0:9201\) needs a token: environment variable TRIBUTARY_REMOTE_WRITE_TOKEN is not set/);
  assert.equal(validateAgentConfig(open, { env: { TRIBUTARY_REMOTE_WRITE_TOKEN: 't' } }).sources.p!.type, 'prometheus_remote_write');
  assert.throws(() => validateAgentConfig({ sources: { p: { type: 'prometheus_remote_write', bearer_token_env: 'RW' } } }, { env: {} }), /environment variable RW is not set/);
  assert.throws(() => configFromFlags({ tail: ['x'], parser: 'xml' }, {}), /parser.type: must be one of/);
  const intakes = configFromFlags({ syslog: 'tcp://127.0.0.1:1514', gelf: '127.0.0.1:12201', forward: '127.0.0.1:24225', journald: true }, {});
  assert.deepEqual(Object.keys(intakes.sources), ['journald', 'syslog', 'gelf', 'forward']);
  const f = intakes.sources.forward!;
  assert.deepEqual(f.type === 'forward' && [f.listen, f.allow_unauthenticated], ['127.0.0.1:24225', false]);
  const s = intakes.sources.syslog!;
  const g = intakes.sources.gelf!;
  assert.deepEqual(s.type === 'syslog' && [s.mode, s.listen], ['tcp', '127.0.0.1:1514']);
  assert.deepEqual(g.type === 'gelf' && [g.mode, g.listen], ['udp', '127.0.0.1:12201']);
  // `--min-severity`: the agent's filter; a word it cannot read is refused, named.
  assert.equal(configFromFlags({ tail: ['x'], minSeverity: 'warn' }, {}).transforms.filter.min_severity, 'warn');
  assert.throws(() => configFromFlags({ tail: ['x'], minSeverity: 'loud' }, {}), /transforms\.filter\.min_severity: unknown severity "loud"/);
});

test('every field of the schema has a description', () => {
  const missing: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.properties && typeof n.properties === 'object') {
      for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
        if (typeof v.description !== 'string' || v.description.length < 3) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
    }
    for (const key of ['oneOf', 'items', 'additionalProperties'] as const) {
      const child = n[key];
      if (Array.isArray(child)) child.forEach((c, i) => walk(c, `${path}.${key}[${i}]`));
      else if (child && typeof child === 'object') walk(child, `${path}.${key}`);
    }
  };
  walk(AGENT_CONFIG_SCHEMA, '');
  assert.deepEqual(missing, []);
});

test('the reference table lists every key once, with its default', () => {
  const md = configReferenceMarkdown();
  for (const key of ['service.name', 'kafka.batch.linger_ms', 'sources.<name>.include` (type file)', 'sources.<name>.include` (type prometheus_scrape)', 'sources.<name>.parser.pattern', 'transforms.redaction.rules', 'buffer.disk.max_bytes', 'state_dir']) {
    // A key two source types share with different meanings has a row per type.
    const cell = key.includes('`') ? key : `${key}\``;
    assert.equal(md.split('\n').filter((l) => l.startsWith(`| \`${cell}`)).length, 1, key);
  }
  assert.match(md, /\| `sources.<name>.parser.message_keys` \(type auto, json, logfmt, regex\) \|/);
  assert.match(md, /\| `kafka.compression` \| lz4 \\\| gzip \\\| none \| `"lz4"` \|/);
});

test('kafka.tls: paths relative to the config file, checked when the config is; the sink gets the files read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-tls-'));
  mkdirSync(join(dir, 'certs'));
  writeFileSync(join(dir, 'certs', 'ca.pem'), 'CA PEM');
  const yaml = (tls: string) => `kafka: { tls: ${tls} }\nsources: { a: { type: stdin } }\n`;
  writeFileSync(join(dir, 'agent.yaml'), yaml('{ ca_file: certs/ca.pem }'));
  const cfg = loadAgentConfig(join(dir, 'agent.yaml'), {});
  assert.equal(cfg.kafka.tls!.ca_file, join(dir, 'certs', 'ca.pem'));
  const { sinkOptions } = await import('../../agents/from-config.ts');
  assert.deepEqual(sinkOptions(cfg, {}).ssl, { ca: ['CA PEM'] });
  assert.equal(sinkOptions(validateAgentConfig({ kafka: { ssl: true }, sources: { a: { type: 'stdin' } } }, { env: {} }), {}).ssl, true);
  writeFileSync(join(dir, 'broken.yaml'), yaml('{ ca_file: certs/nope.pem, cert_file: certs/ca.pem }'));
  assert.throws(() => loadAgentConfig(join(dir, 'broken.yaml'), {}), /kafka\.tls: cert_file is set without key_file/);
  writeFileSync(join(dir, 'broken.yaml'), yaml('{ ca_file: certs/nope.pem }'));
  assert.throws(() => loadAgentConfig(join(dir, 'broken.yaml'), {}), /kafka\.tls\.ca_file: .*nope\.pem cannot be read: ENOENT/);
});
