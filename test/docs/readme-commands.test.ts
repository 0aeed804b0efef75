/**
 * Every command the READMEs show runs as written. The commands are found by rule, not listed by hand:
 * the lines of shell code blocks (and plain blocks) that start with a command word, and the inline code
 * spans that start with one. Each is checked first against what exists (the tributary subcommand and each
 * flag it shows, the npm script, the files it names), then run with the local stack: a command that ends
 * must exit 0; one that runs until stopped (agent, worker, top) must still be running after a few seconds
 * and stop cleanly on SIGTERM. Synopsis notation is read by rule: `[...]` is optional (left out),
 * `a|b|c` stands for each of a, b and c. The few placeholders a reader replaces with their own values
 * (a log folder, a host, a file of theirs) have a local stand-in in SUBSTITUTIONS; the few commands that
 * cannot run here are in SKIPPED with the reason. Anything else that cannot run as written fails here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { restartTestBroker, testBrokers, testStackOptions } from '../helpers/kafka.ts';
import { freePort } from '../../core/ports.ts';
import { generateWorkload } from '../../workload/generator.ts';
import { readStatuses } from '../../cli/status.ts';
import { ensureOtelcol } from '../../bench/otelcol/run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

// ------------------------------------------------------------------------------------------------
// Finding the commands

/** Words a shown command starts with (after `VAR=value` prefixes). */
const COMMAND_WORDS = ['npx', 'npm', 'node', 'kcat', 'docker', 'curl', 'tributary'];

export interface Shown {
  file: string;
  line: number;
  text: string;
}

function readmes(dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    // Third-party data shipped for the tests, not our documentation.
    if (relative(root, path) === join('test', 'fixtures')) continue;
    if (statSync(path).isDirectory()) out.push(...readmes(path));
    else if (name === 'README.md') out.push(relative(root, path));
  }
  return out;
}

/** Cuts a trailing `# comment` and a synopsis description (after 2+ spaces), outside quotes. */
function commandPart(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
    else if (line.startsWith('  ', i)) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

function isCommand(text: string): boolean {
  const words = text.replace(/^(\w+=\S*\s+)+/, '').split(/\s+/);
  if (COMMAND_WORDS.includes(words[0]!)) return true;
  // `some-service | npx tributary agent ...`: a pipe into one of ours.
  return /^\S+\s+\|\s+npx\s/.test(text);
}

export function extract(markdown: string, file: string): Shown[] {
  const out: Shown[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const open = /^\s*```(\S*)/.exec(raw);
    if (open) {
      fence = fence === undefined ? open[1]! : undefined;
      return;
    }
    if (fence !== undefined) {
      if (!['', 'sh', 'bash', 'shell', 'console'].includes(fence)) return;
      const text = commandPart(raw.trim().replace(/^\$\s+/, ''));
      if (text && isCommand(text)) out.push({ file, line, text });
      return;
    }
    for (const m of raw.matchAll(/`([^`]+)`/g)) {
      const text = m[1]!.trim();
      if (/^(npx|npm|node|kcat|docker|curl)\s/.test(text)) out.push({ file, line, text });
    }
  });
  return out;
}

/** `a|b|c` (one word, no spaces around the bars, not quoted) stands for each; `[...]` is optional. */
export function expand(text: string): string[] {
  const noOptional = text.replace(/\s*\[[^\]]*\]/g, '');
  const alt = /(^|\s)([\w.:-]+(?:\|[\w.:-]+)+)(?=\s|$)/.exec(noOptional);
  if (!alt) return [noOptional];
  return alt[2]!.split('|').flatMap((a) => expand(noOptional.slice(0, alt.index) + alt[1] + a + noOptional.slice(alt.index + alt[0].length)));
}

// ------------------------------------------------------------------------------------------------
// What a reader replaces, and what cannot run here

interface Local {
  brokers: string;
  logs: string;
  bodies: string;
  jsonl: string;
  otlp: string;
  /** The syslog and GELF intakes' addresses (free ports, as for OTLP). */
  syslog: string;
  gelf: string;
  /** The Prometheus remote write intake's address (a free port). */
  remoteWrite: string;
  agentYaml: string;
}

/**
 * Placeholders a reader replaces with their own values, and the local stand-in the walk uses. Exact
 * strings, applied in order; a command that still holds `<...>` or `...` afterwards fails the walk.
 */
