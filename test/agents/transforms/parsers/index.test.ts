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
