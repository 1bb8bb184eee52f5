/**
 * The parts of the ledger's core that mutation testing runs one at a time: the files mutated, and
 * the test files that reach them (coverage per test file picks among these for each mutant).
 * Read by stryker.part.config.mjs and run.mjs.
 */
export const parts = {
  writer: {
    mutate: ['src/ledger/writer.ts'],
    // shared-reads: the book's catch-up from the pages it shares with the projections at a first start.
    tests: ['test/ledger/writer*.test.ts', 'test/ledger/book-undo.test.ts', 'test/read/shared-reads.test.ts'],
  },
  ledger: {
    mutate: ['src/ledger/{book,decide,rules,shipments,limits}.ts'],
    tests: ['test/ledger/*.test.ts', 'test/projections/shipments.test.ts'],
  },
  events: {
    mutate: ['events/postings.ts', 'events/counters.ts', 'events/precision.ts'],
    tests: [
      'test/ledger/rules*.test.ts',
      'test/ledger/closing-serials.test.ts',
      'test/projections/*.test.ts',
      'test/ledger/book-undo.test.ts',
    ],
  },
  'book-checkpoint': {
    // The book as its checkpoint keeps it: columns over a table of strings.
    mutate: ['src/ledger/book-checkpoint.ts'],
    tests: ['test/ledger/book-checkpoint.test.ts', 'test/read/checkpoint.test.ts'],
  },
  inventory: {
    mutate: ['projections/inventory.ts'],
    tests: [
      'test/projections/inventory*.test.ts',
      'test/projections/precision.test.ts',
      'test/projections/timeline.test.ts',
    ],
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
    tests: ['test/projections/shipments*.test.ts'],
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
      'test/projections/time-index*.test.ts',
      'test/projections/business-sums.test.ts',
      'test/projections/column.test.ts',
      'test/projections/keyed-log.test.ts',
      'test/projections/sorted-blocks.test.ts',
    ],
  },
  checkpoint: {
    mutate: ['src/read/checkpoint.ts', 'src/read/digest-thread.ts', 'src/read/intern.ts'],
    tests: [
      'test/read/checkpoint-file.test.ts',
      'test/read/checkpoint.test.ts',
      'test/read/digest-thread.test.ts',
      'test/read/intern.test.ts',
    ],
  },
};
