/**
 * The time index must give exactly the answer of a naive fold over the
 * filtered facts, for any asOf and knownAt: checked on random histories with
 * backdated and slightly future-dated facts, and tiny snapshot intervals so
 * every path (snapshots, late list, windows) is exercised.
 */
import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import t from 'tap';
import { joinState, regionPieces, splitState } from '../../src/read/checkpoint-arrays.js';
import { mergedInBulk } from '../support/time-index-grid.js';
import {
  sortByOccurrence,
  TimeIndex,
  type IndexedFact,
  type TimeIndexExport,
} from '../../projections/time-index/time-index.js';

/** `state` written and read back as a checkpoint file holds it: its typed arrays in one aligned region. */
function asCheckpointed(state: unknown): unknown {
  const { objects, arrays, arrayBytes } = splitState(state);
  const region = new Uint8Array(arrayBytes);
  let at = 0;
  for (const piece of regionPieces(arrays)) {
    region.set(piece, at);
    at += piece.length;
  }
  return joinState(objects, region);
}

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2024-06-01T00:00:00Z');

/** A history in recording order: recorded times never go back; occurrence may lag far behind, or lead by up to 5 minutes. */
const history = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 2 * DAY }),
      lag: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 * 60 * 60 * 1000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 * DAY }) },
        { weight: 1, arbitrary: fc.integer({ min: -5 * 60 * 1000, max: 0 }) },
      ),
      deltas: fc.array(
        fc.record({
          key: fc.constantFrom(
            'held|mss|rifle',
            'held|hnp|rifle',
            'held|mss|apc',
            'transit|s1|apc',
            'deployed|kenya|police',
          ),
          value: fc.integer({ min: -50, max: 50 }),
          inexact: fc.constantFrom(0 as const, 1 as const),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 120 },
  )
  .map((steps) => {
    let recorded = START;
    return steps.map((step, i): IndexedFact => {
      recorded += step.gap;
      return { recorded, occurred: recorded - step.lag, position: (i + 1) * 3, deltas: step.deltas };
    });
  });

const positionKnownAt = (facts: IndexedFact[], knownAt: number) =>
  facts.reduce((p, f) => (f.recorded <= knownAt ? Math.max(p, f.position) : p), 0);

const asObject = (counters: Map<string, { value: number; inexact: number }>) =>
  Object.fromEntries(
    [...counters].filter(([, c]) => c.value !== 0 || c.inexact !== 0).sort(([a], [b]) => a.localeCompare(b)),
  );

t.test('snapshot-assisted answers equal a naive fold, for random histories and dates', async (t) => {
  fc.assert(
    fc.property(
      history,
      fc.array(fc.tuple(fc.integer({ min: -DAY, max: 260 * DAY }), fc.integer({ min: -DAY, max: 260 * DAY })), {
        minLength: 1,
        maxLength: 15,
      }),
      fc.integer({ min: 1, max: 9 }),
      (facts, queries, snapshotEvery) => {
        const index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        for (const fact of facts) index.add(fact);
        for (const [asOfOffset, knownAtOffset] of queries) {
          const asOf = START + asOfOffset;
          const knownAtTime = START + knownAtOffset;
          const knownAt = positionKnownAt(facts, knownAtTime);
          const fast = asObject(index.query(asOf, knownAt, knownAtTime));
          const slow = asObject(index.naive(asOf, knownAt));
          if (JSON.stringify(fast) !== JSON.stringify(slow))
            throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${JSON.stringify(fast)} != ${JSON.stringify(slow)}`);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random histories agree');
});

/**
 * The same histories on a coarse grid (whole hours, whole days): facts share instants, and
 * queries land exactly on a fact's occurrence, with knownAt a few hours later, before the head.
 * Millisecond dates almost never tie, and ties are where inclusive and exclusive bounds differ.
 */
const HOUR = 60 * 60 * 1000;
const griddedHistory = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 12 }).map((h) => h * HOUR),
      lag: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 6 }).map((h) => h * HOUR) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }).map((d) => d * DAY) },
        { weight: 1, arbitrary: fc.constant(-5 * 60 * 1000) },
      ),
      deltas: fc.array(
        fc.record({
          key: fc.constantFrom('held|mss|rifle', 'held|hnp|rifle', 'deployed|kenya|police'),
          value: fc.integer({ min: -50, max: 50 }),
          inexact: fc.constantFrom(0 as const, 1 as const),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 80 },
  )
  .map((steps) => {
    let recorded = START;
    return steps.map((step, i): IndexedFact => {
      recorded += step.gap;
      return { recorded, occurred: recorded - step.lag, position: (i + 1) * 3, deltas: step.deltas };
    });
  });

t.test(
  'on a coarse grid, asOf at a fact’s very occurrence and knownAt hours later agree with a naive fold',
  async (t) => {
    fc.assert(
      fc.property(
        griddedHistory,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 30 }), fc.boolean()), { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 9 }),
        (facts, queries, snapshotEvery) => {
          const index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
          for (const fact of facts) index.add(fact);
          for (const [pick, hoursLater, fromRecorded] of queries) {
            const fact = facts[pick % facts.length]!;
            // asOf exactly when a fact occurred; knownAt a whole number of hours after asOf, or after its recording.
            const asOf = fact.occurred;
            const knownAtTime = (fromRecorded ? fact.recorded : asOf) + hoursLater * HOUR;
            const knownAt = positionKnownAt(facts, knownAtTime);
            const fast = JSON.stringify(asObject(index.query(asOf, knownAt, knownAtTime)));
            const slow = JSON.stringify(asObject(index.naive(asOf, knownAt)));
            if (fast !== slow) throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${fast} != ${slow}`);
          }
        },
      ),
      { numRuns: 300 },
    );
    t.pass('300 gridded histories agree');
  },
);