const SUBSTITUTIONS: Array<[RegExp, (l: Local) => string]> = [
  // Their log folders: a few real files of ours.
  [/'\/var\/log\/[\w/]*\*\.log'/g, (l) => `'${l.logs}/*.log'`],
  // Their Kafka cluster (and the local stack's default port): the broker of this walk.
  [/host1:9092,host2:9092|host:9092|host:port|127\.0\.0\.1:9092/g, (l) => l.brokers],
  // The OTLP port may be taken by another program on this machine: a free one. Only the whole port: the
  // broker's stand-in, put in above, may start with the same digits (a broker on 43181 became 382071).
  [/127\.0\.0\.1:4318(?!\d)/g, (l) => l.otlp],
  [/127\.0\.0\.1:5514(?!\d)/g, (l) => l.syslog],
  [/127\.0\.0\.1:12201(?!\d)/g, (l) => l.gelf],
  [/127\.0\.0\.1:9201(?!\d)/g, (l) => l.remoteWrite],
  // Their agent configuration: the complete example, with its paths pointed at local files.
  [/(\/etc\/tributary\/)?\bagent\.yaml\b/g, (l) => l.agentYaml],
  // Their SQL: the smallest query.
  [/"SELECT \.\.\."/g, () => '"SELECT 1"'],
  // Their worker configuration: the complete example.
  [/(?<![\w/.-])worker\.yaml\b/g, () => 'examples/worker.yaml'],
  // Their application's log file (not `node app.js`, their program).
  [/(?<![\w/.-])app\.log\b/g, (l) => `${l.logs}/checkout.log`],
  // Their files of log bodies and of JSON log records.
  [/\bbodies\.txt\b/g, (l) => l.bodies],
  [/\bfile\.jsonl\b/g, (l) => l.jsonl],
  // Their service writing to stdout.
  [/^some-service \|/, () => `printf 'first line\\nsecond line\\n' |`],
];

