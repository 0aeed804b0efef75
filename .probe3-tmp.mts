import { buildParser } from './agents/transforms/parsers/index.ts';
const p = buildParser('auto');
for (const l of [
 'info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000',
 '2026-12-06 03:00:00 info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000',
 '[03:00:00 INF] Now listening',
 '2026/12/06 03:00:00 INFO hello count=3',
 'fail: Microsoft.AspNetCore.Server.Kestrel[13] Connection id "0HN" failed',
]) console.log(JSON.stringify(p(l, { now: Date.now() })));
