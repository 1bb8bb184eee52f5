/**
 * `npm run build`'s second step: the compiled service (dist/src, as tsc emits it) bundled by esbuild
 * into dist/bundle, which `npm start`, the bench and the Docker image run.
 *
 * Why: a restart of the 1M-event store spent about 0.3 s of its main thread loading some 500
 * modules one file at a time (371 of them CommonJS from node_modules: resolving, reading, wrapping,
 * compiling each), before and between folding its checkpoints. Bundled, the service loads a few
 * dozen files, and a 1M restart is ready 26-458 ms sooner (docs/performance.md, twenty-fourth session).
 *
 * What stays as it was:
 * - dynamic imports stay lazy (`splitting`): the HTTP app loads while the checkpoints are read, and
 *   the EventStoreDB adapter or the seeds only when used;
 * - every worker thread the service starts through `workerEntry(name, import.meta.url)` is an entry
 *   of its own, beside main, where workerEntry looks for it (found in the sources, so a new worker
 *   cannot be left out);
 * - no names are kept (`keepNames` would wrap every closure the hot paths make in a call);
 * - source maps chain back to the TypeScript, as tsc's own do (`node --enable-source-maps`).
 *
 * - a package that finds its own files by `__dirname` (@fastify/swagger-ui serves the docs' page from
 *   its folder) still finds them in node_modules: its `__dirname` and `__filename` are set to where
 *   it is, relative to the bundle (ES modules have neither).
 *
 * Left out of the bundle (external), loaded from node_modules as before: better-sqlite3 (a native
 * addon), @eventstore/db-client (only for an EventStoreDB, and large) and pino-pretty (development
 * logs, required at run time).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

const EXTERNAL = ['better-sqlite3', '@eventstore/db-client', 'pino-pretty'];

/** A bundle's record of what it was made from: rebuilt when one of them changed after `startedAt`. */
const MANIFEST = 'bundle-inputs.json';

interface Manifest {
  /** The entries and esbuild's options: a bundle made of others is not current. */
  madeWith: string;
  startedAt: number;
  inputs: string[];
}

/**
 * Gives each module of node_modules that uses `__dirname` or `__filename` its own, as where it is from
 * the bundle's folder (`__bundleDir`, set by the banner): the bundle stays beside node_modules, in the
 * repository as in the Docker image.
 */
const ownDirname = (outdir: string): Plugin => ({
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return undefined; // loaded as esbuild would
      const where = JSON.stringify(path.relative(outdir, args.path));
      const own = `var __filename = require('node:path').join(__bundleDir, ${where}), __dirname = require('node:path').dirname(__filename);\n`;
      // After a 'use strict' directive, which must stay first to count.
      const directive = /^(?:#!.*\n)?\s*(['"])use strict\1;?[^\n]*\n/.exec(text)?.[0] ?? '';
      return { contents: directive + own + text.slice(directive.length), loader: 'js' };
    });
  },
});

/** esbuild's options, but for the entries, where they go and the plugin. */
const BUNDLING = {
  // Chunks beside the entries (esbuild's default), not in a folder: workerEntry finds a worker beside the
  // module that starts it, and that module may be a chunk.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS modules bundled into ES modules still call require (for node's own modules); __bundleDir: see ownDirname.
  banner: {
    js: [
      "import { createRequire as __bundleRequire } from 'node:module';",
      "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
      "import { dirname as __bundleDirname } from 'node:path';",
      'const require = __bundleRequire(import.meta.url);',
      // Only names of its own: a global (URL, path) may be a bundled module's name in this chunk.
      'const __bundleDir = __bundleDirname(__bundleFileURLToPath(import.meta.url));',
    ].join(' '),
  },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
} as const;

const madeWith = (entries: Record<string, string>) => JSON.stringify({ entries, BUNDLING });

