/**
 * A real ClickHouse server for the HTTP driver's tests: Debian's `clickhouse-server` package (an old
 * 18.16 release, installed by .ci/run), started in the foreground with a config of its own in a temp
 * folder, bound to 127.0.0.1 on free ports, with one password-protected user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary, TOOLS } from '../preflight.ts';
import { freePort } from '../../core/ports.ts';

export interface TestClickHouse {
  url: string;
  /** With `tls`: the https port's URL (its certificate is for localhost and 127.0.0.1). */
  httpsUrl?: string;
  user: string;
  password: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export const CLICKHOUSE_BINARY = findBinary('clickhouse-server', process.env, TOOLS.find((t) => t.command === 'clickhouse-server')!.alsoIn) ?? 'clickhouse-server';

export function clickhouseServerInstalled(): boolean {
  return spawnSync(CLICKHOUSE_BINARY, ['--version'], { encoding: 'utf8' }).status === 0 || existsSync(CLICKHOUSE_BINARY);
}

/**
 * `tls`: also an https port with this certificate and key; with `clientCa`, it takes only clients with
 * a certificate that CA signed (ClickHouse's openSSL `verificationMode` strict).
 */
export async function startClickHouseServer(opts: { binary?: string; tls?: { cert: string; key: string; clientCa?: string } } = {}): Promise<TestClickHouse> {
  const binary = opts.binary ?? CLICKHOUSE_BINARY;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ch-'));
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const interserverPort = await freePort();
  const httpsPort = opts.tls ? await freePort() : undefined;
  const tls = opts.tls;
  const openSsl = tls
    ? `<https_port>${httpsPort}</https_port>
  <openSSL><server><certificateFile>${tls.cert}</certificateFile><privateKeyFile>${tls.key}</privateKeyFile><loadDefaultCAFile>false</loadDefaultCAFile><cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3</disableProtocols><preferServerCiphers>true</preferServerCiphers>${tls.clientCa ? `<verificationMode>strict</verificationMode><caConfig>${tls.clientCa}</caConfig>` : '<verificationMode>none</verificationMode>'}</server></openSSL>`
    : '';
  const user = 'tributary';
  const password = 'test-secret';
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'log'), { recursive: true });
  writeFileSync(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <${user}>
      <password>${password}</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${user}>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
  const config = join(dir, 'config.xml');
  writeFileSync(
    config,
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <interserver_http_port>${interserverPort}</interserver_http_port>
  ${openSsl}
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
`,
  );
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${httpPort}`;

  const server: TestClickHouse = {
    url,
    ...(httpsPort ? { httpsUrl: `https://localhost:${httpsPort}` } : {}),
    user,
    password,
    async start() {
      child = spawn(binary, [`--config-file=${config}`], { stdio: 'ignore', cwd: dir });
      let exited = false;
      let spawnError: Error | undefined;
      child.once('exit', () => (exited = true));
      // A binary that is missing never exits (it never ran): fail now with the reason, not after the deadline.
      child.once('error', (err) => (spawnError = err));
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const res = await fetch(`${url}/ping`);
          if (res.ok) return;
        } catch {
          /* not up yet */
        }
        if (spawnError) {
          child = undefined;
          throw new Error(`clickhouse-server could not be started (${spawnError.message}); install Debian's clickhouse-server package (apt-get install clickhouse-server), or run npm test as root, which installs it`);
        }
        if (exited) throw new Error(`clickhouse-server exited during start-up; see ${dir}/log/error.log`);
        if (Date.now() > deadline) throw new Error(`clickhouse-server did not answer on ${url} within 60 s`);
        await sleep(200);
      }
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    },
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return server;
}
