/**
 * One part of the ledger's core against the few test files that reach it, with its own incremental
 * file and report, so a part runs in minutes and parts can be rerun on their own:
 *
 *   MUTATION_PART=writer nice -n 19 npx stryker run test/mutation/stryker.part.config.mjs
 *
 * `node test/mutation/summarise.mjs` reads every part's report (reports/mutation/*.json).
 * Everything not named here is as stryker.config.json.
 */
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';
import { parts } from './parts.mjs';

const base = JSON.parse(readFileSync(new URL('../../stryker.config.json', import.meta.url), 'utf8'));

const name = process.env.MUTATION_PART ?? '';
const part = parts[name];
if (!part) throw new Error(`MUTATION_PART must be one of: ${Object.keys(parts).join(', ')}`);

export default {
  ...base,
  mutate: part.mutate,
  tap: { ...base.tap, testFiles: part.tests },
  incrementalFile: `test/mutation/incremental/${name}.json`,
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  // On a loaded machine a starved test run can outlast the default allowance and pass for a "timeout".
  timeoutMS: Number(process.env.MUTATION_TIMEOUT_MS ?? 30_000),
};
