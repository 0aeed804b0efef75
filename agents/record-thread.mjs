// A record thread's entry: threads do not inherit the parent's TypeScript loader when it was
// registered in code (bin/tributary.js), so each registers its own before loading the body.
import { register } from 'tsx/esm/api';

register();
await import('./record-thread.ts');