/** Commands that cannot run here, and why. Each is still checked against what exists. */
const SKIPPED: Array<[RegExp, string]> = [
  [/^npm ci\b/, 'reinstalls node_modules under the tests that are running; .ci/run runs it on a fresh clone'],
  [/^npm test\b/, 'this walk is part of it'],
  [/^node --import tsx (--test|test\/run\.ts)\b/, 'runs test files, which npm test runs anyway'],
  [/^npm run (bench:(?!report)|eval|train|soak)\S*|^node --import tsx bench\//, 'benchmarks, evaluations and training take minutes and write bench/results or models; the README figures come from them'],
  [/docker compose|^export CLICKHOUSE_PASSWORD=/, 'no Docker on this machine; test/docker-compose.test.ts checks the compose file'],
  [/tributary stack down\b/, 'run once, last, by the walk itself (it stops the broker every other command uses)'],
  [/^node app\.js\b/, "stands for the reader's own application (the pino transport has its own tests)"],
  [/^npm run example:features\b/, 'installs Python packages from PyPI and trains a model (minutes); its parts are proven in test/pipeline/features/'],
  [/^npx tributary backfill\b/, 'needs the example\'s payments in Kafka; test/pipeline/features/backfill.test.ts runs backfills on a real broker'],
];

// ------------------------------------------------------------------------------------------------
// Checks against what exists

const helpCache = new Map<string, { ok: boolean; text: string }>();
function tributaryHelp(sub: string): { ok: boolean; text: string } {
  let h = helpCache.get(sub);
  if (!h) {
    const r = spawnSync(process.execPath, [join(root, 'bin/tributary.js'), ...(sub ? [sub] : []), '--help'], { cwd: root, encoding: 'utf8' });
    h = { ok: r.status === 0, text: r.stdout };
    helpCache.set(sub, h);
  }
  return h;
}

const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** What is wrong with a shown command, checked without running it (flags inside `[...]` included). */
export function staticProblems(text: string): string[] {
  const problems: string[] = [];
  for (const part of text.split(/\s*(?:&&|\|)\s*/)) {
    const words = part.replace(/^(\w+=\S*\s+)+/, '').split(/\s+/);
    const tributary = words[0] === 'npx' && words[1] === 'tributary' ? words.slice(2) : words[0] === 'tributary' ? words.slice(1) : words[0] === 'node' && words[1] === 'bin/tributary.js' ? words.slice(2) : undefined;
    if (tributary) {
      const sub = tributary[0];
      if (!sub || sub.startsWith('-')) continue;
      if (!tributaryHelp(sub).ok) {
        problems.push(`tributary has no command "${sub}"`);
        continue;
      }
      const help = tributaryHelp(sub).text;
      for (const flag of part.match(/(?<=\s|\[)--[a-z][\w-]*/g) ?? []) if (!help.includes(flag)) problems.push(`\`tributary ${sub} --help\` does not know ${flag}`);
    } else if (words[0] === 'npm' && words[1] === 'run') {
      if (!scripts[words[2]!]) problems.push(`package.json has no script "${words[2]}"`);
    } else if (words[0] === 'node') {
      for (const w of words.slice(1)) if (/\.(ts|js|mjs)$/.test(w) && !w.includes('*') && !existsSync(join(root, w)) && w !== 'app.js') problems.push(`no file ${w}`);
    } else if (words[0] === 'docker' && words[1] === 'compose') {
      if (!existsSync(join(root, 'docker-compose.yml'))) problems.push('no docker-compose.yml');
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Running

/** Commands that run until stopped: an agent, worker or top that reads no finite input. */
function runsUntilStopped(cmd: string): boolean {
  return /tributary (agent|worker|top)\b/.test(cmd) && !/--(check|once|help)\b/.test(cmd) && !/\|\s*npx tributary agent/.test(cmd);
}

let local: Local;
let env: NodeJS.ProcessEnv;
let home: string;

/** `top --once` taken while the demo ran (the demo says when its agent and worker are up). */
let topDuringDemo: string | undefined;

/** Whether any process of group `pgid` is still alive (zombies left out: they hold nothing). Linux's /proc. */
function groupLives(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp ...`: comm may hold spaces and parentheses, so read after the last `)`.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid && f[0] !== 'Z') return true;
  }
  return false;
}

async function run(cmd: string): Promise<{ code: number | null; output: string; stopped: boolean; ms: number }> {
  const started = Date.now();
  const child = spawn('bash', ['-c', cmd], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let looked = false;
  // Only the tail is kept: `kcat ... -C -e` prints a whole topic, and the message needs the end only.
  const keep = (text: string) => (output = (output + text).slice(-65_536));
  child.stdout!.on('data', (d: Buffer) => {
    keep(d.toString());
    if (!looked && /While it runs, `npx tributary top`/.test(output)) {
      looked = true;
      const top = spawn('bash', ['-c', 'npx tributary top --once'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let frame = '';
      top.stdout!.on('data', (f: Buffer) => (frame += f.toString()));
      top.once('exit', () => (topDuringDemo = frame));
    }
  });
  child.stderr!.on('data', (d: Buffer) => keep(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const daemon = runsUntilStopped(cmd);
  let first: number | null | 'running';
  if (daemon) {
    // Up means working, not merely not dead yet: an agent or worker publishes its status file once it
    // runs (cli/status.ts), top prints a frame. A command that fails at start ends before that. Only a
    // process that was not there before counts: the previous command's daemon may still be shutting
    // down, its status file not yet removed.
    const before = new Set(readStatuses(join(home, 'run')).map((s) => s.pid));
    const up = () => (/tributary top\b/.test(cmd) ? /tributary top {2}\d/.test(output) : readStatuses(join(home, 'run')).some((s) => !before.has(s.pid)));
    let ended: number | null | undefined;
    void exited.then((c) => (ended = c));
    const deadline = Date.now() + 90_000;
    while (ended === undefined && !up() && Date.now() < deadline) await sleep(250);
    if (ended === undefined && up()) await sleep(1000);
    first = ended !== undefined ? ended : 'running';
    if (ended === undefined && !up()) output += `\n(walk: not up after 90 s)`;
  } else {
    // The demo is the longest command that ends: a minute or two on a busy 2-core machine.
    const limit = /run demo\b/.test(cmd) ? 240_000 : 60_000;
    first = await Promise.race([exited, sleep(limit).then(() => 'running' as const)]);
  }
  if (first !== 'running') return { code: first, output, stopped: false, ms: Date.now() - started };
  process.kill(-child.pid!, 'SIGTERM');
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  const code = await exited;
  // bash can end before what it started (npx, then node): wait for the whole process group, or the
  // next command meets this one's worker still shutting down, its store still locked (seen on a busy machine).
  const waitUntil = Date.now() + 30_000;
  while (groupLives(child.pid!) && Date.now() < waitUntil) await sleep(100);
  clearTimeout(killer);
  if (groupLives(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  return { code: daemon ? code : -1, output, stopped: true, ms: Date.now() - started };
}

const ran = new Set<string>();
const shown = readmes().flatMap((file) => extract(readFileSync(join(root, file), 'utf8'), file));

before(async () => {
  const brokers = (await testBrokers()).join(',');
  const stack = testStackOptions()!;
  home = mkdtempSync(join(tmpdir(), 'tributary-readme-'));
  // The walk's TRIBUTARY_HOME sees the test broker as its local stack, so `stack up` and `stack status`
  // find it running (on its port) instead of starting a second one.
  symlinkSync(stack.home, join(home, 'kafka'));
  mkdirSync(join(home, 'logs'));
  for (const svc of ['checkout', 'search']) {
    writeFileSync(join(home, 'logs', `${svc}.log`), Array.from({ length: 50 }, (_, i) => JSON.stringify({ time: new Date().toISOString(), level: i % 10 ? 'info' : 'error', msg: `${svc} request ${i} took ${i * 3} ms` })).join('\n') + '\n');
  }
  writeFileSync(join(home, 'bodies.txt'), 'user 17 logged in from 10.0.0.1\nuser 42 logged in from 10.0.0.9\ndisk /dev/sda1 is 91% full\n');
  const START = Date.parse('2026-11-24T10:00:00.000Z');
  const w = generateWorkload({ seed: 3, startMs: START, durationMs: 10 * 60_000, rateScale: 0.2, incidents: [] });
  writeFileSync(join(home, 'logs.jsonl'), [...w.logs()].map((l) => JSON.stringify({ ts: new Date(l.timeMs).toISOString(), service: l.service, host: l.host, severity: l.severity_text, body: l.body })).join('\n') + '\n');
  // The example configuration, with its log paths pointed at the walk's files and its buffer in the walk's home.
  const example = readFileSync(join(root, 'agents', 'example-config.yaml'), 'utf8')
    .replace(/"\/var\/log\/[^"]*"|"\/opt\/app\/logs\/[^"]*"/g, `"${join(home, 'logs')}/*.log"`)
    .replace(/\/var\/lib\/tributary\//g, `${home}/`);
  // The intakes on free ports (a free TCP port stands in for UDP's too: nothing else here binds them).
  local = {
    brokers, logs: join(home, 'logs'), bodies: join(home, 'bodies.txt'), jsonl: join(home, 'logs.jsonl'),
    otlp: `127.0.0.1:${await freePort()}`, syslog: `127.0.0.1:${await freePort()}`, gelf: `127.0.0.1:${await freePort()}`, remoteWrite: `127.0.0.1:${await freePort()}`, agentYaml: join(home, 'agent.yaml'),
  };
  writeFileSync(
    local.agentYaml,
    example.replace(/127\.0\.0\.1:9092/g, brokers).replace(/127\.0\.0\.1:4318(?!\d)/g, local.otlp).replace(/127\.0\.0\.1:5514(?!\d)/g, local.syslog).replace(/127\.0\.0\.1:12201(?!\d)/g, local.gelf),
  );
  env = {
    ...process.env,
    TRIBUTARY_HOME: home,
    TRIBUTARY_KAFKA_PORT: String(stack.port),
    TRIBUTARY_KAFKA_CONTROLLER_PORT: String(stack.controllerPort),
    TRIBUTARY_BROKERS: brokers,
    // examples/worker.yaml reads these two (with defaults of 127.0.0.1:9092 and a shared /tmp folder).
    TRIBUTARY_BROKER: brokers.split(',')[0],
    TRIBUTARY_STORE_PATH: join(home, 'store'),
    TRIBUTARY_LOG_FORMAT: 'json',
    TRIBUTARY_LOG_LEVEL: 'warn',
    npm_config_update_notifier: 'false',
  };
  // `query` is shown "right after the demo"; the walk makes the schema first, so its order does not matter.
  const m = spawnSync(process.execPath, [join(root, 'bin/tributary.js'), 'migrate'], { cwd: root, env, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  // A command that runs the Collector builds it first when it is missing: minutes on a machine whose Go
  // caches are cold (about 190 modules), past the walk's minute for a command. Built here, as
  // test/interop does, so the walk times the command, not the first build.
  if (shown.some((s) => /interop:otelcol|BENCH_OTELCOL=1/.test(s.text))) ensureOtelcol();
}, { timeout: 900_000 });

after(async () => {
  // `npx tributary stack down`, as written, last: then the test broker comes back for the files after this one.
  const down = spawnSync('bash', ['-c', 'npx tributary stack down'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  await restartTestBroker();
  rmSync(home, { recursive: true, force: true });
  assert.equal(down.status, 0, down.stdout + down.stderr);
  assert.match(down.stdout + down.stderr, /[Ss]topped/);
});

test('the READMEs show commands, and the walk finds them by rule', () => {
  assert.ok(readmes().includes('README.md') && readmes().includes(join('agents', 'README.md')));
  assert.ok(shown.length >= 20, `found ${shown.length}`);
  assert.ok(shown.some((s) => s.text.startsWith('npm ci && npm run demo')));
  assert.deepEqual(expand('npx tributary stack up|down|status'), ['npx tributary stack up', 'npx tributary stack down', 'npx tributary stack status']);
  assert.deepEqual(expand('npx tributary query "SELECT ..." [--json] [--param name=value]'), ['npx tributary query "SELECT ..."']);
  assert.equal(commandPart('npx tributary worker                    one worker of the group'), 'npx tributary worker');
  assert.equal(commandPart('npx tributary migrate --logs-ttl-days 7  change retention'), 'npx tributary migrate --logs-ttl-days 7');
  assert.equal(commandPart("npx tributary agent --tail '/var/log/app/*.log'   # a comment"), "npx tributary agent --tail '/var/log/app/*.log'");
  assert.deepEqual(staticProblems('npx tributary agent --tial x'), ['`tributary agent --help` does not know --tial']);
  assert.deepEqual(staticProblems('npx tributary nonesuch'), ['tributary has no command "nonesuch"']);
  assert.deepEqual(staticProblems('npm run no-such-script'), ['package.json has no script "no-such-script"']);
});

for (const s of shown) {
  const where = `${s.file}:${s.line}`;
  test(`${where}: ${s.text}`, async (t) => {
    const problems = staticProblems(s.text);
    assert.deepEqual(problems, [], `${where}: \`${s.text}\`: ${problems.join('; ')}`);
    for (const variant of s.text.split(/\s+&&\s+/).flatMap(expand)) {
      const skip = SKIPPED.find(([re]) => re.test(variant));
      if (skip) {
        t.diagnostic(`not run: \`${variant}\`: ${skip[1]}`);
        continue;
      }
      let cmd = variant;
      for (const [re, value] of SUBSTITUTIONS) cmd = cmd.replace(re, value(local));
      assert.doesNotMatch(cmd, /<[\w-]+>|\.\.\./, `${where}: \`${variant}\` holds a placeholder with no local stand-in; show a command that runs as written, or add the placeholder to SUBSTITUTIONS`);
      // The same command shown in several places runs once (the demo alone takes a minute).
      if (ran.has(cmd)) {
        t.diagnostic(`\`${cmd}\` ran above`);
        continue;
      }
      ran.add(cmd);
      const r = await run(cmd);
      t.diagnostic(`ran \`${cmd}\` in ${r.ms} ms${r.stopped ? ' (stopped with SIGTERM)' : ''}`);
      if (runsUntilStopped(cmd)) {
        assert.ok(r.stopped, `${where}: \`${variant}\` should run until stopped, but ended (exit ${r.code}):\n${r.output.slice(-1500)}`);
        assert.doesNotMatch(r.output, /\(walk: not up after 90 s\)/, `${where}: \`${variant}\` never came up:\n${r.output.slice(-1500)}`);
        assert.doesNotMatch(r.output, /^tributary: /m, `${where}: \`${variant}\` reported an error:\n${r.output.slice(-1500)}`);
      } else {
        assert.equal(r.stopped, false, `${where}: \`${variant}\` did not end in time:\n${r.output.slice(-1500)}`);
        assert.equal(r.code, 0, `${where}: \`${variant}\` (run as \`${cmd}\`) exited ${r.code}:\n${r.output.slice(-2000)}`);
      }
    }
  });
}

// Declared after the walk, so it runs after the demo did.
test('top --once, taken while the demo ran, showed its agent and its worker', { skip: !shown.some((s) => /npm run demo\b/.test(s.text)) && 'no README shows the demo' }, () => {
  assert.ok(topDuringDemo, 'the demo said its agent and worker were up, and top ran then');
  assert.match(topDuringDemo, /AGENTS \(1 on this machine\)\n\s+agent demo on /);
  assert.match(topDuringDemo, /WORKERS \(1 on this machine\)\n\s+worker \S+ \(pid \d+\), group tributary-demo-\d+/);
  assert.match(topDuringDemo, /CONSUMER LAG, group tributary-demo-\d+/);
});
