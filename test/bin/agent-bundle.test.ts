import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runCli } from '../helpers/cli.ts';
import { benchLine } from '../../bench/agent.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// @ts-expect-error: plain JavaScript, no declarations
const { agentBundle, BUNDLED_PACKAGES } = (await import('../../bin/agent-bundle.js')) as { agentBundle: () => Promise<string | undefined>; BUNDLED_PACKAGES: string[] };

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
  const args = ['agent', '--tail', '/tmp/nothing-here-*.log', '--service', 'svc', '--min-severity', 'warn', '--check'];
  // A probe loaded before the launcher says at exit whether Ajv's compiler was ever loaded.
  const probeDir = mkdtempSync(join(tmpdir(), 'tributary-probe-'));
  const probe = join(probeDir, 'probe.cjs');
  writeFileSync(probe, `process.on('exit', () => process.stderr.write('ajv loaded: ' + Object.keys(require.cache).some((k) => /node_modules[\\\\/]ajv[\\\\/]dist[\\\\/]core\\.js$/.test(k)) + '\\n'));\n`);
  const withProbe = (env: Record<string, string> = {}) => ({ ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}` });
  const bundled = await runCli(args, '', withProbe());
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.match(bundled.stdout, /runs from: the bundle .*dist\/agent-[0-9a-f]{16}\/agent\.mjs/);
  // Its config is checked by the validator written with the bundle, without loading Ajv.
  assert.match(bundled.stdout, /config checked by: the validator written with the bundle/);
  assert.match(bundled.stdout, /^filter \(every source\): min_severity warn$/m, 'the filter, through the validator written with the bundle');
  assert.match(bundled.stderr, /ajv loaded: false/);
  const sources = await runCli(args, '', withProbe({ TRIBUTARY_AGENT_BUNDLE: '0' }));
  assert.equal(sources.code, 0, sources.stderr);
  assert.match(sources.stdout, /runs from: the TypeScript sources/);
  assert.match(sources.stdout, /config checked by: the schema compiled at start/);
  assert.match(sources.stdout, /^filter \(every source\): min_severity warn$/m);
  assert.match(sources.stderr, /ajv loaded: true/, 'the probe sees Ajv when it is loaded');
  rmSync(probeDir, { recursive: true, force: true });
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

/**
 * The packages a bundle file loads when it is imported: its own static imports and those of the
 * chunks it imports statically, not what it imports only when used (`import(...)`); `bundled` gets
 * those whose code is in these files (esbuild marks each module it took in with a `// node_modules/...`
 * comment), which count as loaded too.
 */
function staticPackages(file: string, seen = new Set<string>(), bundled = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const m of code.matchAll(/^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)/gm)) {
    bundled.add(m[1]!);
    out.add(m[1]!);
  }
  for (const m of code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) for (const p of staticPackages(join(dirname(file), spec), seen, bundled)) out.add(p);
    else out.add(spec);
  }
  return out;
}

test("the bundle's record thread imports no package: a thread's start is its own code, not a logger's or a client's", async () => {
  const entry = await agentBundle();
  assert.ok(entry);
  assert.deepEqual([...staticPackages(join(dirname(entry), 'record-thread.mjs'))], [], 'packages imported by the record thread (a type-only import written without `import type` loads its module)');
  // The check can see one: the agent's own entry imports packages.
  assert.ok(staticPackages(entry).size > 0);
});

test('the agent loads only the packages its config uses: no kafkajs, protobufjs, OpenTelemetry SDK or pipeline code unless asked for', async () => {
  const entry = await agentBundle();
  assert.ok(entry);
  const loaded = staticPackages(entry);
  for (const p of ['kafkajs', 'protobufjs', '@opentelemetry/sdk-metrics', '@opentelemetry/exporter-prometheus', '@opentelemetry/sdk-node', 'onnxruntime-node', '@clickhouse/client', 'chdb']) {
    assert.ok(!loaded.has(p), `the agent's entry loads ${p} at start (${[...loaded].join(', ')})`);
  }
  assert.ok(loaded.has('pino') && loaded.has('lz4-napi'), `what every agent uses is loaded (${[...loaded].join(', ')})`);
  // The packages named to be bundled are in the bundle's own files, and only those.
  const bundled = new Set<string>();
  staticPackages(entry, new Set(), bundled);
  assert.deepEqual([...bundled].sort(), [...BUNDLED_PACKAGES].sort(), 'packages whose code is in the bundle');
  // Those imported when used are still in the bundle, in files of their own, and the check sees their packages.
  const dir = dirname(entry);
  const files = readdirSync(dir);
  const lazy = (name: string) => staticPackages(join(dir, files.find((f) => f.startsWith(`${name}-`) && f.endsWith('.mjs'))!));
  assert.ok(lazy('kafkajs-delivery').has('kafkajs'));
  assert.ok(lazy('otlp-schema').has('protobufjs'));
  assert.ok(lazy('health').has('@opentelemetry/sdk-metrics'));
  const meta = JSON.parse(readFileSync(join(root, 'dist/agent.json'), 'utf8')) as { inputs: string[] };
  assert.deepEqual(meta.inputs.filter((f) => f.startsWith('pipeline/')), [], 'no pipeline module is in the agent');
});

test('a running agent loads kafkajs only with `client: kafkajs` (what Node loaded, NODE_DEBUG=module)', async () => {
  const brokers = await testBrokers();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-agent-loads-'));
  const loadedBy = async (config: string, topic: string) => {
    const file = join(dir, `${topic}.yaml`);
    writeFileSync(file, config);
    const r = await runCli(['agent', '--config', file], 'one line\n', { NODE_DEBUG: 'module' });
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal((await readTopic(topic, { expected: 1 })).length, 1, 'the line was shipped');
    return (pkg: string) => r.stderr.includes(`node_modules/${pkg}/`);
  };
  const config = (topic: string, client: string) => `kafka:\n  brokers: [${JSON.stringify(brokers[0])}]\n  client: ${client}\n  topics: { logs: ${topic} }\nself_metrics: { enabled: false }\nstate_dir: ${JSON.stringify(join(dir, topic))}\nsources:\n  in: { type: stdin, service: loads }\n`;
  const native = await createTestTopic('agent-loads-native');
  const nativeLoaded = await loadedBy(config(native, 'native'), native);
  for (const pkg of ['kafkajs', 'protobufjs', '@opentelemetry/sdk-metrics']) assert.equal(nativeLoaded(pkg), false, `the default agent loaded ${pkg}`);
  assert.equal(nativeLoaded('pino'), true, 'the check sees what was loaded');
  const viaKafkajs = await createTestTopic('agent-loads-kafkajs');
  assert.equal((await loadedBy(config(viaKafkajs, 'kafkajs'), viaKafkajs))('kafkajs'), true, 'client: kafkajs loads it');
});
