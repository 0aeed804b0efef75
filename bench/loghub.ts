/**
 * Loads the Loghub 2k samples: raw `.log` lines go in, the `Content` field (the log body a parser is fed)
 * and the ground-truth `EventId` of each line come out. Shared by `bench/patterns.ts` and the accuracy test.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Loghub's header format per system (the `log_format` of the Loghub benchmark); `<Content>` is the body. */
export const LOG_FORMATS: Record<string, string> = {
  HDFS: '<Date> <Time> <Pid> <Level> <Component>: <Content>',
  Hadoop: '<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>',
  Spark: '<Date> <Time> <Level> <Component>: <Content>',
  Zookeeper: '<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>',
  BGL: '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>',
  HPC: '<LogId> <Node> <Component> <State> <Time> <Flag> <Content>',
  Thunderbird:
    '<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\\[<PID>\\])?: <Content>',
  Windows: '<Date> <Time>, <Level>                  <Component>    <Content>',
  Linux: '<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>',
  Android: '<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>',
  HealthApp: '<Time>\\|<Component>\\|<Pid>\\|<Content>',
  Apache: '\\[<Time>\\] \\[<Level>\\] <Content>',
  Proxifier: '\\[<Time>\\] <Program> - <Content>',
  OpenSSH: '<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>',
  OpenStack: '<Logrecord> <Date> <Time> <Pid> <Level> <Component> \\[<ADDR>\\] <Content>',
  Mac: '<Month>  <Date> <Time> <User> <Component>\\[<PID>\\]( \\(<Address>\\))?: <Content>',
};

/**
 * Drain's published grouping accuracy on each of Loghub's sixteen 2k samples (Zhu et al., "Tools and
 * Benchmarks for Automated Log Parsing", ICSE-SEIP 2019, as tabulated in the logparser repository's
 * docs/benchmark.rst). Proxifier: 0.527 there; the same repository's docs/benchmark.md says 0.765,
 * the figure this file gave until 2026-12-03.
 */
export const DRAIN_GA: Record<string, number> = {
  HDFS: 0.998,
  Hadoop: 0.948,
  Spark: 0.92,
  Zookeeper: 0.967,
  OpenStack: 0.733,
  BGL: 0.963,
  HPC: 0.887,
  Thunderbird: 0.955,
  Windows: 0.997,
  Linux: 0.69,
  Mac: 0.787,
  Android: 0.911,
  HealthApp: 0.78,
  Apache: 1,
  OpenSSH: 0.788,
  Proxifier: 0.527,
};

/**
 * Where the Loghub samples are: TRIBUTARY_LOGHUB_DIR, else `shared/data/loghub-2k` beside the repository
 * (a fuller set may live there), else the eight samples shipped in test/fixtures/loghub-2k, so that a plain
 * clone measures them too. The one place every lookup goes through; the systems the folder lacks come from
 * MORE_LOGHUB_DIR (`sampleDir`).
 */
export function findLoghubDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRIBUTARY_LOGHUB_DIR) return env.TRIBUTARY_LOGHUB_DIR;
  const beside = fileURLToPath(new URL('../../shared/data/loghub-2k', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../test/fixtures/loghub-2k', import.meta.url));
}

export const DEFAULT_LOGHUB_DIR = findLoghubDir();

/** Turns a Loghub `log_format` into a regex with one named group per field (as Loghub's own loader does). */
export function formatRegex(format: string): RegExp {
  const parts = format.split(/(<[^<>]+>)/);
  let source = '';
  for (const part of parts) {
    if (part.startsWith('<') && part.endsWith('>') && part.length > 2) {
      const name = part.slice(1, -1);
      source += name === 'Content' ? '(?<Content>.*)' : `(?<${name}>.*?)`;
    } else {
      source += part.replace(/ +/g, '\\s+');
    }
  }
  return new RegExp(`^${source}$`);
}

/** Extracts the body from a raw line; undefined when the header does not match the format. */
export function extractContent(line: string, re: RegExp): string | undefined {
  const m = re.exec(line.trim());
  return m?.groups?.Content;
}

/** Minimal RFC 4180 reader: enough for the `_structured.csv` files (quoted fields with doubled quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface LoghubSample {
  system: string;
  /** The body of each line, extracted from the raw `.log` with the system's header format. */
  contents: string[];
  /** Ground-truth event id of each line. */
  eventIds: string[];
  /** Lines whose extracted body differs from the `Content` column of the structured CSV. */
  contentMismatches: number;
}

