/**
 * The service's worker threads start on a first start's and a rebuild's critical path: the sums
 * worker's share of the fold waits for its modules to load (through tsx's hooks under `npm run
 * rebuild` and `npm run dev`).
 * Loading the event catalogue (every event's zod schema) took it about 0.1-0.4 s on the 1M store,
 * so no worker may reach it. Walked statically: the imports that load a module when the worker
 * starts (value imports; not `import type`, not an `import()` inside a function).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The specifiers a module imports for its values when it is loaded. */
function valueImports(source: string): string[] {
  const found: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+['"]([^'"]+)['"]/gms;
  for (const match of source.matchAll(statement)) {
    const [, , typeOnly, clause = '', specifier = ''] = match;
    if (typeOnly) continue;
    // `import { type A, type B }` loads nothing either: every name in it is a type.
    const names = /^\{([^}]*)\}$/s.exec(clause.trim())?.[1];
    if (names !== undefined && names.split(',').every((name) => name.trim() === '' || /^type\s/.test(name.trim())))
      continue;
    found.push(specifier);
  }
  for (const match of source.matchAll(/^import\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  return found;
}

/** Every file and package a module loads, transitively, when it is loaded. */
function graphOf(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.join(root, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of valueImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:'))
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  }
  return { files, packages };
}

t.test('the walk sees what a module loads, and not its type-only imports', async (t) => {
  t.same(
    valueImports(
      [
        "import { upcast } from '../../events/upcast.js';",
        "import type { StoredEvent } from '../../events/envelope.js';",
        "import { type Catalog, type Party } from '../../projections/catalog.js';",
        "import { TimeIndex, type TimeIndexOptions } from '../../projections/time-index/time-index.js';",
        "export { SUMS, type SumName } from './sums.js';",
        "export type { Delta } from './counters.js';",
        "import './side-effect.js';",
      ].join('\n'),
    ),
    ['../../events/upcast.js', '../../projections/time-index/time-index.js', './sums.js', './side-effect.js'],
  );
  // What the workers must not reach, reached where it is: through the projector's own imports.
  const projector = graphOf('src/read/projector.ts');
  t.ok(projector.files.has(path.join(root, 'src/read/projector.ts')), 'the entry itself');
  t.ok(projector.files.has(path.join(root, 'events/index.ts')), 'the event catalogue, transitively');
  t.ok(projector.packages.has('zod'), 'and zod');
});

for (const worker of ['src/read/sums-worker.ts', 'src/log/tree-worker.ts', 'src/log/leaf-worker.ts']) {
  t.test(`${worker} starts without zod or the event catalogue`, async (t) => {
    const { files, packages } = graphOf(worker);
    t.ok(files.size > 1, `it loads ${files.size} of our modules`);
    t.notOk(packages.has('zod'), 'zod is not loaded');
    t.notOk(files.has(path.join(root, 'events/index.ts')), 'events/index.ts (every schema) is not loaded');
  });
}
