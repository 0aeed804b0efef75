/**
 * `tributary detect <file.jsonl>`: the worker's offline twin. Log records (one JSON object a line) go
 * through the worker's own pattern miner, service windows, feature code and ONNX scorer, without
 * Kafka; one JSON object per closed window comes out on stdout. Bad lines go to stderr with their
 * line number and are skipped; the exit code says whether there were any.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import type { ServiceWindowRow } from '../../core/contracts/rows.ts';
import { severityNumber } from '../../core/contracts/records.ts';
import { TributaryError } from '../../core/errors.ts';
import { PatternMiner } from '../../pipeline/transforms/patterns/miner.ts';
import { ServiceWindows } from '../../pipeline/transforms/windows/service-windows.ts';
import { Scorer, defaultScoringConfig, windowTimeMs } from '../../pipeline/transforms/scoring/scorer.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Exit codes: every line was read / some lines were skipped / wrong usage or unreadable input. */
export const EXIT_OK = 0;
export const EXIT_BAD_LINES = 1;
export const EXIT_USAGE = 2;

const help = `Usage: tributary detect <file.jsonl | -> [--window 1m] [--model manifest.json ...]

Scores the log windows of a JSONL file exactly as the worker would (pattern mining, event-time
windows, features against each service's recent baseline, ONNX models), without Kafka.

Input, one JSON object a line:
  {"ts": "2026-11-24T10:00:00.123Z", "service": "checkout", "host": "web-1", "severity": "ERROR",
   "body": "...", "attributes": {"duration_ms": 123}}
  ts: ISO-8601 with a zone, or epoch milliseconds. host, severity and attributes are optional.

Output, one JSON object per closed window, in the order windows close:
  {"service", "window_start", "window_end", "score", "anomaly", "model"}   (times in ISO-8601)
  The first 5 windows of a service only build its baseline: score null, model null.
  A window that receives late lines is printed again with its new score.

Options:
  --window <size>     window size: 30s, 1m, 5m, 90000ms (default 1m; the shipped model is trained on 1m)
  --lateness <size>   how far out of order lines may come (default: one window)
  --model <path>      a model manifest to use instead of the shipped service model (repeatable)

Exit code: 0 when every line was read, 1 when bad lines were skipped (listed on stderr), 2 on wrong
usage or an unreadable file.`;

/** Parses `30s`, `1m`, `2h`, `500ms`, or a plain number of seconds, to milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new TributaryError('USAGE', `"${text}" is not a duration (examples: 30s, 1m, 5m, 90000ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!Number.isInteger(ms) || ms <= 0) throw new TributaryError('USAGE', `"${text}" must be a positive whole number of milliseconds`);
  return ms;
}

interface ParsedLine {
  time: number;
  service: string;
  severity: number;
  body: string;
  attributes: Record<string, string>;
}

/** One input line to a record, or the reason it cannot be read. */
export function parseLine(line: string): ParsedLine | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  let time: number;
  if (typeof o.ts === 'number') time = o.ts;
  else if (typeof o.ts === 'string') time = /(Z|[+-]\d\d:?\d\d)$/i.test(o.ts) ? Date.parse(o.ts) : NaN;
  else return '"ts" is missing (ISO-8601 with a zone, or epoch milliseconds)';
  if (!Number.isFinite(time)) return `"ts" ${JSON.stringify(o.ts)} is not a time (ISO-8601 with a zone, or epoch milliseconds)`;
  if (typeof o.service !== 'string' || o.service === '') return '"service" must be a non-empty string';
  if (typeof o.body !== 'string') return '"body" must be a string';
  if (o.severity !== undefined && typeof o.severity !== 'string') return '"severity" must be a string';
  if (o.host !== undefined && typeof o.host !== 'string') return '"host" must be a string';
  const attributes: Record<string, string> = {};
  if (o.attributes !== undefined) {
    if (typeof o.attributes !== 'object' || o.attributes === null || Array.isArray(o.attributes)) return '"attributes" must be an object';
    for (const [k, a] of Object.entries(o.attributes)) {
      if (typeof a === 'string') attributes[k] = a;
      else if (typeof a === 'number' || typeof a === 'boolean') attributes[k] = String(a);
      else return `attribute "${k}" must be a string, number or boolean`;
    }
  }
  return { time, service: o.service, severity: severityNumber(o.severity ?? ''), body: o.body, attributes };
}

const iso = (windowTime: string): string => new Date(windowTimeMs(windowTime)).toISOString();