export function loadSample(system: string, dir = DEFAULT_LOGHUB_DIR): LoghubSample {
  const base = samplePath(system, dir);
  const raw = readLines(base);
  const rows = loadLabels(system, dir);
  const format = LOG_FORMATS[system];
  if (!format) throw new Error(`no log format known for ${system}`);
  const re = formatRegex(format);
  const contents: string[] = [];
  const eventIds: string[] = [];
  let contentMismatches = 0;
  for (let i = 0; i < rows.length; i++) {
    const expected = rows[i]!.Content!;
    const got = raw[i] === undefined ? undefined : extractContent(raw[i]!, re);
    // Loghub drops lines its format cannot parse; fall back to the CSV so the line counts stay aligned.
    if (got === undefined || got.trim() !== expected.trim()) contentMismatches++;
    contents.push(got ?? expected);
    eventIds.push(rows[i]!.EventId!);
  }
  return { system, contents, eventIds, contentMismatches };
}

/**
 * Loghub's other eight systems (Android, Apache, Mac, OpenSSH, Spark, Thunderbird, Windows, Zookeeper),
 * shipped with their raw lines and templates only; their labels come from `labelByTemplates`.
 */
export const MORE_LOGHUB_DIR = fileURLToPath(new URL('../test/fixtures/loghub-2k-more', import.meta.url));

const hasSample = (system: string, dir: string): boolean => existsSync(join(dir, system, `${system}_2k.log`));

/**
 * The folder holding a system's sample: `dir`, or, when `fill` (by default for the default folder),
 * the shipped other eight for a system `dir` lacks. Undefined when neither has it.
 */
export function sampleDir(system: string, dir = DEFAULT_LOGHUB_DIR, fill = dir === DEFAULT_LOGHUB_DIR): string | undefined {
  if (hasSample(system, dir)) return dir;
  return fill && hasSample(system, MORE_LOGHUB_DIR) ? MORE_LOGHUB_DIR : undefined;
}

/** A file's lines without their ends (LF or CR LF), without the empty one after the last end. */
function readLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function samplePath(system: string, dir: string): string {
  const at = sampleDir(system, dir);
  if (at === undefined) throw new Error(`no Loghub sample of ${system} under ${dir}`);
  return join(at, system, `${system}_2k.log`);
}

/** The systems with a sample: in `dir`, and with `fill` (the default for the default folder) the shipped other eight. */
export function availableSystems(dir = DEFAULT_LOGHUB_DIR, fill = dir === DEFAULT_LOGHUB_DIR): string[] {
  return Object.keys(LOG_FORMATS).filter((s) => sampleDir(s, dir, fill) !== undefined);
}

/**
 * A system's labelled lines: its `_structured.csv` when published beside the log, else the header fields
 * its format reads, the `Content`, and the `EventId` and `EventTemplate` that `labelByTemplates` gives.
 */
export function loadLabels(system: string, dir = DEFAULT_LOGHUB_DIR): Record<string, string>[] {
  const base = samplePath(system, dir);
  if (existsSync(`${base}_structured.csv`)) return readCsvRows(`${base}_structured.csv`);
  const format = LOG_FORMATS[system];
  if (!format) throw new Error(`no log format known for ${system}`);
  const re = formatRegex(format);
  const lines = readLines(base);
  const rows = lines.map((line) => {
    const groups = re.exec(line.trim())?.groups ?? {};
    return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, (v ?? '').trim()])) as Record<string, string>;
  });
  const labels = labelByTemplates(rows.map((r, i) => r.Content ?? lines[i]!.trim()), readCsvRows(`${base}_templates.csv`));
  return rows.map((r, i) => ({ ...r, Content: r.Content ?? lines[i]!.trim(), EventId: labels[i]!.EventId, EventTemplate: labels[i]!.EventTemplate }));
}

