/**
 * The agent proof harness: writes sequence-numbered lines into real files, runs a real agent against
 * the test broker, reads the topic back and reports gaps and duplicates per stream.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from '../../agents/agent.ts';
import { FileSource, type FileSourceOptions } from '../../agents/sources/file.ts';
import { type KafkaSinkOptions } from '../../agents/sinks/kafka.ts';
import { type LogRecord } from '../../core/contracts/records.ts';
import { createTestTopic, readTopic, testBrokers } from '../helpers/kafka.ts';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed when the test process exits. */
export function tempDir(prefix = 'tributary-agent-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** One line of stream `stream` with number `n`, padded to about `width` bytes (newline included). */
export function seqLine(stream: string, n: number, width = 100): string {
  const head = `seq ${stream} ${String(n).padStart(8, '0')} `;
  return head + 'x'.repeat(Math.max(0, width - head.length - 1)) + '\n';
}

/** Appends lines [from, to) of a stream in one write. */
export function writeSeq(path: string, stream: string, from: number, to: number, width = 100): void {
  let chunk = '';
  for (let i = from; i < to; i++) chunk += seqLine(stream, i, width);
  appendFileSync(path, chunk);
}

/** Writes `total` lines at `perSecond`, in 10 ms ticks, calling `between(n)` after each tick (rotation). */
export async function writeAtRate(path: () => string, stream: string, total: number, perSecond: number, between?: (written: number) => void | Promise<void>, width = 100, from = 0): Promise<void> {
  const started = Date.now();
  let written = from;
  while (written < total) {
    const due = Math.min(total, from + Math.floor(((Date.now() - started) / 1000) * perSecond) + 1);
    if (due > written) {
      writeSeq(path(), stream, written, due, width);
      written = due;
      await between?.(written);
    }
    await sleep(10);
  }
}

export interface SeqReport {
  /** Records of this stream read back. */
  count: number;
  /** Distinct sequence numbers seen. */
  distinct: number;
  /** Numbers in [0, expected) never seen (first 20). */
  missing: number[];
  missingCount: number;
  duplicates: number;
}

const SEQ = /^seq (\S+) (\d{8}) /;

/** Checks that every number 0..expected-1 of each stream arrived; counts duplicates. */
export function checkSeq(records: LogRecord[], expected: Record<string, number>): Record<string, SeqReport> {
  const seen = new Map<string, Map<number, number>>();
  for (const r of records) {
    const m = SEQ.exec(r.body);
    if (!m) continue;
    let s = seen.get(m[1]!);
    if (!s) seen.set(m[1]!, (s = new Map()));
    const n = Number(m[2]);
    s.set(n, (s.get(n) ?? 0) + 1);
  }
  const out: Record<string, SeqReport> = {};
  for (const [stream, total] of Object.entries(expected)) {
    const s = seen.get(stream) ?? new Map<number, number>();
    const missing: number[] = [];
    let missingCount = 0;
    for (let i = 0; i < total; i++) {
      if (!s.has(i)) {
        missingCount++;
        if (missing.length < 20) missing.push(i);
      }
    }
    let count = 0;
    let duplicates = 0;
    for (const c of s.values()) {
      count += c;
      duplicates += c - 1;
    }
    out[stream] = { count, distinct: s.size, missing, missingCount, duplicates };
  }
  return out;
}

export async function readLogs(topic: string, expected: number, timeoutMs = 60_000): Promise<LogRecord[]> {
  const raw = await readTopic(topic, { expected, timeoutMs });
  return raw.map((m) => JSON.parse(m.value.toString('utf8')) as LogRecord);
}

export interface FileAgent {
  agent: Agent;
  source: FileSource;
  topic: string;
  brokers: string[];
}

/** A real agent with one file source, producing into a fresh test topic (or `topic`). */
export async function startFileAgent(options: Partial<FileSourceOptions> & { include: string[]; stateDir: string }, sink: Partial<KafkaSinkOptions> = {}, topic?: string): Promise<FileAgent> {
  const brokers = await testBrokers();
  const t = topic ?? (await createTestTopic('agent-files', 3));
  const source = new FileSource('files', { service: 'proof', host: 'test-host', pollMs: 100, rotateWaitMs: 2000, ...options });
  const agent = new Agent({ sink: { brokers, logsTopic: t, lingerMs: 5, ...sink }, sources: [source], selfMetrics: false });
  await agent.start();
  return { agent, source, topic: t, brokers };
}

/** Waits until `cond` holds, polling every 100 ms, or fails after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
