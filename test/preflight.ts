/**
 * What `npm test` needs from the machine besides node_modules, checked before any test runs: Java 17+
 * and Maven (the local Kafka broker), kcat (a Kafka client that is not ours, in the e2e test),
 * Debian's clickhouse-server (the HTTP storage driver's tests), and util-linux's logger, journalctl and
 * systemd-journal-remote (real senders and writers for the syslog and journald sources), openssl (the TLS tests' certificates). Missing tools are installed with apt
 * when the run is root on a Debian-like machine (as .ci/run always did); otherwise the run stops at once
 * with the exact packages and command, instead of each test timing out on its own.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  /** The command the tests run. */
  command: string;
  /** Debian/Ubuntu package that provides it. */
  aptPackage: string;
  /** Why the tests need it, for the message. */
  why: string;
  /** Extra places to look besides PATH (Debian puts clickhouse-server in /usr/sbin, which a user's PATH lacks). */
  alsoIn?: string[];
  /** Checks a found binary (a version floor); returns a problem or undefined. */
  check?: (path: string, env: NodeJS.ProcessEnv) => string | undefined;
}

export const TOOLS: readonly Tool[] = [
  { command: 'java', aptPackage: 'openjdk-17-jre-headless', why: 'runs the local Kafka broker', check: javaTooOld },
  { command: 'mvn', aptPackage: 'maven', why: "resolves Kafka's jars from Maven Central on the first run" },
  { command: 'kcat', aptPackage: 'kcat', why: 'reads the topics as a client that is not ours (test/e2e)' },
  { command: 'clickhouse-server', aptPackage: 'clickhouse-server', why: "the HTTP storage driver's tests start a real server", alsoIn: ['/usr/sbin', '/usr/bin'] },
  { command: 'logger', aptPackage: 'bsdutils', why: 'sends syslog over UDP and TCP to the syslog intake (test/agents/sources/syslog.test.ts)' },
  { command: 'openssl', aptPackage: 'openssl', why: 'makes the certificates of the TLS tests (test/helpers/certs.ts, stack up --secure)' },
  { command: 'journalctl', aptPackage: 'systemd', why: 'the journald source reads the journal through it' },
  { command: 'systemd-journal-remote', aptPackage: 'systemd-journal-remote', why: 'writes the journal files the journald source tests read', alsoIn: ['/lib/systemd', '/usr/lib/systemd'] },
];

/** Where `command` would be found (PATH first, then the tool's extra folders), or undefined. */
export function findBinary(command: string, env: NodeJS.ProcessEnv = process.env, alsoIn: readonly string[] = []): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...alsoIn];
  for (const dir of dirs) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function javaTooOld(path: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) return `\`${path} -version\` failed: ${r.error?.message ?? r.stderr.trim().split('\n')[0]}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  return major >= 17 ? undefined : `Java ${major || '(unknown version)'} is installed; Kafka 4 needs Java 17 or newer`;
}

export interface Missing {
  tool: Tool;
  problem: string;
}

/** Every tool that is missing or unusable, all at once. */
export function missingTools(env: NodeJS.ProcessEnv = process.env, tools: readonly Tool[] = TOOLS): Missing[] {
  const out: Missing[] = [];
  for (const tool of tools) {
    const path = findBinary(tool.command, env, tool.alsoIn);
    if (!path) {
      out.push({ tool, problem: `${tool.command} is not installed (it ${tool.why})` });
      continue;
    }
    const problem = tool.check?.(path, env);
    if (problem) out.push({ tool, problem });
  }
  return out;
}

export function installCommand(missing: readonly Missing[]): string {
  return `apt-get install -y --no-install-recommends ${[...new Set(missing.map((m) => m.tool.aptPackage))].join(' ')}`;
}

/** The message for a run that cannot go on: what is missing, and the exact command that fixes it. */
export function missingMessage(missing: readonly Missing[], why: string): string {
  return [
    `npm test cannot run: ${why}`,
    ...missing.map((m) => `  - ${m.problem}`),
    `Install with (Debian/Ubuntu, as root or with sudo):`,
    `  apt-get update && ${installCommand(missing)}`,
    `(elsewhere: Java 17+, Maven, kcat, a clickhouse-server binary, logger, openssl, journalctl and systemd-journal-remote on PATH). As root, npm test installs them itself.`,
  ].join('\n');
}

/**
 * Installs what is missing when it can (root, apt-get present, TRIBUTARY_TEST_NO_INSTALL unset); returns
 * what is still missing afterwards, with the reason it could not install.
 */
export function preflight(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): { missing: Missing[]; reason: string } {
  const missing = missingTools(env);
  if (missing.length === 0) return { missing, reason: '' };
  const apt = findBinary('apt-get', env);
  let reason: string;
  if (env.TRIBUTARY_TEST_NO_INSTALL) reason = 'tools are missing and TRIBUTARY_TEST_NO_INSTALL is set, so nothing is installed';
  else if (!apt) reason = 'tools are missing and there is no apt-get here to install them';
  else if (process.getuid?.() !== 0) reason = 'tools are missing and installing them with apt needs root';
  else {
    const cmd = installCommand(missing);
    log(`Installing what the tests need: ${cmd}`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync(apt, ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv });
    const install = update.status === 0 ? spawnSync(apt, cmd.split(' ').slice(1).concat('-qq'), { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv }) : update;
    const still = missingTools(env);
    if (still.length === 0) return { missing: still, reason: '' };
    return { missing: still, reason: install.status === 0 ? 'apt installed the packages, but these are still not found' : `\`apt-get ${update.status === 0 ? 'install' : 'update'}\` failed (exit ${install.status})` };
  }
  return { missing, reason };
}
