/**
 * Corners of the time index's `query` that the random histories of time-index.test.ts rarely reach:
 * an index with no facts at all; a fact dated minutes after its recording, asked about at its own
 * position; and position snapshots cut in bulk where a key's sums cancel to zero (or its value does
 * while its inexact count does not), or where a delta of zero arrives. Each answer is checked
 * against the index's naive fold over every fact.
 */
import fc from 'fast-check';
import t from 'tap';
import { TimeIndex, type IndexedFact } from '../../projections/time-index/time-index.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const START = Date.parse('2024-06-01T00:00:00Z');
const KEYS = ['held|mss|rifle', 'held|hnp|rifle', 'deployed|kenya|police'];

const asObject = (counters: Map<string, { value: number; inexact: number }>) =>
  Object.fromEntries(
    [...counters].filter(([, c]) => c.value !== 0 || c.inexact !== 0).sort(([a], [b]) => a.localeCompare(b)),
  );

const delta = (key: string, value: number, inexact: number) => ({ key, value, inexact: inexact as 0 | 1 });

/** A fact recorded when it occurred, `hour` hours after START, at position `position`. */
const onTime = (position: number, hour: number, deltas: IndexedFact['deltas']): IndexedFact => ({
  recorded: START + hour * HOUR,
  occurred: START + hour * HOUR,
  position,
  deltas,
});

t.test('an index with no facts answers nothing, whatever is asked, fresh or restored', async (t) => {
  const fresh = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
  const restored = TimeIndex.from(fresh.export());
  for (const index of [fresh, restored])
    for (const [asOf, knownAt, knownAtTime] of [
      [START, 0, START],
      [START, 5, START + DAY],
      [START + 3 * DAY, 0, START],
      [Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER],
    ] as const)
      t.same(asObject(index.query(asOf, knownAt, knownAtTime)), {}, `asOf ${asOf}, known at ${knownAt}`);
});

t.test('a fact dated minutes after its recording is not yet in an asOf at its recording', async (t) => {
  // Recorded at START, dated five minutes later (the clock skew decide() allows); another fact after it.
  const index = new TimeIndex({ snapshotEvery: 4, lateAfterMs: DAY });
  index.add({
    recorded: START,
    occurred: START + 5 * 60 * 1000,
    position: 1,
    deltas: [delta(KEYS[0]!, 2, 1)],
  });
  index.add(onTime(2, 1, [delta(KEYS[0]!, 3, 0)]));
  // Known at its own position (not the head), asked as of its recording: it has not happened yet.
  t.same(asObject(index.query(START, 1, START)), {}, 'as of its recording: not yet');
  t.same(asObject(index.naive(START, 1)), {}, 'the naive fold agrees');
  t.same(
    asObject(index.query(START + 5 * 60 * 1000, 1, START)),
    { [KEYS[0]!]: { value: 2, inexact: 1 } },
    'as of its own date: counted once',
  );
  t.same(
    asObject(index.query(START + 30 * 60 * 1000, 1, START + 30 * 60 * 1000)),
    { [KEYS[0]!]: { value: 2, inexact: 1 } },
    'as of half an hour later, known then: counted once',
  );
});

/**
 * Answers at every position before the head, as of then and as of later (the position-snapshot
 * path), checked against the naive fold; the index built in bulk (its snapshots cut by endBulk),
 * then a few more facts one by one.
 */
function checkEveryPosition(facts: IndexedFact[], snapshotEvery: number, bulkCount: number): string | undefined {
  const index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
  index.beginBulk();
  for (const fact of facts.slice(0, bulkCount)) index.add(fact);
  index.endBulk();
  for (const fact of facts.slice(bulkCount)) index.add(fact);
  for (const fact of facts) {
    const knownAt = fact.position;
    // The last fact recorded at this one's time: knownAt is always the last position known by then.
    const knownAtTime = Math.max(...facts.filter((f) => f.position <= knownAt).map((f) => f.recorded));
    if (facts.some((f) => f.position > knownAt && f.recorded <= knownAtTime)) continue;
    for (const asOf of [knownAtTime, knownAtTime + HOUR, knownAtTime + 3 * DAY]) {
      const fast = JSON.stringify(asObject(index.query(asOf, knownAt, knownAtTime)));
      const slow = JSON.stringify(asObject(index.naive(asOf, knownAt)));
      if (fast !== slow) return `snapshotEvery ${snapshotEvery}, knownAt ${knownAt}, asOf ${asOf}: ${fast} != ${slow}`;
    }
  }
  return undefined;
}

