import { benchLine } from './bench/agent.ts';
import { createRecordBuilder, newCounters } from './agents/record-builder.ts';
const full = createRecordBuilder(newCounters());
const n = 20000;
const recs = Array.from({ length: n }, (_, i) => full({ text: benchLine(i).replace(/\n$/, ''), origin: { kind: 'file', path: '/var/log/app.log', fingerprint: '64769:1234567:9f2c4a1b:64', offset: i * 250 }, service: 'bench', host: 'h', observedMs: Date.now() } as any));
console.log(JSON.stringify(recs[1]), JSON.stringify(recs[1]).length);
console.log(JSON.stringify(recs[7]));
const variants: Record<string, (r: any) => any> = {
  full: (r) => r,
  noV_noObserved: (r) => { const { v, observed_time, ...rest } = r; return rest; },
  flatOrigin: (r) => { const { origin, ...rest } = r; return { ...rest, path: origin.path, offset: origin.offset }; },
  bodyOnly: (r) => ({ time: r.time, body: r.body }),
  attrsAsString: (r) => ({ ...r, attributes: undefined }),
};
for (let round = 0; round < 3; round++) for (const [name, f] of Object.entries(variants)) {
  const xs = recs.map(f);
  let s = 0;
  for (const x of xs) s += JSON.stringify(x).length;
  const t = process.hrtime.bigint();
  for (let k = 0; k < 5; k++) for (const x of xs) s += JSON.stringify(x).length;
  console.log(round, name, (Number(process.hrtime.bigint() - t) / 1e3 / n / 5).toFixed(3), 'µs', Math.round(s / n / 6));
}