/**
 * Each body's event by Loghub's templates: a template matches a body when its `<*>` (and `<NUM>`) each
 * stand for any text and its spaces for any run of spaces; of several, the one with the most literal
 * text wins. This gives exactly the published labels of every sample published with both (a test
 * checks it). A body no template matches gets the EventId `unmatched`.
 */
export function labelByTemplates(contents: readonly string[], templates: readonly Record<string, string>[]): { EventId: string; EventTemplate: string }[] {
  const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  const compiled = templates
    .map((t) => {
      const template = t.EventTemplate!.trim();
      const parts = template.split(/<\*>|<NUM>/);
      return { id: t.EventId!, template, re: new RegExp(`^${parts.map(escape).join('.*?')}$`, 's'), literal: parts.join('').length };
    })
    .sort((a, b) => b.literal - a.literal);
  return contents.map((c) => {
    const body = c.trim();
    const hit = compiled.find((t) => t.re.test(body));
    return hit ? { EventId: hit.id, EventTemplate: hit.template } : { EventId: 'unmatched', EventTemplate: '' };
  });
}

/**
 * Grouping accuracy: a line is correct when the set of lines sharing its predicted group equals the set
 * of lines sharing its true event. Computed per predicted group, as Loghub's evaluator does.
 */
export function groupingAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  const { lines } = exactGroups(predicted, truth);
  return predicted.length === 0 ? 1 : lines / predicted.length;
}

/**
 * The predicted groups whose lines are exactly the lines of one true group: how many such groups, and
 * how many lines they hold. Both Loghub scores (GA per line, FGA per group) count from this.
 */
function exactGroups(predicted: readonly string[], truth: readonly string[]): { groups: number; lines: number; predictedGroups: number; trueGroups: number } {
  const byPred = new Map<string, number[]>();
  predicted.forEach((p, i) => {
    const list = byPred.get(p);
    if (list) list.push(i);
    else byPred.set(p, [i]);
  });
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  let groups = 0;
  let lines = 0;
  for (const members of byPred.values()) {
    const t = truth[members[0]!]!;
    if (members.every((i) => truth[i] === t) && truthSize.get(t) === members.length) {
      groups++;
      lines += members.length;
    }
  }
  return { groups, lines, predictedGroups: byPred.size, trueGroups: truthSize.size };
}

/** Rows of a Loghub CSV as objects keyed by its header. */
export function readCsvRows(path: string): Record<string, string>[] {
  const table = parseCsv(readFileSync(path, 'utf8')).filter((r) => r.length > 1);
  const header = table[0]!;
  return table.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/**
 * A system's raw lines (line ends removed) with its labels and, when present, its corrected labels
 * (Loghub-2.0): the `_structured_corrected.csv`, else labels by the `_templates_corrected.csv`.
 */
export interface RawSample {
  system: string;
  lines: string[];
  labels: Record<string, string>[];
  corrected: Record<string, string>[] | undefined;
}

export function loadRawSample(system: string, dir = DEFAULT_LOGHUB_DIR): RawSample {
  const base = samplePath(system, dir);
  const lines = readLines(base);
  const labels = loadLabels(system, dir);
  const correctedPath = `${base}_structured_corrected.csv`;
  let corrected = existsSync(correctedPath) ? readCsvRows(correctedPath) : undefined;
  // Shipped with the corrected templates only: each line's corrected event by the same matching.
  if (corrected === undefined && existsSync(`${base}_templates_corrected.csv`)) {
    const events = labelByTemplates(labels.map((r) => r.Content!), readCsvRows(`${base}_templates_corrected.csv`));
    corrected = labels.map((r, i) => ({ ...r, ...events[i]! }));
  }
  return { system, lines, labels, corrected };
}

/**
 * FGA (Loghub-2.0): the F1 of group accuracy. A predicted group is correct when its lines are exactly
 * the lines of one true group; precision is over predicted groups, recall over true groups.
 */
export function fgaScore(predicted: readonly string[], truth: readonly string[]): number {
  const { groups, predictedGroups, trueGroups } = exactGroups(predicted, truth);
  if (groups === 0) return 0;
  const precision = groups / predictedGroups;
  const recall = groups / trueGroups;
  return (2 * precision * recall) / (precision + recall);
}
