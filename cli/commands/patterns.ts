/**
 * `tributary patterns`: log bodies in on stdin (one per line), `<pattern id>\t<template>` out on stdout
 * for each, through the same miner the worker uses.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { TributaryError } from '../../core/errors.ts';
import { PatternMiner, type PatternMinerSnapshot } from '../../pipeline/transforms/patterns/miner.ts';
import type { PatternMinerOptions } from '../../pipeline/transforms/patterns/options.ts';

const HELP = `Usage: tributary patterns [options] < bodies.txt

Reads one log body per line on stdin and prints, for each line, its pattern id and
template, separated by a tab:

  3f2a9c0d1b7e4a55\tuser <*> logged in from <*>

The miner is the worker's: variables (numbers, ids, IPs, host names, paths, hex,
UUIDs, timestamps, sizes) are masked, and lines of one event share an id. Ids are
16 hex characters derived from a cluster's first template: the same in every
process and after a restart, and fixed while the template generalises.

Output modes:
  (default)  lines are read in windows of --window lines; when a window is full (or
             input ends) its lines are printed with their final ids and templates,
             so lines of one event get one id even when clusters merged after the
             first of them was read. Memory: one reference per buffered line.
  --stream   each line is printed as soon as it is read, with the id and template
             as of that line (lowest latency; an id may later become an alias of an
             older cluster that it was merged into).

Options:
  --stream               print line by line (see above)
  --window <n>           lines per window in the default mode (default 1000000)
  --state <file>         load the miner state from this JSON file if it exists, and
                         save it there at the end (atomically)
  --max-clusters <n>     most clusters kept in memory (default 20000; LRU eviction)
  --similarity <x>       share of a cluster's tokens a line must repeat (default 0.5)
  --siblings <n>         clusters differing in one plain word merged at this count
                         (default 5)
  -h, --help             show this help
`;

const MAX_LINE_CHARS = 1 << 20;

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TributaryError('USAGE', `--${name} must be a number, got "${value}"`);
  return n;
}

async function loadMiner(statePath: string | undefined, options: Partial<PatternMinerOptions>): Promise<PatternMiner> {
  if (statePath === undefined) return new PatternMiner(options);
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new PatternMiner(options);
    throw err;
  }
  return PatternMiner.restore(JSON.parse(text) as PatternMinerSnapshot, options);
}

async function saveMiner(statePath: string, miner: PatternMiner): Promise<void> {
  const tmp = `${statePath}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(miner.snapshot()));
  await rename(tmp, statePath);
}

/**
 * Buffers output and honours backpressure, so that a slow reader stalls us instead of our memory.
 * A reader that goes away (`| head`) ends the run quietly instead of with an EPIPE error.
 */
class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor() {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      this.closed = true;
      process.stdout.emit('drain');
    });
  }

  /** Adds text; true when the buffer is full and `flush` should be awaited. */
  push(text: string): boolean {
    if (this.closed) return false;
    this.parts.push(text);
    this.size += text.length;
    return this.size >= 1 << 16;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0 || this.closed) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!process.stdout.write(chunk)) {
      await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
    }
  }
}

const command: Command = {
  name: 'patterns',
  summary: 'print the log pattern of each line read on stdin',
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          stream: { type: 'boolean', default: false },
          window: { type: 'string' },
          state: { type: 'string' },
          'max-clusters': { type: 'string' },
          similarity: { type: 'string' },
          siblings: { type: 'string' },
        },
        allowPositionals: false,
      });
    } catch (err) {
      throw new TributaryError('USAGE', `patterns: ${(err as Error).message}`);
    }
    const v = parsed.values;
    const options: Partial<PatternMinerOptions> = {};
    const maxClusters = numberOption('max-clusters', v['max-clusters']);
    const similarity = numberOption('similarity', v.similarity);
    const siblings = numberOption('siblings', v.siblings);
    if (maxClusters !== undefined) options.maxClusters = maxClusters;
    if (similarity !== undefined) options.similarity = similarity;
    if (siblings !== undefined) options.siblings = siblings;
    const window = numberOption('window', v.window) ?? 1_000_000;
    if (!Number.isInteger(window) || window < 1) throw new TributaryError('USAGE', '--window must be a positive integer');

    const miner = await loadMiner(v.state, options);
    const out = new Output();
    // Per buffered line: its id and its template as of that line (used when the cluster was evicted
    // before the window ended). Both are references to strings the miner holds anyway.
    const pendingIds: string[] = [];
    const pendingTemplates: string[] = [];

    const flushWindow = async (): Promise<void> => {
      for (let i = 0; i < pendingIds.length; i++) {
        const final = miner.resolve(pendingIds[i]!);
        const template = miner.template(final);
        const line = template === undefined ? `${pendingIds[i]}\t${pendingTemplates[i]}\n` : `${final}\t${template}\n`;
        if (out.push(line)) await out.flush();
      }
      pendingIds.length = 0;
      pendingTemplates.length = 0;
    };
    // Synchronous per line; returns true when output or the window wants flushing.
    const handle = (line: string): boolean => {
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      const m = miner.match(body);
      if (v.stream) return out.push(`${m.patternId}\t${m.template}\n`);
      pendingIds.push(m.patternId);
      pendingTemplates.push(m.template);
      return pendingIds.length >= window;
    };
    const flushIfDue = async (): Promise<void> => {
      if (v.stream) await out.flush();
      else if (pendingIds.length >= window) await flushWindow();
    };

    process.stdin.setEncoding('utf8');
    // The unfinished last line of the previous chunk, cut at MAX_LINE_CHARS so that a line without an
    // end cannot take all memory (the miner looks at far less of a body anyway).
    let rest = '';
    for await (const chunk of process.stdin as AsyncIterable<string>) {
      if (out.closed) break;
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        const line = rest === '' ? chunk.slice(start, nl) : rest + chunk.slice(start, Math.min(nl, start + MAX_LINE_CHARS));
        rest = '';
        if (handle(line)) await flushIfDue();
        start = nl + 1;
      }
      if (rest.length < MAX_LINE_CHARS) rest += chunk.slice(start, start + MAX_LINE_CHARS - rest.length);
      // Live input (`tail -f | tributary patterns --stream`) should not wait for a full buffer.
      if (v.stream) await out.flush();
    }
    if (rest !== '') handle(rest);
    await flushWindow();
    await out.flush();
    if (v.state !== undefined) await saveMiner(v.state, miner);
    return 0;
  },
};

export default command;
