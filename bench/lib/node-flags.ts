/** The node flags the service runs with: those of `npm start`, the one place they are written down. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function serviceNodeFlags(repoRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  // `node <flags> --import tsx src/main.ts`: the flags are what comes before --import.
  const end = words.indexOf('--import');
  if (words[0] !== 'node' || end < 0)
    throw new Error(`npm start is not "node <flags> --import tsx …": ${pkg.scripts.start}`);
  return words.slice(1, end);
}
