import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CONFIG_SCHEMA } from '../../../agents/config.ts';
import { ConfigError, ConfigSchema } from '../../../core/config/loader.ts';
import { standaloneValidator } from '../../../core/config/precompiled.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** A folder whose node_modules is the project's (the written validator requires Ajv's runtime helpers), removed after `fn`. */
function inFolder(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-precompiled-'));
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Valid documents (defaults to fill) and invalid ones (every kind of message the loader writes).
const DOCS: unknown[] = [
  { sources: { app: { type: 'file', include: ['/var/log/app/*.log'] } } },
  { service: { name: 'checkout' }, sources: { app: { type: 'file', include: ['/x'], parser: { type: 'json' }, multiline: { enabled: true } }, in: { type: 'stdin' } }, kafka: { brokers: ['127.0.0.1:9092'], compression: 'gzip' } },
  { sources: { app: { type: 'fil', include: ['/x'] } }, kafka: { brokerz: ['a'], batch: { max_events: -1 } } },
  { sources: { app: { type: 'file', include: '/x', parser: { type: 'nope' } } } },
  { sources: { app: { include: ['/x'] } }, kafka: { compression: 'zstd', acks: 1 } },
  { kafka: { brokers: [] } },
  { sources: { 'bad name!': { type: 'stdin' } } },
];

function outcome(schema: ConfigSchema<unknown>, doc: unknown): unknown {
  try {
    return { ok: schema.validate(structuredClone(doc), { env: {} }) };
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { issues: err.issues };
  }
}

test('a validator written ahead of time fills the same defaults and reports the same issues as the compiled schema', () => {
  inFolder((dir) => {
    const file = join(dir, 'agent.validate.cjs');
    writeFileSync(file, standaloneValidator(AGENT_CONFIG_SCHEMA));
    const ahead = new ConfigSchema<unknown>(AGENT_CONFIG_SCHEMA, { subject: 'agent', precompiled: file });
    const compiled = new ConfigSchema<unknown>(AGENT_CONFIG_SCHEMA, { subject: 'agent' });
    for (const doc of DOCS) assert.deepEqual(outcome(ahead, doc), outcome(compiled, doc), JSON.stringify(doc));
    assert.equal(ahead.validatorSource, 'precompiled');
    assert.equal(compiled.validatorSource, 'compiled');
    // The corpus reaches both sides: defaults filled and every kind of message.
    const results = DOCS.map((d) => outcome(compiled, d) as { ok?: { kafka: { batch: { max_events: number } } }; issues?: Array<{ message: string }> });
    assert.equal(results[0]!.ok?.kafka.batch.max_events, 5000);
    const messages = results.flatMap((r) => r.issues ?? []).map((i) => i.message).join('\n');
    for (const m of [/did you mean "brokers"/, /must be >= 1/, /got "fil"/, /got "nope"/, /is required/, /must be one of "lz4"/, /invalid name/]) assert.match(messages, m);
  });
});

test('a validator written for another schema, one that does not load, or none: the schema is compiled', () => {
  inFolder((dir) => {
    const older = join(dir, 'older.validate.cjs');
    writeFileSync(older, standaloneValidator({ ...AGENT_CONFIG_SCHEMA, description: 'an older build' }));
    const broken = join(dir, 'broken.validate.cjs');
    writeFileSync(broken, 'throw new Error("half written");\n');
    for (const precompiled of [older, broken, join(dir, 'missing.cjs')]) {
      const s = new ConfigSchema<unknown>(AGENT_CONFIG_SCHEMA, { subject: 'agent', precompiled });
      assert.deepEqual(outcome(s, DOCS[2]), outcome(new ConfigSchema<unknown>(AGENT_CONFIG_SCHEMA, { subject: 'agent' }), DOCS[2]));
      assert.equal(s.validatorSource, 'compiled', precompiled);
    }
    // The older one is a working validator: refused for its hash, not because it could not run.
    assert.match(readFileSync(older, 'utf8'), /module\.exports\.schemaHash = "[0-9a-f]{32}"/);
  });
});
