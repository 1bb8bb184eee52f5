/**
 * The embedded store alone, against its own tests: `npx stryker run test/mutation/stryker.store.config.mjs`.
 * Quicker than the whole set (only test/store/sqlite*.test.ts reach the store's code in a way
 * worth a mutant's time), with its own incremental file. Everything else as stryker.config.json.
 */
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';

const base = JSON.parse(readFileSync(new URL('../../stryker.config.json', import.meta.url), 'utf8'));

export default {
  ...base,
  // sqlite-rows.ts: how a row becomes an event, shared with the log's tree thread.
  mutate: ['src/store/sqlite.ts', 'src/store/sqlite-rows.ts'],
  // The log's read-only test holds what a snapshot store tells the log (snapshotOf).
  // The leaf thread's test holds how a large batch is handed to the log in runs (begin/written).
  // The shared reads' test holds how a page is marked (readForFoldMarked).
  tap: {
    ...base.tap,
    testFiles: [
      'test/store/sqlite*.test.ts',
      'test/log/read-only.test.ts',
      'test/log/leaf-thread.test.ts',
      'test/read/shared-reads.test.ts',
    ],
  },
  incrementalFile: 'test/mutation/stryker-incremental.store.json',
  tempDirName: '.stryker-tmp-store',
  concurrency: 1,
  jsonReporter: { fileName: 'reports/mutation/store.json' },
};
