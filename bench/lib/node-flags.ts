/**
 * How the service is launched: the environment, node flags and compiled entry of `npm start`, the
 * one place they are written down (the Dockerfile repeats them; test/deploy/node-flags.test.ts holds
 * the two alike).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ServiceLaunch {
  /** `NAME=value` words before `node` (e.g. GLIBC_TUNABLES). */
  env: Record<string, string>;
  /** Node's flags: what comes between `node` and the entry. */
  flags: string[];
  /** The compiled entry `npm start` runs (`npm run build` makes it first, as its `prestart`). */
  entry: string;
}

export function serviceLaunch(repoRoot: string): ServiceLaunch {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return parseStartScript(pkg.scripts.start);
}

/** `[NAME=value …] node <flags> <entry>.js`, taken apart; anything else is an error, never a guess. */
export function parseStartScript(script: string): ServiceLaunch {
  const words = script.split(/\s+/);
  const node = words.indexOf('node');
  const entry = words.at(-1) ?? '';
  const assignments = words.slice(0, Math.max(node, 0));
  const flags = words.slice(node + 1, -1);
  if (
    node < 0 ||
    node === words.length - 1 ||
    !entry.endsWith('.js') ||
    !flags.every((word) => word.startsWith('--') && word !== '--import') ||
    !assignments.every((word) => /^[A-Z_][A-Z0-9_]*=\S+$/.test(word))
  )
    throw new Error(`npm start is not "[NAME=value …] node <flags> <entry>.js": ${script}`);
  const env = Object.fromEntries(
    assignments.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  return { env, flags, entry };
}
