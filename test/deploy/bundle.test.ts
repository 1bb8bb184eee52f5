/**
 * `npm start` runs the service bundled (scripts/bundle.ts): a few dozen files instead of some 500
 * modules. What a bundle could break that the README tour would not see, its store being small:
 * the worker threads a large store starts, each a file of its own that `workerEntry` looks for
 * beside the module starting it, and the docs page's files, which a bundled package finds by its
 * `__dirname`. And the bundle is made again only when what it is made from changed.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { bundleEntries, bundleIsCurrent, bundleService, workerEntries } from '../../scripts/bundle.js';
import { loadConfig } from '../../src/config.js';
import { openLedger, seedSynthetic } from '../../src/service.js';
import { TREE_THREAD_FROM } from '../../src/log/ledger-log.js';
import { tempDir } from '../log/support.js';
import { freePort, request, ROOT, signingKeyFile, startBuilt, waitReady } from '../support/service-process.js';

t.test('every worker the sources start is found, and a call the bundle cannot follow is refused', async (t) => {
  const dir = tempDir(t);
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  write(
    'a/starts.ts',
    "const w = workerEntry('one-worker', import.meta.url);\nworkerEntry( 'two',  import.meta.url );",
  );
  write('a/one-worker.ts', '');
  write('a/two.ts', '');
  write('worker-entry.ts', 'export function workerEntry(name: string, beside: string) {}');
  t.same(
    Object.fromEntries(workerEntries(dir)),
    { 'one-worker': path.join(dir, 'a/one-worker.ts'), two: path.join(dir, 'a/two.ts') },
    'each call, by name, with the file beside its caller',
  );

  write('b/dynamic.ts', 'workerEntry(name, import.meta.url);');
  t.throws(() => workerEntries(dir), /workerEntry must be called as workerEntry\('<name>', import.meta.url\)/);
  rmSync(path.join(dir, 'b'), { recursive: true });

  write('b/again.ts', "workerEntry('two', import.meta.url);");
  write('b/two.ts', '');
  t.throws(() => workerEntries(dir), /two workers named two/, 'two workers of one name would be one file');
  rmSync(path.join(dir, 'b'), { recursive: true });

  write('c/missing.ts', "workerEntry('nowhere', import.meta.url);");
  t.throws(() => workerEntries(dir), /has no file/);
});

t.test('the service and its workers are the entries, compiled or not', async (t) => {
  const fromSrc = bundleEntries({ root: ROOT, from: 'src' });
  const fromDist = bundleEntries({ root: ROOT, from: 'dist' });
  t.equal(fromSrc.main, path.join(ROOT, 'src/main.ts'));
  t.equal(fromDist.main, path.join(ROOT, 'dist/src/main.js'));
  t.same(Object.keys(fromDist), Object.keys(fromSrc), 'the same entries either way');
  for (const name of ['tree-worker', 'sums-worker', 'leaf-worker'])
    t.ok(fromSrc[name], `${name}, which the service starts today, is one of them`);
});

t.test('a bundle is made again when one of its inputs changed after it, and only then', async (t) => {
  // A repository of two modules and no worker.
  const root = tempDir(t);
  mkdirSync(path.join(root, 'src'));
  const hello = path.join(root, 'src', 'hello.ts');
  writeFileSync(path.join(root, 'src', 'main.ts'), "import { hello } from './hello.js';\nconsole.log(hello);\n");
  writeFileSync(hello, "export const hello = 'hello';\n");
  const outdir = path.join(root, 'bundle');
  const entries = bundleEntries({ root, from: 'src' });
  t.same(entries, { main: path.join(root, 'src', 'main.ts') });
  t.equal(bundleIsCurrent(outdir, entries), false, 'no bundle yet');
  t.equal(await bundleService({ root, from: 'src', outdir }), true, 'made');
  t.equal(bundleIsCurrent(outdir, entries), true, 'current once made');
  t.equal(await bundleService({ root, from: 'src', outdir }), false, 'and not made again');
  t.equal(bundleIsCurrent(outdir, { ...entries, other: hello }), false, 'other entries: not current');
  const later = new Date(Date.now() + 60_000);
  utimesSync(hello, later, later);
  t.equal(bundleIsCurrent(outdir, entries), false, 'a module it bundled changed after it: not current');
  t.equal(await bundleService({ root, from: 'src', outdir }), true, 'so it is made again');
  rmSync(hello);
  t.equal(bundleIsCurrent(outdir, entries), false, 'a module it bundled is gone: not current');
});

/** A bundle's folder inside the repository, as dist/bundle is: its external packages are found in node_modules. */
function bundleDir(t: Test): string {
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'dist', 'test-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'bundle');
}

t.test("the bundled service's first start on a large store runs its threads from the bundle", async (t) => {
  const outdir = bundleDir(t);
  await bundleService({ root: ROOT, from: 'src', outdir });
  const dataDir = tempDir(t);
  const keyFile = signingKeyFile(tempDir(t));
  const env = { DATA_DIR: dataDir, SIGNING_KEY_FILE: keyFile, NODE_ENV: 'test', LOG_LEVEL: 'silent' };
  const ledger = await openLedger(loadConfig({ ...env, SEED_ON_EMPTY: 'false' }));
  const recorded = await seedSynthetic(ledger.writer, TREE_THREAD_FROM, 11);
  await ledger.close();
  t.equal(recorded, TREE_THREAD_FROM, 'a store large enough for the tree to be made on a thread');
  // A first start: no checkpoint, no saved tree. Only the store and its signed log checkpoints.
  for (const file of readdirSync(dataDir)) if (!file.startsWith('ledger.sqlite')) rmSync(path.join(dataDir, file));

  const port = await freePort();
  const service = startBuilt(path.join(outdir, 'main.js'), { ...env, PORT: String(port), LOG_LEVEL: 'info' }, [
    '--expose-gc',
  ]);
  t.teardown(() => {
    service.child.kill('SIGKILL');
  });
  await waitReady(port, service.child);
  const ready = JSON.parse((await request(port, 'GET', '/ready')).body) as { position: number; head: number };
  t.equal(
    ready.position,
    TREE_THREAD_FROM,
    'every event folded: the sums worker answered (a failed one fails the start)',
  );
  t.equal(ready.head, TREE_THREAD_FROM);
  // @fastify/swagger-ui serves these from its own folder, which it finds by __dirname (scripts/bundle.ts).
  const css = await request(port, 'GET', '/docs/static/swagger-ui.css');
  t.equal(css.status, 200, "the docs page's files are found from the bundle");
  t.equal(css.body, readFileSync(path.join(ROOT, 'node_modules/@fastify/swagger-ui/static/swagger-ui.css'), 'utf8'));
  t.equal((await request(port, 'GET', '/docs/yaml')).status, 200, 'and its YAML, from a bundled module');
  const output = service.output();
  t.match(output, /"tree":"store"[^\n]*verifiable log checked against its checkpoints/, 'the tree made from the store');
  t.notMatch(output, /recomputed on the main thread/, 'on its own thread, which started from the bundle');
  service.child.kill('SIGTERM');
  t.equal(await service.exited, 0, 'and it stops cleanly');
});
