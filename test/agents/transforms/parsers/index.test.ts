import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildParser, PARSER_NAMES, PARSERS } from '../../../../agents/transforms/parsers/index.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };

test('every registered parser has a name, description, defaults and builds with its defaults', () => {
  for (const name of PARSER_NAMES) {
    const def = PARSERS[name];
    assert.equal(def.name, name);
    assert.ok(def.description.length > 10);
    assert.equal(typeof def.defaults, 'object');
    for (const [k, v] of Object.entries(def.configProperties)) assert.ok((v as { description?: string }).description, `${name}.${k}`);
    if (name === 'regex') continue;
    const p = buildParser(name);
    assert.equal(typeof p('x', ctx).body, 'string');
  }
});

test('a line the configured parser does not match is kept as a plain body', () => {
  const p = buildParser('json');
  const r = p('2026-11-24T10:00:00Z not json ERROR', ctx);
  assert.equal(r.body, '2026-11-24T10:00:00Z not json ERROR');
  assert.equal(r.time, Date.UTC(2026, 10, 24, 10));
  assert.equal(r.severityNumber, 17);
  assert.equal(r.attributes['severity.inferred'], 'true');
});

test('snake_case config options reach the parser', () => {
  const p = buildParser({ type: 'regex', pattern: '^(?<when>\\S+) (?<msg>.*)$', time_keys: ['when'], time_format: 'epoch_s' });
  const r = p('1764000000 hello', ctx);
  assert.equal(r.time, 1764000000000);
  assert.equal(r.body, 'hello');
  assert.equal(r.severityNumber, 0);
  assert.equal(r.severityText, undefined);
});

test('severity: parsed words get numbers, unknown words are not overridden, inference can be off', () => {
  assert.equal(buildParser('json')('{"msg":"x","level":"custom"}', ctx).severityNumber, 0);
  assert.equal(buildParser('json')('{"msg":"x","level":"custom"}', ctx).severityText, 'CUSTOM');
  const off = buildParser('plain', { inference: { enabled: false, rules: [] } });
  assert.equal(off('something ERROR here', ctx).severityNumber, 0);
});

test('unknown parser names throw', () => {
  assert.throws(() => buildParser({ type: 'xml' as never }), /unknown parser "xml"/);
  assert.throws(() => buildParser({ type: 'toString' as never }), /unknown parser/);
});

test('no parser throws on random or hostile input, and every line keeps a body', () => {
  let seed = 1;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['{', '}', '"', '\\', '=', ' ', '[', ']', '<', '>', '1', '34', ':', '-', 'a', 'é', '\uFFFD', '\u0000', '\n', 'level', 'msg', 'Nov 24 ', '2026-11-24T10:00:00Z', '/', '"GET / HTTP/1.1"'];
  const lines = Array.from({ length: 3000 }, () => Array.from({ length: rand(40) }, () => pieces[rand(pieces.length)]).join(''));
  for (const name of PARSER_NAMES) {
    const def = PARSERS[name];
    const raw = def.create(name === 'regex' ? { pattern: '^(?<level>\\w+) (?<msg>.*)$' } : {});
    const full = buildParser(name === 'regex' ? { type: 'regex', pattern: '^(?<level>\\w+) (?<msg>.*)$' } : name);
    for (const line of lines) {
      assert.doesNotThrow(() => raw(line, ctx), `${name}: ${JSON.stringify(line)}`);
      const r = full(line, ctx);
      assert.equal(typeof r.body, 'string');
      assert.equal(typeof r.severityNumber, 'number');
      if (r.time !== undefined) assert.ok(Number.isFinite(r.time), `${name}: time of ${JSON.stringify(line)}`);
    }
  }
});