t.test('an index built in bulk answers as one built fact by fact, and goes on taking facts', async (t) => {
  fc.assert(
    fc.property(
      history,
      fc.nat(),
      fc.array(fc.tuple(fc.integer({ min: -DAY, max: 260 * DAY }), fc.integer({ min: -DAY, max: 260 * DAY })), {
        minLength: 1,
        maxLength: 15,
      }),
      fc.integer({ min: 1, max: 9 }),
      (facts, cut, queries, snapshotEvery) => {
        // A catch-up in bulk (a rebuild), then live facts one by one.
        const bulkCount = cut % (facts.length + 1);
        const bulk = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        bulk.beginBulk();
        for (const fact of facts.slice(0, bulkCount)) bulk.add(fact);
        bulk.endBulk();
        for (const fact of facts.slice(bulkCount)) bulk.add(fact);
        const stepwise = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        for (const fact of facts) stepwise.add(fact);
        const everything = Number.MAX_SAFE_INTEGER;
        const now = JSON.stringify(asObject(bulk.currentCounters()));
        if (now !== JSON.stringify(asObject(stepwise.naive(everything, everything))))
          throw new Error(`running totals differ: ${now}`);
        for (const [asOfOffset, knownAtOffset] of queries) {
          const asOf = START + asOfOffset;
          const knownAtTime = START + knownAtOffset;
          const knownAt = positionKnownAt(facts, knownAtTime);
          const fast = JSON.stringify(asObject(bulk.query(asOf, knownAt, knownAtTime)));
          const slow = JSON.stringify(asObject(stepwise.naive(asOf, knownAt)));
          if (fast !== slow) throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${fast} != ${slow}`);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('bulk-built answers equal a naive fold');
});

t.test('an index saved mid-history and restored answers as one that never stopped, as facts go on', async (t) => {
  fc.assert(
    fc.property(
      history,
      fc.nat(),
      fc.boolean(),
      fc.array(fc.tuple(fc.integer({ min: -DAY, max: 260 * DAY }), fc.integer({ min: -DAY, max: 260 * DAY })), {
        minLength: 1,
        maxLength: 10,
      }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      (facts, cut, inBulk, queries, snapshotEvery, asParts) => {
        // Saved after `cut` facts (v8-serialised, or as a checkpoint stores it: the columns' own parts,
        // their arrays apart), restored, then the rest, backdated ones included, land in the restored
        // business-time tree.
        const saveAt = cut % (facts.length + 1);
        const before = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        if (inBulk) before.beginBulk();
        for (const fact of facts.slice(0, saveAt)) before.add(fact);
        before.endBulk();
        const restored = TimeIndex.from(
          asParts
            ? (asCheckpointed(before.export(true)) as TimeIndexExport)
            : (deserialize(serialize(before.export())) as TimeIndexExport),
        );
        for (const fact of facts.slice(saveAt)) restored.add(fact);
        for (const [asOfOffset, knownAtOffset] of queries) {
          const asOf = START + asOfOffset;
          const knownAtTime = START + knownAtOffset;
          const knownAt = positionKnownAt(facts, knownAtTime);
          const fast = JSON.stringify(asObject(restored.query(asOf, knownAt, knownAtTime)));
          const slow = JSON.stringify(asObject(restored.naive(asOf, knownAt)));
          if (fast !== slow) throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${fast} != ${slow}`);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('restored = naive fold, for 300 random histories and save points');
});

t.test(
  'a fact backdated far behind a long history lands in every later asOf answer, and in no earlier one',
  async (t) => {
    // Many business-time buckets (one per 4 facts), then facts dated back into each of them in turn.
    const index = new TimeIndex({ snapshotEvery: 4 });
    const at = (hour: number) => START + hour * 60 * 60 * 1000;
    let position = 0;
    for (let hour = 0; hour < 400; hour++)
      index.add({
        occurred: at(hour),
        recorded: at(hour),
        position: ++position,
        deltas: [{ key: 'held|mss|apc', value: 1, inexact: 0 }],
      });
    const everything = Number.MAX_SAFE_INTEGER;
    for (const hour of [3, 97, 250, 398]) {
      index.add({
        occurred: at(hour) + 1,
        recorded: at(400),
        position: ++position,
        deltas: [{ key: `held|mss|rifle-${hour}`, value: 5, inexact: 1 }],
      });
      const key = `held|mss|rifle-${hour}`;
      t.equal(index.query(at(hour), everything, everything).get(key), undefined, `not yet as of hour ${hour}`);
      for (const later of [hour + 1, 399, 420])
        t.same(
          index.query(at(later), everything, everything).get(key),
          { value: 5, inexact: 1 },
          `as of hour ${later}`,
        );
      t.same(index.query(at(later(hour)), everything, everything).get('held|mss|apc'), {
        value: later(hour) + 1,
        inexact: 0,
      });
    }
    function later(hour: number) {
      return Math.min(hour + 10, 399);
    }
  },
);

t.test('facts are ordered by occurrence, ties in recording order, whatever the times', async (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.integer({ min: START - 400 * DAY, max: START + 400 * DAY }),
          fc.constantFrom(START, START + 1, START + 65_536),
          fc.double({ min: -1e15, max: 1e15, noNaN: true }),
        ),
        { maxLength: 200 },
      ),
      (occurred) => {
        const expected = occurred.map((_, i) => i).sort((a, b) => occurred[a]! - occurred[b]! || a - b);
        const actual = [...sortByOccurrence(occurred)];
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          throw new Error(`${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
      },
    ),
    { numRuns: 500 },
  );
  t.pass('radix order = comparison order');
});

t.test('a backdated fact changes later asOf answers, and no earlier knownAt answer', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2 });
  const at = (day: number) => START + day * DAY;
  for (let day = 0; day < 10; day++)
    index.add({
      occurred: at(day),
      recorded: at(day),
      position: day + 1,
      deltas: [{ key: 'held|mss|rifle', value: 10, inexact: 0 }],
    });
  const before = index.query(at(3), 10, at(9)).get('held|mss|rifle')?.value;
  t.equal(before, 40);
  // Recorded on day 10, it happened on day 2.
  index.add({
    occurred: at(2),
    recorded: at(10),
    position: 11,
    deltas: [{ key: 'held|mss|rifle', value: 600, inexact: 1 }],
  });
  t.equal(index.query(at(3), 11, at(10)).get('held|mss|rifle')?.value, 640, 'as of day 3, known now: it counts');
  t.equal(index.query(at(1), 11, at(10)).get('held|mss|rifle')?.value, 20, 'as of day 1: it had not happened yet');
  t.equal(
    index.query(at(3), 10, at(9)).get('held|mss|rifle')?.value,
    40,
    'as known on day 9: the ledger did not know it',
  );
  t.equal(index.query(at(3), 11, at(10)).get('held|mss|rifle')?.inexact, 1, 'and its inexactness travels with it');
});

t.test('quantities beyond 32 bits are kept exactly, before and after a checkpoint', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2 });
  const fact = (i: number, value: number): IndexedFact => ({
    occurred: START + i,
    recorded: START + i,
    position: i + 1,
    deltas: [{ key: 'held|hnp|rounds', value, inexact: 0 }],
  });
  index.add(fact(0, 5));
  index.add(fact(1, 3_000_000_000)); // a large ammunition count: more than an int32 holds
  index.add(fact(2, -7));
  const everything = Number.MAX_SAFE_INTEGER;
  t.same(asObject(index.query(everything, everything, everything)), {
    'held|hnp|rounds': { value: 2_999_999_998, inexact: 0 },
  });
  const restored = TimeIndex.from(index.export());
  restored.add(fact(3, 1_000_000_000_000));
  t.same(asObject(restored.query(everything, everything, everything)), {
    'held|hnp|rounds': { value: 1_002_999_999_998, inexact: 0 },
  });
  t.same(asObject(restored.query(START + 1, everything, everything)), {
    'held|hnp|rounds': { value: 3_000_000_005, inexact: 0 },
  });
});

t.test('positions beyond 32 bits (EventStoreDB commit positions) are kept exactly', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2 });
  const big = 2 ** 40;
  const facts: IndexedFact[] = [1, 2, big, big + 7].map((position, i) => ({
    occurred: START + i,
    recorded: START + i,
    position,
    deltas: [{ key: 'held|mss|apc', value: 1, inexact: 0 }],
  }));
  for (const fact of facts.slice(0, 3)) index.add(fact);
  const restored = TimeIndex.from(index.export());
  restored.add(facts[3]!);
  const everything = Number.MAX_SAFE_INTEGER;
  t.same(asObject(restored.query(everything, big, everything)), { 'held|mss|apc': { value: 3, inexact: 0 } });
  t.same(asObject(restored.query(everything, big + 6, everything)), { 'held|mss|apc': { value: 3, inexact: 0 } });
  t.same(asObject(restored.query(everything, big + 7, everything)), { 'held|mss|apc': { value: 4, inexact: 0 } });
  t.same(asObject(restored.query(everything, 2, START + 1)), { 'held|mss|apc': { value: 2, inexact: 0 } });
});

t.test('facts recorded in bulk by two indexes and merged answer as one index that saw them all', async (t) => {
  fc.assert(
    fc.property(
      history,
      fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }),
      fc.array(fc.tuple(fc.integer({ min: -DAY, max: 260 * DAY }), fc.integer({ min: -DAY, max: 260 * DAY })), {
        minLength: 1,
        maxLength: 10,
      }),
      fc.integer({ min: 1, max: 9 }),
      (facts, toWorker, queries, snapshotEvery) => {
        // Two threads' shares of one log, each in recording order; the key numbering of each is its own.
        const main = mergedInBulk(facts, toWorker, { snapshotEvery, lateAfterMs: DAY });
        const whole = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        for (const fact of facts) whole.add(fact);
        if (JSON.stringify(asObject(main.currentCounters())) !== JSON.stringify(asObject(whole.currentCounters())))
          throw new Error('running totals differ');
        for (const [asOfOffset, knownAtOffset] of queries) {
          const asOf = START + asOfOffset;
          const knownAtTime = START + knownAtOffset;
          const knownAt = positionKnownAt(facts, knownAtTime);
          const merged = JSON.stringify(asObject(main.query(asOf, knownAt, knownAtTime)));
          const expected = JSON.stringify(asObject(whole.naive(asOf, knownAt)));
          if (merged !== expected) throw new Error(`asOf ${asOf} knownAt ${knownAtTime}: ${merged} != ${expected}`);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('merged = whole, for 300 random splits');
});

t.test("another index's facts taken in as its columns' own parts merge as one array of each does", async (t) => {
  // The sums thread posts its columns as their chunks (moved, not copied): 70,000 facts of two deltas
  // each fill several chunks of the worker's columns; a position and a value past 2^32 make two of them wide.
  const fact = (i: number): IndexedFact => ({
    occurred: START + ((i * 7919) % 500) * DAY,
    recorded: START + 600 * DAY + i,
    position: 2 * i + (i % 3 === 0 ? 1 : 2),
    deltas: [
      { key: `held|party-${i % 97}|rifle`, value: i % 5 === 0 ? -1 : 3, inexact: (i % 11 === 0 ? 1 : 0) as 0 | 1 },
      { key: `held|party-${i % 89}|radio`, value: 1, inexact: 0 },
    ],
  });
  const built = (wide: boolean) => {
    const main = new TimeIndex();
    const worker = new TimeIndex();
    main.beginBulk();
    worker.beginBulk();
    for (let i = 0; i < 70_000; i++) {
      const f = fact(i);
      // The worker's last fact, when wide: a position and a value past what 32 bits hold.
      const last = wide && i === 69_998;
      (i % 3 === 0 ? main : worker).add(
        last ? { ...f, position: 2 ** 33, deltas: [{ key: 'held|party-1|radio', value: 2 ** 33, inexact: 0 }] } : f,
      );
    }
    return { main, worker };
  };
  for (const wide of [false, true]) {
    const byArrays = built(wide);
    const byParts = built(wide);
    const parts = byParts.worker.export(true);
    t.ok(
      Array.isArray(parts.occurred) && parts.occurred.length >= 2 && (parts.deltaKey as unknown[]).length >= 3,
      `${wide ? 'wide' : 'narrow'}: posted in parts of several chunks`,
    );
    byArrays.main.mergeBulk(byArrays.worker.export());
    byParts.main.mergeBulk(parts);
    byArrays.main.endBulk();
    byParts.main.endBulk();
    t.same(byParts.main.export(), byArrays.main.export(), `${wide ? 'wide' : 'narrow'}: the same index`);
  }
});

t.test('only an index in bulk takes in another in bulk', async (t) => {
  const fact: IndexedFact = {
    occurred: START,
    recorded: START,
    position: 1,
    deltas: [{ key: 'held|mss|rifle', value: 1, inexact: 0 }],
  };
  const done = new TimeIndex();
  done.add(fact);
  const bulk = new TimeIndex();
  bulk.beginBulk();
  t.throws(() => done.mergeBulk(bulk.export()), /needs an index in bulk/);
  t.throws(() => bulk.mergeBulk(done.export()), /still in bulk/);
});
