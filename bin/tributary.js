#!/usr/bin/env node
// Launcher: the project is TypeScript run directly through tsx, so `npx tributary` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
