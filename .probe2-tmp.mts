import { readFileSync } from 'node:fs';
import { LineSplitter } from './agents/transforms/line-splitter.ts';
import { MultilineAssembler } from './agents/transforms/multiline.ts';
import { buildParser } from './agents/transforms/parsers/index.ts';
const p = buildParser('auto');
for (const f of process.argv.slice(2)) {
  console.log('==', f);
  const sp = new LineSplitter(); const as = new MultilineAssembler({});
  const texts: string[] = [];
  for (const line of sp.push(readFileSync(f), 0)) for (const r of as.push(line, 0)) texts.push(r.text);
  for (const line of sp.flush()) for (const r of as.push(line, 0)) texts.push(r.text);
  for (const r of as.flush()) texts.push(r.text);
  for (const l of texts) {
    const r = p(l, { now: Date.parse('2026-12-06T03:00:00Z'), timeZone: 'UTC' });
    console.log(JSON.stringify({ t: r.time ? new Date(r.time).toISOString() : undefined, sev: r.severityText, n: r.severityNumber, body: r.body.slice(0, 300), a: r.attributes, h: r.host, fb: r.fallback }).slice(0, 600));
  }
}
