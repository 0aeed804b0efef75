import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runCli } from '../helpers/cli.ts';
import { benchLine } from '../../bench/agent.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// @ts-expect-error: plain JavaScript, no declarations
const { agentBundle } = (await import('../../bin/agent-bundle.js')) as { agentBundle: () => Promise<string | undefined> };

test('the agent bundle is built once, reused while its sources stand still, and rebuilt when one changes', async () => {
  // Times set in whole seconds: a time read with its nanoseconds cannot be set back exactly (utimes
  // takes a float of seconds), so the test moves one source between two times it can set.
  const source = join(root, 'agents/glob.ts');
  const st = statSync(source);
  const before = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  utimesSync(source, st.atime, before);
  const first = await agentBundle();
  assert.ok(first, 'a bundle was built');
  assert.match(first, /dist\/agent-[0-9a-f]{16}\/agent\.mjs$/);
  const built = statSync(first).mtimeMs;
  assert.equal(await agentBundle(), first, 'unchanged sources: the same bundle');
  assert.equal(statSync(first).mtimeMs, built, 'and not written again');
  const meta = JSON.parse(readFileSync(join(root, 'dist/agent.json'), 'utf8')) as { inputs: string[] };
  for (const f of ['agents/record-pool.ts', 'agents/line-batch.ts', 'agents/sinks/kafka.ts', 'core/kafka/producer.ts', 'cli/commands/agent.ts']) assert.ok(meta.inputs.includes(f), `${f} is among the inputs`);
  // A source edited after the build (its modification time moves): a new bundle, then the old one again.
  try {
    utimesSync(source, st.atime, new Date(before.getTime() + 5_000));
    const second = await agentBundle();
    assert.ok(second && second !== first, `a changed source gives a new bundle (${second})`);
  } finally {
    utimesSync(source, st.atime, before);
  }
  assert.equal(await agentBundle(), first, 'the sources as they were: the first bundle again');
  assert.doesNotMatch(readFileSync(first, 'utf8'), /from ["']tsx/, 'the bundle does not load the TypeScript loader');
});

test('tributary agent runs from the bundle, and from the sources with TRIBUTARY_AGENT_BUNDLE=0', async () => {
  const args = ['agent', '--tail', '/tmp/nothing-here-*.log', '--service', 'svc', '--check'];
  const bundled = await runCli(args);
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.match(bundled.stdout, /runs from: the bundle .*dist\/agent-[0-9a-f]{16}\/agent\.mjs/);
  const sources = await runCli(args, '', { TRIBUTARY_AGENT_BUNDLE: '0' });
  assert.equal(sources.code, 0, sources.stderr);
  assert.match(sources.stdout, /runs from: the TypeScript sources/);
  const help = await runCli(['agent', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: tributary agent/);
});

test("the bundle's record thread builds and encodes lines like the sources do", async () => {
  const entry = await agentBundle();
  assert.ok(entry);
  const { encodeLines, joinLines } = await import('../../agents/line-batch.ts');
  const { createRecordBuilder, newCounters } = await import('../../agents/record-builder.ts');
  const texts = Array.from({ length: 50 }, (_, i) => benchLine(i).trimEnd());
  const batch = { builder: 0, ...joinLines(texts), starts: texts.map((_, i) => i * 250), path: '/var/log/app.log', fingerprint: '1:2:ab:64', service: 'svc', host: 'h1', observedMs: Date.UTC(2026, 10, 29) };
  const worker = new Worker(pathToFileURL(join(dirname(entry), 'record-thread.mjs')), { workerData: { builders: [{}], key: 'service_host', maxRecordBytes: 1_000_000 } });
  try {
    const reply = await new Promise<{ values: ArrayBuffer; count: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ id: 1, batch });
    });
    assert.equal(reply.error, undefined);
    const local = encodeLines(createRecordBuilder(newCounters(), {}), batch, 'service_host', 1_000_000);
    assert.equal(reply.count, 50);
    assert.equal(Buffer.from(reply.values).toString(), Buffer.from(local.values).toString(), 'the same bytes as the sources build');
  } finally {
    await worker.terminate();
  }
});

test("the bundle's record thread imports no package: a thread's start is its own code, not a logger's or a client's", async () => {
  const entry = await agentBundle();
  assert.ok(entry);
  const code = readFileSync(join(dirname(entry), 'record-thread.mjs'), 'utf8');
  const packages = [...code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]!).filter((p) => !p.startsWith('node:') && !p.startsWith('.'));
  assert.deepEqual(packages, [], 'packages imported by the record thread (a type-only import written without `import type` loads its module)');
  // The check can see one: the agent's own entry imports packages.
  const main = readFileSync(entry, 'utf8');
  assert.ok([...main.matchAll(/^import\s[^;]*?from\s*"([^"]+)"/gm)].some((m) => !m[1]!.startsWith('node:') && !m[1]!.startsWith('.')));
});
