/**
 * How a time index is built (fact by fact, in bulk, in two bulk halves merged, saved and
 * restored) must never change its answers. Each history is on a grid of hours, so facts share
 * instants, with facts recorded days late and facts dated minutes ahead of their recording; every
 * query pairs the occurrence of one fact with the recording of another, so the late list (asOf
 * long before knownAt) and the early list (asOf at or after knownAt) are read. Also the edges a
 * random history never reaches: dates before 1970, columns exactly one chunk full, positions and
 * quantities past 32 bits in one half of a merge, events that change no counter.
 */
import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import t from 'tap';
import { factDeltas, mergedInBulk } from '../support/time-index-grid.js';
import { TimeIndex, type IndexedFact, type TimeIndexExport } from '../../projections/time-index/time-index.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const START = Date.parse('2024-06-01T00:00:00Z');
const KEYS = ['held|mss|rifle', 'held|hnp|rifle', 'deployed|kenya|police'];

/** Facts in recording order on a grid of hours: most on time, some days late, some 5 minutes ahead. */
const gridHistory = (maxLength: number) =>
  fc
    .array(
      fc.record({
        gap: fc.integer({ min: 0, max: 12 }),
        lag: fc.oneof(
          { weight: 5, arbitrary: fc.integer({ min: 0, max: 6 }).map((h) => h * HOUR) },
          { weight: 2, arbitrary: fc.integer({ min: 1, max: 5 }).map((d) => d * DAY) },
          { weight: 2, arbitrary: fc.constant(-5 * 60 * 1000) },
        ),
        deltas: factDeltas(KEYS, 20, 2),
      }),
      { minLength: 1, maxLength },
    )
    .map((steps) => {
      let recorded = START;
      return steps.map((step, i): IndexedFact => {
        recorded += step.gap * HOUR;
        return { recorded, occurred: recorded - step.lag, position: (i + 1) * 2, deltas: step.deltas };
      });
    });

const positionKnownAt = (facts: readonly IndexedFact[], knownAtTime: number) =>
  facts.reduce((p, f) => (f.recorded <= knownAtTime ? Math.max(p, f.position) : p), 0);

const asObject = (counters: Map<string, { value: number; inexact: number }>) =>
  JSON.stringify(
    Object.fromEntries(
      [...counters].filter(([, c]) => c.value !== 0 || c.inexact !== 0).sort(([a], [b]) => a.localeCompare(b)),
    ),
  );

/**
 * Every query that pairs one fact's occurrence (or recording) with another's recording, before
 * the head: throws on the first answer that differs from a naive fold of `reference`.
 */
