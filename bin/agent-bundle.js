// The agent as plain JavaScript: `tributary agent` runs from a bundle of its TypeScript (esbuild, the
// compiler tsx itself uses), built on first use and again whenever a source it holds changed, so an
// edit is picked up like before. Plain JavaScript itself, because loading the TypeScript loader is
// what the bundle saves. Packages stay outside the bundle (node_modules as they are) but for the
// few in BUNDLED_PACKAGES.
//
// dist/agent.json names the bundle's folder and the files it was built from; the folder's name is a
// hash of those files' sizes and modification times and of this file, so a stale bundle is never
// used, and agents that build at the same moment (tests start many) each write their own folder and rename it into
// place: the first rename wins and the others drop theirs.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Changing how the bundle is built (options below) must not reuse bundles built the old way: the stamp
// holds this file's own text too, and RECIPE names the layout of dist/agent.json.
const RECIPE = 'agent-bundle-4';
const SELF = readFileSync(fileURLToPath(import.meta.url));

/** The agent's entry points, by output name; `record-thread` must sit beside the entry (agents/record-pool.ts loads it from there). */
export const AGENT_ENTRIES = { agent: 'cli/agent-entry.ts', 'record-thread': 'agents/record-thread.ts' };

/** A hash of the inputs' paths, sizes and modification times, and of this builder (undefined when an input is gone). */
function stampOf(inputs) {
  const h = createHash('sha256').update(`${RECIPE}\n${process.version}\n`).update(SELF);
  for (const file of inputs) {
    let st;
    try {
      st = statSync(join(root, file));
    } catch {
      return undefined;
    }
    // Whole milliseconds: what a Date (utimes, touch -d) can set back.
    h.update(`${file}\0${st.size}\0${Math.trunc(st.mtimeMs)}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Packages bundled with the agent's code; every other package stays in node_modules, loaded from there
 * (native ones must; pino's pretty printer starts a worker from pino's own folder; the rest are loaded
 * only by the configs that use them). These two are many small CommonJS files each, found and read one
 * by one at every start: about 30 ms of a start's CPU that one bundle's parse does not cost (agents/PERFORMANCE.md).
 */
export const BUNDLED_PACKAGES = ['yaml', '@opentelemetry/api'];

/** esbuild's `packages: 'external'`, but for BUNDLED_PACKAGES. */
const packagesOutside = {
  name: 'packages-outside',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const pkg = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      return BUNDLED_PACKAGES.includes(pkg) ? undefined : { path: args.path, external: true };
    });
  },
};

/** Built with every bundle and run once after: writes what the bundle's code looks for beside it (the config validator). */
const PRECOMPILE = { name: 'precompile', path: 'agents/precompile.ts' };

/**
 * Builds `entries` (output name -> source path, relative to the project) into `outdir` as ES modules
 * for Node 20, with the agent's config validator written ahead of time beside them
 * (core/config/precompiled.ts); returns the project files that went in.
 */
export async function buildBundle(entries, outdir) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries({ ...entries, [PRECOMPILE.name]: PRECOMPILE.path }).map(([name, path]) => [name, join(root, path)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [packagesOutside],
    // What only some agents use (the kafkajs client, the OTLP intake's schema, the health server) is
    // imported when used: with splitting each such import is a file of its own, loaded then, with the
    // packages it needs; without it esbuild would hoist their packages' imports into the entry.
    splitting: true,
    // The bundled CommonJS packages require Node's builtins: an ES module has no `require` of its own.
    banner: { js: "import { createRequire as __tributaryRequire } from 'node:module';\nconst require = __tributaryRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'silent',
  });
  // From the files just built, so the validator is the bundled schema's. A failure here fails the
  // build: the caller then runs the sources, which compile the schema themselves.
  const { writeValidators } = await import(pathToFileURL(join(outdir, `${PRECOMPILE.name}.mjs`)).href);
  writeValidators(outdir);
  return Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
}

/**
 * The path of a fresh bundle of the agent, built when missing or stale; undefined when it cannot be
 * built (no write access to the project, esbuild missing, a source that does not compile): the
 * caller then runs the sources through tsx, which reports any compile error properly.
 */
export async function agentBundle() {
  const dist = join(root, 'dist');
  const metaPath = join(dist, 'agent.json');
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (meta.recipe === RECIPE && stampOf(meta.inputs) === meta.stamp) {
      const entry = join(dist, `agent-${meta.stamp}`, 'agent.mjs');
      statSync(entry);
      return entry;
    }
  } catch {
    // no bundle yet, or one from an older layout: build
  }
  try {
    mkdirSync(dist, { recursive: true });
    const tmp = mkdtempSync(join(dist, '.build-'));
    let inputs;
    try {
      inputs = await buildBundle(AGENT_ENTRIES, tmp);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    const stamp = stampOf(inputs);
    if (stamp === undefined) {
      rmSync(tmp, { recursive: true, force: true });
      return undefined;
    }
    const dir = join(dist, `agent-${stamp}`);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another agent built the same one first
    }
    const metaTmp = `${metaPath}.${process.pid}`;
    writeFileSync(metaTmp, JSON.stringify({ recipe: RECIPE, stamp, inputs }, null, 1) + '\n');
    renameSync(metaTmp, metaPath);
    prune(dist, `agent-${stamp}`);
    return join(dir, 'agent.mjs');
  } catch {
    return undefined;
  }
}

/** Removes bundles other than `keep` that are more than an hour old (a running agent may still spawn threads from a recent one, or import the parts it loads when used). */
function prune(dist, keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(dist)) {
    if (name === keep || !(name.startsWith('agent-') || name.startsWith('.build-'))) continue;
    try {
      if (statSync(join(dist, name)).mtimeMs < hourAgo) rmSync(join(dist, name), { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}
