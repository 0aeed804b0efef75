// Free loopback ports (core/ports.ts): a cluster's listeners need ports that are free and all different.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freePorts, portOpen } from '../../core/ports.ts';

test('freePorts gives different ports, each free to listen on afterwards', async () => {
  for (let round = 0; round < 20; round++) {
    const ports = await freePorts(12);
    assert.equal(new Set(ports).size, 12, `all different: ${ports.join(',')}`);
    for (const p of ports) assert.equal(await portOpen(p), false, `port ${p} is released`);
  }
  const servers = await Promise.all((await freePorts(4)).map((p) => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(p, '127.0.0.1', () => resolve(s));
  })));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