function agreesEverywhere(index: TimeIndex, reference: TimeIndex, facts: readonly IndexedFact[]): void {
  const asOfs = [...new Set(facts.flatMap((f) => [f.occurred, f.recorded, f.occurred - HOUR]))];
  const knownAts = [...new Set(facts.map((f) => f.recorded))];
  for (const knownAtTime of knownAts) {
    const knownAt = positionKnownAt(facts, knownAtTime);
    for (const asOf of asOfs) {
      const fast = asObject(index.query(asOf, knownAt, knownAtTime));
      const slow = asObject(reference.naive(asOf, knownAt));
      if (fast !== slow) throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${fast} != ${slow}`);
    }
  }
}

t.test('bulk halves merged answer as one index, where the late and early lists are read', async (t) => {
  fc.assert(
    fc.property(
      gridHistory(40),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      fc.integer({ min: 1, max: 9 }),
      (facts, toWorker, snapshotEvery) => {
        const main = mergedInBulk(facts, toWorker, { snapshotEvery, lateAfterMs: DAY });
        const whole = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        for (const fact of facts) whole.add(fact);
        agreesEverywhere(main, whole, facts);
      },
    ),
    { numRuns: 250 },
  );
  t.pass('merged = naive fold, for 250 random splits');
});

t.test(
  'an index built in bulk, saved, restored and fed live facts answers as a naive fold, with its own late threshold',
  async (t) => {
    fc.assert(
      fc.property(
        gridHistory(40),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(HOUR, DAY, 3 * DAY),
        (facts, bulkCut, saveCut, snapshotEvery, lateAfterMs) => {
          const inBulk = bulkCut % (facts.length + 1);
          const saveAt = inBulk + (saveCut % (facts.length - inBulk + 1));
          const before = new TimeIndex({ snapshotEvery, lateAfterMs });
          before.beginBulk();
          for (const fact of facts.slice(0, inBulk)) before.add(fact);
          before.endBulk();
          for (const fact of facts.slice(inBulk, saveAt)) before.add(fact);
          const restored = TimeIndex.from(deserialize(serialize(before.export())) as TimeIndexExport);
          for (const fact of facts.slice(saveAt)) restored.add(fact);
          agreesEverywhere(restored, restored, facts);
        },
      ),
      { numRuns: 250 },
    );
    t.pass('restored = naive fold, for 250 random bulk and save points');
  },
);

const fact = (position: number, day: number, value: number, key = KEYS[0]!): IndexedFact => ({
  occurred: START + day * DAY,
  recorded: START + day * DAY,
  position,
  deltas: [{ key, value, inexact: 0 }],
});

t.test('a fact that occurred in 1910 and was recorded in 2024 is not known before it was recorded', async (t) => {
  // Forty days of facts on time, then one dated more than a century back.
  const index = new TimeIndex({ snapshotEvery: 4 });
  for (let day = 0; day < 40; day++) index.add(fact(day + 1, day, 1));
  const old = Date.parse('1910-03-01T00:00:00Z');
  index.add({
    occurred: old,
    recorded: START + 40 * DAY,
    position: 41,
    deltas: [{ key: KEYS[1]!, value: 9, inexact: 0 }],
  });
  const asOf = Date.parse('1950-01-01T00:00:00Z');
  t.same(asObject(index.query(asOf, 30, START + 29 * DAY)), '{}', 'as of 1950, known on day 29: nothing yet');
  t.same(asObject(index.query(asOf, 41, START + 40 * DAY)), JSON.stringify({ [KEYS[1]!]: { value: 9, inexact: 0 } }));
  t.same(asObject(index.query(asOf, 30, START + 29 * DAY)), asObject(index.naive(asOf, 30)));
});

t.test('positions beyond 32 bits in either bulk half survive the merge', async (t) => {
  const big = 2 ** 40;
  for (const wideHalf of ['main', 'worker'] as const) {
    const main = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
    const worker = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
    main.beginBulk();
    worker.beginBulk();
    // Positions 1, 2, then one past 2^32 (EventStoreDB commit positions), in main's or the worker's share.
    main.add(fact(1, 0, 1));
    worker.add(fact(2, 1, 10));
    (wideHalf === 'main' ? main : worker).add(fact(big, 2, 100));
    main.mergeBulk(worker.export());
    main.endBulk();
    const everything = Number.MAX_SAFE_INTEGER;
    const held = (knownAt: number) => main.query(everything, knownAt, START + 2 * DAY).get(KEYS[0]!)?.value;
    t.equal(held(big - 1), 11, `${wideHalf} half: before position 2^40 it was not known`);
    t.equal(held(big), 111, `${wideHalf} half: at position 2^40 it was`);
    t.equal(main.query(START + 2 * DAY, big, everything).get(KEYS[0]!)?.value, 111);
  }
});

t.test('an event that changes no counter leaves no fact', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2 });
  index.add(fact(1, 0, 3));
  index.add({ occurred: START + DAY, recorded: START + DAY, position: 2, deltas: [] });
  index.add(fact(3, 2, 4));
  t.equal(index.size, 2);
  t.same(
    [...index.factsBetween(START, START + 2 * DAY, 3)].map((f) => f.occurred),
    [START, START + 2 * DAY],
    'the timeline shows the two facts, and nothing on day 1',
  );
});

t.test('the running totals leave out a counter whose deltas cancel out', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2 });
  index.add(fact(1, 0, 3, KEYS[0]));
  index.add(fact(2, 1, 5, KEYS[1]));
  index.add(fact(3, 2, -3, KEYS[0]));
  t.same([...index.currentCounters()], [[KEYS[1], { value: 5, inexact: 0 }]]);
});

/** 32,768 deltas fill a column's first chunk: reading one past it finds no chunk. */
const CHUNK = 32_768;

t.test('a backdated fact whose deltas end exactly where a column chunk does is taken in', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 1024 });
  for (let i = 0; i < CHUNK - 1; i++) index.add(fact(i + 1, i / 24, 1));
  // Dated back before the last business-time boundary: into the tree, its one delta the chunk's last.
  index.add({ ...fact(CHUNK, 10, 1000), recorded: START + CHUNK * HOUR });
  t.equal(index.query(START + 10 * DAY, CHUNK, START + CHUNK * HOUR).get(KEYS[0]!)?.value, 241 + 1000);
  t.equal(index.query(START + 10 * DAY - 1, CHUNK, START + CHUNK * HOUR).get(KEYS[0]!)?.value, 240);
});

t.test('a merge whose own half holds exactly a column chunk of facts', async (t) => {
  const main = new TimeIndex({ snapshotEvery: 4096, lateAfterMs: DAY });
  const worker = new TimeIndex({ snapshotEvery: 4096, lateAfterMs: DAY });
  main.beginBulk();
  worker.beginBulk();
  for (let i = 0; i < CHUNK; i++) main.add(fact(i + 1, i / 24, 1));
  worker.add(fact(CHUNK + 1, CHUNK / 24, 5));
  main.mergeBulk(worker.export());
  main.endBulk();
  t.equal(main.size, CHUNK + 1);
  t.same(asObject(main.currentCounters()), JSON.stringify({ [KEYS[0]!]: { value: CHUNK + 5, inexact: 0 } }));
});