t.test('position snapshots cut in bulk keep every key whose sums are not zero, and only those', async (t) => {
  const [a, b] = [KEYS[0]!, KEYS[1]!];
  const cases: { name: string; snapshotEvery: number; facts: IndexedFact[] }[] = [
    {
      name: 'a value that cancels while its inexact count does not',
      snapshotEvery: 2,
      facts: [onTime(1, 0, [delta(a, 5, 1)]), onTime(2, 1, [delta(a, -5, 0)]), onTime(3, 2, [delta(b, 1, 0)])],
    },
    {
      name: 'an exact value beside an inexact one',
      snapshotEvery: 2,
      facts: [onTime(1, 0, [delta(a, 4, 0)]), onTime(2, 1, [delta(b, 0, 1)]), onTime(3, 2, [delta(b, 1, 0)])],
    },
    {
      name: 'a delta of zero for a key with nothing yet',
      snapshotEvery: 2,
      facts: [onTime(1, 0, [delta(a, 5, 0)]), onTime(2, 1, [delta(b, 0, 0)]), onTime(3, 2, [delta(a, 1, 0)])],
    },
    {
      name: 'a key that cancels out, then another key',
      snapshotEvery: 3,
      facts: [
        onTime(1, 0, [delta(a, 5, 0)]),
        onTime(2, 1, [delta(a, -5, 0)]),
        onTime(3, 2, [delta(b, 3, 0)]),
        onTime(4, 3, [delta(b, 1, 0)]),
      ],
    },
    {
      name: 'a key that cancels out, then comes back',
      snapshotEvery: 3,
      facts: [
        onTime(1, 0, [delta(a, 5, 0)]),
        onTime(2, 1, [delta(a, -5, 0)]),
        onTime(3, 2, [delta(a, 3, 0)]),
        onTime(4, 3, [delta(b, 1, 0)]),
      ],
    },
  ];
  for (const { name, snapshotEvery, facts } of cases) {
    const failure = checkEveryPosition(facts, snapshotEvery, facts.length - 1);
    t.equal(failure, undefined, name);
  }
});

/**
 * Histories of small quantities in which reversals cancel earlier facts exactly: each reversal
 * carries the negated deltas (inexact count included) of an earlier fact, dated at its occurrence.
 * So keys go to zero and come back, values cancel while inexact counts remain, and zeros arrive.
 */
const cancellingHistory = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3 }),
      lag: fc.constantFrom(0, 0, 0, HOUR, 2 * DAY, -5 * 60 * 1000),
      reverses: fc.option(fc.nat(), { freq: 3 }),
      deltas: fc.array(
        fc.record({
          key: fc.constantFrom(...KEYS),
          value: fc.integer({ min: -2, max: 2 }),
          inexact: fc.constantFrom(0, 1),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((steps) => {
    let hour = 0;
    const facts: IndexedFact[] = [];
    for (const step of steps) {
      hour += step.gap;
      const recorded = START + hour * HOUR;
      const position = facts.length + 1;
      const target = step.reverses === null || facts.length === 0 ? undefined : facts[step.reverses % facts.length]!;
      facts.push(
        target
          ? {
              recorded,
              occurred: target.occurred,
              position,
              deltas: target.deltas.map((d) => delta(d.key, -d.value, -d.inexact)),
            }
          : {
              recorded,
              occurred: recorded - step.lag,
              position,
              deltas: step.deltas.map((d) => delta(d.key, d.value, d.inexact)),
            },
      );
    }
    return facts;
  });

t.test('with reversals cancelling facts exactly, every position agrees with a naive fold', async (t) => {
  fc.assert(
    fc.property(cancellingHistory, fc.integer({ min: 1, max: 5 }), fc.nat(), (facts, snapshotEvery, cut) => {
      const failure = checkEveryPosition(facts, snapshotEvery, cut % (facts.length + 1));
      if (failure) throw new Error(failure);
    }),
    { numRuns: 300 },
  );
  t.pass('300 cancelling histories agree');
});

t.test(
  'a restored index takes facts under the keys it had and under new ones, prepared for writes or not',
  async (t) => {
    const original = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
    original.add(onTime(1, 1, [delta(KEYS[0]!, 5, 0), delta(KEYS[1]!, 2, 0)]));
    original.add(onTime(2, 2, [delta(KEYS[1]!, 1, 1)]));
    // Each from an export of its own: an index takes over the arrays it is restored from.
    const prepared = TimeIndex.from(original.export());
    t.notOk(prepared.prepareForWrites(), 'prepared at once: nothing left');
    const lazy = TimeIndex.from(original.export());
    // A part at a time (one name a call: the index has two), as a service does it between requests.
    const inParts = TimeIndex.from(original.export());
    t.ok(inParts.prepareForWrites(1), 'one name of two: more to do');
    t.notOk(inParts.prepareForWrites(1), 'the second: done');
    t.notOk(inParts.prepareForWrites(1), 'and nothing after');
    // Cut short after its first part: the first fact added finishes it.
    const halfway = TimeIndex.from(original.export());
    halfway.prepareForWrites(1);
    for (const [name, index] of [
      ['prepared', prepared],
      ['not prepared', lazy],
      ['prepared in parts', inParts],
      ['prepared halfway', halfway],
    ] as const) {
      index.add(onTime(3, 3, [delta(KEYS[1]!, -3, -1), delta(KEYS[2]!, 7, 0)]));
      t.same(
        asObject(index.currentCounters()),
        {
          [KEYS[0]!]: { value: 5, inexact: 0 },
          [KEYS[2]!]: { value: 7, inexact: 0 },
        },
        `${name}: the old key's fact lands on its counter, the new key gets one of its own`,
      );
      for (const [asOf, knownAt] of [
        [START + 2 * HOUR, 2],
        [START + 3 * HOUR, 3],
        [START + 2 * HOUR, 3],
      ] as const)
        t.same(
          asObject(index.query(asOf, knownAt, asOf)),
          asObject(index.naive(asOf, knownAt)),
          `${name}: as of ${asOf}, known at ${knownAt}`,
        );
    }
  },
);
