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

const base = JSON.parse(readFileSync(new URL('../../stryker.config.json', import.meta.url), 'utf8'));

/** Each part: the files mutated, and the test files that reach them (coverage per test picks among these). */
export const parts = {
  writer: {
    mutate: ['src/ledger/writer.ts'],
    tests: ['test/ledger/writer*.test.ts', 'test/ledger/book-undo.test.ts'],
  },
  ledger: {
    mutate: ['src/ledger/{book,decide,rules,shipments,limits}.ts'],
    tests: ['test/ledger/*.test.ts', 'test/projections/shipments.test.ts'],
  },
  events: {
    mutate: ['events/postings.ts', 'events/counters.ts', 'events/precision.ts'],
    tests: ['test/ledger/rules*.test.ts', 'test/projections/*.test.ts', 'test/ledger/book-undo.test.ts'],
  },
  inventory: {
    mutate: ['projections/inventory.ts'],
    tests: ['test/projections/inventory*.test.ts', 'test/projections/precision.test.ts'],
  },
  personnel: {
    mutate: ['projections/personnel.ts'],
    tests: ['test/projections/personnel*.test.ts', 'test/projections/precision.test.ts'],
  },
  donors: {
    mutate: ['projections/donors.ts'],
    tests: ['test/projections/donors*.test.ts', 'test/projections/precision.test.ts'],
  },
  shipments: {
    mutate: ['projections/shipments.ts'],
    tests: ['test/projections/shipments.test.ts'],
  },
  custody: {
    mutate: ['projections/custody.ts'],
    tests: ['test/projections/custody*.test.ts'],
  },
  timeline: {
    mutate: ['projections/timeline.ts', 'projections/catalog.ts'],
    tests: ['test/projections/timeline.test.ts', 'test/projections/inventory.test.ts'],
  },
  'time-index': {
    mutate: ['projections/time-index/*.ts'],
    tests: [
      'test/projections/time-index.test.ts',
      'test/projections/column.test.ts',
      'test/projections/keyed-log.test.ts',
      'test/projections/sorted-blocks.test.ts',
    ],
  },
  checkpoint: {
    mutate: ['src/read/checkpoint.ts'],
    tests: ['test/read/checkpoint-file.test.ts', 'test/read/checkpoint.test.ts'],
  },
};

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
  timeoutMS: Number(process.env.MUTATION_TIMEOUT_MS ?? base.timeoutMS),
};
