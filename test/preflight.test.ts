// The machine check before `npm test`, and the spawns that must fail fast when a binary is missing.
// Tools are hidden with PATH tricks (a folder holding links to only some of them), never uninstalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, installCommand, missingMessage, missingTools, TOOLS } from './preflight.ts';
import { startClickHouseServer } from './helpers/clickhouse-server.ts';
import { checkTools } from '../core/kafka/stack.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A PATH of one folder holding links to `keep` only (and node, so scripts still run). */
function pathWith(keep: string[]): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  for (const command of keep) {
    const tool = TOOLS.find((t) => t.command === command);
    const found = findBinary(command, process.env, tool?.alsoIn);
    assert.ok(found, `${command} must be installed on this machine for this test`);
    symlinkSync(found, join(dir, command));
  }
  return { env: { ...process.env, PATH: dir }, dir };
}

test('on this machine every tool the tests need is found', () => {
  assert.deepEqual(missingTools().map((m) => m.problem), []);
});

test('a missing tool is named with its Debian package and the exact install command', () => {
  const { env, dir } = pathWith(['java', 'mvn']);
  try {
    const missing = missingTools(env, TOOLS.map((t) => ({ ...t, alsoIn: [] })));
    assert.deepEqual(missing.map((m) => m.tool.command), ['kcat', 'clickhouse-server', 'logger', 'openssl', 'journalctl', 'systemd-journal-remote']);
    assert.equal(installCommand(missing), 'apt-get install -y --no-install-recommends kcat clickhouse-server bsdutils openssl systemd systemd-journal-remote');
    const message = missingMessage(missing, 'tools are missing');
    assert.match(message, /kcat is not installed/);
    assert.match(message, /apt-get update && apt-get install -y --no-install-recommends kcat clickhouse-server bsdutils openssl systemd systemd-journal-remote/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Java older than 17 is refused with the version it found', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-oldjava-'));
  try {
    // A stand-in `java` that reports version 11: the one test double here, because an old JDK cannot be installed beside 17.
    const fake = join(dir, 'java');
    writeFileSync(fake, '#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n', { mode: 0o755 });
    const missing = missingTools({ ...process.env, PATH: dir }, TOOLS.filter((t) => t.command === 'java'));
    assert.equal(missing.length, 1);
    assert.match(missing[0]!.problem, /Java 11 is installed; Kafka 4 needs Java 17 or newer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm test stops at once, before starting a broker, when tools are missing and it may not install them', () => {
  const { env, dir } = pathWith([]);
  try {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/no-such.test.ts'], {
      cwd: root,
      env: { ...env, TRIBUTARY_TEST_NO_INSTALL: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /java is not installed/);
    assert.match(r.stderr, /apt-get install -y --no-install-recommends openjdk-17-jre-headless maven kcat/);
    assert.doesNotMatch(r.stderr, /Starting a Kafka broker/);
    assert.ok(Date.now() - started < 30_000, 'the check must not wait on anything');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a clickhouse-server binary that is missing fails the start at once, naming the package', async () => {
  const started = Date.now();
  await assert.rejects(startClickHouseServer({ binary: join(tmpdir(), 'no-such-dir', 'clickhouse-server') }), /could not be started \(spawn .*ENOENT\); install Debian's clickhouse-server package/);
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});

test('the broker start refuses a machine without Java, naming the package', () => {
  const saved = process.env.PATH;
  const empty = mkdtempSync(join(tmpdir(), 'tributary-empty-'));
  process.env.PATH = empty;
  try {
    assert.throws(() => checkTools(true), /Java is not installed.*apt-get install openjdk-17-jre-headless/);
  } finally {
    process.env.PATH = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});