/** Every `workerEntry('<name>', import.meta.url)` in the sources under `root`: name → file (.ts). */
export function workerEntries(root: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const source = path.join(root, file);
    const text = readFileSync(source, 'utf8');
    const calls = (text.match(/\bworkerEntry\(/g) ?? []).length - (text.match(/function workerEntry\(/g) ?? []).length;
    const named = [...text.matchAll(/\bworkerEntry\(\s*'([\w-]+)',\s*import\.meta\.url\s*\)/g)];
    if (named.length !== calls)
      throw new Error(`${source}: workerEntry must be called as workerEntry('<name>', import.meta.url) to be bundled`);
    for (const [, name = ''] of named) {
      const worker = path.join(path.dirname(source), `${name}.ts`);
      const other = found.get(name);
      if (other !== undefined && other !== worker)
        throw new Error(
          `two workers named ${name} (${other}, ${worker}): bundled side by side, one would replace the other`,
        );
      if (!existsSync(worker)) throw new Error(`${source} starts a worker ${name} that has no file ${worker}`);
      found.set(name, worker);
    }
  }
  return found;
}

export interface BundleOptions {
  /** The repository's root. */
  root: string;
  /** `dist`: bundle what tsc emitted (npm run build); `src`: the TypeScript itself (the bundle's test). */
  from: 'dist' | 'src';
  /** Where the bundle goes; replaced whole. */
  outdir: string;
}

/** The bundle's entries, name → file: main, then each worker. */
export function bundleEntries({ root, from }: Pick<BundleOptions, 'root' | 'from'>): Record<string, string> {
  const compiled = (source: string) =>
    from === 'src' ? source : path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');
  const entries: Record<string, string> = { main: compiled(path.join(root, 'src', 'main.ts')) };
  for (const [name, source] of workerEntries(path.join(root, 'src'))) entries[name] = compiled(source);
  return entries;
}

/** Whether `outdir` holds a bundle of these entries made after its every input last changed. */
export function bundleIsCurrent(outdir: string, entries: Record<string, string>): boolean {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(outdir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  if (manifest.madeWith !== madeWith(entries)) return false;
  try {
    return manifest.inputs.every((input) => statSync(input).mtimeMs < manifest.startedAt);
  } catch {
    return false; // an input is gone
  }
}

/** Bundles the service into `outdir` (see above); resolves to false when the bundle there was current. */
export async function bundleService(options: BundleOptions): Promise<boolean> {
  const entries = bundleEntries(options);
  if (bundleIsCurrent(options.outdir, entries)) return false;
  const startedAt = Date.now();
  // Loaded only now: esbuild takes 0.2 s to load, and a start with nothing changed needs none of it.
  const { build } = await import('esbuild');
  // Written beside, then swapped in: a failed bundle leaves the one before it in place.
  const next = `${options.outdir}.next-${process.pid}`; // its own: two builds at once do not share one
  rmSync(next, { recursive: true, force: true });
  const result = await build({
    ...BUNDLING,
    absWorkingDir: options.root,
    entryPoints: entries,
    outdir: next,
    plugins: [ownDirname(path.resolve(options.root, next))],
  });
  // This file too: how it bundles is part of what a bundle is made from.
  const inputs = [fileURLToPath(import.meta.url), ...Object.keys(result.metafile.inputs)].map((input) =>
    path.resolve(options.root, input),
  );
  const manifest: Manifest = { madeWith: madeWith(entries), startedAt, inputs };
  writeFileSync(path.join(next, MANIFEST), JSON.stringify(manifest));
  rmSync(options.outdir, { recursive: true, force: true });
  try {
    renameSync(next, options.outdir);
  } catch (error) {
    // Another build swapped its bundle in meanwhile (the same inputs, as both are current): keep that one.
    rmSync(next, { recursive: true, force: true });
    if (!existsSync(path.join(options.outdir, MANIFEST))) throw error;
  }
  return true;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(import.meta.dirname, '..', '..');
  await bundleService({ root, from: 'dist', outdir: path.join(root, 'dist', 'bundle') });
}
