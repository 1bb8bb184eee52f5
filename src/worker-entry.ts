/**
 * How a worker beside a module is started: its `.js` file once built (in dist/src beside the module,
 * or in dist/bundle, where scripts/bundle.ts makes each worker an entry beside main and the chunks,
 * finding them by these calls), started as it is; its `.ts`
 * file when run through tsx (`npm run dev`, the CLI commands, the tests), whose hooks a worker does
 * not inherit on Node 20: a two-line script registers them first. Shared by every thread the service
 * starts (the log's leaf and tree workers, the projections' sums worker).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `name`: the worker's file name without extension, in the folder of `beside` (the caller's `import.meta.url`). */
export function workerEntry(name: string, beside: string): { entry: URL | string; eval: boolean } {
  const file = new URL(`./${name}${path.extname(fileURLToPath(beside))}`, beside);
  if (!file.pathname.endsWith('.ts')) return { entry: file, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return { entry: script, eval: true };
}
