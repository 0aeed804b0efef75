#!/usr/bin/env node
// Launcher: the project is TypeScript run directly through tsx, so `npx tributary` needs no build
// step. `tributary agent`, which runs on every host, runs from a bundle of its sources instead (built
// on first use and whenever a source changed; bin/agent-bundle.js); TRIBUTARY_AGENT_BUNDLE=0 runs it
// from the sources too.
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2] === 'agent' && process.env.TRIBUTARY_AGENT_BUNDLE !== '0' ? await (await import('./agent-bundle.js')).agentBundle() : undefined;
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
