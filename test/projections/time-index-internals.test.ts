/**
 * Corners of the time index the main property tests pass over: answers hold no counter whose facts
 * cancel out (the main tests drop zeros before comparing, and `naive` shares the same naming
 * step, so they cannot tell); the order by occurrence for times the radix sort must not take
 * (fractions of a ms, ranges of 2^48 ms and more, spans across zero); and a bulk catch-up whose
 * column of occurrences fills exactly one chunk (32,768 facts), where reading one fact past the
 * end throws instead of reading a spare zero.
 */
import fc from 'fast-check';
import t from 'tap';
import { DAY, dayGridHistory, GRID_KEYS as KEYS, START } from '../support/time-index-grid.js';
import { delta, keyRef } from '../../events/counters.js';
import { sortByOccurrence, TimeIndex, type IndexedFact } from '../../projections/time-index/time-index.js';

const gridHistory = dayGridHistory({ maxLength: 50, maxLagDays: 4, maxValue: 2, maxDeltas: 2 });

/** A plain model: the sums of the facts that occurred by asOf and were recorded by knownAt, zeros left out. */
function model(facts: readonly IndexedFact[], asOf: number, knownAt: number) {
  const sums = new Map<string, { value: number; inexact: number }>();
  for (const fact of facts)
    if (fact.occurred <= asOf && fact.position <= knownAt)
      for (const d of fact.deltas) {
        const sum = sums.get(d.key) ?? { value: 0, inexact: 0 };
        sums.set(d.key, { value: sum.value + d.value, inexact: sum.inexact + d.inexact });
      }
  return [...sums].filter(([, s]) => s.value !== 0 || s.inexact !== 0).sort(([a], [b]) => a.localeCompare(b));
}

/** Every entry of an answer as it is, zeros included: a counter that nets to zero must not be there. */
const entries = (counters: Map<string, { value: number; inexact: number }>) =>
  [...counters]
    .map(([k, c]): [string, { value: number; inexact: number }] => [k, { value: c.value, inexact: c.inexact }])
    .sort(([a], [b]) => a.localeCompare(b));