const command: Command = {
  name: 'detect',
  summary: 'score log windows of a JSONL file offline, as the worker would',
  help,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { window: { type: 'string', default: '1m' }, lateness: { type: 'string' }, model: { type: 'string', multiple: true } },
      });
    } catch (err) {
      process.stderr.write(`tributary detect: ${(err as Error).message}\n\n${help}\n`);
      return EXIT_USAGE;
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      process.stderr.write(`tributary detect: expected one input file (or - for stdin), got ${positionals.length}\n\n${help}\n`);
      return EXIT_USAGE;
    }
    let windowMs: number;
    let latenessMs: number;
    try {
      windowMs = parseDuration(values.window!);
      latenessMs = values.lateness !== undefined ? parseDuration(values.lateness) : windowMs;
    } catch (err) {
      process.stderr.write(`tributary detect: ${(err as Error).message}\n`);
      return EXIT_USAGE;
    }
    const file = positionals[0]!;
    if (file !== '-') {
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a regular file');
      } catch (err) {
        process.stderr.write(`tributary detect: cannot read ${file}: ${(err as Error).message}\n`);
        return EXIT_USAGE;
      }
    }

    // stderr is for the lines that were skipped; the scorer's routine log lines would bury them.
    process.env.TRIBUTARY_LOG_LEVEL ??= 'warn';
    const models = values.model?.length ? values.model.map((m) => ({ manifest: resolve(m) })) : defaultScoringConfig(REPO_ROOT).models.filter((m) => m.manifest.includes('service'));
    const scorer = await Scorer.open({ models, watch: false, anyWindowSize: true });
    const trained = scorer.models().filter((m) => m.kind === 'service');
    if (trained.length === 0) {
      process.stderr.write('tributary detect: none of the models scores service windows\n');
      await scorer.close();
      return EXIT_USAGE;
    }
    const miner = new PatternMiner();
    const windows = new ServiceWindows({ sizesMs: [windowMs], allowedLatenessMs: latenessMs, emptyWindows: 60 });
    let bad = 0;
    let tooLate = 0;
    const out: string[] = [];
    // A reader that went away (`detect f.jsonl | head`) ends the run quietly.
    let stdoutClosed = false;
    const onStdoutError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE') stdoutClosed = true;
      else throw err;
    };
    process.stdout.on('error', onStdoutError);
    const emit = async (rows: ServiceWindowRow[]): Promise<void> => {
      if (rows.length === 0 || stdoutClosed) return;
      const { rows: scored } = await scorer.scoreServiceWindows(rows);
      for (const r of scored) {
        out.push(JSON.stringify({
          service: r.service, window_start: iso(r.window_start), window_end: iso(r.window_end),
          score: r.scored ? r.score : null, anomaly: r.anomaly === 1, model: r.scored ? r.model : null,
        }));
      }
      process.stdout.write(out.join('\n') + '\n');
      out.length = 0;
    };

    const input = file === '-' ? process.stdin : createReadStream(file);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    let nextAdvance = -Infinity;
    try {
      for await (const line of lines) {
        if (stdoutClosed) break;
        lineNo++;
        if (line.trim() === '') continue;
        const rec = parseLine(line);
        if (typeof rec === 'string') {
          bad++;
          process.stderr.write(`line ${lineNo}: ${rec}; skipped\n`);
          continue;
        }
        const m = miner.match(rec.body);
        // Event time stands in for the clock: the file is replayed as if it were arriving live.
        const status = windows.add({
          time: rec.time, service: rec.service, severity_number: rec.severity, pattern_id: m.patternId,
          pattern_is_new: m.isNew, attributes: rec.attributes, partition: 0, offset: lineNo,
        }, rec.time);
        if (status === 'too_late') {
          tooLate++;
          process.stderr.write(`line ${lineNo}: ${new Date(rec.time).toISOString()} is older than the allowed lateness; skipped\n`);
        }
        if (rec.time >= nextAdvance) {
          await emit(windows.advance(rec.time));
          nextAdvance = rec.time + 1000;
        }
      }
      await emit(windows.flush());
    } catch (err) {
      process.stderr.write(`tributary detect: reading ${file} failed at line ${lineNo}: ${(err as Error).message}\n`);
      return EXIT_USAGE;
    } finally {
      lines.close();
      await scorer.close();
    }
    if (bad > 0 || tooLate > 0) {
      process.stderr.write(`${bad + tooLate} of ${lineNo} lines skipped (${bad} unreadable, ${tooLate} too late)\n`);
      return EXIT_BAD_LINES;
    }
    return EXIT_OK;
  },
};

export default command;
