/**
 * `node --import tsx bench/profile-summary.ts <dir or .cpuprofile files>`: where a profiled agent's time
 * went, per thread, from the `--cpu-prof` files `BENCH_PROFILE=<dir> npm run bench:agent` writes (one
 * per thread: the main thread's, then each record thread's). For each file: how busy the thread was,
 * its busy time by stage, and the functions with the most self time.
 *
 * A sample counts for the stage of the innermost frame on its stack that names one (STAGES): time in
 * `JSON.stringify` under `writeRun` is the JSON stage, a regular expression run by `redactRecord` is
 * redaction; builtins count for their caller's stage. Function names, not files: the agent runs from a bundle, whose frames all name one file.
 * Samples with no such frame count as "other"; V8's own "(garbage collector)" frames as "gc".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Stages by the agent's own function names (agents/, core/kafka/). */
const STAGES: Record<string, readonly string[]> = {
  parse: ['parse', 'afterTime', 'scanHeader', 'fieldsFromPairs', 'fieldsFromMap', 'splitPairs', 'readTime', 'parseTimestamp'],
  redaction: ['redactRecord'],
  'JSON (stringify and write)': ['writeRun', 'serialiseRecords'],
  'OTLP writer': ['writeOtlpLog', 'writeOtlpLogRecord'],
  'building records': ['buildLine', 'build'],
  'decoding lines (thread)': ['batchTexts', 'bytesText'],
  'reading, splitting, multiline': ['readAvailable', 'push', 'emitLines', 'assemble', 'finishLine', 'utf8Line'],
  lz4: ['compressRecords', 'compressFrameSync'],
  'record batch encoding': ['encodeRecords', 'buildBatch'],
  'CRC-32C': ['crc32c', 'stampProducer'],
  'socket writes': ['writeBuffer', 'writev', 'writeGeneric'],
  'thread messages': ['postMessage', 'receiveMessageOnPort'],
};
const STAGE_OF = new Map<string, string>(Object.entries(STAGES).flatMap(([stage, names]) => names.map((n) => [n, stage] as const)));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ThreadSummary {
  file: string;
  /** Seconds sampled, and the share of them not idle. */
  seconds: number;
  busy: number;
  /** Share of the busy time per stage ("gc", "other" included). */
  stages: Record<string, number>;
  /** Functions with the most self time, as shares of the busy time. */
  top: Array<[string, number]>;
}

export function summarise(file: string, p: Profile): ThreadSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOfNode = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    const { functionName: name, url } = byId.get(id)!.callFrame;
    // Only our own JavaScript names a stage: a builtin (no url) such as Array's push or JSON's parse
    // counts for the stage of the code that called it.
    const own = url !== '' ? STAGE_OF.get(name) : undefined;
    const s = name === '(garbage collector)' ? 'gc' : name === '(idle)' ? 'idle' : own ?? (parent.has(id) ? stageOf(parent.get(id)!) : 'other');
    stageOfNode.set(id, s);
    return s;
  };
  let total = 0;
  const stages = new Map<string, number>();
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const s = stageOf(id);
    stages.set(s, (stages.get(s) ?? 0) + dt);
    if (s === 'idle') return;
    const f = byId.get(id)!.callFrame;
    const name = f.functionName || '(anonymous)';
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const idle = stages.get('idle') ?? 0;
  stages.delete('idle');
  const busy = total - idle;
  const share = (x: number) => (busy > 0 ? Math.round((1000 * x) / busy) / 1000 : 0);
  return {
    file,
    seconds: Math.round(total / 1e4) / 100,
    busy: total > 0 ? Math.round((1000 * busy) / total) / 1000 : 0,
    stages: Object.fromEntries([...stages].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, share(v)])),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => [k, share(v)]),
  };
}

function profilesIn(args: string[]): string[] {
  return args.flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(a, f)) : [a]));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const files = profilesIn(process.argv.slice(2));
  if (files.length === 0) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts <dir of .cpuprofile files | files>\n');
    process.exit(1);
  }
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  for (const f of files) {
    const s = summarise(f, JSON.parse(readFileSync(f, 'utf8')) as Profile);
    console.log(`${f}: ${s.seconds} s sampled, busy ${pct(s.busy)}`);
    console.log(`  by stage (of the busy time): ${Object.entries(s.stages).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
    console.log(`  most self time: ${s.top.map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
  }
}