t.test('an answer holds no counter whose facts cancel out, on every path of a query', async (t) => {
  fc.assert(
    fc.property(
      gridHistory,
      fc.array(fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: 0, max: 51 })), {
        minLength: 1,
        maxLength: 12,
      }),
      fc.integer({ min: 1, max: 6 }),
      fc.boolean(),
      (facts, queries, snapshotEvery, inBulk) => {
        const index = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
        if (inBulk) index.beginBulk();
        for (const fact of facts) index.add(fact);
        if (inBulk) index.endBulk();
        for (const [asOfDay, knownAt] of queries) {
          const asOf = START + asOfDay * DAY;
          // The time of the last fact recorded by knownAt: what the projector passes with it.
          const knownAtTime = facts[Math.min(knownAt, facts.length) - 1]?.recorded ?? START - DAY;
          const want = JSON.stringify(model(facts, asOf, knownAt));
          for (const [how, answer] of [
            ['query', index.query(asOf, knownAt, knownAtTime)],
            ['naive', index.naive(asOf, knownAt)],
          ] as const) {
            const got = JSON.stringify(entries(answer));
            if (got !== want) throw new Error(`${how} asOf day ${asOfDay} knownAt ${knownAt}: ${got} != ${want}`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random histories: answers as the model, zeros absent');
});

t.test('a counter that came back to zero is absent from a concrete answer', async (t) => {
  const index = new TimeIndex({ snapshotEvery: 2, lateAfterMs: DAY });
  const fact = (position: number, day: number, key: string, value: number): IndexedFact => ({
    recorded: START + position * DAY,
    occurred: START + day * DAY,
    position,
    deltas: [{ key, value, inexact: 0 }],
  });
  index.add(fact(1, 1, 'held|mss|rifle', 5));
  index.add(fact(2, 2, 'held|hnp|rifle', 3));
  index.add(fact(3, 3, 'held|mss|rifle', -5));
  index.add(fact(4, 4, 'held|hnp|rifle', 1));
  const everything = Number.MAX_SAFE_INTEGER;
  t.same(entries(index.query(everything, everything, everything)), [['held|hnp|rifle', { value: 4, inexact: 0 }]]);
  t.same(entries(index.query(START + 3 * DAY, 3, START + 3 * DAY)), [['held|hnp|rifle', { value: 3, inexact: 0 }]]);
  t.same(entries(index.naive(START + 3 * DAY, 3)), [['held|hnp|rifle', { value: 3, inexact: 0 }]]);
});

t.test('the running totals let go of a key whose facts cancel out, as they come and after a restore', async (t) => {
  // A shipment's transit account opens and closes: a long history has a million of them.
  const index = new TimeIndex({ snapshotEvery: 4, lateAfterMs: DAY });
  const fact = (position: number, key: string, value: number): IndexedFact => ({
    recorded: START + position * DAY,
    occurred: START + position * DAY,
    position,
    deltas: [{ key, value, inexact: 0 }],
  });
  let position = 0;
  for (let shipment = 0; shipment < 50; shipment++) {
    index.add(fact(++position, `transit|s${shipment}|rifle`, 10));
    index.add(fact(++position, `transit|s${shipment}|rifle`, -10));
  }
  index.add(fact(++position, 'held|mss|rifle', 7));
  const kept = index.export().current;
  t.same(kept.length, 1, 'only the key that is not zero stays');
  const everything = Number.MAX_SAFE_INTEGER;
  t.same(entries(index.query(everything, everything, everything)), [['held|mss|rifle', { value: 7, inexact: 0 }]]);
  // A checkpoint written before keys left at zero holds them: a restore lets them go too.
  const old = { ...index.export(), current: [...kept, [0, { value: 0, inexact: 0 }]] as typeof kept };
  const restored = TimeIndex.from(old);
  t.same(restored.export().current, kept, 'a restored index keeps no zero either');
  t.same(
    entries(restored.query(START + 10 * DAY, 10, START + 10 * DAY)),
    entries(index.query(START + 10 * DAY, 10, START + 10 * DAY)),
  );
});

t.test('times the radix sort must not take are still ordered by occurrence, ties in recording order', async (t) => {
  const cases: [string, number[]][] = [
    ['fractions of a millisecond', [START + 1.5, START + 1.25, START + 1, START + 1.25]],
    ['a range of exactly 2^48 ms', [START + 2 ** 48, START, START + 5]],
    ['a range beyond 2^48 ms', [START + 2 ** 50, START, START + 2 ** 40]],
    ['a range across zero, wider than 2^48 ms', [2 ** 50, -(2 ** 50), 0]],
    ['a range across zero', [5, -5, 0, -5]],
  ];
  for (const [name, occurred] of cases) {
    const expected = occurred.map((_, i) => i).sort((a, b) => occurred[a]! - occurred[b]! || a - b);
    t.same([...sortByOccurrence(occurred)], expected, name);
  }
});

t.test('a bulk catch-up of exactly one column chunk (32,768 facts) sorts and answers', async (t) => {
  const count = 2 ** 15;
  const facts: IndexedFact[] = [];
  for (let i = 0; i < count; i++) {
    const day = Math.floor(i / 64);
    facts.push({
      recorded: START + day * DAY,
      occurred: START + (day - (i % 3)) * DAY, // some backdated: the sort has work to do
      position: i + 1,
      deltas: [{ key: KEYS[i % KEYS.length]!, value: (i % 7) - 3, inexact: 0 }],
    });
  }
  const index = new TimeIndex({ snapshotEvery: 9, lateAfterMs: DAY });
  index.beginBulk();
  for (const fact of facts) index.add(fact);
  index.endBulk();
  t.equal(index.size, count);
  const last = facts.at(-1)!;
  for (const [asOf, knownAt] of [
    [START + 100 * DAY, count],
    [START + 300 * DAY, 20_000],
    [last.occurred, count - 5],
  ] as const)
    t.same(entries(index.query(asOf, knownAt, facts[knownAt - 1]!.recorded)), model(facts, asOf, knownAt));
});

t.test('deltas that carry their key number, as the projections make them, answer as deltas that do not', async (t) => {
  fc.assert(
    fc.property(gridHistory, fc.integer({ min: 1, max: 6 }), (facts, snapshotEvery) => {
      // The projections' deltas come from keyRef: the key and a process-wide number the index maps by.
      const numbered = facts.map((fact) => ({
        ...fact,
        deltas: fact.deltas.map((d) => {
          const [kind, b, c] = d.key.split('|') as [string, string, string];
          return delta(keyRef(kind, b, c), d.value, d.inexact as 0 | 1);
        }),
      }));
      const plain = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
      const withNumbers = new TimeIndex({ snapshotEvery, lateAfterMs: DAY });
      for (const fact of facts) plain.add(fact);
      for (const fact of numbered) withNumbers.add(fact);
      const last = facts.at(-1)!;
      for (const asOf of [START, last.occurred, last.recorded + DAY])
        if (
          JSON.stringify(entries(withNumbers.query(asOf, last.position, last.recorded))) !==
          JSON.stringify(entries(plain.query(asOf, last.position, last.recorded)))
        )
          throw new Error(`asOf ${asOf}: the numbered deltas answer otherwise`);
    }),
    { numRuns: 200 },
  );
  t.pass('200 random histories');
});
