/**
 * How a worker beside this module is started: its `.js` file once built, started as it is; its
 * `.ts` file when run through tsx (`npm start`, the tests), whose hooks a worker does not inherit
 * on Node 20: a two-line script registers them first.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function workerEntry(name: string): { entry: URL | string; eval: boolean } {
  const file = new URL(`./${name}${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  if (!file.pathname.endsWith('.ts')) return { entry: file, eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return { entry: script, eval: true };
}
