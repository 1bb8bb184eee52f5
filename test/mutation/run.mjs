/**
 * `npm run mutation [-- part …]`: Stryker over the ledger's core, one part after another (each with
 * its own test files and incremental file, see stryker.part.config.mjs), then the summary.
 * Niced: it is meant to run beside other work. Without parts it runs them all, the store last.
 */
import { spawnSync } from 'node:child_process';
import { parts } from './parts.mjs';

const asked = process.argv.slice(2);
const names = asked.length > 0 ? asked : [...Object.keys(parts), 'store'];
for (const name of names) {
  const config = name === 'store' ? 'test/mutation/stryker.store.config.mjs' : 'test/mutation/stryker.part.config.mjs';
  console.log(`\n== mutation: ${name}`);
  const run = spawnSync('nice', ['-n', '19', 'npx', 'stryker', 'run', config], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_PART: name },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
spawnSync('node', ['test/mutation/summarise.mjs'], { stdio: 'inherit' });
