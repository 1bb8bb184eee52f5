/**
 * The time index's facts themselves, as the timeline reads them (`factsBetween`): exactly those
 * that occurred in [from, to] and were known by then, in business-time order (ties in recording
 * order), each with its deltas as recorded. Times are drawn on a coarse grid of days, so facts
 * share an occurrence and the window's ends fall exactly on facts. And quantities beyond 32 bits
 * survive an index built in two halves and merged, whichever half holds them.
 */
import fc from 'fast-check';
import t from 'tap';
import { DAY, dayGridHistory, GRID_KEYS as KEYS, START } from '../support/time-index-grid.js';
import { TimeIndex, type IndexedFact } from '../../projections/time-index/time-index.js';

const gridHistory = dayGridHistory({ maxLength: 60, maxLagDays: 6, maxValue: 9, maxDeltas: 3 });

const indexOf = (facts: readonly IndexedFact[], inBulk: boolean, snapshotEvery: number) => {
  const index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
  if (inBulk) index.beginBulk();
  for (const fact of facts) index.add(fact);
  if (inBulk) index.endBulk();
  return index;
};

t.test('factsBetween gives the facts of [from, to] known by then, in business-time order, as recorded', async (t) => {
  fc.assert(
    fc.property(
      gridHistory,
      fc.integer({ min: -8, max: 40 }),
      fc.integer({ min: 0, max: 12 }),
      fc.integer({ min: 0, max: 61 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 7 }),
      (facts, fromDay, days, knownAt, inBulk, snapshotEvery) => {
        const from = START + fromDay * DAY;
        const to = from + days * DAY;
        const index = indexOf(facts, inBulk, snapshotEvery);
        const expected = facts
          .filter((f) => f.occurred >= from && f.occurred <= to && f.position <= knownAt)
          .sort((a, b) => a.occurred - b.occurred || a.position - b.position)
          .map((f) => ({ occurred: f.occurred, deltas: f.deltas }));
        const actual = [...index.factsBetween(from, to, knownAt)];
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          throw new Error(`[${fromDay}, ${fromDay + days}] knownAt ${knownAt}: ${JSON.stringify(actual)}`);
      },
    ),
    { numRuns: 400 },
  );
  t.pass('400 random histories and windows');
});

t.test('a window before every fact, or known before any, gives none', async (t) => {
  const index = indexOf(
    [{ recorded: START, occurred: START, position: 1, deltas: [{ key: KEYS[0]!, value: 2, inexact: 0 }] }],
    false,
    4,
  );
  t.same([...index.factsBetween(START - 2 * DAY, START - 1, 1)], [], 'ends the moment before the fact');
  t.same([...index.factsBetween(START - DAY, START + DAY, 0)], [], 'known at position 0');
  t.same(
    [...index.factsBetween(START, START, 1)],
    [{ occurred: START, deltas: [{ key: KEYS[0], value: 2, inexact: 0 }] }],
    'a window of one instant holds the fact at that instant',
  );
});

t.test('quantities beyond 32 bits survive a merge of two bulk halves, whichever half holds them', async (t) => {
  const big = 2 ** 40 + 3;
  const fact = (position: number, value: number): IndexedFact => ({
    recorded: START + position * DAY,
    occurred: START + position * DAY,
    position,
    deltas: [{ key: 'held|mss|rounds', value, inexact: 0 }],
  });
  for (const wideHalf of ['main', 'worker'] as const) {
    const main = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
    const worker = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
    main.beginBulk();
    worker.beginBulk();
    main.add(fact(1, wideHalf === 'main' ? big : 5));
    worker.add(fact(2, wideHalf === 'worker' ? big : 7));
    main.add(fact(3, 1));
    main.mergeBulk(worker.export());
    main.endBulk();
    const total = big + (wideHalf === 'main' ? 7 : 5) + 1;
    t.same(
      Object.fromEntries(main.query(START + 10 * DAY, 3, START + 10 * DAY)),
      { 'held|mss|rounds': { value: total, inexact: 0 } },
      `the wide value in the ${wideHalf} half is kept exactly`,
    );
    t.same(
      [...main.factsBetween(START, START + 3 * DAY, 3)].map((f) => f.deltas[0]!.value),
      wideHalf === 'main' ? [big, 7, 1] : [5, big, 1],
      'and each fact keeps its own',
    );
  }
});
