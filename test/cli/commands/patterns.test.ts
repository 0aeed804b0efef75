import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli, type CliResult } from '../../helpers/cli.js';

function run(args: string[], input: string | Buffer): Promise<CliResult> {
  return runCli(['patterns', ...args], input);
}

function parse(stdout: string): [string, string][] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  return lines.map((l) => {
    const parts = l.split('\t');
    assert.equal(parts.length, 2, `one tab in ${JSON.stringify(l)}`);
    return [parts[0]!, parts[1]!];
  });
}

const INPUT = [
  'user 42 logged in from 10.0.0.1',
  'session closed for user cyrus',
  'disk 3 is full',
  'session closed for user news',
  'user 7 logged in from 10.0.0.2',
  '',
  'VM Started',
].join('\n');

test('prints <id>\\t<template> for every line, final ids and templates by default', async () => {
  const { code, stdout } = await run([], INPUT + '\n');
  assert.equal(code, 0);
  const rows = parse(stdout);
  assert.equal(rows.length, 7);
  for (const [id] of rows) assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(rows[0]![0], rows[4]![0]);
  assert.equal(rows[0]![1], 'user <*> logged in from <*>');
  assert.equal(rows[1]![0], rows[3]![0]);
  assert.equal(rows[1]![1], 'session closed for user <*>', 'the final template is printed for earlier lines too');
  assert.notEqual(rows[2]![0], rows[0]![0]);
  assert.equal(rows[5]![1], '');
  assert.equal(rows[6]![1], 'VM Started');
});

test('--stream prints each line with its template as of that line', async () => {
  const { code, stdout } = await run(['--stream'], INPUT); // no final newline
  assert.equal(code, 0);
  const rows = parse(stdout);
  assert.equal(rows.length, 7);
  assert.equal(rows[1]![1], 'session closed for user cyrus');
  assert.equal(rows[3]![1], 'session closed for user <*>');
  assert.equal(rows[1]![0], rows[3]![0]);
});

test('--state saves the miner and loads it on the next run, so ids carry over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-patterns-cli-'));
  try {
    const state = join(dir, 'miner.json');
    const first = parse((await run(['--state', state], 'disk 3 is full\n')).stdout);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    assert.equal(saved.version, 1);
    const second = await run(['--state', state, '--stream'], 'disk 11 is full\n');
    assert.equal(parse(second.stdout)[0]![0], first[0]![0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help explains the command', async () => {
  const child = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, [BIN, 'patterns', '--help']);
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.once('close', () => resolve(out));
  });
  assert.match(child, /Usage: tributary patterns/);
  assert.match(child, /--stream/);
  assert.match(child, /--state/);
});

test('a wrong option is a usage error', async () => {
  const { code, stderr } = await run(['--bogus'], '');
  assert.notEqual(code, 0);
  assert.match(stderr, /bogus/);
});

test('a reader that goes away ends the run quietly', async () => {
  const child = spawn(process.execPath, [BIN, 'patterns', '--stream'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const lines = Array.from({ length: 200000 }, (_, i) => `request ${i} served in ${i % 97} ms`).join('\n');
  child.stdin.on('error', () => {});
  child.stdin.end(lines + '\n');
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? 1)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE/);
});

test('a very long line is one line of output, cut rather than held whole', async () => {
  const long = 'x'.repeat(3 << 20);
  const { code, stdout } = await run(['--stream'], `${long}\nshort line 1\n`);
  assert.equal(code, 0);
  const rows = parse(stdout);
  assert.equal(rows.length, 2);
  assert.equal(rows[1]![1], 'short line <*>');
});
